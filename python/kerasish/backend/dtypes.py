"""Keras's dtypes and its type promotion (keras/src/backend/common/dtypes.py): the lattice of the
strong dtypes lives in the engine (``_core.promote_types``, rust/engine/src/dtype.rs); Python's
``int`` and ``float`` are *weak* types that take the other operand's kind and width.

One difference from Keras on JAX, stated: Keras there maps int64 and float64 results to int32
and float32 (JAX's default); kerasish holds int64 and float64 as real dtypes and keeps them (as
Keras on TensorFlow does for int64)."""
from __future__ import annotations

from kerasish import _core, config

BOOL_TYPES = ("bool",)
INT_TYPES = ("uint8", "uint16", "uint32", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
# complex tensors compose real engine ops on (real, imaginary) pairs (kerasish/_complex.py)
COMPLEX_TYPES = ("complex64", "complex128")
ALLOWED_DTYPES = BOOL_TYPES + INT_TYPES + FLOAT_TYPES + COMPLEX_TYPES

_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "int": "int64", "bool_": "bool"}


def standardize_dtype(dtype=None):
    """A dtype's Keras name ("float32", "int8", ...) from a name, a NumPy dtype or type, a tensor's
    dtype or Python's ``int`` / ``float`` / ``bool``; None is ``floatx()``."""
    if dtype is None:
        return config.floatx()
    if dtype is int:
        return "int64"
    if dtype is float:
        return "float32"
    if dtype is bool:
        return "bool"
    if dtype is complex:
        return "complex64"
    name = dtype if isinstance(dtype, str) else getattr(dtype, "name", None) or getattr(dtype, "__name__", None)
    if not isinstance(name, str):
        raise ValueError(f"Invalid dtype: {dtype!r}; expected one of {ALLOWED_DTYPES}")
    name = _ALIASES.get(name, name)
    if name not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype!r}; expected one of {ALLOWED_DTYPES}")
    return name


def is_float_dtype(dtype):
    return standardize_dtype(dtype) in FLOAT_TYPES


def is_int_dtype(dtype):
    return standardize_dtype(dtype) in INT_TYPES


def result_type(*dtypes):
    """The dtype Keras's promotion gives these operands, as keras.backend.result_type: the least
    upper bound of the strong dtypes on the lattice; a Python ``int`` (weak) yields to any integer
    or float and, alone or with bools, gives ``int`` of floatx's width; a Python ``float`` yields
    to any float and otherwise gives floatx. No dtypes: floatx."""
    if not dtypes:
        return config.floatx()
    strong, weak_int, weak_float = [], False, False
    for d in dtypes:
        if d is int:
            weak_int = True
        elif d is float:
            weak_float = True
        else:
            strong.append(standardize_dtype(d))
    if any(d in COMPLEX_TYPES for d in strong):
        # Keras's lattice: every real dtype but float64 sits below complex64, float64 below complex128
        return "complex128" if any(d in ("complex128", "float64") for d in strong) else "complex64"
    out = _core.promote_types(*strong) if strong else None
    bits = config.floatx()[-2:]
    if weak_float and (out is None or out not in FLOAT_TYPES):
        return f"float{bits}"
    if weak_int and (out is None or out == "bool"):
        return f"int{bits}"
    return out
