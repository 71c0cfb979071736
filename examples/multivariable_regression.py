"""Lesson 4 - multi-variable linear regression: three quiz/exam scores -> the final score.

    H(X) = X @ W + b,  X of shape (5, 3), W of shape (3, 1)

First with explicit weights and gradient descent (low level), then with a Dense(1) layer.

    python examples/multivariable_regression.py
    KERASISH_EXAMPLE_QUICK=1 python examples/multivariable_regression.py   # fewer steps
"""
import os

import numpy as np

import kerasish as keras
from kerasish import ops

QUICK = os.environ.get("KERASISH_EXAMPLE_QUICK") == "1"
STEPS = 200 if QUICK else 2000
keras.utils.set_random_seed(777)

#                  quiz1 quiz2 midterm       final
x_data = np.array([[73.0, 80.0, 75.0],
                   [93.0, 88.0, 93.0],
                   [89.0, 91.0, 90.0],
                   [96.0, 98.0, 100.0],
                   [73.0, 66.0, 70.0]], dtype="float32")
y_data = np.array([[152.0], [185.0], [180.0], [196.0], [142.0]], dtype="float32")


def show(predictions):
    print("  prediction   target")
    for p, t in zip(np.asarray(predictions).ravel(), y_data.ravel()):
        print(f"  {p:10.2f}   {t:6.1f}")


# --- 1. Explicit weights: one matrix multiply does all five students at once -----------------
print("== 1. explicit weights W (3, 1) and b, gradient descent ==")
X = keras.tensor(x_data)
Y = keras.tensor(y_data)
W = keras.tensor(keras.random.normal((3, 1)), requires_grad=True)
b = keras.tensor(keras.random.normal((1,)), requires_grad=True)
learning_rate = 1e-5  # the scores are large (~80), so the step must be small

for step in range(STEPS + 1):
    hypothesis = X @ W + b                             # (5, 3) @ (3, 1) + (1,) -> (5, 1)
    cost = ops.mean(ops.square(hypothesis - Y))
    W.grad = None
    b.grad = None
    cost.backward()
    with keras.no_grad():
        W -= learning_rate * W.grad
        b -= learning_rate * b.grad
    if step % (STEPS // 5) == 0:
        print(f"step {step:5d}  cost {cost.item():10.4f}")

print("W =", W.numpy().ravel(), " b =", b.numpy())
with keras.no_grad():
    show((X @ W + b).numpy())

# --- 2. The same model as a Keras layer: Dense(1) holds W (3, 1) and b (1,) -------------------
print("\n== 2. Dense(1) with compile / fit ==")
model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-5), loss="mse")
history = model.fit(x_data, y_data, epochs=STEPS, verbose=0)
for epoch in range(0, STEPS, STEPS // 5):
    print(f"epoch {epoch + 1:5d}  loss {history.history['loss'][epoch]:10.4f}")
print(f"final loss {history.history['loss'][-1]:.4f}")
kernel, bias = model.get_weights()
print("W =", kernel.ravel(), " b =", bias)
show(model.predict(x_data, verbose=0))

# A new student: 90, 90, 90 on the quizzes and midterm
print("predicted final for scores (90, 90, 90):", float(model.predict(np.array([[90.0, 90.0, 90.0]]), verbose=0)[0, 0]))
