"""The Initializer base class and the dtype / shape checks every initializer makes, as
keras/src/initializers/initializer.py."""
from __future__ import annotations

from kerasish import config
from kerasish.backend.dtypes import FLOAT_TYPES


def standardize_dtype(dtype):
    return dtype or config.floatx()


def float_dtype(dtype, who):
    dtype = standardize_dtype(dtype)
    if dtype not in FLOAT_TYPES:
        raise ValueError(f"{who}: expected a float dtype (one of {FLOAT_TYPES}), got dtype={dtype!r}")
    return dtype


def standardize_shape(shape):
    if isinstance(shape, int):
        return (int(shape),)
    return tuple(int(d) for d in shape)


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config()``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"Initializer subclasses must implement `__call__()`: {type(self).__name__}")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
