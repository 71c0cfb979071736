"""Autograd behaviours: the course example, no_grad, accumulation, detach, backward arguments,
freed graphs, in-place updates, deep graphs."""
import numpy as np
import pytest

import kerasish as K
from conftest import to_np
from kerasish import ops


def test_course_example():
    r = np.random.default_rng(0)
    xa, ya, za = (r.normal(size=(3, 4)).astype(np.float32) for _ in range(3))
    x = K.tensor(xa, requires_grad=True)
    y = K.tensor(ya, requires_grad=True)
    z = K.tensor(za, requires_grad=True)
    c = ops.sum(x * y + z)
    assert c.shape == ()
    assert c.item() == pytest.approx(float(np.sum(xa * ya + za)), rel=1e-5)
    c.backward()
    np.testing.assert_array_equal(to_np(x.grad), ya)
    np.testing.assert_array_equal(to_np(y.grad), xa)
    np.testing.assert_array_equal(to_np(z.grad), np.ones((3, 4), np.float32))
    assert x.grad.dtype == "float32" and x.grad.shape == (3, 4)


def test_leaf_and_nonleaf_flags():
    x = K.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf
    assert y.requires_grad
    z = K.tensor([1.0, 2.0]) * 2
    assert not z.requires_grad
    y.backward(gradient=K.ones((2,)))
    assert y.grad is None  # only leaves keep .grad
    np.testing.assert_array_equal(to_np(x.grad), [2.0, 2.0])


def test_requires_grad_setter():
    t = K.tensor([1.0, 2.0])
    t.requires_grad = True
    ops.sum(t * t).backward()
    np.testing.assert_allclose(to_np(t.grad), [2.0, 4.0])
    i = K.tensor([1, 2])
    with pytest.raises(TypeError):
        i.requires_grad = True
    y = t * 3
    with pytest.raises(RuntimeError):
        y.requires_grad = False


class TestNoGrad:
    def test_context_manager(self):
        x = K.tensor([1.0, 2.0], requires_grad=True)
        assert K.is_grad_enabled()
        with K.no_grad():
            assert not K.is_grad_enabled()
            y = x * 2 + ops.exp(x)
            z = ops.matmul(ops.reshape(x, (1, 2)), ops.reshape(x, (2, 1)))
        assert K.is_grad_enabled()
        assert not y.requires_grad and not z.requires_grad
        np.testing.assert_allclose(to_np(y), [2 + np.e, 4 + np.e**2], rtol=1e-6)
        with pytest.raises(ValueError):
            ops.sum(y).backward()

    def test_decorator(self):
        @K.no_grad()
        def f(t):
            assert not K.is_grad_enabled()
            return t * t

        x = K.tensor([3.0], requires_grad=True)
        y = f(x)
        assert not y.requires_grad
        assert K.is_grad_enabled()
        assert f.__name__ == "f"

    def test_nested_and_enable_grad(self):
        x = K.tensor([1.0], requires_grad=True)
        with K.no_grad():
            with K.no_grad():
                pass
            assert not K.is_grad_enabled()
            with K.enable_grad():
                y = x * 2
            assert not K.is_grad_enabled()
        assert y.requires_grad

    def test_restored_after_exception(self):
        with pytest.raises(ZeroDivisionError):
            with K.no_grad():
                1 / 0
        assert K.is_grad_enabled()

    def test_views_in_no_grad_record_nothing(self):
        x = K.tensor(np.ones((2, 3)), requires_grad=True)
        with K.no_grad():
            for v in (x.T, x[0], ops.reshape(x, (6,)), ops.expand_dims(x, 0), x[K.tensor([1, 0])], ops.concatenate([x, x])):
                assert not v.requires_grad


def test_gradient_accumulates_and_resets():
    x = K.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    ops.sum(x * x).backward()
    np.testing.assert_allclose(to_np(x.grad), [2.0, -4.0, 6.0])
    ops.sum(x * 3.0).backward()
    np.testing.assert_allclose(to_np(x.grad), [5.0, -1.0, 9.0])
    x.grad = None
    assert x.grad is None
    ops.sum(x).backward()
    np.testing.assert_allclose(to_np(x.grad), [1.0, 1.0, 1.0])


def test_grad_setter_validates_shape():
    x = K.tensor(np.zeros(3), requires_grad=True)
    x.grad = K.tensor(np.ones(3))
    ops.sum(x).backward()
    np.testing.assert_allclose(to_np(x.grad), [2.0, 2.0, 2.0])
    with pytest.raises(ValueError):
        x.grad = K.tensor(np.ones(4))


def test_same_input_used_many_times_sums_gradients():
    x = K.tensor(np.array([2.0]), requires_grad=True)
    y = x * x * x + x + ops.exp(x) * x  # 3x^2 + 1 + e^x (1 + x)
    y.backward(gradient=np.ones(1))
    np.testing.assert_allclose(to_np(x.grad), [12 + 1 + np.exp(2.0) * 3], rtol=1e-12)


def test_detach():
    x = K.tensor(np.array([1.0, 2.0]), requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_allclose(to_np(d), [2.0, 4.0])
    y = ops.sum(x * d)  # d is a constant
    y.backward()
    np.testing.assert_allclose(to_np(x.grad), [2.0, 4.0])
    # detach shares data with the original
    xd = x.detach()
    assert np.shares_memory(xd.numpy(), x.numpy())


def test_backward_on_nonscalar_needs_gradient():
    x = K.tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError):
        y.backward()
    g = np.arange(6.0).reshape(2, 3)
    y.backward(gradient=K.tensor(g))
    np.testing.assert_allclose(to_np(x.grad), 2 * g)
    # a gradient of the wrong shape is refused
    z = x * 3
    with pytest.raises(ValueError):
        z.backward(gradient=K.ones((3, 2), dtype="float64"))


def test_backward_gradient_as_numpy_and_size1():
    x = K.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 5).backward(gradient=np.array([1.0, -1.0]))
    np.testing.assert_allclose(to_np(x.grad), [5.0, -5.0])
    x.grad = None
    ops.reshape(ops.sum(x), (1, 1)).backward()  # one element: implied gradient 1
    np.testing.assert_allclose(to_np(x.grad), [1.0, 1.0])


def test_backward_without_requires_grad_raises():
    with pytest.raises(ValueError):
        ops.sum(K.ones((2,))).backward()


def test_second_backward_through_freed_graph_raises():
    x = K.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = ops.sum(ops.exp(x) * x)
    y.backward()
    with pytest.raises((RuntimeError, ValueError)) as e:
        y.backward()
    assert type(e.value).__name__ != "PanicException"
    assert "freed" in str(e.value) or "retain_graph" in str(e.value)


def test_retain_graph_allows_second_backward():
    x = K.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = ops.sum(ops.exp(x) * x)
    y.backward(retain_graph=True)
    g1 = to_np(x.grad).copy()
    y.backward()
    np.testing.assert_allclose(to_np(x.grad), 2 * g1)
    expected = np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0]))
    np.testing.assert_allclose(g1, expected)


def test_shared_subgraph_freed_once():
    x = K.tensor(np.array([1.0]), requires_grad=True)
    h = x * 3
    a = ops.sum(h * 2)
    b = ops.sum(h * 5)
    a.backward(retain_graph=True)
    b.backward()
    np.testing.assert_allclose(to_np(x.grad), [6.0 + 15.0])


class TestInplace:
    def test_sgd_step_in_no_grad(self):
        w = K.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
        view = w[::2]
        loss = ops.sum(w * w)
        loss.backward()
        lr = 0.1
        with K.no_grad():
            w -= lr * w.grad
        assert isinstance(w, K.Tensor)
        assert w.requires_grad and w.is_leaf
        np.testing.assert_allclose(to_np(w), [0.8, -1.6, 2.4])
        np.testing.assert_allclose(to_np(view), [0.8, 2.4])  # views see the update
        # the next step trains on the updated values
        w.grad = None
        ops.sum(w * w).backward()
        np.testing.assert_allclose(to_np(w.grad), [1.6, -3.2, 4.8])

    def test_inplace_outside_no_grad_raises_for_leaf_requiring_grad(self):
        w = K.tensor(np.array([1.0, 2.0]), requires_grad=True)
        with pytest.raises(RuntimeError):
            w -= 1.0
        with pytest.raises(RuntimeError):
            w += K.ones((2,), dtype="float64")
        with pytest.raises(RuntimeError):
            w *= 2.0
        with pytest.raises(RuntimeError):
            w.assign(np.zeros(2))
        np.testing.assert_allclose(to_np(w), [1.0, 2.0])

    def test_inplace_on_plain_tensors(self):
        t = K.tensor(np.arange(6.0).reshape(2, 3))
        v = t[:, 1]
        t += 1.0
        t *= K.tensor(np.array([1.0, 2.0, 3.0]))  # broadcast
        t /= 2.0
        np.testing.assert_allclose(to_np(t), (np.arange(6.0).reshape(2, 3) + 1) * [1, 2, 3] / 2)
        np.testing.assert_allclose(to_np(v), to_np(t)[:, 1])
        v -= 100.0  # writes through the view into t
        assert to_np(t)[0, 1] < -90
        with pytest.raises(ValueError):
            t += K.ones((3, 3), dtype="float64")
        ti = K.tensor([1, 2])
        with pytest.raises(TypeError):
            ti += 0.5
        t.assign(np.zeros(3))
        assert not to_np(t).any()


def test_deep_chain_does_not_overflow():
    x = K.tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + x
    y.backward(gradient=np.ones(1))
    np.testing.assert_allclose(to_np(x.grad), [5001.0])
    assert y.item() == 5001.0
    # deleting a deep graph must not overflow either
    z = x
    for _ in range(20000):
        z = z * 1.0
    del z


def test_grad_of_int_leaf_impossible_and_float32_grads_stay_float32():
    x = K.tensor(np.ones(3, np.float32), requires_grad=True)
    y = ops.sum(x.astype("float64") * 2.0)
    assert y.dtype == "float64"
    y.backward()
    assert x.grad.dtype == "float32"
    np.testing.assert_allclose(to_np(x.grad), [2.0, 2.0, 2.0])


def test_no_gradient_through_int_and_compare_paths():
    x = K.tensor(np.array([0.5, 1.5, 2.5]), requires_grad=True)
    m = x > 1.0
    assert not m.requires_grad and m.dtype == "bool"
    idx = ops.argmax(x)
    assert not idx.requires_grad
    y = ops.sum(ops.where(m, x * 2, x))
    y.backward()
    np.testing.assert_allclose(to_np(x.grad), [1.0, 2.0, 2.0])


def test_grad_of_unused_input_is_none():
    a = K.tensor(np.ones(2), requires_grad=True)
    b = K.tensor(np.ones(2), requires_grad=True)
    ops.sum(a * 2).backward()
    assert b.grad is None
    assert a.grad is not None
