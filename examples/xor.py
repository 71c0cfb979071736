"""Lesson 6 - XOR, the problem one layer cannot solve.

    x1 x2 | y
     0  0 | 0
     0  1 | 1
     1  0 | 1
     1  1 | 0

  1. logistic regression (one layer): the loss stays near log(2) = 0.693, accuracy 50-75%;
  2. a 2-2-1 network trained with backpropagation written out by hand (no backward());
  3. the same 2-2-1 network built from Keras layers;
  4. a wide and deep 2-10-10-10-1 network.

    python examples/xor.py
    KERASISH_EXAMPLE_QUICK=1 python examples/xor.py   # fewer steps
"""
import os

import numpy as np

import kerasish as keras
from kerasish import ops

QUICK = os.environ.get("KERASISH_EXAMPLE_QUICK") == "1"
STEPS = 500 if QUICK else 5000
keras.utils.set_random_seed(777)

x_data = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
y_data = np.array([[0], [1], [1], [0]], dtype="float32")


def report(name, loss, probabilities):
    predicted = (np.asarray(probabilities).ravel() > 0.5).astype("float32")
    accuracy = float(np.mean(predicted == y_data.ravel()))
    print(f"{name}: loss {loss:.4f}  probabilities {np.round(np.asarray(probabilities).ravel(), 3)}  "
          f"predicted {predicted}  accuracy {accuracy:.2f}")


# --- 1. One layer: logistic regression --------------------------------------------------------
print("== 1. one layer: Dense(1, sigmoid) ==")
model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="binary_crossentropy")
history = model.fit(x_data, y_data, epochs=STEPS, verbose=0)
for epoch in range(0, STEPS, STEPS // 5):
    print(f"epoch {epoch + 1:5d}  loss {history.history['loss'][epoch]:.4f}")
report("one layer", history.history["loss"][-1], model.predict(x_data, verbose=0))
print("  -> a straight line cannot separate XOR: the loss stays near 0.693")

# --- 2. Two layers, backpropagation by hand -----------------------------------------------------
print("\n== 2. 2-2-1 network, backpropagation written out by hand ==")
X = keras.tensor(x_data)
Y = keras.tensor(y_data)
N = X.shape[0]
W1 = keras.random.normal((2, 2), seed=1)
b1 = keras.random.normal((2,), seed=2)
W2 = keras.random.normal((2, 1), seed=3)
b2 = keras.random.normal((1,), seed=4)
learning_rate = 1.0

for step in range(STEPS + 1):
    # forward
    layer1 = ops.sigmoid(X @ W1 + b1)                        # (4, 2)
    y_pred = ops.sigmoid(layer1 @ W2 + b2)                   # (4, 1)
    cost = -ops.mean(Y * ops.log(y_pred) + (1 - Y) * ops.log(1 - y_pred))

    # backward, by the chain rule. For sigmoid + binary crossentropy the gradient of the cost
    # with respect to the pre-activation z2 simplifies to (y_pred - Y) / N.
    d_z2 = (y_pred - Y) / N                                  # (4, 1)
    d_W2 = ops.transpose(layer1) @ d_z2                      # (2, 1)
    d_b2 = ops.sum(d_z2, axis=0)                             # (1,)
    d_layer1 = d_z2 @ ops.transpose(W2)                      # (4, 2)
    d_z1 = d_layer1 * layer1 * (1 - layer1)                  # sigmoid'(z) = s * (1 - s)
    d_W1 = ops.transpose(X) @ d_z1                           # (2, 2)
    d_b1 = ops.sum(d_z1, axis=0)                             # (2,)

    # gradient descent
    W1 = W1 - learning_rate * d_W1
    b1 = b1 - learning_rate * d_b1
    W2 = W2 - learning_rate * d_W2
    b2 = b2 - learning_rate * d_b2
    if step % (STEPS // 5) == 0:
        print(f"step {step:5d}  cost {cost.item():.4f}")

y_pred = ops.sigmoid(ops.sigmoid(X @ W1 + b1) @ W2 + b2)
report("hand backprop 2-2-1", cost.item(), y_pred.numpy())

# --- 3. The same 2-2-1 network from Keras layers -------------------------------------------------
print("\n== 3. 2-2-1 network from Keras layers ==")
model = keras.Sequential([
    keras.Input(shape=(2,)),
    keras.layers.Dense(2, activation="sigmoid"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_data, y_data, epochs=STEPS, verbose=0)
for epoch in range(0, STEPS, STEPS // 5):
    print(f"epoch {epoch + 1:5d}  loss {history.history['loss'][epoch]:.4f}")
report("keras 2-2-1", history.history["loss"][-1], model.predict(x_data, verbose=0))

# --- 4. Wide and deep: 2-10-10-10-1 ---------------------------------------------------------------
print("\n== 4. wide and deep 2-10-10-10-1 network ==")
model = keras.Sequential([
    keras.Input(shape=(2,)),
    keras.layers.Dense(10, activation="sigmoid"),
    keras.layers.Dense(10, activation="sigmoid"),
    keras.layers.Dense(10, activation="sigmoid"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="binary_crossentropy", metrics=["accuracy"])
model.summary()
history = model.fit(x_data, y_data, epochs=STEPS, verbose=0)
for epoch in range(0, STEPS, STEPS // 5):
    print(f"epoch {epoch + 1:5d}  loss {history.history['loss'][epoch]:.4f}")
loss, accuracy = model.evaluate(x_data, y_data, verbose=0)
report("wide and deep", loss, model.predict(x_data, verbose=0))
print(f"XOR solved by the deep network: {accuracy == 1.0}")
