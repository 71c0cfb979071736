"""Complex tensors (complex64, complex128), as Keras on JAX returns them from ``eig``, ``polar`` and
``view_as_complex``.

A ``ComplexTensor`` holds its real and imaginary parts side by side in one real engine tensor of
shape ``(*shape, 2)`` (float32 for complex64, float64 for complex128): the layout
``keras.ops.view_as_real`` gives. Complex arithmetic is composed of the engine's real ops on that
tensor, so it runs on both devices (complex64 on the GPU, as float32) and the autograd
differentiates through it with no complex kernel.

The ops of ``keras.ops`` that take complex tensors are the ones registered here with
``@complex_op(name)``: ``symbolic`` (ops/operation.py) sends a call with a complex operand here,
and any other op refuses it with a TypeError that lists these.
"""
from __future__ import annotations

import numbers

import numpy as np

from kerasish import _core

COMPLEX_TYPES = ("complex64", "complex128")
# a complex dtype's part dtype, and back
PART = {"complex64": "float32", "complex128": "float64"}
_COMPLEX = {"float32": "complex64", "float64": "complex128"}

# op name -> implementation taking the op's own arguments (complex operands among them)
_OPS = {}


class ComplexTensor:
    """A complex64 or complex128 tensor (see the module docstring)."""

    # a real Tensor's operators send complex operands to `binary` below (rust/python/src/tensor.rs)
    # NumPy defers to the reflected operators too (`ndarray + complex_tensor`)
    __array_priority__ = 1001.0
    __slots__ = ("_ri",)

    def __init__(self, ri):
        if not isinstance(ri, _core.Tensor) or ri.dtype not in _COMPLEX or ri.ndim < 1 or ri.shape[-1] != 2:
            raise TypeError("ComplexTensor: expected a float32 or float64 Tensor of shape (..., 2) holding "
                            f"(real, imaginary) pairs, got {ri!r}")
        self._ri = ri

    @property
    def shape(self):
        return tuple(self._ri.shape[:-1])

    @property
    def ndim(self):
        return self._ri.ndim - 1

    @property
    def dtype(self):
        return _COMPLEX[self._ri.dtype]

    @property
    def device(self):
        return self._ri.device

    @property
    def real(self):
        return self._ri[..., 0]

    @property
    def imag(self):
        return self._ri[..., 1]

    @property
    def requires_grad(self):
        return self._ri.requires_grad

    def to(self, device):
        return ComplexTensor(self._ri.to(device))

    def numpy(self):
        """A NumPy complex array (a copy)."""
        ri = np.ascontiguousarray(self._ri.numpy())
        return ri.view(np.complex64 if self.dtype == "complex64" else np.complex128)[..., 0]

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        s = np.array2string(self.numpy(), separator=", ", prefix="Tensor(")
        dev = "" if self.device == "cpu" else f", device={self.device}"
        return f"Tensor({s}, dtype={self.dtype}{dev})"

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        return ComplexTensor(self._ri[key + (slice(None),)])

    def __bool__(self):
        raise TypeError("the truth value of a complex tensor is not defined")

    def __add__(self, o): return _call("add", self, o)
    def __radd__(self, o): return _call("add", o, self)
    def __sub__(self, o): return _call("subtract", self, o)
    def __rsub__(self, o): return _call("subtract", o, self)
    def __mul__(self, o): return _call("multiply", self, o)
    def __rmul__(self, o): return _call("multiply", o, self)
    def __truediv__(self, o): return _call("divide", self, o)
    def __rtruediv__(self, o): return _call("divide", o, self)
    def __matmul__(self, o): return _call("matmul", self, o)
    def __rmatmul__(self, o): return _call("matmul", o, self)
    def __neg__(self): return _call("negative", self)
    def __pos__(self): return self
    def __abs__(self): return _call("abs", self)

    def conj(self):
        return _call("conj", self)


def complex_name(dtype):
    """"complex64" / "complex128" for a complex dtype (a name, a NumPy dtype or type, Python's
    complex), else None."""
    if dtype is complex:
        return "complex64"
    name = dtype if isinstance(dtype, str) else getattr(dtype, "name", None) or getattr(dtype, "__name__", None)
    return name if name in COMPLEX_TYPES else None


def is_complex(x):
    """Whether x is complex data: a ComplexTensor, a Python or NumPy complex, a complex array."""
    return isinstance(x, (ComplexTensor, complex, np.complexfloating)) or (isinstance(x, np.ndarray) and x.dtype.kind == "c")


def complex_op(*names):
    """Registers the complex implementation of the ops named."""
    def register(fn):
        for n in names:
            _OPS[n] = fn
        return fn
    return register


def dispatch(name, args, kwargs):
    """The complex implementation of op `name` on these arguments, or a TypeError naming the op."""
    fn = _OPS.get(name)
    if fn is None:
        raise TypeError(f"{name}: complex tensors are not supported by this op; kerasish computes on complex64 "
                        f"and complex128 in: {', '.join(sorted(_OPS))} (ops.view_as_real gives the real and "
                        "imaginary parts as a real tensor for any other op)")
    return fn(*args, **kwargs)


def _call(name, *args):
    return dispatch(name, args, {})


def binary(name, x, y):
    """A real Tensor's operator with complex data on the other side (rust/python/src/tensor.rs)."""
    return dispatch(name, (x, y), {})


# ------------------------------------------------------------------------------------ conversion

def from_parts(re, im):
    """The complex tensor re + i im: complex128 when either part is float64, else complex64
    (the parts are cast to float32); the parts broadcast together."""
    re, im = _core.convert_to_tensor(re), _core.convert_to_tensor(im)
    part = "float64" if "float64" in (re.dtype, im.dtype) else "float32"
    shape = np.broadcast_shapes(tuple(re.shape), tuple(im.shape))
    re, im = (_core.broadcast_to(_core.convert_to_tensor(p, part), shape) for p in (re, im))
    return ComplexTensor(_core.stack([re, im], -1))


def to_complex(x, dtype=None):
    """x as a ComplexTensor (a real operand gets a zero imaginary part), in `dtype` when given
    (complex64 or complex128; a real operand's own is complex64 unless it is float64)."""
    if isinstance(x, ComplexTensor):
        if dtype is None or dtype == x.dtype:
            return x
        return ComplexTensor(_core.convert_to_tensor(x._ri, PART[dtype]))
    if isinstance(x, complex) or (isinstance(x, np.ndarray) and x.dtype.kind == "c"):
        a = np.asarray(x)
        dtype = dtype or ("complex128" if a.dtype == np.complex128 and not isinstance(x, complex) else "complex64")
        return ComplexTensor(_core.tensor(np.stack([a.real, a.imag], -1), PART[dtype]))
    x = _core.convert_to_tensor(x)
    dtype = dtype or ("complex128" if x.dtype == "float64" else "complex64")
    x = _core.convert_to_tensor(x, PART[dtype])
    return from_parts(x, _core.full(x.shape, 0.0, x.dtype, x.device))


def _common(*xs):
    """The complex dtype of an op on these operands: complex128 when any is complex128 or float64."""
    wide = ("complex128", "float64")
    for x in xs:
        d = getattr(x, "dtype", None)
        if (d.name if isinstance(d, np.dtype) else d) in wide:
            return "complex128"
    return "complex64"


def _real_operand(x):
    """x as a real tensor when it is real (a Tensor, a number, a real array), else None."""
    if is_complex(x):
        return None
    if isinstance(x, _core.Tensor):
        return x
    if isinstance(x, numbers.Number) or isinstance(x, (np.ndarray, list, tuple, np.generic)):
        return _core.convert_to_tensor(x)
    return None


def _axis(axis, ndim):
    a = int(axis)
    if not -ndim <= a < ndim:
        raise ValueError(f"axis {axis} is out of bounds for a complex tensor of rank {ndim}")
    return a % ndim


def _axes(axis, ndim):
    if axis is None:
        return list(range(ndim))
    return [_axis(a, ndim) for a in (axis if isinstance(axis, (list, tuple)) else (axis,))]


# ------------------------------------------------------------------------------- parts and views

@complex_op("real")
def _real(x):
    return to_complex(x).real


@complex_op("imag")
def _imag(x):
    return to_complex(x).imag


@complex_op("conj")
def _conj(x):
    x = to_complex(x)
    return from_parts(x.real, _core.unary("negative", x.imag))


@complex_op("abs")
def _abs(x):
    x = to_complex(x)
    return _core.unary("sqrt", _core.reduce("sum", _core.unary("square", x._ri), -1, False))


@complex_op("angle")
def _angle(x):
    from kerasish.ops.numpy import arctan2
    x = to_complex(x)
    return arctan2(x.imag, x.real)


@complex_op("reshape")
def _reshape(x, newshape):
    shape = (newshape,) if isinstance(newshape, numbers.Integral) else tuple(newshape)
    return ComplexTensor(_core.reshape(to_complex(x)._ri, shape + (2,)))


@complex_op("transpose")
def _transpose(x, axes=None):
    x = to_complex(x)
    perm = list(range(x.ndim))[::-1] if axes is None else [_axis(a, x.ndim) for a in axes]
    return ComplexTensor(_core.transpose(x._ri, perm + [x.ndim]))


@complex_op("expand_dims")
def _expand_dims(x, axis):
    x = to_complex(x)
    ri = x._ri
    for a in sorted(_axes(axis, x.ndim + len(axis) if isinstance(axis, (list, tuple)) else x.ndim + 1)):
        ri = _core.expand_dims(ri, a)
    return ComplexTensor(ri)


@complex_op("squeeze")
def _squeeze(x, axis=None):
    x = to_complex(x)
    axes = [i for i, d in enumerate(x.shape) if d == 1] if axis is None else _axes(axis, x.ndim)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size not equal to one "
                             f"(axis {a} of shape {x.shape})")
    return ComplexTensor(_core.squeeze(x._ri, axes) if axes else x._ri)


@complex_op("concatenate")
def _concatenate(xs, axis=0):
    dt = _common(*xs)
    cs = [to_complex(x, dt) for x in xs]
    return ComplexTensor(_core.concatenate([c._ri for c in cs], _axis(axis, cs[0].ndim)))


@complex_op("stack")
def _stack(x, axis=0):
    dt = _common(*x)
    cs = [to_complex(c, dt) for c in x]
    return ComplexTensor(_core.stack([c._ri for c in cs], _axis(axis, cs[0].ndim + 1)))


@complex_op("zeros_like")
def _zeros_like(x, dtype=None):
    x = to_complex(x)
    return ComplexTensor(_core.full(x._ri.shape, 0.0, x._ri.dtype, x.device))


# ------------------------------------------------------------------------------------ arithmetic

@complex_op("add")
def _add(x1, x2):
    dt = _common(x1, x2)
    return ComplexTensor(_core.binary("add", to_complex(x1, dt)._ri, to_complex(x2, dt)._ri))


@complex_op("subtract")
def _subtract(x1, x2):
    dt = _common(x1, x2)
    return ComplexTensor(_core.binary("subtract", to_complex(x1, dt)._ri, to_complex(x2, dt)._ri))


@complex_op("negative")
def _negative(x):
    return ComplexTensor(_core.unary("negative", to_complex(x)._ri))


def _scale(z, r):
    """A complex tensor times a real one (broadcast), part by part."""
    return ComplexTensor(_core.binary("multiply", z._ri, _core.expand_dims(_core.convert_to_tensor(r, z._ri.dtype), -1)))


@complex_op("multiply")
def _multiply(x1, x2):
    dt = _common(x1, x2)
    r1, r2 = _real_operand(x1), _real_operand(x2)
    if r2 is not None:
        return _scale(to_complex(x1, dt), r2)
    if r1 is not None:
        return _scale(to_complex(x2, dt), r1)
    a, b = to_complex(x1, dt), to_complex(x2, dt)
    mul, sub, add = (lambda p, q: _core.binary("multiply", p, q)), (lambda p, q: _core.binary("subtract", p, q)), \
        (lambda p, q: _core.binary("add", p, q))
    return from_parts(sub(mul(a.real, b.real), mul(a.imag, b.imag)), add(mul(a.real, b.imag), mul(a.imag, b.real)))


@complex_op("divide")
def _divide(x1, x2):
    dt = _common(x1, x2)
    r2 = _real_operand(x2)
    if r2 is not None:
        return ComplexTensor(_core.binary("divide", to_complex(x1, dt)._ri,
                                          _core.expand_dims(_core.convert_to_tensor(r2, PART[dt]), -1)))
    b = to_complex(x2, dt)
    # x1 / b = x1 conj(b) / |b|^2
    den = _core.reduce("sum", _core.unary("square", b._ri), -1, False)
    num = _multiply(x1, _conj(b))
    return ComplexTensor(_core.binary("divide", num._ri, _core.expand_dims(den, -1)))


@complex_op("square")
def _square(x):
    return _multiply(x, x)


@complex_op("exp")
def _exp(x):
    # e^(a + ib) = e^a (cos b + i sin b)
    x = to_complex(x)
    m = _core.unary("exp", x.real)
    return from_parts(_core.binary("multiply", m, _core.unary("cos", x.imag)),
                      _core.binary("multiply", m, _core.unary("sin", x.imag)))


@complex_op("matmul")
def _matmul(x1, x2):
    dt = _common(x1, x2)
    a, b = to_complex(x1, dt), to_complex(x2, dt)
    mm = _core.matmul
    return from_parts(_core.binary("subtract", mm(a.real, b.real), mm(a.imag, b.imag)),
                      _core.binary("add", mm(a.real, b.imag), mm(a.imag, b.real)))


def _reduce(op, x, axis, keepdims):
    x = to_complex(x)
    axes = _axes(axis, x.ndim)
    return ComplexTensor(_core.reduce(op, x._ri, axes, bool(keepdims))) if axes else x


@complex_op("sum")
def _sum(x, axis=None, keepdims=False):
    return _reduce("sum", x, axis, keepdims)


@complex_op("mean")
def _mean(x, axis=None, keepdims=False):
    return _reduce("mean", x, axis, keepdims)


# ------------------------------------------------------------------- conversion and the views

@complex_op("cast")
def _cast(x, dtype):
    """A complex tensor cast to another complex dtype, or to a real one (its real part, as
    NumPy's astype and JAX's cast do)."""
    x = to_complex(x)
    if complex_name(dtype):
        return to_complex(x, complex_name(dtype))
    return _core.convert_to_tensor(x.real, dtype)


@complex_op("view_as_real")
def _view_as_real(x):
    return to_complex(x)._ri
