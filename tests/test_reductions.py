"""Reductions (sum, mean, max, min, argmax, argmin, var, std, logsumexp) against NumPy, with
axis None / int / tuple / negative and keepdims, including size-0 and size-1 dims."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kerasish as K
from conftest import assert_close, to_np
from kerasish import ops

seeds = st.integers(0, 2**32 - 1)


@st.composite
def shape_and_axis(draw, min_side=0, tuple_ok=True):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=min_side, max_side=5))
    nd = len(shape)
    kinds = ["none"]
    if nd:
        kinds += ["int", "neg"] + (["tuple"] if tuple_ok else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(0, nd - 1))
    elif kind == "neg":
        axis = draw(st.integers(-nd, -1))
    else:
        axes = draw(st.lists(st.integers(0, nd - 1), min_size=0, max_size=nd, unique=True))
        # mix positive and negative spellings
        axis = tuple(a - nd if draw(st.booleans()) else a for a in axes)
    keepdims = draw(st.booleans())
    return shape, axis, keepdims


def _lse(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return out


REDUCTIONS = {
    "sum": (ops.sum, np.sum),
    "mean": (ops.mean, np.mean),
    "max": (ops.max, np.max),
    "min": (ops.min, np.min),
    "var": (ops.var, np.var),
    "std": (ops.std, np.std),
    "logsumexp": (ops.logsumexp, _lse),
}


def _is_empty_reduction(shape, axis):
    if axis is None:
        return int(np.prod(shape)) == 0
    axes = (axis,) if isinstance(axis, int) else axis
    return any(shape[a] == 0 for a in axes)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(sak=shape_and_axis(), seed=seeds, dtype=st.sampled_from(["float32", "float64"]))
def test_reduction_matches_numpy(name, sak, seed, dtype):
    shape, axis, keepdims = sak
    fn, ref = REDUCTIONS[name]
    x = np.random.default_rng(seed).normal(size=shape).astype(dtype)
    if name in ("max", "min", "logsumexp") and _is_empty_reduction(shape, axis):
        if name == "logsumexp":
            return  # log(0) conventions vary; only the others are specified for empty input
        with pytest.raises(ValueError):
            fn(K.tensor(x), axis=axis, keepdims=keepdims)
        return
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        expected = ref(x.astype(np.float64), axis=axis, keepdims=keepdims)
    got = fn(K.tensor(x), axis=axis, keepdims=keepdims)
    assert got.dtype == dtype
    assert_close(got, expected, rtol=1e-5 if dtype == "float32" else 1e-10, atol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(sak=shape_and_axis(min_side=1, tuple_ok=False), seed=seeds)
def test_argmax_argmin_match_numpy(name, sak, seed):
    shape, axis, keepdims = sak
    fn, ref = getattr(ops, name), getattr(np, name)
    # small ints: ties, where the first occurrence must win
    x = np.random.default_rng(seed).integers(-3, 4, size=shape).astype(np.float32)
    got = fn(K.tensor(x), axis=axis, keepdims=keepdims)
    assert got.dtype == "int64"
    assert_close(got, ref(x, axis=axis, keepdims=keepdims))


@given(sak=shape_and_axis(), seed=seeds)
def test_int_reductions(sak, seed):
    shape, axis, keepdims = sak
    x = np.random.default_rng(seed).integers(-100, 100, size=shape)
    t = K.tensor(x)
    s = ops.sum(t, axis=axis, keepdims=keepdims)
    assert s.dtype == "int64"
    assert_close(s, np.sum(x, axis=axis, keepdims=keepdims))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        m = np.mean(x, axis=axis, keepdims=keepdims)
    mt = ops.mean(t, axis=axis, keepdims=keepdims)
    assert mt.dtype == "float32"
    assert_close(mt, m, atol=1e-5)
    if not _is_empty_reduction(shape, axis):
        assert_close(ops.max(t, axis=axis, keepdims=keepdims), np.max(x, axis=axis, keepdims=keepdims), dtype="int64")


def test_bool_sum_counts():
    m = np.array([[True, False, True], [True, True, True]])
    assert_close(ops.sum(K.tensor(m)), np.array(5), dtype="int64")
    assert_close(ops.sum(K.tensor(m), axis=1), np.array([2, 3]), dtype="int64")


def test_empty_argmax_raises():
    with pytest.raises(ValueError):
        ops.argmax(K.zeros((0, 3)))
    with pytest.raises(ValueError):
        ops.argmin(K.zeros((2, 0)), axis=1)


def test_reductions_with_nan_propagate():
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    t = K.tensor(x)
    for fn, ref in [(ops.sum, np.sum), (ops.max, np.max), (ops.min, np.min), (ops.mean, np.mean)]:
        assert_close(fn(t, axis=1), ref(x, axis=1))
        assert np.isnan(fn(t).item())
    assert ops.argmax(t).item() == np.argmax(x) == 1
    assert ops.argmin(t, axis=1).tolist() == np.argmin(x, axis=1).tolist()


@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, (0, 2), (1, 2), (0, 1)])
def test_large_sum_float32(axis):
    x = np.random.default_rng(0).uniform(-1, 1, size=(40, 50, 501)).astype(np.float32)
    got = ops.sum(K.tensor(x), axis=axis)
    assert_close(got, np.sum(x.astype(np.float64), axis=axis), rtol=1e-4, atol=1e-3)
    assert_close(ops.mean(K.tensor(x), axis=axis), np.mean(x.astype(np.float64), axis=axis), rtol=1e-4, atol=1e-5)


def test_reductions_on_noncontiguous_views():
    x = np.random.default_rng(1).normal(size=(6, 7, 8)).astype(np.float32)
    t = K.tensor(x)
    views = [
        (t.T, x.T),
        (t[::2, ::-1, 1::3], x[::2, ::-1, 1::3]),
        (ops.transpose(t, (1, 0, 2)), np.transpose(x, (1, 0, 2))),
        (ops.broadcast_to(t[:, :1, :], (6, 4, 8)), np.broadcast_to(x[:, :1, :], (6, 4, 8))),
    ]
    for tv, xv in views:
        for axis in (None, 0, 1, -1, (0, 2)):
            assert_close(ops.sum(tv, axis=axis), np.sum(xv.astype(np.float64), axis=axis), atol=1e-5)
            assert_close(ops.max(tv, axis=axis), np.max(xv, axis=axis))
            assert_close(ops.var(tv, axis=axis), np.var(xv.astype(np.float64), axis=axis), atol=1e-5)
        assert_close(ops.argmax(tv, axis=1), np.argmax(xv, axis=1))
        assert_close(ops.argmin(tv), np.argmin(xv))


def test_logsumexp_large_values_do_not_overflow():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1001.0]], dtype=np.float32)
    got = to_np(ops.logsumexp(K.tensor(x), axis=1))
    np.testing.assert_allclose(got, [1000 + np.log(2), -1000 + np.log1p(np.exp(-1.0))], rtol=1e-6)
    x = np.array([-np.inf, -np.inf])
    assert to_np(ops.logsumexp(K.tensor(x))) == -np.inf
