"""Core ops, as keras.ops.core: conversion to and from tensors, casting and shapes."""
from __future__ import annotations

import builtins
import math

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
