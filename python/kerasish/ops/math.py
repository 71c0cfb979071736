"""Math ops, as keras.ops.math."""
from __future__ import annotations

from kerasish import _core
from kerasish.ops.core import cast, convert_to_tensor, scatter
from kerasish.ops.numpy import (
    expand_dims,
    greater_equal,
    less,
    logical_and,
    max,
    reshape,
    squeeze,
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
