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


# ---------------------------------------------------------------- products, quantiles, searches,
# padding, unique values, windows and the segment reductions (their gradients are in
# test_numpy_more_grads.py; real Keras on JAX is the oracle of their dtypes and arguments)

from oracle import oracle, real_keras  # noqa: E402

F64_ON_GPU = "float64 is not supported on the GPU"


def _i64(a):
    return a.astype(np.int64) if a.dtype.kind in "bu" else a


def _f(dt):
    """Keras's float rule of median/quantile (int64 in floatx)."""
    return dt if dt.startswith("float") else "float32"


def _inexact(dt):
    """JAX's inexact promotion (int64 in float64)."""
    return dt if dt.startswith("float") else "float64" if dt == "int64" else "float32"


# name -> (kerasish op, NumPy reference on the array of the result's compute dtype, result dtype of an input dtype)
REDUCTIONS = {
    "prod": (lambda x: ops.prod(x, 1), lambda a: np.prod(a, 1), lambda d: d if d in ("int64", "float32", "float64") else "int64"),
    "prod_all_keepdims": (lambda x: ops.prod(x, keepdims=True), lambda a: np.prod(a, keepdims=True),
                          lambda d: d if d in ("int64", "float32", "float64") else "int64"),
    "nanprod": (lambda x: ops.nanprod(x, 0), lambda a: np.nanprod(a, 0),
                lambda d: d if d in ("int64", "float32", "float64") else "int64"),
    "cumprod": (lambda x: ops.cumprod(x, 1), lambda a: np.cumprod(a, 1), lambda d: "int64" if d == "bool" else d),
    "cumprod_flat": (ops.cumprod, np.cumprod, lambda d: "int64" if d == "bool" else d),
    "nancumprod": (lambda x: ops.nancumprod(x, 0), lambda a: np.nancumprod(a, 0), lambda d: "int64" if d == "bool" else d),
    "nancumsum": (lambda x: ops.nancumsum(x, 1), lambda a: np.nancumsum(a, 1), lambda d: "int64" if d == "bool" else d),
    "median": (lambda x: ops.median(x, 1), lambda a: np.median(a, 1), _f),
    "median_all": (ops.median, np.median, _f),
    "nanmedian": (lambda x: ops.nanmedian(x, 0), lambda a: np.nanmedian(a, 0), _inexact),
    "quantile": (lambda x: ops.quantile(x, 0.3, axis=1), lambda a: np.quantile(a, 0.3, axis=1), _f),
    "quantile_q1d": (lambda x: ops.quantile(x, K.tensor(np.array([0.0, 0.7, 1.0], "float32")).to(x.device), axis=0),
                     lambda a: np.quantile(a, [0.0, 0.7, 1.0], axis=0), _f),
    "quantile_lower": (lambda x: ops.quantile(x, 0.3, method="lower"), lambda a: np.quantile(a, 0.3, method="lower"), _f),
    "quantile_higher": (lambda x: ops.quantile(x, 0.3, 1, method="higher"),
                        lambda a: np.quantile(a, 0.3, 1, method="higher"), _f),
    "quantile_midpoint": (lambda x: ops.quantile(x, 0.3, 1, method="midpoint"),
                          lambda a: np.quantile(a, 0.3, 1, method="midpoint"), _f),
    "quantile_nearest": (lambda x: ops.quantile(x, 0.3, 1, method="nearest"),
                         lambda a: np.quantile(a, 0.3, 1, method="nearest"), _f),
    "nanquantile": (lambda x: ops.nanquantile(x, 0.8, axis=1, keepdims=True),
                    lambda a: np.nanquantile(a, 0.8, axis=1, keepdims=True), _inexact),
    "percentile": (lambda x: ops.percentile(x, 65.0, axis=(0, 1)), lambda a: np.percentile(a, 65.0, axis=(0, 1)), _inexact),
    "nanpercentile": (lambda x: ops.nanpercentile(x, 20.0, axis=0), lambda a: np.nanpercentile(a, 20.0, axis=0), _inexact),
    "nanargmax": (lambda x: ops.nanargmax(x, 1), lambda a: np.nanargmax(a, 1), lambda d: "int64"),
    "nanargmin_keepdims": (lambda x: ops.nanargmin(x, 0, keepdims=True), lambda a: np.nanargmin(a, 0, keepdims=True),
                           lambda d: "int64"),
    "nanargmax_flat": (ops.nanargmax, np.nanargmax, lambda d: "int64"),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_products_quantiles_every_dtype_and_view(device, name):
    fn, ref, out = REDUCTIONS[name]
    n = 0
    for what, dt, a, x in _views(device):
        want = out(dt)
        if device == "gpu" and want == "float64":
            with pytest.raises(TypeError, match=F64_ON_GPU):
                fn(x)
            continue
        got = fn(x)
        assert got.dtype == want and got.device == device, (what, got.dtype, got.device)
        # values are computed in the result's dtype (integers in int64); positions from x itself
        compute = a.dtype if name.startswith("nanarg") else np.int64 if want in ("int64", "uint8") else want
        exp = np.asarray(ref(a.astype(compute)))
        # integers wrap in the result's dtype, as in Keras
        _eq(got, exp.astype(want) if want == "uint8" else exp, f"{name}({what}) on {device}")
        n += 1
    assert n >= 27


@pytest.mark.parametrize("device", DEVICES)
def test_products_quantiles_nan_and_edge_cases(device):
    a = np.array([[1.5, np.nan, -2.0, 4.0], [np.nan, np.nan, np.nan, np.nan], [3.0, 0.0, 2.0, -1.0]], "float32")
    x = K.tensor(a).to(device)
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        for name in ("nanprod", "nancumprod", "nancumsum", "nanmedian"):
            _eq(getattr(ops, name)(x, axis=1), getattr(np, name)(a, axis=1), f"{name} of NaN rows on {device}")
        _eq(ops.median(x, 1), np.median(a, 1), "a NaN makes the median NaN")
        _eq(ops.quantile(x, 0.25, 1), np.quantile(a, 0.25, 1), "and the quantile")
        _eq(ops.nanquantile(x, [0.25, 0.5], 1), np.nanquantile(a, np.float32([0.25, 0.5]), 1), "nanquantile, several q")
        _eq(ops.nanpercentile(x, 30, 1), np.nanpercentile(a, 30, 1), "nanpercentile")
    # all-NaN slices: -1, as jnp.nanargmax (NumPy raises)
    _eq(ops.nanargmax(x, 1), [3, -1, 0], "nanargmax")
    _eq(ops.nanargmin(x, 1), [2, -1, 3], "nanargmin")
    _eq(ops.prod(K.tensor(np.zeros((0, 3), "float32")).to(device), 0), np.ones(3, "float32"), "an empty product is 1")
    _eq(ops.cumprod(K.tensor(np.array([200, 3, 2], np.uint8)).to(device)), np.array([200, 88, 176], np.uint8), "uint8 wraps")
    _eq(ops.prod(K.tensor([True, True, False]).to(device)), np.int64(0), "bools multiply as ints")
    ints = K.tensor(np.array([[2, 3], [4, 5]])).to(device)
    _eq(ops.prod(ints, 0, dtype="float32"), np.array([8.0, 15.0], "float32"), "prod in a given dtype")
    assert ops.prod(ints, 0, dtype="float32").dtype == "float32" and ops.cumprod(ints, 1, dtype="float32").dtype == "float32"
    if device == "cpu":  # the GPU holds int64 in 32 bits
        _eq(ops.prod(K.tensor(np.arange(1, 31))), np.prod(np.arange(1, 31)), "int64 products wrap as NumPy's")
    _eq(ops.quantile(x[2], [0.5, 1 / 6], method="nearest"), [0.0, -1.0], "nearest: exactly half way takes the lower, as JAX")
    with pytest.raises(ValueError, match="quantile: method must be one of linear, lower, higher, midpoint, nearest"):
        ops.quantile(x, 0.5, method="cubic")
    with pytest.raises(ValueError, match=r"percentile: q must be in \[0, 100\]"):
        ops.percentile(x, 101)
    with pytest.raises(ValueError, match=r"quantile: q must be in \[0, 1\]"):
        ops.quantile(x, [0.5, -0.1])
    with pytest.raises(ValueError, match="median: cannot be computed over an empty axis"):
        ops.median(K.tensor(np.zeros((2, 0), "float32")).to(device), 1)
    with pytest.raises(ValueError, match="prod: repeated axis"):
        ops.prod(x, (1, -1))
    with pytest.raises(ValueError, match="argpartition: kth=4 is out of bounds for an axis of size 4"):
        ops.argpartition(x, 4)
    with pytest.raises(ValueError, match="argpartition: kth must be an integer"):
        ops.argpartition(x, 1.5)


@pytest.mark.parametrize("device", DEVICES)
def test_argpartition_partitions(device):
    r = np.random.default_rng(8)
    for dt in _dtypes_on(device):
        a = r.integers(-5, 6, size=(4, 7)).astype(dt)
        x = K.tensor(a).to(device)
        for kth, axis in ((0, -1), (3, -1), (6, 1), (-2, 1), (1, 0), (5, None)):
            idx = ops.argpartition(x, kth, axis=axis)
            assert idx.dtype == "int64"
            flat = a.reshape(-1) if axis is None else a
            got = np.take_along_axis(flat, idx.numpy(), -1 if axis is None else axis)
            exp = np.partition(flat, kth, -1 if axis is None else axis)
            k = kth % flat.shape[-1 if axis is None else axis]
            kv = np.take(exp, [k], -1 if axis is None else axis)
            np.testing.assert_array_equal(np.take(got, [k], -1 if axis is None else axis), kv)
            left = np.take(got, range(k), -1 if axis is None else axis)
            right = np.take(got, range(k + 1, flat.shape[-1 if axis is None else axis]), -1 if axis is None else axis)
            assert (left <= kv).all() and (right >= kv).all(), (dt, kth, axis)
            np.testing.assert_array_equal(np.sort(idx.numpy(), -1 if axis is None else axis),
                                          np.sort(np.argsort(flat, -1 if axis is None else axis), -1 if axis is None else axis))


def _float_res(*dts):
    return "float64" if "float64" in dts else "float32"


ELEMENTWISE_BINARY = {
    "arctan2": (ops.arctan2, np.arctan2, _float_res),
    "logaddexp2": (ops.logaddexp2, np.logaddexp2, _float_res),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(ELEMENTWISE_BINARY))
def test_elementwise_pairs_every_dtype_pair_and_view(device, name):
    fn, ref, out = ELEMENTWISE_BINARY[name]
    kinds = ["contiguous", "transpose", "negative_step", "strided_offset", "broadcast_col", "scalar_view"]
    n = 0
    for (wa, da, a, x), (wb, db, b, y) in itertools.product(_views(device, kinds), _views(device, kinds)):
        got = fn(x, y)
        want = out(da, db)
        assert got.dtype == want, (wa, wb, got.dtype)
        _eq(got, ref(a.astype(want), b.astype(want)), f"{name}({wa}, {wb}) on {device}")
        n += 1
    assert n >= 100


@pytest.mark.parametrize("device", DEVICES)
def test_ldexp_gcd_lcm_every_dtype_and_view(device):
    kinds = ["contiguous", "transpose", "negative_step", "strided_offset", "broadcast_row"]
    n = 0
    for (wa, da, a, x), (wb, db, b, y) in itertools.product(_views(device, kinds), _views(device, kinds)):
        if db not in ("uint8", "int64"):
            with pytest.raises(TypeError, match="ldexp: the exponent x2 must be an integer tensor"):
                ops.ldexp(x, y)
            continue
        want = _inexact(da)
        if device == "gpu" and want == "float64":
            with pytest.raises(TypeError, match=F64_ON_GPU):
                ops.ldexp(x, y)
        else:
            got = ops.ldexp(x, y)
            assert got.dtype == want, (wa, wb, got.dtype)
            _eq(got, np.ldexp(a.astype(want), b.astype(np.int64)), f"ldexp({wa}, {wb}) on {device}")
            n += 1
        if da in ("uint8", "int64"):
            rd = "int64" if "int64" in (da, db) else "uint8"
            for name in ("gcd", "lcm"):
                got = getattr(ops, name)(x, y)
                assert got.dtype == rd
                _eq(got, getattr(np, name)(a.astype(rd), b.astype(rd)), f"{name}({wa}, {wb}) on {device}")
                n += 1
    assert n >= 60
    with pytest.raises(ValueError, match="gcd: x2 must be an integer tensor, got dtype float32"):
        ops.gcd(K.tensor([4]).to(device), K.tensor([2.0]).to(device))
    with pytest.raises(ValueError, match="lcm: x1 must be an integer tensor, got dtype bool"):
        ops.lcm(K.tensor([True]).to(device), K.tensor([2]).to(device))


@pytest.mark.cpu_only("int64 values beyond 32 bits, which the GPU does not hold")
@pytest.mark.parametrize("device", DEVICES)
def test_elementwise_special_values(device):
    dt = "float32"
    y = np.array([0.0, -0.0, 0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.inf, -np.inf, np.nan, 2.0, 3.0, -3.0, 5.0, 1e-30], dt)
    x = np.array([0.0, 0.0, -0.0, -0.0, 0.0, -0.0, np.inf, np.inf, -np.inf, -np.inf, 1.0, np.nan, -np.inf, np.inf, -1e-30, -7.0],
                 dt)
    ty, tx = K.tensor(y).to(device), K.tensor(x).to(device)
    got = ops.arctan2(ty, tx)
    _eq(got, np.arctan2(y, x), f"arctan2 on {device}")
    np.testing.assert_array_equal(np.signbit(got.numpy()), np.signbit(np.arctan2(y, x)), err_msg="signed zeros")
    _eq(ops.angle(ty), np.angle(y), f"angle on {device}")
    _eq(ops.sinc(ty), np.sinc(y), f"sinc on {device}")
    with np.errstate(all="ignore"):
        _eq(ops.logaddexp2(ty, tx), np.logaddexp2(y, x), f"logaddexp2 on {device}")
        _eq(ops.i0(ty), np.i0(y.astype(np.float64)).astype(dt), f"i0 on {device}")
    big = np.array([0.5, 3.0, 1e30, 1e-30, -2.0, 0.0, np.inf, 1.0], dt)
    e = np.array([120, 127, -200, 200, -149, 300, -5, -126])
    with np.errstate(all="ignore"):
        _eq(ops.ldexp(K.tensor(big).to(device), K.tensor(e).to(device)), np.ldexp(big, e.astype(np.int32)), "ldexp range")
    ints = K.tensor(np.array([12, -18, 0, 0, 1071, -7, 2**40 if device == "cpu" else 2**20])).to(device)
    other = K.tensor(np.array([-8, 12, 5, 0, 462, -7, 3 * 2**10])).to(device)
    _eq(ops.gcd(ints, other), np.gcd(ints.numpy(), other.numpy()), "gcd signs and zeros")
    _eq(ops.lcm(ints, other), np.lcm(ints.numpy(), other.numpy()), "lcm signs and zeros")
    _eq(ops.gcd(ints, 6), np.gcd(ints.numpy(), 6), "gcd with a Python int")


def _same_bits(got, exp, what):
    g, e = got.numpy(), np.asarray(exp).astype(got.numpy().dtype)
    assert g.shape == e.shape, (what, g.shape, e.shape)
    same = ((g == e) & (np.signbit(g) == np.signbit(e))) | (np.isnan(g) & np.isnan(e))
    assert same.all(), (what, g[~same][:5], e[~same][:5])


@pytest.mark.parametrize("device", DEVICES)
def test_nextafter_is_exact(device):
    r = np.random.default_rng(12)
    for dt in ("float32", "float64") if device == "cpu" else ("float32",):
        fi = np.finfo(dt)
        special = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -4.0, fi.tiny, -fi.tiny, fi.smallest_subnormal, -fi.smallest_subnormal,
                   fi.smallest_subnormal * 3, fi.max, -fi.max, np.inf, -np.inf, np.nan, fi.tiny * 2]
        v = np.concatenate([np.array(special, dt), (r.normal(size=300) * 10.0 ** r.integers(-40, 38, 300)).astype(dt)])
        x = K.tensor(v).to(device)
        for target in (np.inf, -np.inf, 0.0, -0.0, 1.0, np.nan):
            with np.errstate(all="ignore"):
                t = np.full_like(v, target)
                _same_bits(ops.nextafter(x, K.tensor(t).to(device)), np.nextafter(v, t), f"{dt} to {target} on {device}")
        _same_bits(ops.nextafter(x, x), v, "equal operands give x2")
        _same_bits(ops.nextafter(K.tensor(np.array([-0.0, 0.0], dt)).to(device), K.tensor(np.array([0.0, -0.0], dt)).to(device)),
                   [0.0, -0.0], "signed zeros")
    kinds = ["contiguous", "transpose", "negative_step", "strided_offset", "broadcast_row", "scalar_view"]
    for (wa, da, a, x), (wb, db, b, y) in itertools.product(_views(device, kinds), _views(device, kinds)):
        want = _inexact(_DT[max(_DT.index(da), _DT.index(db))])
        if device == "gpu" and want == "float64":
            continue
        got = ops.nextafter(x, y)
        assert got.dtype == want, (wa, wb, got.dtype)
        _same_bits(got, np.nextafter(a.astype(want), b.astype(want)), f"nextafter({wa}, {wb}) on {device}")


_DT = ["bool", "uint8", "int64", "float32", "float64"]


UNARY_FLOAT = {
    "angle": (ops.angle, np.angle, lambda d: _float_res(d)),
    "sinc": (ops.sinc, np.sinc, lambda d: _float_res(d)),
    "i0": (ops.i0, np.i0, lambda d: "float64" if d in ("int64", "float64") else "float32"),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(UNARY_FLOAT))
def test_unary_float_composites_every_dtype_and_view(device, name):
    fn, ref, out = UNARY_FLOAT[name]
    for what, dt, a, x in _views(device, list(VIEWS)):
        want = out(dt)
        if device == "gpu" and want == "float64":
            with pytest.raises(TypeError, match=F64_ON_GPU):
                fn(x)
            continue
        got = fn(x)
        assert got.dtype == want, (what, got.dtype)
        _eq(got, ref(a.astype(np.float64)), f"{name}({what}) on {device}")


@pytest.mark.parametrize("device", DEVICES)
def test_searchsorted_digitize_isin(device):
    for what, dt, a, x in _views(device):
        s = np.sort(a.reshape(-1))
        ts = K.tensor(s).to(device)
        for side in ("left", "right"):
            got = ops.searchsorted(ts, x, side=side)
            assert got.dtype == "int64"
            _eq(got, np.searchsorted(s, a, side=side), f"searchsorted {side} ({what}) on {device}")
        bins = np.unique(s)
        _eq(ops.digitize(x, K.tensor(bins).to(device)), np.digitize(a, bins), f"digitize ({what})")
        _eq(ops.digitize(x, K.tensor(bins[::-1].copy()).to(device)), np.digitize(a, bins[::-1]), f"digitize decreasing ({what})")
        probe = a.reshape(-1)[::2]
        _eq(ops.isin(x, K.tensor(probe).to(device)), np.isin(a, probe), f"isin ({what})")
        _eq(ops.isin(x, K.tensor(probe).to(device), invert=True), np.isin(a, probe, invert=True), f"isin invert ({what})")
    nan = np.array([np.nan, -1.0, 2.0, 0.5, np.inf, 2.0], "float32")
    srt = K.tensor(np.array([-1.0, 0.5, 2.0, 2.0, np.inf, np.nan], "float32")).to(device)
    # NaN sorts after every number, as in Keras (NumPy's searchsorted does the same)
    for side in ("left", "right"):
        _eq(ops.searchsorted(srt, K.tensor(nan).to(device), side), np.searchsorted(srt.numpy(), nan, side), f"NaN {side}")
    _eq(ops.digitize(K.tensor(nan).to(device), srt[:5]), np.digitize(nan, srt.numpy()[:5]), "digitize NaN")
    _eq(ops.isin(K.tensor(nan).to(device), K.tensor([np.nan, 2.0]).to(device)), [False, False, True, False, False, True],
        "isin NaN")
    _eq(ops.isin(K.tensor([1, 2]).to(device), K.tensor([1.5, 2.0]).to(device)), [False, True], "isin across dtypes")
    _eq(ops.searchsorted(K.tensor(np.zeros(0, "float32")).to(device), K.tensor([1.0]).to(device)), [0], "empty sequence")
    _eq(ops.digitize(K.tensor([1.0]).to(device), K.tensor(np.zeros(0, "float32")).to(device)), [0], "no bins")
    with pytest.raises(ValueError, match=r"searchsorted: sorted_sequence must be 1-D .* got shape \(2, 2\)"):
        ops.searchsorted(K.tensor(np.ones((2, 2))), K.tensor([1.0]))
    with pytest.raises(ValueError, match="searchsorted: side must be 'left' or 'right', got 'middle'"):
        ops.searchsorted(srt, srt, side="middle")
    with pytest.raises(ValueError, match="digitize: bins must be 1-D"):
        ops.digitize(srt, K.tensor(np.ones((2, 2))))


@pytest.mark.parametrize("device", DEVICES)
def test_histogram(device):
    r = np.random.default_rng(3)
    for dt in _dtypes_on(device):
        a = (r.normal(size=40) * 4).astype(dt) if dt != "bool" else r.integers(0, 2, 40).astype(bool)
        want = _inexact(dt)
        if device == "gpu" and want == "float64":
            with pytest.raises(TypeError, match=F64_ON_GPU):
                ops.histogram(K.tensor(a).to(device))
            continue
        for kw in ({}, {"bins": 7}, {"bins": 4, "range": (-2, 3)}, {"bins": 1}):
            c, e = ops.histogram(K.tensor(a).to(device), **kw)
            nc, ne = np.histogram(a.astype(want), **kw)
            assert c.dtype == e.dtype == want, (dt, c.dtype)
            _eq(e, ne, f"edges {dt} {kw}")
            _eq(c, nc, f"counts {dt} {kw}")
    c, e = ops.histogram(K.tensor(np.array([2.0, 2.0], "float32")).to(device), bins=2)
    _eq(e, [1.5, 2.0, 2.5], "one value widens by 0.5")
    _eq(c, [0.0, 2.0], "counts of one value")
    with pytest.raises(TypeError, match="histogram: `bins` must be an int"):
        ops.histogram(K.tensor([1.0]), bins=2.5)
    with pytest.raises(ValueError, match="histogram: `bins` must be non-negative"):
        ops.histogram(K.tensor([1.0]), bins=-1)
    with pytest.raises(ValueError, match="histogram: `range` must be a tuple of two numbers"):
        ops.histogram(K.tensor([1.0]), range=[0, 1])
    with pytest.raises(ValueError, match="histogram: the second element of `range` must not be below the first"):
        ops.histogram(K.tensor([1.0]), range=(1, 0))
    with pytest.raises(ValueError, match=r"histogram: x must be 1-D, got shape \(2, 2\)"):
        ops.histogram(K.tensor(np.ones((2, 2))))


PAD_MODES = ["constant", "edge", "reflect", "symmetric", "wrap", "linear_ramp", "maximum", "minimum", "mean", "median", "empty"]


def _np_pad(a, widths, mode, **kw):
    if mode == "empty":  # zeros, as JAX (NumPy leaves them uninitialised)
        return np.pad(a, widths, **kw)
    return np.pad(a, widths, mode, **kw)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mode", PAD_MODES)
def test_pad_every_mode_dtype_and_view(device, mode):
    n = 0
    for what, dt, a, x in _views(device):
        if dt == "bool" and mode in ("mean", "median") or mode == "linear_ramp" and not dt.startswith("float"):
            continue  # integer ramps round down as JAX's do (compared with Keras in test_oracle_padding)
        for widths in (((1, 2), (3, 0)), 2, ((4, 5),), (0, 7)):
            got = ops.pad(x, widths, mode=mode)
            assert got.dtype == dt and got.device == device
            _eq(got, _np_pad(a, widths, mode), f"pad {mode} {widths} ({what}) on {device}")
            n += 1
    assert n >= 36


@pytest.mark.parametrize("device", DEVICES)
def test_pad_arguments(device):
    a = np.arange(6, dtype="float32").reshape(2, 3)
    x = K.tensor(a).to(device)
    _eq(ops.pad(x, 1, constant_values=-2.5), np.pad(a, 1, constant_values=-2.5), "a constant")
    _eq(ops.pad(x, ((1, 0), (2, 1)), constant_values=((5, 6), (7, 8))),
        np.pad(a, ((1, 0), (2, 1)), constant_values=((5, 6), (7, 8))), "a constant pair per axis")
    _eq(ops.pad(x, 1, constant_values=(3, 4)), np.pad(a, 1, constant_values=(3, 4)), "one pair for all")
    _eq(ops.pad(x, 1, constant_values=K.tensor(9.0).to(device)), np.pad(a, 1, constant_values=9.0), "a tensor constant")
    _eq(ops.pad(x, [[1], [2]]), np.pad(a, [[1], [2]]), "a width per axis")
    _eq(ops.pad(x, (2,)), np.pad(a, (2,)), "(pad,) for every axis (NumPy's form; Keras on JAX rejects it)")
    _eq(ops.pad(x, 2, mode="circular"), np.pad(a, 2, mode="wrap"), "circular is torch's wrap")
    ints = K.tensor(np.array([1, 2, 2, 4])).to(device)
    _eq(ops.pad(ints, 2, mode="mean"), [2, 2, 1, 2, 2, 4, 2, 2], "an integer mean rounds half to even")
    _eq(ops.pad(K.tensor(np.array([1, 2])).to(device), 1, mode="mean"), [2, 1, 2, 2], "1.5 rounds to 2")
    _eq(ops.pad(K.tensor(np.array([5, 2], np.uint8)).to(device), 1, constant_values=-1),
        np.array([255, 5, 2, 255], np.uint8), "a constant converted as NumPy converts it")
    _eq(ops.pad(K.tensor(np.array([-7, 5])).to(device), 3, mode="linear_ramp"), [0, -3, -5, -7, 5, 3, 1, 0], "ramps round down")
    assert ops.pad(K.tensor(3.0), 2).shape == ()
    with pytest.raises(ValueError, match="pad: mode must be one of constant, edge"):
        ops.pad(x, 1, mode="nearest")
    with pytest.raises(ValueError, match="`constant_values` can only be given with mode='constant'"):
        ops.pad(x, 1, mode="edge", constant_values=1)
    with pytest.raises(ValueError, match="pad: pad_width must be non-negative"):
        ops.pad(x, -1)
    with pytest.raises(TypeError, match="pad: pad_width must be integers"):
        ops.pad(x, 1.5)
    with pytest.raises(ValueError, match="does not fit a tensor of rank 2"):
        ops.pad(x, ((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ValueError, match="pad: cannot extend the empty axis 1"):
        ops.pad(K.tensor(np.zeros((2, 0), "float32")).to(device), 1, mode="edge")


@pytest.mark.parametrize("device", DEVICES)
def test_unique_nonzero_unravel_index(device):
    for what, dt, a, x in _views(device):
        u, i, inv, c = ops.unique(x, return_index=True, return_inverse=True, return_counts=True)
        nu, ni, ninv, nc = np.unique(a, return_index=True, return_inverse=True, return_counts=True)
        assert u.dtype == dt and i.dtype == inv.dtype == c.dtype == "int64"
        for got, exp, part in ((u, nu, "values"), (i, ni, "index"), (inv, ninv.reshape(a.shape), "inverse"), (c, nc, "counts")):
            _eq(got, exp, f"unique {part} ({what}) on {device}")
        ru, ri, rinv, rc = ops.unique(x, axis=1, return_index=True, return_inverse=True, return_counts=True)
        nru, nri, nrinv, nrc = np.unique(a, axis=1, return_index=True, return_inverse=True, return_counts=True)
        parts = ((ru, nru, "values"), (ri, nri, "index"), (rinv, nrinv.reshape(-1), "inverse"), (rc, nrc, "counts"))
        for got, exp, part in parts:
            _eq(got, exp, f"unique axis=1 {part} ({what}) on {device}")
        for got, exp in zip(ops.nonzero(x), np.nonzero(a)):
            assert got.dtype == "int64"
            _eq(got, exp, f"nonzero ({what}) on {device}")
    flat = K.tensor(np.array([5, -1, 13, -13, 0])).to(device)
    # as JAX: negative indices count from the end, out-of-range ones are clipped
    for got, exp in zip(ops.unravel_index(flat, (3, 4)), np.unravel_index(np.array([5, 11, 11, 0, 0]), (3, 4))):
        _eq(got, exp, "unravel_index")
    r = np.random.default_rng(5)
    big = r.integers(0, 2 * 3 * 5 * 7, size=(4, 6))
    for got, exp in zip(ops.unravel_index(K.tensor(big).to(device), (2, 3, 5, 7)), np.unravel_index(big, (2, 3, 5, 7))):
        _eq(got, exp, "unravel_index 4-d")
    assert ops.unravel_index(K.tensor(np.array([7], np.uint8)).to(device), (2, 4))[1].dtype == "uint8"
    for got, exp in zip(ops.unravel_index(7, (2, 4)), (1, 3)):
        assert got.shape == () and int(got) == exp
    rows = np.array([[1, 2, 0], [0, 5, 1], [1, 2, 0], [1, 2, -1], [0, 5, 1]])
    for got, exp in zip(ops.unique(K.tensor(rows).to(device), axis=0, return_counts=True),
                        np.unique(rows, axis=0, return_counts=True)):
        _eq(got, exp, "unique rows")
    nan = K.tensor(np.array([np.nan, 1.0, np.nan, 1.0], "float32")).to(device)
    _eq(ops.unique(nan), [1.0, np.nan, np.nan], "each NaN is unique, as in Keras")
    with pytest.raises(ValueError, match="nonzero: x must have at least one dimension"):
        ops.nonzero(K.tensor(1.0))
    with pytest.raises(ValueError, match="unravel_index: shape must have positive dimensions"):
        ops.unravel_index(K.tensor([1]), (3, 0))
    with pytest.raises(ValueError, match="unique: size must be a non-negative int"):
        ops.unique(nan, size=-1)
    with pytest.raises(ValueError, match="unique: an empty x with a nonzero size needs fill_value"):
        ops.unique(K.tensor(np.zeros(0, "float32")), size=2)
    assert [t.shape for t in ops.nonzero(K.tensor(np.zeros((0, 3), "float32")).to(device))] == [(0,), (0,)]


@pytest.mark.parametrize("device", DEVICES)
def test_unique_with_size(device):
    x = K.tensor(np.array([[3, 1, 2], [1, 3, 5]])).to(device)
    u, i, inv, c = ops.unique(x, return_index=True, return_inverse=True, return_counts=True, size=6)
    # padded as JAX pads: values and indices with the first entry, counts with 0
    _eq(u, [1, 2, 3, 5, 1, 1], "values")
    _eq(i, [1, 2, 0, 5, 1, 1], "index")
    _eq(c, [2, 1, 2, 1, 0, 0], "counts")
    _eq(inv, [[2, 0, 1], [0, 2, 3]], "inverse")
    _eq(ops.unique(x, size=6, fill_value=-1), [1, 2, 3, 5, -1, -1], "fill_value")
    u, c = ops.unique(x, size=2, return_counts=True)
    _eq(u, [1, 2], "truncated")
    _eq(c, [2, 1], "truncated counts")
    _eq(ops.unique(x, size=4), [1, 2, 3, 5], "exact size")


WINDOWS = ["bartlett", "blackman", "hamming", "hanning"]


@pytest.mark.parametrize("m", [0, 1, 2, 3, 8, 33])
def test_windows(m):
    for name in WINDOWS:
        got = getattr(ops, name)(m)
        assert got.dtype == "float32" and got.shape == (m,)
        _eq(got, getattr(np, name)(m), f"{name}({m})")
    for beta in (0.0, 3.5, 14.0):
        _eq(ops.kaiser(m, beta), np.kaiser(m, beta), f"kaiser({m}, {beta})")
    _eq(ops.hamming(K.tensor(m)), np.hamming(m), "a tensor length")


def test_window_errors():
    with pytest.raises(TypeError, match="hanning: symbolic tensors are not supported"):
        ops.hanning(K.Input(()))
    with pytest.raises(TypeError, match="bartlett: the window length must be an integer"):
        ops.bartlett(2.5)


@pytest.mark.parametrize("device", DEVICES)
def test_vectors_and_matrices(device):
    r = np.random.default_rng(11)
    for dt in _dtypes_on(device):
        a = (r.normal(size=(4, 3)) * 3).astype(dt) if dt != "uint8" else r.integers(0, 200, (4, 3)).astype(dt)
        b = (r.normal(size=(4, 3)) * 3).astype(dt) if dt != "uint8" else r.integers(0, 200, (4, 3)).astype(dt)
        if dt == "bool":
            a, b = a > 0, b > 0
        x, y = K.tensor(a).to(device), K.tensor(b).to(device)
        inexact = _inexact(dt)
        if not (device == "gpu" and inexact == "float64"):
            c = ops.correlate(x[0], y[1, :2], "full")
            assert c.dtype == inexact
            for mode in ("valid", "same", "full"):
                for p, q in ((a[:, 0], b[1, :2]), (a[1, :2], b[:, 2]), (a[:, 1], b[:, 2])):
                    _eq(ops.correlate(K.tensor(p).to(device), K.tensor(q).to(device), mode),
                        np.correlate(p.astype(inexact), q.astype(inexact), mode), f"correlate {mode} {dt}")
            cc = ops.corrcoef(x)
            assert cc.dtype == inexact
            if dt != "bool":
                with np.errstate(all="ignore"):
                    _eq(cc, np.clip(np.corrcoef(a.astype(np.float64)), -1, 1), f"corrcoef {dt}")
            _eq(ops.trapezoid(x), np.trapezoid(a.astype(inexact)), f"trapezoid {dt}")
            pts = np.array([0.0, 1.0, 3.5], "float32")
            _eq(ops.trapezoid(x, K.tensor(pts).to(device), axis=1), np.trapezoid(a.astype(inexact), pts, axis=1),
                f"trapezoid x {dt}")
            _eq(ops.trapezoid(x, dx=0.25, axis=0), np.trapezoid(a.astype(inexact), dx=0.25, axis=0), f"trapezoid dx {dt}")
        if dt != "bool":
            got = ops.cross(x, y)
            assert got.dtype == dt
            _eq(got, np.cross(_i64(a), _i64(b)).astype(dt), f"cross {dt}")
            _eq(ops.cross(x, y[:, :2]), np.cross(_i64(a), np.concatenate([_i64(b)[:, :2], 0 * _i64(b)[:, :1]], 1)).astype(dt),
                f"cross 3 x 2 {dt}")
            _eq(ops.cross(x[:, :2], y[:, :2]), (_i64(a)[:, 0] * _i64(b)[:, 1] - _i64(a)[:, 1] * _i64(b)[:, 0]).astype(dt),
                f"cross 2 x 2 {dt}")
            _eq(ops.cross(ops.transpose(x), y, axisa=0, axisc=0), np.cross(_i64(a).T, _i64(b), axisa=0, axisc=0).astype(dt),
                f"cross axes {dt}")
            v = ops.vander(x[:, 0])
            assert v.dtype == dt
            _eq(v, np.vander(_i64(a[:, 0])).astype(dt), f"vander {dt}")
            _eq(ops.vander(x[:, 1], 6, increasing=True), np.vander(_i64(a[:, 1]), 6, increasing=True).astype(dt),
                f"vander N {dt}")
    x = K.tensor(np.ones((2, 3))).to(device) if device == "cpu" else K.tensor(np.ones((2, 3), "float32")).to(device)
    assert ops.vander(x[0], 0).shape == (3, 0)
    with pytest.raises(ValueError, match="correlate: mode must be 'valid', 'same' or 'full'"):
        ops.correlate(x[0], x[1], "circular")
    with pytest.raises(ValueError, match="correlate: x1 and x2 cannot be empty"):
        ops.correlate(x[0, :0], x[1])
    with pytest.raises(ValueError, match="cross: the vectors must have 2 or 3 components"):
        ops.cross(x, K.tensor(np.ones((2, 4))))
    with pytest.raises(TypeError, match="cross: bool operands are not supported"):
        ops.cross(x > 0, x > 0)
    with pytest.raises(ValueError, match="corrcoef: x must be 1-D or 2-D"):
        ops.corrcoef(K.tensor(np.ones((2, 2, 2))))
    with pytest.raises(ValueError, match=r"vander: x must be 1-D, got shape \(2, 3\)"):
        ops.vander(x)
    with pytest.raises(TypeError, match="vander: N must be an int"):
        ops.vander(x[0], 2.0)
    with pytest.raises(ValueError, match="vander: N must be non-negative"):
        ops.vander(x[0], -1)
    with pytest.raises(ValueError, match="trapezoid: x of shape"):
        ops.trapezoid(x, K.tensor(np.ones(2, "float32")).to(device))


def test_get_item_and_vectorize():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = K.tensor(a)
    _eq(ops.get_item(x, [1, slice(0, 2)]), a[1, 0:2], "a list key is a tuple")
    _eq(ops.get_item(x, (Ellipsis, None, 2)), a[..., None, 2], "ellipsis and newaxis")
    _eq(ops.get_item(a.tolist(), 1), a[1], "a nested list")
    sym = ops.get_item(K.Input((3, 4)), [slice(None), 1])
    assert sym.shape == (None, 4)
    calls = []

    def f(p, q):
        calls.append(p.shape)
        return ops.sin(p) * q

    vf = ops.vectorize(f)
    _eq(vf(x, K.tensor(a[0, 0])), np.sin(a) * a[0, 0], "elementwise, broadcast")
    assert len(calls) == 24 and calls[0] == ()
    mv = ops.vectorize(lambda m, v: ops.matmul(m, v), signature="(m,n),(n)->(m)")
    b = np.arange(4.0)
    _eq(mv(x, K.tensor(b)), a @ b, "a gufunc signature")
    two = ops.vectorize(lambda v: (ops.sum(v), ops.max(v)), signature="(n)->(),()")
    s, m = two(x)
    _eq(s, a.sum(-1), "two outputs")
    _eq(m, a.max(-1), "two outputs")
    ex = ops.vectorize(lambda v, k: v * k, excluded={1})
    _eq(ex(x, 3.0), a * 3.0, "an excluded argument passes through")
    assert ops.vectorize(lambda v: v + 1)(K.tensor(np.zeros((0, 2)))).shape == (0, 2)
    with pytest.raises(ValueError, match="vectorize: pyfunc must be callable"):
        ops.vectorize(3)
    with pytest.raises(ValueError, match="vectorize: not a valid gufunc signature"):
        ops.vectorize(f, signature="(m,n)->")
    with pytest.raises(ValueError, match="vectorize: core dimension 'n' is 4 in one argument and 3 in another"):
        mv(x, K.tensor(np.ones(3)))


def _np_segment(data, ids, k, op, empty, dtype):
    out = np.full((k,) + data.shape[1:], empty, dtype=dtype)
    for j in range(k):
        rows = data[ids == j]
        if len(rows):
            out[j] = op(rows.astype(dtype), axis=0)
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_segment_reductions_and_extract_sequences(device):
    r = np.random.default_rng(9)
    ids = np.array([3, 0, 3, 1, 0, 3, 7, -1])
    i64_lo, i64_hi = (-2**63, 2**63 - 1) if device == "cpu" else (-2**31, 2**31 - 1)  # the GPU holds int64 in 32 bits
    lo = {"float32": -np.inf, "float64": -np.inf, "uint8": 0, "bool": False, "int64": i64_lo}
    hi = {"float32": np.inf, "float64": np.inf, "uint8": 255, "bool": True, "int64": i64_hi}
    for dt in _dtypes_on(device):
        data = (r.normal(size=(8, 2)) * 3).astype(dt) if dt != "uint8" else r.integers(1, 9, (8, 2)).astype(dt)
        td, ti = K.tensor(data).to(device), K.tensor(ids).to(device)
        order = np.argsort(ids, kind="stable")
        for d, i, sorted_ in ((td, ti, False), (K.tensor(data[order]).to(device), K.tensor(ids[order]).to(device), True)):
            got = ops.segment_max(d, i, 5, sorted=sorted_)
            assert got.dtype == dt
            _eq(got, _np_segment(data, ids, 5, np.max, lo[dt], dt), f"segment_max {dt} sorted={sorted_}")
            _eq(ops.segment_min(d, i, 5, sorted=sorted_), _np_segment(data, ids, 5, np.min, hi[dt], dt), f"segment_min {dt}")
            if dt != "bool":
                wide = dt if dt.startswith("float") else "int64"
                exp = _np_segment(data, ids, 5, np.prod, 1, wide).astype(dt)
                _eq(ops.segment_prod(d, i, 5, sorted=sorted_), exp, f"segment_prod {dt}")
        _eq(ops.segment_max(td, ti), ops.segment_max(td, ti, 8), "num_segments inferred from the ids")
        seq = (np.arange(2 * 3 * 9) % 7).astype(dt).reshape(2, 3, 9)
        for length, stride in ((3, 2), (4, 1), (9, 5), (2, 7), (10, 1)):
            got = ops.extract_sequences(K.tensor(seq).to(device), length, stride)
            n = 1 + (9 - length) // stride if length <= 9 else 0
            exp = np.zeros((2, 3, 0, length), dt)
            if n:
                exp = np.stack([seq[..., s * stride:s * stride + length] for s in range(n)], -2)
            assert got.dtype == dt
            _eq(got, exp, f"extract_sequences {length} {stride} {dt}")
    with pytest.raises(ValueError, match="segment_max: segment_ids of shape"):
        ops.segment_max(K.tensor(np.ones((3, 2))), K.tensor([0, 1]))
    with pytest.raises(TypeError, match="segment_prod: bool data is not supported"):
        ops.segment_prod(K.tensor([True]), K.tensor([0]), 1)
    with pytest.raises(ValueError, match="extract_sequences: sequence_length"):
        ops.extract_sequences(K.tensor(np.ones(4)), 0, 1)
    with pytest.raises(ValueError, match="extract_sequences: x must have rank >= 1"):
        ops.extract_sequences(K.tensor(1.0), 1, 1)


def test_new_ops_on_symbolic_tensors():
    i = K.Input((6,))
    outs = [ops.prod(i, 1), ops.cumprod(i, 1), ops.median(i, 1), ops.pad(i, ((0, 0), (1, 2)), "reflect"),
            ops.arctan2(i, i), ops.sinc(i), ops.searchsorted(K.tensor([0.0, 1.0]), i), ops.extract_sequences(i, 2, 2),
            ops.nanargmax(i, 1), ops.cross(i[:, :3], i[:, 3:])]
    model = K.Model(i, outs)
    a = np.random.default_rng(2).normal(size=(2, 6)).astype("float32")
    got = model(a)
    exp = [np.prod(a, 1), np.cumprod(a, 1), np.median(a, 1), np.pad(a, ((0, 0), (1, 2)), "reflect"), np.arctan2(a, a),
           np.sinc(a), np.searchsorted([0.0, 1.0], a), np.stack([a[:, 0:2], a[:, 2:4], a[:, 4:6]], 1), np.argmax(a, 1),
           np.cross(a[:, :3], a[:, 3:])]
    for g, e, o in zip(got, exp, outs):
        _eq(g, e, o.name)


# ---------------------------------------------------------------- the same calls on real Keras (JAX)

_KERAS_INT = {"int32": "int64", "uint32": "int64", "uint64": "int64"}  # kerasish's integers are int64 (and uint8)


def _like_keras(got, exp, what, keep_f64=False):
    """got (kerasish) equals Keras's result: its dtype (Keras's int32/uint32/uint64 as int64; with
    `keep_f64`, float64 where Keras on JAX casts float64 operands down to float32), shape and values."""
    if isinstance(exp, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(exp), (what, type(got))
        for k, (g, e) in enumerate(zip(got, exp)):
            _like_keras(g, e, f"{what}[{k}]", keep_f64)
        return
    e = np.asarray(exp)
    want = "float64" if keep_f64 else _KERAS_INT.get(str(e.dtype), str(e.dtype))
    assert got.dtype == want, (what, got.dtype, want)
    g = got.numpy()
    assert g.shape == e.shape, (what, g.shape, e.shape)
    if g.dtype.kind == "f":
        tight = g.dtype == np.float64 and e.dtype == np.float64
        np.testing.assert_allclose(g, e.astype(g.dtype), rtol=1e-10 if tight else 1e-5, atol=1e-12 if tight else 1e-6,
                                   equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(g, e.astype(g.dtype), err_msg=what)


_R = np.random.default_rng(77)
F32 = _R.normal(size=(3, 4)).astype("float32")
F64 = _R.normal(size=(3, 4))
I64 = _R.integers(-5, 6, size=(3, 4))
U8 = _R.integers(0, 20, size=(3, 4)).astype("uint8")
B = I64 > 0
NAN = F32.copy()
NAN[0, 1] = NAN[2, 3] = np.nan
NAN[1] = np.nan
SPECIAL = np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 3.0], "float32")
SPECIAL2 = np.array([-0.0, 0.0, np.inf, -0.0, np.inf, -1.0, 1.0, -np.inf], "float32")
ALL = {"bool": B, "uint8": U8, "int64": I64, "float32": F32, "float64": F64}
METHODS = ["linear", "lower", "higher", "midpoint", "nearest"]


def _cases():
    c = []
    for dt, a in ALL.items():
        c += [(f"angle_{dt}", lambda o, x: o.angle(x), [a], dt == "float64"),
              (f"sinc_{dt}", lambda o, x: o.sinc(x), [a], dt == "float64"),
              (f"i0_{dt}", lambda o, x: o.i0(x), [a], False),
              (f"prod_{dt}", lambda o, x: o.prod(x, axis=1), [a], False),
              (f"prod_keepdims_{dt}", lambda o, x: o.prod(x, axis=(0, 1), keepdims=True), [a], False),
              (f"cumprod_{dt}", lambda o, x: o.cumprod(x), [a], False),
              (f"nancumsum_{dt}", lambda o, x: o.nancumsum(x, axis=0), [a], False),
              (f"nancumprod_{dt}", lambda o, x: o.nancumprod(x, axis=1), [a], False),
              (f"median_{dt}", lambda o, x: o.median(x, axis=1), [a], False),
              (f"nanmedian_{dt}", lambda o, x: o.nanmedian(x), [a], False),
              (f"quantile_{dt}", lambda o, x: o.quantile(x, 0.3, axis=0), [a], False),
              (f"percentile_{dt}", lambda o, x: o.percentile(x, 30.0, axis=0), [a], False),
              (f"nanquantile_{dt}", lambda o, x: o.nanquantile(x, 0.7), [a], False),
              (f"nanpercentile_{dt}", lambda o, x: o.nanpercentile(x, 70.0, axis=1, keepdims=True), [a], False),
              (f"nanargmax_{dt}", lambda o, x: o.nanargmax(x, axis=1), [a], False),
              (f"histogram_{dt}", lambda o, x: o.histogram(x[0], bins=3), [a], False),
              (f"trapezoid_{dt}", lambda o, y: o.trapezoid(y), [a], False),
              (f"corrcoef_{dt}", lambda o, x: o.corrcoef(x), [a], False) if dt != "bool" else None,
              (f"correlate_{dt}", lambda o, x: o.correlate(x[0], x[1, :2], "full"), [a], False),
              (f"pad_{dt}", lambda o, x: o.pad(x, ((1, 2), (0, 3)), mode="symmetric"), [a], False),
              (f"unique_{dt}", lambda o, x: o.unique(x, return_index=True, return_inverse=True, return_counts=True), [a], False),
              (f"nonzero_{dt}", lambda o, x: o.nonzero(x), [a], False),
              (f"isin_{dt}", lambda o, x: o.isin(x, x[1]), [a], False),
              (f"searchsorted_{dt}", lambda o, x: o.searchsorted(np.sort(x.reshape(-1)), x, side="right"), [a], False),
              (f"digitize_{dt}", lambda o, x: o.digitize(x, np.array([-1.0, 0.5, 2.0])), [a], False),
              (f"segment_max_{dt}", lambda o, x: o.segment_max(x, np.array([1, 4, 1]), 3), [a], False),
              (f"segment_min_{dt}", lambda o, x: o.segment_min(x, np.array([0, 0, 2]), 4), [a], False),
              (f"extract_sequences_{dt}", lambda o, x: o.extract_sequences(x, 2, 1), [a], False)]
        if dt != "bool":
            c += [(f"cross_{dt}", lambda o, x: o.cross(x[:, :3], x[:, 1:]), [a], False),
                  (f"vander_{dt}", lambda o, x: o.vander(x[0], 5), [a], False),
                  (f"segment_prod_{dt}", lambda o, x: o.segment_prod(x, np.array([1, 4, 1]), 3), [a], False),
                  (f"ldexp_{dt}", lambda o, x: o.ldexp(x, np.array([3, -2, 0, 9])), [a], False)]
        if dt in ("uint8", "int64"):
            c += [(f"gcd_{dt}", lambda o, x: o.gcd(x, x[::-1]), [a], False),
                  (f"lcm_{dt}", lambda o, x: o.lcm(x, x[:, ::-1]), [a], False),
                  (f"unravel_index_{dt}", lambda o, x: o.unravel_index(x, (4, 5)), [a], False)]
    for da, db in (("int64", "uint8"), ("float32", "int64"), ("float64", "float32"), ("bool", "float32")):
        a, b = ALL[da], ALL[db]
        c += [(f"arctan2_{da}_{db}", lambda o, x, y: o.arctan2(x, y), [a, b], "float64" in (da, db)),
              (f"logaddexp2_{da}_{db}", lambda o, x, y: o.logaddexp2(x, y), [a, b], "float64" in (da, db)),
              (f"trapezoid_x_{da}_{db}", lambda o, y, x: o.trapezoid(y, x[0]), [a, b], False),
              (f"correlate_{da}_{db}", lambda o, x, y: o.correlate(x[0], y[1], "same"), [a, b], False)]
        if "bool" not in (da, db):
            c.append((f"cross_{da}_{db}", lambda o, x, y: o.cross(x[:, :3], y[:, :2]), [a, b], False))
    c += [
        ("arctan2_special", lambda o, y, x: o.arctan2(y, x), [SPECIAL, SPECIAL2], False),
        ("logaddexp2_special", lambda o, y, x: o.logaddexp2(y, x), [SPECIAL, SPECIAL2], False),
        ("angle_special", lambda o, x: o.angle(x), [SPECIAL], False),
        ("sinc_special", lambda o, x: o.sinc(x), [SPECIAL], False),
        ("i0_large", lambda o, x: o.i0(x), [np.array([0.0, 7.9, 8.0, 8.1, 30.0, -50.0, 700.0, np.nan])], False),
        ("ldexp_range", lambda o, x, e: o.ldexp(x, e),
         [np.array([0.75, 1.5, 3.0, -1.0, 0.0], "float32"), np.array([1, 2, 120, -140, 7])], False),
        ("nextafter", lambda o, x, y: o.nextafter(x, y), [SPECIAL, SPECIAL2], False),
        ("nextafter_f64", lambda o, x, y: o.nextafter(x, y), [F64, F64[::-1]], False),
        ("nextafter_ints", lambda o, x, y: o.nextafter(x, y), [I64, U8], False),
        ("nextafter_tiny", lambda o, x, y: o.nextafter(x, y),
         [np.array([0.0, 1e-45, -1e-45, 1.1754944e-38, 3.4028235e38], "float32"),
          np.array([1.0, 0.0, 1.0, 0.0, np.inf], "float32")], False),
        ("gcd_signs", lambda o, x, y: o.gcd(x, y), [np.array([12, -18, 0, 0, 1071]), np.array([-8, 12, 5, 0, 462])], False),
        ("lcm_signs", lambda o, x, y: o.lcm(x, y), [np.array([12, -18, 0, 4, 1071]), np.array([-8, 12, 5, 6, 462])], False),
        ("lcm_u8_wraps", lambda o, x, y: o.lcm(x, y), [np.array([200, 7], "uint8"), np.array([150, 9], "uint8")], False),
        ("prod_dtype", lambda o, x: o.prod(x, axis=0, dtype="float32"), [I64], False),
        ("prod_empty", lambda o, x: o.prod(x[:0], axis=0), [F32], False),
        ("cumprod_dtype", lambda o, x: o.cumprod(x, axis=1, dtype="float32"), [I64], False),
        ("cumprod_u8_wraps", lambda o, x: o.cumprod(x), [np.array([200, 3, 7], "uint8")], False),
        ("nanprod", lambda o, x: o.nanprod(x, axis=1, keepdims=True), [NAN], False),
        ("nancumprod_nan", lambda o, x: o.nancumprod(x), [NAN], False),
        ("nancumsum_nan", lambda o, x: o.nancumsum(x, axis=1), [NAN], False),
        ("median_nan", lambda o, x: o.median(x, axis=1), [NAN], False),
        ("median_keepdims_none", lambda o, x: o.median(x, keepdims=True), [F32], False),
        ("median_axes", lambda o, x: o.median(x, axis=[0, 2]), [_R.normal(size=(2, 3, 4))], False),
        ("nanmedian_nan", lambda o, x: o.nanmedian(x, axis=1, keepdims=True), [NAN], False),
        ("nanargmax_nan", lambda o, x: o.nanargmax(x, axis=1, keepdims=True), [NAN], False),
        ("nanargmin_nan", lambda o, x: o.nanargmin(x, axis=1), [NAN], False),
        ("nanargmin_flat", lambda o, x: o.nanargmin(x), [NAN], False),
        ("nanargmax_infs", lambda o, x: o.nanargmax(x), [np.array([np.nan, -np.inf, -np.inf])], False),
        ("quantile_int_q_list", lambda o, x: o.percentile(x, [10, 90], axis=1), [U8], False),
        # (a float32 q array is left out: jnp.quantile interpolates in q's dtype, float32, even for float64 x)
        ("quantile_q_array", lambda o, x: o.quantile(x, np.array([0.25, 0.5])), [F64], False),
        ("percentile_q_tensor_of_ints", lambda o, x: o.percentile(x, np.array([10, 90]), axis=0), [F32], False),
        ("quantile_nan", lambda o, x: o.quantile(x, [0.2, 0.6], axis=1), [NAN], False),
        ("nanquantile_nan", lambda o, x: o.nanquantile(x, [0.2, 0.6], axis=1), [NAN], False),
        ("searchsorted_nan", lambda o, a, v: o.searchsorted(a, v),
         [np.array([1.0, 2.0, np.nan]), np.array([np.nan, 2.0, 0.0, 3.0])], False),
        ("searchsorted_nan_right", lambda o, a, v: o.searchsorted(a, v, side="right"),
         [np.array([1.0, 2.0, np.nan]), np.array([np.nan, 2.0, 0.0, 3.0])], False),
        ("searchsorted_int_seq", lambda o, a, v: o.searchsorted(a, v), [np.array([-3, 0, 0, 4]), F32], False),
        ("digitize_decreasing_nan", lambda o, x, b: o.digitize(x, b),
         [np.array([0.0, 1.0, 2.5, 4.0, np.nan]), np.array([4.0, 2.0, 1.0])], False),
        ("isin_nan_invert", lambda o, x, y: o.isin(x, y, invert=True),
         [np.array([1.0, np.nan, 2.0]), np.array([np.nan, 2.0])], False),
        ("isin_scalar", lambda o, x: o.isin(x, 2), [I64], False),
        ("histogram_range", lambda o, x: o.histogram(x, bins=3, range=(0, 4)), [np.array([1.0, 2, 2, 3, 10, -5, 4])], False),
        ("histogram_one_value", lambda o, x: o.histogram(x, bins=2), [np.array([2.0, 2.0])], False),
        ("histogram_ints", lambda o, x: o.histogram(x), [np.array([1, 2, 2, 3, 10])], False),
        ("unique_size", lambda o, x: o.unique(x, return_index=True, return_inverse=True, return_counts=True, size=9),
         [I64], False),
        ("unique_size_fill", lambda o, x: o.unique(x, size=7, fill_value=-9), [U8], False),
        ("unique_truncate", lambda o, x: o.unique(x, return_counts=True, size=2), [I64], False),
        ("unique_rows", lambda o, x: o.unique(x, axis=0, return_index=True, return_inverse=True, return_counts=True),
         [np.array([[1, 2], [0, 5], [1, 2], [1, -2]])], False),
        ("unique_columns", lambda o, x: o.unique(x, axis=1, return_counts=True), [np.array([[1, 1, 0, 1], [2, 2, 3, 2]])], False),
        ("unique_nan", lambda o, x: o.unique(x), [np.array([np.nan, 1.0, np.nan, -0.0, 0.0])], False),
        ("unravel_index_wraps_and_clips", lambda o, x: o.unravel_index(x, (3, 4)), [np.array([5, -1, 13, -13, 0])], False),
        ("vander_increasing", lambda o, x: o.vander(x, 3, True), [F64[0]], False),
        ("vander_u8_wraps", lambda o, x: o.vander(x), [np.array([9, 250, 3], "uint8")], False),
        ("trapezoid_x_nd", lambda o, y, x: o.trapezoid(y, x, axis=0), [F64, np.cumsum(np.abs(F32), 0)], False),
        ("trapezoid_dx", lambda o, y: o.trapezoid(y, dx=0.25, axis=0), [I64], False),
        ("cross_2_2", lambda o, x, y: o.cross(x[:, :2], y[:, :2]), [F32, F64], False),
        ("cross_axes", lambda o, x, y: o.cross(x, y, axisa=0, axisb=1, axisc=0), [F32[:, :3], F64[:, :3]], False),
        ("cross_axis", lambda o, x, y: o.cross(x, y, axis=0), [F32[:, :3], F32[:, 1:]], False),
        ("cross_u8_wraps", lambda o, x, y: o.cross(x, y),
         [np.array([[200, 3, 9]], "uint8"), np.array([[1, 250, 4]], "uint8")], False),
        ("correlate_valid_swapped", lambda o, x, y: o.correlate(x[0, :2], y[1]), [F32, F32], False),
        ("correlate_same_long", lambda o, x, y: o.correlate(x[0, :3], y.reshape(-1)[:7], "same"), [F64, F64], False),
        ("corrcoef_1d", lambda o, x: o.corrcoef(x), [F32[0]], False),
        ("corrcoef_wide", lambda o, x: o.corrcoef(x), [_R.normal(size=(5, 3))], False),
        ("segment_max_empty_and_dropped", lambda o, x, i: o.segment_max(x, i, 5), [F32, np.array([3, -1, 9])], False),
        ("segment_prod_sorted", lambda o, x, i: o.segment_prod(x, i, 3, sorted=True), [F64, np.array([0, 0, 2])], False),
        ("extract_sequences_short", lambda o, x: o.extract_sequences(x, 5, 2), [F32], False),
        ("extract_sequences_stride", lambda o, x: o.extract_sequences(x, 2, 3), [_R.normal(size=(2, 2, 10))], False),
        ("get_item", lambda o, x: o.get_item(x, (1, slice(0, 3, 2))), [F32], False),
        ("vectorize", lambda o, m, v: o.vectorize(lambda p, q: o.matmul(p, q), signature="(m,n),(n)->(m)")(m, v),
         [_R.normal(size=(2, 3, 4)), F64[0]], False),
    ]
    for m in METHODS:
        c += [(f"quantile_{m}", lambda o, x, m=m: o.quantile(x, [0.0, 0.25, 0.5, 0.6, 1.0], axis=1, method=m), [F32], False),
              (f"nanpercentile_{m}", lambda o, x, m=m: o.nanpercentile(x, [10.0, 50.0, 75.0], axis=1, method=m), [NAN], False),
              (f"percentile_ties_{m}", lambda o, x, m=m: o.percentile(x, 50.0, method=m, keepdims=True), [I64], False)]
    for mode in PAD_MODES:
        # (integer ramps in 2-D are left out: JAX's compiled ramps round a product such as -15 * 0.6
        # below -9 and floor it to -10; the 1-D ramps below agree)
        for dt in ("float32",) if mode == "linear_ramp" else ("float32", "int64", "uint8"):
            c.append((f"pad_{mode}_{dt}", lambda o, x, mode=mode: o.pad(x, ((2, 5), (3, 1)), mode=mode), [ALL[dt] * 3], False))
        c.append((f"pad_{mode}_1d_wide", lambda o, x, mode=mode: o.pad(x, (7, 9), mode=mode), [np.array([-7, 5, 2])], False))
    c += [("pad_constant_pairs", lambda o, x: o.pad(x, ((1, 0), (2, 1)), constant_values=((5, 6), (7, 8))), [F32], False),
          ("pad_constant_u8_negative", lambda o, x: o.pad(x, 1, constant_values=-1), [U8], False),
          ("pad_constant_float_into_int", lambda o, x: o.pad(x, 1, constant_values=-1.7), [I64], False),
          ("pad_width_pair", lambda o, x: o.pad(x, (2, 1)), [F32], False)]
    for name in ("bartlett", "blackman", "hamming", "hanning"):
        for m in (0, 1, 2, 7):
            c.append((f"{name}_{m}", lambda o, m=m, name=name: getattr(o, name)(m), [], False))
    for m, beta in ((0, 1.0), (1, 5.0), (6, 0.0), (9, 14.0)):
        c.append((f"kaiser_{m}_{beta}", lambda o, m=m, beta=beta: o.kaiser(m, beta), [], False))
    return [x for x in c if x is not None]


ORACLE_CASES = _cases()
# int64 results beyond 32 bits (an empty segment's fill is the int64 minimum) need the CPU
_CPU_ONLY_CASES = ("segment_max_int64", "segment_min_int64")
ORACLE_PARAMS = [pytest.param(*c, marks=pytest.mark.cpu_only("int64 beyond 32 bits")) if c[0] in _CPU_ONLY_CASES else c
                 for c in ORACLE_CASES]


@oracle
@pytest.mark.parametrize("name,fn,args,keep_f64", ORACLE_PARAMS, ids=[c[0] for c in ORACLE_CASES])
def test_like_keras(name, fn, args, keep_f64):
    keras = real_keras()
    exp = fn(keras.ops, *args)
    with np.errstate(all="ignore"):
        got = fn(ops, *[K.tensor(a) for a in args])
    _like_keras(got, exp, name, keep_f64)


@oracle
def test_argpartition_like_keras():
    keras = real_keras()
    for a in (I64, U8, F32, NAN):
        for kth, axis in ((2, -1), (0, 0), (7, None), (-1, 1)):
            exp = np.asarray(keras.ops.argpartition(a, kth, axis=axis))
            got = ops.argpartition(K.tensor(a), kth, axis=axis)
            assert got.dtype == "int64" and str(exp.dtype) == "int32" and got.shape == exp.shape
            # the orders may differ inside each side; the kth values and the two sides agree
            src = a.reshape(-1) if axis is None else a
            ax = -1 if axis is None else axis
            g, e = np.take_along_axis(src, got.numpy(), ax), np.take_along_axis(src, exp, ax)
            k = kth % src.shape[ax]
            np.testing.assert_array_equal(np.take(g, [k], ax), np.take(e, [k], ax))
            np.testing.assert_array_equal(np.sort(np.take(g, range(k), ax), ax), np.sort(np.take(e, range(k), ax), ax))


@oracle
def test_errors_like_keras():
    keras = real_keras()
    for fn, exc in ((lambda o: o.gcd(np.array([1.5]), np.array([2])), ValueError),
                    (lambda o: o.ldexp(np.array([1.0]), np.array([True])), TypeError),
                    (lambda o: o.pad(np.ones(3), 1, mode="edge", constant_values=0), ValueError),
                    (lambda o: o.histogram(np.ones(3), bins=-1), ValueError),
                    (lambda o: o.histogram(np.ones(3), bins=2.0), TypeError),
                    (lambda o: o.vander(np.ones(3), -1), ValueError),
                    (lambda o: o.vander(np.ones(3), 1.0), TypeError),
                    (lambda o: o.cross(np.ones(4), np.ones(3)), ValueError),
                    (lambda o: o.searchsorted(np.ones((2, 2)), np.ones(2)), ValueError),
                    (lambda o: o.vectorize(3), ValueError)):
        with pytest.raises(exc):
            fn(keras.ops)
        with pytest.raises(exc):
            fn(ops)
