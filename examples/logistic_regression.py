"""Lesson 5 - logistic regression (binary classification): sigmoid and binary crossentropy.

    H(X) = sigmoid(X @ W + b)           a probability between 0 and 1
    cost = -mean(y * log(H) + (1 - y) * log(1 - H))

Low level first (explicit W, b, gradient descent), then Keras: Dense(1, activation="sigmoid")
with loss="binary_crossentropy".

    python examples/logistic_regression.py
    KERASISH_EXAMPLE_QUICK=1 python examples/logistic_regression.py   # fewer steps
"""
import os

import numpy as np

import kerasish as keras
from kerasish import ops

QUICK = os.environ.get("KERASISH_EXAMPLE_QUICK") == "1"
STEPS = 300 if QUICK else 3000
keras.utils.set_random_seed(777)

# Six points with two features each; the label is 1 for the three on the "upper right".
x_data = np.array([[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]], dtype="float32")
y_data = np.array([[0], [0], [0], [1], [1], [1]], dtype="float32")

# --- The sigmoid squashes any number into (0, 1) ---------------------------------------------
z = keras.tensor([-5.0, -1.0, 0.0, 1.0, 5.0])
print("sigmoid", z.numpy(), "=", ops.sigmoid(z).numpy().round(4))

# --- Binary crossentropy: small when the probability is on the right side --------------------
labels = keras.tensor([1.0, 1.0, 0.0, 0.0])
probs = keras.tensor([0.9, 0.1, 0.1, 0.9])
per_sample = -(labels * ops.log(probs) + (1 - labels) * ops.log(1 - probs))
print("labels", labels.numpy(), "probabilities", probs.numpy())
print("crossentropy per sample (by hand):", per_sample.numpy().round(4))
print("keras.losses.binary_crossentropy:  ", keras.losses.binary_crossentropy(labels[:, None], probs[:, None]).numpy().round(4))

# --- 1. Low level: explicit W and b -----------------------------------------------------------
print("\n== 1. explicit W (2, 1) and b, gradient descent ==")
X = keras.tensor(x_data)
Y = keras.tensor(y_data)
W = keras.tensor(keras.random.normal((2, 1)), requires_grad=True)
b = keras.tensor(keras.random.normal((1,)), requires_grad=True)
learning_rate = 0.1

for step in range(STEPS + 1):
    hypothesis = ops.sigmoid(X @ W + b)
    cost = -ops.mean(Y * ops.log(hypothesis) + (1 - Y) * ops.log(1 - hypothesis))
    W.grad = None
    b.grad = None
    cost.backward()
    with keras.no_grad():
        W -= learning_rate * W.grad
        b -= learning_rate * b.grad
    if step % (STEPS // 5) == 0:
        print(f"step {step:5d}  cost {cost.item():.4f}")

with keras.no_grad():
    hypothesis = ops.sigmoid(X @ W + b)
    predicted = ops.cast(hypothesis > 0.5, "float32")          # probability > 0.5 -> class 1
    accuracy = ops.mean(ops.cast(ops.equal(predicted, Y), "float32"))
print("probabilities:", hypothesis.numpy().ravel().round(3))
print("predicted:    ", predicted.numpy().ravel())
print("labels:       ", y_data.ravel())
print(f"low-level accuracy: {accuracy.item():.2f}")

# --- 2. Keras: one Dense unit with a sigmoid activation ---------------------------------------
print("\n== 2. Dense(1, activation='sigmoid') with binary_crossentropy ==")
model = keras.Sequential([
    keras.Input(shape=(2,)),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
              loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_data, y_data, epochs=STEPS, verbose=0)
for epoch in range(0, STEPS, STEPS // 5):
    print(f"epoch {epoch + 1:5d}  loss {history.history['loss'][epoch]:.4f}  accuracy {history.history['accuracy'][epoch]:.2f}")
loss, accuracy = model.evaluate(x_data, y_data, verbose=0)
probabilities = model.predict(x_data, verbose=0).ravel()
print("probabilities:", probabilities.round(3))
print("predicted:    ", (probabilities > 0.5).astype("float32"))
print(f"keras loss: {loss:.4f}  keras accuracy: {accuracy:.2f}")
