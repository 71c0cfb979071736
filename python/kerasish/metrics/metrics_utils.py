"""Helpers of the metrics: float casts, safe division, sample weighting and the confusion-matrix
update behind the thresholded metrics, as keras/src/metrics/metrics_utils.py."""
from __future__ import annotations

from kerasish import _tensor, config, ops
from kerasish.backend.dtypes import FLOAT_TYPES
from kerasish.losses import (
    squeeze_or_expand_to_same_rank,
)


def to_float(x, dtype=None):
    x = ops.convert_to_tensor(x)
    dtype = dtype or (x.dtype if x.dtype in FLOAT_TYPES else config.floatx())
    return x if x.dtype == dtype else ops.cast(x, dtype)


def divide_no_nan(a, b):
    zero = ops.equal(b, 0.0)
    safe = ops.where(zero, ops.ones_like(b), b)
    return ops.where(zero, ops.zeros_like(a / safe), a / safe)


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Keras's rule: values reduced to the weights' rank, weighted, then reduced to one value per
    sample; returns (values, per-sample weights or None)."""
    values = to_float(values, dtype)
    if sample_weight is not None:
        sample_weight = to_float(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        values_ndim = values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=list(range(weight_ndim, values_ndim)))
        sample_weight = ops.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=list(range(1, values.ndim)))
    return values, sample_weight


NEG_INF = -1e10


def parse_thresholds(thresholds, default=0.5):
    if thresholds is None:
        thresholds = [default]
    elif isinstance(thresholds, (int, float)) and not isinstance(thresholds, bool):
        thresholds = [float(thresholds)]
    else:
        thresholds = [float(t) for t in thresholds]
    bad = [t for t in thresholds if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return thresholds


def filter_top_k(x, k):
    """Keeps the k largest values of each row (last axis; ties broken by position, lowest index
    first, as top_k), sets the others to -1e10."""
    n = x.shape[-1]
    xi = ops.expand_dims(x, -1)  # (..., n, 1): x_i
    xj = ops.expand_dims(x, -2)  # (..., 1, n): x_j
    idx = _tensor.arange(n)
    earlier = ops.less(ops.expand_dims(idx, 0), ops.expand_dims(idx, 1))  # [i, j]: j < i
    beats = ops.maximum(
        ops.cast(ops.greater(xj, xi), "int64"),
        ops.cast(ops.equal(xj, xi), "int64") * ops.cast(earlier, "int64"),
    )
    rank = ops.sum(beats, axis=-1)  # how many entries rank before x_i
    keep = ops.less(rank, int(k))
    return ops.where(keep, x, ops.zeros_like(x) + NEG_INF)


def update_confusion_matrix_variables(
    variables_to_update, y_true, y_pred, thresholds, top_k=None, class_id=None, sample_weight=None,
    multi_label=False, label_weights=None,
):
    """Adds weighted counts of true/false positives/negatives at each threshold.

    A prediction counts as positive at threshold t when ``y_pred > t``; a label is positive when
    nonzero. ``thresholds`` (T,) are compared against every prediction at once by broadcasting;
    counts have shape (T,), or (T, num_labels) with ``multi_label``.
    """
    dtype = "float32"
    y_pred = to_float(y_pred, dtype)
    y_true = to_float(y_true, dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        y_true = y_true[..., class_id:class_id + 1]
        y_pred = y_pred[..., class_id:class_id + 1]
    if y_pred.ndim == 0:
        y_pred = ops.reshape(y_pred, (1,))
        y_true = ops.reshape(y_true, (1,))
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            "Confusion-matrix metrics (Precision, Recall, AUC, ...) need y_true and y_pred of the same "
            f"shape (one label per prediction). Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    weights = None
    if sample_weight is not None:
        w = to_float(sample_weight, dtype)
        if 0 < w.ndim < y_pred.ndim:
            w = ops.reshape(w, tuple(w.shape) + (1,) * (y_pred.ndim - w.ndim))
        weights = ops.broadcast_to(w, y_pred.shape)
    if label_weights is not None and not multi_label:
        lw = ops.broadcast_to(to_float(label_weights, dtype), y_pred.shape)
        weights = lw if weights is None else weights * lw

    if multi_label:
        # (batch, labels) -> (T, batch, labels); counts summed over the batch axis
        preds = ops.reshape(y_pred, (-1, y_pred.shape[-1]))
        labels = ops.reshape(y_true, (-1, y_true.shape[-1]))
        thr = ops.reshape(ops.convert_to_tensor(thresholds, dtype=dtype), (-1, 1, 1))
        preds, labels = ops.expand_dims(preds, 0), ops.expand_dims(labels, 0)
        w = None if weights is None else ops.expand_dims(ops.reshape(weights, (-1, y_pred.shape[-1])), 0)
        sum_axis = 1
    else:
        preds = ops.reshape(y_pred, (1, -1))
        labels = ops.reshape(y_true, (1, -1))
        thr = ops.reshape(ops.convert_to_tensor(thresholds, dtype=dtype), (-1, 1))
        w = None if weights is None else ops.reshape(weights, (1, -1))
        sum_axis = 1

    pred_pos = ops.cast(ops.greater(preds, thr), dtype)  # (T, M) / (T, B, L)
    label_pos = ops.cast(ops.not_equal(labels, 0.0), dtype)
    pred_neg = 1.0 - pred_pos
    label_neg = 1.0 - label_pos
    terms = {
        "tp": (label_pos, pred_pos),
        "fp": (label_neg, pred_pos),
        "tn": (label_neg, pred_neg),
        "fn": (label_pos, pred_neg),
    }
    for key, var in variables_to_update.items():
        a, b = terms[key]
        counts = a * b if w is None else a * b * w
        var.assign_add(ops.sum(counts, axis=sum_axis))
