"""kerasish's engine in one page: tensors, broadcasting, views, matmul, and autograd checked
against gradients written by hand in NumPy.

    python examples/tensor_autograd_demo.py
"""
import numpy as np

import kerasish as ks
from kerasish import ops

ks.utils.set_random_seed(0)

# Tensors, dtypes and broadcasting
a = ks.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
b = ks.tensor([10.0, 20.0, 30.0])
print("a:", a.shape, a.dtype)
print("a + b (broadcast):\n", a + b)
print("a @ a.T:\n", a @ a.T)
print("mean over axis 0:", a.mean(axis=0), " argmax over axis 1:", a.argmax(axis=1))

# Views share memory with their source
v = a.T
print("a.T shares memory with a:", np.shares_memory(v.numpy(), a.numpy()))

# The course's first autograd example: c = sum(x * y + z)
x = ks.random.normal((3, 4), dtype="float64", seed=1)
y = ks.random.normal((3, 4), dtype="float64", seed=2)
z = ks.random.normal((3, 4), dtype="float64", seed=3)
for t in (x, y, z):
    t.requires_grad = True
c = ops.sum(x * y + z)
c.backward()

# By hand in NumPy: dc/dx = y, dc/dy = x, dc/dz = 1
xn, yn = x.numpy(), y.numpy()
print("c =", c.item())
print("x.grad == y:", np.allclose(x.grad.numpy(), yn))
print("y.grad == x:", np.allclose(y.grad.numpy(), xn))
print("z.grad == 1:", np.allclose(z.grad.numpy(), 1.0))

# A small gradient-descent fit of y = 2x, the course's "hours -> points" example
xs = ks.tensor([1.0, 2.0, 3.0])
ys = ks.tensor([2.0, 4.0, 6.0])
w = ks.tensor(0.0, requires_grad=True)
for step in range(100):
    loss = ops.mean(ops.square(w * xs - ys))
    w.grad = None
    loss.backward()
    with ks.no_grad():
        w -= 0.05 * w.grad
print(f"after 100 steps: W = {w.item():.4f}, loss = {loss.item():.2e}")
