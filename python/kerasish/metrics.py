"""Metrics, as ``keras.metrics``.

A metric keeps its state in non-trainable :class:`kerasish.Variable` objects (``variables``),
updated in place with ``assign`` / ``assign_add``: ``update_state(y_true, y_pred, sample_weight=None)``
accumulates, ``result()`` returns a new scalar tensor, ``reset_state()`` zeroes the state, and
calling the metric does ``update_state`` then ``result``. Updates record no gradients.

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


# ---------------------------------------------------------------------------------------------
# helpers


def _float(x, dtype=None):
    x = ops.convert_to_tensor(x)
    dtype = dtype or (x.dtype if x.dtype in ("float32", "float64") else config.floatx())
    return x if x.dtype == dtype else ops.cast(x, dtype)


def _divide_no_nan(a, b):
    zero = ops.equal(b, 0.0)
    safe = ops.where(zero, ops.ones_like(b), b)
    return ops.where(zero, ops.zeros_like(a / safe), a / safe)


def _reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Keras's rule: values reduced to the weights' rank, weighted, then reduced to one value per
    sample; returns (values, per-sample weights or None)."""
    values = _float(values, dtype)
    if sample_weight is not None:
        sample_weight = _float(sample_weight, dtype)
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


def _object_name(obj):
    if hasattr(obj, "name"):
        return obj.name
    if hasattr(obj, "__name__"):
        return naming.to_snake_case(obj.__name__)
    return naming.to_snake_case(type(obj).__name__)


# ---------------------------------------------------------------------------------------------
# base classes


class Metric:
    """Base class. Subclasses create state with :meth:`add_variable` in ``__init__`` and implement
    ``update_state`` and ``result``."""

    def __init__(self, dtype=None, name=None):
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        self.name = name or naming.auto_name(naming.to_snake_case(type(self).__name__))
        self._dtype = dtype or config.floatx()

    def __setattr__(self, name, value):
        # track state variables and sub-metrics assigned as attributes
        if "_variables" in self.__dict__:
            if isinstance(value, Variable) and not any(v is value for v in self._variables):
                self._variables.append(value)
            elif isinstance(value, Metric) and value is not self and not any(m is value for m in self._metrics):
                self._metrics.append(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` method. Go add it!")

    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A new non-trainable state variable (tracked in ``variables``)."""
        self._check_super_called()
        init = initializers.get(initializer) if initializer is not None else initializers.Zeros()
        dtype = dtype or self.dtype
        value = init(tuple(shape), dtype=dtype)
        variable = Variable(value, dtype=dtype, trainable=False, name=name, aggregation=aggregation)
        variable.path = f"{self.name}/{name}" if name else self.name
        if not any(v is variable for v in self._variables):
            self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        out = list(self._variables)
        for m in self._metrics:
            out.extend(m.variables)
        return out

    def reset_state(self):
        """Zeroes every state variable."""
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config_):
        return cls(**config_)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__


class Sum(Metric):
    """The (weighted) sum of the values given."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    @no_grad()
    def update_state(self, values, sample_weight=None):
        values, _ = _reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        self.total.assign_add(ops.sum(values))

    def result(self):
        return self.total + 0.0  # a new tensor, not a view of the state

    def reset_state(self):
        self.total.assign(ops.zeros((), dtype=self.total.dtype))


class Mean(Metric):
    """The (weighted) mean of the values given: ``total / count``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    @no_grad()
    def update_state(self, values, sample_weight=None):
        if (isinstance(sample_weight, (int, float)) and not isinstance(sample_weight, bool) and hasattr(values, "shape")
                and len(values.shape) == 0):
            values = _float(values, self.dtype)
            self.total.assign_add(values * float(sample_weight))
            self.count.assign_add(float(sample_weight))
            return
        values, sample_weight = _reduce_to_samplewise_values(values, sample_weight, ops.mean, self.dtype)
        self.total.assign_add(ops.sum(values))
        if sample_weight is not None:
            self.count.assign_add(ops.sum(sample_weight))
        else:
            self.count.assign_add(float(values.shape[0]) if values.ndim >= 1 else 1.0)

    def result(self):
        return _divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(ops.zeros((), dtype=self.total.dtype))
        self.count.assign(ops.zeros((), dtype=self.count.dtype))


def _lookup_metric_function(name):
    fn = _FUNCTIONS.get(name)
    if fn is None:
        raise ValueError(f"Unknown metric function: {name!r}. Valid names are: {_valid_names()}")
    return fn


def _function_name(fn):
    for name, obj in _FUNCTIONS.items():
        if obj is fn:
            return name
    return getattr(fn, "__name__", repr(fn))


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)`` (per-sample values)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if isinstance(fn, str):
            fn = _lookup_metric_function(fn)
        super().__init__(name=name or naming.auto_name(naming.to_snake_case(type(self).__name__)), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    @no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        mask = getattr(y_pred, "_keras_mask", None)
        if mask is not None:
            sample_weight = losses.apply_mask(sample_weight, mask, self.dtype, "sum")
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        base = {"name": self.name, "dtype": self.dtype}
        if type(self) is MeanMetricWrapper:
            base["fn"] = _function_name(self._fn)
            base.update(self._fn_kwargs)
        return base


class _Wrapped(MeanMetricWrapper):
    """Built-in wrappers: config holds name, dtype and the class's own arguments."""

    _fn_static = None
    _arg_names = ()

    def __init__(self, name, dtype=None, **kwargs):
        super().__init__(type(self)._fn_static, name=name, dtype=dtype, **kwargs)
        for k, v in kwargs.items():
            setattr(self, k, v)

    def get_config(self):
        config_ = {"name": self.name, "dtype": self.dtype}
        config_.update({k: getattr(self, k) for k in self._arg_names})
        return config_


# ---------------------------------------------------------------------------------------------
# accuracy functions


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


# ---------------------------------------------------------------------------------------------
# wrapper metrics


class Accuracy(_Wrapped):
    """How often ``y_pred`` equals ``y_true``."""

    _fn_static = staticmethod(accuracy)

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class BinaryAccuracy(_Wrapped):
    """How often ``y_pred > threshold`` matches binary labels."""

    _fn_static = staticmethod(binary_accuracy)
    _arg_names = ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and (threshold <= 0 or threshold >= 1):
            raise ValueError(
                "Invalid value for argument `threshold`. Expected a value in interval (0, 1). "
                f"Received: threshold={threshold}"
            )
        super().__init__(name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(_Wrapped):
    """How often ``argmax(y_pred)`` matches one-hot labels."""

    _fn_static = staticmethod(categorical_accuracy)

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalAccuracy(_Wrapped):
    """How often ``argmax(y_pred)`` matches integer labels."""

    _fn_static = staticmethod(sparse_categorical_accuracy)

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class TopKCategoricalAccuracy(_Wrapped):
    """How often the one-hot target is among the top ``k`` predictions."""

    _fn_static = staticmethod(top_k_categorical_accuracy)
    _arg_names = ("k",)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(_Wrapped):
    """How often the integer target is among the top ``k`` predictions."""

    _fn_static = staticmethod(sparse_top_k_categorical_accuracy)
    _arg_names = ("k", "from_sorted_ids")

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(name=name, dtype=dtype, k=k, from_sorted_ids=from_sorted_ids)


class MeanSquaredError(_Wrapped):
    _fn_static = staticmethod(mean_squared_error)

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(_Wrapped):
    _fn_static = staticmethod(mean_absolute_error)

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(_Wrapped):
    _fn_static = staticmethod(mean_absolute_percentage_error)

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_Wrapped):
    _fn_static = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CosineSimilarity(_Wrapped):
    _fn_static = staticmethod(cosine_similarity)
    _arg_names = ("axis",)

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class LogCoshError(_Wrapped):
    _fn_static = staticmethod(log_cosh)

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Hinge(_Wrapped):
    _fn_static = staticmethod(hinge)

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(_Wrapped):
    _fn_static = staticmethod(squared_hinge)

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(_Wrapped):
    _fn_static = staticmethod(categorical_hinge)

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class KLDivergence(_Wrapped):
    _fn_static = staticmethod(kl_divergence)

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Poisson(_Wrapped):
    _fn_static = staticmethod(poisson)

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)


class BinaryCrossentropy(_Wrapped):
    _fn_static = staticmethod(binary_crossentropy)
    _arg_names = ("from_logits", "label_smoothing")

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_Wrapped):
    _fn_static = staticmethod(categorical_crossentropy)
    _arg_names = ("from_logits", "label_smoothing", "axis")

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_Wrapped):
    _fn_static = staticmethod(sparse_categorical_crossentropy)
    _arg_names = ("from_logits", "axis")

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, axis=axis)


class RootMeanSquaredError(Mean):
    """``sqrt(mean(square(y_true - y_pred)))`` over all values seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    @no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _float(y_true, self.dtype)
        y_pred = _float(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        error_sq = ops.square(y_pred - y_true)
        return super().update_state(error_sq, sample_weight=sample_weight)

    def result(self):
        return ops.sqrt(_divide_no_nan(self.total, self.count))


# ---------------------------------------------------------------------------------------------
# confusion-matrix metrics

_NEG_INF = -1e10


def _parse_thresholds(thresholds, default=0.5):
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


def _filter_top_k(x, k):
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
    return ops.where(keep, x, ops.zeros_like(x) + _NEG_INF)


def _update_confusion_matrix_variables(
    variables_to_update, y_true, y_pred, thresholds, top_k=None, class_id=None, sample_weight=None,
    multi_label=False, label_weights=None,
):
    """Adds weighted counts of true/false positives/negatives at each threshold.

    A prediction counts as positive at threshold t when ``y_pred > t``; a label is positive when
    nonzero. ``thresholds`` (T,) are compared against every prediction at once by broadcasting;
    counts have shape (T,), or (T, num_labels) with ``multi_label``.
    """
    dtype = "float32"
    y_pred = _float(y_pred, dtype)
    y_true = _float(y_true, dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
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
        w = _float(sample_weight, dtype)
        if 0 < w.ndim < y_pred.ndim:
            w = ops.reshape(w, tuple(w.shape) + (1,) * (y_pred.ndim - w.ndim))
        weights = ops.broadcast_to(w, y_pred.shape)
    if label_weights is not None and not multi_label:
        lw = ops.broadcast_to(_float(label_weights, dtype), y_pred.shape)
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


class _ConfusionMatrixConditionCount(Metric):
    """Weighted count of one confusion-matrix cell at each threshold."""

    _key = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, default=0.5)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", dtype="float32", name="accumulator"
        )

    @no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        _update_confusion_matrix_variables({self._key: self.accumulator}, y_true, y_pred, self.thresholds,
                                           sample_weight=sample_weight)

    def result(self):
        r = ops.cast(self.accumulator, self.dtype) + 0.0
        return r[0] if len(self.thresholds) == 1 else r

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    _key = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    _key = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    _key = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    _key = "fn"


class _ThresholdRatio(Metric):
    """``tp / (tp + other)`` over thresholds (or the top-k predictions), where ``other`` is the
    count named by ``_other`` (false positives for precision, false negatives for recall)."""

    _other = None  # (attribute name, confusion-count key)

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = _NEG_INF if top_k is not None else 0.5
        self.thresholds = [default] if thresholds is None and top_k is not None else _parse_thresholds(thresholds, 0.5)
        n = len(self.thresholds)
        attr = self._other[0]
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros", dtype="float32", name="true_positives")
        setattr(self, attr, self.add_variable(shape=(n,), initializer="zeros", dtype="float32", name=attr))

    @no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        attr, key = self._other
        _update_confusion_matrix_variables(
            {"tp": self.true_positives, key: getattr(self, attr)}, y_true, y_pred, self.thresholds,
            top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight,
        )

    def result(self):
        other = getattr(self, self._other[0])
        r = _divide_no_nan(self.true_positives, self.true_positives + other)
        r = ops.cast(r, self.dtype)
        return r[0] if len(self.thresholds) == 1 else r

    def get_config(self):
        return {
            "name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds,
            "top_k": self.top_k, "class_id": self.class_id,
        }


class Precision(_ThresholdRatio):
    """``tp / (tp + fp)``: predictions ``> threshold`` (default 0.5) count as positive.

    With a list of thresholds the result is a vector. ``top_k`` keeps only the k largest
    predictions of each row positive; ``class_id`` looks at one class column only.
    """

    _other = ("false_positives", "fp")


class Recall(_ThresholdRatio):
    """``tp / (tp + fn)``: predictions ``> threshold`` (default 0.5) count as positive."""

    _other = ("false_negatives", "fn")


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at ``num_thresholds`` thresholds.

    Default thresholds: ``-epsilon, 1/(n-1), ..., (n-2)/(n-1), 1 + epsilon``. ``summation_method``:
    "interpolation" (trapezoids for ROC, Davis & Goadrich interpolation for PR), "minoring" or
    "majoring". ``multi_label=True`` computes one curve per label column and averages them
    (weighted by ``label_weights`` when given).
    """

    def __init__(
        self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
        thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False,
    ):
        curve_u = str(curve).upper()
        if curve_u not in ("ROC", "PR"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC"]')
        method = str(summation_method).lower()
        if method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". '
                'Expected values are ["interpolation", "majoring", "minoring"]'
            )
        super().__init__(name=name, dtype=dtype)
        self.curve = curve_u
        self.summation_method = method
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.from_logits = bool(from_logits)
        eps = config.epsilon()
        if thresholds is not None:
            thresholds = _parse_thresholds(thresholds)
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            self._thresholds_distributed_evenly = False
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            thresholds = [(i + 1) * 1.0 / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        self._thresholds = [0.0 - eps] + thresholds + [1.0 + eps]
        if label_weights is not None:
            label_weights = ops.convert_to_tensor(label_weights, dtype=self.dtype)
            lw_min = float(ops.min(label_weights).item())
            if lw_min < 0:
                raise ValueError(f"All values of `label_weights` must be non-negative. Received: label_weights={label_weights}")
        self.label_weights = label_weights
        self._built = False
        if self.multi_label:
            if num_labels is not None:
                self._build(num_labels)
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds, int(num_labels))
        self._num_labels = num_labels
        self.true_positives = self.add_variable(shape=shape, initializer="zeros", dtype="float32", name="true_positives")
        self.false_positives = self.add_variable(shape=shape, initializer="zeros", dtype="float32", name="false_positives")
        self.true_negatives = self.add_variable(shape=shape, initializer="zeros", dtype="float32", name="true_negatives")
        self.false_negatives = self.add_variable(shape=shape, initializer="zeros", dtype="float32", name="false_negatives")
        self._built = True

    @no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _float(y_pred, "float32")
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {y_pred.ndim}. "
                    f"Full shape received for `y_pred`: {y_pred.shape}"
                )
            self._build(y_pred.shape[-1])
        if self.from_logits:
            y_pred = ops.sigmoid(y_pred)
        _update_confusion_matrix_variables(
            {"tp": self.true_positives, "tn": self.true_negatives, "fp": self.false_positives, "fn": self.false_negatives},
            y_true, y_pred, self._thresholds, sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _interpolate_pr_auc(self):
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = tp[1:] - prec_slope * p[1:]
        both_pos = ops.cast(ops.greater(p[: n - 1], 0.0), "float32") * ops.cast(ops.greater(p[1:], 0.0), "float32")
        safe_p_ratio = ops.where(
            ops.greater(both_pos, 0.0), _divide_no_nan(p[: n - 1], ops.maximum(p[1:], 0.0)), ops.ones_like(p[1:])
        )
        pr_auc_increment = _divide_no_nan(
            prec_slope * (dtp + intercept * ops.log(safe_p_ratio)), ops.maximum(tp[1:] + fn[1:], 0.0)
        )
        return self._aggregate(pr_auc_increment)

    def _aggregate(self, terms):
        if self.multi_label:
            by_label = ops.sum(terms, axis=0)
            if self.label_weights is None:
                return ops.mean(by_label)
            lw = ops.cast(self.label_weights, by_label.dtype)
            return _divide_no_nan(ops.sum(by_label * lw), ops.sum(lw))
        return ops.sum(terms)

    def result(self):
        if not self._built:
            return ops.zeros((), dtype=self.dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return ops.cast(self._interpolate_pr_auc(), self.dtype)
        n = self.num_thresholds
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x = _divide_no_nan(fp, fp + tn)
            y = recall
        else:
            x = recall
            y = _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = ops.minimum(y[: n - 1], y[1:])
        else:
            heights = ops.maximum(y[: n - 1], y[1:])
        riemann_terms = (x[: n - 1] - x[1:]) * heights
        return ops.cast(self._aggregate(riemann_terms), self.dtype)

    def reset_state(self):
        if self._built:
            for v in (self.true_positives, self.false_positives, self.true_negatives, self.false_negatives):
                v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def get_config(self):
        label_weights = self.label_weights
        return {
            "name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds, "curve": self.curve,
            "summation_method": self.summation_method, "multi_label": self.multi_label,
            "num_labels": self._num_labels if self._built else self.num_labels,
            "label_weights": None if label_weights is None else label_weights.tolist(),
            "thresholds": self._thresholds[1:-1] if not self._thresholds_distributed_evenly else None,
            "from_logits": self.from_logits,
        }


# ---------------------------------------------------------------------------------------------
# lookup

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

# metric functions (for MeanMetricWrapper configs and custom wrapping)
_FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy, mean_squared_error, mean_absolute_error,
        mean_absolute_percentage_error, mean_squared_logarithmic_error, hinge, squared_hinge, categorical_hinge,
        kl_divergence, poisson, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
        cosine_similarity, log_cosh,
    )
}
_SMART_NAMES = ("accuracy", "acc", "crossentropy", "ce")


def _valid_names(smart=False):
    names = registry.valid_names(ALL_OBJECTS_DICT, ("Metric", "metric", "MeanMetricWrapper", "mean_metric_wrapper"))
    return names + (", and in compile(): " + ", ".join(_SMART_NAMES) if smart else "")


def serialize(metric):
    if metric is None or isinstance(metric, Metric):
        return registry.to_config(metric, "keras.metrics")
    return _function_name(metric)


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
    if key is not None and key not in _SMART_NAMES and identifier not in ALL_OBJECTS_DICT:
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
    name = identifier if isinstance(identifier, str) else _object_name(metric_obj)
    if not isinstance(metric_obj, Metric):
        metric_obj = MeanMetricWrapper(metric_obj, name=name)
    metric_obj.name = name
    return metric_obj
