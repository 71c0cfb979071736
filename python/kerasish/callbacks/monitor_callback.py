"""The base of the callbacks that watch a logged metric, as keras/src/callbacks/monitor_callback.py."""
from __future__ import annotations

import operator
import warnings

from kerasish.callbacks.callback import Callback

# --------------------------------------------------------------------------- monitoring
_MAX_WORDS = ("acc", "auc", "precision", "recall", "f1", "iou", "r2", "top_k", "true_positives", "true_negatives")


_MIN_WORDS = ("loss", "error", "crossentropy", "hinge", "divergence", "false_positives", "false_negatives", "mse", "mae", "mape",
              "msle")


def _metric_direction(model, metric_name):
    """``"up"``/``"down"`` for a metric name: from the model's metric objects (``_direction``) when
    it has them, else from the name."""
    if metric_name == "loss" or metric_name.endswith("_loss"):
        return "down"
    found = []

    def walk(ms, depth=0):
        for m in ms or []:
            if depth < 4 and hasattr(m, "metrics") and not hasattr(m, "_direction"):
                try:
                    walk(m.metrics, depth + 1)
                except Exception:  # noqa: BLE001 - a property that cannot be read yet
                    pass
            if getattr(m, "name", None) == metric_name and hasattr(m, "_direction"):
                found.append(m._direction)

    try:
        walk(getattr(model, "metrics", None) if model is not None else None)
    except Exception:  # noqa: BLE001 - metrics not built yet
        pass
    if found:
        return found[0]
    lower = metric_name.lower()
    if any(w in lower for w in _MAX_WORDS):
        return "up"
    if any(w in lower for w in _MIN_WORDS):
        return "down"
    return None


class MonitorCallback(Callback):
    """Picks the comparison for ``monitor`` from ``mode`` (auto: by the metric's direction)."""

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            direction = _metric_direction(self.model, self.monitor.removeprefix("val_"))
            if direction is None:
                raise ValueError(
                    f"{self.__class__.__name__} callback received monitor={self.monitor}, but kerasish isn't able to "
                    "automatically determine whether that metric should be maximized or minimized. Pass `mode='max'` "
                    "in order to monitor based on the highest metric value, or pass `mode='min'` in order to use the "
                    "lowest value."
                )
            self.monitor_op = operator.gt if direction == "up" else operator.lt
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return self.monitor_op(monitor_value - self.min_delta, reference_value)


def check_mode(name, mode):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{name} mode {mode} is unknown, fallback to auto mode.", stacklevel=3)
        return "auto"
    return mode
