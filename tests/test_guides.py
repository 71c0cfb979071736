"""Conformance with Keras's guides: the idioms of each guide (keras-team/keras, guides/), written
afresh with `import kerasish as keras`, checked for what the guide says they do.

making_new_layers_and_models_via_subclassing: weights made in __init__ or build, non-trainable
state updated with assign_add, nested layers tracked, add_loss reset at each top-level call and
summed into fit's loss (also with no compiled loss, and for a model without weights), weight
regularizers in `losses`, get_config / from_config, the `training` argument, and the VAE of its
end-to-end example (a subclassed Model of nested layers, tuple outputs, an add_loss KL term)
trained on MNIST.

sequential_model: layers as a list, add / pop, building on the first call or from an Input, the
add() + summary() debugging workflow, feature extraction through layer outputs, freezing layers.
writing_your_own_callbacks: the order of the hooks with their log keys, logs as running means,
an early stop that restores the best weights, a learning-rate schedule set from a callback.
functional_api: Input, summary, fit / evaluate / save on MNIST, models nested like layers, an
ensemble, a multi-input multi-output model (GlobalAveragePooling1D in place of the guide's LSTM
layers), a toy ResNet, shared layers, custom layers, a hand-written RNN mixed into functional
models. understanding_masking_and_padding: Embedding(mask_zero=True), Masking, custom layers that
split, make, propagate and consume masks (the LSTM parts left out). training_with_built_in_methods:
the end-to-end workflow on MNIST, custom losses and metrics, add_loss endpoints,
validation_split, PyDataset, class and sample weights, multi-output losses / metrics / loss
weights, EarlyStopping, ModelCheckpoint, schedules, ReduceLROnPlateau (the tf.data and torch
parts left out). The keras repository's examples/demo_functional.py, demo_subclass.py,
demo_mnist_convnet.py and demo_custom_layer_backend_agnostic.py, scaled down.

Where kerasish does not (yet) do what Keras does, the test is marked xfail(strict=True), its
reason saying how Keras differs. The tests of the guides below the VAE that need no MNIST,
xfailed ones included, also pass on Keras 3.15 with JAX (with `.numpy()` read as np.asarray, and the guide's
CategoricalTruePositives.result converting its variable, which Keras on a recent JAX needs)."""
import os

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class EagerLinear(keras.layers.Layer):
    """Weights made in __init__, from a known input size."""

    def __init__(self, units, input_dim):
        super().__init__()
        self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class RunningSum(keras.layers.Layer):
    def __init__(self, dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


class ActivityPenalty(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


def test_layers_weights_and_state():
    lin = EagerLinear(4, 2)
    assert lin(ops.ones((2, 2))).shape == (2, 4)
    assert lin.weights == [lin.w, lin.b]
    s = RunningSum(2)
    np.testing.assert_array_equal(s(ops.ones((2, 2))).numpy(), [2, 2])
    np.testing.assert_array_equal(s(ops.ones((2, 2))).numpy(), [4, 4])
    assert (len(s.weights), len(s.non_trainable_weights), s.trainable_weights) == (1, 1, [])

    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1, self.linear_2, self.linear_3 = Linear(32), Linear(32), Linear(1)

        def call(self, inputs):
            return self.linear_3(ops.relu(self.linear_2(ops.relu(self.linear_1(inputs)))))

    block = Block()
    assert block(ops.ones((3, 64))).shape == (3, 1)
    assert len(block.weights) == len(block.trainable_weights) == 6


def test_add_loss_and_regularizers():
    class Outer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.penalty = ActivityPenalty(1e-2)

        def call(self, inputs):
            return self.penalty(inputs)

    outer = Outer()
    assert len(outer.losses) == 0
    outer(ops.ones((1, 1)))
    assert len(outer.losses) == 1
    outer(ops.ones((1, 1)))
    assert len(outer.losses) == 1  # reset at each top-level call

    class WithRegularizer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

        def call(self, inputs):
            return self.dense(inputs)

    r = WithRegularizer()
    r(ops.zeros((1, 1)))
    np.testing.assert_allclose(r.losses[0].numpy(), 1e-3 * np.sum(r.dense.kernel.numpy() ** 2), rtol=1e-5)
    # add_loss joins the compiled loss, and trains alone when compile() has none (here the
    # model has no weights: the step has nothing to update, as in Keras)
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, ActivityPenalty()(inputs))
    x, y = np.random.default_rng(0).random((2, 3)), np.random.default_rng(1).random((2, 3))
    model.compile(optimizer="adam", loss="mse")
    h = model.fit(x, y, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], np.mean((x - y) ** 2) + 1e-2 * x.mean(), rtol=1e-5)
    model.compile(optimizer="adam")
    h = model.fit(x, y, verbose=0)
    np.testing.assert_allclose(h.history["loss"][0], 1e-2 * x.mean(), rtol=1e-5)


def test_config_and_training_argument():
    layer = Linear(64)
    config = layer.get_config()
    assert config["units"] == 64 and config["name"] == layer.name
    again = Linear.from_config(config)
    assert again.units == 64 and again.get_config() == config

    class CustomDropout(keras.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, inputs, training=None):
            return keras.random.dropout(inputs, rate=self.rate) if training else inputs

    d = CustomDropout(0.5)
    x = ops.ones((50, 40))
    np.testing.assert_array_equal(d(x).numpy(), 1)
    kept = d(x, training=True).numpy()
    assert set(np.unique(kept)) <= {0.0, 2.0} and 0.4 < (kept > 0).mean() < 0.6


class Sampling(layers.Layer):
    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(shape=(ops.shape(z_mean)[0], ops.shape(z_mean)[1]))
        return z_mean + ops.exp(0.5 * z_log_var) * eps


class Encoder(layers.Layer):
    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean, z_log_var = self.dense_mean(x), self.dense_log_var(x)
        return z_mean, z_log_var, self.sampling((z_mean, z_log_var))


class Decoder(layers.Layer):
    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        return self.dense_output(self.dense_proj(inputs))


class VAE(keras.Model):
    def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        self.add_loss(-0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1))
        return self.decoder(z)


@pytest.mark.skipif(not os.environ.get("KERASISH_DATASETS"), reason="MNIST comes from KERASISH_DATASETS here")
def test_vae_end_to_end_on_mnist():
    keras.utils.set_random_seed(1)
    (x_train, _), _ = keras.datasets.mnist.load_data()
    x = x_train[:4000].reshape(4000, 784).astype("float32") / 255
    vae = VAE(784, 64, 32)
    vae.compile(keras.optimizers.Adam(learning_rate=1e-3), loss=keras.losses.MeanSquaredError())
    h = vae.fit(x, x, epochs=2, batch_size=64, verbose=0)
    assert len(vae.trainable_weights) == 10 and vae.layers == [vae.encoder, vae.decoder]
    # the reconstruction improves, and the loss holds the KL term besides the MSE
    assert h.history["loss"][1] < 0.8 * h.history["loss"][0]
    mse = np.mean((vae.predict(x[:256], verbose=0) - x[:256]) ** 2)
    assert mse < h.history["loss"][1]


# --- shared helpers of the guides below ----------------------------------------------------------

NEEDS_MNIST = pytest.mark.skipif(not os.environ.get("KERASISH_DATASETS"), reason="MNIST comes from KERASISH_DATASETS here")
_MNIST = {}


def mnist_flat(n_train, n_test=0):
    """The first MNIST images as float32 vectors in [0, 1], labels as they come."""
    if not _MNIST:
        _MNIST["data"] = keras.datasets.mnist.load_data()
    (x_train, y_train), (x_test, y_test) = _MNIST["data"]
    def flat(x):
        return x.reshape(len(x), 784).astype("float32") / 255
    return (flat(x_train[:n_train]), y_train[:n_train]), (flat(x_test[:n_test]), y_test[:n_test])


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return "\n".join(lines)


# --- sequential_model ------------------------------------------------------------------------------


def test_sequential_model_stack_add_pop_and_build():
    model = keras.Sequential([layers.Dense(2, activation="relu", name="layer1"),
                              layers.Dense(3, activation="relu", name="layer2"), layers.Dense(4, name="layer3")])
    x = ops.ones((3, 3))
    y = model(x)
    assert y.shape == (3, 4) and [layer.name for layer in model.layers] == ["layer1", "layer2", "layer3"]
    # the model is the composition of its layers (the same layer objects, so the same weights)
    layer1, layer2, layer3 = model.layers
    np.testing.assert_allclose(layer3(layer2(layer1(x))).numpy(), y.numpy(), rtol=1e-6)

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    model.pop()
    assert len(model.layers) == 2
    assert keras.Sequential(name="my_sequential").name == "my_sequential"

    # no weights before the first call (an empty list, as in Keras 3), the input size fixes them
    layer = layers.Dense(3)
    assert layer.weights == []
    layer(ops.ones((1, 4)))
    assert [tuple(w.shape) for w in layer.weights] == [(4, 3), (3,)]
    model = keras.Sequential([layers.Dense(2, activation="relu"), layers.Dense(3, activation="relu"), layers.Dense(4)])
    assert not model.built and model.weights == []
    model(ops.ones((1, 4)))
    assert model.built and len(model.weights) == 6
    assert [tuple(w.shape) for w in model.weights] == [(4, 2), (2,), (2, 3), (3,), (3, 4), (4,)]
    assert "Total params: 35 (140.00 B)" in summary_text(model)

    # an Input first: built from the start, and not one of the layers
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    assert len(model.layers) == 1 and len(model.weights) == 2 and model.output_shape == (None, 2)
    text = summary_text(model)
    assert "(None, 2)" in text and "Total params: 10 (40.00 B)" in text and "InputLayer" not in text


@pytest.mark.xfail(strict=True, reason="kerasish: the summary of a Sequential built by a call shows (None, 2) "
                   "where Keras shows the shape of the call, (1, 2)")
def test_sequential_summary_after_call_shows_call_shapes():
    model = keras.Sequential([layers.Dense(2, activation="relu"), layers.Dense(3)])
    model(ops.ones((1, 4)))
    assert "(1, 2)" in summary_text(model)


def test_sequential_add_summary_debugging_workflow():
    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    assert model.output_shape == (None, 40, 40, 32)
    text = summary_text(model)
    for line in ("(None, 123, 123, 32)", "(None, 121, 121, 32)", "(None, 40, 40, 32)", "2,432", "9,248",
                 "Total params: 11,680 (45.62 KB)"):
        assert line in text, line
    for _ in range(2):
        model.add(layers.Conv2D(32, 3, activation="relu"))
        model.add(layers.Conv2D(32, 3, activation="relu"))
        model.add(layers.MaxPooling2D(3 if _ == 0 else 2))
    assert model.output_shape == (None, 4, 4, 32)
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    assert model.output_shape == (None, 10) and model.count_params() == 49002


def test_sequential_feature_extraction_and_transfer_learning():
    initial_model = keras.Sequential([
        keras.Input(shape=(50, 50, 3)),
        layers.Conv2D(8, 5, strides=2, activation="relu"),
        layers.Conv2D(8, 3, activation="relu", name="my_intermediate_layer"),
        layers.Conv2D(8, 3, activation="relu"),
    ])
    every = keras.Model(inputs=initial_model.inputs, outputs=[layer.output for layer in initial_model.layers])
    x = np.random.default_rng(0).random((2, 50, 50, 3)).astype("float32")
    features = every(x)
    assert [tuple(f.shape) for f in features] == [(2, 23, 23, 8), (2, 21, 21, 8), (2, 19, 19, 8)]
    one = keras.Model(inputs=initial_model.inputs, outputs=initial_model.get_layer(name="my_intermediate_layer").output)
    np.testing.assert_allclose(one(x).numpy(), features[1].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(features[2].numpy(), initial_model(x).numpy(), rtol=1e-5, atol=1e-6)

    # freeze every layer but the last: fit only moves the last layer's weights
    model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(8, activation="relu"),
                              layers.Dense(8, activation="relu"), layers.Dense(3)])
    for layer in model.layers[:-1]:
        layer.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 4
    before = [w.numpy().copy() for w in model.weights]
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(1)
    model.fit(rng.random((32, 20)), rng.random((32, 3)), epochs=1, verbose=0)
    after = [w.numpy() for w in model.weights]
    assert all(np.array_equal(b, a) for b, a in zip(before[:4], after[:4]))
    assert not np.array_equal(before[4], after[4])

    # a frozen base model stacked under a fresh classifier
    base_model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(8, activation="relu")])
    base_model.trainable = False
    model = keras.Sequential([base_model, layers.Dense(5)])
    model.compile(optimizer="adam", loss="mse")
    frozen = base_model.weights[0].numpy().copy()
    model.fit(rng.random((32, 20)), rng.random((32, 5)), epochs=1, verbose=0)
    np.testing.assert_array_equal(base_model.weights[0].numpy(), frozen)
    assert len(model.trainable_weights) == 2 and model.output_shape == (None, 5)


# --- writing_your_own_callbacks ------------------------------------------------------------------


def get_regression_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss="mean_squared_error",
                  metrics=["mean_absolute_error"])
    return model


class RecordingCallback(keras.callbacks.Callback):
    """The guide's CustomCallback, recording (hook, [batch or epoch], log keys) instead of printing."""

    def __init__(self):
        super().__init__()
        self.events = []

    def _log(self, hook, logs, index=None):
        keys = list(logs.keys())
        self.events.append((hook, keys) if index is None else (hook, index, keys))


for _hook in ("train", "test", "predict"):
    for _when in ("begin", "end"):
        setattr(RecordingCallback, f"on_{_hook}_{_when}",
                (lambda h: lambda self, logs=None: self._log(h, logs))(f"{_hook}_{_when}"))
        setattr(RecordingCallback, f"on_{_hook}_batch_{_when}",
                (lambda h: lambda self, batch, logs=None: self._log(h, logs, batch))(f"{_hook}_batch_{_when}"))
for _when in ("begin", "end"):
    setattr(RecordingCallback, f"on_epoch_{_when}",
            (lambda h: lambda self, epoch, logs=None: self._log(h, logs, epoch))(f"epoch_{_when}"))


def _random_regression(n=300):
    rng = np.random.default_rng(0)
    return rng.random((n, 784)).astype("float32"), rng.integers(0, 10, n).astype("float32")


def test_callbacks_hooks_order_and_log_keys():
    x, y = _random_regression()
    metrics = ["loss", "mean_absolute_error"]
    val = ["val_loss", "val_mean_absolute_error"]
    model = get_regression_model()
    cb = RecordingCallback()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0, validation_split=0.5, callbacks=[cb])
    train_events = [e for e in cb.events if not e[0].startswith("test")]
    assert train_events == [
        ("train_begin", []), ("epoch_begin", 0, []),
        ("train_batch_begin", 0, []), ("train_batch_end", 0, metrics),
        ("train_batch_begin", 1, []), ("train_batch_end", 1, metrics),
        ("epoch_end", 0, metrics + val), ("train_end", metrics + val),
    ]
    cb = RecordingCallback()
    model.evaluate(x[:200], y[:200], batch_size=128, verbose=0, callbacks=[cb])
    assert cb.events == [("test_begin", []), ("test_batch_begin", 0, []), ("test_batch_end", 0, metrics),
                         ("test_batch_begin", 1, []), ("test_batch_end", 1, metrics), ("test_end", metrics)]
    cb = RecordingCallback()
    assert model.predict(x[:200], batch_size=128, verbose=0, callbacks=[cb]).shape == (200, 1)
    assert cb.events == [("predict_begin", []), ("predict_batch_begin", 0, []), ("predict_batch_end", 0, ["outputs"]),
                         ("predict_batch_begin", 1, []), ("predict_batch_end", 1, ["outputs"]), ("predict_end", [])]


def test_callbacks_validation_in_fit_calls_test_hooks():
    x, y = _random_regression()
    cb = RecordingCallback()
    get_regression_model().fit(x, y, batch_size=128, epochs=1, verbose=0, validation_split=0.5, callbacks=[cb])
    hooks = [e[0] for e in cb.events]
    last_batch_end = len(hooks) - 1 - hooks[::-1].index("train_batch_end")
    assert hooks[last_batch_end + 1:hooks.index("epoch_end")] == [
        "test_begin", "test_batch_begin", "test_batch_end", "test_batch_begin", "test_batch_end", "test_end"]


def test_callbacks_logs_hold_running_averages():
    x, y = _random_regression(200)

    class LossAndErrorRecording(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches, self.epochs = [], []

        def on_train_batch_end(self, batch, logs=None):
            self.batches.append(("train", batch, logs["loss"]))

        def on_test_batch_end(self, batch, logs=None):
            self.batches.append(("test", batch, logs["loss"]))

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append((epoch, logs["loss"], logs["mean_absolute_error"]))

    model = get_regression_model()
    cb = LossAndErrorRecording()
    h = model.fit(x, y, batch_size=128, epochs=2, verbose=0, callbacks=[cb])
    assert [b[:2] for b in cb.batches] == [("train", 0), ("train", 1)] * 2
    # the epoch's logs are those of its last batch, and fit's history keeps them
    assert [e[1] for e in cb.epochs] == [cb.batches[1][2], cb.batches[3][2]] == h.history["loss"]
    assert "{:7.2f}".format(cb.epochs[0][2]).strip()  # the guide formats them as floats
    cb = LossAndErrorRecording()
    loss, mae = model.evaluate(x, y, batch_size=128, verbose=0, callbacks=[cb])
    err = (model.predict(x, verbose=0)[:, 0] - y) ** 2
    # up to batch i, the average over the samples seen so far
    np.testing.assert_allclose([b[2] for b in cb.batches], [err[:128].mean(), err.mean()], rtol=1e-4)
    np.testing.assert_allclose(loss, err.mean(), rtol=1e-4)


class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best = 0, 0, np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best, self.wait = current, 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                self.model.set_weights(self.best_weights)


def test_callbacks_early_stopping_at_min_loss_restores_best_weights():
    keras.utils.set_random_seed(0)
    x, y = _random_regression()
    model = get_regression_model()
    es = EarlyStoppingAtMinLoss()
    h = model.fit(x, y, batch_size=64, epochs=30, verbose=0, callbacks=[es])
    losses = h.history["loss"]
    # RMSprop at 0.1 overshoots: the loss rises before 30 epochs, and training stops at that epoch
    assert 0 < es.stopped_epoch == len(losses) - 1 < 29
    assert losses[-1] >= es.best == min(losses)
    for w, best in zip(model.get_weights(), es.best_weights):
        np.testing.assert_array_equal(w, best)


def test_callbacks_custom_learning_rate_scheduler():
    schedule_points = [(3, 0.05), (6, 0.01), (9, 0.005), (12, 0.001)]

    def lr_schedule(epoch, lr):
        if epoch < schedule_points[0][0] or epoch > schedule_points[-1][0]:
            return lr
        for start, rate in schedule_points:
            if epoch == start:
                return rate
        return lr

    class CustomLearningRateScheduler(keras.callbacks.Callback):
        def __init__(self, schedule):
            super().__init__()
            self.schedule = schedule
            self.seen = []

        def on_epoch_begin(self, epoch, logs=None):
            if not hasattr(self.model.optimizer, "learning_rate"):
                raise ValueError('Optimizer must have a "learning_rate" attribute.')
            scheduled = self.schedule(epoch, self.model.optimizer.learning_rate)
            self.model.optimizer.learning_rate = scheduled
            self.seen.append(float(np.array(scheduled)))

    x, y = _random_regression(64)
    model = get_regression_model()
    cb = CustomLearningRateScheduler(lr_schedule)
    model.fit(x, y, batch_size=64, epochs=15, verbose=0, callbacks=[cb])
    expected = [0.1] * 3 + [0.05] * 3 + [0.01] * 3 + [0.005] * 3 + [0.001] * 3
    np.testing.assert_allclose(cb.seen, expected, rtol=1e-6)
    np.testing.assert_allclose(float(np.array(model.optimizer.learning_rate)), 0.001, rtol=1e-6)


# --- functional_api ------------------------------------------------------------------------------


def mnist_mlp():
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")


@NEEDS_MNIST
def test_functional_mnist_train_evaluate_save(tmp_path):
    inputs = keras.Input(shape=(784,))
    assert inputs.shape == (None, 784) and inputs.dtype == "float32"
    assert keras.Input(shape=(32, 32, 3)).shape == (None, 32, 32, 3)
    assert layers.Dense(64, activation="relu")(inputs).shape == (None, 64)
    keras.utils.set_random_seed(0)
    model = mnist_mlp()
    text = summary_text(model)
    for line in ('Model: "mnist_model"', "InputLayer", "50,240", "4,160", "650", "Total params: 55,050 (215.04 KB)"):
        assert line in text, line
    (x_train, y_train), (x_test, y_test) = mnist_flat(3000, 1000)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
    h = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2, verbose=0)
    assert sorted(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert h.history["loss"][1] < h.history["loss"][0] and h.history["val_accuracy"][1] > 0.8
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert test_accuracy > 0.8
    # the .keras file holds the architecture, the weights and the compile config
    path = str(tmp_path / "my_model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.name == "mnist_model" and isinstance(restored.optimizer, keras.optimizers.RMSprop)
    np.testing.assert_allclose(restored.predict(x_test[:8], verbose=0), model.predict(x_test[:8], verbose=0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(restored.evaluate(x_test, y_test, verbose=0), [test_loss, test_accuracy], rtol=1e-5)


def conv_encoder(input_name):
    encoder_input = keras.Input(shape=(28, 28, 1), name=input_name)
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)
    return encoder_input, encoder_output


def test_functional_models_are_callable_like_layers():
    encoder_input, encoder_output = conv_encoder("img")
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    assert encoder.output_shape == (None, 16) and encoder.count_params() == 18672
    text = summary_text(encoder)
    assert "(None, 4, 4, 16)" in text and "Total params: 18,672" in text
    # a model inside a model: one layer of the outer model, with the same weights
    outer_input = keras.Input(shape=(28, 28, 1), name="img")
    code = encoder(outer_input)
    head = keras.Model(outer_input, layers.Dense(2)(code), name="head")
    assert [layer.name for layer in head.layers[:2]] == ["img", "encoder"] and len(head.layers) == 3
    assert head.layers[1] is encoder and head.count_params() == 18672 + 34
    assert "encoder (Functional)" in summary_text(head)
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(keras.Model(outer_input, code)(x).numpy(), encoder(x).numpy(), rtol=1e-6)

    # an ensemble that averages three models' predictions
    def get_model():
        inputs = keras.Input(shape=(128,))
        return keras.Model(inputs, layers.Dense(1)(inputs))

    models = [get_model(), get_model(), get_model()]
    inputs = keras.Input(shape=(128,))
    ensemble_model = keras.Model(inputs=inputs, outputs=layers.Average()([m(inputs) for m in models]))
    xs = np.random.default_rng(1).random((4, 128)).astype("float32")
    mean = np.mean([m.predict(xs, verbose=0) for m in models], axis=0)
    np.testing.assert_allclose(ensemble_model.predict(xs, verbose=0), mean, rtol=1e-5, atol=1e-6)
    assert len(ensemble_model.weights) == 6


@pytest.mark.xfail(strict=True, raises=AttributeError,
                   reason="kerasish has no layers.Conv2DTranspose nor layers.UpSampling2D (the guide's decoder)")
def test_functional_conv_autoencoder():
    encoder_input, encoder_output = conv_encoder("img")
    x = layers.Reshape((4, 4, 1))(encoder_output)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
    autoencoder = keras.Model(encoder_input, decoder_output, name="autoencoder")
    assert autoencoder.output_shape == (None, 28, 28, 1) and autoencoder.count_params() == 28241


def test_functional_merge_functions():
    a, b = keras.Input((3,)), keras.Input((3,))
    assert layers.add([a, b]).shape == (None, 3)
    assert layers.average([a, b]).shape == (None, 3)
    assert layers.concatenate([a, b]).shape == (None, 6)


def ticket_model(num_tags=12, num_words=1000, num_departments=4):
    """The guide's multi-input, multi-output ticket classifier, with GlobalAveragePooling1D
    reducing each embedded sequence where the guide has LSTM(128) and LSTM(32) (no RNN layers
    in kerasish yet)."""
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.GlobalAveragePooling1D()(layers.Embedding(num_words, 64)(title_input))
    body_features = layers.GlobalAveragePooling1D()(layers.Embedding(num_words, 64)(body_input))
    x = layers.Concatenate()([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    return keras.Model(inputs=[title_input, body_input, tags_input],
                       outputs={"priority": priority_pred, "department": department_pred})


def ticket_data(n=128, num_tags=12, num_words=1000, num_departments=4):
    rng = np.random.default_rng(0)
    inputs = [rng.integers(num_words, size=(n, 10)), rng.integers(num_words, size=(n, 100)),
              rng.integers(2, size=(n, num_tags)).astype("float32")]
    targets = {"priority": rng.random((n, 1)), "department": rng.integers(2, size=(n, num_departments))}
    return inputs, targets


def test_functional_multi_input_multi_output():
    keras.utils.set_random_seed(0)
    model = ticket_model()
    assert [tuple(t.shape) for t in model.inputs] == [(None, None), (None, None), (None, 12)]
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                        "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    inputs, targets = ticket_data()
    h = model.fit(inputs, targets, epochs=2, batch_size=32, verbose=0)
    assert sorted(h.history) == ["department_loss", "loss", "priority_loss"]
    predictions = model.predict([a[:3] for a in inputs], verbose=0)
    assert sorted(predictions) == ["department", "priority"]
    assert predictions["priority"].shape == (3, 1) and predictions["department"].shape == (3, 4)
    # the total is the weighted sum of the per-output losses, each as NumPy computes it
    r = model.evaluate(inputs, targets, batch_size=128, verbose=0, return_dict=True)
    out = model.predict(inputs, batch_size=128, verbose=0)
    logit, z = out["priority"], out["department"]
    t = targets["priority"]
    bce = np.mean(np.maximum(logit, 0) - logit * t + np.log1p(np.exp(-np.abs(logit))))
    logp = z - z.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    cce = np.mean(-(targets["department"] * logp).sum(-1))
    np.testing.assert_allclose([r["priority_loss"], r["department_loss"]], [bce, cce], rtol=1e-4)
    np.testing.assert_allclose(r["loss"], bce + 0.2 * cce, rtol=1e-4)
    # losses as a list: they follow the outputs in the order of their sorted keys (department,
    # priority), so the guide's list puts the categorical crossentropy on the 1-unit priority
    # output, which Keras warns about; kerasish does the same
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=[keras.losses.BinaryCrossentropy(from_logits=True),
                        keras.losses.CategoricalCrossentropy(from_logits=True)],
                  loss_weights=[1.0, 0.2])
    with pytest.warns(SyntaxWarning, match="categorical_crossentropy"):
        h = model.fit(inputs, targets, epochs=1, batch_size=64, verbose=0)
    assert np.isfinite(h.history["loss"][0])


def test_functional_dict_inputs_matched_by_name():
    model = ticket_model()
    model.compile(optimizer="rmsprop", loss={"priority": "mse", "department": "mse"})
    (title, body, tags), targets = ticket_data(32)
    model.fit({"title": title, "body": body, "tags": tags}, targets, epochs=1, verbose=0)


def test_functional_variable_length_symbolic_shapes():
    text_input = keras.Input(shape=(None,), dtype="int32")
    assert layers.Embedding(1000, 64)(text_input).shape == (None, None, 64)
    timeseries_input = keras.Input(shape=(None, 10))
    assert layers.GlobalMaxPooling1D()(layers.Conv1D(3, 3)(timeseries_input)).shape == (None, 3)


def test_functional_toy_resnet():
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.Add()([x, block_1_output])
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.Add()([x, block_2_output])
    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    model = keras.Model(inputs, outputs, name="toy_resnet")
    assert model.count_params() == 223242
    text = summary_text(model)
    assert "Connected to" in text and "Total params: 223,242 (872.04 KB)" in text
    add_row = next(line for line in text.splitlines() if "(Add)" in line)
    assert "conv2d" in add_row and "(None, 9, 9, 64)" in add_row
    rng = np.random.default_rng(0)
    y = keras.utils.to_categorical(rng.integers(0, 10, (40, 1)), 10)
    assert y.shape == (40, 10) and np.all(y.sum(1) == 1)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["acc"])
    h = model.fit(rng.random((40, 32, 32, 3)).astype("float32"), y, batch_size=16, epochs=1, validation_split=0.2, verbose=0)
    assert sorted(h.history) == ["acc", "loss", "val_acc", "val_loss"] and np.isfinite(h.history["val_loss"][0])


class CustomDense(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {"units": self.units}


def test_functional_shared_layers_and_custom_layers():
    shared_embedding = layers.Embedding(1000, 128)
    text_input_a = keras.Input(shape=(None,), dtype="int32")
    text_input_b = keras.Input(shape=(None,), dtype="int32")
    encoded_a, encoded_b = shared_embedding(text_input_a), shared_embedding(text_input_b)
    model = keras.Model([text_input_a, text_input_b], [encoded_a, encoded_b])
    assert len(model.weights) == 1 and model.weights[0] is shared_embedding.embeddings
    tokens = np.array([[1, 2, 3]])
    out_a, out_b = model.predict([tokens, tokens[:, ::-1]], verbose=0)
    np.testing.assert_array_equal(out_a[0, ::-1], out_b[0])
    np.testing.assert_array_equal(out_a[0], shared_embedding.embeddings.numpy()[[1, 2, 3]])

    inputs = keras.Input((4,))
    layer = CustomDense(10)
    model = keras.Model(inputs, layer(inputs))
    assert model.output_shape == (None, 10) and model.weights == [layer.w, layer.b]
    x = np.random.default_rng(0).random((2, 4)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ layer.w.numpy() + layer.b.numpy(), rtol=1e-5)
    config = model.get_config()
    assert [entry["class_name"] for entry in config["layers"]][-1] == "CustomDense"


def test_functional_from_config_with_custom_layer():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, CustomDense(10)(inputs))
    new_model = keras.Model.from_config(model.get_config(), custom_objects={"CustomDense": CustomDense})
    assert isinstance(new_model.layers[-1], CustomDense) and new_model.output_shape == (None, 10)


class CustomRNN(layers.Layer):
    """The guide's hand-written RNN: a loop over the time steps of two Dense projections."""

    def __init__(self, units=32, classifier=None):
        super().__init__()
        self.units = units
        self.projection_1 = layers.Dense(units=units, activation="tanh")
        self.projection_2 = layers.Dense(units=units, activation="tanh")
        self.classifier = classifier if classifier is not None else layers.Dense(1)

    def call(self, inputs):
        outputs = []
        state = ops.zeros(shape=(inputs.shape[0], self.units))
        for t in range(inputs.shape[1]):
            y = self.projection_1(inputs[:, t, :]) + self.projection_2(state)
            state = y
            outputs.append(y)
        return self.classifier(ops.stack(outputs, axis=1))


def test_functional_mix_and_match_api_styles():
    units, timesteps, input_dim = 32, 10, 5
    inputs = keras.Input((None, units))
    classifier = keras.Model(inputs, layers.Dense(1)(layers.GlobalAveragePooling1D()(inputs)))
    rnn = CustomRNN(units, classifier)
    x = np.random.default_rng(0).random((1, timesteps, input_dim)).astype("float32")
    out = rnn(x)
    assert out.shape == (1, 1) and len(rnn.weights) == 6
    # the same loop in NumPy
    w1, b1, w2, b2, w3, b3 = (w.numpy() for w in (rnn.projection_1.kernel, rnn.projection_1.bias,
                                                  rnn.projection_2.kernel, rnn.projection_2.bias, *classifier.weights))
    state, states = np.zeros((1, units)), []
    for t in range(timesteps):
        state = np.tanh(x[:, t] @ w1 + b1) + np.tanh(state @ w2 + b2)
        states.append(state)
    np.testing.assert_allclose(out.numpy(), np.stack(states, 1).mean(1) @ w3 + b3, rtol=1e-4, atol=1e-5)

    # in a functional model with a static batch size
    inputs = keras.Input(batch_shape=(16, timesteps, input_dim))
    x = layers.Conv1D(32, 3)(inputs)
    assert x.shape == (16, 8, 32)
    outputs = CustomRNN(units)(x)
    model = keras.Model(inputs, outputs)
    assert outputs.shape == (16, 8, 1)
    assert model.predict(np.zeros((16, timesteps, input_dim), "float32"), batch_size=16, verbose=0).shape == (16, 8, 1)

    class MLP(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense_1 = layers.Dense(64, activation="relu")
            self.dense_2 = layers.Dense(10)

        def call(self, inputs):
            return self.dense_2(self.dense_1(inputs))

    mlp = MLP()
    assert mlp.weights == []
    assert mlp(ops.zeros((1, 32))).shape == (1, 10) and len(mlp.weights) == 4
    # the functional API checks the layers' input specs while the graph is drawn
    with pytest.raises(ValueError):
        layers.Conv2D(3, 3)(keras.Input((4,)))


def test_functional_predict_keeps_static_batch_size():
    class NeedsBatch16(layers.Layer):
        def call(self, inputs):
            return ops.reshape(inputs, (16, -1))

    inputs = keras.Input(batch_shape=(16, 8, 3))
    model = keras.Model(inputs, NeedsBatch16()(inputs))
    assert model.predict(np.zeros((16, 8, 3), "float32"), batch_size=16, verbose=0).shape == (16, 24)


# --- understanding_masking_and_padding -----------------------------------------------------------

RAW_INPUTS = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
# what keras.utils.pad_sequences(RAW_INPUTS, padding="post") gives
PADDED_INPUTS = np.array([[711, 632, 71, 0, 0, 0], [73, 8, 3215, 55, 927, 0], [83, 91, 1, 645, 1253, 927]], "int32")


def test_masking_pad_sequences():
    np.testing.assert_array_equal(keras.utils.pad_sequences(RAW_INPUTS, padding="post"), PADDED_INPUTS)
    np.testing.assert_array_equal(keras.utils.pad_sequences(RAW_INPUTS)[0], [0, 0, 0, 711, 632, 71])


def test_masking_mask_generating_layers():
    expected = PADDED_INPUTS != 0
    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    masked_output = embedding(PADDED_INPUTS)
    assert masked_output.shape == (3, 6, 16) and masked_output._keras_mask.dtype == "bool"
    np.testing.assert_array_equal(masked_output._keras_mask.numpy(), expected)
    np.testing.assert_array_equal(embedding.compute_mask(PADDED_INPUTS).numpy(), expected)
    # Masking: a step is masked where all its features equal mask_value (0)
    unmasked_embedding = ops.cast(ops.tile(ops.expand_dims(PADDED_INPUTS, axis=-1), [1, 1, 10]), dtype="float32")
    masked_embedding = layers.Masking()(unmasked_embedding)
    np.testing.assert_array_equal(masked_embedding._keras_mask.numpy(), expected)
    np.testing.assert_array_equal(masked_embedding.numpy(), unmasked_embedding.numpy())
    # the mask reaches mask-aware layers in a Sequential model: a masked average over time
    model = keras.Sequential([keras.Input((6, 10)), layers.Masking(), layers.GlobalAveragePooling1D()])
    means = [np.mean(r) for r in RAW_INPUTS]
    np.testing.assert_allclose(model(unmasked_embedding).numpy()[:, 0], means, rtol=1e-5)


class TemporalSplit(keras.layers.Layer):
    """Splits its input in 2 along the time axis, and the mask with it."""

    def call(self, inputs):
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return ops.split(mask, 2, axis=1)


class MaskedEmbedding(keras.layers.Layer):
    """The guide's CustomEmbedding (ops.take without an axis, as it is written, picks from the
    flattened table)."""

    def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), initializer="random_normal",
                                          dtype="float32")

    def call(self, inputs):
        return ops.take(self.embeddings, ops.cast(inputs, "int32"))

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)


class MyActivation(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return ops.relu(inputs)


class PlainActivation(keras.layers.Layer):
    def call(self, inputs):
        return ops.relu(inputs)


class TemporalSoftmax(keras.layers.Layer):
    """A softmax over the time axis that leaves the masked steps out (summed over axis 1: the
    guide's sum over the last axis, of size 1 there, would make every kept step 1)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.masks = []

    def call(self, inputs, mask=None):
        assert mask is not None
        self.masks.append(mask)
        broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
        inputs_exp = ops.exp(inputs) * broadcast_float_mask
        return inputs_exp / ops.sum(inputs_exp * broadcast_float_mask, axis=1, keepdims=True)


def test_masking_custom_layers_modify_generate_and_propagate_masks():
    masked = layers.Masking()(ops.cast(ops.tile(ops.expand_dims(PADDED_INPUTS, -1), [1, 1, 10]), "float32"))
    first_half, second_half = TemporalSplit()(masked)
    assert first_half.shape == second_half.shape == (3, 3, 10)
    np.testing.assert_array_equal(first_half._keras_mask.numpy(), PADDED_INPUTS[:, :3] != 0)
    np.testing.assert_array_equal(second_half._keras_mask.numpy(), PADDED_INPUTS[:, 3:] != 0)

    layer = MaskedEmbedding(10, 32, mask_zero=True)
    x = np.array([[0, 3, 0, 5], [1, 0, 2, 9]], "int32")
    y = layer(x)
    np.testing.assert_allclose(y.numpy(), np.take(layer.embeddings.numpy(), x))
    np.testing.assert_array_equal(layer.compute_mask(x).numpy(), x != 0)
    np.testing.assert_array_equal(y._keras_mask.numpy(), x != 0)

    # supports_masking passes the mask along; a layer without it drops the mask (with a warning)
    embedded = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(PADDED_INPUTS)
    np.testing.assert_array_equal(MyActivation()(embedded)._keras_mask.numpy(), PADDED_INPUTS != 0)
    with pytest.warns(UserWarning, match="does not support masking"):
        dropped = PlainActivation()(embedded)
    assert getattr(dropped, "_keras_mask", None) is None
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = MyActivation()(layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs))
    assert x._keras_mask is not None and x._keras_mask.dtype == "bool"

    # a mask consumer: the softmax over time leaves the masked steps out
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Dense(1)(layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)(inputs))
    softmax = TemporalSoftmax()
    model = keras.Model(inputs, softmax(x))
    data = np.array([[1, 2, 0, 0], [3, 0, 4, 5]])
    y = model(data).numpy()[..., 0]
    assert y.shape == (2, 4)
    np.testing.assert_array_equal(softmax.masks[-1].numpy(), data != 0)
    np.testing.assert_array_equal(y[data == 0], 0)
    np.testing.assert_allclose(y.sum(1), 1, rtol=1e-5)


# --- training_with_built_in_methods --------------------------------------------------------------


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    return model


def _digits(n=512):
    rng = np.random.default_rng(0)
    return rng.random((n, 784)).astype("float32"), rng.integers(0, 10, n).astype("float32")


@NEEDS_MNIST
def test_training_end_to_end_workflow_on_mnist():
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = mnist_flat(4000, 1000)
    y_train, y_test = y_train.astype("float32"), y_test.astype("float32")
    x_val, y_val = x_train[-1000:], y_train[-1000:]
    x_train, y_train = x_train[:-1000], y_train[:-1000]
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_data=(x_val, y_val), verbose=0)
    assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"]
    assert history.epoch == [0, 1] and history.history["loss"][1] < history.history["loss"][0]
    # the validation numbers are evaluate()'s on the validation data, with the final weights
    val_loss, val_acc = model.evaluate(x_val, y_val, batch_size=128, verbose=0)
    np.testing.assert_allclose([val_loss, val_acc], [history.history["val_loss"][1],
                                                     history.history["val_sparse_categorical_accuracy"][1]], rtol=1e-4)
    test_loss, test_acc = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    predictions = model.predict(x_test, verbose=0)
    assert model.predict(x_test[:3], verbose=0).shape == (3, 10)
    np.testing.assert_allclose(test_acc, np.mean(predictions.argmax(1) == y_test), rtol=1e-6)
    assert test_acc > 0.8
    # the string shortcuts name the same objects
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    np.testing.assert_allclose(model.evaluate(x_test, y_test, batch_size=128, verbose=0), [test_loss, test_acc], rtol=1e-5)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(ops.cast(y_true, "int32") == ops.cast(y_pred, "int32"), "float32")
        if sample_weight is not None:
            values = ops.multiply(values, ops.cast(sample_weight, "float32"))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0)


def test_training_custom_losses_and_metrics():
    x, y = _digits()
    y_one_hot = ops.one_hot(y, num_classes=10)
    assert y_one_hot.shape == (512, 10)
    np.testing.assert_array_equal(y_one_hot.numpy(), np.eye(10)[y.astype(int)])

    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    keras.utils.set_random_seed(0)
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)
    model.fit(x, y_one_hot, batch_size=64, epochs=1, verbose=0)
    p = model.predict(x, verbose=0)
    t = y_one_hot.numpy()
    np.testing.assert_allclose(model.evaluate(x, y_one_hot, batch_size=512, verbose=0), np.mean((t - p) ** 2), rtol=1e-4)

    loss = CustomMSE()
    yt, yp = np.eye(3, dtype="float32"), np.full((3, 3), 0.25, "float32")
    np.testing.assert_allclose(float(loss(yt, yp)), np.mean((yt - yp) ** 2) + 0.1 * 0.0625, rtol=1e-6)
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())
    model.fit(x, y_one_hot, batch_size=64, epochs=1, verbose=0)
    p = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.evaluate(x, y_one_hot, batch_size=512, verbose=0),
                               np.mean((t - p) ** 2) + 0.1 * np.mean((0.5 - p) ** 2), rtol=1e-4)

    metric = CategoricalTruePositives()
    metric.update_state(np.array([[1], [2], [0]]), np.array([[0, 1, 0], [0, 1, 0], [1, 0, 0.]]))
    assert float(metric.result()) == 2
    metric.update_state(np.array([[1]]), np.array([[0, 1, 0.]]), sample_weight=np.array([0.5]))
    assert float(metric.result()) == 2.5
    metric.reset_state()
    assert float(metric.result()) == 0
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[CategoricalTruePositives()])
    h = model.fit(x, y[:, None], batch_size=64, epochs=2, verbose=0)
    assert sorted(h.history) == ["categorical_true_positives", "loss"]
    assert all(0 <= v <= 512 and v == int(v) for v in h.history["categorical_true_positives"])
    # reset at each evaluation, a count over the whole of it
    _, count = model.evaluate(x, y[:, None], batch_size=100, verbose=0)
    assert count == np.sum(model.predict(x, verbose=0).argmax(1) == y)


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs


class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weights))
        return ops.softmax(logits)


def test_training_losses_from_add_loss():
    x, y = _digits(256)
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(784,), name="digits")
    hidden = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x1 = ActivityRegularizationLayer()(hidden)
    x1 = layers.Dense(64, activation="relu", name="dense_2")(x1)
    outputs = layers.Dense(10, name="predictions")(x1)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    h = model.fit(x, y, batch_size=64, epochs=2, verbose=0)
    assert h.history["loss"][1] < h.history["loss"][0]
    # one batch: the crossentropy plus 0.1 times the sum of dense_1's activations
    logits = model.predict(x, verbose=0)
    activations = keras.Model(inputs, hidden).predict(x, verbose=0)
    z = logits - logits.max(1, keepdims=True)
    ce = np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(256), y.astype(int)])
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=256, verbose=0), ce + 0.1 * activations.sum(), rtol=1e-4)

    # a loss computed from an input of targets, and a compile() with no loss
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")
    rng = np.random.default_rng(0)
    data = {"inputs": rng.random((3, 3)), "targets": rng.random((3, 10))}
    h = model.fit(data, verbose=0, epochs=3)
    assert list(h.history) == ["loss"] and h.history["loss"][2] < h.history["loss"][0]
    z = keras.Model(model.inputs, logits).predict(data, verbose=0)
    t = data["targets"]
    bce = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    np.testing.assert_allclose(model.evaluate(data, verbose=0), bce, rtol=1e-4)
    np.testing.assert_allclose(model.predict(data, verbose=0).sum(1), 1, rtol=1e-5)


def test_training_validation_split_and_py_dataset():
    x, y = _digits()
    keras.utils.set_random_seed(0)
    model = get_compiled_model()
    h = model.fit(x, y, batch_size=64, validation_split=0.2, epochs=1, verbose=0)
    # the last 20% of the samples, before any shuffling, are held out
    np.testing.assert_allclose(model.evaluate(x[-103:], y[-103:], verbose=0),
                               [h.history["val_loss"][0], h.history["val_sparse_categorical_accuracy"][0]], rtol=1e-4)

    class ExamplePyDataset(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size
            self.served = 0

        def __len__(self):
            return int(np.ceil(len(self.x) / float(self.batch_size)))

        def __getitem__(self, idx):
            self.served += 1
            window = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
            return self.x[window], self.y[window]

    train_py_dataset = ExamplePyDataset(x[:400], y[:400], batch_size=32)
    val_py_dataset = ExamplePyDataset(x[400:], y[400:], batch_size=32)
    assert len(train_py_dataset) == 13 and len(val_py_dataset) == 4
    model = get_compiled_model()
    h = model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1, verbose=0)
    assert sorted(h.history) == ["loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"]
    assert train_py_dataset.served >= 13 and val_py_dataset.served >= 4
    np.testing.assert_allclose(model.evaluate(val_py_dataset, verbose=0), model.evaluate(x[400:], y[400:], verbose=0), rtol=1e-5)
    threaded = ExamplePyDataset(x[:400], y[:400], batch_size=32, workers=4)
    assert np.isfinite(model.fit(threaded, epochs=1, verbose=0).history["loss"][0])


def test_training_class_weights_and_sample_weights():
    x, y = _digits()
    class_weight = {i: 1.0 for i in range(10)}
    class_weight[5] = 2.0
    sample_weight = np.ones(shape=(len(y),))
    sample_weight[y == 5] = 2.0
    keras.utils.set_random_seed(0)
    m1 = get_compiled_model()
    m2 = get_compiled_model()
    m2.set_weights(m1.get_weights())
    probs = m1.predict(x, verbose=0)
    h1 = m1.fit(x, y, class_weight=class_weight, batch_size=512, epochs=1, verbose=0, shuffle=False)
    h2 = m2.fit(x, y, sample_weight=sample_weight, batch_size=512, epochs=1, verbose=0, shuffle=False)
    # the two say the same here, and the weighted mean divides by the number of samples
    nll = -np.log(probs[np.arange(512), y.astype(int)])
    np.testing.assert_allclose(h1.history["loss"][0], h2.history["loss"][0], rtol=1e-6)
    np.testing.assert_allclose(h2.history["loss"][0], np.sum(nll * sample_weight) / 512, rtol=1e-4)
    for w1, w2 in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-7)


def image_and_series_model(timesteps):
    image_input = keras.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = keras.Input(shape=(timesteps, 10), name="ts_input")
    x1 = layers.GlobalMaxPooling2D()(layers.Conv2D(3, 3)(image_input))
    x2 = layers.GlobalMaxPooling1D()(layers.Conv1D(3, 3)(timeseries_input))
    x = layers.Concatenate()([x1, x2])
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)
    return keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])


def test_training_multi_input_multi_output_losses_and_metrics():
    # the guide's time series input is Input((None, 10)); a fixed length here, see
    # test_functional_variable_length_symbolic_shapes
    keras.utils.set_random_seed(0)
    model = image_and_series_model(20)
    rng = np.random.default_rng(0)
    img_data, ts_data = rng.random((64, 32, 32, 3)), rng.random((64, 20, 10))
    score_targets, class_targets = rng.random((64, 1)), rng.random((64, 5))
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()],
                  metrics=[[keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
                           [keras.metrics.CategoricalAccuracy()]])
    h = model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32, epochs=1, verbose=0)
    keys = ["class_output_categorical_accuracy", "class_output_loss", "loss", "score_output_loss",
            "score_output_mean_absolute_error", "score_output_mean_absolute_percentage_error"]
    assert sorted(h.history) == keys
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss={"score_output": keras.losses.MeanSquaredError(),
                        "class_output": keras.losses.CategoricalCrossentropy()},
                  metrics={"score_output": [keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
                           "class_output": [keras.metrics.CategoricalAccuracy()]},
                  loss_weights={"score_output": 2.0, "class_output": 1.0})
    feed = {"img_input": img_data, "ts_input": ts_data}
    wanted = {"score_output": score_targets, "class_output": class_targets}
    h = model.fit(feed, wanted, batch_size=32, epochs=1, verbose=0)
    assert sorted(h.history) == keys
    r = model.evaluate(feed, wanted, batch_size=64, verbose=0, return_dict=True)
    score, classes = model.predict(feed, verbose=0)
    mse = np.mean((score - score_targets) ** 2)
    p = classes / classes.sum(1, keepdims=True)  # CategoricalCrossentropy of probabilities (not logits)
    cce = np.mean(-(class_targets * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(1))
    np.testing.assert_allclose([r["score_output_loss"], r["class_output_loss"]], [mse, cce], rtol=1e-3)
    np.testing.assert_allclose(r["loss"], 2 * mse + cce, rtol=1e-3)
    np.testing.assert_allclose(r["score_output_mean_absolute_error"], np.mean(np.abs(score - score_targets)), rtol=1e-4)
    # no loss for an output meant only for prediction: the total is the class loss alone
    # (the guide's other form, a loss dict without "score_output", is refused by Keras 3.15)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss=[None, keras.losses.CategoricalCrossentropy()])
    np.testing.assert_allclose(model.evaluate(feed, wanted, batch_size=64, verbose=0, return_dict=True)["loss"], cce, rtol=1e-3)


def test_training_callbacks_checkpoints_and_schedules(tmp_path):
    x, y = _digits()
    keras.utils.set_random_seed(0)
    model = get_compiled_model()
    early = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=0)
    h = model.fit(x, y, epochs=20, batch_size=64, callbacks=[early], validation_split=0.2, verbose=0)
    val = h.history["val_loss"]
    # stopped after 2 epochs without beating the best val_loss by 1e-2
    best, wait, stop = np.inf, 0, None
    for epoch, v in enumerate(val):
        best, wait = (v, 0) if v < best - 1e-2 else (best, wait + 1)
        if wait >= 2:
            stop = epoch
            break
    assert len(val) < 20 and early.stopped_epoch == stop == len(val) - 1

    class LossHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    history = LossHistory()
    h = model.fit(x, y, epochs=1, batch_size=64, callbacks=[history], verbose=0)
    assert len(history.per_batch_losses) == 8 and history.per_batch_losses[-1] == h.history["loss"][0]

    # save_best_only: a file for each epoch that improved val_loss
    model = get_compiled_model()
    best_path = str(tmp_path / "mymodel_{epoch}.keras")
    checkpoint = keras.callbacks.ModelCheckpoint(filepath=best_path, save_best_only=True, monitor="val_loss", verbose=0)
    h = model.fit(x, y, epochs=3, batch_size=64, callbacks=[checkpoint], validation_split=0.2, verbose=0)
    val = h.history["val_loss"]
    improved = [e + 1 for e in range(3) if val[e] < min(val[:e], default=np.inf)]
    assert sorted(os.listdir(tmp_path)) == [f"mymodel_{e}.keras" for e in improved]

    # every save_freq batches, named from the logs; the latest one restores the model
    checkpoint_dir = tmp_path / "ckpt"
    checkpoint_dir.mkdir()
    checkpoint = keras.callbacks.ModelCheckpoint(filepath=str(checkpoint_dir / "model-loss={loss:.2f}.keras"), save_freq=4)
    model.fit(x, y, epochs=1, batch_size=32, callbacks=[checkpoint], verbose=0)
    checkpoints = [str(checkpoint_dir / name) for name in os.listdir(checkpoint_dir)]
    assert 1 <= len(checkpoints) <= 4 and all(name.startswith("model-loss=") for name in os.listdir(checkpoint_dir))
    latest = keras.models.load_model(max(checkpoints, key=os.path.getctime))
    assert isinstance(latest.optimizer, keras.optimizers.RMSprop)
    np.testing.assert_allclose(latest.predict(x[:4], verbose=0), model.predict(x[:4], verbose=0), rtol=1e-5, atol=1e-7)

    # a learning-rate schedule passed as the optimizer's learning_rate
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=100000, decay_rate=0.96, staircase=True)
    np.testing.assert_allclose([float(lr_schedule(s)) for s in (0, 99999, 100000, 250000)],
                               [0.1, 0.1, 0.096, 0.1 * 0.96 ** 2], rtol=1e-6)
    smooth = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    np.testing.assert_allclose(float(smooth(5)), 0.1 * 0.5 ** 0.5, rtol=1e-6)
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=smooth), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    assert int(model.optimizer.iterations) == 8
    np.testing.assert_allclose(float(np.array(model.optimizer.learning_rate)), 0.1 * 0.5 ** 0.8, rtol=1e-5)

    # ReduceLROnPlateau: the dynamic schedule the guide points to
    model = get_compiled_model()
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)
    h = model.fit(x, y, epochs=3, batch_size=64, callbacks=[reduce], verbose=0)
    # the first epoch sets the best loss; each later one misses it by min_delta and halves the rate
    np.testing.assert_allclose(h.history["learning_rate"], [0.001, 0.001, 0.0005], rtol=1e-6)
    np.testing.assert_allclose(float(np.array(model.optimizer.learning_rate)), 0.00025, rtol=1e-5)


# --- the keras repository's examples/ ------------------------------------------------------------


def test_demo_functional_residual_mlp():
    keras.utils.set_random_seed(0)
    inputs = layers.Input((100,))
    x = layers.Dense(64, activation="relu")(inputs)
    residual = x
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(64, activation="relu")(x)
    x += residual  # a KerasTensor operator: an Add node in the graph
    x = layers.Dense(64, activation="relu")(x)
    residual = x
    x = layers.Dense(64, activation="relu")(x)
    x += residual
    outputs = layers.Dense(16)(x)
    model = keras.Model(inputs, outputs)
    assert model.count_params() == 100 * 64 + 64 + 4 * (64 * 64 + 64) + 64 * 16 + 16
    text = summary_text(model)
    assert text.count("(Add)") == 2 and "Connected to" in text
    rng = np.random.default_rng(0)
    xs, ys = rng.random((320, 100)), rng.random((320, 16))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss=keras.losses.MeanSquaredError(),
                  metrics=[keras.metrics.CategoricalAccuracy(name="acc"), keras.metrics.MeanSquaredError(name="mse")])
    h = model.fit(xs, ys, batch_size=32, epochs=2, validation_split=0.2, verbose=0)
    assert sorted(h.history) == ["acc", "loss", "mse", "val_acc", "val_loss", "val_mse"]
    np.testing.assert_allclose(h.history["loss"], h.history["mse"], rtol=1e-5)
    assert h.history["loss"][1] < h.history["loss"][0]
    scores = model.evaluate(xs, ys, return_dict=True, verbose=0)
    pred = model.predict(xs, verbose=0)
    assert sorted(scores) == ["acc", "loss", "mse"] and pred.shape == (320, 16)
    np.testing.assert_allclose(scores["mse"], np.mean((pred - ys) ** 2), rtol=1e-4)
    np.testing.assert_allclose(scores["acc"], np.mean(pred.argmax(1) == ys.argmax(1)), rtol=1e-6)


def test_demo_subclass_model():
    class MyModel(keras.Model):
        def __init__(self, hidden_dim, output_dim):
            super().__init__()
            self.dense1 = layers.Dense(hidden_dim, activation="relu")
            self.dense2 = layers.Dense(hidden_dim, activation="relu")
            self.dense3 = layers.Dense(output_dim)

        def call(self, x):
            return self.dense3(self.dense2(self.dense1(x)))

    keras.utils.set_random_seed(0)
    model = MyModel(hidden_dim=32, output_dim=16)
    rng = np.random.default_rng(0)
    xs, ys = rng.random((320, 128)), rng.random((320, 16))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=keras.losses.MeanSquaredError(),
                  metrics=[keras.metrics.MeanSquaredError()])
    h = model.fit(xs, ys, batch_size=32, epochs=3, validation_split=0.2, verbose=0)
    assert sorted(h.history) == ["loss", "mean_squared_error", "val_loss", "val_mean_squared_error"]
    assert h.history["loss"][2] < h.history["loss"][0]
    assert model.layers == [model.dense1, model.dense2, model.dense3]
    text = summary_text(model)
    # the SGD iteration counter is the "optimizer params" line
    for line in ("4,128", "1,056", "528", "Total params: 5,714", "Trainable params: 5,712", "Optimizer params: 2"):
        assert line in text, line


@NEEDS_MNIST
def test_demo_mnist_convnet():
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = mnist_flat(3000, 500)
    x_train, x_test = x_train.reshape(-1, 28, 28, 1), x_test.reshape(-1, 28, 28, 1)
    y_train, y_test = keras.utils.to_categorical(y_train, 10), keras.utils.to_categorical(y_test, 10)
    model = keras.Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    text = summary_text(model)
    assert "(None, 5, 5, 64)" in text and "(None, 1600)" in text and "Total params: 34,826" in text
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    h = model.fit(x_train, y_train, batch_size=128, epochs=2, validation_split=0.1, verbose=0)
    assert h.history["loss"][1] < h.history["loss"][0]
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert test_accuracy > 0.8 and test_loss < h.history["loss"][0]


class MyDense(layers.Layer):
    def __init__(self, units, name=None):
        super().__init__(name=name)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=keras.initializers.GlorotNormal(),
                                 name="kernel", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer=keras.initializers.Zeros(), name="bias", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class MyDropout(layers.Layer):
    def __init__(self, rate, name=None):
        super().__init__(name=name)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)


class BackendAgnosticModel(keras.Model):
    def __init__(self, hidden_dim, output_dim):
        super().__init__()
        self.dense1 = MyDense(hidden_dim)
        self.dense2 = MyDense(hidden_dim)
        self.dense3 = MyDense(output_dim)
        self.dp = MyDropout(0.5)

    def call(self, x):
        x = ops.concatenate([self.dense1(x), self.dense2(x)], axis=-1)
        return self.dense3(self.dp(x))


def test_demo_custom_layer_backend_agnostic():
    dense = MyDense(4)
    dense(ops.ones((1, 3)))
    assert [w.name for w in dense.weights] == ["kernel", "bias"] and np.all(dense.b.numpy() == 0)
    dropout = MyDropout(0.5)
    a, b = dropout(ops.ones((4, 100))).numpy(), dropout(ops.ones((4, 100))).numpy()
    # a fresh draw at each call from the layer's seed generator, the kept values scaled by 2
    assert set(np.unique(a)) <= {0.0, 2.0} and (a != b).any() and 0.35 < (a > 0).mean() < 0.65
    again = MyDropout(0.5)
    np.testing.assert_array_equal(again(ops.ones((4, 100))).numpy(), a)  # same seed, same first draw

    keras.utils.set_random_seed(0)
    model = BackendAgnosticModel(hidden_dim=32, output_dim=16)
    rng = np.random.default_rng(0)
    xs, ys = rng.random((320, 128)), rng.random((320, 16))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=keras.losses.MeanSquaredError(),
                  metrics=[keras.metrics.MeanSquaredError()])
    h = model.fit(xs, ys, batch_size=32, epochs=3, verbose=0)
    assert sorted(h.history) == ["loss", "mean_squared_error"] and h.history["loss"][2] < h.history["loss"][0]
    assert len(model.trainable_weights) == 6 and model.dense3.w.shape == (64, 16)
    assert "Total params: 9,298" in summary_text(model)


@pytest.mark.xfail(strict=True, reason="kerasish: a SeedGenerator attribute of a layer is not tracked in "
                   "layer.variables (Keras tracks its seed_generator_state variable, as the example says)")
def test_demo_seed_generator_is_tracked_in_variables():
    dropout = MyDropout(0.5)
    assert [v.shape for v in dropout.variables] == [(2,)]
