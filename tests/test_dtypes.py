"""Keras's dtype set on the engine: every dtype stored as itself, Keras's promotion lattice
(against real Keras), and the arithmetic of the narrow dtypes (computed in int64 / float32 and
cast back) against NumPy on every dtype pair, on both devices (the GPU holds bool, the integers
and float32: float16, bfloat16 and float64 are a TypeError naming the op)."""
from __future__ import annotations

import itertools

import ml_dtypes
import numpy as np
import pytest

import kerasish as K
from kerasish import _core, ops
from oracle import oracle, real_keras
from test_views_dtypes import BINARY, COMPARE, DEVICES, VIEWS, _np_binary

# every test places its tensors on each device itself (DEVICES): float16 / bfloat16 / float64 data
# start on the CPU, which the GPU-default run would not allow
pytestmark = pytest.mark.cpu_only("tests both devices explicitly; its dtypes start on the CPU")

ALL = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
       "float64"]
NOT_ON_GPU = ("float16", "bfloat16", "float64")
LOW = ("float16", "bfloat16")


def _np_dtype(dt):
    return ml_dtypes.bfloat16 if dt == "bfloat16" else np.dtype(dt)


def _on(device):
    return [d for d in ALL if not (device == "gpu" and d in NOT_ON_GPU)]


def _values(shape, dt, positive=False):
    n = int(np.prod(shape))
    i = np.arange(n)
    if dt == "bool":
        v = i % 3 != 1
    elif dt.startswith("uint"):
        v = (i * 7 + 2) % 11
    elif dt.startswith("int"):
        v = (i * 5 + 3) % 9 - (0 if positive else 4)
    else:
        v = ((i * 0.37 + 0.2) % 2.3) - (0 if positive else 1.1)
    return np.asarray(v).astype(_np_dtype(dt)).reshape(shape)


def _make(kind, dt, device, positive=False):
    base_shape, take = VIEWS[kind]
    base = _values(base_shape, dt, positive)
    t = K.tensor(base).to(device)
    if take is None:
        return np.broadcast_to(base, (2, 3)), ops.broadcast_to(t, (2, 3))
    return take(base), take(t)


def _close(got, exp, what):
    g = got.numpy()
    assert str(g.dtype) == got.dtype, what
    assert g.shape == np.shape(exp), (what, g.shape, np.shape(exp))
    if got.dtype in K.backend.FLOAT_TYPES:
        tol = {"bfloat16": 1e-2, "float16": 1e-3, "float32": 2e-5, "float64": 1e-6}[got.dtype]
        np.testing.assert_allclose(g.astype(np.float64), np.asarray(exp).astype(np.float64), rtol=tol, atol=tol,
                                   equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(g, np.asarray(exp).astype(g.dtype), err_msg=what)


def _expected_binary_dtype(name, da, db):
    r = K.backend.result_type(da, db)
    if name == "divide" and r not in K.backend.FLOAT_TYPES:
        return "float32"
    if r == "bool" and name not in ("add", "multiply", "maximum", "minimum"):
        return "int64"
    return r


# ---------------------------------------------------------------- promotion

@oracle
def test_result_type_is_keras_lattice():
    """Every pair, weak Python types and a few triples against Keras's own lattice code, with its
    mapping of 64-bit results to 32-bit (a JAX default kerasish does not share) switched off."""
    keras = real_keras()
    from keras.src.backend.common import dtypes as kd
    saved = dict(kd.BIT64_TO_BIT32_DTYPE)
    kd.BIT64_TO_BIT32_DTYPE.clear()
    try:
        cases = [(a, b) for a in ALL for b in ALL] + [(a, w) for a in ALL for w in (int, float)]
        cases += [(int,), (float,), (int, float), ("bool", int), ("int8", "uint8", "float16"), ("uint32", "int8", int)]
        for c in cases:
            assert K.backend.result_type(*c) == kd.result_type(*c), c
    finally:
        kd.BIT64_TO_BIT32_DTYPE.update(saved)
    assert keras.backend.result_type("int8", "uint8") == K.backend.result_type("int8", "uint8") == "int16"


def test_standardize_dtype_and_floatx():
    assert K.backend.standardize_dtype(np.int16) == "int16"
    assert K.backend.standardize_dtype(np.dtype("float16")) == "float16"
    assert K.backend.standardize_dtype(ml_dtypes.bfloat16) == "bfloat16"
    assert K.backend.standardize_dtype(None) == "float32"
    with pytest.raises(ValueError, match="Invalid dtype"):
        K.backend.standardize_dtype("float8")
    with pytest.raises(ValueError, match="floatx"):
        K.config.set_floatx("int32")
    try:
        K.config.set_floatx("float16")
        assert K.backend.result_type(int) == "int16" and K.backend.result_type("int8", float) == "float16"
        assert K.layers.Dense(2).dtype == "float16"
        assert ops.convert_to_tensor([1.5, 2.0]).dtype == "float16" and ops.ones((2,)).dtype == "float16"
        assert (K.tensor(np.arange(3)) * 0.5).dtype == "float16"
    finally:
        K.config.set_floatx("float32")


# ---------------------------------------------------------------- storage and conversion

@pytest.mark.parametrize("dt", ALL)
def test_numpy_round_trip_keeps_dtype_and_values(dt):
    a = _values((2, 3), dt)
    t = K.tensor(a)
    assert t.dtype == dt and t.numpy().dtype == _np_dtype(dt)
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal(t.T.numpy(), a.T)
    assert ops.convert_to_tensor(a.tolist(), dtype=dt).dtype == dt
    assert type(t[0, 1].item()) is (bool if dt == "bool" else float if dt in K.backend.FLOAT_TYPES else int)


@pytest.mark.parametrize("device", DEVICES)
def test_cast_every_pair(device):
    """Casts as NumPy's astype: integers wrap to narrower ones, floats truncate, bools are != 0."""
    n = 0
    for src, dst in itertools.product(_on(device), _on(device)):
        vals = {"bool": [True, False, True], "float16": [-2.75, 0.5, 3.25]}.get(src)
        if vals is None:
            vals = [0, 3, 200] if src.startswith("u") else [-3.75, 0.5, 100.25] if src in K.backend.FLOAT_TYPES \
                else [-3, 0, 100]
        a = np.asarray(vals).astype(_np_dtype(src))
        if dst.startswith("u") and src not in ("bool",) and not src.startswith("u"):
            a = np.abs(a)  # NumPy leaves negative floats to unsigned undefined
        got = ops.cast(K.tensor(a).to(device), dst)
        _close(got, a.astype(_np_dtype(dst)), f"{src}->{dst} on {device}")
        n += 1
    assert n == len(_on(device)) ** 2
    # out of range: the low bits
    np.testing.assert_array_equal(ops.cast(K.tensor(np.array([300, -1, 70000])).to(device), "uint8").numpy(),
                                  np.array([300, -1, 70000]).astype(np.uint8))
    np.testing.assert_array_equal(ops.cast(K.tensor(np.array([40000, -40000])).to(device), "int16").numpy(),
                                  np.array([40000, -40000]).astype(np.int16))


def test_gpu_subset_is_stated():
    if "gpu" not in DEVICES:
        pytest.skip("no GPU adapter")
    for dt in NOT_ON_GPU:
        with pytest.raises(TypeError, match=f"{dt} is not supported on the GPU"):
            K.tensor(np.zeros(2, _np_dtype(dt))).to("gpu")
    with pytest.raises(TypeError, match="cast: float16 is not supported on the GPU"):
        ops.cast(K.tensor([1.0]).to("gpu"), "float16")


def test_saved_models_keep_low_precision_and_float64_weights(tmp_path):
    """Weights of float16, bfloat16 and float64 layers survive save / load_model as themselves."""
    model = K.Sequential([K.Input((2,))] + [K.layers.Dense(3, dtype=dt) for dt in ("float16", "bfloat16", "float64")])
    path = str(tmp_path / "m.keras")
    model.save(path)
    back = K.saving.load_model(path)
    assert [w.dtype for w in back.weights] == [w.dtype for w in model.weights] == ["float16"] * 2 + ["bfloat16"] * 2 + [
        "float64"] * 2
    for a, b in zip(model.weights, back.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ---------------------------------------------------------------- arithmetic on every dtype

VIEW_PAIRS = [("contiguous", "contiguous"), ("transpose", "broadcast_row"), ("negative_step", "scalar_view")]


@pytest.mark.parametrize("device", DEVICES)
def test_binary_every_dtype_pair(device):
    n = 0
    for da, db in itertools.product(_on(device), _on(device)):
        for (ka, kb), name in itertools.product(VIEW_PAIRS, BINARY + COMPARE):
            (a, x), (b, y) = _make(ka, da, device), _make(kb, db, device, positive=name in BINARY)
            got = getattr(ops, name)(x, y)
            what = f"{name}({da} {ka}, {db} {kb}) on {device}"
            if name in COMPARE:
                assert got.dtype == "bool", what
                exp = getattr(np, name)(a.astype(np.float64), b.astype(np.float64))
            else:
                assert got.dtype == _expected_binary_dtype(name, da, db), (what, got.dtype)
                dt = got.dtype
                if dt in LOW:
                    # the exact result rounded once (what computing in float32 gives)
                    exp = _np_binary(name, a, b, "float32")
                    exp = None if exp is None else exp.astype(_np_dtype(dt))
                else:
                    exp = _np_binary(name, a, b, dt)
                if exp is None:
                    continue
            _close(got, exp, what)
            n += 1
    assert n > 2000, n


UNARY_KEEP = ["negative", "abs", "square", "relu", "sign", "round", "trunc"]
UNARY_FLOAT = ["sqrt", "exp", "log1p", "tanh", "sigmoid", "sin", "floor", "ceil", "softplus"]


@pytest.mark.parametrize("device", DEVICES)
def test_unary_every_dtype(device):
    from test_views_dtypes import NP_UNARY
    n = 0
    for dt, kind, name in itertools.product(_on(device), ("contiguous", "transpose"), UNARY_KEEP + UNARY_FLOAT):
        if dt == "bool" and name in ("negative", "sign", "round", "trunc", "square", "relu"):
            continue
        a, x = _make(kind, dt, device, positive=name in ("sqrt", "log1p"))
        got = getattr(ops, name)(x)
        keeps = name in UNARY_KEEP and (dt != "bool")
        want = dt if keeps or dt in K.backend.FLOAT_TYPES else "float32"
        if dt == "bool" and name == "abs":
            want = "float32"
        assert got.dtype == want, (name, dt, got.dtype)
        fn = NP_UNARY.get(name) or getattr(np, name)
        compute = np.float32 if want in LOW or want == "float32" else np.dtype(want)
        with np.errstate(all="ignore"):
            exp = np.asarray(fn(a.astype(compute))).astype(_np_dtype(want))
        _close(got, exp, f"{name}({dt} {kind}) on {device}")
        n += 1
    assert n > 200


@pytest.mark.parametrize("device", DEVICES)
def test_reductions_cumsum_matmul_every_dtype(device):
    for dt in _on(device):
        a, x = _make("transpose", dt, device)
        f32 = a.astype(np.float64)
        s = ops.sum(x, axis=0)
        assert s.dtype == (dt if dt in K.backend.FLOAT_TYPES else "int64"), dt
        _close(s, f32.sum(0).astype(s.numpy().dtype), f"sum {dt}")
        m = ops.mean(x, axis=1)
        assert m.dtype == (dt if dt in K.backend.FLOAT_TYPES else "float32")
        _close(m, f32.mean(1).astype(m.numpy().dtype), f"mean {dt}")
        for red in ("max", "min"):
            r = getattr(ops, red)(x, axis=1)
            assert r.dtype == dt
            _close(r, getattr(np, red)(a, axis=1), f"{red} {dt}")
        np.testing.assert_array_equal(ops.argmax(x, axis=0).numpy(), np.argmax(a.astype(np.float64), axis=0))
        np.testing.assert_array_equal(ops.argsort(x, axis=1).numpy(), np.argsort(a.astype(np.float64), axis=1, kind="stable"))
        c = ops.cumsum(x, axis=1)
        assert c.dtype == ("int64" if dt == "bool" else dt)
        _close(c, np.cumsum(f32, axis=1).astype(c.numpy().dtype) if dt != "bool" else np.cumsum(a, 1), f"cumsum {dt}")
        v = ops.var(x, axis=0)
        _close(v, f32.var(0).astype(v.numpy().dtype), f"var {dt}")
        if dt == "bool":
            continue
        mm = ops.matmul(x, ops.transpose(x))
        want = "int32" if dt == "int8" else dt
        assert mm.dtype == want, (dt, mm.dtype)
        exp = f32 @ f32.T
        _close(mm, exp.astype(np.int64).astype(_np_dtype(want)) if want not in K.backend.FLOAT_TYPES
               else exp.astype(_np_dtype(want)), f"matmul {dt}")
    # int8 wraps as int8 arithmetic does; int8 @ int8 accumulates in int32
    i8 = K.tensor(np.array([100, 120], np.int8))
    np.testing.assert_array_equal((i8 + i8).numpy(), np.array([100, 120], np.int8) + np.array([100, 120], np.int8))
    assert int(ops.matmul(i8, i8).numpy()) == 100 * 100 + 120 * 120


def test_low_precision_floats_train_through_float32():
    """float16 / bfloat16 ops round each result once from float32; gradients flow back through
    the casts in the input's dtype."""
    for dt in LOW:
        a = np.linspace(-1, 1, 6).astype(_np_dtype(dt))
        x = K.Variable(K.tensor(a), dtype=dt)
        with K.enable_grad():
            y = ops.sum(ops.tanh(x) * 3.0)
            y.backward()
        assert y.dtype == dt and x.grad.dtype == dt
        g = 3.0 * (1 - np.tanh(a.astype(np.float32)) ** 2)
        np.testing.assert_allclose(x.grad.numpy().astype(np.float32), g, rtol=1e-2, atol=1e-2)
    model = K.Sequential([K.Input((4,)), K.layers.Dense(3, activation="relu", dtype="float16"),
                          K.layers.Dense(2, dtype="float16")])
    out = model(np.ones((5, 4), np.float32))
    assert out.dtype == "float16" and out.shape == (5, 2)


def test_keras_int32_inputs_build_and_run():
    """`Input(shape, dtype="int32")`, as Keras configs carry, into an Embedding."""
    inp = K.Input((4,), dtype="int32")
    out = K.layers.Embedding(10, 3)(inp)
    model = K.Model(inp, out)
    ids = np.array([[1, 2, 3, 9]], np.int32)
    got = model.predict(ids, verbose=0)
    np.testing.assert_allclose(got, model.layers[-1].embeddings.numpy()[ids[0]][None], rtol=1e-6)
    assert (inp != 0).dtype == "bool"
    assert _core.promote_types("uint32", "int8") == "int64"


BITWISE = {"bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor,
           "left_shift": np.left_shift, "right_shift": np.right_shift}
INTS = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("device", DEVICES)
def test_bitwise_every_integer_pair(device):
    """NumPy's bitwise ops in the promoted dtype, on every integer / bool pair and two view pairs;
    shifts by 0 to the width and beyond."""
    n = 0
    for da, db in itertools.product(INTS, INTS):
        for (ka, kb), name in itertools.product(VIEW_PAIRS[:2], BITWISE):
            if "shift" in name and "bool" in (da, db):
                continue
            (a, x), (b, y) = _make(ka, da, device), _make(kb, db, device, positive=True)
            got = getattr(ops, name)(x, y)
            want = K.backend.result_type(da, db)
            assert got.dtype == want, (name, da, db, got.dtype)
            _close(got, BITWISE[name](a.astype(want), b.astype(want)), f"{name}({da} {ka}, {db} {kb}) on {device}")
            n += 1
        if da != "bool":
            a = _values((2, 3), da)
            inv = ops.bitwise_invert(K.tensor(a).to(device))
            _close(inv, np.invert(a), f"invert {da}")
    assert n > 200
    # shifts past the width: 0 to the left, the sign to the right (int8 as int8 would)
    v = np.array([-100, 3, 77], np.int8)
    for s in (0, 1, 7, 8, 9):
        t = K.tensor(v).to(device)
        np.testing.assert_array_equal(ops.left_shift(t, s).numpy(), np.left_shift(v, np.int8(s)) if s < 8 else 0)
        np.testing.assert_array_equal(ops.right_shift(t, s).numpy(), np.right_shift(v, np.int8(min(s, 7))))
    np.testing.assert_array_equal(ops.bitwise_not(K.tensor([True, False])).numpy(), [False, True])
    with pytest.raises(TypeError, match="bitwise_and: takes integer or bool operands, got float32"):
        ops.bitwise_and(K.tensor([1.5]), K.tensor([1]))


@oracle
def test_bitwise_matches_keras():
    keras = real_keras()
    a = np.array([[-7, 3, 100], [0, -128, 127]], np.int8)
    b = np.array([[1, 2, 3], [7, 1, 0]], np.int8)
    for name in BITWISE:
        got = getattr(ops, name)(a, b)
        exp = np.asarray(getattr(keras.ops, name)(a, b))
        assert got.dtype == str(exp.dtype)
        np.testing.assert_array_equal(got.numpy(), exp)
    np.testing.assert_array_equal(ops.bitwise_invert(a).numpy(), np.asarray(keras.ops.bitwise_invert(a)))


def test_argmax_of_an_offset_view_over_all_axes():
    """axis=None on a contiguous view that starts at an offset (t[1:]) counts from the view."""
    a = np.array([[0.0, 9.0, 1.0], [2.0, 3.0, 8.0], [7.0, 4.0, 5.0]], np.float32)
    t = K.tensor(a)
    for key in (np.s_[1:], np.s_[2:], np.s_[1:, ::-1]):
        assert int(ops.argmax(t[key]).numpy()) == int(np.argmax(a[key]))
        assert int(ops.argmin(t[key]).numpy()) == int(np.argmin(a[key]))


# ---------------------------------------------------------------- ops.view (bit reinterpretation)

@pytest.mark.parametrize("device", DEVICES)
def test_view_every_dtype_pair_against_numpy(device):
    """ops.view(x, dtype) equals NumPy's ndarray.view on every pair of dtypes the device holds,
    from contiguous, transposed and strided tensors (NumPy views a contiguous copy of those)."""
    R = np.random.default_rng(5)
    raw = R.integers(0, 256, size=(4, 16), dtype=np.uint8)
    # the GPU holds int64 in 32 bits: random bytes read as int64 do not fit
    dts = [d for d in _on(device) if not (device == "gpu" and d == "int64")]
    n = 0
    for src, dst in itertools.product(dts, dts):
        # bytes that are valid bools wherever a bool is read or written
        base = (raw % 2 if "bool" in (src, dst) else raw).view(_np_dtype(src))
        if src in ("float16", "bfloat16", "float32", "float64"):
            base = np.where(np.isfinite(base.astype(np.float64)), base, 0).astype(_np_dtype(src))
        for kind, take in [("contiguous", lambda a: a), ("transposed", lambda a: a.T), ("strided", lambda a: a[::2])]:
            a = np.ascontiguousarray(take(base))
            x = take(K.tensor(base).to(device))
            size = np.dtype(_np_dtype(dst)).itemsize
            if (a.shape[-1] * a.dtype.itemsize) % size:
                with pytest.raises(ValueError, match="does not split"):
                    ops.view(x, dst)
                continue
            want = a.view(_np_dtype(dst))
            got = ops.view(x, dst)
            assert got.dtype == dst and got.device == device and got.shape == want.shape, (src, dst, kind)
            np.testing.assert_array_equal(np.ascontiguousarray(got.numpy()).view(np.uint8), want.view(np.uint8),
                                          err_msg=f"{src}->{dst} {kind}")
            n += 1
    assert n > 100, n


def test_view_edges():
    x = K.tensor(np.array([1, 2, 3], np.int32))
    np.testing.assert_array_equal(ops.view(x, "float32").numpy(), np.array([1, 2, 3], np.int32).view(np.float32))
    assert ops.view(x) is x or ops.view(x).dtype == "int32"
    with pytest.raises(ValueError, match="0-d"):
        ops.view(K.tensor(np.int32(7)), "int16")
    assert ops.view(K.tensor(np.int32(7)), "float32").shape == ()
    with pytest.raises(ValueError, match="bool values other than 0 and 1"):
        ops.view(K.tensor(np.array([2], np.uint8)), "bool")
    with pytest.raises(TypeError, match="dtype"):
        ops.view(x, "complex64")
    w = K.tensor(np.ones(4, np.float32), requires_grad=True)
    assert not ops.view(w, "int32").requires_grad  # a bit pattern has no gradient
    assert ops.view(K.Input((4,), dtype="int32"), "int16").shape == (None, 8)
