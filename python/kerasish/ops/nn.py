"""Neural-network ops, as keras.ops.nn: activations, softmax, crossentropies, one-hot, convolution and pooling."""
from __future__ import annotations

from kerasish import _core
from kerasish.backend.dtypes import FLOAT_TYPES
from kerasish.ops import numpy as np_ops
from kerasish.ops.core import cast, convert_to_tensor
from kerasish.ops.numpy import reshape, transpose
from kerasish.ops.operation import symbolic


@symbolic
def sigmoid(x): return _core.unary("sigmoid", x)


@symbolic
def relu(x): return _core.unary("relu", x)


@symbolic
def selu(x): return _core.unary("selu", x)


@symbolic
def softplus(x): return _core.unary("softplus", x)


@symbolic
def silu(x): return _core.unary("silu", x)


swish = silu


@symbolic
def leaky_relu(x, negative_slope=0.2): return _core.unary("leaky_relu", x, float(negative_slope))


@symbolic
def elu(x, alpha=1.0): return _core.unary("elu", x, float(alpha))


@symbolic
def gelu(x, approximate=True): return _core.unary("gelu" if approximate else "gelu_erf", x)


@symbolic
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


@symbolic
def softmax(x, axis=-1):
    if axis is None:
        x = convert_to_tensor(x)
        return reshape(_core.softmax(reshape(x, -1), -1), x.shape)
    return _core.softmax(x, axis)


@symbolic
def log_softmax(x, axis=-1):
    if axis is None:
        x = convert_to_tensor(x)
        return reshape(_core.log_softmax(reshape(x, -1), -1), x.shape)
    return _core.log_softmax(x, axis)


@symbolic
def binary_crossentropy(target, output, from_logits=False):
    return _core.binary_crossentropy(target, output, bool(from_logits))


@symbolic
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _core.categorical_crossentropy(target, output, bool(from_logits), axis)


@symbolic
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _core.sparse_categorical_crossentropy(target, output, bool(from_logits), axis)


def _pair(name, v, rank=2):
    try:
        t = [int(v)] * rank if isinstance(v, int) and not isinstance(v, bool) else [int(i) for i in v]
    except TypeError:
        raise ValueError(f"{name} must be an int or a tuple of {rank} ints, got {v!r}") from None
    if len(t) == 1:
        t = t * rank
    if len(t) != rank or any(i <= 0 for i in t):
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


@symbolic
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution on channels-last inputs: (batch, h, w, c) with a (kh, kw, c, filters) kernel,
    or (batch, w, c) with a (kw, c, filters) kernel."""
    _channels_last("conv", data_format)
    return conv_bias_activation(inputs, kernel, None, "linear", strides, padding, dilation_rate)


def conv_bias_activation(inputs, kernel, bias, activation, strides=1, padding="valid", dilation_rate=1):
    """activation(conv(inputs, kernel) + bias) as one engine op (activation: linear, relu,
    sigmoid or tanh), as Conv layers end."""
    return _core.conv(inputs, kernel, _pair("strides", strides), _padding("conv", padding),
                      _pair("dilation_rate", dilation_rate), bias, activation)


@symbolic
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    _channels_last("max_pool", data_format)
    ps = _pair("pool_size", pool_size)
    st = ps if strides is None else _pair("strides", strides)
    return _core.max_pool(inputs, ps, st, _padding("max_pool", padding))


@symbolic
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    _channels_last("average_pool", data_format)
    ps = _pair("pool_size", pool_size)
    st = ps if strides is None else _pair("strides", strides)
    return _core.average_pool(inputs, ps, st, _padding("average_pool", padding))


# ---------------------------------------------------------------- activations composed from ops
# (jax.nn's definitions, which Keras's JAX backend calls); the ones that are float math compute
# integers and bools in float32, as the engine's unary ops do

def _float(x):
    x = convert_to_tensor(x)
    return x if x.dtype in FLOAT_TYPES else cast(x, "float32")


@symbolic
def relu6(x): return np_ops.minimum(relu(x), 6)


@symbolic
def hard_sigmoid(x): return np_ops.divide(relu6(np_ops.add(x, 3)), 6)


@symbolic
def hard_silu(x): return np_ops.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


@symbolic
def log_sigmoid(x):
    x = _float(x)
    return np_ops.negative(softplus(np_ops.negative(x)))


@symbolic
def softsign(x):
    x = _float(x)
    return np_ops.divide(x, np_ops.add(np_ops.abs(x), 1))


@symbolic
def celu(x, alpha=1.0):
    x, alpha = _float(x), float(alpha)
    return np_ops.add(relu(x), np_ops.multiply(alpha, np_ops.expm1(np_ops.divide(np_ops.minimum(x, 0), alpha))))


@symbolic
def glu(x, axis=-1):
    """a * sigmoid(b) for the two halves a, b of x along `axis`."""
    x = convert_to_tensor(x)
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"glu: the size of axis {axis} must be even, got shape {tuple(x.shape)}")
    a, b = np_ops.split(x, 2, axis)
    return np_ops.multiply(a, sigmoid(b))


@symbolic
def sparse_plus(x):
    x = _float(x)
    return np_ops.where(np_ops.less_equal(x, -1), 0, np_ops.where(np_ops.greater_equal(x, 1), x,
                                                                   np_ops.divide(np_ops.square(np_ops.add(x, 1)), 4)))


@symbolic
def sparse_sigmoid(x):
    x = _float(x)
    return np_ops.where(np_ops.less_equal(x, -1), 0, np_ops.where(np_ops.greater_equal(x, 1), 1,
                                                                   np_ops.divide(np_ops.add(x, 1), 2)))


@symbolic
def squareplus(x, b=4):
    x = _float(x)
    return np_ops.divide(np_ops.add(x, np_ops.sqrt(np_ops.add(np_ops.square(x), float(b)))), 2)


@symbolic
def hard_tanh(x): return np_ops.clip(x, -1, 1)


@symbolic
def soft_shrink(x, threshold=0.5):
    x, t = _float(x), float(threshold)
    return np_ops.where(np_ops.greater(x, t), np_ops.subtract(x, t), np_ops.where(np_ops.less(x, -t), np_ops.add(x, t), 0.0))


@symbolic
def hard_shrink(x, threshold=0.5):
    return np_ops.where(np_ops.greater(np_ops.abs(x), float(threshold)), x, 0.0)


@symbolic
def tanh_shrink(x):
    x = _float(x)
    return np_ops.subtract(x, np_ops.tanh(x))


@symbolic
def threshold(x, threshold, default_value):  # noqa: A002 - Keras's argument name
    return np_ops.where(np_ops.greater(x, threshold), x, default_value)


# ---------------------------------------------------------------- statistics and normalization

@symbolic
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes`, as keras.ops.moments."""
    if synchronized:
        raise NotImplementedError("moments: synchronized=True needs a distribution strategy; kerasish has none yet")
    return np_ops.mean(x, axes, keepdims), np_ops.var(x, axes, keepdims)


@symbolic
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, the statistics along `axis`."""
    x = convert_to_tensor(x)
    axis = axis % x.ndim
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    inv = np_ops.divide(1.0, np_ops.sqrt(np_ops.add(reshape(variance, shape), epsilon)))
    if scale is not None:
        inv = np_ops.multiply(inv, reshape(scale, shape))
    res = np_ops.multiply(np_ops.negative(reshape(mean, shape)), inv)
    if offset is not None:
        res = np_ops.add(res, reshape(offset, shape))
    return np_ops.add(np_ops.multiply(x, inv), res)


@symbolic
def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its `order`-norm along `axis` (the norm held at least `epsilon`, 1e-7 by
    default), as keras.ops.normalize."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = convert_to_tensor(x)
    if x.ndim == 0:
        x = np_ops.expand_dims(x, 0)
    epsilon = 1e-7 if epsilon is None else float(epsilon)
    if order == 2:
        square_sum = np_ops.sum(np_ops.square(x), axis=axis, keepdims=True)
        return np_ops.multiply(x, np_ops.divide(1.0, np_ops.sqrt(np_ops.maximum(square_sum, epsilon * epsilon))))
    a = np_ops.abs(x)
    norm = np_ops.sum(a, axis=axis, keepdims=True) if order == 1 else \
        np_ops.power(np_ops.sum(np_ops.power(a, order), axis=axis, keepdims=True), 1.0 / order)
    return np_ops.divide(x, np_ops.maximum(norm, epsilon))


@symbolic
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio: 20 log10(max_val) - 10 log10(mean((x1 - x2)^2))."""
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    if tuple(x1.shape) != tuple(x2.shape):
        raise ValueError(f"Input shapes {tuple(x1.shape)} and {tuple(x2.shape)} must match for PSNR calculation. ")
    mse = np_ops.mean(np_ops.square(np_ops.subtract(x1, x2)))
    max_val = cast(max_val, x2.dtype)
    return np_ops.subtract(np_ops.multiply(20, np_ops.log10(max_val)), np_ops.multiply(10, np_ops.log10(mse)))


@symbolic
def multi_hot(inputs, num_classes, axis=-1, dtype=None):
    """One row per sample with a 1 at every class it lists (rank-1 inputs: one row)."""
    x = convert_to_tensor(inputs)
    reduction_axis = 1 if x.ndim > 1 else 0
    return np_ops.max(one_hot(cast(x, "int64"), num_classes, axis=axis, dtype=dtype), axis=reduction_axis)


def _norm_axes(x, axis):
    axes = [axis] if isinstance(axis, int) else sorted(int(a) % x.ndim for a in axis)
    return [a % x.ndim for a in axes]


def _broadcast_param(v, x, axes):
    """A gamma / beta / scale of the normalized dims' shape, shaped to broadcast against x."""
    if v is None:
        return None
    v = cast(convert_to_tensor(v), x.dtype)
    if axes == [x.ndim - 1]:
        return v
    shape = [1] * x.ndim
    for a in axes:
        shape[a] = x.shape[a]
    return reshape(v, tuple(shape))


@symbolic
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta over `axis`, as keras.ops.layer_normalization
    (computed in at least float32; rms_scaling: x / sqrt(var + epsilon) * gamma)."""
    x = _float(x)
    epsilon = 1e-7 if epsilon is None else float(epsilon)
    axes = _norm_axes(x, axis)
    g, b = _broadcast_param(gamma, x, axes), _broadcast_param(beta, x, axes)
    mean, variance = np_ops.mean(x, axes, True), np_ops.var(x, axes, True)
    inv = np_ops.divide(1.0, np_ops.sqrt(np_ops.add(variance, epsilon)))
    if rms_scaling:
        out = np_ops.multiply(x, inv)
        return out if g is None else np_ops.multiply(out, g)
    if g is not None:
        inv = np_ops.multiply(inv, g)
    res = np_ops.multiply(np_ops.negative(mean), inv)
    if b is not None:
        res = np_ops.add(res, b)
    return np_ops.add(np_ops.multiply(x, inv), res)


@symbolic
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """x / sqrt(mean(x^2) + epsilon) * scale over `axis`, as keras.ops.rms_normalization."""
    x = _float(x)
    if x.ndim == 0:
        x = np_ops.expand_dims(x, 0)
    epsilon = 1e-7 if epsilon is None else float(epsilon)
    axes = _norm_axes(x, axis)
    rrms = np_ops.divide(1.0, np_ops.sqrt(np_ops.add(np_ops.mean(np_ops.square(x), axes, True), epsilon)))
    out = np_ops.multiply(x, rrms)
    s = _broadcast_param(scale, x, axes)
    return out if s is None else np_ops.multiply(out, s)
