"""Sum, Mean and MeanMetricWrapper, as keras/src/metrics/reduction_metrics.py."""
from __future__ import annotations

from kerasish import losses, naming, ops
from kerasish._tensor import no_grad
from kerasish.metrics.metric import Metric
from kerasish.metrics.metric_functions import (
    function_name,
    lookup_function,
)
from kerasish.metrics.metrics_utils import (
    divide_no_nan,
    reduce_to_samplewise_values,
    to_float,
)


class Sum(Metric):
    """The (weighted) sum of the values given."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    @no_grad()
    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        self.total.assign_add(ops.sum(values))

    def result(self):
        return self.total + 0.0  # a new tensor, not a view of the state

    def reset_state(self):
        self.total.assign(ops.zeros((), dtype=self.total.dtype))


class Mean(Metric):
    """The (weighted) mean of the values given: ``total / count``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    @no_grad()
    def update_state(self, values, sample_weight=None):
        if (isinstance(sample_weight, (int, float)) and not isinstance(sample_weight, bool) and hasattr(values, "shape")
                and len(values.shape) == 0):
            values = to_float(values, self.dtype)
            self.total.assign_add(values * float(sample_weight))
            self.count.assign_add(float(sample_weight))
            return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, ops.mean, self.dtype)
        self.total.assign_add(ops.sum(values))
        if sample_weight is not None:
            self.count.assign_add(ops.sum(sample_weight))
        else:
            self.count.assign_add(float(values.shape[0]) if values.ndim >= 1 else 1.0)

    def result(self):
        return divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(ops.zeros((), dtype=self.total.dtype))
        self.count.assign(ops.zeros((), dtype=self.count.dtype))


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)`` (per-sample values)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if isinstance(fn, str):
            fn = lookup_function(fn)
        super().__init__(name=name or naming.auto_name(naming.to_snake_case(type(self).__name__)), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    @no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        mask = getattr(y_pred, "_keras_mask", None)
        if mask is not None:
            sample_weight = losses.apply_mask(sample_weight, mask, self.dtype, "sum")
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        base = {"name": self.name, "dtype": self.dtype}
        if type(self) is MeanMetricWrapper:
            base["fn"] = function_name(self._fn)
            base.update(self._fn_kwargs)
        return base


class BuiltinMeanMetricWrapper(MeanMetricWrapper):
    """Built-in wrappers: config holds name, dtype and the class's own arguments."""

    _fn_static = None
    _arg_names = ()

    def __init__(self, name, dtype=None, **kwargs):
        super().__init__(type(self)._fn_static, name=name, dtype=dtype, **kwargs)
        for k, v in kwargs.items():
            setattr(self, k, v)

    def get_config(self):
        config_ = {"name": self.name, "dtype": self.dtype}
        config_.update({k: getattr(self, k) for k in self._arg_names})
        return config_
