"""Metrics, as ``keras.metrics``.

``resolve(identifier, y_true_shape, y_pred_shape)`` is what ``compile(metrics=[...])`` makes of an
identifier, including Keras's ``"accuracy"`` / ``"acc"`` (and ``"crossentropy"`` / ``"ce"``) choice
between the binary, sparse categorical and categorical variants.
"""
from __future__ import annotations

from kerasish import _tensor, config, initializers, losses, naming, ops
from kerasish._tensor import no_grad
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
from kerasish.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
)
from kerasish.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from kerasish.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from kerasish.metrics.metric import Metric
from kerasish.metrics.metric_functions import (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    cosine_similarity,
    function_name,
    log_cosh,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from kerasish.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from kerasish.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from kerasish.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
)
from kerasish.utils import registry
from kerasish.variables import Variable

__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy", "CategoricalCrossentropy",
    "CategoricalHinge", "CosineSimilarity", "FalseNegatives", "FalsePositives", "Hinge", "KLDivergence",
    "LogCoshError", "Mean", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetricWrapper",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Metric", "Poisson", "Precision", "Recall",
    "RootMeanSquaredError", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "SquaredHinge", "Sum", "TopKCategoricalAccuracy", "TrueNegatives",
    "TruePositives",
    "accuracy", "binary_accuracy", "binary_crossentropy", "categorical_accuracy", "categorical_crossentropy",
    "categorical_hinge", "deserialize", "get", "hinge", "kl_divergence", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error", "poisson",
    "resolve", "serialize", "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "squared_hinge", "top_k_categorical_accuracy",
]


_CLASSES = [
    Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, AUC,
    FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives, Hinge, SquaredHinge,
    CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
]


ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({naming.to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({
    # Keras's own spelling of a few snake_case names
    "auc": AUC, "kl_divergence": KLDivergence, "log_cosh_error": LogCoshError,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    # aliases
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
})


SMART_NAMES = ("accuracy", "acc", "crossentropy", "ce")


def _valid_names(smart=False):
    names = registry.valid_names(ALL_OBJECTS_DICT, ("Metric", "metric", "MeanMetricWrapper", "mean_metric_wrapper"))
    return names + (", and in compile(): " + ", ".join(SMART_NAMES) if smart else "")


def serialize(metric):
    if metric is None or isinstance(metric, Metric):
        return registry.to_config(metric, "keras.metrics")
    return function_name(metric)


def deserialize(config_, custom_objects=None):
    """A metric instance from a config dict or class name (a metric function from its name)."""
    return registry.deserialize(config_, ALL_OBJECTS_DICT, "metric", _valid_names, custom_objects)


def get(identifier):
    """As ``keras.metrics.get``: a name or config dict gives a new metric instance, a class a default
    instance, a callable or instance itself. Unknown names raise ValueError listing the valid ones."""
    return registry.get(identifier, deserialize, "metric", _valid_names)


def resolve(identifier, y_true_shape=None, y_pred_shape=None, loss=None):
    """The metric object ``compile(metrics=[identifier])`` uses (Keras's ``get_metric``).

    * ``"accuracy"`` / ``"acc"``: BinaryAccuracy when y_pred's last dim is 1; else
      SparseCategoricalAccuracy when rank(y_true) < rank(y_pred) or y_true's last dim is 1;
      else CategoricalAccuracy.
    * ``"crossentropy"`` / ``"ce"``: the matching crossentropy metric by the same rule, with
      ``from_logits`` taken from ``loss`` when it has that attribute.
    * other names / metric classes / instances via :func:`get`; plain functions are wrapped in a
      :class:`MeanMetricWrapper`.

    A string identifier names the metric (``"acc"`` logs as ``acc``); otherwise the object's name.
    Shapes may be tuples or anything with ``.shape``.
    """
    if identifier is None:
        return None
    key = identifier.lower() if isinstance(identifier, str) else None
    if key is not None and key not in SMART_NAMES and identifier not in ALL_OBJECTS_DICT:
        raise ValueError(f"Unknown metric: {identifier!r}. Valid names are: {_valid_names(smart=True)}")
    if key in ("accuracy", "acc"):
        is_binary, is_sparse = losses.is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
        if is_binary:
            metric_obj = BinaryAccuracy(name=identifier)
        elif is_sparse:
            metric_obj = SparseCategoricalAccuracy(name=identifier)
        else:
            metric_obj = CategoricalAccuracy(name=identifier)
    elif key in ("crossentropy", "ce"):
        is_binary, is_sparse = losses.is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
        from_logits = bool(getattr(loss, "from_logits", False)) if loss is not None else False
        if loss is not None and not hasattr(loss, "from_logits"):
            from_logits = bool(getattr(loss, "_fn_kwargs", {}).get("from_logits", False))
        if is_binary:
            metric_obj = BinaryCrossentropy(name=identifier, from_logits=from_logits)
        elif is_sparse:
            metric_obj = SparseCategoricalCrossentropy(name=identifier, from_logits=from_logits)
        else:
            metric_obj = CategoricalCrossentropy(name=identifier, from_logits=from_logits)
    else:
        metric_obj = get(identifier)
    name = identifier if isinstance(identifier, str) else naming.object_name(metric_obj)
    if not isinstance(metric_obj, Metric):
        metric_obj = MeanMetricWrapper(metric_obj, name=name)
    metric_obj.name = name
    return metric_obj
