"""NumPy-like ops, as keras.ops.numpy: elementwise math, reductions, matmul and shapes."""
from __future__ import annotations

import builtins
import functools
import math
import numbers

import numpy as np

from kerasish import _core, _tensor, config
from kerasish._core import Tensor
from kerasish.backend.dtypes import FLOAT_TYPES
from kerasish.ops.core import cast, convert_to_tensor
from kerasish.ops.core import scatter as _scatter
from kerasish.ops.operation import KerasTensor, apply_op, symbolic


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
    return _core.full(shape, 0.0, dtype or config.floatx())


@symbolic
def ones(shape, dtype=None):
    return _core.full(shape, 1.0, dtype or config.floatx())


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


# ---------------------------------------------------------------- elementwise kinds of the engine
# (each a row of the engine's unary table: rust/engine/src/kinds.rs, cpu/unary.rs, gpu/exprs.rs).
# Integers and bools compute in float32, as Keras does, except where noted.

@symbolic
def sin(x): return _core.unary("sin", x)


@symbolic
def cos(x): return _core.unary("cos", x)


@symbolic
def tan(x): return _core.unary("tan", x)


@symbolic
def arcsin(x): return _core.unary("arcsin", x)


@symbolic
def arccos(x): return _core.unary("arccos", x)


@symbolic
def arctan(x): return _core.unary("arctan", x)


@symbolic
def sinh(x): return _core.unary("sinh", x)


@symbolic
def cosh(x): return _core.unary("cosh", x)


@symbolic
def arcsinh(x): return _core.unary("arcsinh", x)


@symbolic
def arccosh(x): return _core.unary("arccosh", x)


@symbolic
def arctanh(x): return _core.unary("arctanh", x)


@symbolic
def expm1(x): return _core.unary("expm1", x)


@symbolic
def log2(x): return _core.unary("log2", x)


@symbolic
def log10(x): return _core.unary("log10", x)


@symbolic
def floor(x): return _core.unary("floor", x)


@symbolic
def ceil(x): return _core.unary("ceil", x)


@symbolic
def sign(x):
    """-1, 0 or 1 (NaN stays NaN); integers keep their dtype."""
    return _core.unary("sign", x)


@symbolic
def trunc(x):
    """Rounds toward zero; integers and bools come back as they are (Keras's rule)."""
    x = convert_to_tensor(x)
    return x if x.dtype not in FLOAT_TYPES else _core.unary("trunc", x)


@symbolic
def round(x, decimals=0):  # noqa: A001
    """Rounds half to even, as NumPy, to `decimals` places (negative: tens, hundreds, ...).
    Integers keep their dtype; with negative decimals they round through float32, as Keras does."""
    x = convert_to_tensor(x)
    decimals = int(decimals)
    is_float = x.dtype in FLOAT_TYPES
    if not is_float and decimals >= 0:
        return x
    if decimals == 0:
        return _core.unary("round", x)
    factor = 10.0 ** decimals
    xf = x if is_float else cast(x, "float32")
    y = divide(_core.unary("round", multiply(xf, factor)), factor)
    return y if is_float else cast(y, x.dtype)


# ---------------------------------------------------------------- composites (written with ops;
# they run on every device and differentiate through their parts)

def _is_float(x):
    return x.dtype in FLOAT_TYPES


def _iota(n, like):
    """int64 0..n-1 on the device of `like`."""
    r = _tensor.arange(int(n), dtype="int64")
    return r if r.device == like.device else r.to(like.device)


def _axis(axis, ndim, what):
    a = int(axis)
    if not -ndim <= a < ndim:
        raise ValueError(f"{what}: axis {axis} is out of bounds for a tensor of rank {ndim}")
    return a % ndim


@symbolic
def isnan(x):
    x = convert_to_tensor(x)
    return not_equal(x, x) if _is_float(x) else zeros_like(x, "bool")


@symbolic
def isinf(x):
    x = convert_to_tensor(x)
    return equal(abs(x), float("inf")) if _is_float(x) else zeros_like(x, "bool")


@symbolic
def isfinite(x):
    # x - x is 0 for finite values and NaN for infinities and NaNs
    x = convert_to_tensor(x)
    return equal(subtract(x, x), 0) if _is_float(x) else ones_like(x, "bool")


@symbolic
def logical_not(x): return equal(cast(x, "bool"), False)


@symbolic
def logical_and(x1, x2): return where(cast(x1, "bool"), cast(x2, "bool"), False)


@symbolic
def logical_or(x1, x2): return where(cast(x1, "bool"), True, cast(x2, "bool"))


@symbolic
def logical_xor(x1, x2): return not_equal(cast(x1, "bool"), cast(x2, "bool"))


@symbolic
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|x1 - x2| <= atol + rtol * |x2| where both are finite; infinities only equal to themselves."""
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    dt = "float64" if "float64" in (x1.dtype, x2.dtype) else "float32"
    a, b = cast(x1, dt), cast(x2, dt)
    near = less_equal(abs(subtract(a, b)), add(atol, multiply(rtol, abs(b))))
    out = logical_or(logical_and(near, logical_and(isfinite(a), isfinite(b))), equal(a, b))
    if equal_nan:
        out = logical_or(out, logical_and(isnan(a), isnan(b)))
    return out


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


@symbolic
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN -> `nan`, +inf -> `posinf` (default: the dtype's largest value), -inf -> `neginf`."""
    x = convert_to_tensor(x)
    if not _is_float(x):
        return x
    big = 1.7976931348623157e308 if x.dtype == "float64" else 3.4028234663852886e38
    posinf = big if posinf is None else posinf
    neginf = -big if neginf is None else neginf
    y = where(equal(x, float("inf")), posinf, x)
    y = where(equal(x, float("-inf")), neginf, y)
    return where(isnan(x), nan, y)


def ndim(x):
    return len(convert_to_tensor(x).shape)


def size(x):
    return math.prod(convert_to_tensor(x).shape)


@symbolic
def ravel(x): return reshape(x, (-1,))


@symbolic
def swapaxes(x, axis1, axis2):
    x = convert_to_tensor(x)
    perm = list(range(x.ndim))
    a, b = _axis(axis1, x.ndim, "swapaxes"), _axis(axis2, x.ndim, "swapaxes")
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


@symbolic
def moveaxis(x, source, destination):
    x = convert_to_tensor(x)
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: `source` ({source}) and `destination` ({destination}) must have the same number of elements")
    src = [_axis(a, x.ndim, "moveaxis") for a in src]
    dst = [_axis(a, x.ndim, "moveaxis") for a in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in `source` ({source}) or `destination` ({destination})")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


@symbolic
def flip(x, axis=None):
    """The elements in reverse order along `axis` (all axes for None): a view, no copy."""
    x = convert_to_tensor(x)
    axes = range(x.ndim) if axis is None else [_axis(a, x.ndim, "flip") for a in ([axis] if isinstance(axis, int) else axis)]
    key = tuple(slice(None, None, -1) if d in set(axes) else slice(None) for d in range(x.ndim))
    return x[key]


def _tri_mask(x, k, lower):
    """Bool (rows, cols): col <= row + k (lower) or col >= row + k (upper), on x's device."""
    if x.ndim < 2:
        raise ValueError(f"{'tril' if lower else 'triu'}: expected a tensor of rank >= 2, got shape {tuple(x.shape)}")
    n, m = x.shape[-2], x.shape[-1]
    rows = reshape(add(_iota(n, x), int(k)), (n, 1))
    cols = reshape(_iota(m, x), (1, m))
    return less_equal(cols, rows) if lower else greater_equal(cols, rows)


@symbolic
def tril(x, k=0):
    x = convert_to_tensor(x)
    return where(_tri_mask(x, k, True), x, 0)


@symbolic
def triu(x, k=0):
    x = convert_to_tensor(x)
    return where(_tri_mask(x, k, False), x, 0)


@symbolic
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of each (axis1, axis2) plane, as a new last axis (NumPy's order)."""
    x = convert_to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"diagonal: expected a tensor of rank >= 2, got shape {tuple(x.shape)}")
    a1, a2 = _axis(axis1, x.ndim, "diagonal"), _axis(axis2, x.ndim, "diagonal")
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same (both {axis1})")
    y = moveaxis(x, (a1, a2), (-2, -1))
    n, m, offset = y.shape[-2], y.shape[-1], int(offset)
    length = builtins.max(0, builtins.min(n, m - offset) if offset >= 0 else builtins.min(n + offset, m))
    i = _iota(length, y)
    rows, cols = (i, add(i, offset)) if offset >= 0 else (subtract(i, offset), i)
    return y[(Ellipsis, rows, cols)]


@symbolic
def trace(x, offset=0, axis1=0, axis2=1):
    return sum(diagonal(x, offset=offset, axis1=axis1, axis2=axis2), axis=-1)


@symbolic
def outer(x1, x2):
    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


@symbolic
def tensordot(x1, x2, axes=2):
    """Sums products over `axes` (an int: the last `axes` dims of x1 with the first of x2; or
    two lists of dims), as one matmul of the operands moved and flattened."""
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    if isinstance(axes, int):
        if axes < 0 or axes > builtins.min(x1.ndim, x2.ndim):
            raise ValueError(f"tensordot: axes={axes} does not fit operands of rank {x1.ndim} and {x2.ndim}")
        a1, a2 = list(range(x1.ndim - axes, x1.ndim)), list(range(axes))
    else:
        a1, a2 = ([a] if isinstance(a, int) else list(a) for a in axes)
        a1 = [_axis(a, x1.ndim, "tensordot") for a in a1]
        a2 = [_axis(a, x2.ndim, "tensordot") for a in a2]
    if len(a1) != len(a2) or builtins.any(x1.shape[i] != x2.shape[j] for i, j in zip(a1, a2)):
        raise ValueError(f"tensordot: shapes {tuple(x1.shape)} and {tuple(x2.shape)} do not match along axes {a1} and {a2}")
    free1 = [d for d in range(x1.ndim) if d not in a1]
    free2 = [d for d in range(x2.ndim) if d not in a2]
    k = 1
    for d in a1:
        k *= x1.shape[d]
    left = reshape(transpose(x1, free1 + a1), (-1, k))
    right = reshape(transpose(x2, a2 + free2), (k, -1))
    shape = [x1.shape[d] for d in free1] + [x2.shape[d] for d in free2]
    return reshape(matmul(left, right), tuple(shape))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced numbers from start to stop (scalars), as NumPy computes them."""
    if not isinstance(start, numbers.Number) or not isinstance(stop, numbers.Number):
        raise TypeError("linspace: start and stop must be Python numbers here, "
                        f"got {type(start).__name__} and {type(stop).__name__}")
    num = int(num)
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num}")
    div = (num - 1) if endpoint else num
    step = (stop - start) / div if div > 0 else float("nan")
    i = _tensor.arange(num, dtype="int64")
    # float64 where the device holds it (the GPU does not)
    i = cast(i, "float64" if i.device == "cpu" else "float32")
    y = add(multiply(i, step if div > 0 else 0.0), float(start))
    if endpoint and num > 1:
        y = where(equal(i, num - 1), float(stop), y)
    y = cast(y, dtype or "float32")
    return (y, step) if retstep else y


# ---------------------------------------------------------------- sorting and running sums
# (the engine's argsort and cumsum primitives; values are gathered with take_along_axis, which
# carries the gradient)

@symbolic
def argsort(x, axis=-1):
    """int64 positions that sort x along `axis` (stable; NaN last). axis=None sorts the flattened x."""
    x = convert_to_tensor(x)
    return _core.argsort(ravel(x), 0) if axis is None else _core.argsort(x, int(axis))


@symbolic
def sort(x, axis=-1):
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = ravel(x), 0
    if x.ndim == 0:
        return x
    return take_along_axis(x, _core.argsort(x, int(axis)), int(axis))


@symbolic
def cumsum(x, axis=None, dtype=None):
    """Running sums along `axis` (the flattened x for None); integers and bools sum in int64."""
    x = convert_to_tensor(x)
    if dtype is not None:
        x = cast(x, dtype)
    return _core.cumsum(ravel(x), 0) if axis is None else _core.cumsum(x, int(axis))


# ---------------------------------------------------------------- running products, products and
# searches (products as log2(n) rounds of pairwise products and scans as log2(n) doubling steps,
# so integers stay exact and zeros differentiate; searches as log2(n) halving steps of gathers)

def _promote(*dtypes):
    """The common dtype of operands (Keras's lattice, the engine's rule): the dtype of the Keras
    ops below that keep their operands' dtype."""
    return _core.promote_types(*dtypes)


def _float_result(*xs):
    """Keras's ``result_type(..., float)``: the operands' float dtype when they have one (float64
    stays float64, which Keras on JAX casts down to float32; kerasish keeps it, as its other float
    ops do), else floatx."""
    dt = _promote(*(x.dtype for x in xs))
    return dt if dt in FLOAT_TYPES else config.floatx()


def _inexact_result(*dtypes):
    """JAX's inexact promotion: the common dtype, int64 becoming float64 and the other integers
    and bools float32."""
    dt = _promote(*dtypes)
    return dt if dt in FLOAT_TYPES else "float64" if dt == "int64" else "float32"


def _wrap_to(x, dtype):
    """An integer result computed in int64 as `dtype`, wrapping as fixed-width integers do (a
    cast alone saturates)."""
    if dtype == "uint8" and x.dtype != "uint8":
        return cast(mod(x, 256), "uint8")
    return cast(x, dtype)


def _reduction_axes(axis, ndim, what):
    """The distinct axes of `axis` (None: all), non-negative and sorted."""
    if axis is None:
        return tuple(range(ndim))
    axes = sorted(_axis(a, ndim, what) for a in ([axis] if isinstance(axis, numbers.Integral) else list(axis)))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{what}: repeated axis in axis={axis}")
    return tuple(axes)


def _axes_last(x, axes):
    """x with `axes` moved to the end and flattened into one; returns it and the kept shape."""
    keep = [d for d in range(x.ndim) if d not in axes]
    kept = tuple(x.shape[d] for d in keep)
    order = keep + list(axes)
    y = x if order == list(range(x.ndim)) else transpose(x, order)
    return reshape(y, kept + (math.prod(x.shape[d] for d in axes),)), kept


def _kept_dims(shape, axes):
    return tuple(1 if d in axes else s for d, s in enumerate(shape))


def _prod_last(x):
    """The product over the last axis: log2(n) rounds of pairwise products."""
    if x.shape[-1] == 0:
        return _core.full(tuple(x.shape[:-1]), 1.0, x.dtype, x.device)
    while x.shape[-1] > 1:
        n = x.shape[-1]
        pairs = multiply(x[..., 0:n - 1:2], x[..., 1:n:2])
        x = concatenate([pairs, cast(x[..., n - 1:], pairs.dtype)], -1) if n % 2 else pairs
    return x[..., 0]


@symbolic
def prod(x, axis=None, keepdims=False, dtype=None):
    """The product of the elements over `axis` (all of them for None). Bools and uint8 multiply
    in int64 (Keras: int32 and uint64, dtypes kerasish lacks); integers wrap as Keras's do."""
    x = convert_to_tensor(x)
    if dtype is not None:
        x = cast(x, dtype)
    out_dt = dtype or (x.dtype if x.dtype in ("int64", "float32", "float64") else "int64")
    axes = _reduction_axes(axis, x.ndim, "prod")
    y, _ = _axes_last(x, axes)
    r = _wrap_to(_prod_last(y if _is_float(y) else cast(y, "int64")), out_dt)
    return reshape(r, _kept_dims(x.shape, axes)) if keepdims else r


@symbolic
def nanprod(x, axis=None, keepdims=False):
    """prod with NaNs counted as ones (an all-NaN slice gives 1)."""
    return prod(_nan_fill(x, 1.0), axis=axis, keepdims=keepdims)


def _scan(x, axis, op):
    """The inclusive scan of `op` along `axis`: log2(n) doubling steps (Hillis and Steele)."""
    n, lead = x.shape[axis], (slice(None),) * axis
    d = 1
    while d < n:
        x = concatenate([x[lead + (slice(0, d),)], op(x[lead + (slice(d, None),)], x[lead + (slice(0, n - d),)])], axis)
        d *= 2
    return x


def _running(x, axis, dtype, fill, what):
    """(x as the op computes it, the axis, the result dtype) of cumprod and the nan-cumulatives:
    bools give int64, other dtypes keep theirs (integers compute in int64 and wrap back)."""
    x = convert_to_tensor(x)
    if dtype is not None:
        x = cast(x, dtype)
    out_dt = "int64" if x.dtype == "bool" else x.dtype
    if fill is not None:
        x = _nan_fill(x, fill)
    if axis is None:
        x, axis = ravel(x), 0
    return (x if _is_float(x) else cast(x, "int64")), _axis(axis, x.ndim, what), out_dt


@symbolic
def cumprod(x, axis=None, dtype=None):
    """Running products along `axis` (the flattened x for None)."""
    x, axis, out_dt = _running(x, axis, dtype, None, "cumprod")
    return _wrap_to(_scan(x, axis, multiply), out_dt)


@symbolic
def nancumprod(x, axis=None, dtype=None):
    """cumprod with NaNs counted as ones."""
    x, axis, out_dt = _running(x, axis, dtype, 1.0, "nancumprod")
    return _wrap_to(_scan(x, axis, multiply), out_dt)


@symbolic
def nancumsum(x, axis=None, dtype=None):
    """Running sums with NaNs counted as zeros; bools give int64, uint8 stays uint8 (wrapping)."""
    x, axis, out_dt = _running(x, axis, dtype, 0.0, "nancumsum")
    return _wrap_to(_core.cumsum(x, axis), out_dt)


@symbolic
def argpartition(x, kth, axis=-1):
    """Positions that partition x along `axis` (the flattened x for None) around its kth smallest
    element: the element at position kth is the one sorting puts there, smaller ones come before
    it and larger ones after. The order within each side is unspecified in Keras; this gives the
    stable sorting order (NaN last). int64 positions (Keras: int32)."""
    if isinstance(kth, bool) or not isinstance(kth, numbers.Integral):
        raise ValueError(f"argpartition: kth must be an integer, got {kth!r}")
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = ravel(x), 0
    if x.ndim == 0:
        raise ValueError("argpartition: x must have at least one dimension")
    axis = _axis(axis, x.ndim, "argpartition")
    n = x.shape[axis]
    if not -n <= int(kth) < n:
        raise ValueError(f"argpartition: kth={kth} is out of bounds for an axis of size {n}")
    return _core.argsort(x, axis)


def _before(a, v, right):
    """a < v (a <= v when `right`) in sorting's order, where NaN comes after every number."""
    if right:
        out = less_equal(a, v)
        return logical_or(out, isnan(v)) if _is_float(v) else out
    out = less(a, v)
    if _is_float(v):
        out = logical_or(out, logical_and(isnan(v), logical_not(isnan(a))))
    return out


def _search(a, v, right):
    """For each value of v, how many elements of the sorted 1-D `a` come before it (int64): a
    binary search of log2(len(a)) steps, each one gather and one comparison."""
    n = a.shape[0]
    pos = _core.full(tuple(v.shape), 0.0, "int64", v.device)
    step = 1 << (n.bit_length() - 1) if n else 0
    while step:
        cand = add(pos, step)
        probe = take(a, minimum(subtract(cand, 1), n - 1), 0)
        pos = where(logical_and(less_equal(cand, n), _before(probe, v, right)), cand, pos)
        step >>= 1
    return pos


@symbolic
def searchsorted(sorted_sequence, values, side="left"):
    """Where each value would go in the 1-D ascending `sorted_sequence` to keep it sorted: the
    first such position (side="left") or the last ("right"). NaN sorts after every number, as in
    Keras. int64 positions (Keras: int32)."""
    a, v = convert_to_tensor(sorted_sequence), convert_to_tensor(values)
    if a.ndim != 1:
        raise ValueError("searchsorted: sorted_sequence must be 1-D (keras.ops.vectorized_map extends it to N-D), "
                         f"got shape {tuple(a.shape)}")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    return _search(a, v, side == "right")


@symbolic
def digitize(x, bins):
    """The index of the bin of `bins` (1-D, ascending or descending) each element falls in:
    bins[i-1] <= x < bins[i] (ascending) or bins[i-1] > x >= bins[i] (descending). int64 (Keras:
    int32)."""
    x, b = convert_to_tensor(x), convert_to_tensor(bins)
    if b.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-D, got shape {tuple(b.shape)}")
    n = b.shape[0]
    if n == 0:
        return _core.full(tuple(x.shape), 0.0, "int64", x.device)
    up = _search(b, x, True)
    down = subtract(n, _search(flip(b, 0), x, True))
    return where(greater_equal(b[n - 1], b[0]), up, down)


@symbolic
def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of x1 occurs in x2 (NaN never does), as one sort of x2 and a binary
    search; `invert` gives the opposite."""
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    if x2.ndim == 0 and x2.device != x1.device:
        x2 = x2.to(x1.device)  # a Python number is a 0-d CPU scalar; its sorted copy is 1-d
    s = sort(ravel(x2))
    m = s.shape[0]
    if m == 0:
        found = zeros_like(x1, "bool")
    else:
        i = _search(s, x1, False)
        found = logical_and(less(i, m), equal(take(s, minimum(i, m - 1), 0), x1))
    return logical_not(found) if invert else found


# ---------------------------------------------------------------- quantiles (sorted values,
# gathered and interpolated as jnp.quantile does: they differentiate through the gather)

_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x, q, axis, method, keepdims, skip_nan, what, int64_as_float32=False, scale=1.0, dtype=None):
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"{what}: method must be one of {', '.join(_QUANTILE_METHODS)}; got {method!r}")
    x = convert_to_tensor(x)
    # the result has x's float dtype (q's does not join in, as in jnp.quantile); a Python number q
    # is taken exactly, a list as a tensor (floats in float32, as Keras converts it)
    qt = convert_to_tensor(np.float64(q) if isinstance(q, numbers.Number) else q)
    if qt.ndim > 1:
        raise ValueError(f"{what}: q must be a scalar or 1-D, got shape {tuple(qt.shape)}")
    qv = np.asarray(qt.numpy(), dtype=np.float64)
    if not np.all((qv >= 0) & (qv <= scale)):
        raise ValueError(f"{what}: q must be in [0, {scale:g}], got {qv.tolist()}")
    dt = dtype or _inexact_result("float32" if int64_as_float32 and x.dtype == "int64" else x.dtype)
    axes = _reduction_axes(axis, x.ndim, what)
    y, kept = _axes_last(cast(x, dt), axes)
    n = y.shape[-1]
    if n == 0:
        raise ValueError(f"{what}: cannot be computed over an empty axis (x of shape {tuple(x.shape)}, axis={axis})")
    if not skip_nan:
        y = where(any(isnan(y), -1, True), float("nan"), y)
    y = sort(y, -1)
    qshape, nq = tuple(qt.shape), qt.ndim
    qt = cast(qt, dt)
    qt = qt if qt.device == x.device else qt.to(x.device)
    if scale != 1.0:
        qt = divide(qt, float(scale))
    qb = reshape(qt, qshape + (1,) * (len(kept) + 1))
    if skip_nan:
        last = subtract(reshape(sum(cast(logical_not(isnan(y)), dt), -1, True), (1,) * nq + kept + (1,)), 1.0)
    else:
        last = float(n - 1)
    pos = multiply(qb, last)
    low, high = floor(pos), ceil(pos)
    hw = subtract(pos, low)
    lw = subtract(1.0, hw)
    low, high = maximum(0.0, minimum(low, last)), maximum(0.0, minimum(high, last))
    full_shape = qshape + kept + (n,)
    yb = broadcast_to(reshape(y, (1,) * nq + kept + (n,)), full_shape)
    idx_shape = qshape + kept + (1,)

    def value(i):
        return take_along_axis(yb, broadcast_to(cast(i, "int64"), idx_shape), -1)[..., 0]

    lv, hv = value(low), value(high)
    lw, hw = broadcast_to(lw, idx_shape)[..., 0], broadcast_to(hw, idx_shape)[..., 0]
    if method == "linear":
        out = add(multiply(lv, lw), multiply(hv, hw))
    elif method == "lower":
        out = lv
    elif method == "higher":
        out = hv
    elif method == "nearest":
        out = where(less_equal(hw, 0.5), lv, hv)
    else:
        out = multiply(add(lv, hv), 0.5)
    return reshape(out, qshape + _kept_dims(x.shape, axes)) if keepdims else out


@symbolic
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th quantiles (q in [0, 1], a scalar or 1-D) over `axis` (all for None); a slice with a
    NaN gives NaN. Several q: their axis comes first. Integers compute in float32 (Keras casts
    int64 to floatx)."""
    return _quantile(x, q, axis, method, keepdims, False, "quantile", int64_as_float32=True)


@symbolic
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """quantile ignoring NaNs (an all-NaN slice gives NaN); int64 computes in float64, as Keras's does."""
    return _quantile(x, q, axis, method, keepdims, True, "nanquantile")


@symbolic
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """quantile with q in percent ([0, 100]); int64 computes in float64, as Keras's does."""
    return _quantile(x, q, axis, method, keepdims, False, "percentile", scale=100.0)


@symbolic
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return _quantile(x, q, axis, method, keepdims, True, "nanpercentile", scale=100.0)


@symbolic
def median(x, axis=None, keepdims=False):
    """The median over `axis` (all for None): the mean of the two middle values of an even count.
    Integers give float32 (Keras casts int64 to floatx)."""
    return _quantile(x, 0.5, axis, "midpoint", keepdims, False, "median", int64_as_float32=True)


@symbolic
def nanmedian(x, axis=None, keepdims=False):
    """median ignoring NaNs (an all-NaN slice gives NaN); int64 computes in float64, as Keras's does."""
    return _quantile(x, 0.5, axis, "midpoint", keepdims, True, "nanmedian")


# ---------------------------------------------------------------- einsum (composed: diagonals,
# sums, transposes and batched matmuls, so it differentiates and runs on every device)

def _einsum_parse(subscripts, operands):
    s = subscripts.replace(" ", "")
    ins, arrow, out = s.partition("->")
    terms = ins.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands, got {len(operands)}")
    used = set(c for c in s if c.isalpha())
    spare = (c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used)
    n_ell = builtins.max([x.ndim - len(t.replace("...", "")) for t, x in zip(terms, operands) if "..." in t] or [0])
    ell = "".join(next(spare) for _ in range(n_ell))
    labels = []
    for t, x in zip(terms, operands):
        if "..." in t:
            k = x.ndim - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k:] if k else "")
        if not builtins.all(c.isalpha() for c in t) or len(t) != x.ndim:
            raise ValueError(f"einsum: term {t!r} of {subscripts!r} does not fit an operand of shape {tuple(x.shape)}")
        labels.append(t)
    if arrow:
        out = out.replace("...", ell)
        if not builtins.all(c.isalpha() for c in out) or len(set(out)) != len(out):
            raise ValueError(f"einsum: bad output {out!r} in {subscripts!r}")
        missing = [c for c in out if not builtins.any(c in t for t in labels)]
        if missing:
            raise ValueError(f"einsum: output subscript {missing[0]!r} does not appear in the inputs of {subscripts!r}")
    else:
        counts = {}
        for t in labels:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return labels, out


def _einsum_diagonals(x, lab):
    """Takes the diagonal over each repeated label of one operand (so each label appears once)."""
    while len(set(lab)) != len(lab):
        c = next(c for c in lab if lab.count(c) > 1)
        i = lab.index(c)
        j = lab.index(c, i + 1)
        x = diagonal(x, 0, i, j)
        lab = lab[:i] + lab[i + 1:j] + lab[j + 1:] + c
    return x, lab


def _einsum_sum_out(x, lab, keep):
    axes = [i for i, c in enumerate(lab) if c not in keep]
    if axes:
        x = sum(x, axis=tuple(axes))
        lab = "".join(c for c in lab if c in keep)
    return x, lab


def _einsum_pair(a, la, b, lb, keep):
    batch = [c for c in la if c in lb and c in keep]
    contract = [c for c in la if c in lb and c not in keep]
    fa = [c for c in la if c not in lb]
    fb = [c for c in lb if c not in la]
    a = transpose(a, [la.index(c) for c in batch + fa + contract])
    b = transpose(b, [lb.index(c) for c in batch + contract + fb])
    size = lambda x, n0, n: math.prod(x.shape[n0:n0 + n])  # noqa: E731
    nb = len(batch)
    m, k, n = size(a, nb, len(fa)), size(a, nb + len(fa), len(contract)), size(b, nb + len(contract), len(fb))
    bshape_a, bshape_b = tuple(a.shape[:nb]), tuple(b.shape[:nb])
    y = matmul(reshape(a, bshape_a + (m, k)), reshape(b, bshape_b + (k, n)))
    out_shape = tuple(y.shape[:nb]) + tuple(a.shape[nb:nb + len(fa)]) + tuple(b.shape[nb + len(contract):])
    return reshape(y, out_shape), "".join(batch + fa + fb)



@symbolic
def einsum(subscripts, *operands):
    """Einstein summation over `subscripts` (NumPy's notation: ``"ij,jk->ik"``, ``"...ij->...ji"``,
    repeated labels for diagonals, implicit output), composed from diagonals, sums, transposes and
    batched matmuls, contracting operands left to right."""
    xs = [convert_to_tensor(x) for x in operands]
    labels, out = _einsum_parse(subscripts, xs)
    xs_labs = [_einsum_diagonals(x, lab) for x, lab in zip(xs, labels)]
    # a label one operand alone has, and that neither the output nor another operand needs, is summed first
    for i, (x, lab) in enumerate(xs_labs):
        others = out + "".join(lb for j, (_, lb) in enumerate(xs_labs) if j != i)
        xs_labs[i] = _einsum_sum_out(x, lab, others)
    x, lab = xs_labs[0]
    for i in range(1, len(xs_labs)):
        y, ly = xs_labs[i]
        keep = out + "".join(lb for _, lb in xs_labs[i + 1:])
        x, lab = _einsum_pair(x, lab, y, ly, keep)
    x, lab = _einsum_sum_out(x, lab, out)
    return transpose(x, [lab.index(c) for c in out]) if lab != out else x


# ---------------------------------------------------------------- creation and rearrangement

def array(x, dtype=None):
    return convert_to_tensor(x, dtype)


def full(shape, fill_value, dtype=None):
    return _tensor.full(shape, fill_value, dtype)


@symbolic
def full_like(x, fill_value, dtype=None):
    x = convert_to_tensor(x)
    return _core.full(x.shape, float(fill_value), dtype or x.dtype, x.device)


def eye(N, M=None, k=0, dtype=None):
    return _tensor.eye(N, M, k, dtype or config.floatx())


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below diagonal k of an N x M matrix."""
    M = N if M is None else M
    rows = reshape(add(_tensor.arange(int(N), dtype="int64"), int(k)), (N, 1))
    cols = reshape(_tensor.arange(int(M), dtype="int64"), (1, M))
    return cast(less_equal(cols, rows), dtype or config.floatx())


@symbolic
def unstack(x, num=None, axis=0):
    x = convert_to_tensor(x)
    axis = _axis(axis, x.ndim, "unstack")
    n = x.shape[axis]
    if num is not None and int(num) != n:
        raise ValueError(f"unstack: num={num} does not match the {n} entries along axis {axis} of shape {tuple(x.shape)}")
    return [squeeze(part, axis) for part in split(x, n, axis)] if n else []


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D tensors (broadcast views, no copies); 'xy' swaps the first two
    axes of the result as NumPy does."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [reshape(convert_to_tensor(v), (-1,)) for v in x]
    shape = [v.shape[0] for v in xs]
    if indexing == "xy" and len(xs) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, v in enumerate(xs):
        d = 1 - i if indexing == "xy" and i < 2 and len(xs) >= 2 else i
        dims = [1] * len(xs)
        dims[d] = v.shape[0]
        out.append(broadcast_to(reshape(v, tuple(dims)), tuple(shape)))
    return out


@symbolic
def tile(x, repeats):
    """x repeated `repeats` times along each axis (NumPy's rule for mismatched lengths), as one
    broadcast and one reshape."""
    x = convert_to_tensor(x)
    reps = [int(repeats)] if isinstance(repeats, int) else [int(r) for r in repeats]
    if builtins.any(r < 0 for r in reps):
        raise ValueError(f"tile: repeats must be non-negative, got {repeats}")
    nd = builtins.max(x.ndim, len(reps))
    dims = [1] * (nd - x.ndim) + list(x.shape)
    reps = [1] * (nd - len(reps)) + reps
    y = reshape(x, tuple(v for d in dims for v in (1, d)))
    y = broadcast_to(y, tuple(v for r, d in zip(reps, dims) for v in (r, d)))
    return reshape(y, tuple(r * d for r, d in zip(reps, dims)))


@symbolic
def repeat(x, repeats, axis=None):
    """Each element repeated `repeats` times along `axis` (the flattened x for None); `repeats`
    an int, or one count per element of that axis."""
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = ravel(x), 0
    axis = _axis(axis, x.ndim, "repeat")
    n = x.shape[axis]
    if isinstance(repeats, int) or getattr(repeats, "ndim", 1) == 0:
        r = int(repeats)
        if r < 0:
            raise ValueError(f"repeat: repeats must be non-negative, got {r}")
        y = expand_dims(x, axis + 1)
        shape = list(y.shape)
        shape[axis + 1] = r
        y = broadcast_to(y, tuple(shape))
        out = list(x.shape)
        out[axis] = n * r
        return reshape(y, tuple(out))
    counts = [int(c) for c in (repeats.numpy().tolist() if hasattr(repeats, "numpy") else repeats)]
    if len(counts) != n or builtins.any(c < 0 for c in counts):
        raise ValueError(f"repeat: expected {n} non-negative counts for axis {axis}, got {counts}")
    idx = [i for i, c in enumerate(counts) for _ in range(c)]
    return take(x, _core.tensor(idx, "int64").to(x.device) if idx else _iota(0, x), axis)


@symbolic
def roll(x, shift, axis=None):
    """Elements shifted by `shift` along `axis` (the flattened x for None), wrapping around."""
    x = convert_to_tensor(x)
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), tuple(x.shape))
    shifts = [shift] if isinstance(shift, int) else list(shift)
    axes = [axis] if isinstance(axis, int) else list(axis)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {shift} and axis {axis} must have the same length")
    for s, a in zip(shifts, axes):
        a = _axis(a, x.ndim, "roll")
        n = x.shape[a]
        s = int(s) % n if n else 0
        if s:
            lead = (slice(None),) * a
            x = concatenate([x[lead + (slice(n - s, None),)], x[lead + (slice(0, n - s),)]], a)
    return x


# ---------------------------------------------------------------- more composites

@symbolic
def count_nonzero(x, axis=None):
    return sum(cast(not_equal(x, 0), "int64"), axis=axis)


@symbolic
def diff(a, n=1, axis=-1):
    """The n-th discrete difference along `axis`."""
    x = convert_to_tensor(a)
    axis = _axis(axis, x.ndim, "diff")
    lead = (slice(None),) * axis
    for _ in range(int(n)):
        x = subtract(x[lead + (slice(1, None),)], x[lead + (slice(None, -1),)])
    return x


@symbolic
def append(x1, x2, axis=None):
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], 0)
    return concatenate([x1, x2], axis)


@symbolic
def hstack(xs):
    xs = [convert_to_tensor(x) for x in xs]
    return concatenate(xs, 0 if xs and xs[0].ndim == 1 else 1)


@symbolic
def vstack(xs):
    xs = [convert_to_tensor(x) for x in xs]
    return concatenate([reshape(x, (1, -1)) if x.ndim == 1 else x for x in xs], 0)


@symbolic
def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)) without overflow: max + log1p(exp(-|x1 - x2|))."""
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    if not _is_float(x1) and not _is_float(x2):
        x1 = cast(x1, "float32")
    return add(maximum(x1, x2), log1p(exp(negative(abs(subtract(x1, x2))))))


@symbolic
def hypot(x1, x2):
    return sqrt(add(square(x1), square(x2)))


@symbolic
def deg2rad(x):
    x = convert_to_tensor(x)
    return multiply(x if _is_float(x) else cast(x, "float32"), 0.017453292519943295)


@symbolic
def rad2deg(x):
    x = convert_to_tensor(x)
    return multiply(x if _is_float(x) else cast(x, "float32"), 57.29577951308232)


@symbolic
def vdot(x1, x2):
    return sum(multiply(ravel(x1), ravel(x2)))


@symbolic
def inner(x1, x2):
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([x1.ndim - 1], [x2.ndim - 1]))


@symbolic
def average(x, axis=None, weights=None):
    if weights is None:
        return mean(x, axis=axis)
    x, w = convert_to_tensor(x), convert_to_tensor(weights)
    if axis is not None and w.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[_axis(axis, x.ndim, "average")] = w.shape[0]
        w = reshape(w, tuple(shape))
    return divide(sum(multiply(x, w), axis=axis), sum(broadcast_to(w, tuple(x.shape)), axis=axis))


@symbolic
def ptp(x, axis=None, keepdims=False):
    return subtract(max(x, axis, keepdims), min(x, axis, keepdims))


amax = max
amin = min


@symbolic
def exp2(x):
    x = convert_to_tensor(x)
    return power(2.0, x if _is_float(x) else cast(x, "float32"))


@symbolic
def reciprocal(x):
    x = convert_to_tensor(x)
    return divide(1.0, x if _is_float(x) else cast(x, "float32"))


@symbolic
def heaviside(x1, x2):
    x1 = convert_to_tensor(x1)
    return where(less(x1, 0), 0, where(greater(x1, 0), 1, x2))


# ---------------------------------------------------------------- more elementwise composites

@symbolic
def arctan2(x1, x2):
    """The angle of the point (x2, x1) in radians, in [-pi, pi], with IEEE's rules for signed
    zeros and infinities. Composed from arctan of the smaller over the larger magnitude, so the
    gradient is finite everywhere but at the origin. Integers compute in float32."""
    y, x = convert_to_tensor(x1), convert_to_tensor(x2)
    dt = _float_result(y, x)
    y, x = cast(y, dt), cast(x, dt)
    s = cast(where(signbit(y), -1.0, 1.0), dt)  # the sign of y, -0.0 included
    swap = greater(abs(y), abs(x))
    num, den = where(swap, x, y), where(swap, y, x)
    t = divide(num, where(equal(den, 0), 1.0, den))
    a = where(equal(t, 0), t, arctan(t))  # keeps the sign of a zero (the GPU's arctan drops it)
    flat = where(signbit(x), add(a, multiply(s, math.pi)), a)  # |y| <= |x|: the angle of y/x, turned by pi for x < 0
    steep = subtract(multiply(s, math.pi / 2), a)  # |y| > |x|: pi/2 minus the angle of x/y
    corner = where(greater(x, 0), multiply(s, math.pi / 4), multiply(s, 3 * math.pi / 4))  # both infinite
    return where(logical_and(isinf(x), isinf(y)), corner, where(swap, steep, flat))


@symbolic
def angle(x):
    """The angle of each element as a complex number: 0 for positive reals and +0.0, pi for
    negative ones and -0.0 (arctan2(0, x)), NaN for NaN."""
    x = convert_to_tensor(x)
    return arctan2(zeros_like(x, _float_result(x)), x)


@symbolic
def sinc(x):
    """sin(pi x) / (pi x), and 1 at 0 (with gradient 0 there)."""
    x = convert_to_tensor(x)
    x = cast(x, _float_result(x))
    zero = equal(x, 0)
    px = where(zero, 1.0, multiply(x, math.pi))
    return where(zero, 1.0, divide(sin(px), px))


@symbolic
def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2) without overflow: max + log2(1 + 2**-|x1 - x2|) (x1 + x2 where the
    difference is NaN, as for two equal infinities)."""
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    dt = _float_result(x1, x2)
    x1, x2 = cast(x1, dt), cast(x2, dt)
    delta = subtract(x1, x2)
    tail = divide(log1p(power(2.0, negative(abs(delta)))), math.log(2.0))
    return where(isnan(delta), add(x1, x2), add(maximum(x1, x2), tail))


@symbolic
def ldexp(x1, x2):
    """x1 * 2**x2 for an integer exponent x2, exact while the result is a normal number: the
    exponent applied in three powers of two, each representable, so that large exponents do not
    overflow on the way. Integers x1 compute in float32 (int64 in float64), as Keras's do."""
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    if x2.dtype not in ("uint8", "int64"):
        raise TypeError(f"ldexp: the exponent x2 must be an integer tensor, got dtype {x2.dtype}")
    dt = _inexact_result(x1.dtype)
    y = cast(x1, dt)
    lim = 126 if dt == "float32" else 1022
    e = clip(cast(x2, "int64"), -3 * lim, 3 * lim)
    e1 = floor_divide(e, 3)
    e2 = floor_divide(subtract(e, e1), 2)
    e3 = subtract(subtract(e, e1), e2)
    for part in (e1, e2, e3):
        y = multiply(y, power(2.0, cast(part, dt)))
    return y


@symbolic
def nextafter(x1, x2):
    """The next representable number after x1 in the direction of x2 (x2 itself where they are
    equal, NaN where either is), exact: the binary exponent of |x1| is found by a binary search
    against a table of powers of two, and x1 moves by one unit in its last place (half of one just
    below a power of two), an addition whose result is representable. Integers compute in
    float32 (int64 in float64), as in Keras."""
    a, b = convert_to_tensor(x1), convert_to_tensor(x2)
    dt = _inexact_result(a.dtype, b.dtype)
    dev = b.device if a.device == "cpu" else a.device  # a 0-d CPU scalar joins a GPU operand
    shape = tuple(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
    a, b = broadcast_to(cast(a, dt).to(dev), shape), broadcast_to(cast(b, dt).to(dev), shape)
    bits, emin, emax, biggest = (23, -149, 127, 3.4028234663852886e38) if dt == "float32" else \
        (52, -1074, 1023, 1.7976931348623157e308)
    table = _core.tensor([2.0 ** k for k in range(emin, emax + 1)], dt).to(dev)  # exact powers of two

    def two_to(k):
        return take(table, subtract(k, emin), 0)

    m = abs(a)
    e = _core.full(shape, float(emin), "int64", dev)  # floor(log2 |a|), within [emin, emax]
    step = 1 << ((emax - emin).bit_length() - 1)
    while step:
        cand = add(e, step)
        e = where(logical_and(less_equal(cand, emax), greater_equal(m, two_to(minimum(cand, emax)))), cand, e)
        step >>= 1
    q = maximum(subtract(e, bits), emin)
    up = greater(b, a)
    toward_zero = logical_not(logical_xor(up, less(a, 0)))
    # just below a normal power of two the spacing halves
    halve = logical_and(logical_and(equal(m, two_to(e)), greater(q, emin)), toward_zero)
    d = two_to(where(halve, subtract(q, 1), q))
    r = where(up, add(a, d), subtract(a, d))
    r = where(equal(r, 0), multiply(a, 0.0), r)  # reaching zero keeps x1's sign
    tiny = two_to(_core.full(shape, float(emin), "int64", dev))
    r = where(equal(a, 0), where(up, tiny, negative(tiny)), r)
    big = _core.full(shape, biggest, dt, dev)
    r = where(isinf(a), where(up, negative(big), big), r)  # from an infinity toward the finite numbers
    r = where(equal(a, b), b, r)
    return where(logical_or(isnan(a), isnan(b)), float("nan"), r)


# Chebyshev coefficients of exp(-x) I0(x) on [0, 8] and of exp(-x) sqrt(x) I0(x) on [8, inf)
# (Cephes, as numpy.i0 uses them)
_I0_A = (-4.4153416464793395e-18, 3.3307945188222384e-17, -2.431279846547955e-16, 1.715391285555133e-15,
         -1.1685332877993451e-14, 7.676185498604936e-14, -4.856446783111929e-13, 2.95505266312964e-12,
         -1.726826291441556e-11, 9.675809035373237e-11, -5.189795601635263e-10, 2.6598237246823866e-09,
         -1.300025009986248e-08, 6.046995022541919e-08, -2.670793853940612e-07, 1.1173875391201037e-06,
         -4.4167383584587505e-06, 1.6448448070728896e-05, -5.754195010082104e-05, 0.00018850288509584165,
         -0.0005763755745385824, 0.0016394756169413357, -0.004324309995050576, 0.010546460394594998,
         -0.02373741480589947, 0.04930528423967071, -0.09490109704804764, 0.17162090152220877,
         -0.3046826723431984, 0.6767952744094761)
_I0_B = (-7.233180487874754e-18, -4.830504485944182e-18, 4.46562142029676e-17, 3.461222867697461e-17,
         -2.8276239805165836e-16, -3.425485619677219e-16, 1.7725601330565263e-15, 3.8116806693526224e-15,
         -9.554846698828307e-15, -4.150569347287222e-14, 1.54008621752141e-14, 3.8527783827421426e-13,
         7.180124451383666e-13, -1.7941785315068062e-12, -1.3215811840447713e-11, -3.1499165279632416e-11,
         1.1889147107846439e-11, 4.94060238822497e-10, 3.3962320257083865e-09, 2.266668990498178e-08,
         2.0489185894690638e-07, 2.8913705208347567e-06, 6.889758346916825e-05, 0.0033691164782556943,
         0.8044904110141088)


def _chbevl(t, coeffs):
    """The Chebyshev series with `coeffs` at t (Clenshaw's recurrence, one step per coefficient)."""
    b0, b1, b2 = add(zeros_like(t), coeffs[0]), 0.0, 0.0
    for c in coeffs[1:]:
        b2, b1 = b1, b0
        b0 = add(subtract(multiply(t, b1), b2), c)
    return multiply(subtract(b0, b2), 0.5)


@symbolic
def i0(x):
    """The modified Bessel function of the first kind, order 0, from Cephes's Chebyshev series
    (as numpy.i0); it differentiates through them. int64 and float64 give float64, the rest
    float32, as in Keras."""
    x = convert_to_tensor(x)
    a = abs(cast(x, "float64" if x.dtype in ("int64", "float64") else "float32"))
    small = less_equal(a, 8.0)
    a_small, a_big = where(small, a, 0.0), where(small, 16.0, a)  # each series away from the other's range
    r = where(small, _chbevl(subtract(multiply(a_small, 0.5), 2.0), _I0_A),
              divide(_chbevl(subtract(divide(32.0, a_big), 2.0), _I0_B), sqrt(a_big)))
    h = exp(multiply(a, 0.5))  # exp(a) in two halves, so that it overflows only where I0 does (inf gives NaN, as in Keras)
    return multiply(multiply(h, r), h)


def _int_operands(x1, x2, what):
    a, b = convert_to_tensor(x1), convert_to_tensor(x2)
    for name, t in (("x1", a), ("x2", b)):
        if t.dtype not in ("uint8", "int64"):
            raise ValueError(f"{what}: {name} must be an integer tensor, got dtype {t.dtype}")
    dev = b.device if a.device == "cpu" else a.device  # a 0-d CPU scalar joins a GPU operand
    return cast(a.to(dev), "int64"), cast(b.to(dev), "int64"), _promote(a.dtype, b.dtype)


def _gcd64(a, b):
    """Euclid's algorithm on int64, elementwise: at most 92 steps for 64-bit values (consecutive
    Fibonacci numbers are the slowest), stopping early once every remainder is 0."""
    shape = tuple(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
    a, b = broadcast_to(abs(a), shape), broadcast_to(abs(b), shape)
    check = not _core.is_tracing()
    for _ in range(93):
        if check and not bool(any(b)):
            break
        nz = not_equal(b, 0)
        r = mod(a, where(nz, b, 1))
        a, b = where(nz, b, a), where(nz, r, 0)
    return a


@symbolic
def gcd(x1, x2):
    """The greatest common divisor of integers, elementwise (non-negative; gcd(0, 0) = 0)."""
    a, b, dt = _int_operands(x1, x2, "gcd")
    return _wrap_to(_gcd64(a, b), dt)


@symbolic
def lcm(x1, x2):
    """The least common multiple of integers, elementwise: |x1 * (x2 // gcd)|, 0 where either is 0."""
    a, b, dt = _int_operands(x1, x2, "lcm")
    g = _gcd64(a, b)
    zero = equal(g, 0)
    out = abs(multiply(a, floor_divide(b, where(zero, 1, g))))
    return _wrap_to(where(zero, 0, out), dt)


# ---------------------------------------------------------------- further composites

@symbolic
def erf(x): return _core.unary("erf", x)


@symbolic
def erfc(x): return subtract(1.0, erf(x))


@symbolic
def rsqrt(x): return divide(1.0, sqrt(x))


@symbolic
def cbrt(x):
    x = convert_to_tensor(x)
    x = x if _is_float(x) else cast(x, "float32")
    return multiply(sign(x), power(abs(x), 1.0 / 3.0))


@symbolic
def fabs(x):
    x = convert_to_tensor(x)
    return abs(x if _is_float(x) else cast(x, "float32"))


@symbolic
def fliplr(x): return flip(x, 1)


@symbolic
def flipud(x): return flip(x, 0)


@symbolic
def rot90(array, k=1, axes=(0, 1)):
    """Rotates by 90 degrees k times in the plane of `axes` (views: flips and a transpose)."""
    x = convert_to_tensor(array)
    a, b = (_axis(v, x.ndim, "rot90") for v in axes)
    if a == b:
        raise ValueError(f"rot90: axes must be different, got {tuple(axes)}")
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, a), b)
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(flip(x, b), perm) if k == 1 else flip(transpose(x, perm), b)


@symbolic
def fmax(x1, x2):
    """maximum that ignores NaN (NaN only where both are NaN)."""
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, maximum(x1, x2)))


@symbolic
def fmin(x1, x2):
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, minimum(x1, x2)))


@symbolic
def fmod(x1, x2):
    """C's remainder: the sign of the dividend (mod takes the divisor's)."""
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    r = mod(x1, x2)
    fix = logical_and(not_equal(r, 0), not_equal(less(r, 0), less(x1, 0)))
    return where(fix, subtract(r, x2), r)


@symbolic
def divide_no_nan(x1, x2):
    """x1 / x2, and 0 where x2 is 0."""
    x2 = convert_to_tensor(x2)
    zero = equal(x2, 0)
    return where(zero, 0, divide(x1, where(zero, 1, x2)))


@symbolic
def copy(x):
    return _core.tensor(convert_to_tensor(x))


def empty(shape, dtype=None):
    return zeros(shape, dtype)


@symbolic
def empty_like(x, dtype=None):
    return zeros_like(x, dtype)


@symbolic
def dstack(xs):
    xs = [convert_to_tensor(x) for x in xs]
    xs = [reshape(x, (1, -1, 1)) if x.ndim == 1 else expand_dims(x, -1) if x.ndim == 2 else x for x in xs]
    return concatenate(xs, 2)


@symbolic
def column_stack(xs):
    xs = [convert_to_tensor(x) for x in xs]
    return concatenate([reshape(x, (-1, 1)) if x.ndim == 1 else x for x in xs], 1)


def array_split(x, indices_or_sections, axis=0):
    """Splits into sections (uneven allowed: the first n % k get one more) or at indices."""
    x = convert_to_tensor(x)
    axis = _axis(axis, x.ndim, "array_split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise ValueError(f"array_split: the number of sections must be positive, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        bounds, acc = [], 0
        for s in sizes[:-1]:
            acc += s
            bounds.append(acc)
    else:
        bounds = [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections]
    lead = (builtins.slice(None),) * axis
    edges = [0] + bounds + [n]
    return [x[lead + (builtins.slice(lo, builtins.max(lo, hi)),)] for lo, hi in zip(edges[:-1], edges[1:])]


def hsplit(x, indices_or_sections):
    x = convert_to_tensor(x)
    return split(x, indices_or_sections, 0 if x.ndim == 1 else 1)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, 2)


@symbolic
def diag(x, k=0):
    """A 1-D x as the k-th diagonal of a square matrix; of a 2-D x, its k-th diagonal."""
    x = convert_to_tensor(x)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(x.shape)}")
    n, k = x.shape[0], int(k)
    m = n + (k if k >= 0 else -k)
    i = _iota(n, x)
    rows, cols = (i, add(i, k)) if k >= 0 else (subtract(i, k), i)
    idx = concatenate([reshape(rows, (-1, 1)), reshape(cols, (-1, 1))], 1)
    return _scatter(idx, x, (m, m))


@symbolic
def diagflat(x, k=0):
    return diag(ravel(x), k)


@symbolic
def kron(x1, x2):
    """The Kronecker product: every element of x1 times all of x2, as one broadcast product."""
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    nd = builtins.max(x1.ndim, x2.ndim)
    s1 = (1,) * (nd - x1.ndim) + tuple(x1.shape)
    s2 = (1,) * (nd - x2.ndim) + tuple(x2.shape)
    a = reshape(x1, tuple(v for d in s1 for v in (d, 1)))
    b = reshape(x2, tuple(v for d in s2 for v in (1, d)))
    return reshape(multiply(a, b), tuple(p * q for p, q in zip(s1, s2)))


@symbolic
def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, elementwise, else `default`."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: {len(condlist)} conditions for {len(choicelist)} choices")
    out = convert_to_tensor(default)
    for c, v in reversed(list(zip(condlist, choicelist))):
        out = where(c, v, out)
    return out


@symbolic
def isneginf(x):
    x = convert_to_tensor(x)
    return equal(x, float("-inf")) if _is_float(x) else zeros_like(x, "bool")


@symbolic
def isposinf(x):
    x = convert_to_tensor(x)
    return equal(x, float("inf")) if _is_float(x) else zeros_like(x, "bool")


@symbolic
def isreal(x): return ones_like(x, "bool")


@symbolic
def real(x): return convert_to_tensor(x)


@symbolic
def imag(x): return zeros_like(x)


@symbolic
def conj(x): return convert_to_tensor(x)


conjugate = conj


@symbolic
def signbit(x):
    """True where the sign bit is set (negative numbers and -0.0)."""
    x = convert_to_tensor(x)
    if not _is_float(x):
        return less(x, 0)
    return logical_or(less(x, 0), logical_and(equal(x, 0), less(divide(1.0, x), 0)))


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return cast(power(float(base), linspace(start, stop, num, endpoint=endpoint, dtype="float32")), dtype or "float32")


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from start to stop (both of one sign, nonzero)."""
    if start == 0 or stop == 0 or (start < 0) != (stop < 0):
        raise ValueError(f"geomspace: start and stop must be nonzero and of one sign, got {start} and {stop}")
    s = -1.0 if start < 0 else 1.0
    y = multiply(s, power(10.0, linspace(math.log10(builtins.abs(start)), math.log10(builtins.abs(stop)), num, endpoint=endpoint,
                                         dtype="float32")))
    if num > 0:
        y = where(equal(_tensor.arange(num, dtype="int64"), 0), float(start), y)
        if endpoint and num > 1:
            y = where(equal(_tensor.arange(num, dtype="int64"), num - 1), float(stop), y)
    return cast(y, dtype or "float32")


@symbolic
def bincount(x, weights=None, minlength=0, sparse=False):
    """How often each value 0, 1, ... occurs in the 1-D int x (weights: their sums), at least
    `minlength` long."""
    x = cast(convert_to_tensor(x), "int64")
    if x.ndim != 1:
        raise ValueError(f"bincount: expected a 1-D tensor of non-negative ints, got shape {tuple(x.shape)}")
    n = builtins.max(int(max(x)) + 1 if x.shape[0] else 0, int(minlength))
    if x.shape[0] and int(min(x)) < 0:
        raise ValueError("bincount: values must be non-negative")
    w = ones_like(x) if weights is None else convert_to_tensor(weights)
    return _scatter(expand_dims(x, -1), w, (n,))


def _nan_fill(x, value):
    x = convert_to_tensor(x)
    return where(isnan(x), value, x) if _is_float(x) else x


@symbolic
def nansum(x, axis=None, keepdims=False): return sum(_nan_fill(x, 0), axis, keepdims)


@symbolic
def nanmean(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    count = sum(cast(logical_not(isnan(x)), "float32" if x.dtype != "float64" else "float64"), axis, keepdims)
    return divide(nansum(x, axis, keepdims), count)


@symbolic
def nanmax(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    m = max(_nan_fill(x, float("-inf")), axis, keepdims)
    return where(all(isnan(x), axis, keepdims), float("nan"), m) if _is_float(x) else m


@symbolic
def nanmin(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    m = min(_nan_fill(x, float("inf")), axis, keepdims)
    return where(all(isnan(x), axis, keepdims), float("nan"), m) if _is_float(x) else m


@symbolic
def nanvar(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    m = nanmean(x, axis, True)
    return nanmean(square(subtract(x, m)), axis, keepdims)


@symbolic
def nanstd(x, axis=None, keepdims=False): return sqrt(nanvar(x, axis, keepdims))


# ---------------------------------------------------------------- bitwise (engine kinds; integers
# and bools only, computed in int64 and cast back to the promoted dtype, so narrow integers keep
# their own width)

@symbolic
def bitwise_and(x, y): return _core.binary("bitwise_and", x, y)


@symbolic
def bitwise_or(x, y): return _core.binary("bitwise_or", x, y)


@symbolic
def bitwise_xor(x, y): return _core.binary("bitwise_xor", x, y)


@symbolic
def left_shift(x, y):
    """x shifted left by y bits (0 once y reaches the dtype's width), as keras.ops.left_shift."""
    return _core.binary("left_shift", x, y)


@symbolic
def right_shift(x, y):
    """x shifted right by y bits, arithmetic for signed integers, as keras.ops.right_shift."""
    return _core.binary("right_shift", x, y)


bitwise_left_shift = left_shift
bitwise_right_shift = right_shift


@symbolic
def bitwise_invert(x):
    """~x: every bit flipped (logical not for bools), as keras.ops.bitwise_invert."""
    x = convert_to_tensor(x)
    if x.dtype in FLOAT_TYPES:
        raise TypeError(f"bitwise_invert: takes an integer or bool tensor, got {x.dtype}")
    if x.dtype == "bool":
        return _core.compare("equal", x, False)
    # ~x = (all ones) - x, the all-ones value made on x's device in x's dtype
    bits = {"uint8": 8, "uint16": 16, "uint32": 32}.get(x.dtype)
    return subtract(full_like(x, -1 if bits is None else 2**bits - 1), x)


bitwise_not = bitwise_invert


@symbolic
def nanargmax(x, axis=None, keepdims=False):
    """argmax ignoring NaNs; -1 for an all-NaN slice (as jnp.nanargmax). int64 (Keras: int32)."""
    x = convert_to_tensor(x)
    if not _is_float(x):
        return argmax(x, axis, keepdims)
    nan = isnan(x)
    return where(all(nan, axis, keepdims), -1, argmax(where(nan, float("-inf"), x), axis, keepdims))


@symbolic
def nanargmin(x, axis=None, keepdims=False):
    """argmin ignoring NaNs; -1 for an all-NaN slice. int64 (Keras: int32)."""
    x = convert_to_tensor(x)
    if not _is_float(x):
        return argmin(x, axis, keepdims)
    nan = isnan(x)
    return where(all(nan, axis, keepdims), -1, argmin(where(nan, float("inf"), x), axis, keepdims))


# ---------------------------------------------------------------- window functions (from a small
# arange of the static length, in float64 where the device holds it, returned as floatx)

def _window_length(x, what):
    if isinstance(x, KerasTensor):
        raise TypeError(f"{what}: symbolic tensors are not supported (the window length must be known); got {x}")
    v = x.item() if isinstance(x, Tensor) and x.size == 1 else x
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) and not (isinstance(v, float) and v.is_integer()):
        raise TypeError(f"{what}: the window length must be an integer, got {x!r}")
    return int(v)


def _window(m, what, start, step):
    """The positions start, start + step, ... below m, as floats (float64 where the device has it)."""
    r = _tensor.arange(start, m, step, dtype="int64")
    dt = "float64" if r.device == "cpu" else "float32"
    return cast(r, dt)


def _window_out(w):
    return cast(w, config.floatx())


def _short_window(m):
    """The window of a length below 2 (empty, or [1.0]), else None."""
    return _tensor.ones((builtins.max(m, 0),), config.floatx()) if m < 2 else None


def _cosine_window(x, what, coeffs):
    m = _window_length(x, what)
    short = _short_window(m)
    if short is not None:
        return short
    n = divide(multiply(_window(m, what, 1 - m, 2), math.pi), m - 1)
    w = coeffs[0]
    for k, c in enumerate(coeffs[1:], 1):
        w = add(w, multiply(c, cos(multiply(n, float(k)))))
    return _window_out(w)


def bartlett(x):
    """The Bartlett (triangular) window of length x."""
    m = _window_length(x, "bartlett")
    short = _short_window(m)
    if short is not None:
        return short
    n = divide(_window(m, "bartlett", 1 - m, 2), m - 1)
    return _window_out(where(less_equal(n, 0), add(1.0, n), subtract(1.0, n)))


def blackman(x):
    """The Blackman window of length x: 0.42 + 0.5 cos(pi n / (M - 1)) + 0.08 cos(2 pi n / (M - 1))."""
    return _cosine_window(x, "blackman", (0.42, 0.5, 0.08))


def hamming(x):
    """The Hamming window of length x: 0.54 + 0.46 cos(pi n / (M - 1))."""
    return _cosine_window(x, "hamming", (0.54, 0.46))


def hanning(x):
    """The Hann window of length x: 0.5 + 0.5 cos(pi n / (M - 1))."""
    return _cosine_window(x, "hanning", (0.5, 0.5))


def kaiser(x, beta):
    """The Kaiser window of length x and shape `beta`: I0(beta sqrt(1 - (2n / (M - 1) - 1)^2)) / I0(beta)."""
    m = _window_length(x, "kaiser")
    short = _short_window(m)
    if short is not None:
        return short
    n = _window(m, "kaiser", 0, 1)
    alpha = (m - 1) / 2.0
    beta = cast(convert_to_tensor(beta), n.dtype)
    beta = beta if beta.device == n.device else beta.to(n.device)
    r = divide(subtract(n, alpha), alpha)
    return _window_out(divide(i0(multiply(beta, sqrt(subtract(1.0, square(r))))), i0(beta)))


# ---------------------------------------------------------------- statistics, products and
# sequences of vectors

@symbolic
def corrcoef(x):
    """Pearson's correlation coefficients of the rows of x (variables) over its columns
    (observations), clipped to [-1, 1]; a single variable gives a 0-d result (1, or NaN)."""
    x = convert_to_tensor(x)
    if x.ndim > 2:
        raise ValueError(f"corrcoef: x must be 1-D or 2-D (variables by observations), got shape {tuple(x.shape)}")
    x = cast(reshape(x, (1, -1)) if x.ndim < 2 else x, _inexact_result(x.dtype))
    m = subtract(x, mean(x, 1, True))
    c = divide(matmul(m, transpose(m)), x.shape[1] - 1)
    if x.shape[0] == 1:
        c = reshape(c, ())
        return divide(c, c)
    sd = sqrt(diagonal(c))
    c = divide(divide(c, reshape(sd, (-1, 1))), reshape(sd, (1, -1)))
    return clip(c, -1.0, 1.0)


@symbolic
def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D tensors, c[k] = sum_n x1[n + k] x2[n], over the overlaps
    `mode` selects: "valid" (full overlap, length max - min + 1), "same" (length max(M, N)) or
    "full" (every overlap, length M + N - 1); as jnp.correlate: the longer operand slides, the
    result reversed when x2 is the longer. int64 computes in float64, other integers float32."""
    a, v = convert_to_tensor(x1), convert_to_tensor(x2)
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', got {mode!r}")
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"correlate: x1 and x2 must be 1-D, got shapes {tuple(a.shape)} and {tuple(v.shape)}")
    if not a.shape[0] or not v.shape[0]:
        raise ValueError(f"correlate: x1 and x2 cannot be empty, got shapes {tuple(a.shape)} and {tuple(v.shape)}")
    dt = _promote(a.dtype, v.dtype)
    dt = "float64" if dt in ("int64", "float64") else "float32"
    a, v = cast(a, dt), cast(v, dt)
    rev = a.shape[0] < v.shape[0]
    if rev:
        a, v = v, a
    m = v.shape[0]
    before, after = {"valid": (0, 0), "same": (m // 2, m - m // 2 - 1), "full": (m - 1, m - 1)}[mode]
    a = concatenate([_core.full((before,), 0.0, dt, a.device), a, _core.full((after,), 0.0, dt, a.device)], 0)
    n_out = a.shape[0] - m + 1
    windows = take(a, add(reshape(_iota(n_out, a), (-1, 1)), reshape(_iota(m, a), (1, -1))), 0)
    out = matmul(windows, v)
    return flip(out, 0) if rev else out


@symbolic
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross products of the vectors (of 2 or 3 components) along axisa of x1 and axisb of x2,
    broadcast, as axisc of the result (`axis` sets all three); two 2-vectors give the z
    component alone. Integers wrap in their dtype, as Keras's do."""
    a, b = convert_to_tensor(x1), convert_to_tensor(x2)
    if "bool" in (a.dtype, b.dtype):
        raise TypeError("cross: bool operands are not supported (Keras rejects them too)")
    if axis is not None:
        axisa = axisb = axisc = axis
    dt = _promote(a.dtype, b.dtype)
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"cross: the vectors must have 2 or 3 components, got {a.shape[-1]} (x1, axis {axisa}) and "
                         f"{b.shape[-1]} (x2, axis {axisb})")
    work = dt if dt.startswith("float") else "int64"
    a, b = cast(a, work), cast(b, work)
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return _wrap_to(subtract(multiply(a0, b1), multiply(a1, b0)), dt)
    a2 = a[..., 2] if a.shape[-1] == 3 else zeros_like(a0)
    b2 = b[..., 2] if b.shape[-1] == 3 else zeros_like(b0)
    c = stack([subtract(multiply(a1, b2), multiply(a2, b1)), subtract(multiply(a2, b0), multiply(a0, b2)),
               subtract(multiply(a0, b1), multiply(a1, b0))], 0)
    return _wrap_to(moveaxis(c, 0, axisc), dt)


def histogram(x, bins=10, range=None):  # noqa: A002 - Keras's argument name
    """Counts of the 1-D x in `bins` equal bins over `range` (default: x's min and max; a range
    of one value is widened by 0.5 each side), and the bins + 1 edges. Each bin holds its left
    edge, the last also its right; values outside are not counted. Counts and edges are float, as
    jnp.histogram gives them (int64 data in float64)."""
    if isinstance(bins, bool) or not isinstance(bins, int):
        raise TypeError(f"histogram: `bins` must be an int, got {bins!r}")
    if bins < 0:
        raise ValueError(f"histogram: `bins` must be non-negative, got {bins}")
    if range:
        if not isinstance(range, tuple) or len(range) != 2:
            raise ValueError(f"histogram: `range` must be a tuple of two numbers, got {range!r}")
        if range[1] < range[0]:
            raise ValueError(f"histogram: the second element of `range` must not be below the first, got {range!r}")
    if isinstance(x, KerasTensor):
        return apply_op("Histogram", lambda t: histogram(t, bins, range), x)
    x = convert_to_tensor(x)
    if x.ndim > 1:
        raise ValueError(f"histogram: x must be 1-D, got shape {tuple(x.shape)}")
    dt = _inexact_result(x.dtype)
    v = ravel(cast(x, dt))
    if range:
        lo, hi = (_core.full((), float(r), dt, v.device) for r in range)
    else:
        if v.shape[0] == 0:
            raise ValueError("histogram: x is empty; give `range`")
        lo, hi = min(v), max(v)
    same = equal(lo, hi)
    lo, hi = where(same, subtract(lo, 0.5), lo), where(same, add(hi, 0.5), hi)
    if bins == 0:
        return _core.full((0,), 0.0, dt, v.device), reshape(lo, (1,))
    step = divide(cast(_iota(bins, v), dt), float(bins))
    edges = concatenate([add(multiply(lo, subtract(1.0, step)), multiply(hi, step)), reshape(hi, (1,))], 0)
    idx = where(equal(v, hi), bins, _search(edges, v, True))
    counts = _scatter(expand_dims(idx, -1), ones_like(v), (bins + 2,))
    return counts[1:bins + 1], edges


# ---------------------------------------------------------------- padding

_PAD_MODES = ("constant", "edge", "linear_ramp", "maximum", "mean", "median", "minimum", "reflect", "symmetric", "wrap",
              "empty", "circular")


def _pad_pairs(value, ndim, what):
    """(before, after) for each of ndim axes, from NumPy's forms: a scalar or (v,) for all, (before,
    after) for all, or one pair (or single value) per axis."""
    try:
        a = np.asarray(value)
    except ValueError:
        a = None
    if a is None or a.dtype == object:
        raise ValueError(f"pad: {what} must be a number, a pair, or one pair per axis; got {value!r}")
    if a.size == 1 and a.ndim <= 2:
        a = np.full((ndim, 2), a.reshape(()))
    elif a.ndim == 1 and a.size == 2:
        a = np.broadcast_to(a, (ndim, 2))
    else:
        try:
            a = np.broadcast_to(a, (ndim, 2))
        except ValueError:
            raise ValueError(f"pad: {what} {value!r} does not fit a tensor of rank {ndim}: give one (before, after) pair "
                             "for every axis, or one for all") from None
    return a


def _pad_axis_index(i, n, mode):
    """The source position along an axis of n elements of each padded position i (int64)."""
    if mode == "edge":
        return clip(i, 0, n - 1)
    if mode in ("wrap", "circular"):
        return mod(i, n)
    if mode == "reflect":
        if n == 1:
            return zeros_like(i)
        j = mod(i, 2 * (n - 1))
        return where(greater_equal(j, n), subtract(2 * (n - 1), j), j)
    j = mod(i, 2 * n)  # symmetric
    return where(greater_equal(j, n), subtract(2 * n - 1, j), j)


@symbolic
def pad(x, pad_width, mode="constant", constant_values=None):
    """x padded by pad_width ((before, after) per axis, or one pair or number for all) in `mode`:
    "constant" (constant_values, default 0; a number, a pair, or a pair per axis), "edge",
    "linear_ramp" (to 0 at the ends), "maximum", "mean", "median", "minimum" (of the whole
    axis), "reflect", "symmetric", "wrap" ("circular", torch's name, is the same), or "empty"
    (zeros, as in JAX). Axes are padded in order, each seeing the padding of the ones before, as
    NumPy does; integer means and medians round half to even."""
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(_PAD_MODES)}; got {mode!r}")
    if constant_values is not None and mode != "constant":
        raise ValueError(f"pad: `constant_values` can only be given with mode='constant', got mode={mode!r}")
    x = convert_to_tensor(x)
    widths = _pad_pairs(pad_width, x.ndim, "pad_width")
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers, got {pad_width!r}")
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    fill = None
    if mode == "constant" and isinstance(constant_values, Tensor):
        fill = [(constant_values, constant_values)] * x.ndim
    elif mode == "constant":
        cv = _pad_pairs(0 if constant_values is None else constant_values, x.ndim, "constant_values")
        fill = cv.astype(np.dtype(x.dtype)).tolist()
    fdt = x.dtype if _is_float(x) else ("float64" if x.device == "cpu" else "float32")
    for ax in range(x.ndim):
        b, a = int(widths[ax][0]), int(widths[ax][1])
        if not b and not a:
            continue
        n = x.shape[ax]
        shape_b, shape_a = list(x.shape), list(x.shape)
        shape_b[ax], shape_a[ax] = b, a
        if mode in ("constant", "empty"):
            vb, va = fill[ax] if fill is not None else (0, 0)
            parts = [broadcast_to(cast(v, x.dtype), tuple(s)) if isinstance(v, Tensor) else
                     _core.full(tuple(s), float(v), x.dtype, x.device) for v, s in ((vb, shape_b), (va, shape_a))]
            x = concatenate([parts[0], x, parts[1]], ax)
            continue
        if n == 0:
            raise ValueError(f"pad: cannot extend the empty axis {ax} of a tensor of shape {tuple(x.shape)} in mode {mode!r}")
        lead = (slice(None),) * ax
        if mode in ("edge", "reflect", "symmetric", "wrap", "circular"):
            x = take(x, _pad_axis_index(subtract(_iota(b + n + a, x), b), n, mode), ax)
            continue
        if mode == "linear_ramp":
            def ramp(edge, k, reverse):
                dims = [1] * x.ndim
                dims[ax] = k
                s = reshape(divide(cast(_iota(k, x), fdt), float(k)), tuple(dims))
                r = multiply(cast(edge, fdt), s)
                r = r if _is_float(x) else floor(r)  # integer ramps round down, as jnp.linspace's
                return flip(r, ax) if reverse else r
            before, after = ramp(x[lead + (slice(0, 1),)], b, False), ramp(x[lead + (slice(n - 1, n),)], a, True)
        else:
            if mode == "median":
                stat = _quantile(x, 0.5, ax, "midpoint", True, False, "pad", dtype=fdt)
            elif mode == "mean":
                stat = mean(cast(x, fdt), axis=ax, keepdims=True)
            else:
                stat = (max if mode == "maximum" else min)(x, axis=ax, keepdims=True)
            if mode in ("mean", "median") and not _is_float(x):
                stat = round(stat)
            before, after = broadcast_to(stat, tuple(shape_b)), broadcast_to(stat, tuple(shape_a))
        x = concatenate([cast(before, x.dtype), x, cast(after, x.dtype)], ax)
    return x


# ---------------------------------------------------------------- indices and unique values
# (data-dependent sizes: nonzero and unique without `size` read their counts, so they run eagerly)

@symbolic
def unravel_index(indices, shape):
    """The coordinates in `shape` of flat indices, one tensor per axis, in the indices' dtype.
    As in JAX, negative indices count from the end and out-of-range ones are clipped."""
    dims = [int(d) for d in shape]
    if builtins.any(d <= 0 for d in dims):
        raise ValueError(f"unravel_index: shape must have positive dimensions, got {tuple(shape)}")
    idx = convert_to_tensor(indices)
    out_dt = "int64" if idx.dtype == "bool" else idx.dtype
    total = math.prod(dims)
    i = clip(cast(idx, "int64"), -total, total - 1)
    i = where(less(i, 0), add(i, total), i)
    out, stride = [], total
    for d in dims:
        stride //= d
        c = mod(floor_divide(i, stride), d)
        out.append(_wrap_to(c, out_dt) if out_dt == "uint8" else cast(c, out_dt))
    return tuple(out)


def _scatter_positions(values, positions, n):
    """An int64 tensor of n + 1 zeros with values[k] at positions[k] (each position written once;
    position n is a dump slot)."""
    return _core.scatter_add(cast(values, "int64"), positions, (n + 1,))


@symbolic
def nonzero(x):
    """The coordinates of the nonzero elements (NaN counts), one int64 tensor per axis, in
    row-major order. Its size depends on the data: it reads the count (eager only)."""
    x = convert_to_tensor(x)
    if x.ndim == 0:
        raise ValueError("nonzero: x must have at least one dimension")
    if x.size == 0:
        return tuple(_core.full((0,), 0.0, "int64", x.device) for _ in range(x.ndim))
    m = ravel(not_equal(x, 0))
    count = int(sum(cast(m, "int64")))
    pos = where(m, subtract(_core.cumsum(cast(m, "int64"), 0), 1), count)
    flat = _scatter_positions(_iota(m.shape[0], m), pos, count)[:count]
    return unravel_index(flat, x.shape)


def _dense_ranks(keys):
    """The dense rank of each row of `keys` (n, k) in lexicographic order (int64 (n,)): the ranks
    of each column, then pairs of columns merged into one by two stable sorts, log2(k) times.
    Unequal values (and every NaN) get different ranks."""
    if keys.shape[0] == 0:
        return _core.full((0,), 0.0, "int64", keys.device)

    def rank(order, *sorted_cols):
        new = None
        for s in sorted_cols:
            d = not_equal(s[1:], s[:-1])
            new = d if new is None else logical_or(new, d)
        first = _core.full((1,) + tuple(new.shape[1:]), 1.0, "int64", new.device)
        dense = subtract(_core.cumsum(concatenate([first, cast(new, "int64")], 0), 0), 1)
        return take_along_axis(dense, _core.argsort(order, 0), 0)  # back to the rows' order

    order = _core.argsort(keys, 0)
    r = rank(order, take_along_axis(keys, order, 0))
    while r.shape[1] > 1:
        if r.shape[1] % 2:
            r = concatenate([r, zeros_like(r[:, :1])], 1)
        hi, lo = r[:, 0::2], r[:, 1::2]
        o = _core.argsort(lo, 0)
        o = take_along_axis(o, _core.argsort(take_along_axis(hi, o, 0), 0), 0)
        r = rank(o, take_along_axis(hi, o, 0), take_along_axis(lo, o, 0))
    return r[:, 0]


@symbolic
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None, size=None,  # noqa: A002
           fill_value=None):
    """The sorted unique elements of x (flattened for axis=None; with an axis, its unique slices
    in lexicographic order), NaNs each unique; optionally the first index of each, the inverse
    (where each element went; x's shape for axis=None) and the counts, int64. With `size` the
    result has that length: truncated, or padded with `fill_value` (default: the smallest
    value; counts pad with 0). Without `size` the length depends on the data (eager only).
    `sorted` is accepted and the result is always sorted, as on JAX."""
    x = convert_to_tensor(x)
    if size is not None and (isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0):
        raise ValueError(f"unique: size must be a non-negative int, got {size!r}")
    if axis is None:
        rows, key = ravel(x), ravel(x)
    else:
        ax = _axis(axis, x.ndim, "unique")
        rows = moveaxis(x, ax, 0)
        flat = reshape(rows, (rows.shape[0], -1))
        key = _dense_ranks(flat) if flat.shape[1] else zeros_like(flat[:, 0], "int64")
    n = key.shape[0]
    if n == 0 and size and fill_value is None:
        raise ValueError("unique: an empty x with a nonzero size needs fill_value")
    order = _core.argsort(key, 0)
    s = take(key, order, 0)
    new = concatenate([_core.full((builtins.min(n, 1),), 1.0, "bool", key.device), not_equal(s[1:], s[:-1])], 0)
    group = subtract(_core.cumsum(cast(new, "int64"), 0), 1)
    total = sum(cast(new, "int64"))
    k = int(total) if size is None else int(size)
    slots = builtins.max(n, k) + 1
    starts = _scatter_positions(_iota(n, key), where(new, group, slots), slots)  # (slots + 1,)
    first = starts[:k]
    values = take(rows, take(order, first, 0), 0) if n else \
        _core.full((k,) + tuple(rows.shape[1:]), 0.0, x.dtype, x.device)
    if size is not None and fill_value is not None:
        valid = reshape(less(_iota(k, key), total), (k,) + (1,) * (values.ndim - 1))
        fv = cast(fill_value, x.dtype) if isinstance(fill_value, Tensor) else np.asarray(fill_value).astype(x.dtype).item()
        values = where(valid, values, fv)
    if axis is not None:
        values = moveaxis(values, 0, ax)
    out = [values]
    if return_index:
        out.append(take(order, first, 0) if n else _core.full((k,), 0.0, "int64", x.device))
    if return_inverse:
        inv = _core.scatter_add(group, order, (n,)) if n else _core.full((0,), 0.0, "int64", x.device)
        out.append(reshape(inv, tuple(x.shape)) if axis is None else inv)
    if return_counts:
        # the starts of the groups after the first, the padding and the end counted as n (so padding counts 0)
        later = starts[1:k + 1]
        bounds = concatenate([starts[:builtins.min(k, 1)], where(not_equal(later, 0), later, n)], 0)
        out.append(subtract(bounds[1:], bounds[:-1]))
    return out[0] if len(out) == 1 else tuple(out)


def get_item(x, key):
    """x[key] (a list key is taken as a tuple, as Keras does)."""
    if isinstance(key, list):
        key = tuple(key)
    return x[key] if isinstance(x, KerasTensor) else convert_to_tensor(x)[key]


# ---------------------------------------------------------------- matrices of powers, integrals
# and vectorised functions

@symbolic
def vander(x, N=None, increasing=False):  # noqa: N803 - Keras's argument name
    """The Vandermonde matrix of the 1-D x: columns x**(N-1), ..., x**0 (reversed if
    `increasing`), as running products (exact for integers, which wrap; finite gradients at 0)."""
    x = convert_to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-D, got shape {tuple(x.shape)}")
    if N is not None and (isinstance(N, bool) or not isinstance(N, numbers.Integral)):
        raise TypeError(f"vander: N must be an int, got {N!r}")
    if N is not None and N < 0:
        raise ValueError(f"vander: N must be non-negative, got {N}")
    if not isinstance(increasing, bool):
        raise TypeError(f"vander: increasing must be a bool, got {increasing!r}")
    if x.dtype == "bool":
        raise TypeError("vander: bool x is not supported (Keras rejects it too)")
    n = x.shape[0]
    cols = n if N is None else int(N)
    if cols == 0:
        return _core.full((n, 0), 0.0, x.dtype, x.device)
    ones_ = _core.full((n, 1), 1.0, x.dtype, x.device)
    v = cumprod(concatenate([ones_, broadcast_to(reshape(x, (n, 1)), (n, cols - 1))], 1), axis=1)
    return v if increasing else flip(v, 1)


@symbolic
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of y along `axis` by the trapezoidal rule, over the sample points x (1-D, or
    y's shape) or a spacing dx. Integers compute in float (int64 in float64), as in Keras."""
    y = convert_to_tensor(y)
    dts = [y.dtype]
    if x is not None:
        x = convert_to_tensor(x)
        dts.append(x.dtype)
    elif isinstance(dx, Tensor):
        dts.append(dx.dtype)
    dt = _inexact_result(*dts)
    y = cast(y, dt)
    ax = _axis(axis, y.ndim, "trapezoid")
    n = y.shape[ax]
    if x is None:
        d = cast(dx, dt) if isinstance(dx, Tensor) else float(dx)
    elif x.ndim == 1:
        if x.shape[0] != n:
            raise ValueError(f"trapezoid: x of shape {tuple(x.shape)} does not match axis {axis} of y of shape {tuple(y.shape)}")
        d = diff(cast(x, dt))
    else:
        d = moveaxis(diff(cast(x, dt), axis=ax), ax, -1)
    y = moveaxis(y, ax, -1)
    return multiply(0.5, sum(multiply(d, add(y[..., 1:], y[..., :-1])), -1))


def _parse_signature(signature):
    """A gufunc signature "(m,n),(n)->(m)" as (input core dims, output core dims)."""
    import re
    arg = r"\(\s*(?:\w+(?:\s*,\s*\w+)*)?\s*\)"
    if not re.fullmatch(rf"\s*{arg}(?:\s*,\s*{arg})*\s*->\s*{arg}(?:\s*,\s*{arg})*\s*", signature or ""):
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
    ins, outs = signature.split("->")

    def parse(part):
        return [tuple(re.findall(r"\w+", g)) for g in re.findall(arg, part)]

    return parse(ins), parse(outs)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc`, taking and returning tensors of its core shapes (scalars, or those of a gufunc
    `signature` such as "(m,n),(n)->(m)"), made to take broadcast batches of them: it runs once
    per element of the broadcast batch shape (as keras.ops.map runs once per row) and the results
    are stacked. Positional arguments whose indices are in `excluded` (and keyword arguments) pass
    through unchanged."""
    if not callable(pyfunc):
        raise ValueError(f"vectorize: pyfunc must be callable, got {pyfunc!r}")
    excluded = set(excluded or ())
    if builtins.any(not isinstance(e, int) or e < 0 for e in excluded):
        raise ValueError(f"vectorize: excluded must hold non-negative positional indices, got {excluded!r}")
    cores = _parse_signature(signature) if signature is not None else None

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        fixed = {i: a for i, a in enumerate(args) if i in excluded or a is None}
        dyn = [convert_to_tensor(a) for i, a in enumerate(args) if i not in fixed]
        in_cores, out_cores = cores if cores is not None else ([()] * len(dyn), None)
        if len(in_cores) != len(dyn):
            raise ValueError(f"vectorize: the signature {signature!r} has {len(in_cores)} inputs, got {len(dyn)} arguments")
        sizes, batch_shapes = {}, []
        for t, core in zip(dyn, in_cores):
            if t.ndim < len(core):
                raise ValueError(f"vectorize: an argument of shape {tuple(t.shape)} has fewer dims than its core dims {core}")
            for name, d in zip(core, t.shape[t.ndim - len(core):]):
                if sizes.setdefault(name, d) != d:
                    raise ValueError(f"vectorize: core dimension {name!r} is {sizes[name]} in one argument and {d} in another")
            batch_shapes.append(tuple(t.shape[:t.ndim - len(core)]))
        batch = tuple(np.broadcast_shapes(*batch_shapes)) if batch_shapes else ()
        count = math.prod(batch)
        flat = [reshape(broadcast_to(t, batch + tuple(t.shape[t.ndim - len(c):])), (count,) + tuple(t.shape[t.ndim - len(c):]))
                for t, c in zip(dyn, in_cores)]

        def call(i):
            it = iter([f[i] for f in flat] if i is not None else [zeros(f.shape[1:], f.dtype) for f in flat])
            full_args = [fixed[j] if j in fixed else next(it) for j in range(len(args))]
            r = pyfunc(*full_args, **kwargs)
            rs = [convert_to_tensor(v) for v in r] if isinstance(r, (tuple, list)) else [convert_to_tensor(r)]
            if out_cores is not None:
                if len(rs) != len(out_cores):
                    raise ValueError(f"vectorize: pyfunc returned {len(rs)} outputs, "
                                     f"the signature {signature!r} has {len(out_cores)}")
                for v, core in zip(rs, out_cores):
                    if v.ndim != len(core) or builtins.any(sizes.setdefault(nm, d) != d for nm, d in zip(core, v.shape)):
                        raise ValueError(f"vectorize: an output of shape {tuple(v.shape)} does not fit the core dims {core}")
            return rs, isinstance(r, (tuple, list))

        if count == 0:
            probe, multi = call(None)
            outs = [_core.full(batch + tuple(v.shape), 0.0, v.dtype, v.device) for v in probe]
        else:
            results = [call(i) for i in range(count)]
            multi = results[0][1]
            outs = [reshape(stack([r[0][k] for r in results], 0), batch + tuple(results[0][0][k].shape))
                    for k in range(len(results[0][0]))]
        return tuple(outs) if multi else outs[0]

    return wrapped


@symbolic
def slogdet(x):
    """(sign, log|det|) of each (..., M, M) matrix; a singular one gives (0, -inf). An engine op
    (LU through faer) with its gradient."""
    return _core.slogdet(x)


@symbolic
def view(x, dtype=None):
    """The same bytes read as `dtype`, as NumPy's ndarray.view: the last axis grows or shrinks by
    the ratio of the item sizes (`view(int32 [1, 2, 3], "float32")` gives 1e-45, 3e-45, 4e-45). The
    result is outside the graph: a bit pattern has no gradient."""
    x = convert_to_tensor(x)
    return x if dtype is None else _core.bitcast(x, dtype)
