"""The hinge metrics, as keras/src/metrics/hinge_metrics.py."""
from __future__ import annotations

from kerasish.losses import (
    categorical_hinge,
    hinge,
    squared_hinge,
)
from kerasish.metrics.reduction_metrics import BuiltinMeanMetricWrapper


class Hinge(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(hinge)

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(squared_hinge)

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(categorical_hinge)

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)
