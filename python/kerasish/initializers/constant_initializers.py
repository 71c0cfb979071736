"""Zeros, Ones, Constant and Identity, as keras/src/initializers/constant_initializers.py."""
from __future__ import annotations

from kerasish import _tensor, ops
from kerasish.initializers.initializer import Initializer, standardize_dtype, standardize_shape


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return ops.zeros(standardize_shape(shape), dtype=standardize_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return ops.ones(standardize_shape(shape), dtype=standardize_dtype(dtype))


class Constant(Initializer):
    """Every element set to ``value`` (a scalar, or anything that broadcasts to the shape)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        dtype = standardize_dtype(dtype)
        value = ops.convert_to_tensor(self.value, dtype=dtype)
        # "+ zeros" builds a new tensor of the full shape (never an alias of `value`)
        return ops.zeros(shape, dtype=dtype) + value

    def get_config(self):
        value = self.value
        if hasattr(value, "tolist"):
            value = value.tolist()
        return {"value": value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; rectangular shapes allowed)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dtype = standardize_dtype(dtype)
        return _tensor.eye(shape[0], shape[1], dtype=dtype) * float(self.gain)

    def get_config(self):
        return {"gain": self.gain}
