"""The course's MNIST models reach their accuracy with kerasish's fit (on subsets, to stay quick)."""
import os

import pytest

import kerasish as keras
from kerasish import layers

SHARED = os.environ.get("KERASISH_DATASETS") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets")
pytestmark = pytest.mark.skipif(not os.path.isdir(os.path.join(SHARED, "mnist")), reason="needs the MNIST files")


@pytest.fixture(scope="module")
def mnist_data():
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data(path=os.path.join(SHARED, "mnist"))
    return (x_train.astype("float32") / 255.0, y_train), (x_test.astype("float32") / 255.0, y_test)


def test_softmax_regression(mnist_data):
    (x, y), (xt, yt) = mnist_data
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:20000].reshape(-1, 784), y[:20000], batch_size=100, epochs=3, verbose=0)
    loss, acc = model.evaluate(xt.reshape(-1, 784), yt, verbose=0)
    assert acc >= 0.89, acc


def test_cnn(mnist_data):
    (x, y), (xt, yt) = mnist_data
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(10),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x[:30000, ..., None], y[:30000], batch_size=100, epochs=2, verbose=0)
    loss, acc = model.evaluate(xt[..., None], yt, verbose=0)
    assert acc >= 0.97, acc
