"""compile / fit / evaluate / predict and friends, checked against a NumPy re-implementation of
minibatch SGD on a linear model with mean squared error, plus Keras 3's documented behaviour
(History, batching, validation split, progress text, errors raised before training)."""
import math
import re

import numpy as np
import pytest

import kerasish as keras
from conftest import to_np
from kerasish import layers

# ---------------------------------------------------------------- helpers


def np_sgd_mse(x, y, k, b, lr, batch_size, epochs=1, sample_weight=None, val=None):
    """Minibatch SGD on y ~ x @ k + b with Keras's MSE ("sum_over_batch_size": the weighted
    per-sample losses summed and divided by the batch size). Returns the weights and a Keras-like
    history: loss = mean of the batch losses weighted by batch size, val_loss with end weights."""
    k, b = k.astype(np.float64).copy(), b.astype(np.float64).copy()
    x, y = x.astype(np.float64), y.astype(np.float64)
    n, d = y.shape
    hist = {"loss": [], "val_loss": []}
    for _ in range(epochs):
        total = 0.0
        for lo in range(0, n, batch_size):
            xb, yb = x[lo:lo + batch_size], y[lo:lo + batch_size]
            nb = len(xb)
            w = np.ones(nb) if sample_weight is None else sample_weight[lo:lo + batch_size].astype(np.float64)
            p = xb @ k + b
            per_sample = ((p - yb) ** 2).mean(-1)
            total += (w * per_sample).sum() / nb * nb
            g = 2 * w[:, None] * (p - yb) / (nb * d)
            k -= lr * xb.T @ g
            b -= lr * g.sum(0)
        hist["loss"].append(total / n)
        if val is not None:
            vx, vy = val
            hist["val_loss"].append(float((((vx @ k + b) - vy) ** 2).mean()))
    return k, b, hist


def linear_model(d_in=3, d_out=2, lr=0.1, metrics=None):
    model = keras.Sequential([keras.Input((d_in,)), layers.Dense(d_out)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse", metrics=metrics)
    return model


def regression_data(rng, n=70, d_in=3, d_out=2):
    x = rng.standard_normal((n, d_in)).astype(np.float32)
    y = (x @ rng.standard_normal((d_in, d_out)) + 0.1 * rng.standard_normal((n, d_out))).astype(np.float32)
    return x, y


class Recorder(keras.Layer):
    """Passes its input through, remembering each training batch it saw (column 0 holds sample ids)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, x, training=None):
        self.seen.append((bool(training), to_np(x)[:, 0].astype(int).tolist()))
        return x


def recording_model(d_in=2):
    rec = Recorder()
    model = keras.Sequential([keras.Input((d_in,)), rec, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rec.seen.clear()
    return model, rec


def id_data(n, d_in=2):
    x = np.zeros((n, d_in), np.float32)
    x[:, 0] = np.arange(n)
    return x, np.zeros((n, 1), np.float32)


# ---------------------------------------------------------------- fit against NumPy


def test_fit_matches_numpy_sgd(rng):
    x, y = regression_data(rng, n=70)
    model = linear_model()
    k0, b0 = model.get_weights()
    hist = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    k, b, ref = np_sgd_mse(x, y, k0, b0, 0.1, 16, epochs=3)
    k1, b1 = model.get_weights()
    np.testing.assert_allclose(k1, k, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b1, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(hist.history["loss"], ref["loss"], rtol=1e-4)


def test_history_object(rng):
    x, y = regression_data(rng, n=70)
    model = linear_model(metrics=["mae"])
    hist = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    assert isinstance(hist, keras.callbacks.History)
    assert model.history is hist
    assert list(hist.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(len(v) == 2 and all(isinstance(f, float) for f in v) for v in hist.history.values())
    # default batch size 32: 56 training samples -> 2 steps
    assert hist.params == {"verbose": 0, "epochs": 2, "steps": 2}
    assert hist.epoch == [0, 1]


def test_history_callback_keys_last(rng):
    x, y = regression_data(rng, n=40)
    model = linear_model(metrics=["mae"])
    h = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0,
                  callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)])
    assert list(h.history) == ["loss", "mae", "val_loss", "val_mae", "learning_rate"]
    np.testing.assert_allclose(h.history["learning_rate"], [0.05, 0.025], rtol=1e-6)


def test_history_keys_sorted_with_metric_objects(rng):
    x = rng.standard_normal((40, 4)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="zz_acc"), "accuracy"])
    hist = model.fit(x, y, validation_data=(x, y), verbose=0)
    assert list(hist.history) == ["accuracy", "loss", "zz_acc", "val_accuracy", "val_loss", "val_zz_acc"]
    np.testing.assert_allclose(hist.history["accuracy"], hist.history["zz_acc"])


@pytest.mark.parametrize("n,batch,steps", [(70, None, 3), (64, None, 2), (65, 16, 5), (10, 100, 1), (7, 1, 7)])
def test_steps_and_partial_last_batch(n, batch, steps):
    model, rec = recording_model()
    x, y = id_data(n)
    hist = model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    assert hist.params["steps"] == steps
    batches = [ids for training, ids in rec.seen if training]
    assert len(batches) == steps
    size = batch or 32
    assert [len(bt) for bt in batches] == [min(size, n - i * size) for i in range(steps)]
    assert sum(batches, []) == list(range(n))


def test_validation_split_takes_last_samples_before_shuffling():
    model, rec = recording_model()
    x, y = id_data(50)
    model.fit(x, y, batch_size=8, epochs=2, validation_split=0.3, shuffle=True, verbose=0)
    split = int(math.floor(50 * 0.7))  # 35
    train = [ids for t, ids in rec.seen if t]
    val = [ids for t, ids in rec.seen if not t]
    per_epoch = math.ceil(split / 8)
    assert len(train) == 2 * per_epoch
    for e in range(2):
        seen = sum(train[e * per_epoch:(e + 1) * per_epoch], [])
        assert sorted(seen) == list(range(split))  # every training sample once per epoch
    assert sum(val, []) == list(range(split, 50)) * 2  # the last 15, in order, each epoch
    # shuffled: the order differs from the plain one in at least one epoch
    assert any(sum(train[e * per_epoch:(e + 1) * per_epoch], []) != list(range(split)) for e in range(2))


def test_validation_split_and_data_values(rng):
    x, y = regression_data(rng, n=60)
    model = linear_model()
    k0, b0 = model.get_weights()
    hist = model.fit(x, y, batch_size=10, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    _, _, ref = np_sgd_mse(x[:45], y[:45], k0, b0, 0.1, 10, epochs=2, val=(x[45:], y[45:]))
    np.testing.assert_allclose(hist.history["loss"], ref["loss"], rtol=1e-4)
    np.testing.assert_allclose(hist.history["val_loss"], ref["val_loss"], rtol=1e-4)
    # validation_data overrides validation_split
    model2 = linear_model()
    model2.set_weights([k0, b0])
    vx, vy = x[:7], y[:7]
    hist2 = model2.fit(x, y, batch_size=10, epochs=2, validation_split=0.5, validation_data=(vx, vy),
                       shuffle=False, verbose=0)
    _, _, ref2 = np_sgd_mse(x, y, k0, b0, 0.1, 10, epochs=2, val=(vx, vy))
    np.testing.assert_allclose(hist2.history["loss"], ref2["loss"], rtol=1e-4)
    np.testing.assert_allclose(hist2.history["val_loss"], ref2["val_loss"], rtol=1e-4)


def test_shuffle_changes_batches_not_epoch_content(rng):
    x, y = regression_data(rng, n=64)
    m1, m2, m3 = linear_model(), linear_model(), linear_model()
    w0 = m1.get_weights()
    m2.set_weights(w0)
    m3.set_weights(w0)
    m1.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    m2.fit(x, y, batch_size=8, shuffle=True, verbose=0)
    assert not np.allclose(m1.get_weights()[0], m2.get_weights()[0], atol=1e-6)
    # one full batch: the order cannot matter
    m1.set_weights(w0)
    m1.fit(x, y, batch_size=64, shuffle=False, verbose=0)
    m3.fit(x, y, batch_size=64, shuffle=True, verbose=0)
    np.testing.assert_allclose(m1.get_weights()[0], m3.get_weights()[0], rtol=1e-5, atol=1e-6)


def test_sample_weight(rng):
    x, y = regression_data(rng, n=40)
    sw = rng.uniform(0.0, 2.0, 40).astype(np.float32)
    model = linear_model()
    k0, b0 = model.get_weights()
    hist = model.fit(x, y, batch_size=16, epochs=2, sample_weight=sw, shuffle=False, verbose=0)
    k, b, ref = np_sgd_mse(x, y, k0, b0, 0.1, 16, epochs=2, sample_weight=sw)
    np.testing.assert_allclose(model.get_weights()[0], k, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(hist.history["loss"], ref["loss"], rtol=1e-4)
    # zero weight on every sample: nothing moves
    model.set_weights([k0, b0])
    model.fit(x, y, batch_size=16, sample_weight=np.zeros(40, np.float32), verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], k0)


@pytest.mark.parametrize("onehot", [False, True])
def test_class_weight(rng, onehot):
    x = rng.standard_normal((30, 3)).astype(np.float32)
    labels = rng.integers(0, 3, 30)
    y = np.eye(3, dtype=np.float32)[labels] if onehot else labels
    loss = "categorical_crossentropy" if onehot else "sparse_categorical_crossentropy"

    def make():
        keras.utils.set_random_seed(3)
        m = keras.Sequential([keras.Input((3,)), layers.Dense(3, activation="softmax")])
        m.compile(optimizer="sgd", loss=loss)
        return m

    cw = {0: 0.5, 1: 2.0, 2: 1.0}
    m1, m2 = make(), make()
    h1 = m1.fit(x, y, batch_size=8, class_weight=cw, shuffle=False, verbose=0)
    sw = np.array([cw[int(c)] for c in labels], np.float32)
    h2 = m2.fit(x, y, batch_size=8, sample_weight=sw, shuffle=False, verbose=0)
    np.testing.assert_allclose(m1.get_weights()[0], m2.get_weights()[0], rtol=1e-6)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-6)
    m3 = make()
    m3.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    assert not np.allclose(m1.get_weights()[0], m3.get_weights()[0])
    # classes missing from class_weight weigh 1
    m4, m5 = make(), make()
    m4.fit(x, y, batch_size=8, class_weight={1: 2.0}, shuffle=False, verbose=0)
    m5.fit(x, y, batch_size=8, sample_weight=np.where(labels == 1, 2.0, 1.0).astype(np.float32), shuffle=False,
           verbose=0)
    np.testing.assert_allclose(m4.get_weights()[0], m5.get_weights()[0], rtol=1e-6)


def test_initial_epoch(rng, capsys):
    x, y = regression_data(rng, n=20)
    model = linear_model()
    hist = model.fit(x, y, epochs=4, initial_epoch=2, verbose=2)
    assert hist.epoch == [2, 3]
    assert len(hist.history["loss"]) == 2
    out = capsys.readouterr().out
    assert "Epoch 3/4" in out and "Epoch 4/4" in out and "Epoch 1/4" not in out


def test_steps_per_epoch_continues_through_the_data():
    # Keras 3: with steps_per_epoch the next epoch picks up where the last one stopped
    model, rec = recording_model()
    x, y = id_data(40)
    hist = model.fit(x, y, batch_size=10, epochs=2, steps_per_epoch=2, shuffle=False, verbose=0)
    assert hist.params["steps"] == 2
    batches = [ids for t, ids in rec.seen if t]
    assert batches == [list(range(i, i + 10)) for i in range(0, 40, 10)]


def test_steps_per_epoch_longer_than_data_stops_with_warning():
    model, rec = recording_model()
    x, y = id_data(20)
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(x, y, batch_size=10, epochs=1, steps_per_epoch=5, shuffle=False, verbose=0)
    assert [ids for t, ids in rec.seen if t] == [list(range(10)), list(range(10, 20))]


# ---------------------------------------------------------------- compile variants


@pytest.mark.parametrize("opt,loss,metric", [
    ("sgd", "mse", "mae"),
    ("adam", "mean_squared_error", "mean_absolute_error"),
    ("rmsprop", "MSE", keras.metrics.MeanAbsoluteError()),
])
def test_compile_strings_and_objects(rng, opt, loss, metric):
    x, y = regression_data(rng, n=32)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile(optimizer=opt, loss=loss, metrics=[metric])
    hist = model.fit(x, y, epochs=2, verbose=0)
    assert len(hist.history) == 2 and all(np.isfinite(v).all() for v in hist.history.values())
    loss_v, mae_v = model.evaluate(x, y, verbose=0)
    p = model.predict(x, verbose=0)
    np.testing.assert_allclose(loss_v, ((p - y) ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(mae_v, np.abs(p - y).mean(), rtol=1e-5)


def test_metric_object_reused_across_fits_starts_from_zero(rng):
    # a metric object passed to compile is reset before the first epoch's batches too
    x, y = regression_data(rng, n=32)
    shared = keras.metrics.MeanAbsoluteError()
    hists = []
    for metric in (keras.metrics.MeanAbsoluteError(), shared, shared):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
        model.compile(optimizer="sgd", loss="mse", metrics=[metric])
        hists.append(model.fit(x, y, epochs=2, batch_size=8, verbose=0).history["mean_absolute_error"])
    np.testing.assert_array_equal(hists[1], hists[0])
    np.testing.assert_array_equal(hists[2], hists[0])


def test_compile_objects_match_strings(rng):
    x, y = regression_data(rng, n=32)
    m1, m2 = linear_model(), keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    m2.set_weights(m1.get_weights())
    m2.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.MeanSquaredError())
    h1 = m1.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    h2 = m2.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-6)
    m3 = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    m3.compile(optimizer="sgd", loss=lambda yt, yp: keras.ops.mean(keras.ops.square(yt - yp), axis=-1))
    m3.set_weights(m1.get_weights())
    np.testing.assert_allclose(m3.evaluate(x, y, verbose=0), m1.evaluate(x, y, verbose=0), rtol=1e-6)


# ---------------------------------------------------------------- evaluate / predict


def test_evaluate_returns(rng):
    x, y = regression_data(rng, n=50)
    model = linear_model()
    k, b = model.get_weights()
    expected = (((x @ k + b) - y) ** 2).mean()
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=7, verbose=0), expected, rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse"])
    res = model.evaluate(x, y, verbose=0)
    assert isinstance(res, list) and len(res) == 3
    np.testing.assert_allclose(res, [expected, np.abs(x @ k + b - y).mean(), expected], rtol=1e-5)
    d = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(d) == {"loss", "mae", "mse"}
    np.testing.assert_allclose(d["mae"], res[1], rtol=1e-6)
    sw = np.linspace(0, 1, 50).astype(np.float32)
    per = (((x @ k + b) - y) ** 2).mean(-1)
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=sw, batch_size=50, verbose=0)[0],
                               (per * sw).sum() / 50, rtol=1e-5)


def test_predict_batched_matches_manual(rng):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(5, activation="tanh"), layers.Dense(2)])
    x = rng.standard_normal((45, 4)).astype(np.float32)
    k1, b1, k2, b2 = model.get_weights()
    expected = np.tanh(x @ k1 + b1) @ k2 + b2
    for bs in (None, 1, 7, 100):
        p = model.predict(x, batch_size=bs, verbose=0)
        assert isinstance(p, np.ndarray) and p.shape == (45, 2)
        np.testing.assert_allclose(p, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x.astype(np.float64), verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x.tolist(), verbose=0), expected, rtol=1e-5, atol=1e-6)
    pb = model.predict_on_batch(x[:3])
    assert isinstance(pb, np.ndarray)
    np.testing.assert_allclose(pb, expected[:3], rtol=1e-5, atol=1e-6)


def test_predict_inference_mode(rng):
    model = keras.Sequential([keras.Input((6,)), layers.Dropout(0.5), layers.BatchNormalization()])
    x = rng.standard_normal((10, 6)).astype(np.float32)
    before = model.get_weights()
    p = model.predict(x, verbose=0)
    np.testing.assert_allclose(p, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_train_test_on_batch(rng):
    x, y = regression_data(rng, n=12)
    model = linear_model(metrics=["mae"])
    k0, b0 = model.get_weights()
    p0 = x @ k0 + b0
    res = model.train_on_batch(x, y)
    assert isinstance(res, list) and len(res) == 2
    np.testing.assert_allclose(res[0], ((p0 - y) ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(res[1], np.abs(p0 - y).mean(), rtol=1e-5)
    k1, b1, _ = np_sgd_mse(x, y, k0, b0, 0.1, 12)
    np.testing.assert_allclose(model.get_weights()[0], k1, rtol=1e-4, atol=1e-6)
    # test_on_batch: that batch's values only (metrics reset), no update
    w = model.get_weights()
    p1 = x[:5] @ w[0] + w[1]
    t = model.test_on_batch(x[:5], y[:5], return_dict=True)
    np.testing.assert_allclose(t["loss"], ((p1 - y[:5]) ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(t["mae"], np.abs(p1 - y[:5]).mean(), rtol=1e-5)
    np.testing.assert_array_equal(model.get_weights()[0], w[0])
    model2 = linear_model()
    assert isinstance(model2.train_on_batch(x, y), float)
    assert isinstance(model2.test_on_batch(x, y), float)


# ---------------------------------------------------------------- other inputs


def test_fit_generator_and_pydataset(rng):
    x, y = regression_data(rng, n=40)

    def gen():
        while True:
            for lo in range(0, 40, 10):
                yield x[lo:lo + 10], y[lo:lo + 10]

    class Data(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epochs_ended = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 10:(i + 1) * 10], y[i * 10:(i + 1) * 10]

        def on_epoch_end(self):
            self.epochs_ended += 1

    model = linear_model()
    k0, b0 = model.get_weights()
    k, b, ref = np_sgd_mse(x, y, k0, b0, 0.1, 10, epochs=2)
    h = model.fit(gen(), steps_per_epoch=4, epochs=2, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], k, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h.history["loss"], ref["loss"], rtol=1e-4)
    model.set_weights([k0, b0])
    data = Data()
    h2 = model.fit(data, epochs=2, verbose=0)
    assert h2.params["steps"] == 4
    np.testing.assert_allclose(model.get_weights()[0], k, rtol=1e-4, atol=1e-5)
    assert data.epochs_ended >= 2
    ev = model.evaluate(Data(), verbose=0)
    np.testing.assert_allclose(ev, model.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(model.predict(Data(), verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError):
        model.fit(gen(), y, steps_per_epoch=1, verbose=0)


def test_finite_generator_of_unknown_length(rng, capsys):
    x, y = regression_data(rng, n=40)
    model = linear_model()
    k0, b0 = model.get_weights()
    h = model.fit(((x[i:i + 10], y[i:i + 10]) for i in range(0, 40, 10)), epochs=1, verbose=1)
    assert h.params["steps"] is None
    k, _, ref = np_sgd_mse(x, y, k0, b0, 0.1, 10)
    np.testing.assert_allclose(model.get_weights()[0], k, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h.history["loss"], ref["loss"], rtol=1e-4)
    # the bar learns the length at the epoch's end
    assert re.fullmatch(r"4/4 ━{20} .*- loss: \d+\.\d{4}", capsys.readouterr().out.strip())
    p = model.predict((x[i:i + 10] for i in range(0, 40, 10)), verbose=0)
    np.testing.assert_allclose(p, model.predict(x, verbose=0), rtol=1e-6)


def test_unbuilt_model_trains_from_a_generator(rng):
    # the model is built by its first batch; its weights must still be trained from that step on
    x, y = regression_data(rng, n=40)

    def gen():
        while True:
            for lo in range(0, 40, 10):
                yield x[lo:lo + 10], y[lo:lo + 10]

    model = keras.Sequential([layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    h = model.fit(gen(), steps_per_epoch=4, epochs=3, verbose=0)
    assert h.history["loss"][2] < h.history["loss"][0]
    assert np.any(model.get_weights()[1] != 0)
    # a one-element list is the single input, as in Keras
    m2 = keras.Sequential([layers.Dense(2)])
    m2.compile(optimizer="sgd", loss="mse")
    assert np.isfinite(m2.train_on_batch([x], y))


def test_multi_input_list_and_dict(rng):
    xa, xb = rng.standard_normal((30, 2)).astype(np.float32), rng.standard_normal((30, 3)).astype(np.float32)
    y = rng.standard_normal((30, 1)).astype(np.float32)

    def make():
        a, b = keras.Input((2,), name="in_a"), keras.Input((3,), name="in_b")
        out = layers.Dense(1)(layers.Concatenate()([a, b]))
        m = keras.Model([a, b], out)
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        return m

    m1, m2 = make(), make()
    m2.set_weights(m1.get_weights())
    k0, b0 = m1.get_weights()
    h1 = m1.fit([xa, xb], y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h2 = m2.fit({"in_b": xb, "in_a": xa}, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    k, b, ref = np_sgd_mse(np.concatenate([xa, xb], 1), y, k0, b0, 0.1, 8, epochs=2)
    np.testing.assert_allclose(m1.get_weights()[0], k, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m2.get_weights()[0], k, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h1.history["loss"], ref["loss"], rtol=1e-4)
    np.testing.assert_allclose(h2.history["loss"], ref["loss"], rtol=1e-4)
    with pytest.raises(ValueError):
        m1.fit([xa, xb[:20]], y, verbose=0)


def test_multi_output_losses_and_weights(rng):
    x = rng.standard_normal((20, 3)).astype(np.float32)
    y1, y2 = rng.standard_normal((20, 1)).astype(np.float32), rng.standard_normal((20, 2)).astype(np.float32)
    inp = keras.Input((3,))
    o1 = layers.Dense(1, name="first")(inp)
    o2 = layers.Dense(2, name="second")(inp)
    model = keras.Model(inp, [o1, o2])
    model.compile(optimizer="sgd", loss=["mse", "mae"], loss_weights=[1.0, 0.5])
    k1, b1, k2, b2 = model.get_weights()
    p1, p2 = x @ k1 + b1, x @ k2 + b2
    expected = ((p1 - y1) ** 2).mean() + 0.5 * np.abs(p2 - y2).mean()
    res = model.evaluate(x, [y1, y2], verbose=0, return_dict=True)
    np.testing.assert_allclose(res["loss"], expected, rtol=1e-5)
    model.compile(optimizer="sgd", loss={"first": "mse", "second": "mae"}, loss_weights={"first": 1.0, "second": 0.5})
    res = model.evaluate(x, {"first": y1, "second": y2}, verbose=0, return_dict=True)
    np.testing.assert_allclose(res["loss"], expected, rtol=1e-5)
    h = model.fit(x, [y1, y2], epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


def test_multi_output_logs(rng):
    # Keras 3: each output's (unweighted) loss is logged as '<output>_loss', metrics as '<output>_<metric>'
    x = rng.standard_normal((20, 3)).astype(np.float32)
    y1, y2 = rng.standard_normal((20, 1)).astype(np.float32), rng.standard_normal((20, 2)).astype(np.float32)
    inp = keras.Input((3,))
    model = keras.Model(inp, [layers.Dense(1, name="first")(inp), layers.Dense(2, name="second")(inp)])
    model.compile(optimizer="sgd", loss={"first": "mse", "second": "mae"}, loss_weights={"first": 2.0, "second": 1.0},
                  metrics={"second": ["mse"]})
    k1, b1, k2, b2 = model.get_weights()
    p1, p2 = x @ k1 + b1, x @ k2 + b2
    res = model.evaluate(x, [y1, y2], verbose=0, return_dict=True)
    assert set(res) == {"loss", "first_loss", "second_loss", "second_mse"}
    np.testing.assert_allclose(res["first_loss"], ((p1 - y1) ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(res["second_loss"], np.abs(p2 - y2).mean(), rtol=1e-5)
    np.testing.assert_allclose(res["loss"], 2 * res["first_loss"] + res["second_loss"], rtol=1e-5)
    np.testing.assert_allclose(res["second_mse"], ((p2 - y2) ** 2).mean(), rtol=1e-5)
    as_list = model.evaluate(x, [y1, y2], verbose=0)
    np.testing.assert_allclose(as_list, [res["loss"], res["first_loss"], res["second_loss"], res["second_mse"]],
                               rtol=1e-6)
    h = model.fit(x, {"second": y2, "first": y1}, validation_data=(x, [y1, y2]), verbose=0)
    assert list(h.history) == ["first_loss", "loss", "second_loss", "second_mse",
                               "val_first_loss", "val_loss", "val_second_loss", "val_second_mse"]
    # one loss for every output; a metric list gives one entry per output
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", None])
    res = model.evaluate(x, [y1, y2], verbose=0, return_dict=True)
    assert set(res) == {"loss", "first_loss", "second_loss", "first_mae"}
    with pytest.raises(ValueError, match="as many entries"):
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        model.evaluate(x, [y1, y2], verbose=0)


def test_weighted_metrics(rng):
    # Keras 3: `metrics` ignore sample weights; `weighted_metrics` use them ("weighted_" on a name clash)
    x, y = regression_data(rng, n=30)
    sw = rng.uniform(0, 2, 30).astype(np.float32)
    model = linear_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], weighted_metrics=["mae"])
    k, b = model.get_weights()
    err = np.abs(x @ k + b - y).mean(-1)
    res = model.evaluate(x, y, sample_weight=sw, batch_size=30, verbose=0, return_dict=True)
    assert set(res) == {"loss", "mae", "weighted_mae"}
    np.testing.assert_allclose(res["mae"], err.mean(), rtol=1e-5)
    np.testing.assert_allclose(res["weighted_mae"], (err * sw).sum() / sw.sum(), rtol=1e-5)
    h = model.fit(x, y, sample_weight=sw, verbose=0)
    assert list(h.history) == ["loss", "mae", "weighted_mae"]


def test_regularization_losses_in_fit_and_evaluate(rng):
    x, y = regression_data(rng, n=16, d_out=1)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.1),
                                                              activity_regularizer=keras.regularizers.L1(0.01))])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    k, b = model.get_weights()
    p = x @ k + b
    # Keras 3: weight penalties plus the activity penalty divided by the batch size
    expected = ((p - y) ** 2).mean() + 0.1 * (k ** 2).sum() + 0.01 * np.abs(p).sum() / 16
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=16, verbose=0), expected, rtol=1e-5)
    assert len(model.losses) == 2
    # one SGD step on the full penalised loss
    g_p = 2 * (p - y) / 16 + 0.01 * np.sign(p) / 16
    k_new = k - 0.05 * (x.T @ g_p + 0.2 * k)
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], k_new, rtol=1e-4, atol=1e-6)
    # frozen weights add no penalty
    model.layers[0].trainable = False
    p = to_np(model(x))
    losses = model.losses
    assert len(losses) == 1  # the activity penalty of that call only
    np.testing.assert_allclose(to_np(losses[0]), 0.01 * np.abs(p).sum() / 16, rtol=1e-5)


def test_add_loss_in_custom_layer(rng):
    class ActivityPenalty(keras.Layer):
        def call(self, x):
            self.add_loss(0.5 * keras.ops.mean(keras.ops.square(x)))
            return x

    x, y = regression_data(rng, n=8, d_out=1)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1), ActivityPenalty()])
    model.compile(optimizer="sgd", loss="mse")
    k, b = model.get_weights()
    p = x @ k + b
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=8, verbose=0),
                               ((p - y) ** 2).mean() + 0.5 * (p ** 2).mean(), rtol=1e-5)
    model(x)
    model(x)
    assert len(model.losses) == 1  # cleared at each outermost call, not accumulated
    with pytest.raises(ValueError):
        ActivityPenalty().add_loss(1.0)


def test_weight_constraint_applied_after_update(rng):
    x, y = regression_data(rng, n=16, d_out=1)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_constraint=lambda w: keras.ops.clip(w, 0.0, 0.1))])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    k = model.get_weights()[0]
    assert k.min() >= 0.0 and k.max() <= 0.1 + 1e-7
    with pytest.raises(ValueError):
        layers.Dense(1, kernel_constraint="no_such_constraint").build((None, 3))


# ---------------------------------------------------------------- errors before any training


def test_fit_before_compile():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    for call in (lambda: model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0),
                 lambda: model.evaluate(np.ones((4, 3)), np.ones((4, 1)), verbose=0),
                 lambda: model.train_on_batch(np.ones((4, 3)), np.ones((4, 1)))):
        with pytest.raises(ValueError, match="compile"):
            call()


def test_errors_raised_before_any_update(rng, capsys):
    model = linear_model()
    w0 = model.get_weights()
    x, y = regression_data(rng, n=20)
    with pytest.raises(ValueError, match="20.*19|19.*20"):
        model.fit(x, y[:19], verbose=1)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\).*found shape=\(20, 4\)"):
        model.fit(np.ones((20, 4), np.float32), y, verbose=1)
    with pytest.raises(ValueError):
        model.fit(np.ones((20, 3, 1), np.float32), y, verbose=1)
    with pytest.raises(ValueError, match="expected shape"):
        model.predict(np.ones((2, 5), np.float32), verbose=0)
    with pytest.raises(ValueError, match="expected shape"):
        model.evaluate(np.ones((2, 5), np.float32), np.ones((2, 2)), verbose=0)
    for a, b in zip(w0, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "Epoch" not in capsys.readouterr().out


def test_sparse_labels_out_of_range(rng):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    w0 = model.get_weights()
    x = rng.standard_normal((10, 3)).astype(np.float32)
    with pytest.raises(ValueError, match=r"\b4\b.*\[0, 3\]"):
        model.fit(x, np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 0]), verbose=0)
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy())
    with pytest.raises(ValueError, match="-1"):
        model.fit(x, np.array([0, 1, 2, 3, -1, 0, 1, 2, 3, 0]), verbose=0)
    np.testing.assert_array_equal(model.get_weights()[0], w0[0])
    model.fit(x, np.array([0, 1, 2, 3, 3, 0, 1, 2, 3, 0]), verbose=0)  # in range: fine


@pytest.mark.parametrize("kind", ["optimizer", "loss", "metric", "activation", "initializer"])
def test_unknown_names_list_valid_ones(kind, rng):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    valid = {"optimizer": "adam", "loss": "mean_squared_error", "metric": "mean_absolute_error",
             "activation": "relu", "initializer": "glorot_uniform"}[kind]
    with pytest.raises(ValueError) as err:
        if kind == "optimizer":
            model.compile(optimizer="adamm", loss="mse")
        elif kind == "loss":
            model.compile(optimizer="sgd", loss="mean_squared_eror")
        elif kind == "metric":
            model.compile(optimizer="sgd", loss="mse", metrics=["acuracy"])
            model.fit(np.ones((2, 3), np.float32), np.ones((2, 1), np.float32), verbose=0)
        elif kind == "activation":
            layers.Dense(2, activation="rellu")
        else:
            layers.Dense(2, kernel_initializer="glorot_uniformm")
    msg = str(err.value)
    assert valid in msg, msg


def test_unknown_metric_raised_at_compile():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="acuracy"):
        model.compile(optimizer="sgd", loss="mse", metrics=["acuracy"])


# ---------------------------------------------------------------- progress output


def test_progress_verbose_1(rng, capsys):
    x, y = regression_data(rng, n=70)
    model = linear_model(metrics=["mae"])
    model.fit(x, y, epochs=2, verbose=1, validation_split=0.1)
    out = capsys.readouterr().out
    assert "\r" not in out and "\b" not in out  # not a terminal: plain lines
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    pat = (r"2/2 ━{20} \d+s \d+(us|ms|s)/step - loss: \d+\.\d{4} - mae: \d+\.\d{4}"
           r" - val_loss: \d+\.\d{4} - val_mae: \d+\.\d{4}")
    assert re.fullmatch(pat, lines[1]), lines[1]
    assert re.fullmatch(pat, lines[3]), lines[3]
    model.fit(x, y, epochs=1)  # verbose="auto" -> 1, no header for one epoch
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and re.fullmatch(r"3/3 ━{20} .*- loss: \d+\.\d{4} - mae: \d+\.\d{4}", lines[0])


def test_progress_verbose_2_and_0(rng, capsys):
    x, y = regression_data(rng, n=70)
    model = linear_model()
    model.fit(x, y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert re.fullmatch(r"3/3 - \d+s - \d+(us|ms|s)/step - loss: \d+\.\d{4}", lines[1]), lines[1]
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_progress_evaluate_predict(rng, capsys):
    x, y = regression_data(rng, n=70)
    model = linear_model()
    model.evaluate(x, y)
    model.predict(x)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"3/3 ━{20} \d+s \d+(us|ms|s)/step - loss: \d+\.\d{4}", lines[0]), lines[0]
    assert re.fullmatch(r"3/3 ━{20} \d+s \d+(us|ms|s)/step", lines[1]), lines[1]


# ---------------------------------------------------------------- reproducibility


def test_set_random_seed_reproducible(rng):
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = rng.integers(0, 2, (64, 1)).astype(np.float32)

    def run(seed):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"), layers.Dropout(0.3),
                                  layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        w0 = model.get_weights()
        h = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0)
        return w0, model.get_weights(), h.history

    a, b, c = run(11), run(11), run(12)
    for w1, w2 in zip(a[0] + a[1], b[0] + b[1]):
        np.testing.assert_array_equal(w1, w2)
    assert a[2] == b[2]
    assert not np.array_equal(a[0][0], c[0][0])


# ---------------------------------------------------------------- convergence and stopping


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], np.float32)


def xor_model(optimizer):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(10, activation="sigmoid"),
                              layers.Dense(10, activation="sigmoid"), layers.Dense(10, activation="sigmoid"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("optimizer", [lambda: keras.optimizers.Adam(0.05),
                                       lambda: keras.optimizers.SGD(1.0, momentum=0.9)], ids=["adam", "sgd"])
def test_xor_converges(optimizer):
    keras.utils.set_random_seed(0)
    model = xor_model(optimizer())

    class StopWhenSolved(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs["loss"] < 0.02:
                self.model.stop_training = True

    # (a few hundred epochs of 4 samples: well under a second; 12 seeds checked to converge)
    hist = model.fit(XOR_X, XOR_Y, batch_size=4, epochs=3000, callbacks=[StopWhenSolved()], verbose=0)
    assert len(hist.epoch) < 3000, "did not solve XOR"
    p = model.predict(XOR_X, verbose=0)
    np.testing.assert_array_equal((p > 0.5).astype(np.float32), XOR_Y)
    assert model.evaluate(XOR_X, XOR_Y, verbose=0)[1] == 1.0


def test_stop_training_inside_batch(rng):
    x, y = regression_data(rng, n=100)
    model = linear_model()

    class StopAt(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1
            if batch == 1:
                self.model.stop_training = True

    cb = StopAt()
    h = model.fit(x, y, batch_size=10, epochs=5, callbacks=[cb], verbose=0)
    assert cb.batches == 2 and h.epoch == [0]


def test_early_stopping_real_fit(rng, capsys):
    x, y = regression_data(rng, n=40)
    model = linear_model(lr=0.01)
    es = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e6, patience=2, verbose=1)
    h = model.fit(x, y, epochs=20, validation_data=(x, y), callbacks=[es], verbose=0)
    assert h.epoch == [0, 1, 2]
    assert "Epoch 3: early stopping" in capsys.readouterr().out
    # restore_best_weights: the loss goes up every epoch with a diverging learning rate
    model = linear_model(lr=2.0)
    weights = []

    class Keep(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            weights.append(self.model.get_weights())

    es = keras.callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    h = model.fit(x, y, batch_size=40, epochs=10, callbacks=[Keep(), es], shuffle=False, verbose=0)
    best = int(np.argmin(h.history["loss"]))
    assert len(h.epoch) < 10
    np.testing.assert_array_equal(model.get_weights()[0], weights[best][0])


def test_terminate_on_nan(rng, capsys):
    x, y = regression_data(rng, n=40)
    x[25] = np.nan
    model = linear_model()
    h = model.fit(x, y, batch_size=10, epochs=3, shuffle=False,
                  callbacks=[keras.callbacks.TerminateOnNaN()], verbose=0)
    assert h.epoch == [0]
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


def test_trainable_false_layer_not_updated(rng):
    x, y = regression_data(rng, n=32, d_out=1)
    frozen = layers.Dense(4, trainable=False)
    model = keras.Sequential([keras.Input((3,)), frozen, layers.BatchNormalization(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    after = model.get_weights()
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])
    assert not np.array_equal(after[6], before[6])  # the last Dense trained
    assert not np.array_equal(after[4], before[4])  # BN moving mean updated in training
    # freezing after compile takes effect at the next fit, as in Keras
    model.layers[1].trainable = False
    w = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.get_weights()[2], w[2])  # gamma
    np.testing.assert_array_equal(model.get_weights()[4], w[4])  # frozen BN runs in inference mode
    assert not np.array_equal(model.get_weights()[6], w[6])


def test_custom_steps_take_keras_3_signatures():
    """train_step / test_step / predict_step(self, data), as the "customizing fit" guide writes
    them, with kerasish's autograd: loss.backward(), then optimizer.apply(grads, variables). The
    logs are what the steps return."""
    seen = {}

    class Custom(keras.Model):
        def train_step(self, data):
            x, y = data
            seen["train"] = (tuple(x.shape), tuple(y.shape))
            for v in self.trainable_variables:
                v.grad = None
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            self.optimizer.apply([v.grad for v in self.trainable_variables], self.trainable_variables)
            return {"loss": loss, "twice": 2 * loss}

        def test_step(self, data):
            x, y, sw = data
            seen["test"] = tuple(sw.shape)
            return {"mae": keras.ops.mean(keras.ops.abs(self(x) - y))}

        def predict_step(self, data):
            return self(data) * 0 + 7

    inp = keras.Input((3,))
    model = Custom(inp, keras.layers.Dense(1)(inp))
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    h = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert seen["train"] == ((8, 3), (8, 1))
    assert h.history["loss"][2] < h.history["loss"][0]
    np.testing.assert_allclose(h.history["twice"], 2 * np.array(h.history["loss"]), rtol=1e-6)
    logs = model.evaluate(x, y, sample_weight=np.ones(16, "float32"), batch_size=16, verbose=0, return_dict=True)
    assert seen["test"] == (16,) and set(logs) == {"mae"}
    np.testing.assert_allclose(logs["mae"], np.mean(np.abs(model.predict_on_batch(x) * 0 + model(x).numpy() - y)),
                               rtol=1e-5)
    assert (model.predict(x, verbose=0) == 7).all()
    # the built-in steps, called directly as an override's super() would
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    plain.compile("sgd", "mse", metrics=["mae"])
    plain.fit(x, y, epochs=1, verbose=0)
    out = plain.test_step((keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)))
    assert set(out) == {"loss", "mae"}
