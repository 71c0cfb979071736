"""The metric functions (accuracy and the others that are not losses) and the table of every
function a MeanMetricWrapper accepts by name. Apart from the metric classes, which are built on
MeanMetricWrapper, so that MeanMetricWrapper can look names up without importing its subclasses."""
from __future__ import annotations

from kerasish import config, losses, ops
from kerasish.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    kl_divergence,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    squeeze_or_expand_to_same_rank,
)
from kerasish.utils import registry


def lookup_function(name):
    fn = FUNCTIONS.get(name)
    if fn is None:
        raise ValueError(f"Unknown metric function: {name!r}. Valid names are: {registry.valid_names(FUNCTIONS)}")
    return fn


def function_name(fn):
    for name, obj in FUNCTIONS.items():
        if obj is fn:
            return name
    return getattr(fn, "__name__", repr(fn))


def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred``, averaged over the last axis."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = ops.cast(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.cast(ops.equal(y_true, y_pred), config.floatx()), axis=-1)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``(y_pred > threshold) == y_true``, averaged over the last axis."""
    y_true = ops.convert_to_tensor(y_true)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = ops.cast(ops.greater(y_pred, float(threshold)), y_true.dtype)
    return ops.mean(ops.cast(ops.equal(y_true, y_pred), config.floatx()), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_true) == argmax(y_pred)`` (last axis)."""
    y_true = ops.argmax(ops.convert_to_tensor(y_true), axis=-1)
    y_pred = ops.convert_to_tensor(y_pred)
    reshape_matches = False
    y_true_org_shape = tuple(y_true.shape)
    if y_true.ndim == y_pred.ndim:
        y_true = ops.squeeze(y_true, -1)
        reshape_matches = True
    y_pred = ops.argmax(y_pred, axis=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = ops.cast(y_pred, y_true.dtype)
    matches = ops.cast(ops.equal(y_true, y_pred), config.floatx())
    if reshape_matches:
        matches = ops.reshape(matches, y_true_org_shape)
    return matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where ``y_true == argmax(y_pred)`` (labels of shape (n,) or (n, 1))."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    reshape_matches = False
    y_true_org_shape = tuple(y_true.shape)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
        reshape_matches = True
    y_pred = ops.argmax(y_pred, axis=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = ops.cast(y_pred, y_true.dtype)
    matches = ops.cast(ops.equal(y_true, y_pred), config.floatx())
    if reshape_matches:
        matches = ops.reshape(matches, y_true_org_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = ops.squeeze(matches, -1)
    return matches


def _in_top_k(targets, predictions, k):
    """Whether each target class is among the k largest predictions of its row. Ties at the
    boundary count as in (TF's rule, same as JAX's ``targets_value >= k-th largest``)."""
    targets = ops.convert_to_tensor(targets)
    if targets.dtype != "int64":
        targets = ops.cast(targets, "int64")
    target_values = ops.take_along_axis(predictions, ops.expand_dims(targets, -1), axis=-1)
    n_greater = ops.sum(ops.cast(ops.greater(predictions, target_values), "int64"), axis=-1)
    return ops.less(n_greater, int(k))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target class is among the k largest predictions."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.argmax(ops.convert_to_tensor(y_true), axis=-1)
    y_true_org_shape = tuple(y_true.shape)
    reshape_matches = False
    if y_pred.ndim > 2:
        y_pred = ops.reshape(y_pred, (-1, y_pred.shape[-1]))
    if y_true.ndim > 1:
        reshape_matches = True
        y_true = ops.reshape(y_true, (-1,))
    matches = ops.cast(_in_top_k(y_true, y_pred, k), config.floatx())
    if reshape_matches:
        matches = ops.reshape(matches, y_true_org_shape)
    return matches


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer target is among the k largest predictions (or, with
    ``from_sorted_ids``, among the first k ids of ``y_pred``)."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    y_true_org_shape = tuple(y_true.shape)
    reshape_matches = False
    if y_pred.ndim > 2:
        y_pred = ops.reshape(y_pred, (-1, y_pred.shape[-1]))
    if y_true.ndim > 1:
        reshape_matches = True
        y_true = ops.reshape(y_true, (-1,))
    if from_sorted_ids:
        ids = y_pred[:, : int(k)]
        hit = ops.equal(ops.cast(ids, "int64"), ops.expand_dims(ops.cast(y_true, "int64"), -1))
        matches = ops.max(ops.cast(hit, config.floatx()), axis=-1)
    else:
        matches = ops.cast(_in_top_k(y_true, y_pred, k), config.floatx())
    if reshape_matches:
        matches = ops.reshape(matches, y_true_org_shape)
    return matches


def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (1 is best)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


def log_cosh(y_true, y_pred):
    return losses.log_cosh(y_true, y_pred)


# metric functions (for MeanMetricWrapper configs and custom wrapping)
FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy, mean_squared_error, mean_absolute_error,
        mean_absolute_percentage_error, mean_squared_logarithmic_error, hinge, squared_hinge, categorical_hinge,
        kl_divergence, poisson, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
        cosine_similarity, log_cosh,
    )
}
