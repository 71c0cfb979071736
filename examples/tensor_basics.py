"""Lesson 1 - tensors: rank and shape, indexing and slicing, broadcasting, elementwise product
versus matrix product, reductions along an axis, and reshape.

    python examples/tensor_basics.py

Everything here is instant, so KERASISH_EXAMPLE_QUICK=1 changes nothing.
"""
import numpy as np

import kerasish as keras
from kerasish import ops

# --- Rank and shape -----------------------------------------------------------------------
# A tensor's rank is its number of axes (ndim); its shape gives the length of each axis.
t1 = keras.tensor([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])  # rank 1: a vector
t2 = keras.tensor([[1.0, 2.0, 3.0],
                   [4.0, 5.0, 6.0],
                   [7.0, 8.0, 9.0],
                   [10.0, 11.0, 12.0]])                  # rank 2: a matrix, 4 rows x 3 columns
t3 = keras.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])  # rank 3; Python ints give int64
print("t1:", t1)
print("t1: rank", t1.ndim, "shape", t1.shape, "dtype", t1.dtype)
print("t2: rank", t2.ndim, "shape", t2.shape)
print("t3: rank", t3.ndim, "shape", t3.shape, "dtype", t3.dtype)

# --- Indexing and slicing (the same rules as Python lists and NumPy) -----------------------
print("\nt1[0], t1[1], t1[-1]:", t1[0].item(), t1[1].item(), t1[-1].item())
print("t1[2:5]:", t1[2:5], "  t1[4:-1]:", t1[4:-1])
print("t1[:2]:", t1[:2], "  t1[3:]:", t1[3:])
print("t2[1, 2] (row 1, column 2):", t2[1, 2].item())
print("t2[:, 1] (column 1):", t2[:, 1])
print("t2[1:3, :2] (rows 1-2, first two columns):\n", t2[1:3, :2])

# --- Broadcasting: shapes are lined up from the right, and axes of length 1 are stretched ----
m1 = keras.tensor([[3.0, 3.0]])        # (1, 2)
m2 = keras.tensor([[2.0, 2.0]])        # (1, 2)
print("\nsame shapes:     [[3, 3]] + [[2, 2]] =", m1 + m2)
print("matrix + scalar: [[1, 2]] + 3        =", keras.tensor([[1.0, 2.0]]) + 3.0)
row = keras.tensor([[1.0, 2.0]])       # (1, 2)
col = keras.tensor([[3.0], [4.0]])     # (2, 1)
print("(1, 2) + (2, 1) -> (2, 2):\n", row + col)
print("t2 (4, 3) + [10, 20, 30] (3,) adds the vector to every row:\n", t2 + keras.tensor([10.0, 20.0, 30.0]))

# --- Elementwise multiply (*) versus matrix multiply (@ or ops.matmul) ----------------------
a = keras.tensor([[1.0, 2.0], [3.0, 4.0]])  # (2, 2)
b = keras.tensor([[1.0], [2.0]])            # (2, 1)
print("\na * b  (elementwise, b is broadcast to (2, 2)):\n", a * b)
print("a @ b  (matrix product, (2, 2) @ (2, 1) -> (2, 1)):\n", a @ b)
print("ops.matmul(a, b) gives the same:", np.array_equal(ops.matmul(a, b).numpy(), (a @ b).numpy()))

# --- Reductions along an axis: axis=0 goes down the columns, axis=1 (or -1) along the rows ---
x = keras.tensor([[1.0, 2.0], [3.0, 4.0]])
print("\nx =\n", x)
print("mean of all:", ops.mean(x).item(), "  mean(axis=0):", ops.mean(x, axis=0), "  mean(axis=1):", ops.mean(x, axis=1))
print("sum of all:", ops.sum(x).item(), "  sum(axis=0):", ops.sum(x, axis=0), "  sum(axis=-1):", ops.sum(x, axis=-1))
print("max of all:", ops.max(x).item(), "  max(axis=0):", ops.max(x, axis=0), "  max(axis=1):", ops.max(x, axis=1))
y = keras.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
print("argmax(axis=0) (row of each column's max):", ops.argmax(y, axis=0))
print("argmax(axis=1) (column of each row's max):", ops.argmax(y, axis=1))
print("the same as methods: x.sum(axis=0) =", x.sum(axis=0), " y.argmax(axis=-1) =", y.argmax(axis=-1))

# --- Reshape: same values, new shape (-1 means "whatever is left") ---------------------------
r = keras.tensor(np.arange(12, dtype="float32").reshape(2, 2, 3))
print("\nr shape", r.shape)
print("ops.reshape(r, (-1, 3)) ->", ops.reshape(r, (-1, 3)).shape, "\n", ops.reshape(r, (-1, 3)))
print("r.reshape(-1, 1, 3) ->", r.reshape(-1, 1, 3).shape)
print("ops.squeeze of (3, 1) ->", ops.squeeze(keras.tensor([[0.0], [1.0], [2.0]])).shape)
print("ops.expand_dims of (3,) at axis 1 ->", ops.expand_dims(keras.tensor([0.0, 1.0, 2.0]), 1).shape)

# Tensors and NumPy convert both ways, and agree.
print("\nr.numpy() equals np.arange(12).reshape(2, 2, 3):",
      np.array_equal(r.numpy(), np.arange(12).reshape(2, 2, 3)))
