"""Lesson 10 - optimizers compared: SGD, SGD with momentum, Adagrad, RMSprop and Adam train the
same small MLP (784-128-10) on an MNIST subset, from the same initial weights and the same
shuffling, so only the update rule differs.

    KERASISH_DATASETS=/work/shared/datasets python examples/optimizers_compared.py
    KERASISH_EXAMPLE_QUICK=1 python examples/optimizers_compared.py   # a tiny subset, 1 epoch
"""
import os
import time

import kerasish as keras
from kerasish import layers

QUICK = os.environ.get("KERASISH_EXAMPLE_QUICK") == "1"
N_TRAIN = 1000 if QUICK else 10000
EPOCHS = 1 if QUICK else 5

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:N_TRAIN].reshape(-1, 784).astype("float32") / 255.0
y_train = y_train[:N_TRAIN]
x_test = x_test[:2000].reshape(-1, 784).astype("float32") / 255.0
y_test = y_test[:2000]


def make_model():
    return keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


# One set of starting weights, shared by every run
keras.utils.set_random_seed(777)
initial_weights = make_model().get_weights()

optimizers = {
    "SGD": keras.optimizers.SGD(learning_rate=0.01),
    "SGD + momentum": keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
    "Adagrad": keras.optimizers.Adagrad(learning_rate=0.01),
    "RMSprop": keras.optimizers.RMSprop(learning_rate=0.001),
    "Adam": keras.optimizers.Adam(learning_rate=0.001),
}

results = {}
for name, optimizer in optimizers.items():
    model = make_model()
    model.set_weights(initial_weights)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    keras.utils.set_random_seed(0)  # the same batch order for every optimizer
    start = time.time()
    history = model.fit(x_train, y_train, batch_size=100, epochs=EPOCHS, verbose=0)
    seconds = time.time() - start
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    results[name] = (history.history["loss"], test_loss, test_accuracy, seconds)
    print(f"{name:15s} done: train loss per epoch {[round(v, 4) for v in history.history['loss']]}")

print()
print(f"{'optimizer':15s} {'final train loss':>16s} {'test loss':>10s} {'test accuracy':>14s} {'time':>7s}")
for name, (losses, test_loss, test_accuracy, seconds) in results.items():
    print(f"{name:15s} {losses[-1]:16.4f} {test_loss:10.4f} {test_accuracy:14.4f} {seconds:6.1f}s")
best = min(results, key=lambda n: results[n][0][-1])
print(f"\nlowest final training loss: {best}")
