"""The regression metrics, as keras/src/metrics/regression_metrics.py."""
from __future__ import annotations

from kerasish import ops
from kerasish._tensor import no_grad
from kerasish.losses import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    squeeze_or_expand_to_same_rank,
)
from kerasish.metrics.metric_functions import (
    cosine_similarity,
    log_cosh,
)
from kerasish.metrics.metrics_utils import (
    divide_no_nan,
    to_float,
)
from kerasish.metrics.reduction_metrics import BuiltinMeanMetricWrapper, Mean


class MeanSquaredError(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(mean_squared_error)

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(mean_absolute_error)

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(mean_absolute_percentage_error)

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CosineSimilarity(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(cosine_similarity)
    _arg_names = ("axis",)

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class LogCoshError(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(log_cosh)

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt(mean(square(y_true - y_pred)))`` over all values seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    @no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = to_float(y_true, self.dtype)
        y_pred = to_float(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        error_sq = ops.square(y_pred - y_true)
        return super().update_state(error_sq, sample_weight=sample_weight)

    def result(self):
        return ops.sqrt(divide_no_nan(self.total, self.count))
