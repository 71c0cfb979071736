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
    "argsort": (ops.argsort, lambda a: np.argsort(a, kind="stable")),
    "argsort_0": (lambda x: ops.argsort(x, 0), lambda a: np.argsort(a, 0, kind="stable")),
    "argsort_none": (lambda x: ops.argsort(x, None), lambda a: np.argsort(a, None, kind="stable")),
    "sort": (ops.sort, np.sort),
    "sort_0": (lambda x: ops.sort(x, 0), lambda a: np.sort(a, 0)),
    "cumsum": (ops.cumsum, lambda a: np.cumsum(a.astype(np.int64) if a.dtype.kind in "bu" else a)),
    "cumsum_1": (lambda x: ops.cumsum(x, 1), lambda a: np.cumsum(a.astype(np.int64) if a.dtype.kind in "bu" else a, 1)),
    "tile": (lambda x: ops.tile(x, (2, 1, 3)), lambda a: np.tile(a, (2, 1, 3))),
    "repeat": (lambda x: ops.repeat(x, 2, 0), lambda a: np.repeat(a, 2, 0)),
    "repeat_counts": (lambda x: ops.repeat(x, [(j * 2) % 3 for j in range(x.shape[1])], 1),
                      lambda a: np.repeat(a, [(j * 2) % 3 for j in range(a.shape[1])], 1)),
    "roll": (lambda x: ops.roll(x, (1, -1), (0, 1)), lambda a: np.roll(a, (1, -1), (0, 1))),
    "roll_none": (lambda x: ops.roll(x, 4), lambda a: np.roll(a, 4)),
    "einsum_transpose": (lambda x: ops.einsum("ij->ji", x), lambda a: np.einsum("ij->ji", a)),
    "einsum_sum": (lambda x: ops.einsum("ij->i", x),
                   lambda a: np.einsum("ij->i", a.astype(np.int64) if a.dtype.kind in "bu" else a)),
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
        keeps_dtype = name not in ("isnan", "isinf", "isfinite", "logical_not") and not name.startswith("argsort")
        if dt.startswith("float") and keeps_dtype:
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


@pytest.mark.parametrize("device", DEVICES)
def test_top_k_and_in_top_k(device):
    a = np.array([[3.0, 1.0, 3.0, -2.0, 7.0], [np.nan, 0.5, 0.5, 0.25, -1.0]], dtype="float32")
    x = K.tensor(a).to(device)
    v, i = ops.top_k(x, 3)
    assert v.device == i.device == device and i.dtype == "int64"
    # largest first; ties: the lower position first; NaN counts as the largest
    np.testing.assert_array_equal(i.numpy(), [[4, 0, 2], [0, 1, 2]])
    np.testing.assert_array_equal(v.numpy(), [[7.0, 3.0, 3.0], [np.nan, 0.5, 0.5]])
    assert ops.top_k(x, 0)[0].shape == (2, 0)
    with pytest.raises(ValueError, match="top_k: k=6"):
        ops.top_k(x, 6)
    p = K.tensor(np.array([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.9, 0.05, 0.05]], dtype="float32")).to(device)
    t = K.tensor(np.array([2, 0, 1])).to(device)
    np.testing.assert_array_equal(ops.in_top_k(t, p, 1).numpy(), [False, False, False])
    np.testing.assert_array_equal(ops.in_top_k(t, p, 2).numpy(), [True, True, True])  # a tie with the 2nd counts
    with pytest.raises(ValueError, match="in_top_k: expected targets"):
        ops.in_top_k(t, p[0], 1)


def test_gpu_sort_and_cumsum_run_through_the_host_with_one_warning(capfd):
    if "gpu" not in DEVICES:
        pytest.skip("no GPU adapter")
    x = K.tensor(np.array([[3.0, 1.0, 2.0]], dtype="float32")).to("gpu")
    for _ in range(2):
        s, c = ops.sort(x), ops.cumsum(x, 1)
        assert s.device == c.device == "gpu"
        np.testing.assert_array_equal(s.numpy(), [[1.0, 2.0, 3.0]])
        np.testing.assert_array_equal(c.numpy(), [[3.0, 4.0, 6.0]])
    err = capfd.readouterr().err
    for op in ("argsort", "cumsum"):
        assert err.count(f"kerasish: {op} has no gpu kernel yet") <= 1


EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("ij,jk", [(3, 4), (4, 5)]), ("ii->i", [(4, 4)]), ("ii", [(4, 4)]),
    ("ij->", [(3, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]), ("i,j->ij", [(3,), (4,)]), ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ijk,ikl,lm->jm", [(2, 3, 4), (2, 4, 5), (5, 6)]), ("iij->j", [(3, 3, 4)]), ("...i,...i->...", [(2, 3, 4), (3, 4)]),
    ("ab,cd->", [(2, 3), (4, 5)]), ("a b , b c -> c a", [(2, 3), (3, 4)]), ("...ij->...ji", [(2, 1, 3, 4)]),
    ("ij,j", [(3, 4), (4,)]), ("i,i", [(5,), (5,)]), ("bij,jk->bik", [(1, 3, 4), (4, 2)]),
]


@pytest.mark.parametrize("sub,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_matches_numpy(sub, shapes):
    r = np.random.default_rng(1)
    arrs = [r.normal(size=s) for s in shapes]
    _eq(ops.einsum(sub, *[K.tensor(a) for a in arrs]), np.einsum(sub, *arrs), sub)
    ints = [r.integers(-3, 4, size=s) for s in shapes]
    _eq(ops.einsum(sub, *[K.tensor(a) for a in ints]), np.einsum(sub, *ints), sub + " int64")


def test_einsum_errors():
    x = K.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="names 2 operands, got 1"):
        ops.einsum("ij,jk->ik", x)
    with pytest.raises(ValueError, match="does not fit an operand of shape"):
        ops.einsum("ijk->i", x)
    with pytest.raises(ValueError, match="output subscript 'z'"):
        ops.einsum("ij->z", x)


def test_creation_and_unstack():
    _eq(ops.eye(3, 4, 1), np.eye(3, 4, 1, dtype="float32"), "eye")
    _eq(ops.identity(3, "int64"), np.identity(3, dtype=np.int64), "identity")
    _eq(ops.tri(3, 4, -1), np.tri(3, 4, -1, dtype="float32"), "tri")
    _eq(ops.full((2, 3), 1.5), np.full((2, 3), 1.5, "float32"), "full")
    x = K.tensor(np.arange(6).reshape(2, 3))
    _eq(ops.full_like(x, 4), np.full((2, 3), 4), "full_like")
    assert ops.full_like(x, 4).dtype == "int64" and ops.array([1.0, 2.0]).dtype == "float32"
    _eq(ops.array([[1, 2]], dtype="float64"), np.array([[1, 2]], dtype="float64"), "array")
    parts = ops.unstack(x, axis=1)
    assert len(parts) == 3
    for p, e in zip(parts, np.moveaxis(x.numpy(), 1, 0)):
        _eq(p, e, "unstack")
    with pytest.raises(ValueError, match="unstack: num=2 does not match the 3 entries"):
        ops.unstack(x, num=2, axis=1)
    for indexing in ("xy", "ij"):
        for got, exp in zip(ops.meshgrid(K.tensor([1, 2, 3]), K.tensor([4, 5]), K.tensor([6, 7, 8, 9]), indexing=indexing),
                            np.meshgrid([1, 2, 3], [4, 5], [6, 7, 8, 9], indexing=indexing)):
            _eq(got, exp, f"meshgrid {indexing}")


def test_random_dropout_is_the_layers_dropout():
    x = ops.ones((4, 50))
    a = K.random.dropout(x, 0.3, seed=K.random.SeedGenerator(5))
    kept = a.numpy() != 0
    np.testing.assert_allclose(a.numpy()[kept], 1 / 0.7, rtol=1e-6)
    assert 0.5 < kept.mean() < 0.9
    layer = K.layers.Dropout(0.3, seed=5)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), a.numpy())
    shared = K.random.dropout(x, 0.5, noise_shape=(None, 1), seed=3).numpy()
    assert all(len(set(row)) == 1 for row in shared)
    with pytest.raises(ValueError, match="dropout: `rate` must be in"):
        K.random.dropout(x, 1.5)


def _i64(a):
    return a.astype(np.int64) if a.dtype.kind in "bu" else a


def _sig(a):
    return 1 / (1 + np.exp(-a))


def _softplus(a):
    return np.logaddexp(0, a)


# jax.nn's definitions (Keras's JAX backend calls them), written in NumPy
ACTIVATIONS = {
    "relu6": (ops.relu6, lambda a: np.clip(a, 0, 6)),
    "hard_sigmoid": (ops.hard_sigmoid, lambda a: np.clip(a + 3, 0, 6) / 6),
    "hard_silu": (ops.hard_silu, lambda a: a * np.clip(a + 3, 0, 6) / 6),
    "log_sigmoid": (ops.log_sigmoid, lambda a: -_softplus(-a)),
    "softsign": (ops.softsign, lambda a: a / (np.abs(a) + 1)),
    "celu": (lambda x: ops.celu(x, 0.7), lambda a: np.maximum(a, 0) + 0.7 * np.expm1(np.minimum(a, 0) / 0.7)),
    "sparse_plus": (ops.sparse_plus, lambda a: np.where(a <= -1, 0, np.where(a >= 1, a, (a + 1) ** 2 / 4))),
    "sparse_sigmoid": (ops.sparse_sigmoid, lambda a: np.where(a <= -1, 0, np.where(a >= 1, 1, (a + 1) / 2))),
    "squareplus": (ops.squareplus, lambda a: (a + np.sqrt(a * a + 4)) / 2),
    "hard_tanh": (ops.hard_tanh, lambda a: np.clip(a, -1, 1)),
    "soft_shrink": (ops.soft_shrink, lambda a: np.where(a > 0.5, a - 0.5, np.where(a < -0.5, a + 0.5, 0))),
    "hard_shrink": (ops.hard_shrink, lambda a: np.where(np.abs(a) > 0.5, a, 0)),
    "tanh_shrink": (ops.tanh_shrink, lambda a: a - np.tanh(a)),
    "threshold": (lambda x: ops.threshold(x, 0.3, -1.0), lambda a: np.where(a > 0.3, a, -1.0)),
    "count_nonzero": (lambda x: ops.count_nonzero(x, 1), lambda a: np.count_nonzero(a, 1)),
    "diff": (ops.diff, lambda a: np.diff(a.astype(np.int64) if a.dtype.kind in "bu" else a)),
    "diff_2_0": (lambda x: ops.diff(x, 2, 0), lambda a: np.diff(a.astype(np.int64) if a.dtype.kind in "bu" else a, 2, 0)),
    "ptp": (lambda x: ops.ptp(x, 1), lambda a: np.ptp(a.astype(np.int64) if a.dtype == bool else a, 1)),
    "deg2rad": (ops.deg2rad, np.deg2rad),
    "rad2deg": (ops.rad2deg, np.rad2deg),
    "exp2": (ops.exp2, np.exp2),
    "reciprocal": (ops.reciprocal, lambda a: 1.0 / a.astype(np.float32 if a.dtype.kind != "f" else a.dtype)),
    "hypot": (lambda x: ops.hypot(x, x), lambda a: np.hypot(a, a)),
    "logaddexp": (lambda x: ops.logaddexp(x, 1.0), lambda a: np.logaddexp(a, 1.0)),
    "heaviside": (lambda x: ops.heaviside(x, 0.5), lambda a: np.heaviside(a, 0.5)),
    "vdot": (lambda x: ops.vdot(x, x), lambda a: np.vdot(_i64(a), _i64(a))),
    "average_w": (lambda x: ops.average(x, 1, ops.arange(1, x.shape[1] + 1).to(x.device)),
                  lambda a: np.average(a, 1, np.arange(1, a.shape[1] + 1))),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_and_numpy_composites(device, name):
    fn, ref = ACTIVATIONS[name]
    for what, dt, a, x in _views(device):
        got = fn(x)
        # integers and bools that the op computes in float32 are given to NumPy as float32
        with np.errstate(all="ignore"):
            exp = ref(a.astype(got.dtype) if got.dtype.startswith("float") and a.dtype.kind != "f" else a)
        _eq(got, np.asarray(exp), f"{name}({what}) on {device}")


def test_nn_statistics_and_normalization():
    r = np.random.default_rng(3)
    a = r.normal(size=(4, 5, 3))
    x = K.tensor(a)
    m, v = ops.moments(x, [0, 1])
    _eq(m, a.mean((0, 1)), "moments mean")
    _eq(v, a.var((0, 1)), "moments var")
    m, v = ops.moments(x, [1], keepdims=True)
    assert m.shape == (4, 1, 3)
    mean, var, gamma, beta = a.mean((0, 1)), a.var((0, 1)), r.normal(size=3), r.normal(size=3)
    got = ops.batch_normalization(x, K.tensor(mean), K.tensor(var), axis=-1, offset=K.tensor(beta), scale=K.tensor(gamma),
                                  epsilon=1e-3)
    _eq(got, (a - mean) / np.sqrt(var + 1e-3) * gamma + beta, "batch_normalization")
    _eq(ops.normalize(x), a / np.sqrt(np.maximum((a * a).sum(-1, keepdims=True), 1e-14)), "normalize l2")
    _eq(ops.normalize(x, axis=1, order=1), a / np.maximum(np.abs(a).sum(1, keepdims=True), 1e-7), "normalize l1")
    _eq(ops.normalize(x, order=3), a / np.maximum((np.abs(a) ** 3).sum(-1, keepdims=True) ** (1 / 3), 1e-7), "normalize l3")
    with pytest.raises(ValueError, match="Argument `order` must be an int >= 1"):
        ops.normalize(x, order=0)
    b = a + r.normal(scale=0.1, size=a.shape)
    assert float(ops.psnr(x, K.tensor(b), 2.0)) == pytest.approx(20 * np.log10(2.0) - 10 * np.log10(np.mean((a - b) ** 2)))
    with pytest.raises(ValueError, match="must match for PSNR"):
        ops.psnr(x, x[0], 1.0)
    _eq(ops.multi_hot(K.tensor([[0, 2, 2], [3, 1, 1]]), 5), np.array([[1, 0, 1, 0, 0], [0, 1, 0, 1, 0]], "float32"), "multi_hot")
    _eq(ops.multi_hot(K.tensor([1, 3]), 4), np.array([0, 1, 0, 1], "float32"), "multi_hot rank 1")
    h = r.normal(size=(2, 6))
    _eq(ops.glu(K.tensor(h)), h[:, :3] * _sig(h[:, 3:]), "glu")
    with pytest.raises(ValueError, match="glu: the size of axis"):
        ops.glu(K.tensor(np.ones((2, 3))))


def test_stacking_and_products():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6.0, 12.0).reshape(2, 3)
    x, y = K.tensor(a), K.tensor(b)
    _eq(ops.hstack([x, y]), np.hstack([a, b]), "hstack")
    _eq(ops.vstack([x, y]), np.vstack([a, b]), "vstack")
    _eq(ops.vstack([x[0], y[1]]), np.vstack([a[0], b[1]]), "vstack 1-d")
    _eq(ops.hstack([x[0], y[1]]), np.hstack([a[0], b[1]]), "hstack 1-d")
    _eq(ops.append(x, y), np.append(a, b), "append flat")
    _eq(ops.append(x, y, 1), np.append(a, b, 1), "append axis")
    _eq(ops.inner(x, y), np.inner(a, b), "inner")
    _eq(ops.inner(x[0], 2.0), np.inner(a[0], 2.0), "inner scalar")
    _eq(ops.amax(x, 0), np.amax(a, 0), "amax")
    _eq(ops.amin(x), np.amin(a), "amin")
    _eq(ops.average(x), np.average(a), "average")


def _np_scatter(indices, values, shape):
    out = np.zeros(shape, dtype=np.asarray(values).dtype)
    np.add.at(out, tuple(np.asarray(indices).T), values)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_scatter_family(device):
    r = np.random.default_rng(4)
    a = r.normal(size=(3, 4)).astype("float32")
    x = K.tensor(a).to(device)
    idx = np.array([[0, 1], [2, 3], [0, 1], [1, 0]])
    vals = np.array([1.0, 2.0, 3.0, 4.0], dtype="float32")
    ti, tv = K.tensor(idx).to(device), K.tensor(vals).to(device)
    _eq(ops.scatter(ti, tv, (3, 4)), _np_scatter(idx, vals, (3, 4)), "scatter adds repeated indices")
    rows = np.array([[2], [0]])
    rv = r.normal(size=(2, 4)).astype("float32")
    _eq(ops.scatter(K.tensor(rows).to(device), K.tensor(rv).to(device), (3, 4)), _np_scatter(rows, rv, (3, 4)), "rows")
    upd = a.copy()
    for (i, j), v in zip(idx, vals):
        upd[i, j] = v  # the last of repeated indices wins
    _eq(ops.scatter_update(x, ti, tv), upd, "scatter_update")
    _eq(ops.slice(x, (1, 1), (2, 3)), a[1:3, 1:4], "slice")
    blk = np.full((2, 2), -5.0, "float32")
    exp = a.copy()
    exp[1:3, 2:4] = blk
    _eq(ops.slice_update(x, (1, 2), K.tensor(blk).to(device)), exp, "slice_update")
    ints = K.tensor(np.arange(12).reshape(3, 4)).to(device)
    _eq(ops.scatter_update(ints, ti, K.tensor([7, 8, 9, 10]).to(device)),
        np.array([[0, 9, 2, 3], [10, 5, 6, 7], [8, 9, 10, 8]]), "int scatter_update")
    data = r.normal(size=(5, 2)).astype("float32")
    seg = np.array([1, 0, 1, 3, 9])
    exp = np.zeros((4, 2), "float32")
    for s, row in zip(seg, data):
        if s < 4:
            exp[s] += row
    _eq(ops.segment_sum(K.tensor(data).to(device), K.tensor(seg).to(device), 4), exp, "segment_sum drops ids out of range")
    iv = np.array([5, 7, 9, 250], dtype=np.uint8)
    got = ops.scatter(ti, K.tensor(iv).to(device), (3, 4))
    assert got.dtype == "uint8"
    _eq(got, _np_scatter(idx, iv.astype(np.int64), (3, 4)).astype(np.uint8), "integers add up (wrapping)")
    with pytest.raises(IndexError, match="scatter_add: position 12 is out of bounds for a result of 12 elements"):
        ops.scatter(K.tensor([[3, 0]]).to(device), K.tensor([1.0]).to(device), (3, 4))
    with pytest.raises(ValueError, match="slice: a block of 3 from 2 does not fit axis 0"):
        ops.slice(x, (2, 0), (3, 1))
    with pytest.raises(ValueError, match="do not index a tensor of shape"):
        ops.scatter(K.tensor([[0, 0, 0]]).to(device), K.tensor([1.0]).to(device), (3, 4))


def test_control_flow():
    assert ops.cond(K.tensor(True), lambda: 1, lambda: 2) == 1
    assert ops.switch(5, [lambda v: v, lambda v: -v], 3) == -3
    assert ops.fori_loop(0, 4, lambda i, v: v + i, 10) == 16
    assert ops.while_loop(lambda a, b: a < 5, lambda a, b: (a + 1, b * 2), (0, 1)) == (5, 32)
    assert ops.while_loop(lambda a: True, lambda a: a + 1, 0, maximum_iterations=7) == 7
    xs = K.tensor(np.arange(6.0).reshape(3, 2))
    _eq(ops.map(lambda r: ops.sum(r), xs), np.arange(6.0).reshape(3, 2).sum(1), "map")
    carry, ys = ops.scan(lambda c, x: (c + x, c), K.tensor(np.zeros(2)), xs)
    _eq(carry, np.arange(6.0).reshape(3, 2).sum(0), "scan carry")
    _eq(ys, np.cumsum(np.arange(6.0).reshape(3, 2), 0) - np.arange(6.0).reshape(3, 2), "scan ys")
    carry, ys = ops.scan(lambda c, x: (c * 2, None), 1, length=4)
    assert carry == 16 and ys is None
    _, ys = ops.scan(lambda c, x: (c, x), 0, xs, reverse=True)
    _eq(ys, np.arange(6.0).reshape(3, 2), "reverse keeps positions")


MORE = {
    "erf": (ops.erf, lambda a: np.vectorize(__import__("math").erf)(a.astype(np.float64))),
    "erfc": (ops.erfc, lambda a: np.vectorize(__import__("math").erfc)(a.astype(np.float64))),
    "rsqrt": (lambda x: ops.rsqrt(ops.abs(x) + 1), lambda a: 1 / np.sqrt(np.abs(a) + 1)),
    "cbrt": (ops.cbrt, np.cbrt),
    "fabs": (ops.fabs, np.fabs),
    "fliplr": (ops.fliplr, np.fliplr),
    "flipud": (ops.flipud, np.flipud),
    "rot90": (ops.rot90, np.rot90),
    "rot90_2": (lambda x: ops.rot90(x, 2), lambda a: np.rot90(a, 2)),
    "rot90_3": (lambda x: ops.rot90(x, -1, (1, 0)), lambda a: np.rot90(a, -1, (1, 0))),
    "fmod": (lambda x: ops.fmod(x, 3), lambda a: np.fmod(_i64(a), 3)),
    "divide_no_nan": (lambda x: ops.divide_no_nan(1.0, x), lambda a: np.where(a == 0, 0, 1.0 / np.where(a == 0, 1, a))),
    "copy": (ops.copy, np.copy),
    "diag": (ops.diag, np.diag),
    "diag_1d": (lambda x: ops.diag(x[0], -1), lambda a: np.diag(a[0], -1)),
    "diagflat": (lambda x: ops.diagflat(x, 1), lambda a: np.diagflat(a, 1)),
    "kron": (lambda x: ops.kron(x, x), lambda a: np.kron(_i64(a), _i64(a))),
    "isneginf": (ops.isneginf, np.isneginf),
    "isposinf": (ops.isposinf, np.isposinf),
    "signbit": (ops.signbit, np.signbit),
    "nansum": (lambda x: ops.nansum(x, 1), lambda a: np.nansum(_i64(a), 1)),
    "nanmax": (lambda x: ops.nanmax(x, 0), lambda a: np.nanmax(a, 0)),
    "nanmin": (ops.nanmin, np.nanmin),
    "nanmean": (lambda x: ops.nanmean(x, 1), lambda a: np.nanmean(a, 1)),
    "nanvar": (ops.nanvar, np.nanvar),
    "nanstd": (lambda x: ops.nanstd(x, 0), lambda a: np.nanstd(a, 0)),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(MORE))
def test_more_composites(device, name):
    fn, ref = MORE[name]
    for what, dt, a, x in _views(device):
        if dt == "bool" and name in ("fmod", "divide_no_nan", "kron", "nanvar", "nanstd", "nanmean"):
            continue
        got = fn(x)
        with np.errstate(all="ignore"):
            exp = ref(a.astype(got.dtype) if got.dtype.startswith("float") and a.dtype.kind != "f" else a)
        _eq(got, np.asarray(exp), f"{name}({what}) on {device}")


@pytest.mark.parametrize("device", DEVICES)
def test_more_special_values(device):
    a = np.array([[np.nan, 1.0, -0.0], [np.inf, np.nan, -3.0]], dtype="float32")
    x = K.tensor(a).to(device)
    b = np.array([[2.0, np.nan, 1.0], [np.nan, np.nan, -4.0]], dtype="float32")
    y = K.tensor(b).to(device)
    with np.errstate(all="ignore"):
        for name in ("fmax", "fmin"):
            _eq(getattr(ops, name)(x, y), getattr(np, name)(a, b), name)
        for name in ("nansum", "nanmax", "nanmin", "nanmean"):
            _eq(getattr(ops, name)(x, 1), getattr(np, name)(a, 1), name)
        _eq(ops.signbit(x), np.signbit(a), "signbit of -0.0")
        _eq(ops.isneginf(-x), np.isneginf(-a), "isneginf")
    _eq(ops.fmod(K.tensor([-7.0, 7.0, -7.5]).to(device), K.tensor([3.0, -3.0, 2.0]).to(device)),
        np.fmod([-7.0, 7.0, -7.5], [3.0, -3.0, 2.0]), "fmod signs")
    _eq(ops.select([x > 0, x < -1], [x, -x], 5.0), np.select([a > 0, a < -1], [a, -a], 5.0), "select")


def test_splits_stacks_and_spaces():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = K.tensor(a)
    for got, exp in zip(ops.array_split(x, 3, axis=2), np.array_split(a, 3, axis=2)):
        _eq(got, exp, "array_split sections")
    for got, exp in zip(ops.array_split(x, [1, 5], axis=1), np.array_split(a, [1, 5], axis=1)):
        _eq(got, exp, "array_split indices")
    for f in ("hsplit", "vsplit", "dsplit"):
        n = {"hsplit": 3, "vsplit": 2, "dsplit": 2}[f]
        for got, exp in zip(getattr(ops, f)(x, n), getattr(np, f)(a, n)):
            _eq(got, exp, f)
    m = a[0]
    _eq(ops.dstack([K.tensor(m), K.tensor(m)]), np.dstack([m, m]), "dstack")
    _eq(ops.dstack([K.tensor(m[0]), K.tensor(m[1])]), np.dstack([m[0], m[1]]), "dstack 1-d")
    _eq(ops.column_stack([K.tensor(m[0]), K.tensor(m)[:, :1].T[0] if False else K.tensor(m[1])]), np.column_stack([m[0], m[1]]),
        "column_stack")
    _eq(ops.logspace(0, 2, 5), np.logspace(0, 2, 5, dtype="float32"), "logspace")
    _eq(ops.geomspace(1, 1000, 4), np.geomspace(1, 1000, 4, dtype="float32"), "geomspace")
    _eq(ops.geomspace(-2, -32, 5, endpoint=False), np.geomspace(-2, -32, 5, endpoint=False, dtype="float32"), "geomspace neg")
    with pytest.raises(ValueError, match="geomspace: start and stop must be nonzero"):
        ops.geomspace(0, 1)
    _eq(ops.bincount(K.tensor([1, 3, 1, 0])), np.bincount([1, 3, 1, 0]), "bincount")
    _eq(ops.bincount(K.tensor([1, 3, 1]), weights=K.tensor([0.5, 1.0, 2.0]), minlength=6),
        np.bincount([1, 3, 1], weights=[0.5, 1.0, 2.0], minlength=6), "bincount weights")
    with pytest.raises(ValueError, match="bincount: values must be non-negative"):
        ops.bincount(K.tensor([1, -1]))
    assert ops.empty((2, 3)).shape == (2, 3) and ops.empty_like(x).shape == (2, 3, 4)
    assert bool(ops.all(ops.isreal(x))) and float(ops.sum(ops.imag(x))) == 0
    _eq(ops.real(x), a, "real")
    _eq(ops.conjugate(x), a, "conjugate")



def test_layer_and_rms_normalization():
    r = np.random.default_rng(7)
    a = r.normal(size=(3, 4, 5))
    g, b = r.normal(size=5), r.normal(size=5)
    x = K.tensor(a)
    m, v = a.mean(-1, keepdims=True), a.var(-1, keepdims=True)
    _eq(ops.layer_normalization(x, K.tensor(g), K.tensor(b), epsilon=1e-3), (a - m) / np.sqrt(v + 1e-3) * g + b, "layer_norm")
    _eq(ops.layer_normalization(x), (a - m) / np.sqrt(v + 1e-7), "layer_norm bare")
    _eq(ops.layer_normalization(x, K.tensor(g), rms_scaling=True), a / np.sqrt(v + 1e-7) * g, "rms_scaling")
    g2 = r.normal(size=(4, 5))
    m2, v2 = a.mean((1, 2), keepdims=True), a.var((1, 2), keepdims=True)
    _eq(ops.layer_normalization(x, K.tensor(g2), axis=(1, 2)), (a - m2) / np.sqrt(v2 + 1e-7) * g2, "layer_norm two axes")
    g1 = r.normal(size=4)
    m1, v1 = a.mean(1, keepdims=True), a.var(1, keepdims=True)
    _eq(ops.layer_normalization(x, K.tensor(g1), axis=1), (a - m1) / np.sqrt(v1 + 1e-7) * g1[:, None], "layer_norm axis 1")
    _eq(ops.rms_normalization(x, K.tensor(g)), a / np.sqrt((a * a).mean(-1, keepdims=True) + 1e-7) * g, "rms_normalization")
    ints = K.tensor(np.arange(6).reshape(2, 3))
    assert ops.layer_normalization(ints).dtype == "float32"
