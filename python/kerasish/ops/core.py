"""Core ops, as keras.ops.core: conversion to and from tensors, casting and shapes."""
from __future__ import annotations

import numpy as np

from kerasish import _core
from kerasish._core import Tensor
from kerasish.ops.operation import symbolic


def convert_to_tensor(x, dtype=None) -> Tensor:
    return _core.convert_to_tensor(x, dtype)


@symbolic
def cast(x, dtype) -> Tensor:
    return _core.convert_to_tensor(x, dtype)


def convert_to_numpy(x):
    """A NumPy array of x (zero-copy for a contiguous tensor)."""
    return np.asarray(x.numpy() if isinstance(x, Tensor) else x)


def stop_gradient(x):
    """x cut off from the graph: no gradient flows back through it."""
    return convert_to_tensor(x).detach()


def is_tensor(x):
    return isinstance(x, Tensor)


def shape(x):
    return tuple(x.shape)
