"""Lesson 2 - automatic differentiation: c = sum(x * y + z), its gradients worked out by hand in
NumPy and computed by kerasish with .backward(), side by side.

    python examples/autograd.py

Everything here is instant, so KERASISH_EXAMPLE_QUICK=1 changes nothing.
"""
import numpy as np

import kerasish as keras
from kerasish import ops

N, D = 3, 4

# --- By hand, in NumPy ---------------------------------------------------------------------
# Forward:  a = x * y,  b = a + z,  c = sum(b)
# Backward: dc/db = 1 everywhere; dc/da = dc/db; dc/dz = dc/db; dc/dx = dc/da * y; dc/dy = dc/da * x
rng = np.random.default_rng(0)
x_np = rng.standard_normal((N, D)).astype("float32")
y_np = rng.standard_normal((N, D)).astype("float32")
z_np = rng.standard_normal((N, D)).astype("float32")

a_np = x_np * y_np
b_np = a_np + z_np
c_np = np.sum(b_np)

grad_c = 1.0
grad_b = grad_c * np.ones((N, D), dtype="float32")
grad_a = grad_b.copy()
grad_z = grad_b.copy()
grad_x = grad_a * y_np
grad_y = grad_a * x_np

# --- With kerasish: the same forward pass, then one call to backward() ----------------------
# requires_grad=True asks the engine to record the operations on these tensors.
x = keras.tensor(x_np, requires_grad=True)
y = keras.tensor(y_np, requires_grad=True)
z = keras.tensor(z_np, requires_grad=True)

a = x * y
b = a + z
c = ops.sum(b)
c.backward()  # fills x.grad, y.grad and z.grad with dc/dx, dc/dy, dc/dz

# --- Side by side ---------------------------------------------------------------------------
print("c (NumPy)    =", c_np)
print("c (kerasish) =", c.item())
print()
print("dc/dx by hand:\n", grad_x)
print("x.grad from backward():\n", x.grad)
print()
print("dc/dy by hand:\n", grad_y)
print("y.grad from backward():\n", y.grad)
print()
print("dc/dz by hand:\n", grad_z)
print("z.grad from backward():\n", z.grad)
print()

ok = (np.isclose(c.item(), c_np, rtol=1e-5)
      and np.allclose(x.grad.numpy(), grad_x)
      and np.allclose(y.grad.numpy(), grad_y)
      and np.allclose(z.grad.numpy(), grad_z))
print("c equal:", bool(np.isclose(c.item(), c_np, rtol=1e-5)))
print("x.grad equal:", np.allclose(x.grad.numpy(), grad_x))
print("y.grad equal:", np.allclose(y.grad.numpy(), grad_y))
print("z.grad equal:", np.allclose(z.grad.numpy(), grad_z))
print("hand-written and automatic gradients agree:", ok)
if not ok:
    raise SystemExit("gradients differ")
