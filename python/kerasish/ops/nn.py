"""Neural-network ops, as keras.ops.nn: activations, softmax, crossentropies, one-hot, convolution and pooling."""
from __future__ import annotations

import math

import numpy as np

from kerasish import _complex, _core, config
from kerasish.backend.dtypes import FLOAT_TYPES, result_type
from kerasish.ops import numpy as np_ops
from kerasish.ops.core import cast, convert_to_tensor
from kerasish.ops.numpy import reshape, transpose
from kerasish.ops.operation import KerasTensor, symbolic


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
    x = convert_to_tensor(x)
    if x.dtype in FLOAT_TYPES:
        # float labels, as Keras on JAX: a 1 where the label equals the class, so a non-integral,
        # negative, too large or NaN label gives a row of zeros
        xi = cast(x, "int64")
        x = np_ops.where(np_ops.equal(cast(xi, x.dtype), x), xi, -1)
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


def _spatial_rank(op, x, ranks=(1, 2)):
    n = x.ndim - 2
    if n not in ranks:
        dims = " and ".join(f"{r}-D" for r in ranks)
        raise ValueError(f"{op}: {dims} inputs are supported (batch, spatial..., channels); got shape {tuple(x.shape)}")
    return n


def _to_channels_last(op, x, data_format):
    """x as channels-last, and the function that puts an output back in data_format."""
    fmt = config.image_data_format() if data_format is None else data_format
    if fmt == "channels_last":
        return x, lambda y: y
    if fmt != "channels_first":
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    nd = x.ndim
    return (transpose(x, [0, *range(2, nd), 1]),
            lambda y: transpose(y, [0, nd - 1, *range(1, nd - 1)]))


def _engine_geometry(n_spatial, *per_dim):
    """Per-dim lists as the engine's 2-D arguments: a 1-D op runs with a height of 1."""
    if n_spatial == 2:
        return per_dim
    return tuple([fill, v[0]] for fill, v in zip((1, 1, 0, 1), per_dim))


def _same_or_valid(op, padding, n, k, s, d):
    """(output size, padding before, padding after) of one spatial dim, as the engine's conv
    (and JAX's "SAME": the smaller half of an odd padding goes before)."""
    span = d * (k - 1) + 1
    if _padding(op, padding) == "valid":
        out = (n - span) // s + 1 if n >= span else 0
        return out, 0, 0
    out = -(-n // s)
    total = max((max(out, 1) - 1) * s + span - n, 0)
    return out, total // 2, total - total // 2


@symbolic
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D or 2-D convolution: (batch, [h,] w, c) inputs (channels first when data_format says so)
    with a ([kh,] kw, c // groups, filters) kernel; a kernel with fewer input channels than the
    inputs makes a grouped convolution (c // kernel channels groups), as Keras's."""
    x, back = _to_channels_last("conv", convert_to_tensor(inputs), data_format)
    k = convert_to_tensor(kernel)
    _spatial_rank("conv", x)
    c, kc = x.shape[-1], k.shape[-2] if k.ndim >= 2 else None
    if k.ndim != x.ndim or kc == c or not c or kc in (None, 0) or c % kc:
        return back(conv_bias_activation(x, k, None, "linear", strides, padding, dilation_rate))
    groups, filters = c // kc, k.shape[-1]
    if filters % groups:
        raise ValueError(f"conv: {groups} groups ({c} input channels, kernel {tuple(k.shape)}) need filters "
                         f"divisible by {groups}, got {filters}")
    if kc == 1:
        # one channel per group: the depthwise convolution, with filters // c outputs per channel
        kd = reshape(k, (*k.shape[:-2], c, filters // c))
        return back(depthwise_conv(x, kd, strides, padding, "channels_last", dilation_rate))
    per = filters // groups
    parts = [conv_bias_activation(x[..., g * kc:(g + 1) * kc], k[..., g * per:(g + 1) * per], None, "linear",
                                  strides, padding, dilation_rate) for g in range(groups)]
    return back(np_ops.concatenate(parts, axis=-1))


@symbolic
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """The transpose of conv (de-convolution): (batch, [h,] w, in) inputs and a ([kh,] kw, out, in)
    kernel give (batch, [h',] w', out); output sizes and padding follow Keras's rules: "valid" gives
    (size - 1) * stride + max(dilated kernel, stride), "same" gives size * stride, and output_padding
    (None, an int or one per dim) sets the extra rows and columns after."""
    x, back = _to_channels_last("conv_transpose", convert_to_tensor(inputs), data_format)
    k = convert_to_tensor(kernel)
    n = _spatial_rank("conv_transpose", x)
    if k.ndim != n + 2:
        raise ValueError(f"conv_transpose: a {n}-D convolution needs a kernel of rank {n + 2} "
                         f"(spatial..., out, in), got shape {tuple(k.shape)}")
    st, dil = _pair("strides", strides, n), _pair("dilation_rate", dilation_rate, n)
    if output_padding is None:
        op = [None] * n
    else:
        try:
            op = [int(output_padding)] * n if isinstance(output_padding, int) else [int(v) for v in output_padding]
        except (TypeError, ValueError):
            op = None
        if op is None or len(op) != n or any(v < 0 for v in op):
            raise ValueError(f"conv_transpose: output_padding must be None, a non-negative int or {n} of them, "
                             f"got {output_padding!r}")
    pad = _padding("conv_transpose", padding)
    sizes, before = [], []
    for i in range(n):
        size, kk, s, d = x.shape[1 + i], k.shape[i], st[i], dil[i]
        keff = (kk - 1) * d + 1
        if pad == "valid":   # keras/src/backend/common/backend_utils.py, as Keras's JAX backend pads
            extra = max(keff, s) - keff if op[i] is None else op[i]
            left, right = keff - 1, keff - 1 + extra
        else:
            total = s + keff - 2 if op[i] is None else keff + keff % 2 - 2 + op[i]
            left = min(total // 2 + total % 2, keff - 1)
            right = total - left
        out = (size - 1) * s + 1 + left + right - (keff - 1) if size else 0
        if out < 0:
            raise ValueError(f"conv_transpose: inputs {tuple(x.shape)}, kernel {tuple(k.shape)} and "
                             f"output_padding {output_padding!r} give a negative output size")
        sizes.append(out)
        before.append(keff - 1 - left)
    st2, out2, pad2, dil2 = _engine_geometry(n, st, sizes, before, dil)
    return back(_core.conv_transpose(x, k, st2, out2, pad2, dil2))


@symbolic
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each input channel convolved with its own filters: (batch, [h,] w, c) inputs and a
    ([kh,] kw, c, multiplier) kernel give (batch, [h',] w', c * multiplier), output channel
    c * multiplier + m from channel c's filter m, as Keras's."""
    x, back = _to_channels_last("depthwise_conv", convert_to_tensor(inputs), data_format)
    k = convert_to_tensor(kernel)
    n = _spatial_rank("depthwise_conv", x)
    c = x.shape[-1]
    if k.ndim != n + 2 or k.shape[-2] != c:
        raise ValueError(f"depthwise_conv: inputs {tuple(x.shape)} have {c} channels; the kernel must be "
                         f"(spatial..., {c}, multiplier), got {tuple(k.shape)}")
    st, dil = _pair("strides", strides, n), _pair("dilation_rate", dilation_rate, n)
    geo = [_same_or_valid("depthwise_conv", padding, x.shape[1 + i], k.shape[i], st[i], dil[i]) for i in range(n)]
    outs = [g[0] for g in geo]
    mult = k.shape[-1]
    if 0 in outs or 0 in x.shape or mult == 0:
        dt = result_type(x.dtype, k.dtype)
        return back(np_ops.zeros((x.shape[0], *outs, c * mult), dt))
    if any(g[1] or g[2] for g in geo):
        x = np_ops.pad(x, [(0, 0), *[(b, a) for _, b, a in geo], (0, 0)])
    # a sum over the kernel's taps: each is a strided view of the (padded) inputs times that
    # tap's (c, multiplier) weights, all engine ops, so the gradient is theirs
    x = np_ops.expand_dims(x, -1)
    acc = None
    for tap in np.ndindex(*k.shape[:n]):
        idx = (slice(None), *[slice(t * d, t * d + (o - 1) * s + 1, s) for t, d, o, s in zip(tap, dil, outs, st)])
        term = x[idx] * k[tap]
        acc = term if acc is None else acc + term
    return back(reshape(acc, (x.shape[0], *outs, c * mult)))


@symbolic
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """depthwise_conv then a 1x1 conv with pointwise_kernel ([1,] 1, c * multiplier, filters)."""
    x, back = _to_channels_last("separable_conv", convert_to_tensor(inputs), data_format)
    y = depthwise_conv(x, depthwise_kernel, strides, padding, "channels_last", dilation_rate)
    return back(conv(y, pointwise_kernel, 1, "valid", "channels_last", dilation_rate))


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
def polar(abs_, angle):
    """The complex tensor abs_ * (cos(angle) + i sin(angle)) (torch.polar's): complex64, or
    complex128 when either input is float64."""
    abs_, angle = convert_to_tensor(abs_), convert_to_tensor(angle)
    return _complex.from_parts(np_ops.multiply(abs_, np_ops.cos(angle)), np_ops.multiply(abs_, np_ops.sin(angle)))


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


# ---------------------------------------------------------------- attention

def _compute_float(*xs):
    """The float dtype the tensors compute in: float64 when any is, else float32."""
    return "float64" if any(x.dtype == "float64" for x in xs) else "float32"


def _ensure_4d(t, heads):
    """A bias or mask given with fewer dims, expanded as jax.nn.dot_product_attention does: a
    (B, N, S)-like tensor gets the query axis, anything else a head axis."""
    while t.ndim < 4:
        t = np_ops.expand_dims(t, 2 if t.ndim == 3 and t.shape[1] == heads else 1)
    return t


@symbolic
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """softmax(query keyᵀ * scale + bias, masked) value, as keras.ops.dot_product_attention.

    query (B, T, N, H), key and value (B, S, K, H): K == N is multi-head attention, a K that divides
    N grouped-query attention (query head n reads key/value head n // (N // K)), as Keras / JAX
    broadcast heads. `bias` and `mask` broadcast to (B, N, T, S) (fewer dims are expanded as JAX
    does); `mask` is True where a logit takes part; masked logits get -0.7 * the dtype's max, so a
    fully masked row attends uniformly, as in JAX. `is_causal` keeps j <= i (top-left aligned).
    `attn_logits_soft_cap` caps the logits as ``cap * tanh(logits / cap)`` before masking (what
    Keras runs on TPU, through the splash-attention kernel; Keras elsewhere refuses the argument).
    Composed of matmuls and softmax, so the gradient is the engine's: the softmax runs in the
    inputs' float dtype, at least float32 (JAX always runs it in float32, so float64 results agree
    with Keras's to float32 precision only). ``flash_attention=True`` raises: kerasish has no fused
    attention kernel."""
    if flash_attention:
        raise ValueError("dot_product_attention: flash_attention=True, but flash attention is not available in "
                         "kerasish (it has no fused attention kernel); pass flash_attention=None or False")
    q, k, v = convert_to_tensor(query), convert_to_tensor(key), convert_to_tensor(value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError("`dot_product_attention` only supports 4D inputs. "
                         f"Received: query.shape={tuple(q.shape)}, key.shape={tuple(k.shape)}, value.shape={tuple(v.shape)}.")
    B, T, N, H = q.shape
    Bk, S, K, Hk = k.shape
    if Bk != B or v.shape[0] != B or v.shape[1] != S or v.shape[2] != K or Hk != H:
        raise ValueError("dot_product_attention: expected query (B, T, N, H), key (B, S, K, H) and value (B, S, K, Hv); "
                         f"got query {tuple(q.shape)}, key {tuple(k.shape)}, value {tuple(v.shape)}")
    if K == 0 or N % K:
        raise ValueError(f"dot_product_attention: the query's {N} heads must be a multiple of the key/value's {K} heads")
    dt = _compute_float(q, k, v)
    q, k, v = cast(q, dt), cast(k, dt), cast(v, dt)
    G = N // K
    if G > 1:  # head n of the query reads key/value head n // G
        k = reshape(np_ops.broadcast_to(np_ops.expand_dims(k, 3), (B, S, K, G, H)), (B, S, N, H))
        v = reshape(np_ops.broadcast_to(np_ops.expand_dims(v, 3), (B, S, K, G, v.shape[3])), (B, S, N, v.shape[3]))
    scale = 1.0 / math.sqrt(H) if scale is None else float(scale)
    logits = np_ops.multiply(np_ops.matmul(transpose(q, (0, 2, 1, 3)), transpose(k, (0, 2, 3, 1))), scale)
    for name, t in (("bias", bias), ("mask", mask)):
        if t is not None:
            t = _ensure_4d(convert_to_tensor(t), N)
            if t.shape[1] not in (1, N):
                raise ValueError(f"Expected `{name}` to have shape (B, 1, T, S) or (B, N, T, S) with N={N} "
                                 f"but got {tuple(t.shape)}.")
            if name == "bias":
                logits = np_ops.add(logits, cast(t, dt))
            else:
                mask = t if t.dtype == "bool" else np_ops.not_equal(t, 0)
    if attn_logits_soft_cap is not None:
        cap = float(attn_logits_soft_cap)
        if not cap > 0:
            raise ValueError(f"dot_product_attention: attn_logits_soft_cap must be positive, got {attn_logits_soft_cap}")
        logits = np_ops.multiply(np_ops.tanh(np_ops.divide(logits, cap)), cap)
    keep = mask if mask is not None else None
    if is_causal:
        causal = np_ops.greater_equal(reshape(_iota(T, q), (T, 1)), reshape(_iota(S, q), (1, S)))  # tril
        keep = causal if keep is None else np_ops.logical_and(keep, causal)
    if keep is not None:
        logits = np_ops.where(keep, logits, -0.7 * float(np.finfo(dt).max))
    probs = _core.softmax(logits, -1)
    return transpose(np_ops.matmul(probs, transpose(v, (0, 2, 1, 3))), (0, 2, 1, 3))


# ---------------------------------------------------------------- CTC

def _check_first_dim(name1, shape1, name2, shape2):
    if shape1[0] != shape2[0]:
        raise ValueError(f"Arguments `{name1}` and `{name2}` must have the same first dimension. "
                         f"Received shapes: `{tuple(shape1)}` and `{tuple(shape2)}`.")


def _full_on(shape, value, dtype, like):
    """A tensor of `value` on `like`'s device (ops follow their inputs, not the default device)."""
    return _core.full(tuple(shape), float(value), dtype, like.device)


def _iota(n, like=None):
    r = _core.arange(0, int(n), 1, "int64")
    return r if like is None or r.device == like.device else r.to(like.device)


@symbolic
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """The CTC loss (negative log-likelihood of each target under the per-step class logits,
    summed over every alignment), as keras.ops.ctc_loss: the log-space forward algorithm of optax
    (which Keras's JAX backend uses), one step of tensor ops per output time step, with the blank
    class `mask_index`; padded steps (beyond output_length) and labels (beyond target_length) are
    skipped. target (batch, max_label_length) ints, output (batch, max_time, num_classes) logits;
    returns (batch,) in output's dtype (at least float32). The gradient is the engine's, through
    every step."""
    target, output = convert_to_tensor(target), convert_to_tensor(output)
    target_length, output_length = convert_to_tensor(target_length), convert_to_tensor(output_length)
    if target.ndim != 2 or output.ndim != 3 or target_length.ndim != 1 or output_length.ndim != 1:
        raise ValueError("ctc_loss: expected target (batch, max_length), output (batch, max_time, num_classes) and "
                         f"(batch,) lengths; got target {tuple(target.shape)}, output {tuple(output.shape)}, "
                         f"target_length {tuple(target_length.shape)}, output_length {tuple(output_length.shape)}")
    _check_first_dim("target", target.shape, "output", output.shape)
    _check_first_dim("target_length", target_length.shape, "target", target.shape)
    _check_first_dim("output_length", output_length.shape, "output", output.shape)
    B, T, C = output.shape
    N = target.shape[1]
    mask_index = int(mask_index)
    if not 0 <= mask_index < C:
        raise ValueError(f"ctc_loss: mask_index={mask_index} is not a class of output's {C} classes")
    target = cast(target, "int64")
    output = cast(output, _compute_float(output))
    dt = output.dtype
    log_eps = -1e5

    target_pad = np_ops.greater_equal(reshape(_iota(N, output), (1, N)), np_ops.expand_dims(cast(target_length, "int64"), 1))
    output_pad = cast(np_ops.greater_equal(reshape(_iota(T, output), (1, T)),
                                           np_ops.expand_dims(cast(output_length, "int64"), 1)), dt)
    label_lengths = np_ops.subtract(N, np_ops.sum(cast(target_pad, "int64"), 1))

    logprobs = _core.log_softmax(output, -1)
    if N > 1:
        repeat = cast(np_ops.equal(target[:, :-1], target[:, 1:]), dt)
        repeat = np_ops.concatenate([repeat, _full_on((B, 1), 0, dt, output)], 1)
    else:
        repeat = _full_on((B, N), 0, dt, output)
    logprobs_phi = logprobs[:, :, mask_index:mask_index + 1]  # (B, T, 1)
    # the log-probability of each label at each step: (B, T, N)
    logprobs_emit = np_ops.matmul(logprobs, transpose(_core.one_hot(target, C, dt), (0, 2, 1)))

    phi = np_ops.concatenate([_full_on((B, 1), 0, dt, output), _full_on((B, N), log_eps, dt, output)], 1)
    emit = _full_on((B, N), log_eps, dt, output)
    blocked_repeat = np_ops.multiply(repeat, log_eps)
    blocked_other = np_ops.multiply(np_ops.subtract(1.0, repeat), log_eps)

    def update_phi(p, added):  # phi[:, 1:] <- logaddexp(phi[:, 1:], added)
        return np_ops.concatenate([p[:, :1], np_ops.logaddexp(p[:, 1:], added)], 1)

    for t in range(T):
        prev_phi = phi
        phi_in = update_phi(phi, np_ops.add(emit, blocked_repeat))  # emit -> phi, unless the next label repeats
        le, lp, pad = logprobs_emit[:, t], logprobs_phi[:, t], output_pad[:, t:t + 1]
        next_emit = np_ops.logaddexp(np_ops.add(phi_in[:, :-1], le), np_ops.add(emit, le))
        next_phi = update_phi(np_ops.add(phi_in, lp), np_ops.add(np_ops.add(emit, lp), blocked_other))
        keep = np_ops.subtract(1.0, pad)
        emit = np_ops.add(np_ops.multiply(pad, emit), np_ops.multiply(keep, next_emit))
        phi = np_ops.add(np_ops.multiply(pad, prev_phi), np_ops.multiply(keep, next_phi))

    last = update_phi(phi, emit)
    return np_ops.negative(np_ops.sum(np_ops.multiply(last, _core.one_hot(label_lengths, N + 1, dt)), 1))


def _logaddexp_inf(a, b):
    """log(exp(a) + exp(b)) that keeps -inf + -inf at -inf (no gradient needed)."""
    hi, lo = np_ops.maximum(a, b), np_ops.minimum(a, b)
    finite = np_ops.isfinite(hi)
    hi_safe = np_ops.where(finite, hi, 0.0)
    out = np_ops.add(hi, np_ops.log1p(np_ops.exp(np_ops.subtract(lo, hi_safe))))
    return np_ops.where(finite, out, hi)


def _ctc_greedy_decode(inputs, sequence_lengths, merge_repeated, mask_index):
    B, T, C = inputs.shape
    if mask_index is None:
        mask_index = C - 1
    indices = np_ops.argmax(inputs, -1)
    scores = np_ops.max(inputs, -1)
    past = np_ops.greater_equal(reshape(_iota(T, inputs), (1, T)), np_ops.expand_dims(sequence_lengths, 1))
    indices = np_ops.where(past, mask_index, indices)
    scores = np_ops.where(past, 0.0, scores)
    if merge_repeated and T > 1:
        rep = np_ops.equal(indices[:, 1:], indices[:, :-1])
        rep = np_ops.concatenate([_full_on((B, 1), 0, "bool", inputs), rep], 1)
        indices = np_ops.where(rep, mask_index, indices)
    invalid = np_ops.equal(indices, mask_index)
    indices = np_ops.where(invalid, -1, indices)
    # the kept labels first, in order, then the blanks (-1)
    order = _core.argsort(np_ops.where(invalid, T, np_ops.broadcast_to(reshape(_iota(T, inputs), (1, T)), (B, T))), -1)
    indices = np_ops.take_along_axis(indices, order, -1)
    return np_ops.expand_dims(indices, 0), np_ops.expand_dims(np_ops.negative(np_ops.sum(scores, 1)), 1)


def _min2(a, b):
    return a if a < b else b


def _unique_rows(paths, num_symbols, ncols):
    """jnp.unique(paths, axis=0, return_inverse=True, size=rows, fill_value=-1) for each batch row
    of `paths` (B, R, L) ints in [-1, num_symbols - 1], of which only the first `ncols` columns can
    differ: (the unique rows in lexicographic order, then rows of -1; the inverse (B, R)).
    Rows are sorted by stable argsorts on int64 keys that pack several columns each (an LSD radix
    sort), so no row is compared with every other."""
    B, R, L = paths.shape
    base = num_symbols + 1
    limit = 2 ** 62 if paths.device == "cpu" else 2 ** 31  # the GPU holds int64 as 32-bit integers
    per_key = 1
    while base ** (per_key + 1) < limit and per_key < ncols:
        per_key += 1
    shifted = np_ops.add(paths, 1)
    keys = []
    for start in range(0, ncols, per_key):
        stop = _min2(start + per_key, ncols)
        weights = convert_to_tensor(np.array([base ** (stop - 1 - c) for c in range(start, stop)], np.int64))
        weights = weights if weights.device == paths.device else weights.to(paths.device)
        keys.append(np_ops.sum(np_ops.multiply(shifted[:, :, start:stop], weights), -1))
    order = np_ops.broadcast_to(reshape(_iota(R, paths), (1, R)), (B, R))
    for key in reversed(keys):  # least significant first; each stable sort keeps the earlier order among ties
        order = np_ops.take_along_axis(order, _core.argsort(np_ops.take_along_axis(key, order, 1), 1), 1)
    is_new = None
    for key in keys:
        sk = np_ops.take_along_axis(key, order, 1)
        d = np_ops.not_equal(sk[:, 1:], sk[:, :-1])
        is_new = d if is_new is None else np_ops.logical_or(is_new, d)
    first = _full_on((B, 1), 1, "bool", paths)
    is_new = first if is_new is None else np_ops.concatenate([first, is_new], 1)
    uid = np_ops.subtract(_core.cumsum(cast(is_new, "int64"), 1), 1)
    inverse = np_ops.take_along_axis(uid, _core.argsort(order, 1), 1)
    # compact: the first row of each group, in sorted order, then -1 rows
    lead = np_ops.take_along_axis(order, _core.argsort(cast(np_ops.logical_not(is_new), "int64"), 1), 1)
    rows = np_ops.take_along_axis(paths, np_ops.broadcast_to(np_ops.expand_dims(lead, 2), (B, R, L)), 1)
    n_unique = np_ops.sum(cast(is_new, "int64"), 1)
    filled = np_ops.less(reshape(_iota(R, paths), (1, R, 1)), reshape(n_unique, (B, 1, 1)))
    return np_ops.where(filled, rows, -1), inverse


def _merge_scores(inverse, scores):
    """log-sum-exp of the scores of the rows that share a unique index (B, R), as Keras's
    _merge_scores: the scores' max over the whole row is taken out first."""
    B, R = scores.shape
    smax = np_ops.max(scores, 1, True)
    e = np_ops.exp(np_ops.subtract(scores, smax))
    pos = np_ops.add(inverse, np_ops.multiply(reshape(_iota(B, scores), (B, 1)), R))
    summed = reshape(_core.scatter_add(reshape(e, (-1,)), reshape(pos, (-1,)), (B * R,)), (B, R))
    return np_ops.add(np_ops.log(summed), smax)


def _ctc_beam_search_decode(inputs, sequence_lengths, beam_width, top_paths, mask_index):
    """Keras's JAX beam search (its prefix merging, pruning and tie order), batched: one set of
    tensor ops per time step for the whole batch."""
    B, T, C = inputs.shape
    W = int(beam_width)
    P, R = 2 * W, 2 * W * C
    logp = _core.log_softmax(inputs, -1)
    past = np_ops.greater_equal(reshape(_iota(T, inputs), (1, T)), np_ops.expand_dims(sequence_lengths, 1))
    if mask_index is None:
        mask_index = C - 1
    # as Keras: the classes flipped, so that its ascending sorts break ties as TensorFlow's beam search
    logp = logp[:, :, ::-1]
    blank = C - mask_index - 1

    n_init = _min2(C, W)
    top0 = _core.argsort(logp[:, 0], 1)[:, C - n_init:]
    first = np_ops.where(np_ops.equal(top0, blank), -1, top0)
    if P > n_init:
        first = np_ops.concatenate([first, _full_on((B, P - n_init), -1, "int64", inputs)], 1)
    paths = np_ops.expand_dims(first, 2)
    if T > 1:
        paths = np_ops.concatenate([paths, _full_on((B, P, T - 1), -1, "int64", inputs)], 2)
    scores = np_ops.take_along_axis(logp[:, 0], top0, 1)
    if P > n_init:
        scores = np_ops.concatenate([scores, _full_on((B, P - n_init), -np.inf, scores.dtype, inputs)], 1)
    masked = np_ops.equal(paths[:, :, 0], -1)

    classes = np_ops.where(np_ops.equal(_iota(C, inputs), blank), -1, _iota(C, inputs))
    classes = reshape(np_ops.broadcast_to(reshape(classes, (1, 1, C)), (B, P, C)), (B, R))
    blank_ext = np_ops.equal(classes, -1)
    cols = reshape(_iota(T, inputs), (1, 1, T))
    beam_masked = np_ops.concatenate([_full_on((B, W), 0, "bool", inputs), _full_on((B, W), 1, "bool", inputs)], 1)
    past_np = past.numpy()

    def rep(t, shape):  # each beam row repeated once per class
        return reshape(np_ops.broadcast_to(np_ops.expand_dims(t, 2), shape), (B, R) + shape[3:])

    for t in range(1, T):
        if past_np[:, t].all():
            continue
        # extend every path by every class (the blank, and a repeat of the last label right after
        # it without a blank, leave the path as it is)
        ext = reshape(np_ops.broadcast_to(np_ops.expand_dims(paths, 2), (B, P, C, T)), (B, R, T))
        ext_scores = rep(scores, (B, P, C))
        prev_masked = rep(masked, (B, P, C))
        tail = np_ops.argmax(np_ops.equal(ext, -1), 2)
        last = np_ops.take_along_axis(ext, np_ops.expand_dims(np_ops.maximum(np_ops.subtract(tail, 1), 0), 2), 2)[:, :, 0]
        last = np_ops.where(np_ops.equal(tail, 0), -1, last)
        merged = np_ops.logical_and(np_ops.logical_not(prev_masked), np_ops.equal(last, classes))
        written = np_ops.where(merged, -1, classes)
        ext = np_ops.where(np_ops.equal(cols, np_ops.expand_dims(tail, 2)), np_ops.expand_dims(written, 2), ext)
        x = reshape(np_ops.broadcast_to(np_ops.expand_dims(logp[:, t], 1), (B, P, C)), (B, R))
        ext_scores = np_ops.add(ext_scores, x)
        # prune: merge equal prefixes (separately for those ending in a blank and in a label), keep the best W
        uniq, inverse = _unique_rows(ext, C, _min2(t + 1, T))
        emit = _merge_scores(inverse, np_ops.where(blank_ext, -np.inf, ext_scores))
        held = _merge_scores(inverse, np_ops.where(blank_ext, ext_scores, -np.inf))
        best = _core.argsort(_logaddexp_inf(emit, held), 1)[:, R - W:]
        new_paths = np_ops.take_along_axis(uniq, np_ops.broadcast_to(np_ops.expand_dims(best, 2), (B, W, T)), 1)
        new_paths = np_ops.concatenate([new_paths, new_paths], 1)
        new_scores = np_ops.concatenate([np_ops.take_along_axis(emit, best, 1), np_ops.take_along_axis(held, best, 1)], 1)
        stay = past[:, t:t + 1]
        paths = np_ops.where(np_ops.expand_dims(stay, 2), paths, new_paths)
        scores = np_ops.where(stay, scores, new_scores)
        masked = np_ops.where(stay, masked, beam_masked)

    uniq, inverse = _unique_rows(paths, C, T)
    merged = _merge_scores(inverse, scores)
    best = _core.argsort(merged, 1)[:, P - top_paths:][:, ::-1]
    out = np_ops.take_along_axis(uniq, np_ops.broadcast_to(np_ops.expand_dims(best, 2), (B, top_paths, T)), 1)
    out_scores = np_ops.take_along_axis(merged, best, 1)
    out = np_ops.where(np_ops.equal(out, -1), -1, np_ops.subtract(C - 1, out))
    return transpose(out, (1, 0, 2)), out_scores


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
               mask_index=0):
    """Decodes CTC logits, as keras.ops.ctc_decode (its JAX backend's algorithms, eager).

    ``strategy="greedy"``: the best class at each step, repeats merged (`merge_repeated`) and the
    blank `mask_index` dropped; returns ((1, batch, max_length) labels padded with -1, (batch, 1)
    the negated sum of the chosen logits). ``strategy="beam_search"``: Keras's prefix beam search
    of width `beam_width` on the log-softmax (repeats always merged unless a blank separates
    them); returns ((top_paths, batch, max_length) labels padded with -1, (batch, top_paths)
    log-probabilities). Labels are int64 (kerasish's integer dtype; Keras gives int32). It runs
    eagerly, on concrete tensors."""
    if isinstance(inputs, KerasTensor) or isinstance(sequence_lengths, KerasTensor):
        raise TypeError("ctc_decode runs eagerly: call it on concrete tensors (the decoded model outputs), "
                        "not on symbolic keras.Input tensors")
    x = convert_to_tensor(inputs)
    if x.ndim != 3:
        raise ValueError(f"ctc_decode: inputs must be (batch_size, max_length, num_classes), got shape {tuple(x.shape)}")
    lengths = cast(convert_to_tensor(sequence_lengths), "int64")
    if lengths.ndim != 1 or lengths.shape[0] != x.shape[0]:
        raise ValueError(f"ctc_decode: sequence_lengths must be (batch_size,) = ({x.shape[0]},), got {tuple(lengths.shape)}")
    C = x.shape[2]
    if mask_index is not None and not 0 <= int(mask_index) < C:
        raise ValueError(f"ctc_decode: mask_index={mask_index} is not a class of the inputs' {C} classes")
    mask_index = None if mask_index is None else int(mask_index)
    x = cast(x, _compute_float(x))
    if strategy == "greedy":
        return _ctc_greedy_decode(x, lengths, bool(merge_repeated), mask_index)
    if strategy == "beam_search":
        if int(beam_width) < 1 or not 1 <= int(top_paths) <= int(beam_width):
            raise ValueError(f"ctc_decode: need beam_width >= 1 and 1 <= top_paths <= beam_width, "
                             f"got beam_width={beam_width}, top_paths={top_paths}")
        return _ctc_beam_search_decode(x, lengths, int(beam_width), int(top_paths), mask_index)
    raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")


# ---------------------------------------------------------------- rearranging, patches, adaptive pooling

def _data_format(op, data_format):
    df = config.image_data_format() if data_format is None else str(data_format).lower()
    if df not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return df


def _block_size(op, block_size):
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 2:
        raise ValueError(f"`block_size` must be at least 2. Received: block_size={block_size}")
    return int(block_size)


@symbolic
def depth_to_space(x, block_size, data_format="channels_last"):
    """Pixel shuffle: (N, H, W, C·r²) -> (N, H·r, W·r, C) (or channels-first), as keras.ops.depth_to_space."""
    df = _data_format("depth_to_space", data_format)
    r = _block_size("depth_to_space", block_size)
    x = convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"`depth_to_space` requires a 4D input tensor. Received: x.shape={tuple(x.shape)}")
    if df == "channels_last":
        n, h, w, c = x.shape
    else:
        n, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(f"The number of channels ({c}) must be divisible by block_size**2 ({r * r}).")
    nc = c // (r * r)
    if df == "channels_last":
        y = transpose(reshape(x, (n, h, w, r, r, nc)), (0, 1, 3, 2, 4, 5))
        return reshape(y, (n, h * r, w * r, nc))
    y = transpose(reshape(x, (n, nc, r, r, h, w)), (0, 1, 4, 2, 5, 3))
    return reshape(y, (n, nc, h * r, w * r))


@symbolic
def space_to_depth(x, block_size, data_format="channels_last"):
    """Pixel unshuffle: (N, H·r, W·r, C) -> (N, H, W, C·r²) (or channels-first), as keras.ops.space_to_depth."""
    df = _data_format("space_to_depth", data_format)
    r = _block_size("space_to_depth", block_size)
    x = convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"`space_to_depth` requires a 4D input tensor. Received: x.shape={tuple(x.shape)}")
    if df == "channels_last":
        n, h, w, c = x.shape
    else:
        n, c, h, w = x.shape
    if h % r:
        raise ValueError(f"Height ({h}) must be divisible by block_size ({r}).")
    if w % r:
        raise ValueError(f"Width ({w}) must be divisible by block_size ({r}).")
    if df == "channels_last":
        y = transpose(reshape(x, (n, h // r, r, w // r, r, c)), (0, 1, 3, 2, 4, 5))
        return reshape(y, (n, h // r, w // r, c * r * r))
    y = transpose(reshape(x, (n, c, h // r, r, w // r, r)), (0, 1, 3, 5, 2, 4))
    return reshape(y, (n, c * r * r, h // r, w // r))


def _ints(name, v, n, minimum):
    try:
        t = [int(v)] * n if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else [int(i) for i in v]
    except TypeError:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {v!r}") from None
    if len(t) != n or any(i < minimum for i in t):
        raise ValueError(f"{name} must be an int or a tuple of {n} ints >= {minimum}, got {v!r}")
    return t


def _zero_pad(x, axis, before, after):
    if before == 0 and after == 0:
        return x
    parts = []
    shape = list(x.shape)
    if before:
        shape[axis] = before
        parts.append(_full_on(shape, 0, x.dtype, x))
    parts.append(x)
    if after:
        shape[axis] = after
        parts.append(_full_on(shape, 0, x.dtype, x))
    return np_ops.concatenate(parts, axis)


@symbolic
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: the sliding (kH, kW) blocks of a channels-first (N, C, H, W) input, as
    (N, C·kH·kW, L) with L the number of blocks (row-major), as keras.ops.unfold. Composed of
    zero padding, one strided slice per kernel position and a reshape."""
    x = convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"Input must be a 4D tensor. Received: input.shape={tuple(x.shape)}")
    (kh, kw), (dh, dw) = _ints("kernel_size", kernel_size, 2, 1), _ints("dilation", dilation, 2, 1)
    (ph, pw), (sh, sw) = _ints("padding", padding, 2, 0), _ints("stride", stride, 2, 1)
    n, c, h, w = x.shape
    oh, ow = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"unfold: a {kh}x{kw} kernel (dilation {dh}x{dw}) does not fit the {h}x{w} input "
                         f"padded by {ph}x{pw}")
    x = _zero_pad(_zero_pad(x, 2, ph, ph), 3, pw, pw)
    blocks = [x[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw]
              for i in range(kh) for j in range(kw)]
    return reshape(np_ops.stack(blocks, 2), (n, c * kh * kw, oh * ow))


@symbolic
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of unfold: (N, C·kH·kW, L) blocks summed into a channels-first
    (N, C, oH, oW) image (overlaps add up), as keras.ops.fold. Composed as one scatter-add."""
    x = convert_to_tensor(x)
    if x.ndim != 3:
        raise ValueError(f"Input must be a 3D tensor. Received: input.shape={tuple(x.shape)}")
    (oh, ow), (kh, kw) = _ints("output_size", output_size, 2, 1), _ints("kernel_size", kernel_size, 2, 1)
    (dh, dw), (ph, pw) = _ints("dilation", dilation, 2, 1), _ints("padding", padding, 2, 0)
    sh, sw = _ints("stride", stride, 2, 1)
    n, ckk, L = x.shape
    if ckk % (kh * kw):
        raise ValueError(f"The second dimension of the input ({ckk}) must be divisible by kernel_size product ({kh * kw}).")
    c = ckk // (kh * kw)
    nh, nw = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if nh < 1 or nw < 1 or nh * nw != L:
        raise ValueError(f"fold: output_size {(oh, ow)} with kernel {(kh, kw)}, dilation {(dh, dw)}, padding {(ph, pw)} "
                         f"and stride {(sh, sw)} has {max(nh, 0)}x{max(nw, 0)} blocks, but the input has L={L}")
    hp, wp = oh + 2 * ph, ow + 2 * pw
    # the padded image's flat position of every (n, c, i, j, a, b) block entry
    def axis_iota(k, size, dims=6):
        shape = [1] * dims
        shape[k] = size
        return reshape(_iota(size, x), tuple(shape))
    rows = np_ops.add(np_ops.multiply(axis_iota(2, kh), dh), np_ops.multiply(axis_iota(4, nh), sh))
    cols = np_ops.add(np_ops.multiply(axis_iota(3, kw), dw), np_ops.multiply(axis_iota(5, nw), sw))
    pos = np_ops.add(np_ops.multiply(np_ops.add(np_ops.multiply(axis_iota(0, n), c), axis_iota(1, c)), hp * wp),
                     np_ops.add(np_ops.multiply(rows, wp), cols))
    pos = np_ops.broadcast_to(pos, (n, c, kh, kw, nh, nw))
    out = _core.scatter_add(reshape(x, (-1,)), reshape(pos, (-1,)), (n * c * hp * wp,))
    out = reshape(out, (n, c, hp, wp))
    return out[:, :, ph:ph + oh, pw:pw + ow] if ph or pw else out


def _adaptive_axis(x, axis, out, kind):
    """Adaptive pooling of channels-last x along one spatial `axis` to `out` windows: window i
    covers [floor(i L / out), ceil((i + 1) L / out)) (PyTorch's and Keras's windows; their sizes
    take at most two values), each size pooled by the engine's max / average pool (stride 1) and
    the windows' starts gathered."""
    shape = list(x.shape)
    L = shape[axis]
    starts = [(i * L) // out for i in range(out)]
    sizes = [-((-(i + 1) * L) // out) - s for i, s in enumerate(starts)]
    pre, post = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
    v = reshape(x, (pre, L, post, 1))
    pool = _core.max_pool if kind == "max" else _core.average_pool
    result = None
    for k in sorted(set(sizes)):
        pooled = pool(v, [k, 1], [1, 1], "valid")
        idx = convert_to_tensor(np.array([min(st, L - k) for st in starts], np.int64))  # in range for every window
        picked = np_ops.take(pooled, idx if idx.device == x.device else idx.to(x.device), 1)
        if result is None:
            result = picked
        else:
            sel = convert_to_tensor(np.array([s == k for s in sizes]).reshape(1, out, 1, 1))
            result = np_ops.where(sel if sel.device == x.device else sel.to(x.device), picked, result)
    shape[axis] = out
    return reshape(result, tuple(shape))


def _adaptive_pool(op, kind, inputs, output_size, data_format):
    df = _data_format(op, data_format)
    x = convert_to_tensor(inputs)
    dims = x.ndim - 2
    if dims not in (1, 2, 3):
        raise ValueError(f"{op} supports only 1D/2D/3D inputs (rank 3, 4 or 5), got shape {tuple(x.shape)}")
    sizes = _ints("output_size", output_size, dims, 1)
    if kind == "average":
        x = _float(x)
    if df == "channels_first":
        x = transpose(x, (0,) + tuple(range(2, dims + 2)) + (1,))
    for d, o in enumerate(sizes):
        x = _adaptive_axis(x, d + 1, o, kind)
    if df == "channels_first":
        x = transpose(x, (0, dims + 1) + tuple(range(1, dims + 1)))
    return x


@symbolic
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed `output_size` (int or one int per spatial dim) whatever the
    input size, as keras.ops.adaptive_average_pool: 1D, 2D or 3D inputs, channels-last or
    channels-first."""
    return _adaptive_pool("adaptive_average_pool", "average", inputs, output_size, data_format)


@symbolic
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed `output_size` (int or one int per spatial dim) whatever the input
    size, as keras.ops.adaptive_max_pool: 1D, 2D or 3D inputs, channels-last or channels-first."""
    return _adaptive_pool("adaptive_max_pool", "max", inputs, output_size, data_format)


# ---------------------------------------------------------------- sparsemax

@symbolic
def sparsemax(x, axis=-1):
    """max(x - tau, 0) along `axis`, tau the threshold that makes the result sum to 1 (Martins &
    Astudillo, 2016), as keras.ops.sparsemax. tau = (sum of the k largest - 1) / k, k the size of
    the support. (Keras 3.15 computes tau from the sum of the running sums over the support,
    which agrees with this only when the support has one element and otherwise does not sum to
    1; kerasish computes the published definition.)"""
    x = _float(x)
    if x.ndim == 0:
        raise ValueError("sparsemax: x must have at least one dimension")
    if not -x.ndim <= int(axis) < x.ndim:
        raise ValueError(f"sparsemax: axis {axis} is out of bounds for a tensor of rank {x.ndim}")
    ax = int(axis) % x.ndim
    n = x.shape[ax]
    srt = np_ops.take_along_axis(x, _core.argsort(x, ax, True), ax)
    csum = _core.cumsum(srt, ax)
    rshape = [1] * x.ndim
    rshape[ax] = n
    r = reshape(cast(np_ops.add(_iota(n, x), 1), x.dtype), tuple(rshape))
    support = np_ops.greater(srt, np_ops.divide(np_ops.subtract(csum, 1.0), r))
    k = np_ops.sum(cast(support, "int64"), ax, True)
    top_sum = np_ops.take_along_axis(csum, np_ops.subtract(k, 1), ax)
    tau = np_ops.divide(np_ops.subtract(top_sum, 1.0), cast(k, x.dtype))
    return np_ops.maximum(np_ops.subtract(x, tau), 0.0)
