"""Lesson 9 - a convolutional network for MNIST, about 99% test accuracy after 15 epochs.

    Conv2D(32, 3x3, same, relu) -> MaxPooling2D(2)     28x28x1 -> 28x28x32 -> 14x14x32
    Conv2D(64, 3x3, same, relu) -> MaxPooling2D(2)     -> 14x14x64 -> 7x7x64
    Flatten -> Dense(10)                                 -> 3136 -> 10 scores (logits)

Adam 1e-3, batches of 100. The last layer has no softmax: the loss is told it gets logits.

    KERASISH_DATASETS=/work/shared/datasets python examples/mnist_cnn.py              # 15 epochs
    KERASISH_DATASETS=/work/shared/datasets python examples/mnist_cnn.py --epochs 1
    KERASISH_EXAMPLE_QUICK=1 python examples/mnist_cnn.py   # a small subset, 1 epoch
"""
import argparse
import os
import time

import numpy as np

import kerasish as keras
from kerasish import layers

QUICK = os.environ.get("KERASISH_EXAMPLE_QUICK") == "1"
parser = argparse.ArgumentParser(description="Train a small CNN on MNIST.")
parser.add_argument("--epochs", type=int, default=1 if QUICK else 15, help="number of epochs (default 15)")
args = parser.parse_args()

keras.utils.set_random_seed(777)

# Images keep their 2-D shape, with one channel added: (N, 28, 28) -> (N, 28, 28, 1)
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
if QUICK:
    x_train, y_train, x_test, y_test = x_train[:1000], y_train[:1000], x_test[:200], y_test[:200]
x_train = x_train[..., np.newaxis].astype("float32") / 255.0
x_test = x_test[..., np.newaxis].astype("float32") / 255.0
print("x_train:", x_train.shape, " x_test:", x_test.shape)

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, padding="same", activation="relu"),  # 32 filters of 3x3
    layers.MaxPooling2D(2),
    layers.Conv2D(64, 3, padding="same", activation="relu"),  # 64 filters of 3x3x32
    layers.MaxPooling2D(2),
    layers.Flatten(),
    layers.Dense(10),                                          # logits; weights glorot-uniform
])
model.summary()

model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])


class EpochTimer(keras.callbacks.Callback):
    """Records how long each epoch takes."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.time() - self.start)

    def on_train_begin(self, logs=None):
        self.times = []


timer = EpochTimer()
model.fit(x_train, y_train, batch_size=100, epochs=args.epochs, verbose=2, callbacks=[timer])

test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"time per epoch: {np.mean(timer.times):.1f} s (epochs: {', '.join(f'{t:.1f}' for t in timer.times)})")
print(f"test loss: {test_loss:.4f}")
print(f"test accuracy: {test_accuracy:.4f}")

# The model outputs logits; softmax turns them into probabilities
logits = model.predict(x_test[:10], verbose=0)
probabilities = keras.ops.softmax(logits)
print("first 10 test labels:", y_test[:10])
print("first 10 predictions:", keras.ops.argmax(probabilities, axis=1))
