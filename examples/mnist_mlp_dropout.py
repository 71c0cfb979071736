"""Lesson 8 - a deeper network for MNIST: 784-256-256-10 with ReLU, Dropout and Adam.

Dropout switches off a random 30% of the hidden units at each training step (never at test
time), so the network cannot lean on any single unit and overfits less. About 98% test accuracy.

    KERASISH_DATASETS=/work/shared/datasets python examples/mnist_mlp_dropout.py
    KERASISH_EXAMPLE_QUICK=1 python examples/mnist_mlp_dropout.py   # a small subset, 1 epoch
"""
import os
import time

import kerasish as keras
from kerasish import layers

QUICK = os.environ.get("KERASISH_EXAMPLE_QUICK") == "1"
EPOCHS = 1 if QUICK else 15
keras.utils.set_random_seed(777)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
if QUICK:
    x_train, y_train, x_test, y_test = x_train[:2000], y_train[:2000], x_test[:500], y_test[:500]
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(256, activation="relu"),   # weights start glorot-uniform (Xavier), the default
    layers.Dropout(0.3),
    layers.Dense(256, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(10, activation="softmax"),
])
model.summary()
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
              loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])

start = time.time()
model.fit(x_train, y_train, batch_size=100, epochs=EPOCHS, verbose=2)
elapsed = time.time() - start
print(f"training time: {elapsed:.1f} s ({elapsed / EPOCHS:.1f} s per epoch)")

# evaluate() runs the model in inference mode: Dropout lets everything through
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss: {test_loss:.4f}")
print(f"test accuracy: {test_accuracy:.4f}")
