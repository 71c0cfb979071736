"""Math ops, as keras.ops.math."""
from __future__ import annotations

from kerasish import _core
from kerasish.ops.core import cast, convert_to_tensor, scatter
from kerasish.ops.numpy import (
    _iota,
    _search,
    _wrap_to,
    add,
    clip,
    equal,
    expand_dims,
    greater_equal,
    less,
    logical_and,
    max,
    maximum,
    minimum,
    multiply,
    reshape,
    squeeze,
    take,
    take_along_axis,
    where,
    zeros_like,
)
from kerasish.ops.operation import symbolic


@symbolic
def logsumexp(x, axis=None, keepdims=False): return _core.reduce("logsumexp", x, axis, keepdims)


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's argument name
    """The k largest entries along the last axis and their positions, largest first (ties: the
    lower position first), as ``jax.lax.top_k``. Returns ``(values, indices)``; the values carry
    the gradient back to x."""
    x = convert_to_tensor(x)
    if x.ndim == 0:
        raise ValueError("top_k: x must have at least one dimension")
    k = int(k)
    if not 0 <= k <= x.shape[-1]:
        raise ValueError(f"top_k: k={k} must be between 0 and the last dimension ({x.shape[-1]})")
    indices = _core.argsort(x, -1, True)[..., :k]
    return take_along_axis(x, indices, -1), indices


def in_top_k(targets, predictions, k):
    """Whether each row's target class is among the k largest predictions (a tie with the k-th
    value counts, as in Keras)."""
    targets, predictions = convert_to_tensor(targets), convert_to_tensor(predictions)
    if predictions.ndim != 2 or targets.ndim != 1 or targets.shape[0] != predictions.shape[0]:
        raise ValueError(f"in_top_k: expected targets (batch,) and predictions (batch, classes), "
                         f"got {tuple(targets.shape)} and {tuple(predictions.shape)}")
    kth = top_k(predictions, k)[0][..., -1:] if k > 0 else None
    if kth is None:
        return zeros_like(targets, "bool")
    target_values = take_along_axis(predictions, expand_dims(cast(targets, "int64"), -1), -1)
    return squeeze(greater_equal(target_values, kth), -1)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras's argument name
    """Sums of the rows of `data` that share a segment id (ids outside [0, num_segments) are
    dropped, as jax.ops.segment_sum does), as one checked scatter-add."""
    data, ids = convert_to_tensor(data), cast(convert_to_tensor(segment_ids), "int64")
    if ids.ndim != 1 or data.ndim == 0 or ids.shape[0] != data.shape[0]:
        raise ValueError(f"segment_sum: segment_ids of shape {tuple(ids.shape)} must label the rows of data "
                         f"of shape {tuple(data.shape)}")
    if num_segments is None:
        num_segments = int(max(ids)) + 1 if ids.shape[0] else 0
    valid = logical_and(greater_equal(ids, 0), less(ids, int(num_segments)))
    rows = where(reshape(valid, (-1,) + (1,) * (data.ndim - 1)), data, 0)
    return scatter(expand_dims(where(valid, ids, 0), -1), rows, (int(num_segments),) + tuple(data.shape[1:]))


def _segment_rows(data, segment_ids, num_segments, what):
    """(data, int64 ids, the number of segments), checked as segment_sum checks them."""
    data, ids = convert_to_tensor(data), cast(convert_to_tensor(segment_ids), "int64")
    if ids.ndim != 1 or data.ndim == 0 or ids.shape[0] != data.shape[0]:
        raise ValueError(f"{what}: segment_ids of shape {tuple(ids.shape)} must label the rows of data "
                         f"of shape {tuple(data.shape)}")
    if num_segments is None:
        num_segments = int(max(ids)) + 1 if ids.shape[0] else 0
    return data, ids, int(num_segments)


def _segment_reduce(data, segment_ids, num_segments, sorted, what, op, identity):  # noqa: A002
    """The reduction by `op` of the rows of data that share a segment id, `identity` for an empty
    segment; ids outside [0, num_segments) are dropped, as in jax.ops. The rows are ordered by id
    (unless `sorted` says they are), reduced by a segmented scan of log2(n) doubling steps, and
    each segment's total gathered from its last row: it differentiates like its parts."""
    data, ids, k = _segment_rows(data, segment_ids, num_segments, what)
    dt, n = data.dtype, ids.shape[0]
    rows = data if dt.startswith("float") else cast(data, "int64")
    if not sorted:
        order = _core.argsort(ids, 0)
        ids, rows = take(ids, order, 0), take(rows, order, 0)
    out_shape = (k,) + tuple(data.shape[1:])
    if n == 0 or k == 0:
        return _core.full(out_shape, float(identity), dt, data.device)
    trail = (1,) * (data.ndim - 1)
    d = 1
    while d < n:  # after this step, each row holds the reduction of the (up to 2d) rows of its segment ending there
        same = reshape(equal(ids[d:], ids[:-d]), (n - d,) + trail)
        rows = _core.concatenate([rows[:d], where(same, op(rows[d:], rows[:-d]), rows[d:])], 0)
        d *= 2
    seg = _iota(k, ids)
    last = clip(add(_search(ids, seg, True), -1), 0, n - 1)
    present = reshape(equal(take(ids, last, 0), seg), (k,) + trail)
    out = where(present, take(rows, last, 0), _core.full(out_shape, float(identity), rows.dtype, rows.device))
    return out if dt.startswith("float") else _wrap_to(out, dt)


def _extreme(dtype, device, low):
    """The identity of max (low) or min: -inf/inf, or the dtype's extreme integer (on the GPU,
    where int64 is held in 32 bits, the 32-bit one)."""
    if dtype.startswith("float"):
        return float("-inf") if low else float("inf")
    if dtype == "bool":
        return 0 if low else 1
    if dtype == "uint8":
        return 0 if low else 255
    bits = 63 if device == "cpu" else 31
    return -(2 ** bits) if low else 2 ** bits - 1


@symbolic
def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras's argument name
    """The maximum of the rows of `data` sharing each segment id (-inf, or the dtype's smallest
    value, for an empty segment; NaN propagates), as jax.ops.segment_max."""
    data = convert_to_tensor(data)
    return _segment_reduce(data, segment_ids, num_segments, sorted, "segment_max", maximum,
                           _extreme(data.dtype, data.device, True))


@symbolic
def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras's argument name
    """The minimum of the rows of `data` sharing each segment id (inf, or the dtype's largest value,
    for an empty segment), as jax.ops.segment_min."""
    data = convert_to_tensor(data)
    return _segment_reduce(data, segment_ids, num_segments, sorted, "segment_min", minimum,
                           _extreme(data.dtype, data.device, False))


@symbolic
def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras's argument name
    """The product of the rows of `data` sharing each segment id (1 for an empty segment; integers
    wrap in their dtype), as jax.ops.segment_prod."""
    data = convert_to_tensor(data)
    if data.dtype == "bool":
        raise TypeError("segment_prod: bool data is not supported (Keras rejects it too)")
    return _segment_reduce(data, segment_ids, num_segments, sorted, "segment_prod", multiply, 1)


@symbolic
def extract_sequences(x, sequence_length, sequence_stride):
    """The windows of `sequence_length` along the last axis, every `sequence_stride` elements:
    shape (..., 1 + (N - sequence_length) // sequence_stride, sequence_length), one gather."""
    x = convert_to_tensor(x)
    if x.ndim < 1:
        raise ValueError(f"extract_sequences: x must have rank >= 1, got shape {tuple(x.shape)}")
    length, stride = int(sequence_length), int(sequence_stride)
    if length <= 0 or stride <= 0:
        raise ValueError(f"extract_sequences: sequence_length ({sequence_length}) and sequence_stride "
                         f"({sequence_stride}) must be positive")
    n = x.shape[-1]
    count = 1 + (n - length) // stride if n >= length else 0
    starts = reshape(multiply(_iota(count, x), stride), (-1, 1))
    return take(x, add(starts, reshape(_iota(length, x), (1, -1))), x.ndim - 1)
