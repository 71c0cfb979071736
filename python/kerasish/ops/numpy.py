"""NumPy-like ops, as keras.ops.numpy: elementwise math, reductions, matmul and shapes."""
from __future__ import annotations

from kerasish import _core, _tensor
from kerasish.ops.core import cast, convert_to_tensor
from kerasish.ops.operation import symbolic


@symbolic
def negative(x): return _core.unary("negative", x)


@symbolic
def abs(x): return _core.unary("abs", x)  # noqa: A001


absolute = abs


@symbolic
def square(x): return _core.unary("square", x)


@symbolic
def sqrt(x): return _core.unary("sqrt", x)


@symbolic
def exp(x): return _core.unary("exp", x)


@symbolic
def log(x): return _core.unary("log", x)


@symbolic
def log1p(x): return _core.unary("log1p", x)


@symbolic
def tanh(x): return _core.unary("tanh", x)


@symbolic
def add(x1, x2): return _core.binary("add", x1, x2)


@symbolic
def subtract(x1, x2): return _core.binary("subtract", x1, x2)


@symbolic
def multiply(x1, x2): return _core.binary("multiply", x1, x2)


@symbolic
def divide(x1, x2): return _core.binary("divide", x1, x2)


true_divide = divide


@symbolic
def floor_divide(x1, x2): return _core.binary("floor_divide", x1, x2)


@symbolic
def mod(x1, x2): return _core.binary("mod", x1, x2)


@symbolic
def power(x1, x2): return _core.binary("power", x1, x2)


@symbolic
def maximum(x1, x2): return _core.binary("maximum", x1, x2)


@symbolic
def minimum(x1, x2): return _core.binary("minimum", x1, x2)


@symbolic
def equal(x1, x2): return _core.compare("equal", x1, x2)


@symbolic
def not_equal(x1, x2): return _core.compare("not_equal", x1, x2)


@symbolic
def less(x1, x2): return _core.compare("less", x1, x2)


@symbolic
def less_equal(x1, x2): return _core.compare("less_equal", x1, x2)


@symbolic
def greater(x1, x2): return _core.compare("greater", x1, x2)


@symbolic
def greater_equal(x1, x2): return _core.compare("greater_equal", x1, x2)


@symbolic
def clip(x, x_min, x_max):
    return _core.clip(x, x_min, x_max)


@symbolic
def where(condition, x1=None, x2=None):
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2 (the one-argument form is not supported)")
    return _core.where(condition, x1, x2)


@symbolic
def sum(x, axis=None, keepdims=False): return _core.reduce("sum", x, axis, keepdims)  # noqa: A001


@symbolic
def mean(x, axis=None, keepdims=False): return _core.reduce("mean", x, axis, keepdims)


@symbolic
def max(x, axis=None, keepdims=False): return _core.reduce("max", x, axis, keepdims)  # noqa: A001


@symbolic
def min(x, axis=None, keepdims=False): return _core.reduce("min", x, axis, keepdims)  # noqa: A001


@symbolic
def var(x, axis=None, keepdims=False): return _core.reduce("var", x, axis, keepdims)


@symbolic
def std(x, axis=None, keepdims=False): return _core.reduce("std", x, axis, keepdims)


@symbolic
def argmax(x, axis=None, keepdims=False): return _core.argmax(x, axis, keepdims)


@symbolic
def argmin(x, axis=None, keepdims=False): return _core.argmin(x, axis, keepdims)


@symbolic
def matmul(x1, x2): return _core.matmul(x1, x2)


@symbolic
def dot(x1, x2): return _core.dot(x1, x2)


@symbolic
def transpose(x, axes=None):
    return _core.transpose(x, None if axes is None else [int(a) for a in axes])


@symbolic
def reshape(x, newshape):
    return _core.reshape(x, newshape)


@symbolic
def expand_dims(x, axis):
    return _core.expand_dims(x, axis)


@symbolic
def squeeze(x, axis=None):
    return _core.squeeze(x, axis)


@symbolic
def broadcast_to(x, shape):
    return _core.broadcast_to(x, shape)


@symbolic
def concatenate(xs, axis=0):
    return _core.concatenate(xs, axis)


@symbolic
def stack(x, axis=0):
    return _core.stack(x, axis)


@symbolic
def split(x, indices_or_sections, axis=0):
    return _core.split(x, indices_or_sections, axis)


@symbolic
def take(x, indices, axis=None):
    return _core.take(x, indices, axis)


@symbolic
def take_along_axis(x, indices, axis=None):
    if axis is None:
        return _core.take_along_axis(reshape(x, -1), reshape(indices, -1), 0)
    return _core.take_along_axis(x, indices, axis)


@symbolic
def zeros(shape, dtype=None):
    return _core.full(shape, 0.0, dtype or "float32")


@symbolic
def ones(shape, dtype=None):
    return _core.full(shape, 1.0, dtype or "float32")


@symbolic
def zeros_like(x, dtype=None):
    x = convert_to_tensor(x)
    return _core.full(x.shape, 0.0, dtype or x.dtype, x.device)


@symbolic
def ones_like(x, dtype=None):
    x = convert_to_tensor(x)
    return _core.full(x.shape, 1.0, dtype or x.dtype, x.device)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return cast(max(cast(not_equal(x, 0), "int64"), axis, keepdims), "bool")


def all(x, axis=None, keepdims=False):  # noqa: A001
    return cast(min(cast(not_equal(x, 0), "int64"), axis, keepdims), "bool")


def arange(start, stop=None, step=None, dtype=None):
    return _tensor.arange(start, stop, step, dtype)
