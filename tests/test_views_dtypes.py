"""Differential sweep: every elementwise op on every dtype pair and every kind of view, against
NumPy, on the CPU and (when there is an adapter) on the GPU. Binary ops meet each dtype pair
with every view kind on both sides and every pair of view kinds with some dtype pair (a Latin
square of view rotations, `_view_pairs`), rather than the full product.

Ops that promote their operands convert them to the compute dtype first; a view's layout must be
re-read from the converted copy (the bug this guards against kept the view's strides and offset
and read the contiguous copy with them: wrong values, or an index out of range).

Each view kind gives a (2, 3) operand (or a 0-d one, which broadcasts) made from a base tensor on
the device, so the strides, offset and zero strides are the device's own; the size-0 sweep
slices every view kind down to (0, 3). Expected values are NumPy's on the same views, computed in
the dtype kerasish's result has (its promotion rule: bool/uint8 arithmetic in int64, true
division of integers in float32, as in Keras); a view's result must also equal, bit for bit, the
result of the same op on contiguous copies of the operands.
"""
from __future__ import annotations

import itertools
import os

import numpy as np
import pytest

import kerasish as K
from kerasish import _core, ops

DTYPES = ["bool", "uint8", "int64", "float32", "float64"]

# view kind -> (base shape, how the (2, 3) view is taken: the same on NumPy arrays and tensors)
VIEWS = {
    "contiguous": ((2, 3), lambda x: x),
    "transpose": ((3, 2), lambda x: x.T),
    "negative_step": ((2, 3), lambda x: x[:, ::-1]),
    "reversed_rows": ((2, 3), lambda x: x[::-1]),
    "offset_slice": ((3, 3), lambda x: x[1:]),
    "strided_offset": ((3, 7), lambda x: x[1:, 1::2]),
    "broadcast_row": ((3,), None),  # zero stride on axis 0 (broadcast_to)
    "broadcast_col": ((2, 1), None),  # zero stride on axis 1
    "size1": ((1, 1), lambda x: x),
    "scalar_view": ((2, 3), lambda x: x[1, 2]),  # 0-d with an offset
}

BINARY = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "floor_divide", "mod"]
COMPARE = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
UNARY = ["negative", "abs", "square", "sqrt", "exp", "log", "log1p", "tanh", "sigmoid", "relu", "leaky_relu", "elu",
         "selu", "gelu", "softplus", "silu", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh",
         "arccosh", "arctanh", "expm1", "log2", "log10", "floor", "ceil", "round", "trunc", "sign"]
# ops defined only for non-negative inputs (or mostly so) get them
POSITIVE = ("sqrt", "log", "log1p", "log2", "log10", "arccosh")
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805
NP_UNARY = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),  # Keras's default negative_slope
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),  # approximate=True
    "softplus": lambda x: np.logaddexp(0, x),
    "silu": lambda x: x / (1 + np.exp(-x)),
}
NP_BINARY = {"mod": np.mod, "power": np.power}


def _devices():
    out = ["cpu"]
    built, info = _core.gpu_info()
    usable = built and not any(s in info for s in ("no GPU adapter", "refused", "panicked"))
    if usable:
        out.append("gpu")
    elif os.environ.get("KERASISH_REQUIRE_GPU") == "1":
        raise RuntimeError(f"KERASISH_REQUIRE_GPU=1 but the GPU is not usable: {info}")
    return out


DEVICES = _devices()


@pytest.fixture(autouse=True)
def _cpu_default():
    _core.set_device("cpu")
    yield
    _core.set_device("cpu")


def _base_values(shape, dtype, positive=False):
    n = int(np.prod(shape))
    if dtype == "bool":
        return (np.arange(n) % 3 != 1).reshape(shape)
    if dtype == "uint8":
        return ((np.arange(n) * 7 + 2) % 11).astype(np.uint8).reshape(shape)
    if dtype == "int64":
        v = (np.arange(n) * 5 + 3) % 9 - (0 if positive else 4)
        return v.astype(np.int64).reshape(shape)
    v = ((np.arange(n) * 0.37 + 0.2) % 2.3) - (0 if positive else 1.1)
    return v.astype(dtype).reshape(shape)


def _make(kind, dtype, device, positive=False, size0=False):
    """(NumPy view, tensor view) of the given kind; both are views of a base on their side."""
    base_shape, take = VIEWS[kind]
    base = _base_values(base_shape, dtype, positive)
    t = K.tensor(base).to(device)
    if take is None:
        a, v = np.broadcast_to(base, (2, 3)), ops.broadcast_to(t, (2, 3))
    else:
        a, v = take(base), take(t)
    if size0:
        if a.ndim == 0:
            return None
        a, v = a[2:], v[2:]
    return a, v


def _np_binary(name, a, b, dt):
    a, b = a.astype(dt), b.astype(dt)
    if name == "divide" and np.dtype(dt).kind in "iu":
        return None
    fn = NP_BINARY.get(name) or getattr(np, name)
    with np.errstate(all="ignore"):
        return np.asarray(fn(a, b))


def _check(got, expected, ref):
    """got (tensor) equals NumPy's expected values and, bit for bit, the contiguous result ref."""
    g = got.numpy()
    assert g.shape == expected.shape, (g.shape, expected.shape)
    np.testing.assert_array_equal(g, ref.numpy())
    if g.dtype.kind == "f":
        rtol = 1e-6 if g.dtype == np.float64 else 2e-5
        np.testing.assert_allclose(g, expected.astype(g.dtype), rtol=rtol, atol=1e-6, equal_nan=True)
    else:
        np.testing.assert_array_equal(g, expected.astype(g.dtype))


def _dtypes_on(device):
    # the GPU holds no float64 (a clear TypeError, tested in test_gpu.py)
    return [d for d in DTYPES if not (device == "gpu" and d == "float64")]


def _contig(t, device):
    return K.tensor(t.numpy()).to(device)


def _view_pairs(kinds_a, kinds_b, i):
    """The view pairs the i-th dtype pair meets: every kind of a against a rotation (by i) of
    the kinds of b, so each dtype pair sees every view kind on both sides, and the dtype pairs
    together see every view pair (the Latin square of the rotations), with a tenth of the
    cases of the full product."""
    if len(kinds_b) < len(kinds_a):
        return list(itertools.product(kinds_a, kinds_b))
    return [(ka, kinds_b[(j + i) % len(kinds_b)]) for j, ka in enumerate(kinds_a)]


def _run_binary_sweep(device, kinds_a, kinds_b, size0=False):
    cases = 0
    dts = _dtypes_on(device)
    for i, (da, db) in enumerate(itertools.product(dts, dts)):
        for ka, kb in _view_pairs(kinds_a, kinds_b, i):
            for name in BINARY + COMPARE:
                pa = _make(ka, da, device, size0=size0)
                pb = _make(kb, db, device, positive=name in ("power", "floor_divide", "mod", "divide"), size0=size0)
                if pa is None or pb is None:
                    continue
                (a, x), (b, y) = pa, pb
                fn = getattr(ops, name)
                got = fn(x, y)
                ref = fn(_contig(x, device), _contig(y, device))
                assert got.device == device
                assert got.dtype == ref.dtype, (name, da, db, ka, kb)
                if name in COMPARE:
                    exp = np.asarray(getattr(np, name)(a, b))
                else:
                    exp = _np_binary(name, a, b, got.dtype)
                    if exp is None:
                        continue
                try:
                    _check(got, exp, ref)
                except AssertionError as e:
                    raise AssertionError(f"{name}({da} {ka}, {db} {kb}) on {device}: {e}") from None
                cases += 1
    return cases


@pytest.mark.parametrize("device", DEVICES)
def test_binary_every_dtype_pair_and_view_pair(device):
    kinds = list(VIEWS)
    pairs = (16 if device == "gpu" else 25)
    assert pairs >= len(kinds)  # enough dtype pairs for every rotation: every view pair is met
    n = _run_binary_sweep(device, kinds, kinds)
    # 25 dtype pairs (16 on the GPU, which has no float64) x 10 view pairs each x 15 ops
    assert n == pairs * len(kinds) * len(BINARY + COMPARE), n


@pytest.mark.parametrize("device", DEVICES)
def test_binary_size0_views(device):
    kinds = [k for k in VIEWS if k != "scalar_view"]
    n = _run_binary_sweep(device, kinds, ["contiguous", "offset_slice", "transpose"], size0=True)
    assert n > 500, n


@pytest.mark.parametrize("device", DEVICES)
def test_python_scalars_on_views(device):
    """`view * 1.0`, `view / 255.0`, `view + 0`: the scalar takes the tensor's dtype, or float32
    for a float scalar with an integer tensor."""
    n = 0
    for dt in _dtypes_on(device):
        for kind in VIEWS:
            a, x = _make(kind, dt, device)
            c = _contig(x, device)
            for s in (1.0, 255.0, 0, 2):
                pairs = [(x * s, c * s, lambda a: a * s), (x + s, c + s, lambda a: a + s), (s - x, s - c, lambda a: s - a)]
                if s:
                    pairs.append((x / s, c / s, lambda a: a / s))
                for got, ref, npf in pairs:
                    with np.errstate(all="ignore"):
                        exp = np.asarray(npf(a.astype(got.dtype)))
                    _check(got, exp, ref)
                    n += 1
    assert n > 500


def test_issue_examples():
    """The probe's own cases."""
    x = K.tensor(np.arange(6, dtype="uint8").reshape(2, 3))
    np.testing.assert_array_equal((x.T * 1.0).numpy(), [[0, 3], [1, 4], [2, 5]])
    np.testing.assert_array_equal((x[:, ::-1] / 1.0).numpy(), [[2, 1, 0], [5, 4, 3]])
    np.testing.assert_allclose((x[1:] / 255.0).numpy(), np.arange(3, 6, dtype=np.float32)[None] / 255.0)
    assert int((K.tensor([True, True, True])[1] + 0).numpy()) == 1


@pytest.mark.parametrize("device", DEVICES)
def test_unary_every_dtype_and_view(device):
    n = 0
    for dt in _dtypes_on(device):
        for kind in VIEWS:
            for size0, name in itertools.product((False, True), UNARY):
                # the domain-restricted ops get non-negative inputs, the rest both signs
                p = _make(kind, dt, device, positive=name in POSITIVE, size0=size0)
                if p is None or (dt == "bool" and name == "negative"):
                    continue
                a, x = p
                got = getattr(ops, name)(x)
                ref = getattr(ops, name)(_contig(x, device))
                fn = NP_UNARY.get(name) or getattr(np, name)
                with np.errstate(all="ignore"):
                    exp = np.asarray(fn(a.astype(got.dtype)))
                try:
                    _check(got, exp, ref)
                except AssertionError as e:
                    raise AssertionError(f"{name}({dt} {kind}{' size0' if size0 else ''}) on {device}: {e}") from None
                n += 1
    assert n > 900, n


@pytest.mark.parametrize("device", DEVICES)
def test_where_every_dtype_and_view(device):
    n = 0
    dts = _dtypes_on(device)
    for dc, da, db in itertools.product(["bool", "uint8", "float32"], dts, dts):
        for kc, ka, kb in (("transpose", "negative_step", "offset_slice"), ("broadcast_row", "scalar_view", "transpose"),
                           ("offset_slice", "broadcast_col", "strided_offset"), ("scalar_view", "size1", "reversed_rows")):
            (c, tc), (a, ta), (b, tb) = _make(kc, dc, device), _make(ka, da, device), _make(kb, db, device)
            got = ops.where(tc, ta, tb)
            ref = ops.where(_contig(tc, device), _contig(ta, device), _contig(tb, device))
            exp = np.where(c.astype(bool), a.astype(got.dtype), b.astype(got.dtype))
            _check(got, exp, ref)
            n += 1
    assert n > 100


def test_huge_steps_and_negative_strides_reach_numpy_intact():
    """A slice step far beyond the axis gives one element or none (its stride, never used, must
    not overflow), and views with negative strides convert to NumPy as NumPy's own views do."""
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = K.tensor(a)
    for key in [np.s_[::2**62], np.s_[2**62:-2**62:-2**62], np.s_[:, ::-(2**62)], np.s_[::-1, 1:, ::-3],
                np.s_[..., ::-2], np.s_[1:1, ::-1]]:
        got = t[key]
        np.testing.assert_array_equal(got.numpy(), a[key])
        np.testing.assert_array_equal((got * 1.0).numpy(), a[key])
    u = K.tensor(np.arange(6, dtype=np.uint8))[::-1]
    np.testing.assert_array_equal(u.numpy(), np.arange(6, dtype=np.uint8)[::-1])
