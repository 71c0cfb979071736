"""Lesson 11 - overfitting, and two cures: Dropout and EarlyStopping.

A big MLP (784-512-512-10) trained on only 1000 MNIST images learns them by heart: its training
loss falls towards 0 while the validation loss (on images it never trains on) turns and rises.
The same network with Dropout, stopped early at the best validation loss
(EarlyStopping(restore_best_weights=True)), generalises better.

    KERASISH_DATASETS=/work/shared/datasets python examples/overfitting.py [plot.png]
    KERASISH_EXAMPLE_QUICK=1 python examples/overfitting.py   # a tiny subset, a few epochs

The curves are drawn to examples/overfitting.png (or the path given) when matplotlib is installed.
"""
import os
import sys

import kerasish as keras
from kerasish import layers

QUICK = os.environ.get("KERASISH_EXAMPLE_QUICK") == "1"
N_TRAIN = 200 if QUICK else 1000
N_VAL = 200 if QUICK else 5000
EPOCHS = 3 if QUICK else 50
PLOT_PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "overfitting.png")

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:N_TRAIN].reshape(-1, 784).astype("float32") / 255.0
y_train = y_train[:N_TRAIN]
x_val = x_test[:N_VAL].reshape(-1, 784).astype("float32") / 255.0  # held out: never trained on
y_val = y_test[:N_VAL]
print(f"training on {len(x_train)} images, validating on {len(x_val)}")


def big_mlp(dropout_rate=0.0):
    model = keras.Sequential([keras.Input(shape=(784,))])
    for _ in range(2):
        model.add(layers.Dense(512, activation="relu"))
        if dropout_rate:
            model.add(layers.Dropout(dropout_rate))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def print_history(history):
    h = history.history
    print("epoch  train loss  val loss  train acc  val acc")
    for i in range(len(h["loss"])):
        print(f"{i + 1:5d}  {h['loss'][i]:10.4f}  {h['val_loss'][i]:8.4f}  {h['accuracy'][i]:9.4f}  {h['val_accuracy'][i]:7.4f}")


# --- 1. Plain big MLP: overfits ------------------------------------------------------------------
print("\n== 1. big MLP, no regularisation ==")
keras.utils.set_random_seed(777)
plain = big_mlp()
plain_history = plain.fit(x_train, y_train, batch_size=100, epochs=EPOCHS,
                          validation_data=(x_val, y_val), verbose=0)
print_history(plain_history)
val = plain_history.history["val_loss"]
best_epoch = val.index(min(val)) + 1
print(f"lowest validation loss {min(val):.4f} at epoch {best_epoch}; at the end: "
      f"train loss {plain_history.history['loss'][-1]:.4f}, val loss {val[-1]:.4f}")
plain_loss, plain_accuracy = plain.evaluate(x_val, y_val, verbose=0)

# --- 2. Dropout + EarlyStopping -------------------------------------------------------------------
print("\n== 2. the same MLP with Dropout(0.5) and EarlyStopping(patience=5, restore_best_weights=True) ==")
keras.utils.set_random_seed(777)
regularised = big_mlp(dropout_rate=0.5)
early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True, verbose=1)
reg_history = regularised.fit(x_train, y_train, batch_size=100, epochs=EPOCHS,
                              validation_data=(x_val, y_val), callbacks=[early_stopping], verbose=0)
print_history(reg_history)
reg_loss, reg_accuracy = regularised.evaluate(x_val, y_val, verbose=0)  # with the best weights restored

print(f"\nvalidation loss / accuracy, plain MLP:              {plain_loss:.4f} / {plain_accuracy:.4f}")
print(f"validation loss / accuracy, Dropout + EarlyStopping: {reg_loss:.4f} / {reg_accuracy:.4f}")

# --- Plot the curves (optional: needs matplotlib) -------------------------------------------------
try:
    import matplotlib

    matplotlib.use("Agg")  # draw to a file, no window
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    fig, ax = plt.subplots(figsize=(8, 5))
    for history, label in ((plain_history, "plain"), (reg_history, "dropout + early stopping")):
        epochs = range(1, len(history.history["loss"]) + 1)
        line, = ax.plot(epochs, history.history["loss"], label=f"{label}: train")
        ax.plot(epochs, history.history["val_loss"], "--", color=line.get_color(), label=f"{label}: validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"Overfitting on {N_TRAIN} MNIST images")
    ax.legend()
    fig.savefig(PLOT_PATH, dpi=100)
    print(f"plot saved to {PLOT_PATH}")
