"""The activation functions, as keras/src/activations/activations.py, and the fused bias + activation
the Dense and Conv layers end with.

Every function takes a tensor (or anything :func:`kerasish.ops.convert_to_tensor` accepts) and is
built from engine ops, so it is differentiable through the engine's autograd.
"""
from __future__ import annotations

from kerasish import _core, ops
from kerasish.backend.dtypes import FLOAT_TYPES


def _t(x):
    return ops.convert_to_tensor(x)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, as ``keras.activations.relu``.

    Default: ``max(x, 0)``. ``negative_slope`` scales values below ``threshold``, ``threshold``
    zeroes values at or below it, ``max_value`` caps the output.
    """
    x = _t(x)
    negative_slope = float(negative_slope)
    threshold = float(threshold)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0.0:
            return ops.leaky_relu(x, negative_slope=negative_slope)
        negative_part = ops.relu(threshold - x) if threshold != 0.0 else ops.relu(-x)
    if threshold != 0.0:
        x = x * ops.cast(ops.greater(x, threshold), x.dtype)
    else:
        x = ops.relu(x)
    if max_value is not None:
        x = ops.clip(x, 0.0, float(max_value))
    if negative_slope != 0.0:
        x = x - negative_slope * negative_part
    return x


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.clip(_t(x), 0.0, 6.0)


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below."""
    return ops.leaky_relu(_t(x), negative_slope=negative_slope)


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""
    return ops.elu(_t(x), alpha=alpha)


def selu(x):
    """Scaled ELU (``scale=1.0507..., alpha=1.6732...``)."""
    return ops.selu(_t(x))


def celu(x, alpha=1.0):
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    x = _t(x)
    alpha = float(alpha)
    return ops.relu(x) + ops.minimum(0.0, alpha * (ops.exp(x / alpha) - 1.0))


def softplus(x):
    """``log(exp(x) + 1)``."""
    return ops.softplus(_t(x))


def softsign(x):
    """``x / (abs(x) + 1)``."""
    x = _t(x)
    return x / (ops.abs(x) + 1.0)


def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2``."""
    x = _t(x)
    return (x + ops.sqrt(ops.square(x) + float(b))) * 0.5


def sparse_plus(x):
    """0 for ``x <= -1``, ``(x + 1)^2 / 4`` for ``-1 < x < 1``, ``x`` for ``x >= 1``."""
    x = _t(x)
    mid = ops.square(x + 1.0) * 0.25
    return ops.where(ops.less_equal(x, -1.0), ops.zeros_like(x), ops.where(ops.greater_equal(x, 1.0), x, mid))


def silu(x):
    """Swish / SiLU: ``x * sigmoid(x)``."""
    return ops.silu(_t(x))


swish = silu


def gelu(x, approximate=False):
    """Gaussian error linear unit. Keras's activation defaults to the exact (erf) form."""
    return ops.gelu(_t(x), approximate=approximate)


def glu(x, axis=-1):
    """Gated linear unit: splits ``x`` in two halves ``a, b`` along ``axis``, returns ``a * sigmoid(b)``."""
    x = _t(x)
    if x.shape[axis] % 2 != 0:
        raise ValueError(f"axis size must be divisible by 2. Received: x.shape={x.shape} with axis={axis}")
    a, b = ops.split(x, 2, axis=axis)
    return a * ops.sigmoid(b)


def tanh(x):
    return ops.tanh(_t(x))


def tanh_shrink(x):
    """``x - tanh(x)``."""
    x = _t(x)
    return x - ops.tanh(x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(_t(x))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return -ops.softplus(-_t(x))


def exponential(x):
    return ops.exp(_t(x))


def hard_sigmoid(x):
    """Keras 3's hard sigmoid: ``relu6(x + 3) / 6`` (0 below -3, 1 above 3)."""
    return ops.clip(_t(x) + 3.0, 0.0, 6.0) / 6.0


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    x = _t(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return ops.clip(_t(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = _t(x)
    return ops.where(ops.greater(ops.abs(x), float(threshold)), x, ops.zeros_like(x))


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    x = _t(x)
    t = float(threshold)
    return ops.where(ops.greater(x, t), x - t, ops.where(ops.less(x, -t), x + t, ops.zeros_like(x)))


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = _t(x)
    return ops.where(ops.greater(x, float(threshold)), x, ops.zeros_like(x) + float(default_value))


def mish(x):
    """``x * tanh(softplus(x))``."""
    x = _t(x)
    return x * ops.tanh(ops.softplus(x))


def linear(x):
    """The identity."""
    return x


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    return ops.softmax(_t(x), axis=axis)


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis``."""
    return ops.log_softmax(_t(x), axis=axis)


def fused_name(activation, y, bias):
    """The engine's name for `activation` when ``activation(y + bias)`` can run as one fused pass
    (linear, relu, sigmoid or tanh with Keras's defaults, on float tensors), else None."""
    name = _FUSED.get(activation)
    if name is not None and isinstance(y, _core.Tensor) and y.dtype in FLOAT_TYPES and (
            bias is None or bias.dtype == y.dtype):
        return name
    return None


def bias_activation(y, bias, activation):
    """``activation(y + bias)`` as layers end: one engine pass (bias_act) when the activation is
    linear, relu, sigmoid or tanh with Keras's defaults, else the two steps."""
    name = fused_name(activation, y, bias)
    if bias is None and name == "linear":
        return y
    if name is not None:
        return _core.bias_act(y, bias, name)
    if bias is not None:
        y = y + bias
    return activation(y)


_FUSED = {linear: "linear", relu: "relu", sigmoid: "sigmoid", tanh: "tanh"}
