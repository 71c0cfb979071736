"""NumPy-like ops, as keras.ops.numpy: elementwise math, reductions, matmul and shapes."""
from __future__ import annotations

import builtins
import math
import numbers

from kerasish import _core, _tensor
from kerasish.backend.dtypes import FLOAT_TYPES
from kerasish.ops.core import cast, convert_to_tensor
from kerasish.ops.core import scatter as _scatter
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
    return _tensor.eye(N, M, k, dtype or "float32")


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below diagonal k of an N x M matrix."""
    M = N if M is None else M
    rows = reshape(add(_tensor.arange(int(N), dtype="int64"), int(k)), (N, 1))
    cols = reshape(_tensor.arange(int(M), dtype="int64"), (1, M))
    return cast(less_equal(cols, rows), dtype or "float32")


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
    # all ones in x's dtype: -1 cast keeps the low bits
    return bitwise_xor(x, cast(_core.convert_to_tensor(-1, None), x.dtype))


bitwise_not = bitwise_invert
