"""The probabilistic metrics (divergences and crossentropies), as keras/src/metrics/probabilistic_metrics.py."""
from __future__ import annotations

from kerasish.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from kerasish.metrics.reduction_metrics import BuiltinMeanMetricWrapper


class KLDivergence(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(kl_divergence)

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Poisson(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(poisson)

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)


class BinaryCrossentropy(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(binary_crossentropy)
    _arg_names = ("from_logits", "label_smoothing")

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(categorical_crossentropy)
    _arg_names = ("from_logits", "label_smoothing", "axis")

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(BuiltinMeanMetricWrapper):
    _fn_static = staticmethod(sparse_categorical_crossentropy)
    _arg_names = ("from_logits", "axis")

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, axis=axis)
