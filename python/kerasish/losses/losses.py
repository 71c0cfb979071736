"""Losses, as ``keras.losses``.

Loss *functions* (``mean_squared_error``, ``binary_crossentropy``, ...) return one value per sample
(the mean, or the crossentropy, over the last axis). Loss *classes* (``MeanSquaredError()``, ...)
call their function and reduce: ``"sum_over_batch_size"`` (default; the sum divided by the number of
per-sample values), ``"mean"`` (same), ``"sum"``, ``"mean_with_sample_weight"`` (the sum divided by
the sum of the weights), or ``"none"`` / ``None`` (no reduction). Everything is engine ops, so the
result is differentiable with respect to ``y_pred``.

``sample_weight`` weighs samples: a (batch,) vector scales each sample's loss (also when the
per-sample loss has more axes, e.g. (batch, time)); a weight of the per-sample loss's own shape
weighs each value. Ranks that differ by one trailing axis of size 1 are matched as Keras does.
"""
from __future__ import annotations

import inspect
import warnings

from kerasish import config, naming, ops
from kerasish.losses.loss import (
    Loss,
    cast_like,
    is_float,
    squeeze_or_expand_to_same_rank,
    to_float,
)
from kerasish.utils import registry


def _l2_normalize(x, axis=-1):
    """x / ||x|| along axis, as Keras's normalize (``x * min(rsqrt(sum x^2), 1 / epsilon)``)."""
    eps = config.epsilon()
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(square_sum, eps * eps))


def _prepare(y_true, y_pred):
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    diff = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), config.epsilon()))
    return 100.0 * ops.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = config.epsilon()
    first_log = ops.log(ops.maximum(y_pred, eps) + 1.0)
    second_log = ops.log(ops.maximum(y_true, eps) + 1.0)
    return ops.mean(ops.square(first_log - second_log), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (a loss: -1 is best)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """``mean(0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2, axis=-1)``, e = y_pred - y_true."""
    y_true, y_pred = _prepare(y_true, y_pred)
    delta = float(delta)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    return ops.mean(
        ops.where(ops.less_equal(abs_error, delta), 0.5 * ops.square(error), delta * abs_error - 0.5 * delta * delta),
        axis=-1,
    )


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as ``x + softplus(-2x) - log 2``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(x * -2.0) - 0.6931471805599453, axis=-1)


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to [epsilon, 1]."""
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    eps = config.epsilon()
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``."""
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + config.epsilon()), axis=-1)


def _convert_binary_labels_to_hinge(y_true):
    """{0, 1} labels -> {-1, 1}; other labels unchanged (decided on the whole tensor, as Keras)."""
    zero_or_one = ops.maximum(ops.cast(ops.equal(y_true, 0.0), y_true.dtype), ops.cast(ops.equal(y_true, 1.0), y_true.dtype))
    is_binary = ops.equal(ops.min(zero_or_one), 1.0) if y_true.size else ops.convert_to_tensor(True)
    return ops.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)`` (0/1 labels are mapped to -1/1)."""
    y_pred = to_float(y_pred)
    y_true = _convert_binary_labels_to_hinge(cast_like(y_true, y_pred))
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``."""
    y_pred = to_float(y_pred)
    y_true = _convert_binary_labels_to_hinge(cast_like(y_true, y_pred))
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``."""
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Elementwise binary crossentropy, averaged over ``axis`` (probabilities clipped to
    [1e-7, 1 - 1e-7]; ``label_smoothing`` squeezes labels towards 0.5)."""
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(
    y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Binary crossentropy times ``(1 - p_t) ** gamma`` (and ``alpha`` class weights when
    ``apply_class_balancing``), averaged over ``axis``."""
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal_bce = ops.power(1.0 - p_t, float(gamma)) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal_bce
    return ops.mean(focal_bce, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or soft) labels and predictions along ``axis`` (predictions
    are renormalised to sum to 1 and clipped; ``label_smoothing`` mixes in ``1 / num_classes``)."""
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_pred = to_float(y_pred)
    y_true = cast_like(y_true, y_pred)
    if y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
            f"with num_classes > 1. Received: y_pred.shape={y_pred.shape}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        num_classes = float(y_true.shape[-1])
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """(per-sample losses, validity mask or None)."""
    y_pred = to_float(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    if is_float(y_true.dtype):
        y_true = ops.cast(y_true, "int64")
    valid_mask = None
    if ignore_class is not None:
        res_shape = tuple(y_pred.shape[:-1]) if axis in (-1, y_pred.ndim - 1) else None
        valid_mask = ops.not_equal(y_true, int(ignore_class))
        y_true = ops.where(valid_mask, y_true, ops.zeros_like(y_true))
        # predictions of ignored entries become uniform (finite loss, zero gradient after masking)
        y_pred = ops.where(ops.expand_dims(valid_mask, axis), y_pred, ops.ones_like(y_pred))
    res = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    if valid_mask is not None:
        if res_shape is not None:
            valid_mask = ops.reshape(valid_mask, res_shape)
        res = ops.where(valid_mask, res, ops.zeros_like(res))
    return res, valid_mask


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy between integer labels and predictions along ``axis``. Labels equal to
    ``ignore_class`` give 0 (and are left out of the class losses' mean)."""
    return _sparse_categorical_crossentropy(y_true, y_pred, from_logits, ignore_class, axis)[0]


# Keras's short aliases
mse = MSE = mean_squared_error


# Keras's short aliases
mse = MSE = mean_squared_error


mae = MAE = mean_absolute_error


mae = MAE = mean_absolute_error


mape = MAPE = mean_absolute_percentage_error


mape = MAPE = mean_absolute_percentage_error


msle = MSLE = mean_squared_logarithmic_error


msle = MSLE = mean_squared_logarithmic_error


kld = KLD = kl_divergence


kld = KLD = kl_divergence


bce = BCE = binary_crossentropy


bce = BCE = binary_crossentropy


def _function_name(fn):
    for name, obj in ALL_OBJECTS_DICT.items():
        if obj is fn and name == getattr(fn, "__name__", None):
            return name
    return getattr(fn, "__name__", repr(fn))


class LossFunctionWrapper(Loss):
    """A loss function ``fn(y_true, y_pred, **kwargs)`` as a :class:`Loss`."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if isinstance(fn, str):
            fn = _lookup_function(fn)
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config_ = super().get_config()
        config_["fn"] = _function_name(self.fn)
        config_.update(self._fn_kwargs)
        return config_

    @classmethod
    def from_config(cls, config_):
        return cls(**config_)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class _Wrapped(LossFunctionWrapper):
    """Built-in loss classes: ``get_config`` holds name, reduction and the class's own arguments."""

    _fn = None
    _arg_names = ()

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for k, v in kwargs.items():
            setattr(self, k, v)

    def get_config(self):
        config_ = Loss.get_config(self)
        config_.update({k: getattr(self, k) for k in self._arg_names})
        return config_


class MeanSquaredError(_Wrapped):
    """``mean(square(y_true - y_pred))``."""

    _fn = staticmethod(mean_squared_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(_Wrapped):
    """``mean(abs(y_true - y_pred))``."""

    _fn = staticmethod(mean_absolute_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_Wrapped):
    """``100 * mean(abs((y_true - y_pred) / y_true))``."""

    _fn = staticmethod(mean_absolute_percentage_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_Wrapped):
    """``mean(square(log(y_true + 1) - log(y_pred + 1)))``."""

    _fn = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(_Wrapped):
    """``-sum(l2_norm(y_true) * l2_norm(y_pred), axis)``."""

    _fn = staticmethod(cosine_similarity)
    _arg_names = ("axis",)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Huber(_Wrapped):
    """Quadratic for errors up to ``delta``, linear beyond."""

    _fn = staticmethod(huber)
    _arg_names = ("delta",)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(_Wrapped):
    """``mean(log(cosh(y_pred - y_true)))``."""

    _fn = staticmethod(log_cosh)

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class KLDivergence(_Wrapped):
    """``sum(y_true * log(y_true / y_pred))``."""

    _fn = staticmethod(kl_divergence)

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Poisson(_Wrapped):
    """``mean(y_pred - y_true * log(y_pred))``."""

    _fn = staticmethod(poisson)

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Hinge(_Wrapped):
    """``mean(maximum(1 - y_true * y_pred, 0))``."""

    _fn = staticmethod(hinge)

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_Wrapped):
    """``mean(square(maximum(1 - y_true * y_pred, 0)))``."""

    _fn = staticmethod(squared_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_Wrapped):
    """``maximum(neg - pos + 1, 0)``."""

    _fn = staticmethod(categorical_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(_Wrapped):
    """Binary crossentropy (labels 0/1, one probability or logit per output)."""

    _fn = staticmethod(binary_crossentropy)
    _arg_names = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
        name="binary_crossentropy", dtype=None,
    ):
        super().__init__(
            reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
            label_smoothing=label_smoothing, axis=axis,
        )


class BinaryFocalCrossentropy(_Wrapped):
    """Focal variant of binary crossentropy."""

    _fn = staticmethod(binary_focal_crossentropy)
    _arg_names = ("apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing", "axis")

    def __init__(
        self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
        reduction="sum_over_batch_size", name="binary_focal_crossentropy", dtype=None,
    ):
        super().__init__(
            reduction=reduction, name=name, dtype=dtype, apply_class_balancing=apply_class_balancing, alpha=alpha,
            gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )


class CategoricalCrossentropy(_Wrapped):
    """Crossentropy for one-hot labels."""

    _fn = staticmethod(categorical_crossentropy)
    _arg_names = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
        name="categorical_crossentropy", dtype=None,
    ):
        super().__init__(
            reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
            label_smoothing=label_smoothing, axis=axis,
        )


class SparseCategoricalCrossentropy(_Wrapped):
    """Crossentropy for integer labels; entries labelled ``ignore_class`` are left out (the mean is
    over the other entries)."""

    _fn = staticmethod(sparse_categorical_crossentropy)
    _arg_names = ("from_logits", "ignore_class")

    def __init__(
        self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy", dtype=None,
    ):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits, ignore_class=ignore_class)

    def call(self, y_true, y_pred):
        return self._call_with_mask(y_true, y_pred)[0]

    def _call_with_mask(self, y_true, y_pred):
        return _sparse_categorical_crossentropy(
            y_true, y_pred, from_logits=self.from_logits, ignore_class=self.ignore_class
        )


_CLASSES = [
    Loss, LossFunctionWrapper, KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, LogCosh, Huber, Hinge,
    SquaredHinge, CategoricalHinge,
]


_FUNCTIONS = [
    kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, cosine_similarity, log_cosh, huber, hinge, squared_hinge, categorical_hinge,
]


ALL_OBJECTS_DICT = {obj.__name__: obj for obj in _CLASSES + _FUNCTIONS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    # legacy Keras 2 names
    "logcosh": log_cosh, "kullback_leibler_divergence": kl_divergence,
})


SMART_NAMES = ("crossentropy", "ce")


def _valid_names(smart=False):
    names = registry.valid_names(ALL_OBJECTS_DICT, ("Loss", "LossFunctionWrapper"))
    return names + (", and in compile(): " + ", ".join(SMART_NAMES) if smart else "")


def _lookup_function(name):
    fn = ALL_OBJECTS_DICT.get(name)
    if fn is None or inspect.isclass(fn):
        raise ValueError(f"Unknown loss function: {name!r}. Valid names are: {_valid_names()}")
    return fn


def serialize(loss):
    """A Loss instance -> ``{"module", "class_name", "config", "registered_name"}``; a built-in
    function -> its name."""
    if loss is None or isinstance(loss, Loss):
        return registry.to_config(loss, "keras.losses")
    return _function_name(loss)


def deserialize(name, custom_objects=None):
    """A loss class instance (from a config dict or class name) or a loss function (from its name)."""
    return registry.deserialize(name, ALL_OBJECTS_DICT, "loss", _valid_names, custom_objects, instantiate_custom=False)


def get(identifier):
    """As ``keras.losses.get``: a function name (``"mse"``, ``"categorical_crossentropy"``) gives
    the function, a class name or config dict a new instance, a callable or instance itself.
    Unknown names raise ValueError listing the valid ones."""
    return registry.get(identifier, deserialize, "loss", _valid_names)


def _shape_of(x):
    if x is None:
        return None
    return tuple(x.shape) if hasattr(x, "shape") else tuple(x)


def is_binary_or_sparse_categorical(y_true_shape, y_pred_shape):
    """Keras's rule: binary when y_pred's last dim is 1; sparse when y_true has lower rank than
    y_pred, or y_true's last dim is 1 while y_pred's is larger."""
    y_true_shape = _shape_of(y_true_shape)
    y_pred_shape = _shape_of(y_pred_shape)
    if y_true_shape is None or y_pred_shape is None:
        raise ValueError("Resolving 'accuracy' / 'crossentropy' needs the shapes of y_true and y_pred")
    y_t_last = y_true_shape[-1] if y_true_shape else None
    y_p_last = y_pred_shape[-1] if y_pred_shape else None
    is_binary = y_p_last == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (
        y_t_last == 1 and y_p_last is not None and y_p_last > 1
    )
    return is_binary, is_sparse


def resolve(identifier, y_true_shape=None, y_pred_shape=None):
    """What ``compile(loss=...)`` makes of an identifier, as Keras's ``get_loss``: always a
    :class:`Loss`. ``"crossentropy"`` / ``"ce"`` pick binary, sparse or categorical crossentropy by
    the shapes (see :func:`is_binary_or_sparse_categorical`); functions are wrapped in a
    :class:`LossFunctionWrapper` named as the string given (or the function's name)."""
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() not in SMART_NAMES and identifier not in ALL_OBJECTS_DICT:
        raise ValueError(f"Unknown loss: {identifier!r}. Valid names are: {_valid_names(smart=True)}")
    if isinstance(identifier, str) and identifier.lower() in SMART_NAMES:
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
        if is_binary:
            loss_obj = binary_crossentropy
        elif is_sparse:
            loss_obj = sparse_categorical_crossentropy
        else:
            loss_obj = categorical_crossentropy
    else:
        loss_obj = get(identifier)
    if not isinstance(loss_obj, Loss):
        name = identifier if isinstance(identifier, str) else naming.object_name(loss_obj)
        loss_obj = LossFunctionWrapper(loss_obj, name=name)
    return loss_obj
