"""The Tensor API: creation, random, properties, NumPy interop (zero-copy views), conversion to
Python values, repr, methods, and indexing against NumPy."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kerasish as K
from conftest import assert_close, to_np
from kerasish import ops

seeds = st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------- creation


class TestCreation:
    @pytest.mark.parametrize(
        "data,shape,dtype",
        [
            (1.5, (), "float32"),
            (3, (), "int64"),
            (True, (), "bool"),
            ([1.0, 2.0, 3.0], (3,), "float32"),
            ([[1, 2], [3, 4], [5, 6]], (3, 2), "int64"),
            ([[[True], [False]]], (1, 2, 1), "bool"),
            ([], (0,), "float32"),
            ([[1, 2.5]], (1, 2), "float32"),
        ],
    )
    def test_from_python(self, data, shape, dtype):
        t = K.tensor(data)
        assert t.shape == shape
        assert isinstance(t.shape, tuple)
        assert t.ndim == len(shape)
        assert t.dtype == dtype
        np.testing.assert_array_equal(to_np(t), np.array(data, dtype=dtype))

    @pytest.mark.parametrize("np_dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_])
    @pytest.mark.parametrize("shape", [(), (0,), (1,), (2, 3), (2, 0, 4), (1, 1, 1, 5)])
    def test_from_numpy(self, np_dtype, shape):
        a = (np.arange(int(np.prod(shape))).reshape(shape) % 7).astype(np_dtype)
        t = K.tensor(a)
        assert t.shape == shape
        np.testing.assert_array_equal(to_np(t), a)

    def test_from_numpy_copies(self):
        a = np.arange(6.0).reshape(2, 3)
        t = K.tensor(a)
        a[0, 0] = 100.0
        assert t.numpy()[0, 0] == 0.0
        assert not np.shares_memory(a, t.numpy())

    def test_from_noncontiguous_numpy(self):
        a = np.arange(24.0).reshape(2, 3, 4)
        for v in (a.T, a[:, ::-1, ::2], np.broadcast_to(a[:1], (3, 3, 4))):
            assert_close(K.tensor(v), v)

    def test_dtype_argument(self):
        assert K.tensor([1, 2], dtype="float64").dtype == "float64"
        assert K.tensor([1.7, -2.2], dtype="int64").tolist() == [1, -2]
        assert K.tensor([1, 2], dtype=np.float32).dtype == "float32"
        assert K.tensor([1, 2], dtype=np.dtype("float64")).dtype == "float64"
        assert K.tensor([0, 2], dtype="bool").tolist() == [False, True]
        assert K.tensor(np.arange(3.0), dtype="float32").dtype == "float32"

    def test_requires_grad_flag(self):
        t = K.tensor([1.0, 2.0], requires_grad=True)
        assert t.requires_grad and t.is_leaf and t.grad is None
        assert not K.tensor([1.0]).requires_grad
        with pytest.raises(TypeError):
            K.tensor([1, 2], requires_grad=True)

    def test_tensor_constructor(self):
        t = K.Tensor([[1.0, 2.0]])
        assert isinstance(t, K.Tensor) and t.shape == (1, 2) and t.dtype == "float32"
        t = K.Tensor(np.zeros((2, 2), np.float64), requires_grad=True)
        assert t.dtype == "float64" and t.requires_grad
        assert K.Tensor(5, dtype="float64").dtype == "float64"

    def test_tensor_from_tensor_is_a_copy(self):
        a = K.tensor(np.arange(4.0))
        b = K.tensor(a)
        assert not np.shares_memory(a.numpy(), b.numpy())
        b.numpy()[0] = 9
        assert a.numpy()[0] == 0
        c = K.tensor(a.T[::-1], dtype="float32")
        assert c.dtype == "float32" and c.tolist() == [3.0, 2.0, 1.0, 0.0]

    def test_zeros_ones_full(self):
        z = K.zeros((2, 3))
        assert z.dtype == "float32" and z.shape == (2, 3) and not to_np(z).any()
        o = K.ones(4, dtype="int64")
        assert o.dtype == "int64" and o.tolist() == [1, 1, 1, 1]
        assert K.zeros(()).shape == ()
        assert K.zeros((0, 2)).shape == (0, 2)
        f = K.full((2, 2), 7)
        assert f.dtype == "int64" and f.tolist() == [[7, 7], [7, 7]]
        f = K.full((3,), 0.5)
        assert f.dtype == "float32" and f.tolist() == [0.5] * 3
        f = K.full((1,), True)
        assert f.dtype == "bool" and f.tolist() == [True]
        assert K.full((2,), 2, dtype="float64").dtype == "float64"
        assert ops.zeros((2,)).dtype == "float32" and ops.ones((1, 2), dtype="int64").dtype == "int64"

    def test_zeros_like_ones_like(self):
        x = K.tensor(np.arange(6).reshape(2, 3))
        z = K.zeros_like(x)
        assert z.shape == (2, 3) and z.dtype == "int64" and to_np(z).sum() == 0
        o = K.ones_like(x, dtype="float32")
        assert o.dtype == "float32" and to_np(o).sum() == 6
        assert ops.ones_like(np.zeros((2, 2), np.float64)).dtype == "float64"
        assert ops.zeros_like([1.0, 2.0]).shape == (2,)

    @pytest.mark.parametrize(
        "args,kwargs",
        [((5,), {}), ((2, 7), {}), ((1, 10, 3), {}), ((10, 1, -3), {}), ((0.0, 1.0, 0.25), {}), ((3,), {"dtype": "float32"}),
         ((5, 2), {}), ((0.5, 3), {}),
         ((3.0,), {}), ((0.0, 3.0), {}), ((0, 3, 1.0), {})],  # Python floats give float32 even when whole
    )
    def test_arange(self, args, kwargs):
        t = K.arange(*args, **kwargs)
        exp = np.arange(*args, **{k: v for k, v in kwargs.items()})
        assert t.shape == exp.shape
        np.testing.assert_allclose(to_np(t), exp)
        if "dtype" in kwargs:
            assert t.dtype == kwargs["dtype"]
        elif all(isinstance(a, int) for a in args):
            assert t.dtype == "int64"
        else:
            assert t.dtype == "float32"

    @pytest.mark.parametrize("n,m,k", [(3, None, 0), (2, 4, 0), (4, 2, 1), (3, 3, -1), (3, 3, 5), (0, None, 0)])
    def test_eye(self, n, m, k):
        t = K.eye(n, m, k)
        assert t.dtype == "float32"
        assert_close(t, np.eye(n, m, k))
        assert K.eye(2, dtype="int64").dtype == "int64"


# ---------------------------------------------------------------- random


class TestRandom:
    def test_normal(self):
        t = K.random.normal((200, 50), mean=1.0, stddev=2.0, seed=3)
        assert t.shape == (200, 50) and t.dtype == "float32"
        a = to_np(t)
        assert abs(a.mean() - 1.0) < 0.1 and abs(a.std() - 2.0) < 0.1
        assert K.random.normal((3,), dtype="float64").dtype == "float64"
        assert K.random.normal((0, 3)).shape == (0, 3)
        assert K.random.normal((5,), seed=1).shape == (5,)

    def test_uniform(self):
        t = K.random.uniform((10000,), minval=-2.0, maxval=3.0, seed=4)
        a = to_np(t)
        assert t.dtype == "float32"
        assert a.min() >= -2.0 and a.max() < 3.0
        assert abs(a.mean() - 0.5) < 0.1
        assert len(np.unique(a)) > 9000

    def test_randint(self):
        t = K.random.randint((5000,), 3, 8, seed=5)
        a = to_np(t)
        assert t.dtype == "int64"
        assert set(np.unique(a).tolist()) == {3, 4, 5, 6, 7}
        assert K.random.randint((2, 2), -5, 0).shape == (2, 2)
        with pytest.raises(ValueError):
            K.random.randint((2,), 5, 5)

    @pytest.mark.parametrize(
        "draw",
        [
            lambda seed: K.random.normal((7, 3), seed=seed),
            lambda seed: K.random.uniform((7, 3), seed=seed),
            lambda seed: K.random.randint((7, 3), 0, 1000, seed=seed),
        ],
        ids=["normal", "uniform", "randint"],
    )
    def test_seed_argument(self, draw):
        a, b, c = to_np(draw(11)), to_np(draw(11)), to_np(draw(12))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)

    def test_set_random_seed(self):
        K.utils.set_random_seed(42)
        a = to_np(K.random.normal((4, 4)))
        b = to_np(K.random.uniform((4,)))
        n1 = np.random.rand()
        K.utils.set_random_seed(42)
        np.testing.assert_array_equal(to_np(K.random.normal((4, 4))), a)
        np.testing.assert_array_equal(to_np(K.random.uniform((4,))), b)
        assert np.random.rand() == n1  # NumPy's global generator is seeded too
        K.utils.set_random_seed(43)
        assert not np.array_equal(to_np(K.random.normal((4, 4))), a)
        # successive draws differ
        K.utils.set_random_seed(42)
        x, y = to_np(K.random.normal((4,))), to_np(K.random.normal((4,)))
        assert not np.array_equal(x, y)

    @pytest.mark.parametrize("bad", [1.5, "3", None, [1], True])
    def test_set_random_seed_rejects_non_int(self, bad):
        with pytest.raises(ValueError):
            K.utils.set_random_seed(bad)


# ---------------------------------------------------------------- NumPy interop and views


@pytest.mark.cpu_only("numpy() of a CPU tensor is a zero-copy view; of a GPU tensor, a copy")
class TestNumpyInterop:
    def test_numpy_zero_copy_and_write_through(self):
        t = K.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
        a = t.numpy()
        assert isinstance(a, np.ndarray) and a.dtype == np.float32 and a.shape == (3, 4)
        assert np.shares_memory(a, t.numpy())
        assert np.shares_memory(t.numpy(), t.T.numpy())
        a[1, 2] = -5.0
        assert t[1, 2].item() == -5.0
        assert t.T[2, 1].item() == -5.0
        assert ops.sum(t).item() == pytest.approx(66.0 - 6.0 - 5.0)

    def test_asarray(self):
        t = K.tensor(np.arange(6).reshape(2, 3))
        a = np.asarray(t)
        np.testing.assert_array_equal(a, np.arange(6).reshape(2, 3))
        assert a.dtype == np.int64
        assert np.shares_memory(a, t.numpy())
        assert np.asarray(t, dtype=np.float64).dtype == np.float64
        assert np.array(t).tolist() == [[0, 1, 2], [3, 4, 5]]

    @pytest.mark.parametrize(
        "name,make,ref",
        [
            ("reshape", lambda t: ops.reshape(t, (4, 6)), lambda a: a.reshape(4, 6)),
            ("reshape_method", lambda t: t.reshape(-1), lambda a: a.reshape(-1)),
            ("transpose", lambda t: ops.transpose(t, (2, 0, 1)), lambda a: a.transpose(2, 0, 1)),
            ("T", lambda t: t.T, lambda a: a.T),
            ("slice", lambda t: t[1:, ::2, ::-1], lambda a: a[1:, ::2, ::-1]),
            ("int_index", lambda t: t[1], lambda a: a[1]),
            ("broadcast_to", lambda t: ops.broadcast_to(t[:, :1], (5, 2, 4, 4)),
             lambda a: np.broadcast_to(a[:, :1], (5, 2, 4, 4))),
            ("expand_dims", lambda t: ops.expand_dims(t, 1), lambda a: np.expand_dims(a, 1)),
            ("squeeze", lambda t: ops.squeeze(t[:, :1]), lambda a: np.squeeze(a[:, :1])),
            ("split", lambda t: ops.split(t, 3, axis=1)[1], lambda a: np.split(a, 3, axis=1)[1]),
            ("detach", lambda t: t.detach(), lambda a: a),
        ],
    )
    def test_views_share_memory(self, name, make, ref):
        a = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
        t = K.tensor(a)
        v = make(t)
        assert_close(v, ref(a))
        assert np.shares_memory(v.numpy(), t.numpy()), f"{name} should be a view"
        # a write through the base is seen by the view
        t.numpy()[...] += 100.0
        assert_close(v, ref(a + 100.0))

    def test_ops_results_do_not_alias_inputs(self):
        t = K.tensor(np.ones((2, 3), np.float32))
        for r in (t + 0.0, ops.exp(t), ops.concatenate([t, t]), K.tensor(t), t.astype("float64"), t[K.tensor([0, 1])]):
            assert not np.shares_memory(r.numpy(), t.numpy())

    def test_numpy_of_empty_and_0d(self):
        assert K.zeros((0, 3)).numpy().shape == (0, 3)
        assert K.tensor(np.arange(5.0))[5:].numpy().shape == (0,)
        assert K.tensor(2.5).numpy().shape == ()
        assert ops.sum(K.ones((2, 2))).numpy().shape == ()


class TestConversions:
    def test_item(self):
        assert K.tensor(2.5).item() == 2.5 and isinstance(K.tensor(2.5).item(), float)
        assert K.tensor(7).item() == 7 and isinstance(K.tensor(7).item(), int)
        assert K.tensor(True).item() is True
        assert K.tensor([[3]]).item() == 3
        if K.tensor(0).device == "cpu":  # the GPU holds int64 as 32 bits
            assert K.tensor(np.array([2**62])).item() == 2**62
        with pytest.raises(ValueError):
            K.tensor([1, 2]).item()
        x = K.tensor(np.arange(6.0).reshape(2, 3))
        assert x[1, 2].item() == 5.0
        assert x.T[2, 0].item() == 2.0

    def test_tolist(self):
        a = np.arange(6).reshape(2, 3)
        assert K.tensor(a).tolist() == a.tolist()
        assert K.tensor(a).T.tolist() == a.T.tolist()
        assert K.tensor(1.5).tolist() == 1.5
        assert K.tensor([[True, False]]).tolist() == [[True, False]]

    def test_len(self):
        assert len(K.zeros((4, 2))) == 4
        assert len(K.zeros((0,))) == 0
        with pytest.raises(TypeError):
            len(K.tensor(1.0))

    def test_python_scalars(self):
        assert float(K.tensor(2.5)) == 2.5
        assert int(K.tensor(3)) == 3
        assert bool(K.tensor([1]))
        with pytest.raises(ValueError):
            bool(K.tensor([1, 2]))

    def test_repr_and_str(self):
        t = K.tensor([[1.0, 2.5], [3.0, 4.0]])
        r = repr(t)
        assert r.startswith("Tensor(") and "dtype=float32" in r
        assert "2.5" in r and "[[" in r
        assert "dtype=int64" in repr(K.tensor([1, 2]))
        assert "dtype=float64" in repr(K.tensor(np.zeros(2)))
        assert "requires_grad=True" in repr(K.tensor([1.0], requires_grad=True))
        assert repr(K.tensor(1.5)) == "Tensor(1.5, dtype=float32)"
        assert str(K.tensor([1, 2])) == str(np.array([1, 2]))

    def test_astype(self):
        t = K.tensor([1.7, -2.2, 0.0])
        assert t.astype("int64").tolist() == [1, -2, 0]
        assert t.astype("bool").tolist() == [True, True, False]
        assert t.astype(np.float64).dtype == "float64"
        assert ops.cast(t, "float64").dtype == "float64"
        assert K.tensor([True, False]).astype("float32").tolist() == [1.0, 0.0]
        assert K.tensor([300]).astype("uint8").dtype == "uint8"

    def test_properties(self):
        t = K.zeros((2, 3, 4))
        assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dtype == "float32" and t.size == 24
        assert K.tensor(1.0).shape == () and K.tensor(1.0).ndim == 0


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_methods(method, axis, keepdims):
    a = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    t = K.tensor(a)
    got = getattr(t, method)(axis=axis, keepdims=keepdims)
    exp = getattr(np, method)(a, axis=axis, keepdims=keepdims)
    assert_close(got, exp)
    assert_close(getattr(t, method)(axis, keepdims), exp)
    assert_close(getattr(t, method)(), getattr(np, method)(a))


def test_reduction_methods_tuple_axis():
    a = np.random.default_rng(1).normal(size=(2, 3, 4)).astype(np.float32)
    t = K.tensor(a)
    assert_close(t.sum(axis=(0, 2)), a.sum(axis=(0, 2)), atol=1e-5)
    assert_close(t.max(axis=(-1, 0), keepdims=True), a.max(axis=(-1, 0), keepdims=True))


# ---------------------------------------------------------------- indexing

A = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)

BASIC_INDICES = [
    1,
    -1,
    (1, 2),
    (-1, -3, 0, -5),
    slice(None),
    slice(1, None),
    slice(None, None, -1),
    (slice(None, None, 2), slice(2, 0, -1)),
    (slice(-3, None), slice(None, -1, 3)),
    (Ellipsis, 1),
    (0, Ellipsis, slice(None, None, -2)),
    (None,),
    (None, 1, None, Ellipsis, None),
    (slice(10, 20),),
    (slice(None, None, -3), Ellipsis, slice(-100, 100)),
    (1, slice(None), -2, slice(4, 1, -2)),
    (),
    Ellipsis,
]


@pytest.mark.parametrize("idx", BASIC_INDICES, ids=repr)
def test_basic_indexing(idx):
    t = K.tensor(A)
    got = t[idx]
    assert_close(got, A[idx])
    if A[idx].size > 1 and t.device == "cpu":  # numpy() of a GPU tensor is a copy
        assert np.shares_memory(got.numpy(), t.numpy()), "basic indexing gives a view"


@given(data=st.data())
def test_basic_indexing_hypothesis(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    idx = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    assert_close(K.tensor(a)[idx], a[idx])


index_array = np.array
ADVANCED_INDICES = [
    index_array([1, 0, 1]),
    index_array([-1, -2]),
    [0, 1, 1],
    (slice(None), index_array([2, 0, 2, -1])),
    (index_array([0, 1]), index_array([2, 0])),  # paired
    (index_array([[0], [1]]), index_array([0, 2, 1])),  # broadcast together -> (2, 3)
    (index_array([0, 1]), slice(None), index_array([3, 0])),  # non-adjacent: broadcast dim goes first
    (slice(None), index_array([0, 2]), slice(1, 3), index_array([1, 4])),  # non-adjacent after a slice
    (Ellipsis, index_array([4, 0])),
    (index_array([1]), 2, index_array([0, 1, 2])),  # adjacent int and arrays
    (None, index_array([1, 0])),
    (index_array([[1, 0], [0, 1]]),),
    (slice(None, None, -1), index_array([2, 2])),
    (index_array([], dtype=np.int64),),
    (index_array(0),),  # 0-d index array
    (index_array([0, 1]), index_array([1, 2]), index_array([3, 0]), index_array([4, 4])),
]


@pytest.mark.parametrize("idx", ADVANCED_INDICES, ids=repr)
def test_advanced_integer_indexing(idx):
    t = K.tensor(A)
    conv = tuple(K.tensor(i) if isinstance(i, np.ndarray) else i for i in idx) if isinstance(idx, tuple) else idx
    exp = A[idx if not isinstance(idx, list) else index_array(idx)]
    assert_close(t[conv], exp)
    # NumPy arrays directly as indices work too
    assert_close(t[idx], exp)


def test_int_and_array_separated_by_slice_follow_numpy():
    """NumPy treats an int next to index arrays as an advanced index: x[1, :, [0, 3]] has
    non-adjacent advanced indices, so the broadcast dim goes first: shape (2, 3, 5)."""
    t = K.tensor(A)
    assert_close(t[1, :, K.tensor([0, 3])], A[1, :, [0, 3]])
    assert_close(t[:, 0, :, K.tensor([1, 2])], A[:, 0, :, [1, 2]])


def test_advanced_indexing_on_a_view():
    t = K.tensor(A).T  # (5, 4, 3, 2), non-contiguous
    b = A.T
    assert_close(t[K.tensor([4, 0]), ::-1], b[[4, 0], ::-1])
    assert_close(t[1:, K.tensor([[1], [3]]), K.tensor([0, 2])], b[1:, [[1], [3]], [0, 2]])


@given(data=st.data())
def test_integer_array_indexing_hypothesis(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    idx = data.draw(hnp.integer_array_indices(shape,
                                              result_shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3)))
    assert_close(K.tensor(a)[tuple(K.tensor(i) for i in idx)], a[idx])


def test_boolean_mask_indexing():
    t = K.tensor(A)
    m = A > 50
    assert_close(t[K.tensor(m)], A[m])
    m2 = (A > 50)[:, :, 0, 0]
    assert_close(t[K.tensor(m2)], A[m2])
    m3 = np.array([True, False, True, True])
    assert_close(t[:, 1, K.tensor(m3)], A[:, 1, m3])
    assert_close(t[..., K.tensor(A[0, 0, 0] > 2)], A[..., A[0, 0, 0] > 2])
    assert_close(t[m2], A[m2])  # NumPy bool array
    none = np.zeros((2, 3), bool)
    assert_close(t[K.tensor(none)], A[none])
    # the comparison result of a tensor used as a mask
    assert_close(t[t > 100.0], A[A > 100.0])


def test_bool_mask_combined_with_int_array():
    t = K.tensor(A)
    m = np.array([True, False, True])
    assert_close(t[:, K.tensor(m), K.tensor([3, 0])], A[:, m, [3, 0]])


def test_index_0d_and_empty_tensors():
    s = K.tensor(np.float32(3.0))
    assert s[()].item() == 3.0
    assert s[None].shape == (1,)
    assert s[...].shape == ()
    e = K.zeros((0, 3))
    assert e[:, 1].shape == (0,)
    assert e[K.tensor(np.zeros(0, np.int64))].shape == (0, 3)


def test_tensor_of_a_tensor_is_always_a_copy():
    t = K.tensor([1.0, 2.0, 3.0])
    for u in (K.tensor(t), K.tensor(t, dtype="float32"), K.tensor(t[::-1], dtype="float32")):
        assert not np.shares_memory(t.numpy(), u.numpy())
    u = K.tensor(t, dtype="float32")
    u.assign(K.zeros(3))
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0, 3.0])
