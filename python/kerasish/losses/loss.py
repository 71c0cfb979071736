"""The Loss base class and the reductions, sample weighting and rank matching every loss
uses, as keras/src/losses/loss.py."""
from __future__ import annotations

from kerasish import config, naming, ops
from kerasish.backend.dtypes import FLOAT_TYPES

_ALLOWED_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction):
    if reduction not in _ALLOWED_REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. "
            f"Expected one of {set(_ALLOWED_REDUCTIONS)}. Received: reduction={reduction!r}"
        )
    return reduction


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Matches ranks that differ by one trailing axis of size 1 (Keras's rule)."""
    x1_rank = len(x1.shape)
    x2_rank = len(x2.shape)
    if x1_rank == x2_rank:
        return x1, x2
    if x1_rank == x2_rank + 1 and x1.shape[-1] == 1:
        if x2_rank == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, axis=-1)
        else:
            x1 = ops.squeeze(x1, axis=-1)
    if x2_rank == x1_rank + 1 and x2.shape[-1] == 1:
        if x1_rank == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, axis=-1)
        else:
            x2 = ops.squeeze(x2, axis=-1)
    return x1, x2


def is_float(dtype):
    return dtype in FLOAT_TYPES


def to_float(x, dtype=None):
    """A float tensor for x: keeps x's float dtype (or casts to ``dtype`` when given)."""
    x = ops.convert_to_tensor(x)
    if dtype is not None:
        return x if x.dtype == dtype else ops.cast(x, dtype)
    return x if is_float(x.dtype) else ops.cast(x, config.floatx())


def cast_like(x, ref):
    """x as a tensor of ref's dtype."""
    x = ops.convert_to_tensor(x)
    return x if x.dtype == ref.dtype else ops.cast(x, ref.dtype)


def _divide_no_nan(a, b):
    """a / b, 0 where b == 0 (gradient-safe: the divisor is replaced by 1 there)."""
    b = ops.convert_to_tensor(b)
    zero = ops.equal(b, 0.0)
    safe = ops.where(zero, ops.ones_like(b), b)
    return ops.where(zero, ops.zeros_like(a / safe), a / safe)


def _num_elements(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _match_sample_weight(values, sample_weight):
    """Keras's rank matching, then trailing unit axes so per-sample weights broadcast over the
    remaining axes of the per-sample loss."""
    values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
    if 0 < sample_weight.ndim < values.ndim:
        sample_weight = ops.reshape(sample_weight, tuple(sample_weight.shape) + (1,) * (values.ndim - sample_weight.ndim))
    return values, sample_weight


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if reduction is None or reduction == "none" or tuple(values.shape) == () or tuple(values.shape) == (0,):
        return values
    loss = ops.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            loss = _divide_no_nan(loss, ops.cast(ops.sum(sample_weight), loss.dtype))
        else:
            n = _num_elements(values.shape)
            loss = loss / n if n > 0 else loss * 0.0
    return loss


def apply_mask(sample_weight, mask, dtype, reduction):
    """Merges a validity mask into the sample weights. For mean reductions the valid entries get
    weight total / valid, so the mean is taken over the valid entries only."""
    if mask is None:
        return sample_weight
    mask = ops.cast(mask, dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        total = float(_num_elements(mask.shape))
        valid = ops.sum(mask)
        mask = mask * _divide_no_nan(ops.convert_to_tensor(total, dtype=dtype), valid)
    if sample_weight is not None:
        sample_weight = ops.cast(sample_weight, dtype)
        mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
        return sample_weight * mask
    return mask


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    reduction = standardize_reduction(reduction)
    values = to_float(values, dtype)
    if sample_weight is not None:
        sample_weight = to_float(sample_weight, values.dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = _match_sample_weight(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class. Subclasses implement ``call(y_true, y_pred)`` returning per-sample losses;
    ``__call__`` converts inputs to ``dtype``, applies ``sample_weight`` and the reduction."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or naming.auto_name(naming.to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype_arg = dtype
        self._dtype = dtype or config.floatx()

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = to_float(y_pred, self.dtype)
        y_true = to_float(y_true, self.dtype)
        losses, out_mask = self._call_with_mask(y_true, y_pred)
        if in_mask is not None and out_mask is not None:
            mask = ops.multiply(ops.cast(in_mask, self.dtype), ops.cast(out_mask, self.dtype))
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(
            losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction, dtype=self.dtype
        )

    def _call_with_mask(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        config_ = {"name": self.name, "reduction": self.reduction}
        if self._dtype_arg is not None:
            config_["dtype"] = self._dtype_arg
        return config_

    @classmethod
    def from_config(cls, config_):
        return cls(**config_)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
