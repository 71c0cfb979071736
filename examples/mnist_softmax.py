"""Lesson 7 - MNIST with softmax regression: one Dense(10, softmax) layer on the 784 pixels.

SGD with learning rate 0.1, batches of 100, 15 epochs: about 92% test accuracy.

    KERASISH_DATASETS=/work/shared/datasets python examples/mnist_softmax.py
    KERASISH_EXAMPLE_QUICK=1 python examples/mnist_softmax.py   # a small subset, 1 epoch
"""
import os
import random

import numpy as np

import kerasish as keras

QUICK = os.environ.get("KERASISH_EXAMPLE_QUICK") == "1"
EPOCHS = 1 if QUICK else 15
keras.utils.set_random_seed(777)

# 60000 training and 10000 test images, 28x28 pixels of 0-255, labels 0-9
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
if QUICK:
    x_train, y_train, x_test, y_test = x_train[:2000], y_train[:2000], x_test[:500], y_test[:500]
print("train:", x_train.shape, y_train.shape, " test:", x_test.shape, y_test.shape)

# Flatten each image into a vector of 784 numbers, scaled to [0, 1]
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

# Softmax regression: 10 scores (one per digit) = X @ W + b, turned into probabilities
model = keras.Sequential([
    keras.Input(shape=(784,)),
    keras.layers.Dense(10, activation="softmax"),
])
model.summary()

# Integer labels (0-9) go with the *sparse* categorical crossentropy
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
              loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=100, epochs=EPOCHS, verbose=2)

test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss: {test_loss:.4f}")
print(f"test accuracy: {test_accuracy:.4f}")

# Pick one test digit at random and compare the label with the model's answer
r = random.randint(0, len(x_test) - 1)
probabilities = model.predict(x_test[r:r + 1], verbose=0)[0]
print(f"\ntest image #{r}:")
for row in x_test[r].reshape(28, 28):  # the digit drawn as text (blank rows left out)
    if row.max() > 0:
        print("    " + "".join(" .:#"[int(v * 3.99)] for v in row))
print(f"label: {y_test[r]}  prediction: {int(np.argmax(probabilities))} "
      f"(probability {probabilities.max():.2f})")
