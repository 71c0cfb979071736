"""TerminateOnNaN, as keras/src/callbacks/terminate_on_nan.py."""
from __future__ import annotations

import math

from kerasish.callbacks.callback import Callback
from kerasish.utils.io_utils import as_float, print_msg


class TerminateOnNaN(Callback):
    """Stops training (``model.stop_training = True``) at the first NaN or infinite batch loss,
    printing "Batch b: Invalid loss, terminating training"; ``raise_error=True`` raises instead."""

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is None:
            return
        loss = as_float(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating training immediately."
                )
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
