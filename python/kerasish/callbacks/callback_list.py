"""CallbackList, as keras/src/callbacks/callback_list.py."""
from __future__ import annotations

from kerasish.callbacks.callback import Callback
from kerasish.callbacks.history import History
from kerasish.callbacks.progbar_logger import ProgbarLogger
from kerasish.utils.progbar import _is_dynamic_display


def _flatten(callbacks):
    out = []
    for cb in callbacks:
        if isinstance(cb, CallbackList):
            out.extend(cb.callbacks)
        elif isinstance(cb, (list, tuple)):
            out.extend(_flatten(cb))
        elif cb is not None:
            out.append(cb)
    return out


class CallbackList(Callback):
    """Calls every callback's hook in turn; adds ``History`` / ``ProgbarLogger`` when asked."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback) and not isinstance(callbacks, CallbackList):
            callbacks = [callbacks]
        self.callbacks = _flatten(callbacks)
        self._add_default_callbacks(add_history, add_progbar)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def _add_default_callbacks(self, add_history, add_progbar):
        self._progbar = None
        self._history = None
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                self._progbar = cb
            elif isinstance(cb, History):
                self._history = cb
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def append(self, callback):
        self.callbacks.append(callback)

    def needs_batch_calls(self, kind="train"):
        """Whether a callback acts after each batch of `kind` (train/test/predict). Without one,
        the compiled loop runs whole epochs in the engine without calling back into Python."""
        hooks = [f"on_{kind}_batch_begin", f"on_{kind}_batch_end"]
        if kind == "train":
            hooks += ["on_batch_begin", "on_batch_end"]
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                # a plain-lines bar prints only at the end; a terminal's is redrawn per batch
                if cb.verbose == 1 and _is_dynamic_display() and not (kind == "test" and cb.called_in_fit):
                    return True
                continue
            if any(getattr(type(cb), h) is not getattr(Callback, h) for h in hooks):
                return True
        return False

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        if self._history:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _call_batch(self, hook, batch, logs):
        logs = logs or {}
        for callback in self.callbacks:
            getattr(callback, hook)(batch, logs=logs)

    def _call_epoch(self, hook, epoch, logs):
        logs = logs or {}
        for callback in self.callbacks:
            getattr(callback, hook)(epoch, logs)

    def _call(self, hook, logs):
        logs = logs or {}
        for callback in self.callbacks:
            getattr(callback, hook)(logs)

    def on_batch_begin(self, batch, logs=None):
        self._call_batch("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call_batch("on_batch_end", batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call_epoch("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call_epoch("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)
