"""History, as keras/src/callbacks/history.py."""
from __future__ import annotations

from kerasish.callbacks.callback import Callback


class History(Callback):
    """Records each epoch's logs: ``history`` maps each key to its per-epoch list, ``epoch`` lists
    the epoch indices. ``fit`` adds one automatically and returns it (also ``model.history``)."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self
