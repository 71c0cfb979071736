"""Lesson 3 - linear regression: hours studied -> points, H(x) = W * x + b, fitted to
x = 1, 2, 3 and y = 2, 4, 6 (so the answer is W = 2, b = 0).

Three ways, from the lowest level up:
  1. gradient descent written by hand on tensors W and b (backward() gives the gradients);
  2. the same model with keras.Variable and an optimizer (SGD.apply_gradients);
  3. a Keras model: one Dense(1) layer, compile and fit.

    python examples/linear_regression.py
    KERASISH_EXAMPLE_QUICK=1 python examples/linear_regression.py   # fewer steps
"""
import os

import kerasish as keras
from kerasish import ops

QUICK = os.environ.get("KERASISH_EXAMPLE_QUICK") == "1"
STEPS = 200 if QUICK else 2000
PRINT_EVERY = STEPS // 5
keras.utils.set_random_seed(777)

x_train = keras.tensor([1.0, 2.0, 3.0])
y_train = keras.tensor([2.0, 4.0, 6.0])

# --- 1. Low level: hypothesis, cost, gradient descent by hand ---------------------------------
print("== 1. gradient descent by hand ==")
W = keras.tensor(keras.random.normal((1,)), requires_grad=True)  # a random start
b = keras.tensor([0.0], requires_grad=True)
learning_rate = 0.01

for step in range(STEPS + 1):
    hypothesis = W * x_train + b                       # H(x) = Wx + b
    cost = ops.mean(ops.square(hypothesis - y_train))  # mean squared error
    W.grad = None                                      # gradients add up: clear the old ones
    b.grad = None
    cost.backward()                                    # dcost/dW -> W.grad, dcost/db -> b.grad
    with keras.no_grad():                              # the update itself is not part of the model
        W -= learning_rate * W.grad
        b -= learning_rate * b.grad
    if step % PRINT_EVERY == 0:
        print(f"step {step:5d}  cost {cost.item():.6f}  W {W.item():.4f}  b {b.item():.4f}")

print(f"W = {W.item():.4f} (target 2), b = {b.item():.4f} (target 0)")
with keras.no_grad():
    print(f"prediction for 5 hours: {(W * 5.0 + b).item():.4f}, for 2.5 hours: {(W * 2.5 + b).item():.4f}")

# The gradient can also be written out by hand: dcost/dW = mean(2 * (Wx + b - y) * x).
cost = ops.mean(ops.square(W * x_train + b - y_train))
W.grad = None
cost.backward()
with keras.no_grad():
    by_hand = ops.mean(2.0 * (W * x_train + b - y_train) * x_train)
print(f"dcost/dW at the end: by hand {by_hand.item():.3e}, by backward() {W.grad.item():.3e}")

# --- 2. Variables and an optimizer ----------------------------------------------------------
print("\n== 2. keras.Variable + keras.optimizers.SGD ==")
W = keras.Variable(keras.random.normal((1,)), name="W")
b = keras.Variable(keras.zeros((1,)), name="b")
optimizer = keras.optimizers.SGD(learning_rate=0.01)

for step in range(STEPS + 1):
    cost = ops.mean(ops.square(W * x_train + b - y_train))
    W.grad = None
    b.grad = None
    cost.backward()
    optimizer.apply_gradients(zip([W.grad, b.grad], [W, b]))  # W -= 0.01 * W.grad, and b too
    if step % PRINT_EVERY == 0:
        print(f"step {step:5d}  cost {cost.item():.6f}  W {W.item():.4f}  b {b.item():.4f}")
print(f"W = {W.item():.4f} (target 2), b = {b.item():.4f} (target 0)")

# --- 3. Keras: Dense(1) is exactly W * x + b -------------------------------------------------
print("\n== 3. keras.Sequential([Dense(1)]) with compile / fit ==")
model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
model.summary()
history = model.fit(x_train.numpy().reshape(-1, 1), y_train.numpy(), epochs=STEPS // 4, verbose=0)
losses = history.history["loss"]
for epoch in range(0, len(losses), max(1, len(losses) // 5)):
    print(f"epoch {epoch + 1:4d}  loss {losses[epoch]:.6f}")
kernel, bias = model.get_weights()
print(f"final loss {losses[-1]:.2e}")
print(f"W = {kernel[0, 0]:.4f} (target 2), b = {bias[0]:.4f} (target 0)")
print("predict([[5], [2.5]]):", model.predict([[5.0], [2.5]], verbose=0).ravel())
