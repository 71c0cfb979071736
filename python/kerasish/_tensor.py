"""Tensor creation and the autograd switches."""
from __future__ import annotations

import contextlib
import functools
import operator

from kerasish import _core
from kerasish._core import Tensor

# How deep the current code is inside layers' call(): the outermost call clears the losses of the
# previous one, and inside a call `x -= y` rebinds x (Keras's tensors are values, and a layer must
# not change the tensors its caller holds), while outside it the operators update in place as the
# course's hand-written gradient descent does (`with no_grad(): w -= lr * w.grad`).
CALL_DEPTH = [0]


def _inplace_operator(name, binary):
    def method(self, other):
        if CALL_DEPTH[0]:
            return binary(self, other)
        self._inplace(name, other)
        return self

    symbol = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}[name]
    method.__name__ = f"__i{binary.__name__}__"
    method.__doc__ = f"x {symbol}= y: in place (into the storage views share) outside a layer's call, a new tensor inside"
    return method


Tensor._keras_mask = None  # a tensor's mask (Keras's), set per tensor by the layers that make one
Tensor.__iadd__ = _inplace_operator("add", operator.add)
Tensor.__isub__ = _inplace_operator("subtract", operator.sub)
Tensor.__imul__ = _inplace_operator("multiply", operator.mul)
Tensor.__itruediv__ = _inplace_operator("divide", operator.truediv)


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a scalar, nested lists, a NumPy array or a Tensor).

    Python floats become float32 and Python ints int64 unless ``dtype`` says otherwise; NumPy
    arrays keep their dtype (other integer widths become int64, float16 becomes float32).
    """
    return _core.tensor(data, dtype, requires_grad)


def full(shape, fill_value, dtype=None) -> Tensor:
    if dtype is None:
        dtype = "bool" if isinstance(fill_value, bool) else "int64" if isinstance(fill_value, int) else "float32"
    return _core.full(shape, float(fill_value), dtype)


def zeros(shape, dtype="float32") -> Tensor:
    return _core.full(shape, 0.0, dtype)


def ones(shape, dtype="float32") -> Tensor:
    return _core.full(shape, 1.0, dtype)


def zeros_like(x, dtype=None) -> Tensor:
    x = _core.convert_to_tensor(x)
    return _core.full(x.shape, 0.0, dtype or x.dtype, x.device)


def ones_like(x, dtype=None) -> Tensor:
    x = _core.convert_to_tensor(x)
    return _core.full(x.shape, 1.0, dtype or x.dtype, x.device)


def arange(start, stop=None, step=None, dtype=None) -> Tensor:
    """Evenly spaced values in [start, stop): int64 when every argument is an int, else float32."""
    if dtype is None:
        args = [a for a in (start, stop, step) if a is not None]
        ints = all(isinstance(a, int) or (hasattr(a, "dtype") and str(a.dtype).startswith(("int", "uint"))) for a in args)
        dtype = "int64" if ints else "float32"
    return _core.arange(start, stop, step, dtype)


def eye(N, M=None, k=0, dtype="float32") -> Tensor:
    if N < 0 or (M is not None and M < 0):
        raise ValueError(f"eye: negative dimensions are not allowed, got N={N}, M={M}")
    return _core.eye(N, M, k, dtype)


def is_grad_enabled() -> bool:
    return _core.is_grad_enabled()


class _GradMode(contextlib.ContextDecorator):
    _on = True

    def __enter__(self):
        self._prev = _core.set_grad_enabled(self._on)
        return self

    def __exit__(self, *exc):
        _core.set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Context manager (and decorator) in which ops record no gradients."""

    _on = False


class enable_grad(_GradMode):
    """Context manager (and decorator) that switches gradient recording back on."""

    _on = True


@contextlib.contextmanager
def device(name):
    """``with kerasish.device("gpu"):`` makes tensors created inside (and so the ops on them,
    layers' weights, random draws) live on that device; the previous device comes back after."""
    prev = _core.get_device()
    _core.set_device(name)
    try:
        yield
    finally:
        _core.set_device(prev)
