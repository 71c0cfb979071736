"""matmul, dot and the shape ops (transpose, reshape, expand_dims, squeeze, broadcast_to,
concatenate, stack, split) and gathers (one_hot, take, take_along_axis) against NumPy."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kerasish as K
from conftest import assert_close
from kerasish import ops
from oracle import oracle, real_keras

seeds = st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------- matmul / dot


@st.composite
def matmul_shapes(draw):
    m, k, n = draw(st.integers(0, 4)), draw(st.integers(0, 4)), draw(st.integers(0, 4))
    kind = draw(st.sampled_from(["vv", "vm", "mv", "mm", "batched"]))
    if kind == "vv":
        return (k,), (k,)
    if kind == "vm":
        batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
        return (k,), tuple(batch) + (k, n)
    if kind == "mv":
        batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
        return tuple(batch) + (m, k), (k,)
    if kind == "mm":
        return (m, k), (k, n)
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3))
    return tuple(bs.input_shapes[0]) + (m, k), tuple(bs.input_shapes[1]) + (k, n)


@given(shapes=matmul_shapes(), seed=seeds, dtype=st.sampled_from(["float32", "float64"]))
def test_matmul_matches_numpy(shapes, seed, dtype):
    r = np.random.default_rng(seed)
    a = r.normal(size=shapes[0]).astype(dtype)
    b = r.normal(size=shapes[1]).astype(dtype)
    expected = np.matmul(a.astype(np.float64), b.astype(np.float64))
    got = ops.matmul(K.tensor(a), K.tensor(b))
    assert got.dtype == dtype
    assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert_close(K.tensor(a) @ K.tensor(b), expected, rtol=1e-5, atol=1e-5)


def test_matmul_ints():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4) - 5
    assert_close(ops.matmul(K.tensor(a), K.tensor(b)), a @ b, dtype="int64")


def test_matmul_on_transposed_and_sliced_views():
    r = np.random.default_rng(3)
    a = r.normal(size=(5, 6)).astype(np.float32)
    b = r.normal(size=(7, 5)).astype(np.float32)
    ta, tb = K.tensor(a), K.tensor(b)
    assert_close(ta.T @ tb.T, a.T @ b.T, atol=1e-5)
    assert_close(ta[::2, ::-1] @ tb[1:7, ::-2], a[::2, ::-1] @ b[1:7, ::-2], atol=1e-5)
    c = r.normal(size=(3, 1, 4, 5)).astype(np.float32)
    tc = K.tensor(c)
    assert_close(ops.broadcast_to(tc, (3, 2, 4, 5)) @ ta, np.broadcast_to(c, (3, 2, 4, 5)) @ a, atol=1e-5)


def test_matmul_large_matches_numpy():
    r = np.random.default_rng(4)
    a = r.normal(size=(2, 130, 70)).astype(np.float32)
    b = r.normal(size=(70, 90)).astype(np.float32)
    assert_close(ops.matmul(K.tensor(a), K.tensor(b)), a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


@st.composite
def dot_shapes(draw):
    kind = draw(st.sampled_from(["scalar_l", "scalar_r", "vv", "mv", "vm", "mm", "nd"]))
    k = draw(st.integers(0, 4))
    side = st.integers(0, 3)
    if kind == "scalar_l":
        return (), tuple(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)))
    if kind == "scalar_r":
        return tuple(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))), ()
    if kind == "vv":
        return (k,), (k,)
    if kind == "mv":
        return (draw(side), k), (k,)
    if kind == "vm":
        return (k,), (k, draw(side))
    if kind == "mm":
        return (draw(side), k), (k, draw(side))
    a_lead = tuple(draw(st.lists(side, min_size=0, max_size=2)))
    b_lead = tuple(draw(st.lists(side, min_size=1, max_size=2)))
    return a_lead + (k,), b_lead + (k, draw(side))


@given(shapes=dot_shapes(), seed=seeds)
def test_dot_matches_numpy(shapes, seed):
    r = np.random.default_rng(seed)
    a = r.normal(size=shapes[0]).astype(np.float32)
    b = r.normal(size=shapes[1]).astype(np.float32)
    expected = np.dot(a.astype(np.float64), b.astype(np.float64))
    assert_close(ops.dot(K.tensor(a), K.tensor(b)), expected, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- transpose / reshape / dims


@st.composite
def shape_and_perm(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4))
    nd = len(shape)
    perm = draw(st.permutations(range(nd)))
    perm = [p - nd if draw(st.booleans()) else p for p in perm]
    return shape, perm


@given(sp=shape_and_perm(), seed=seeds)
def test_transpose(sp, seed):
    shape, perm = sp
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    t = K.tensor(x)
    assert_close(ops.transpose(t), np.transpose(x))
    assert_close(ops.transpose(t, axes=None), np.transpose(x))
    assert_close(ops.transpose(t, perm), np.transpose(x, perm))
    assert_close(t.T, x.T)
    assert_close(t.transpose(), x.transpose())
    if perm:
        assert_close(t.transpose(*perm), x.transpose(*perm))
        assert_close(t.transpose(tuple(perm)), x.transpose(tuple(perm)))


@st.composite
def shape_and_reshape(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    n = int(np.prod(shape))
    # factor n into a random new shape
    factors = []
    rest = n
    for _ in range(draw(st.integers(0, 3))):
        divs = [d for d in range(1, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divs))
        factors.append(d)
        rest //= d
    factors.append(rest)
    factors = draw(st.permutations(factors))
    new = list(factors)
    if draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return shape, tuple(new)


@given(sr=shape_and_reshape(), seed=seeds)
def test_reshape(sr, seed):
    shape, new = sr
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    t = K.tensor(x)
    assert_close(ops.reshape(t, new), np.reshape(x, new))
    assert_close(t.reshape(new), x.reshape(new))
    assert_close(t.reshape(*new), x.reshape(*new))
    # reshape of a non-contiguous view (a copy) has the right values too
    assert_close(ops.reshape(t.T, new), np.reshape(x.T, new))
    assert_close(ops.reshape(t, -1), x.reshape(-1))
    assert_close(t.flatten(), x.flatten())


def test_reshape_zero_size():
    x = np.zeros((0, 3), np.float32)
    assert_close(ops.reshape(K.tensor(x), (3, 0)), x.reshape(3, 0))
    assert_close(ops.reshape(K.tensor(x), (0, 5, 2)), x.reshape(0, 5, 2))
    assert ops.reshape(K.tensor(x), (-1,)).shape == (0,)


@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), data=st.data())
def test_expand_dims_and_squeeze(shape, data):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    t = K.tensor(x)
    nd = len(shape)
    axis = data.draw(st.integers(-nd - 1, nd))
    e = ops.expand_dims(t, axis)
    assert_close(e, np.expand_dims(x, axis))
    assert_close(ops.squeeze(e, axis), x)
    assert_close(ops.squeeze(e), np.squeeze(np.expand_dims(x, axis)))
    ones = [i for i, d in enumerate(shape) if d == 1]
    if ones:
        sel = tuple(data.draw(st.lists(st.sampled_from(ones), min_size=1, unique=True)))
        assert_close(ops.squeeze(t, sel), np.squeeze(x, sel))
        neg = tuple(a - nd for a in sel)
        assert_close(ops.squeeze(t, neg), np.squeeze(x, neg))


@given(bs=hnp.mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=4, min_side=0, max_side=4), seed=seeds)
def test_broadcast_to(bs, seed):
    (src,), dst = bs.input_shapes, bs.result_shape
    x = np.random.default_rng(seed).normal(size=src).astype(np.float32)
    assert_close(ops.broadcast_to(K.tensor(x), dst), np.broadcast_to(x, dst))


# ---------------------------------------------------------------- concatenate / stack / split


@st.composite
def concat_inputs(draw):
    base = list(draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4)))
    nd = len(base)
    axis = draw(st.integers(-nd, nd - 1))
    k = draw(st.integers(1, 4))
    shapes = []
    for _ in range(k):
        s = list(base)
        s[axis] = draw(st.integers(0, 4))
        shapes.append(tuple(s))
    return shapes, axis


@given(ci=concat_inputs(), seed=seeds)
def test_concatenate(ci, seed):
    shapes, axis = ci
    r = np.random.default_rng(seed)
    xs = [r.normal(size=s).astype(np.float32) for s in shapes]
    assert_close(ops.concatenate([K.tensor(x) for x in xs], axis=axis), np.concatenate(xs, axis=axis))


def test_concatenate_mixed_dtypes_and_views():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(6).reshape(2, 3)
    got = ops.concatenate([K.tensor(a).T[::-1], K.tensor(b).T.astype("float32")[:, ::-1]], axis=1)
    assert_close(got, np.concatenate([a.T[::-1], b.T.astype(np.float32)[:, ::-1]], axis=1))
    got = ops.concatenate([K.tensor(a), K.tensor(b)], axis=-1)
    assert got.dtype == "float32"
    assert_close(got, np.concatenate([a, b.astype(np.float32)], axis=-1))


@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), k=st.integers(1, 4), data=st.data())
def test_stack(shape, k, data):
    r = np.random.default_rng(k)
    xs = [r.normal(size=shape).astype(np.float32) for _ in range(k)]
    nd = len(shape)
    axis = data.draw(st.integers(-nd - 1, nd))
    assert_close(ops.stack([K.tensor(x) for x in xs], axis=axis), np.stack(xs, axis=axis))


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6), data=st.data())
def test_split_sections(shape, data):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    n = shape[axis]
    divisors = [d for d in range(1, max(n, 1) + 1) if n % d == 0]
    k = data.draw(st.sampled_from(divisors))
    got = ops.split(K.tensor(x), k, axis=axis)
    exp = np.split(x, k, axis=axis)
    assert len(got) == len(exp)
    for g, e in zip(got, exp):
        assert_close(g, e)


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6), data=st.data())
def test_split_indices(shape, data):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    n = shape[axis]
    idx = sorted(data.draw(st.lists(st.integers(0, n + 2), max_size=4)))
    got = ops.split(K.tensor(x), idx, axis=axis)
    exp = np.split(x, idx, axis=axis)
    assert len(got) == len(exp)
    for g, e in zip(got, exp):
        assert_close(g, e)


def test_split_unsorted_indices_like_numpy():
    x = np.arange(10.0, dtype=np.float32)
    got = ops.split(K.tensor(x), [6, 3])
    exp = np.split(x, [6, 3])
    assert [g.shape for g in got] == [e.shape for e in exp]
    for g, e in zip(got, exp):
        assert_close(g, e)


def test_split_uneven_sections_raises():
    with pytest.raises(ValueError):
        ops.split(K.ones((5, 2)), 2)


# ---------------------------------------------------------------- one_hot / take / take_along_axis


@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), c=st.integers(1, 5), seed=seeds)
def test_one_hot(shape, c, seed):
    labels = np.random.default_rng(seed).integers(0, c, size=shape)
    got = ops.one_hot(K.tensor(labels), c)
    assert got.dtype == "float32"
    assert_close(got, np.eye(c, dtype=np.float32)[labels])


def test_one_hot_axis_dtype_and_out_of_range():
    labels = np.array([[0, 2], [1, 3]])
    exp = np.eye(3)[np.clip(labels, 0, 2)] * (labels < 3)[..., None]
    got = ops.one_hot(K.tensor(labels), 3)
    assert_close(got, exp)  # label 3 >= num_classes: a row of zeros
    got0 = ops.one_hot(K.tensor(labels), 3, axis=0)
    assert_close(got0, np.moveaxis(exp, -1, 0))
    assert ops.one_hot(K.tensor(labels), 3, dtype="int64").dtype == "int64"
    assert_close(ops.one_hot(K.tensor([-1, 1]), 2), np.array([[0, 0], [0, 1]], np.float32))


@oracle
def test_one_hot_float_labels_match_keras():
    """Float labels, as Keras takes them: a 1 where the label equals the class (1.7, -1, 3, NaN
    and inf give rows of zeros)."""
    k = real_keras()
    x = np.array([[0.0, 1.7, 2.0], [-1.0, 3.0, 1.0], [np.nan, np.inf, 2.0]])
    for dt in ("float32", "float64"):
        got = ops.one_hot(K.tensor(x.astype(dt)), 3)
        assert got.dtype == "float32"
        np.testing.assert_array_equal(got.numpy(), np.asarray(k.ops.one_hot(x.astype(dt), 3)))
        np.testing.assert_array_equal(ops.one_hot(K.tensor(x.astype(dt)), 3, axis=0).numpy(),
                                      np.asarray(k.ops.one_hot(x.astype(dt), 3, axis=0)))


@st.composite
def take_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    nd = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-nd, nd - 1)))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    ishape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4))
    return shape, axis, n, ishape


@given(tc=take_case(), seed=seeds)
def test_take(tc, seed):
    shape, axis, n, ishape = tc
    r = np.random.default_rng(seed)
    x = r.normal(size=shape).astype(np.float32)
    idx = r.integers(-n, n, size=ishape)  # negative indices count from the end
    assert_close(ops.take(K.tensor(x), K.tensor(idx), axis=axis), np.take(x, idx, axis=axis))


def test_take_with_python_list_indices():
    x = np.arange(12.0).reshape(3, 4)
    assert_close(ops.take(K.tensor(x), [2, -1, 0], axis=1), np.take(x, [2, -1, 0], axis=1))
    assert_close(ops.take(K.tensor(x), [[5, -12]]), np.take(x, [[5, -12]]))


@st.composite
def tala_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    nd = len(shape)
    axis = draw(st.integers(-nd, nd - 1))
    ishape = list(shape)
    ishape[axis] = draw(st.integers(0, 5))
    # other index dims may be 1 (broadcast) as in NumPy
    for d in range(nd):
        if d != axis % nd and draw(st.booleans()):
            ishape[d] = 1
    return shape, axis, tuple(ishape)


@given(tc=tala_case(), seed=seeds)
def test_take_along_axis(tc, seed):
    shape, axis, ishape = tc
    r = np.random.default_rng(seed)
    x = r.normal(size=shape).astype(np.float32)
    n = shape[axis]
    idx = r.integers(-n, n, size=ishape)
    assert_close(ops.take_along_axis(K.tensor(x), K.tensor(idx), axis=axis), np.take_along_axis(x, idx, axis=axis))


def test_take_along_axis_argsort_pattern():
    x = np.random.default_rng(5).normal(size=(4, 6)).astype(np.float32)
    idx = np.argsort(x, axis=1)
    assert_close(ops.take_along_axis(K.tensor(x), K.tensor(idx), axis=1), np.sort(x, axis=1))
    assert_close(ops.take_along_axis(K.tensor(x), K.tensor(idx.reshape(-1)), axis=None),
                 np.take_along_axis(x, idx.reshape(-1), axis=None))
