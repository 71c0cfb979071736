"""The thresholded metrics (true/false positives/negatives, Precision, Recall, AUC), as keras/src/metrics/confusion_metrics.py."""
from __future__ import annotations

from kerasish import config, ops
from kerasish._tensor import no_grad
from kerasish.metrics.metric import Metric
from kerasish.metrics.metrics_utils import (
    NEG_INF,
    divide_no_nan,
    parse_thresholds,
    to_float,
    update_confusion_matrix_variables,
)


class _ConfusionMatrixConditionCount(Metric):
    """Weighted count of one confusion-matrix cell at each threshold."""

    _key = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, default=0.5)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", dtype="float32", name="accumulator"
        )

    @no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix_variables({self._key: self.accumulator}, y_true, y_pred, self.thresholds,
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
        default = NEG_INF if top_k is not None else 0.5
        self.thresholds = [default] if thresholds is None and top_k is not None else parse_thresholds(thresholds, 0.5)
        n = len(self.thresholds)
        attr = self._other[0]
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros", dtype="float32", name="true_positives")
        setattr(self, attr, self.add_variable(shape=(n,), initializer="zeros", dtype="float32", name=attr))

    @no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        attr, key = self._other
        update_confusion_matrix_variables(
            {"tp": self.true_positives, key: getattr(self, attr)}, y_true, y_pred, self.thresholds,
            top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight,
        )

    def result(self):
        other = getattr(self, self._other[0])
        r = divide_no_nan(self.true_positives, self.true_positives + other)
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
            thresholds = parse_thresholds(thresholds)
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
        y_pred = to_float(y_pred, "float32")
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {y_pred.ndim}. "
                    f"Full shape received for `y_pred`: {y_pred.shape}"
                )
            self._build(y_pred.shape[-1])
        if self.from_logits:
            y_pred = ops.sigmoid(y_pred)
        update_confusion_matrix_variables(
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
        prec_slope = divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = tp[1:] - prec_slope * p[1:]
        both_pos = ops.cast(ops.greater(p[: n - 1], 0.0), "float32") * ops.cast(ops.greater(p[1:], 0.0), "float32")
        safe_p_ratio = ops.where(
            ops.greater(both_pos, 0.0), divide_no_nan(p[: n - 1], ops.maximum(p[1:], 0.0)), ops.ones_like(p[1:])
        )
        pr_auc_increment = divide_no_nan(
            prec_slope * (dtp + intercept * ops.log(safe_p_ratio)), ops.maximum(tp[1:] + fn[1:], 0.0)
        )
        return self._aggregate(pr_auc_increment)

    def _aggregate(self, terms):
        if self.multi_label:
            by_label = ops.sum(terms, axis=0)
            if self.label_weights is None:
                return ops.mean(by_label)
            lw = ops.cast(self.label_weights, by_label.dtype)
            return divide_no_nan(ops.sum(by_label * lw), ops.sum(lw))
        return ops.sum(terms)

    def result(self):
        if not self._built:
            return ops.zeros((), dtype=self.dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return ops.cast(self._interpolate_pr_auc(), self.dtype)
        n = self.num_thresholds
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x = divide_no_nan(fp, fp + tn)
            y = recall
        else:
            x = recall
            y = divide_no_nan(tp, tp + fp)
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
