"""keras.ops.numpy composites (written with other ops, no kernels of their own) against NumPy, on
every dtype and view kind of test_views_dtypes and on each device; their float64 gradients are in
test_gradients.py (COMPOSITE_CASES), the engine's new elementwise kinds in both files' unary sweeps."""
import itertools

import numpy as np
import pytest

import kerasish as K
from kerasish import ops
from test_views_dtypes import DEVICES, VIEWS, _dtypes_on, _make

TWO_D = [k for k in VIEWS if k != "scalar_view"]  # every view kind of rank 2


def _eq(got, exp, what):
    g, e = got.numpy(), np.asarray(exp)
    assert g.shape == e.shape, (what, g.shape, e.shape)
    if g.dtype.kind == "f":
        np.testing.assert_allclose(g, e.astype(g.dtype), rtol=2e-6, atol=1e-6, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(g, e.astype(g.dtype), err_msg=what)


def _views(device, kinds=TWO_D):
    for dt in _dtypes_on(device):
        for kind in kinds:
            a, x = _make(kind, dt, device)
            yield f"{dt} {kind}", dt, a, x


UNARY_COMPOSITES = {
    "isnan": (ops.isnan, np.isnan),
    "isinf": (ops.isinf, np.isinf),
    "isfinite": (ops.isfinite, np.isfinite),
    "logical_not": (ops.logical_not, np.logical_not),
    "ravel": (ops.ravel, np.ravel),
    "flip": (ops.flip, np.flip),
    "flip_1": (lambda x: ops.flip(x, 1), lambda a: np.flip(a, 1)),
    "swapaxes": (lambda x: ops.swapaxes(x, 0, -1), lambda a: np.swapaxes(a, 0, -1)),
    "moveaxis": (lambda x: ops.moveaxis(x, 0, 1), lambda a: np.moveaxis(a, 0, 1)),
    "tril": (ops.tril, np.tril),
    "tril_1": (lambda x: ops.tril(x, 1), lambda a: np.tril(a, 1)),
    "triu": (ops.triu, np.triu),
    "triu_-1": (lambda x: ops.triu(x, -1), lambda a: np.triu(a, -1)),
    "diagonal": (ops.diagonal, np.diagonal),
    "diagonal_1": (lambda x: ops.diagonal(x, 1), lambda a: np.diagonal(a, 1)),
    "diagonal_-1_swapped": (lambda x: ops.diagonal(x, -1, 1, 0), lambda a: np.diagonal(a, -1, 1, 0)),
    "trace": (ops.trace, np.trace),
    "nan_to_num": (ops.nan_to_num, np.nan_to_num),
    "round_1": (lambda x: ops.round(x, 1), lambda a: np.round(a, 1)),
    "round_-1": (lambda x: ops.round(x, -1), lambda a: np.round(a.astype(np.float64) if a.dtype.kind == "f" else a, -1)),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(UNARY_COMPOSITES))
def test_unary_composites_every_dtype_and_view(device, name):
    fn, ref = UNARY_COMPOSITES[name]
    n = 0
    for what, dt, a, x in _views(device):
        if name.startswith("round") and dt == "bool":
            continue
        got = fn(x)
        assert got.device == device, what
        if dt.startswith("float") and name not in ("isnan", "isinf", "isfinite", "logical_not"):
            assert got.dtype == dt, (what, got.dtype)
        with np.errstate(all="ignore"):
            _eq(got, ref(a), f"{name}({what}) on {device}")
        n += 1
    assert n >= 20


BINARY_COMPOSITES = {
    "logical_and": (ops.logical_and, np.logical_and),
    "logical_or": (ops.logical_or, np.logical_or),
    "logical_xor": (ops.logical_xor, np.logical_xor),
    "isclose": (ops.isclose, np.isclose),
    "outer": (ops.outer, np.outer),
    "tensordot_1": (lambda a, b: ops.tensordot(a, ops.transpose(b), 1), lambda a, b: np.tensordot(a, b.T, 1)),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(BINARY_COMPOSITES))
def test_binary_composites_every_dtype_pair_and_view(device, name):
    fn, ref = BINARY_COMPOSITES[name]
    n = 0
    kinds = ["contiguous", "transpose", "negative_step", "strided_offset", "broadcast_row"]
    for (wa, da, a, x), (wb, db, b, y) in itertools.product(_views(device, kinds), _views(device, kinds)):
        if a.shape != b.shape:
            continue
        got = fn(x, y)
        if name == "tensordot_1":
            # products in the dtype matmul computes in (bools and uint8 count in int64)
            exp = ref(a.astype(got.dtype), b.astype(got.dtype))
        elif name == "isclose":
            exp = ref(a.astype(np.float64), b.astype(np.float64), rtol=1e-5, atol=1e-8)
        else:
            exp = ref(a, b)
        _eq(got, exp, f"{name}({wa}, {wb}) on {device}")
        n += 1
    assert n >= 100


@pytest.mark.parametrize("device", DEVICES)
def test_special_values(device):
    dt = "float32"
    a = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.5, 1e-30], dtype=dt)
    x = K.tensor(a).to(device)
    for name in ("isnan", "isinf", "isfinite", "sign", "round", "trunc", "floor", "ceil"):
        _eq(getattr(ops, name)(x), getattr(np, name)(a), f"{name} on {device}")
    _eq(ops.nan_to_num(x), np.nan_to_num(a), f"nan_to_num on {device}")
    _eq(ops.nan_to_num(x, nan=7.0, posinf=1.0, neginf=-1.0), np.nan_to_num(a, nan=7.0, posinf=1.0, neginf=-1.0), "custom")
    b = np.array([np.nan, np.inf, np.inf, 1e-9, 0.0, 1.5 + 1e-6, -2.5, 0.0], dtype=dt)
    y = K.tensor(b).to(device)
    _eq(ops.isclose(x, y), np.isclose(a, b), f"isclose on {device}")
    _eq(ops.isclose(x, y, equal_nan=True), np.isclose(a, b, equal_nan=True), f"isclose equal_nan on {device}")
    assert bool(ops.allclose(x[3:], x[3:])) and not bool(ops.allclose(x, x))
    assert bool(ops.allclose(x, x, equal_nan=True))


def test_tensordot_axes_forms_and_errors():
    r = np.random.default_rng(0)
    a, b = r.normal(size=(2, 3, 4)), r.normal(size=(4, 3, 5))
    x, y = K.tensor(a), K.tensor(b)
    _eq(ops.tensordot(x, y, axes=([1, 2], [1, 0])), np.tensordot(a, b, axes=([1, 2], [1, 0])), "lists")
    _eq(ops.tensordot(x, y, axes=(2, 0)), np.tensordot(a, b, axes=(2, 0)), "ints")
    _eq(ops.tensordot(x, ops.ones((3, 4)), 2), np.tensordot(a, np.ones((3, 4)), 2), "int")
    _eq(ops.tensordot(x, y, 0), np.tensordot(a, b, 0), "outer product")
    with pytest.raises(ValueError, match=r"tensordot: shapes \(2, 3, 4\) and \(4, 3, 5\) do not match"):
        ops.tensordot(x, y, 2)
    with pytest.raises(ValueError, match="axes=4"):
        ops.tensordot(x, y, 4)


def test_shape_composites_errors_and_ints():
    x = K.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert ops.ndim(x) == 3 and ops.size(x) == 24 and ops.size(K.tensor(1.0)) == 1
    with pytest.raises(ValueError, match="moveaxis: `source`"):
        ops.moveaxis(x, [0, 1], [0])
    with pytest.raises(ValueError, match="moveaxis: repeated axis"):
        ops.moveaxis(x, [0, 0], [1, 2])
    with pytest.raises(ValueError, match="axis 3 is out of bounds for a tensor of rank 3"):
        ops.swapaxes(x, 0, 3)
    with pytest.raises(ValueError, match="tril: expected a tensor of rank >= 2"):
        ops.tril(K.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="diagonal: axis1 and axis2 cannot be the same"):
        ops.diagonal(x, 0, 1, 1)
    _eq(ops.moveaxis(x, [0, 2], [2, 0]), np.moveaxis(x.numpy(), [0, 2], [2, 0]), "moveaxis lists")
    _eq(ops.diagonal(x, 5), np.diagonal(x.numpy(), 5), "offset past the edge")
    # a flip is a view of the same memory
    f = ops.flip(x, -1)
    assert f.numpy().base is not None and np.shares_memory(f.numpy(), x.numpy())


@pytest.mark.parametrize("num,endpoint", [(5, True), (5, False), (1, True), (0, True), (50, True), (7, False)])
def test_linspace(num, endpoint):
    got, step = ops.linspace(-1.5, 2.0, num, endpoint=endpoint, retstep=True)
    exp, estep = np.linspace(-1.5, 2.0, num, endpoint=endpoint, retstep=True, dtype=np.float32)
    _eq(got, exp, f"linspace({num}, endpoint={endpoint})")
    assert got.dtype == "float32"
    assert (np.isnan(step) and np.isnan(estep)) or step == pytest.approx(estep)
    _eq(ops.linspace(0, 10, 11, dtype="int64"), np.linspace(0, 10, 11).astype(np.int64), "int dtype")
    with pytest.raises(TypeError, match="linspace: start and stop must be Python numbers"):
        ops.linspace(K.tensor(0.0), 1.0)
