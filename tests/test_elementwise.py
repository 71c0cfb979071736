"""Elementwise ops (unary, binary, comparisons, where, clip), Tensor operators and dtype rules,
all against NumPy on random shapes with broadcasting and size-0 / size-1 dims."""
import math
import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kerasish as K
from conftest import assert_close, to_np
from kerasish import ops

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)
pair_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=4)
triple_shapes = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, min_side=0, max_side=4)
seeds = st.integers(0, 2**32 - 1)
float_dtypes = st.sampled_from(["float32", "float64"])

_erf = np.vectorize(math.erf, otypes=[np.float64])
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


# name -> (kerasish call, NumPy float64 reference, input domain (lo, hi))
UNARY = {
    "negative": (ops.negative, lambda x: -x, (-5, 5)),
    "abs": (ops.abs, np.abs, (-5, 5)),
    "square": (ops.square, np.square, (-5, 5)),
    "sqrt": (ops.sqrt, np.sqrt, (0.0, 9)),
    "exp": (ops.exp, np.exp, (-6, 6)),
    "log": (ops.log, np.log, (0.01, 20)),
    "log1p": (ops.log1p, np.log1p, (-0.9, 20)),
    "tanh": (ops.tanh, np.tanh, (-5, 5)),
    "sigmoid": (ops.sigmoid, _sig, (-12, 12)),
    "relu": (ops.relu, lambda x: np.maximum(x, 0), (-5, 5)),
    "leaky_relu": (ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), (-5, 5)),
    "leaky_relu_0.05": (lambda x: ops.leaky_relu(x, negative_slope=0.05), lambda x: np.where(x > 0, x, 0.05 * x), (-5, 5)),
    "elu": (ops.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), (-5, 5)),
    "elu_0.5": (lambda x: ops.elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0))), (-5, 5)),
    "selu": (ops.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))), (-5, 5)),
    "gelu_tanh": (
        ops.gelu,
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        (-5, 5),
    ),
    "gelu_tanh_explicit": (
        lambda x: ops.gelu(x, approximate=True),
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        (-5, 5),
    ),
    "gelu_erf": (lambda x: ops.gelu(x, approximate=False), lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))), (-5, 5)),
    "softplus": (ops.softplus, lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0), (-20, 20)),
    "silu": (ops.silu, lambda x: x * _sig(x), (-10, 10)),
    "swish": (ops.swish, lambda x: x * _sig(x), (-10, 10)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=shapes, seed=seeds, dtype=float_dtypes)
def test_unary_matches_numpy(name, shape, seed, dtype):
    fn, ref, (lo, hi) = UNARY[name]
    x = np.random.default_rng(seed).uniform(lo, hi, size=shape).astype(dtype)
    got = fn(K.tensor(x))
    assert got.dtype == dtype
    assert_close(got, ref(x.astype(np.float64)))


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "softplus", "silu", "gelu_tanh", "gelu_erf", "elu", "selu"])
def test_unary_extreme_values(name):
    fn, ref, _ = UNARY[name]
    x = np.array([-1000.0, -80.0, -30.0, 0.0, 30.0, 80.0, 700.0], dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = ref(x)
    got = to_np(fn(K.tensor(x)))
    assert np.all(np.isnan(got) == np.isnan(expected)), (got, expected)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


def test_unary_sqrt_log_out_of_domain_give_nan_and_inf():
    x = K.tensor(np.array([-1.0, 0.0, 4.0]))
    s = to_np(ops.sqrt(x))
    assert np.isnan(s[0]) and s[1] == 0 and s[2] == 2
    lg = to_np(ops.log(x))
    assert np.isnan(lg[0]) and lg[1] == -np.inf and np.isclose(lg[2], np.log(4))


def test_unary_nan_propagates():
    x = np.array([np.nan, 1.0, -np.inf, np.inf], dtype=np.float32)
    for name in ["negative", "abs", "square", "exp", "tanh", "sigmoid", "relu", "softplus"]:
        fn, ref, _ = UNARY[name]
        with np.errstate(invalid="ignore", over="ignore"):
            expected = ref(x.astype(np.float64))
        got = to_np(fn(K.tensor(x)))
        assert np.isnan(got[0]), name
        np.testing.assert_allclose(got[1:], expected[1:], rtol=1e-6, err_msg=name)


@given(shape=shapes, seed=seeds)
def test_unary_on_ints(shape, seed):
    x = np.random.default_rng(seed).integers(-5, 6, size=shape)
    t = K.tensor(x)
    assert t.dtype == "int64"
    # these keep the integer dtype
    for fn, ref in [(ops.negative, np.negative), (ops.abs, np.abs), (ops.square, np.square),
                    (ops.relu, lambda a: np.maximum(a, 0))]:
        assert_close(fn(t), ref(x), dtype="int64")
    # the others compute in float32
    for fn, ref in [(ops.exp, np.exp), (ops.tanh, np.tanh), (ops.sigmoid, _sig)]:
        assert_close(fn(t), ref(x.astype(np.float64)), dtype="float32")


# ---------------------------------------------------------------- binary ops


def _pymod(a, b):
    return np.mod(a, b)


BINARY = {
    "add": (ops.add, np.add),
    "subtract": (ops.subtract, np.subtract),
    "multiply": (ops.multiply, np.multiply),
    "divide": (ops.divide, np.divide),
    "true_divide": (ops.true_divide, np.divide),
    "maximum": (ops.maximum, np.maximum),
    "minimum": (ops.minimum, np.minimum),
    "floor_divide": (ops.floor_divide, np.floor_divide),
    "mod": (ops.mod, _pymod),
    "power": (ops.power, np.power),
}


def _binary_inputs(name, shapes_, seed, dtype):
    r = np.random.default_rng(seed)
    s1, s2 = shapes_
    if name == "power":
        a = r.uniform(0.1, 3, size=s1)
        b = r.uniform(-2, 2, size=s2)
    else:
        a = r.uniform(-10, 10, size=s1)
        b = r.uniform(-10, 10, size=s2)
        if name in ("divide", "true_divide", "floor_divide", "mod"):
            b = np.where(np.abs(b) < 0.5, 0.5, b)
    return a.astype(dtype), b.astype(dtype)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(bs=pair_shapes, seed=seeds, dtype=float_dtypes)
def test_binary_float_matches_numpy_with_broadcasting(name, bs, seed, dtype):
    fn, ref = BINARY[name]
    a, b = _binary_inputs(name, bs.input_shapes, seed, dtype)
    got = fn(K.tensor(a), K.tensor(b))
    assert got.shape == bs.result_shape
    expected = ref(a, b)  # same dtype as NumPy, so floor/mod edge cases round the same way
    assert_close(got, expected, dtype=dtype, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-5 if name == "mod" else 1e-6)


INT_BINARY = ["add", "subtract", "multiply", "maximum", "minimum", "floor_divide", "mod"]


@pytest.mark.parametrize("name", INT_BINARY)
@given(bs=pair_shapes, seed=seeds)
def test_binary_int_matches_numpy(name, bs, seed):
    fn, ref = BINARY[name]
    r = np.random.default_rng(seed)
    a = r.integers(-20, 21, size=bs.input_shapes[0])
    b = r.integers(-7, 8, size=bs.input_shapes[1])
    if name in ("floor_divide", "mod"):
        b = np.where(b == 0, 3, b)
    got = fn(K.tensor(a), K.tensor(b))
    assert_close(got, ref(a, b), dtype="int64")


@given(bs=pair_shapes, seed=seeds)
def test_int_power_and_int_true_divide(bs, seed):
    r = np.random.default_rng(seed)
    a = r.integers(-5, 6, size=bs.input_shapes[0])
    b = r.integers(0, 4, size=bs.input_shapes[1])
    assert_close(ops.power(K.tensor(a), K.tensor(b)), np.power(a, b), dtype="int64")
    c = np.where(b == 0, 2, b)
    assert_close(ops.divide(K.tensor(a), K.tensor(c)), a / c, dtype="float32")


def test_floor_divide_and_mod_python_semantics_ints():
    a = [7, -7, 7, -7, 0, 6, -6]
    b = [2, 2, -2, -2, 3, 3, -3]
    got_fd = ops.floor_divide(K.tensor(a), K.tensor(b)).tolist()
    got_mod = ops.mod(K.tensor(a), K.tensor(b)).tolist()
    assert got_fd == [x // y for x, y in zip(a, b)]
    assert got_mod == [x % y for x, y in zip(a, b)]
    ta = K.tensor(a)
    assert (ta // 3).tolist() == [x // 3 for x in a]
    assert (ta % 3).tolist() == [x % 3 for x in a]
    assert (ta % -3).tolist() == [x % -3 for x in a]
    assert (100 // K.tensor([7, -7])).tolist() == [100 // 7, 100 // -7]
    assert (100 % K.tensor([7, -7])).tolist() == [100 % 7, 100 % -7]


@pytest.mark.parametrize(
    "a,b",
    [(7.5, 2.0), (-7.5, 2.0), (7.5, -2.0), (-7.5, -2.0), (1.0, 0.1), (0.3, 0.1), (-1.0, 0.1), (5.0, 0.5), (-0.0, 3.0)],
)
def test_floor_divide_and_mod_python_semantics_floats(a, b):
    # float64 tensors, so the engine computes in the same precision as Python's floats
    ta, tb = K.tensor(np.array([a])), K.tensor(np.array([b]))
    fd = ops.floor_divide(ta, tb).tolist()[0]
    md = ops.mod(ta, tb).tolist()[0]
    assert fd == a // b, f"{a} // {b}: got {fd}, Python gives {a // b}"
    assert md == pytest.approx(a % b, abs=1e-15), f"{a} % {b}: got {md}, Python gives {a % b}"
    # the identity a == (a // b) * b + a % b that Python guarantees
    assert fd * b + md == pytest.approx(a, abs=1e-12)


def test_maximum_minimum_nan_propagate():
    a = np.array([np.nan, 1.0, 2.0, np.nan], dtype=np.float32)
    b = np.array([0.0, np.nan, 1.0, np.nan], dtype=np.float32)
    assert_close(ops.maximum(K.tensor(a), K.tensor(b)), np.maximum(a, b))
    assert_close(ops.minimum(K.tensor(a), K.tensor(b)), np.minimum(a, b))


# ---------------------------------------------------------------- comparisons

COMPARE = {
    "equal": (ops.equal, np.equal, operator.eq),
    "not_equal": (ops.not_equal, np.not_equal, operator.ne),
    "less": (ops.less, np.less, operator.lt),
    "less_equal": (ops.less_equal, np.less_equal, operator.le),
    "greater": (ops.greater, np.greater, operator.gt),
    "greater_equal": (ops.greater_equal, np.greater_equal, operator.ge),
}


@pytest.mark.parametrize("name", sorted(COMPARE))
@given(bs=pair_shapes, seed=seeds, dtype=st.sampled_from(["float32", "float64", "int64"]))
def test_comparisons(name, bs, seed, dtype):
    fn, ref, pyop = COMPARE[name]
    r = np.random.default_rng(seed)
    a = r.integers(-2, 3, size=bs.input_shapes[0]).astype(dtype)  # small ints: many ties
    b = r.integers(-2, 3, size=bs.input_shapes[1]).astype(dtype)
    got = fn(K.tensor(a), K.tensor(b))
    assert_close(got, ref(a, b), dtype="bool")
    got_op = pyop(K.tensor(a), K.tensor(b))
    assert_close(got_op, ref(a, b), dtype="bool")
    # Python scalars on either side
    assert_close(pyop(K.tensor(a), 1), ref(a, 1), dtype="bool")
    assert_close(fn(1, K.tensor(b)), ref(1, b), dtype="bool")


def test_comparisons_with_nan():
    a = np.array([np.nan, 1.0, np.nan], dtype=np.float32)
    b = np.array([np.nan, np.nan, 1.0], dtype=np.float32)
    for name, (fn, ref, _) in COMPARE.items():
        assert_close(fn(K.tensor(a), K.tensor(b)), ref(a, b), dtype="bool")


def test_compare_int_with_float_scalar():
    t = K.tensor([1, 2, 3])
    assert_close(t < 2.5, np.array([True, True, False]), dtype="bool")
    assert_close(ops.equal(t, 2.0), np.array([False, True, False]), dtype="bool")


# ---------------------------------------------------------------- where and clip


@given(bs=triple_shapes, seed=seeds, dtype=float_dtypes)
def test_where_broadcasts_three_ways(bs, seed, dtype):
    r = np.random.default_rng(seed)
    c = r.random(bs.input_shapes[0]) > 0.5
    a = r.normal(size=bs.input_shapes[1]).astype(dtype)
    b = r.normal(size=bs.input_shapes[2]).astype(dtype)
    assert_close(ops.where(K.tensor(c), K.tensor(a), K.tensor(b)), np.where(c, a, b), dtype=dtype)


def test_where_with_scalars_and_numeric_condition():
    c = np.array([[1, 0, 2], [0, 0, 5]])
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    assert_close(ops.where(K.tensor(c), K.tensor(x), -1.0), np.where(c, x, -1.0), dtype="float32")
    assert_close(ops.where(K.tensor(c) > 0, 0.5, K.tensor(x)), np.where(c > 0, 0.5, x))


@given(shape=shapes, seed=seeds, dtype=float_dtypes)
def test_clip_scalars(shape, seed, dtype):
    x = np.asarray(np.random.default_rng(seed).normal(size=shape) * 3, dtype=dtype)
    assert_close(ops.clip(K.tensor(x), -1.0, 2.0), np.clip(x, -1.0, 2.0), dtype=dtype)


@given(bs=triple_shapes, seed=seeds)
def test_clip_tensor_bounds_broadcast(bs, seed):
    r = np.random.default_rng(seed)
    x = r.normal(size=bs.input_shapes[0]).astype(np.float32) * 3
    lo = r.uniform(-2, 0, size=bs.input_shapes[1]).astype(np.float32)
    hi = r.uniform(0, 2, size=bs.input_shapes[2]).astype(np.float32)
    assert_close(ops.clip(K.tensor(x), K.tensor(lo), K.tensor(hi)), np.clip(x, lo, hi))


def test_clip_ints_keep_int_dtype():
    x = np.arange(-5, 6)
    assert_close(ops.clip(K.tensor(x), -2, 3), np.clip(x, -2, 3), dtype="int64")


# ---------------------------------------------------------------- operators and dtype rules

OPERATORS = [
    ("+", operator.add),
    ("-", operator.sub),
    ("*", operator.mul),
    ("/", operator.truediv),
    ("//", operator.floordiv),
    ("%", operator.mod),
    ("**", operator.pow),
]


@pytest.mark.parametrize("sym,op", OPERATORS)
@given(bs=pair_shapes, seed=seeds)
def test_tensor_operators_float(sym, op, bs, seed):
    r = np.random.default_rng(seed)
    a = r.uniform(0.5, 3, size=bs.input_shapes[0]).astype(np.float32)
    b = r.uniform(0.5, 3, size=bs.input_shapes[1]).astype(np.float32)
    ta, tb = K.tensor(a), K.tensor(b)
    assert_close(op(ta, tb), op(a, b), dtype="float32", atol=1e-5)
    # Python scalars on either side keep float32
    assert_close(op(ta, 1.5), op(a, np.float32(1.5)), dtype="float32", atol=1e-5)
    assert_close(op(1.5, tb), op(np.float32(1.5), b), dtype="float32", atol=1e-5)
    assert_close(op(ta, 2), op(a, np.float32(2)), dtype="float32", atol=1e-5)
    assert_close(op(2, tb), op(np.float32(2), b), dtype="float32", atol=1e-5)


@pytest.mark.parametrize("sym,op", [o for o in OPERATORS if o[0] not in ("/",)])
def test_tensor_operators_int(sym, op):
    a = np.array([[7, -7, 3], [0, 5, -2]])
    b = np.array([2, -3, 1]) if sym != "**" else np.array([2, 3, 1])
    ta, tb = K.tensor(a), K.tensor(b)
    assert_close(op(ta, tb), op(a, b), dtype="int64")
    assert_close(op(ta, 2), op(a, 2), dtype="int64")
    if sym != "**":
        assert_close(op(9, tb), op(9, b), dtype="int64")


def test_unary_operators_and_abs():
    a = np.array([[-1.5, 2.0], [0.0, -3.25]], dtype=np.float32)
    t = K.tensor(a)
    assert_close(-t, -a, dtype="float32")
    assert_close(abs(t), np.abs(a), dtype="float32")
    assert_close(+t, a, dtype="float32")
    ti = K.tensor([[-1, 2]])
    assert_close(-ti, np.array([[1, -2]]), dtype="int64")
    assert_close(abs(ti), np.array([[1, 2]]), dtype="int64")


def test_matmul_operator():
    r = np.random.default_rng(0)
    a = r.normal(size=(3, 4)).astype(np.float32)
    b = r.normal(size=(4, 2)).astype(np.float32)
    assert_close(K.tensor(a) @ K.tensor(b), a @ b, dtype="float32")
    assert_close(a @ K.tensor(b), a @ b)  # NumPy array on the left
    assert_close(K.tensor(a) @ b, a @ b)


@pytest.mark.parametrize("sym,op", [("==", operator.eq), ("!=", operator.ne), ("<", operator.lt), ("<=", operator.le),
                                    (">", operator.gt), (">=", operator.ge)])
def test_comparison_operators_with_scalars_on_either_side(sym, op):
    a = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    t = K.tensor(a)
    assert_close(op(t, 2.0), op(a, 2.0), dtype="bool")
    assert_close(op(2.0, t), op(2.0, a), dtype="bool")
    assert_close(op(t, 2), op(a, 2), dtype="bool")


class TestDtypeRules:
    def test_python_scalar_defaults(self):
        assert K.tensor(1.5).dtype == "float32"
        assert K.tensor(3).dtype == "int64"
        assert K.tensor(True).dtype == "bool"
        assert K.tensor([1.0, 2.0]).dtype == "float32"
        assert K.tensor([1, 2]).dtype == "int64"
        assert K.tensor([[True, False]]).dtype == "bool"

    def test_numpy_dtypes_kept(self):
        assert K.tensor(np.zeros(3, np.float64)).dtype == "float64"
        assert K.tensor(np.zeros(3, np.float32)).dtype == "float32"
        assert K.tensor(np.zeros(3, np.int32)).dtype == "int32"
        assert K.tensor(np.zeros(3, np.int64)).dtype == "int64"
        assert K.tensor(np.zeros(3, np.uint8)).dtype == "uint8"
        assert K.tensor(np.zeros(3, np.float16)).dtype == "float16"
        assert K.tensor(np.zeros(3, np.uint64)).dtype == "int64"  # the one NumPy integer kerasish lacks
        assert K.tensor(np.zeros(3, bool)).dtype == "bool"

    def test_numpy_scalars_keep_their_dtype(self):
        # NumPy scalars are typed like 0-d arrays (np.float64 subclasses float, but is not a Python float)
        assert K.tensor(np.float64(1.5)).dtype == "float64"
        assert K.tensor(np.float32(1.5)).dtype == "float32"
        assert K.tensor(np.int32(3)).dtype == "int32"
        assert K.tensor(np.bool_(True)).dtype == "bool"
        assert K.tensor(np.float64(1.5)).shape == ()

    def test_float32_plus_python_float_stays_float32(self):
        t = K.tensor(np.ones(3, np.float32))
        for r in (t + 1.5, 1.5 + t, t * 0.1, t - 2.5, 2.5 - t, t / 3.0, 3.0 / t, t ** 2.0, t + 1, 2 * t):
            assert r.dtype == "float32"

    def test_float64_plus_python_scalar_stays_float64(self):
        t = K.tensor(np.ones(3, np.float64))
        for r in (t + 1.5, 1.5 + t, t * 2, t / 3):
            assert r.dtype == "float64"

    def test_int_tensor_with_python_float_gives_float32(self):
        t = K.tensor([1, 2, 3])
        r = t + 1.5
        assert r.dtype == "float32"
        assert_close(r, np.array([2.5, 3.5, 4.5]))
        r = 0.5 * t
        assert r.dtype == "float32"
        assert_close(r, np.array([0.5, 1.0, 1.5]))
        assert ops.add(t, 0.25).dtype == "float32"

    def test_int_tensor_with_python_int_stays_int64(self):
        t = K.tensor([1, 2, 3])
        assert (t + 1).dtype == "int64"
        assert (2 * t).dtype == "int64"
        assert (t // 2).dtype == "int64"

    def test_int_true_division_gives_float32(self):
        a, b = K.tensor([1, 2, 3]), K.tensor([2, 2, 2])
        for r in (a / b, ops.divide(a, b), a / 2, 3 / b):
            assert r.dtype == "float32"
        assert_close(a / b, np.array([0.5, 1.0, 1.5]))
        assert_close(3 / b, np.array([1.5, 1.5, 1.5]))

    def test_mixed_tensor_promotion(self):
        f32 = K.tensor(np.ones(2, np.float32))
        f64 = K.tensor(np.ones(2, np.float64))
        i64 = K.tensor([1, 2])
        assert (f32 + f64).dtype == "float64"
        assert (f32 + i64).dtype == "float32"
        assert (i64 + f64).dtype == "float64"
        b = K.tensor([True, False])
        assert (b + i64).dtype == "int64"

    def test_ops_on_plain_python_values(self):
        assert ops.add(1.5, 2).dtype == "float32"
        assert ops.add(1, 2).dtype == "int64"
        assert ops.multiply([1.0, 2.0], [3.0, 4.0]).tolist() == [3.0, 8.0]
