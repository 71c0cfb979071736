"""Conformance with Keras's guides: the idioms of each guide (keras-team/keras, guides/), written
afresh with `import kerasish as keras`, checked for what the guide says they do.

making_new_layers_and_models_via_subclassing: weights made in __init__ or build, non-trainable
state updated with assign_add, nested layers tracked, add_loss reset at each top-level call and
summed into fit's loss (also with no compiled loss, and for a model without weights), weight
regularizers in `losses`, get_config / from_config, the `training` argument, and the VAE of its
end-to-end example (a subclassed Model of nested layers, tuple outputs, an add_loss KL term)
trained on MNIST."""
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
