"""The accuracy metrics, as keras/src/metrics/accuracy_metrics.py."""
from __future__ import annotations

from kerasish.metrics.metric_functions import (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from kerasish.metrics.reduction_metrics import BuiltinMeanMetricWrapper


class Accuracy(BuiltinMeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true``."""

    _fn_static = staticmethod(accuracy)

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class BinaryAccuracy(BuiltinMeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels."""

    _fn_static = staticmethod(binary_accuracy)
    _arg_names = ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and (threshold <= 0 or threshold >= 1):
            raise ValueError(
                "Invalid value for argument `threshold`. Expected a value in interval (0, 1). "
                f"Received: threshold={threshold}"
            )
        super().__init__(name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(BuiltinMeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches one-hot labels."""

    _fn_static = staticmethod(categorical_accuracy)

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalAccuracy(BuiltinMeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches integer labels."""

    _fn_static = staticmethod(sparse_categorical_accuracy)

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class TopKCategoricalAccuracy(BuiltinMeanMetricWrapper):
    """How often the one-hot target is among the top ``k`` predictions."""

    _fn_static = staticmethod(top_k_categorical_accuracy)
    _arg_names = ("k",)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(BuiltinMeanMetricWrapper):
    """How often the integer target is among the top ``k`` predictions."""

    _fn_static = staticmethod(sparse_top_k_categorical_accuracy)
    _arg_names = ("k", "from_sorted_ids")

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids)
