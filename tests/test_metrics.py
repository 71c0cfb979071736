"""Metrics against independent NumPy computations: state accumulation, sample_weight, reset,
the accuracy family, top-k, confusion metrics (Precision, Recall, AUC), lookup and the
"accuracy" / "crossentropy" resolution rules, configs."""
import numpy as np
import pytest

import kerasish
from conftest import assert_close, to_np
from kerasish import metrics, ops

EPS = 1e-7


def r(m):
    return float(m.result().item())


# ------------------------------------------------------------------ base metrics


def test_mean_and_sum():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert r(m) == pytest.approx(4.0)
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert r(m) == pytest.approx(2.0)
    m.update_state(np.array([[10.0, 20.0]]))  # one sample whose values average to 15
    assert r(m) == pytest.approx((1 + 3 + 15) / 3)
    m.reset_state()
    assert r(m) == 0.0  # empty: 0, not NaN
    m.update_state(kerasish.tensor(3.0), sample_weight=2)
    m.update_state(kerasish.tensor(6.0), sample_weight=1)
    assert r(m) == pytest.approx(4.0)

    s = metrics.Sum()
    s.update_state([1, 3, 5, 7])
    assert r(s) == pytest.approx(16.0)
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert r(s) == pytest.approx(20.0)
    s.reset_state()
    assert r(s) == 0.0


def test_state_is_non_trainable_variables():
    m = metrics.Mean(name="loss_tracker")
    assert len(m.variables) == 2
    for v in m.variables:
        assert isinstance(v, kerasish.Variable)
        assert not v.trainable
        assert not v.requires_grad
    assert [v.path for v in m.variables] == ["loss_tracker/total", "loss_tracker/count"]
    m.update_state([2.0, 4.0])
    res = m.result()
    m.update_state([100.0])
    assert float(res.item()) == pytest.approx(3.0)  # an earlier result is not a view of the state
    assert to_np(m.variables[0]) == pytest.approx(106.0)


def test_updates_record_no_gradient():
    x = kerasish.tensor([[0.2, 0.8], [0.6, 0.4]], requires_grad=True)
    m = metrics.CategoricalAccuracy()
    m.update_state([[0.0, 1.0], [0.0, 1.0]], x)
    assert not m.result().requires_grad
    assert r(m) == pytest.approx(0.5)


def test_call_updates_and_returns_result():
    m = metrics.MeanAbsoluteError()
    out = m([[1.0, 2.0]], [[2.0, 2.0]])
    assert float(out.item()) == pytest.approx(0.5)
    out = m([[1.0, 2.0]], [[1.0, 2.0]])
    assert float(out.item()) == pytest.approx(0.25)


def test_mean_metric_wrapper_and_custom_metric():
    fn = lambda yt, yp: ops.square(ops.convert_to_tensor(yt) - yp)  # noqa: E731
    m = metrics.MeanMetricWrapper(fn, name="sq")
    m.update_state(np.array([[1.0, 2.0], [3.0, 4.0]], "float32"), kerasish.tensor([[0.0, 0.0], [0.0, 0.0]]),
                   sample_weight=[1.0, 3.0])
    # per-sample means 2.5 and 12.5, weights 1 and 3
    assert r(m) == pytest.approx((2.5 + 37.5) / 4)

    class Counter(metrics.Metric):
        def __init__(self, name="counter", **kw):
            super().__init__(name=name, **kw)
            self.n = self.add_variable(shape=(), initializer="zeros", name="n")

        def update_state(self, values):
            self.n.assign_add(ops.sum(ops.ones_like(ops.convert_to_tensor(values))))

        def result(self):
            return self.n + 0.0

    c = Counter()
    c.update_state([1, 2, 3])
    assert r(c) == 3.0 and len(c.variables) == 1
    c.reset_state()
    assert r(c) == 0.0


# ------------------------------------------------------------------ accuracy family


def test_accuracy_family_keras_examples():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert r(m) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert r(m) == pytest.approx(0.5)

    m = metrics.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert r(m) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert r(m) == pytest.approx(0.5)

    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert r(m) == pytest.approx(0.3)

    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    assert r(m) == pytest.approx(0.5)
    m.reset_state()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert r(m) == pytest.approx(0.3)

    m = metrics.TopKCategoricalAccuracy(k=1)
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert r(m) == pytest.approx(0.3)

    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert r(m) == pytest.approx(0.5)


def test_accuracy_functions_vs_numpy():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=(20, 5)).astype("float32")
    labels = rng.integers(0, 5, size=20)
    onehot = np.eye(5, dtype="float32")[labels]
    ref = (p.argmax(-1) == labels).astype("float32")
    assert_close(metrics.categorical_accuracy(onehot, p), ref)
    assert_close(metrics.sparse_categorical_accuracy(labels, p), ref)
    assert_close(metrics.sparse_categorical_accuracy(labels[:, None], p), ref)
    assert_close(metrics.sparse_categorical_accuracy(labels.astype("float32"), p), ref)
    yb = rng.integers(0, 2, size=(20, 3)).astype("float32")
    pb = rng.uniform(size=(20, 3)).astype("float32")
    assert_close(metrics.binary_accuracy(yb, pb), ((pb > 0.5) == yb).mean(-1))
    assert_close(metrics.binary_accuracy(yb, pb, threshold=0.7), ((pb > 0.7) == yb).mean(-1))
    for k in (1, 2, 3, 5, 7):
        rank = (p > p[np.arange(20), labels][:, None]).sum(-1)
        ref_k = (rank < k).astype("float32")
        assert_close(metrics.top_k_categorical_accuracy(onehot, p, k=k), ref_k)
        assert_close(metrics.sparse_top_k_categorical_accuracy(labels, p, k=k), ref_k)
    # ties at the boundary count as in the top k
    assert_close(metrics.sparse_top_k_categorical_accuracy([2], [[0.5, 0.5, 0.5, 0.1]], k=1), [1.0])
    assert_close(metrics.sparse_top_k_categorical_accuracy([3], [[0.5, 0.5, 0.5, 0.1]], k=3), [0.0])
    # sorted ids
    ids = np.argsort(-p, axis=-1)
    assert_close(
        metrics.sparse_top_k_categorical_accuracy(labels, ids, k=2, from_sorted_ids=True),
        ((ids[:, :2] == labels[:, None]).any(-1)).astype("float32"),
    )
    # sequence outputs
    p3 = rng.uniform(size=(4, 6, 5)).astype("float32")
    l3 = rng.integers(0, 5, size=(4, 6))
    assert_close(metrics.sparse_categorical_accuracy(l3, p3), (p3.argmax(-1) == l3).astype("float32"))
    rank3 = (p3 > np.take_along_axis(p3, l3[..., None], -1)).sum(-1)
    assert_close(metrics.sparse_top_k_categorical_accuracy(l3, p3, k=2), (rank3 < 2).astype("float32"))


def test_accuracy_accumulates_over_batches_with_weights():
    rng = np.random.default_rng(1)
    m = metrics.SparseCategoricalAccuracy()
    hits, weights = [], []
    for _ in range(3):
        p = rng.uniform(size=(7, 4)).astype("float32")
        y = rng.integers(0, 4, size=7)
        w = rng.uniform(size=7).astype("float32")
        m.update_state(y, p, sample_weight=w)
        hits.append((p.argmax(-1) == y) * w)
        weights.append(w)
    assert r(m) == pytest.approx(np.concatenate(hits).sum() / np.concatenate(weights).sum(), rel=1e-5)


def test_binary_accuracy_threshold_validation():
    with pytest.raises(ValueError, match="threshold"):
        metrics.BinaryAccuracy(threshold=1.5)


# ------------------------------------------------------------------ regression / probabilistic metrics


def test_regression_and_crossentropy_metrics():
    rng = np.random.default_rng(2)
    yt = rng.uniform(0.5, 1.5, size=(6, 3)).astype("float32")
    yp = rng.uniform(0.5, 1.5, size=(6, 3)).astype("float32")
    w = rng.uniform(size=6).astype("float32")
    cases = [
        (metrics.MeanSquaredError(), np.mean((yt - yp) ** 2, -1)),
        (metrics.MeanAbsoluteError(), np.mean(np.abs(yt - yp), -1)),
        (metrics.MeanAbsolutePercentageError(), 100 * np.mean(np.abs((yt - yp) / yt), -1)),
        (metrics.MeanSquaredLogarithmicError(), np.mean((np.log1p(yt) - np.log1p(yp)) ** 2, -1)),
        (metrics.LogCoshError(), np.mean(np.log(np.cosh(yp - yt)), -1)),
        (metrics.Poisson(), np.mean(yp - yt * np.log(yp + EPS), -1)),
    ]
    for m, per in cases:
        m.update_state(yt, yp, sample_weight=w)
        assert r(m) == pytest.approx((per * w).sum() / w.sum(), rel=1e-5), m.name
    na = yt / np.linalg.norm(yt, axis=-1, keepdims=True)
    nb = yp / np.linalg.norm(yp, axis=-1, keepdims=True)
    m = metrics.CosineSimilarity()
    m.update_state(yt, yp)
    assert r(m) == pytest.approx(np.sum(na * nb, -1).mean(), rel=1e-5)

    m = metrics.RootMeanSquaredError()
    m.update_state(yt, yp, sample_weight=w)
    assert r(m) == pytest.approx(np.sqrt((np.mean((yt - yp) ** 2, -1) * w).sum() / w.sum()), rel=1e-5)
    m = metrics.RootMeanSquaredError()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    assert r(m) == pytest.approx(0.5)

    logits = rng.normal(size=(6, 4)).astype("float32")
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = rng.integers(0, 4, size=6)
    ce = -np.log(probs[np.arange(6), labels])
    m = metrics.SparseCategoricalCrossentropy(from_logits=True)
    m.update_state(labels, logits)
    assert r(m) == pytest.approx(ce.mean(), rel=1e-5)
    m = metrics.CategoricalCrossentropy()
    m.update_state(np.eye(4)[labels], probs, sample_weight=w)
    assert r(m) == pytest.approx((ce * w).sum() / w.sum(), rel=1e-5)
    yb = rng.integers(0, 2, size=(6, 1)).astype("float32")
    pb = 1 / (1 + np.exp(-logits[:, :1]))
    bce = -(yb * np.log(pb) + (1 - yb) * np.log(1 - pb))[:, 0]
    m = metrics.BinaryCrossentropy(from_logits=True)
    m.update_state(yb, logits[:, :1])
    assert r(m) == pytest.approx(bce.mean(), rel=1e-4)


# ------------------------------------------------------------------ confusion metrics


def np_counts(y, p, thresholds, w=None):
    p = np.asarray(p, dtype=float)
    w = np.ones_like(p) if w is None else np.broadcast_to(np.asarray(w, float), p.shape)
    y, p, w = np.asarray(y, dtype=float).reshape(-1), p.reshape(-1), w.reshape(-1)
    out = {k: [] for k in ("tp", "fp", "tn", "fn")}
    for t in thresholds:
        pos = p > t
        lab = y != 0
        out["tp"].append(np.sum(w * (lab & pos)))
        out["fp"].append(np.sum(w * (~lab & pos)))
        out["tn"].append(np.sum(w * (~lab & ~pos)))
        out["fn"].append(np.sum(w * (lab & ~pos)))
    return {k: np.array(v) for k, v in out.items()}


def np_auc(y, p, num_thresholds=200, curve="ROC", method="interpolation", w=None):
    n = num_thresholds
    th = [-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS]
    c = np_counts(y, p, th, w)
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    div = lambda a, b: np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))  # noqa: E731
    if curve == "PR" and method == "interpolation":
        dtp = tp[:-1] - tp[1:]
        pp = tp + fp
        dp = pp[:-1] - pp[1:]
        slope = div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * pp[1:]
        ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), div(pp[:-1], np.maximum(pp[1:], 0)), 1.0)
        return np.sum(div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)))
    rec = div(tp, tp + fn)
    if curve == "ROC":
        x, yv = div(fp, fp + tn), rec
    else:
        x, yv = rec, div(tp, tp + fp)
    h = {"interpolation": (yv[:-1] + yv[1:]) / 2, "minoring": np.minimum(yv[:-1], yv[1:]),
         "majoring": np.maximum(yv[:-1], yv[1:])}[method]
    return np.sum((x[:-1] - x[1:]) * h)


def test_precision_recall_vs_numpy():
    m = metrics.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert r(m) == pytest.approx(2 / 3)
    m = metrics.Recall()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert r(m) == pytest.approx(2 / 3)

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=(30, 1))
    p = rng.uniform(size=(30, 1)).astype("float32")
    w = rng.uniform(size=30).astype("float32")
    th = [0.2, 0.5, 0.8]
    c = np_counts(y, p, th, w[:, None])
    m = metrics.Precision(thresholds=th)
    m.update_state(y, p, sample_weight=w)
    assert_close(m.result(), c["tp"] / (c["tp"] + c["fp"]), rtol=1e-5)
    m = metrics.Recall(thresholds=th)
    m.update_state(y, p, sample_weight=w)
    assert_close(m.result(), c["tp"] / (c["tp"] + c["fn"]), rtol=1e-5)
    for cls, key in [(metrics.TruePositives, "tp"), (metrics.FalsePositives, "fp"), (metrics.TrueNegatives, "tn"),
                     (metrics.FalseNegatives, "fn")]:
        m = cls(thresholds=th)
        m.update_state(y, p, sample_weight=w)
        assert_close(m.result(), c[key], rtol=1e-5)
    # no positive predictions: 0, not NaN
    m = metrics.Precision()
    m.update_state([1, 1], [0.1, 0.2])
    assert r(m) == 0.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])


def test_precision_recall_class_id_and_top_k():
    m = metrics.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert r(m) == pytest.approx(0.0)  # Keras docstring: the first two (ties) are kept
    m = metrics.Recall(class_id=2)
    y = np.eye(3)[[2, 2, 0, 1]]
    p = np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.1, 0.8]], "float32")
    m.update_state(y, p)
    assert r(m) == pytest.approx(0.5)  # class 2: one of two positives found
    m = metrics.Precision(class_id=2)
    m.update_state(y, p)
    assert r(m) == pytest.approx(1 / 3)
    rng = np.random.default_rng(4)
    yy = rng.integers(0, 2, size=(10, 5))
    pp = rng.uniform(size=(10, 5)).astype("float32")
    m = metrics.Precision(top_k=2)
    m.update_state(yy, pp)
    keep = np.zeros_like(pp, dtype=bool)
    np.put_along_axis(keep, np.argsort(-pp, axis=-1)[:, :2], True, axis=-1)
    assert r(m) == pytest.approx((yy[keep] != 0).mean())


def test_auc_vs_numpy():
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert r(m) == pytest.approx(0.75)  # Keras docstring

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, size=(50, 1))
    p = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1).astype("float32")
    w = rng.uniform(size=50).astype("float32")
    for curve in ("ROC", "PR"):
        for method in ("interpolation", "minoring", "majoring"):
            m = metrics.AUC(num_thresholds=50, curve=curve, summation_method=method)
            m.update_state(y[:25], p[:25], sample_weight=w[:25])
            m.update_state(y[25:], p[25:], sample_weight=w[25:])
            ref = np_auc(y, p, 50, curve, method, w[:, None])
            assert r(m) == pytest.approx(ref, rel=1e-5, abs=1e-6), (curve, method)
    # close to the exact (rank) ROC AUC with many thresholds
    pos, neg = p[y[:, 0] == 1, 0], p[y[:, 0] == 0, 0]
    exact = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    m = metrics.AUC(num_thresholds=1000)
    m.update_state(y, p)
    assert r(m) == pytest.approx(exact, abs=5e-3)
    # from_logits
    m = metrics.AUC(num_thresholds=50, from_logits=True)
    m.update_state(y, np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6))))
    assert r(m) == pytest.approx(np_auc(y, np.clip(p, 1e-6, 1 - 1e-6), 50), rel=1e-4)
    m.reset_state()
    assert r(m) == 0.0


def test_auc_multi_label():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, size=(40, 3))
    p = rng.uniform(size=(40, 3)).astype("float32")
    m = metrics.AUC(num_thresholds=20, multi_label=True)
    m.update_state(y, p)
    per = [np_auc(y[:, j], p[:, j], 20) for j in range(3)]
    assert r(m) == pytest.approx(np.mean(per), rel=1e-5)
    m = metrics.AUC(num_thresholds=20, multi_label=True, label_weights=[1.0, 0.0, 3.0])
    m.update_state(y, p)
    assert r(m) == pytest.approx((per[0] + 3 * per[2]) / 4, rel=1e-5)
    # not multi-label: all labels pooled
    m = metrics.AUC(num_thresholds=20)
    m.update_state(y, p)
    assert r(m) == pytest.approx(np_auc(y, p, 20), rel=1e-5)


def test_auc_argument_errors():
    with pytest.raises(ValueError):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError):
        metrics.AUC(curve="XYZ")
    with pytest.raises(ValueError):
        metrics.AUC(summation_method="avg")


# ------------------------------------------------------------------ names, lookup, resolution


def test_default_names():
    assert metrics.MeanSquaredError().name == "mean_squared_error"
    assert metrics.BinaryAccuracy().name == "binary_accuracy"
    assert metrics.CategoricalAccuracy().name == "categorical_accuracy"
    assert metrics.SparseCategoricalAccuracy().name == "sparse_categorical_accuracy"
    assert metrics.TopKCategoricalAccuracy().name == "top_k_categorical_accuracy"
    assert metrics.SparseTopKCategoricalAccuracy().name == "sparse_top_k_categorical_accuracy"
    assert metrics.RootMeanSquaredError().name == "root_mean_squared_error"
    assert metrics.Mean().name == "mean"
    assert metrics.AUC().name.startswith("auc")
    assert metrics.Precision().name.startswith("precision")
    assert metrics.Recall().name.startswith("recall")


def test_resolve_accuracy_rules():
    res = metrics.resolve
    m = res("accuracy", (None, 1), (None, 1))
    assert isinstance(m, metrics.BinaryAccuracy) and m.name == "accuracy"
    m = res("acc", (None,), (None, 1))
    assert isinstance(m, metrics.BinaryAccuracy) and m.name == "acc"
    m = res("accuracy", (None,), (None, 10))
    assert isinstance(m, metrics.SparseCategoricalAccuracy) and m.name == "accuracy"
    assert isinstance(res("accuracy", (None, 1), (None, 10)), metrics.SparseCategoricalAccuracy)
    assert isinstance(res("accuracy", (4, 7), (4, 7, 10)), metrics.SparseCategoricalAccuracy)
    assert isinstance(res("accuracy", (None, 10), (None, 10)), metrics.CategoricalAccuracy)
    assert isinstance(res("ACC", (None, 10), (None, 10)), metrics.CategoricalAccuracy)
    # tensors or arrays instead of shapes
    assert isinstance(res("accuracy", np.zeros((3,)), kerasish.zeros((3, 4))), metrics.SparseCategoricalAccuracy)
    # crossentropy
    m = res("crossentropy", (None, 1), (None, 1))
    assert isinstance(m, metrics.BinaryCrossentropy) and m.name == "crossentropy"
    assert isinstance(res("ce", (None,), (None, 5)), metrics.SparseCategoricalCrossentropy)
    assert isinstance(res("ce", (None, 5), (None, 5)), metrics.CategoricalCrossentropy)
    from kerasish import losses

    assert res("ce", (None,), (None, 5), loss=losses.SparseCategoricalCrossentropy(from_logits=True)).from_logits
    # others
    m = res("mse")
    assert isinstance(m, metrics.MeanSquaredError) and m.name == "mse"
    m = res("mae")
    assert isinstance(m, metrics.MeanAbsoluteError) and m.name == "mae"
    inst = metrics.AUC(name="my_auc")
    assert res(inst) is inst and inst.name == "my_auc"
    m = res(metrics.sparse_top_k_categorical_accuracy)
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "sparse_top_k_categorical_accuracy"
    assert res(None) is None
    # the resolved metric works
    m = res("accuracy", (None,), (None, 3))
    m.update_state(np.array([0, 2]), np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]], "float32"))
    assert r(m) == pytest.approx(0.5)


def test_get_and_errors():
    assert isinstance(metrics.get("mse"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("accuracy"), metrics.Accuracy)
    assert isinstance(metrics.get("binary_accuracy"), metrics.BinaryAccuracy)
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get("auc"), metrics.AUC)
    assert isinstance(metrics.get("kl_divergence"), metrics.KLDivergence)
    assert isinstance(metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}}), metrics.BinaryAccuracy)
    assert metrics.get(metrics.Precision) is not None
    assert metrics.get(None) is None
    with pytest.raises(ValueError) as e:
        metrics.get("acuracy")
    msg = str(e.value)
    for name in ("accuracy", "binary_accuracy", "mse", "auc", "precision", "sparse_categorical_accuracy"):
        assert name in msg
    with pytest.raises(ValueError) as e:
        metrics.resolve("not_a_metric", (None,), (None, 2))
    assert "sparse_categorical_accuracy" in str(e.value) and "acc" in str(e.value)


def test_config_round_trips():
    objs = [
        metrics.Mean(name="m"),
        metrics.Sum(),
        metrics.BinaryAccuracy(threshold=0.3),
        metrics.TopKCategoricalAccuracy(k=3),
        metrics.SparseTopKCategoricalAccuracy(k=2),
        metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics.SparseCategoricalCrossentropy(from_logits=True),
        metrics.Precision(thresholds=[0.3, 0.6], name="p"),
        metrics.Recall(class_id=1),
        metrics.AUC(num_thresholds=50, curve="PR", summation_method="minoring", name="a"),
        metrics.AUC(thresholds=[0.2, 0.4], multi_label=True, num_labels=3, label_weights=[1.0, 2.0, 3.0]),
        metrics.MeanSquaredError(dtype="float64"),
    ]
    for obj in objs:
        cfg = obj.get_config()
        new = type(obj).from_config(cfg)
        assert new.get_config() == cfg, type(obj).__name__
        assert metrics.deserialize(metrics.serialize(obj)).get_config() == cfg
    assert metrics.BinaryAccuracy(threshold=0.3).get_config() == {"name": "binary_accuracy", "dtype": "float32", "threshold": 0.3}
    w = metrics.MeanMetricWrapper(metrics.top_k_categorical_accuracy, name="t3", k=3)
    w2 = metrics.MeanMetricWrapper.from_config(w.get_config())
    assert w2._fn is metrics.top_k_categorical_accuracy and w2._fn_kwargs == {"k": 3} and w2.name == "t3"
