"""Neural-network ops, as keras.ops.nn: activations, softmax, crossentropies, one-hot, convolution and pooling."""
from __future__ import annotations

from kerasish import _core
from kerasish.ops.core import convert_to_tensor
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
