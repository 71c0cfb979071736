"""Core ops, as keras.ops.core: conversion to and from tensors, casting and shapes."""
from __future__ import annotations

import builtins
import functools
import math

import numpy as np

from kerasish import _complex, _core
from kerasish._complex import ComplexTensor
from kerasish._core import Tensor
from kerasish.ops.operation import symbolic


def convert_to_tensor(x, dtype=None) -> Tensor:
    """x as a tensor (in `dtype` when given): complex data, or a complex dtype, gives a complex
    tensor (kerasish/_complex.py)."""
    if dtype is not None and _complex.complex_name(dtype) or _complex.is_complex(x):
        return _complex.dispatch("cast", (x, dtype), {}) if dtype is not None else _complex.to_complex(x)
    return _core.convert_to_tensor(x, dtype)


@symbolic
def cast(x, dtype) -> Tensor:
    c = _complex.complex_name(dtype)
    if c:
        return _complex.to_complex(x, c)
    return _core.convert_to_tensor(x, dtype)


def convert_to_numpy(x):
    """A NumPy array of x (zero-copy for a contiguous tensor)."""
    return np.asarray(x.numpy() if isinstance(x, (Tensor, ComplexTensor)) else x)


def stop_gradient(x):
    """x cut off from the graph: no gradient flows back through it."""
    return convert_to_tensor(x).detach()


def custom_gradient(f):
    """Decorator giving f its own gradient, as keras.ops.custom_gradient: f(*args) returns
    (output, grad_fn), and grad_fn(upstream) returns the gradient for each positional argument
    (a tensor, or None for no gradient; one tensor when f has one argument). f runs without
    recording, so only grad_fn decides the gradient.

        @keras.ops.custom_gradient
        def log1pexp(x):
            e = keras.ops.exp(x)
            def grad(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                return keras.ops.multiply(upstream, 1.0 - 1.0 / keras.ops.add(1, e))
            return keras.ops.log(1 + e), grad
    """
    from kerasish._tensor import no_grad

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        with no_grad():
            result = f(*args, **kwargs)
        if not (isinstance(result, (tuple, list)) and len(result) == 2 and callable(result[1])):
            raise TypeError(f"custom_gradient: {getattr(f, '__name__', f)!r} must return (output, grad_fn), "
                            f"got {type(result).__name__}")
        out, grad_fn = result
        if not isinstance(out, Tensor):
            raise TypeError(f"custom_gradient: the output must be one tensor, got {type(out).__name__}")
        return _core.attach_gradient(out, list(args), grad_fn)

    return wrapper


def is_tensor(x):
    return isinstance(x, (Tensor, ComplexTensor))


def shape(x):
    return tuple(x.shape)


# ---------------------------------------------------------------- scatter and slices (composed
# from the engine's checked scatter_add, gathers and views; written with _core directly, since
# ops.numpy builds on this module)

def _iota_on(n, like):
    r = _core.arange(0, int(n), 1, "int64")
    return r if r.device == like.device else r.to(like.device)


def _positions(indices, shape):
    """The flat positions in `shape` that each index tuple (the last axis of `indices`) addresses:
    (positions of shape lead + (inner,), lead, the trailing dims each tuple covers)."""
    idx = convert_to_tensor(indices, "int64")
    d = idx.shape[-1] if idx.ndim else 0
    if idx.ndim == 0 or d > len(shape):
        raise ValueError(f"indices of shape {tuple(idx.shape)} do not index a tensor of shape {tuple(shape)}")
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= s
    strides = strides[::-1]
    inner = 1
    for s in shape[d:]:
        inner *= s
    lead = tuple(idx.shape[:-1])
    flat = None
    for j in range(d):
        col = _core.binary("multiply", idx[..., j], strides[j])
        flat = col if flat is None else _core.binary("add", flat, col)
    flat = _core.full(lead, 0.0, "int64", idx.device) if flat is None else flat
    pos = _core.binary("add", _core.reshape(flat, lead + (1,)), _core.reshape(_iota_on(inner, idx), (1,) * len(lead) + (inner,)))
    return pos, lead, tuple(shape[d:])


@symbolic
def scatter(indices, values, shape):
    """zeros(shape) with `values` added at `indices` (index tuples along the last axis; repeated
    indices add up), as keras.ops.scatter."""
    shape = tuple(int(s) for s in shape)
    pos, lead, tail = _positions(indices, shape)
    v = _core.reshape(_core.broadcast_to(convert_to_tensor(values), lead + tail), tuple(pos.shape))
    out = _core.reshape(_core.scatter_add(v, pos, (math.prod(shape),)), shape)
    # integers add up in int64; the result keeps the values' dtype (wrapping), as Keras's does
    return out if out.dtype == v.dtype else _core.convert_to_tensor(out, v.dtype)



@symbolic
def scatter_update(inputs, indices, updates):
    """`inputs` with the elements at `indices` replaced by `updates` (the last of repeated
    indices wins), as keras.ops.scatter_update."""
    x = convert_to_tensor(inputs)
    shape = tuple(x.shape)
    pos, lead, tail = _positions(indices, shape)
    u = _core.reshape(_core.broadcast_to(convert_to_tensor(updates, x.dtype), lead + tail), (-1,))
    pos = _core.reshape(pos, (-1,))
    # integers keep the value of the last position written: the writer (numbered from 1) of each element
    writer = _core.scatter_add(_core.binary("add", _iota_on(pos.shape[0], pos), 1), pos, (math.prod(shape),), True)
    hit = _core.compare("greater", writer, 0)
    picked = _core.take(u, _core.binary("maximum", _core.binary("subtract", writer, 1), 0), 0) if u.shape[0] else \
        _core.full((math.prod(shape),), 0.0, x.dtype, x.device)
    return _core.reshape(_core.where(hit, picked, _core.reshape(x, (-1,))), shape)


@symbolic
def slice(inputs, start_indices, shape):  # noqa: A001 - Keras's name
    """The block of `shape` starting at `start_indices` (a view)."""
    x = convert_to_tensor(inputs)
    starts, sizes = [int(s) for s in start_indices], [int(s) for s in shape]
    if len(starts) != x.ndim or len(sizes) != x.ndim:
        raise ValueError(f"slice: start_indices {tuple(starts)} and shape {tuple(sizes)} must both have {x.ndim} entries")
    for d, (s, n, full) in enumerate(zip(starts, sizes, x.shape)):
        if s < 0 or n < 0 or s + n > full:
            raise ValueError(f"slice: a block of {n} from {s} does not fit axis {d} of size {full}")
    return x[tuple(builtins.slice(s, s + n) for s, n in zip(starts, sizes))]


@symbolic
def slice_update(inputs, start_indices, updates):
    """`inputs` with the block at `start_indices` replaced by `updates`."""
    x = convert_to_tensor(inputs)
    u = convert_to_tensor(updates, x.dtype)
    starts = [int(s) for s in start_indices]
    if len(starts) != x.ndim or u.ndim != x.ndim:
        raise ValueError(f"slice_update: start_indices {tuple(starts)} and updates of shape {tuple(u.shape)} "
                         f"must match rank {x.ndim}")
    for d, (s, n, full) in enumerate(zip(starts, u.shape, x.shape)):
        if s < 0 or s + n > full:
            raise ValueError(f"slice_update: a block of {n} from {s} does not fit axis {d} of size {full}")
    # the block's index tuples: every combination of its rows along each axis
    grids = [_core.binary("add", _iota_on(n, x), s) for s, n in zip(starts, u.shape)]
    cols = []
    for d, g in enumerate(grids):
        dims = [1] * x.ndim
        dims[d] = u.shape[d]
        cols.append(_core.reshape(_core.broadcast_to(_core.reshape(g, tuple(dims)), tuple(u.shape)), (-1, 1)))
    idx = _core.concatenate(cols, 1) if cols else _core.full((1, 0), 0.0, "int64", x.device)
    return scatter_update(x, idx, _core.reshape(u, (-1,)))




# ---------------------------------------------------------------- control flow (eager Python, as
# Keras's ops on a backend without graph compilation run it)

def cond(pred, true_fn, false_fn):
    return true_fn() if bool(pred) else false_fn()


def switch(index, branches, *operands):
    i = int(index)
    i = 0 if i < 0 else len(branches) - 1 if i >= len(branches) else i
    return branches[i](*operands)


def fori_loop(lower, upper, body_fun, init_val):
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = (loop_vars,) if single else tuple(loop_vars)
    n = 0
    while (maximum_iterations is None or n < maximum_iterations) and bool(cond(*vars_)):
        out = body(*vars_)
        vars_ = (out,) if single else tuple(out)
        n += 1
    return vars_[0] if single else type(loop_vars)(vars_) if isinstance(loop_vars, tuple) else list(vars_)


def map(f, xs):  # noqa: A001 - Keras's name
    xs = convert_to_tensor(xs)
    return _core.stack([f(xs[i]) for i in range(xs.shape[0])], 0)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Carries `init` through f(carry, x) over the leading axis of xs; returns (carry, stacked ys)."""
    if xs is None:
        if length is None:
            raise ValueError("scan: give `xs` or `length`")
        steps = [None] * int(length)
    else:
        xs = convert_to_tensor(xs)
        steps = [xs[i] for i in range(xs.shape[0])]
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    carry, ys = init, [None] * len(steps)
    for i in order:
        carry, ys[i] = f(carry, steps[i])
    if not ys or ys[0] is None:
        return carry, None
    return carry, _core.stack(ys, 0)


# ---------------------------------------------------------------- dtypes, indexing, associative
# scan and vectorized map

def _standardize_dtype(d):
    d = getattr(d, "name", d) if not isinstance(d, str) else d
    return str(np.dtype(d)) if not isinstance(d, str) else d


def dtype(x):
    """The dtype of `x` as a standardized string (``"float32"``), as keras.ops.dtype."""
    if not hasattr(x, "dtype"):
        raise TypeError(f"dtype: expected a tensor (anything with a `dtype`), got {type(x).__name__}")
    return _standardize_dtype(x.dtype)


_DTYPES = ("bool", "uint8", "int64", "float32", "float64")


def _dtype_limits(d):
    if d == "bool":
        return 0, 1
    return (np.iinfo(d) if d.startswith(("int", "uint")) else np.finfo(d)).min, \
        (np.iinfo(d) if d.startswith(("int", "uint")) else np.finfo(d)).max


@symbolic
def saturate_cast(x, dtype):  # noqa: A002 - Keras's argument name
    """x cast to `dtype` with its values first clipped to the range `dtype` can hold (inf and
    out-of-range values saturate instead of wrapping), as keras.ops.saturate_cast: the limits are
    Keras's (a limit that x's dtype cannot hold is nudged towards zero). An integer cast to a
    float needs no clipping and gets none (Keras's limits for int64 -> float overflow in NumPy and
    clip every value to int64's minimum; kerasish does not copy that)."""
    x = convert_to_tensor(x)
    out = _standardize_dtype(dtype)
    if out not in _DTYPES:
        raise ValueError(f"saturate_cast: unknown dtype {dtype!r}; valid dtypes are {', '.join(_DTYPES)}")
    src = x.dtype
    if src == "bool" or (not src.startswith("float") and out.startswith("float")):
        return _core.convert_to_tensor(x, out)
    in_min, in_max = _dtype_limits(src)
    out_min, out_max = _dtype_limits(out)
    np_src = np.dtype(src)
    with np.errstate(invalid="ignore", over="ignore"):
        lo = np.maximum(in_min, out_min).astype(np_src)
        if lo < out_min:
            lo = np.nextafter(lo, 0, dtype=np_src)
        hi = np.minimum(in_max, out_max).astype(np_src)
        if hi > out_max:
            hi = np.nextafter(hi, 0, dtype=np_src)
    if not src.startswith("float") and lo == in_min and hi == in_max:  # every integer fits: nothing to clip
        return _core.convert_to_tensor(x, out)
    return _core.convert_to_tensor(_core.clip(x, lo.item(), hi.item()), out)


def _pack_as(structure, flat):
    """The leaves of `flat`, in order, in the nesting of `structure` (dicts by sorted key)."""
    it = iter(flat)

    def pack(s):
        if isinstance(s, list):
            return [pack(v) for v in s]
        if isinstance(s, tuple):
            return tuple(pack(v) for v in s)
        if isinstance(s, dict):
            return {k: pack(s[k]) for k in sorted(s)}
        return next(it)

    return pack(structure)


def _slice_axis(x, start, stop, step, axis):
    return x[(builtins.slice(None),) * axis + (builtins.slice(start, stop, step),)]


def _interleave(a, b, axis):
    """[a0, b0, a1, b1, ...] along `axis` (a as long as b or one longer)."""
    na, nb = a.shape[axis], b.shape[axis]
    head = _slice_axis(a, 0, nb, None, axis)
    shape = list(a.shape)
    shape[axis] = 2 * nb
    out = _core.reshape(_core.stack([head, b], axis + 1), tuple(shape))
    if na > nb:
        out = _core.concatenate([out, _slice_axis(a, nb, None, None, axis)], axis)
    return out


def associative_scan(f, elems, reverse=False, axis=0):
    """The inclusive scan of the associative `f` over `axis`: ``[a, f(a, b), f(f(a, b), c), ...]``,
    as keras.ops.associative_scan. Log-depth (Blelloch's parallel-prefix scheme, as
    jax.lax.associative_scan): about 2 log2(n) calls of `f`, each on whole strided slices, composed
    of ops; `elems` may be a nested structure of tensors that share the scanned axis."""
    from kerasish.tree import flatten

    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    flat = [convert_to_tensor(e) for e in flatten(elems)]
    if not flat:
        raise ValueError("associative_scan: `elems` holds no tensors")
    for e in flat:
        if e.ndim == 0:
            raise ValueError(f"associative_scan: every element needs an axis {axis} to scan, got a scalar")
    ax = int(axis) % flat[0].ndim
    n = flat[0].shape[ax]
    if any(e.ndim <= ax or e.shape[ax] != n for e in flat[1:]):
        raise ValueError("Array inputs to associative_scan must have the same first dimension. "
                         f"(saw: {[tuple(e.shape) for e in flat]})")

    def flip(e):
        return e[(builtins.slice(None),) * ax + (builtins.slice(None, None, -1),)]

    if reverse:
        flat = [flip(e) for e in flat]

    def combine(a, b):
        return [convert_to_tensor(c) for c in flatten(f(_pack_as(elems, a), _pack_as(elems, b)))]

    def scan_(es):
        m = es[0].shape[ax]
        if m < 2:
            return es
        reduced = combine([_slice_axis(e, 0, -1, 2, ax) for e in es], [_slice_axis(e, 1, None, 2, ax) for e in es])
        odd = scan_(reduced)
        rest = [_slice_axis(e, 2, None, 2, ax) for e in es]
        if m % 2 == 0:
            even = combine([_slice_axis(e, 0, -1, None, ax) for e in odd], rest)
        else:
            even = combine(odd, rest)
        even = [_core.concatenate([_slice_axis(e, 0, 1, None, ax), r], ax) for e, r in zip(es, even)]
        return [_interleave(e, o, ax) for e, o in zip(even, odd)]

    out = scan_(flat)
    if reverse:
        out = [flip(e) for e in out]
    return _pack_as(elems, out)


def vectorized_map(function, elements):
    """`function` mapped over the leading axis of `elements` (a tensor, or a list / tuple of
    tensors passed to `function` together), the results stacked, as keras.ops.vectorized_map.
    kerasish does not vectorise `function`: it runs once per slice of the leading axis in a Python
    loop, composing ops, as Keras's NumPy backend does (JAX's vmap batches it instead); the results
    (and their gradients) are the same."""
    from kerasish.tree import flatten

    if isinstance(elements, (list, tuple)):
        items = [convert_to_tensor(e) for e in elements]
        if not items:
            raise ValueError("vectorized_map: `elements` is an empty list")
        n = items[0].shape[0] if items[0].ndim else None
        if n is None or any(e.ndim == 0 or e.shape[0] != n for e in items):
            raise ValueError("vectorized_map: every tensor in `elements` needs the same leading dimension, "
                             f"got shapes {[tuple(e.shape) for e in items]}")
        args = [type(elements)(e[i] for e in items) for i in range(n)]
    else:
        x = convert_to_tensor(elements)
        if x.ndim == 0:
            raise ValueError("vectorized_map: `elements` must have a leading axis to map over, got a scalar")
        n = x.shape[0]
        args = [x[i] for i in range(n)]
    if n == 0:
        raise ValueError("vectorized_map: the leading axis of `elements` is empty (kerasish runs `function` "
                         "once per slice, so it cannot learn the output's shape)")
    outs = [function(a) for a in args]
    leaves = [[convert_to_tensor(t) for t in flatten(o)] for o in outs]
    stacked = [_core.stack([row[j] for row in leaves], 0) for j in range(len(leaves[0]))]
    return _pack_as(outs[0], stacked)
