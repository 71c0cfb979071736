"""Tensor operations named as Keras 3's ``keras.ops``.

Each function normalises Keras-style arguments and calls the Rust engine (``kerasish._core``);
every op's kernels and gradient rule live there, in rust/src/ops/.
"""
from __future__ import annotations

import builtins as _builtins

from kerasish import _core
from kerasish._core import Tensor

__all__ = [
    "abs", "absolute", "add", "argmax", "argmin", "average_pool", "binary_crossentropy", "broadcast_to", "cast",
    "categorical_crossentropy", "clip", "concatenate", "conv", "convert_to_tensor", "divide", "dot", "elu",
    "equal", "exp", "expand_dims", "floor_divide", "gelu", "greater", "greater_equal", "leaky_relu", "less",
    "less_equal", "log", "log1p", "log_softmax", "logsumexp", "matmul", "max", "max_pool", "maximum", "mean",
    "min", "minimum", "mod", "multiply", "negative", "not_equal", "one_hot", "ones", "ones_like", "power",
    "relu", "reshape", "selu", "sigmoid", "silu", "softmax", "softplus", "sparse_categorical_crossentropy",
    "split", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum", "swish", "take", "take_along_axis",
    "tanh", "transpose", "true_divide", "var", "where", "zeros", "zeros_like",
]


def convert_to_tensor(x, dtype=None) -> Tensor:
    return _core.convert_to_tensor(x, dtype)


def cast(x, dtype) -> Tensor:
    return _core.convert_to_tensor(x, dtype)


# elementwise, one input
def negative(x): return _core.unary("negative", x)
def abs(x): return _core.unary("abs", x)  # noqa: A001
absolute = abs
def square(x): return _core.unary("square", x)
def sqrt(x): return _core.unary("sqrt", x)
def exp(x): return _core.unary("exp", x)
def log(x): return _core.unary("log", x)
def log1p(x): return _core.unary("log1p", x)
def tanh(x): return _core.unary("tanh", x)
def sigmoid(x): return _core.unary("sigmoid", x)
def relu(x): return _core.unary("relu", x)
def selu(x): return _core.unary("selu", x)
def softplus(x): return _core.unary("softplus", x)
def silu(x): return _core.unary("silu", x)
swish = silu
def leaky_relu(x, negative_slope=0.2): return _core.unary("leaky_relu", x, float(negative_slope))
def elu(x, alpha=1.0): return _core.unary("elu", x, float(alpha))
def gelu(x, approximate=True): return _core.unary("gelu" if approximate else "gelu_erf", x)


# elementwise, two inputs (NumPy broadcasting)
def add(x1, x2): return _core.binary("add", x1, x2)
def subtract(x1, x2): return _core.binary("subtract", x1, x2)
def multiply(x1, x2): return _core.binary("multiply", x1, x2)
def divide(x1, x2): return _core.binary("divide", x1, x2)
true_divide = divide
def floor_divide(x1, x2): return _core.binary("floor_divide", x1, x2)
def mod(x1, x2): return _core.binary("mod", x1, x2)
def power(x1, x2): return _core.binary("power", x1, x2)
def maximum(x1, x2): return _core.binary("maximum", x1, x2)
def minimum(x1, x2): return _core.binary("minimum", x1, x2)
def equal(x1, x2): return _core.compare("equal", x1, x2)
def not_equal(x1, x2): return _core.compare("not_equal", x1, x2)
def less(x1, x2): return _core.compare("less", x1, x2)
def less_equal(x1, x2): return _core.compare("less_equal", x1, x2)
def greater(x1, x2): return _core.compare("greater", x1, x2)
def greater_equal(x1, x2): return _core.compare("greater_equal", x1, x2)


def clip(x, x_min, x_max):
    return _core.clip(x, x_min, x_max)


def where(condition, x1=None, x2=None):
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2 (the one-argument form is not supported)")
    return _core.where(condition, x1, x2)


# reductions
def sum(x, axis=None, keepdims=False): return _core.reduce("sum", x, axis, keepdims)  # noqa: A001
def mean(x, axis=None, keepdims=False): return _core.reduce("mean", x, axis, keepdims)
def max(x, axis=None, keepdims=False): return _core.reduce("max", x, axis, keepdims)  # noqa: A001
def min(x, axis=None, keepdims=False): return _core.reduce("min", x, axis, keepdims)  # noqa: A001
def var(x, axis=None, keepdims=False): return _core.reduce("var", x, axis, keepdims)
def std(x, axis=None, keepdims=False): return _core.reduce("std", x, axis, keepdims)
def logsumexp(x, axis=None, keepdims=False): return _core.reduce("logsumexp", x, axis, keepdims)
def argmax(x, axis=None, keepdims=False): return _core.argmax(x, axis, keepdims)
def argmin(x, axis=None, keepdims=False): return _core.argmin(x, axis, keepdims)


# linear algebra
def matmul(x1, x2): return _core.matmul(x1, x2)
def dot(x1, x2): return _core.dot(x1, x2)


# shapes
def transpose(x, axes=None):
    return _core.transpose(x, None if axes is None else [int(a) for a in axes])


def reshape(x, newshape):
    return _core.reshape(x, newshape)


def expand_dims(x, axis):
    return _core.expand_dims(x, axis)


def squeeze(x, axis=None):
    return _core.squeeze(x, axis)


def broadcast_to(x, shape):
    return _core.broadcast_to(x, shape)


def concatenate(xs, axis=0):
    return _core.concatenate(xs, axis)


def stack(x, axis=0):
    return _core.stack(x, axis)


def split(x, indices_or_sections, axis=0):
    return _core.split(x, indices_or_sections, axis)


def take(x, indices, axis=None):
    return _core.take(x, indices, axis)


def take_along_axis(x, indices, axis=None):
    if axis is None:
        return _core.take_along_axis(reshape(x, -1), reshape(indices, -1), 0)
    return _core.take_along_axis(x, indices, axis)


def one_hot(x, num_classes, axis=-1, dtype=None):
    if int(num_classes) < 0:
        raise ValueError(f"one_hot: num_classes must be non-negative, got {num_classes}")
    out = _core.one_hot(x, int(num_classes), dtype)
    if axis != -1:
        nd = out.ndim
        ax = axis % nd
        perm = list(range(nd - 1))
        perm.insert(ax, nd - 1)
        out = transpose(out, perm)
    return out


def zeros(shape, dtype=None):
    return _core.full(shape, 0.0, dtype or "float32")


def ones(shape, dtype=None):
    return _core.full(shape, 1.0, dtype or "float32")


def zeros_like(x, dtype=None):
    x = convert_to_tensor(x)
    return _core.full(x.shape, 0.0, dtype or x.dtype, x.device)


def ones_like(x, dtype=None):
    x = convert_to_tensor(x)
    return _core.full(x.shape, 1.0, dtype or x.dtype, x.device)


# neural-network ops
def softmax(x, axis=-1):
    if axis is None:
        x = convert_to_tensor(x)
        return reshape(_core.softmax(reshape(x, -1), -1), x.shape)
    return _core.softmax(x, axis)


def log_softmax(x, axis=-1):
    if axis is None:
        x = convert_to_tensor(x)
        return reshape(_core.log_softmax(reshape(x, -1), -1), x.shape)
    return _core.log_softmax(x, axis)


def binary_crossentropy(target, output, from_logits=False):
    return _core.binary_crossentropy(target, output, bool(from_logits))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _core.categorical_crossentropy(target, output, bool(from_logits), axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _core.sparse_categorical_crossentropy(target, output, bool(from_logits), axis)


def _pair(name, v, rank=2):
    try:
        t = [int(v)] * rank if isinstance(v, int) and not isinstance(v, bool) else [int(i) for i in v]
    except TypeError:
        raise ValueError(f"{name} must be an int or a tuple of {rank} ints, got {v!r}") from None
    if len(t) == 1:
        t = t * rank
    if len(t) != rank or _builtins.any(i <= 0 for i in t):
        raise ValueError(f"{name} must be a positive int or a tuple of {rank} positive ints, got {v!r}")
    return t


def _padding(op, padding):
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same', got {padding!r}")
    return p


def _channels_last(op, data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{op}: only data_format='channels_last' (NHWC) is supported, got {data_format!r}")


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution on channels-last inputs: (batch, h, w, c) with a (kh, kw, c, filters) kernel,
    or (batch, w, c) with a (kw, c, filters) kernel."""
    _channels_last("conv", data_format)
    return _conv_bias_act(inputs, kernel, None, "linear", strides, padding, dilation_rate)


def _conv_bias_act(inputs, kernel, bias, activation, strides=1, padding="valid", dilation_rate=1):
    """activation(conv(inputs, kernel) + bias) as one engine op (activation: linear, relu,
    sigmoid or tanh), as Conv layers end."""
    return _core.conv(inputs, kernel, _pair("strides", strides), _padding("conv", padding),
                      _pair("dilation_rate", dilation_rate), bias, activation)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    _channels_last("max_pool", data_format)
    ps = _pair("pool_size", pool_size)
    st = ps if strides is None else _pair("strides", strides)
    return _core.max_pool(inputs, ps, st, _padding("max_pool", padding))


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    _channels_last("average_pool", data_format)
    ps = _pair("pool_size", pool_size)
    st = ps if strides is None else _pair("strides", strides)
    return _core.average_pool(inputs, ps, st, _padding("average_pool", padding))


# Symbolic use in functional models: `keras.ops.relu(keras.Input((3,)))` records the op as a
# node of the graph (a weightless layer), as Keras 3 does.
_KT = None


def _symbolic_aware(fn):
    import functools

    name = "".join(p.capitalize() for p in fn.__name__.split("_"))

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        global _KT
        if _KT is None:
            from kerasish.layers.layer import KerasTensor

            _KT = KerasTensor
        kt = _KT
        symbolic = False
        for a in args:
            if type(a) is kt or (type(a) in (list, tuple) and _builtins.any(type(x) is kt for x in a)):
                symbolic = True
                break
        if not symbolic and kwargs:
            symbolic = _builtins.any(type(v) is kt for v in kwargs.values())
        if not symbolic:
            return fn(*args, **kwargs)
        from kerasish.layers.layer import _apply_op

        return _apply_op(name, lambda *a: fn(*a, **kwargs), *args)

    return wrapper


for _name in __all__:
    _f = globals()[_name]
    if callable(_f) and getattr(_f, "__module__", None) == __name__ and _name not in ("convert_to_tensor",):
        globals()[_name] = _symbolic_aware(_f)
del _name, _f


def convert_to_numpy(x):
    """A NumPy array of x (zero-copy for a contiguous tensor)."""
    import numpy as np

    return np.asarray(x.numpy() if isinstance(x, Tensor) else x)


def stop_gradient(x):
    """x cut off from the graph: no gradient flows back through it."""
    return convert_to_tensor(x).detach()


def is_tensor(x):
    return isinstance(x, Tensor)


def shape(x):
    return tuple(x.shape)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return cast(max(cast(not_equal(x, 0), "int64"), axis, keepdims), "bool")


def all(x, axis=None, keepdims=False):  # noqa: A001
    return cast(min(cast(not_equal(x, 0), "int64"), axis, keepdims), "bool")


def arange(start, stop=None, step=None, dtype=None):
    from kerasish._tensor import arange as _arange

    return _arange(start, stop, step, dtype)


__all__ += ["convert_to_numpy", "stop_gradient", "is_tensor", "shape", "any", "all", "arange"]
