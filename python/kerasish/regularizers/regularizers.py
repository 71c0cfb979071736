"""The weight regularizers, as keras/src/regularizers/regularizers.py."""
from __future__ import annotations

import math

from kerasish import _tensor, ops


def _validate_float_arg(value, name):
    if (
        not isinstance(value, (float, int))
        or isinstance(value, bool)
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. Received: {name}={value}")
    return float(value)


class Regularizer:
    """Base class: subclasses implement ``__call__(x)`` and ``get_config()``."""

    def __call__(self, x):
        return ops.convert_to_tensor(0.0)

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x^2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        l1 = 0.0 if l1 is None else l1
        l2 = 0.0 if l2 is None else l2
        self.l1 = _validate_float_arg(l1, name="l1")
        self.l2 = _validate_float_arg(l2, name="l2")

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        regularization = None
        if self.l1:
            regularization = self.l1 * ops.sum(ops.abs(x))
        if self.l2:
            term = self.l2 * ops.sum(ops.square(x))
            regularization = term if regularization is None else regularization + term
        if regularization is None:
            return ops.zeros((), dtype=x.dtype)
        return regularization

    def get_config(self):
        return {"l1": float(self.l1), "l2": float(self.l2)}


class L1(Regularizer):
    """``l1 * sum(|x|)``."""

    def __init__(self, l1=0.01):
        l1 = 0.01 if l1 is None else l1
        self.l1 = _validate_float_arg(l1, name="l1")

    def __call__(self, x):
        return self.l1 * ops.sum(ops.abs(ops.convert_to_tensor(x)))

    def get_config(self):
        return {"l1": float(self.l1)}


class L2(Regularizer):
    """``l2 * sum(x^2)``."""

    def __init__(self, l2=0.01):
        l2 = 0.01 if l2 is None else l2
        self.l2 = _validate_float_arg(l2, name="l2")

    def __call__(self, x):
        return self.l2 * ops.sum(ops.square(ops.convert_to_tensor(x)))

    def get_config(self):
        return {"l2": float(self.l2)}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (``mode="rows"``) or columns (``mode="columns"``) of a 2-D weight towards
    orthogonality: ``factor * sum(|off-diagonal of N N^T|) / (n (n - 1) / 2)`` with N the
    L2-normalised rows (or columns) and n their number."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _validate_float_arg(factor, name="factor")
        if mode not in {"rows", "columns"}:
            raise ValueError(f"Invalid value for argument `mode`. Expected one of {{'rows', 'columns'}}. Received: mode={mode}")
        self.mode = mode

    def __call__(self, inputs):
        inputs = ops.convert_to_tensor(inputs)
        if inputs.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. "
                f"Received: inputs.shape={inputs.shape}"
            )
        if self.mode == "columns":
            inputs = ops.transpose(inputs)
        size = inputs.shape[0]
        # as Keras's normalize: x * min(rsqrt(ss), 1 / 1e-7)
        norm = ops.sqrt(ops.maximum(ops.sum(ops.square(inputs), axis=-1, keepdims=True), 1e-14))
        product = ops.matmul(inputs / norm, ops.transpose(inputs / norm))
        eye = _tensor.eye(size, dtype=product.dtype)
        off_diagonal = product * (1.0 - eye)
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * ops.sum(ops.abs(off_diagonal)) / max(num_pairs, 1.0)

    def get_config(self):
        return {"factor": float(self.factor), "mode": self.mode}


l1 = L1


l2 = L2


l1_l2 = L1L2


orthogonal_regularizer = OrthogonalRegularizer
