"""Autograd behaviours: the course example, no_grad, accumulation, detach, backward arguments,
freed graphs, in-place updates, deep graphs, ops.custom_gradient and ops.jvp (forward mode by two
reverse passes)."""
import numpy as np
import pytest

import kerasish as K
from conftest import check_grad, to_np
from kerasish import ops
from oracle import oracle, real_keras


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


# ---------------------------------------------------------------- ops.custom_gradient

def _log1pexp():
    @ops.custom_gradient
    def log1pexp(x):  # Keras's documented example: a gradient that stays finite for large x
        e = ops.exp(x)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

        return ops.log(1 + e), grad

    return log1pexp


def test_custom_gradient_replaces_the_recorded_one():
    x = K.tensor(np.array([0.0, 1.0, 100.0], np.float32), requires_grad=True)
    y = _log1pexp()(x)
    np.testing.assert_allclose(y.numpy()[:2], np.log1p(np.exp([0.0, 1.0])), rtol=1e-6)
    ops.sum(y).backward()
    # the function's own ops would give 1 - 1/(1+inf) -> nan-free here too, so check the values
    np.testing.assert_allclose(x.grad.numpy(), 1 - 1 / (1 + np.exp([0.0, 1.0, 100.0])), rtol=1e-6)


def test_custom_gradient_float64_matches_finite_differences():
    x = np.random.default_rng(3).normal(size=(4, 3))
    check_grad(_log1pexp(), [x])


def test_custom_gradient_several_inputs_none_and_upstream():
    @ops.custom_gradient
    def scaled(a, b):
        def grad(g):
            return g * 3.0, None  # a deliberately wrong gradient for a; none for b
        return a * b, grad

    a = K.tensor(np.ones((2, 2)), requires_grad=True)
    b = K.tensor(np.full((2, 2), 5.0), requires_grad=True)
    (scaled(a, b) * K.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[3.0, 6.0], [9.0, 12.0]])
    assert b.grad is None


def test_custom_gradient_errors():
    @ops.custom_gradient
    def two_for_one(a):
        return a * 2.0, lambda g: (g, g)

    a = K.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="returned 2 gradients for 1 inputs"):
        two_for_one(a).sum().backward()

    @ops.custom_gradient
    def bad_shape(a):
        return a * 2.0, lambda g: ops.sum(g)

    with pytest.raises(ValueError, match=r"shape \(\) for an input of shape \(3,\)"):
        bad_shape(a).sum().backward()

    class Boom(Exception):
        pass

    @ops.custom_gradient
    def raises(a):
        def grad(g):
            raise Boom("from the gradient function")
        return a * 2.0, grad

    with pytest.raises(Boom, match="from the gradient function"):  # the user's exception, as itself
        raises(a).sum().backward()
    with pytest.raises(TypeError, match=r"must return \(output, grad_fn\)"):
        ops.custom_gradient(lambda a: a)(a)


def test_custom_gradient_inside_fit():
    """A layer using a custom gradient trains through fit (its Python gradient keeps the step
    off the compiled plan: the plan would replay the rule on stale values)."""
    @ops.custom_gradient
    def block(x):  # identity forward, no gradient back: the first Dense must not move
        return x * 1.0, lambda g: g * 0.0

    K.utils.set_random_seed(1)
    first = K.layers.Dense(4)
    model = K.Sequential([K.Input((3,)), first, _Apply(block), K.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = first.kernel.numpy().copy()
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    with pytest.warns(UserWarning, match="runs eagerly.*custom_gradient"):
        hist = model.fit(x, x[:, :1].copy(), epochs=2, batch_size=8, verbose=0)
    np.testing.assert_array_equal(first.kernel.numpy(), before)
    assert hist.history["loss"][1] < hist.history["loss"][0]
    assert "custom_gradient" in str(model._untraceable.get("train")), model._untraceable


class _Apply(K.layers.Layer):
    def __init__(self, fn, **kw):
        super().__init__(**kw)
        self.fn = fn

    def call(self, x):
        return self.fn(x)


# ---------------------------------------------------------------- ops.jvp (keras.ops.linalg.jvp)

def _fd_jvp(f, xs, vs, h=1e-6):
    """Central differences of f along the tangents, in float64."""
    plus = f(*[K.tensor(x + h * v) for x, v in zip(xs, vs)])
    minus = f(*[K.tensor(x - h * v) for x, v in zip(xs, vs)])
    return (to_np(plus) - to_np(minus)) / (2 * h)


def test_jvp_keras_example_and_structures():
    p, t = ops.jvp(ops.sin, (K.tensor(np.float32(0.1)),), (K.tensor(np.float32(0.2)),))
    np.testing.assert_allclose([p.numpy(), t.numpy()], [np.sin(0.1), 0.2 * np.cos(0.1)], rtol=1e-6)
    assert not p.requires_grad and not t.requires_grad
    # nested primals, a dict output and aux
    r = np.random.default_rng(4)
    a, b, va, vb = (r.normal(size=(2, 3)) for _ in range(4))

    def f(pair):
        x, y = pair
        return {"prod": x * y, "exp": ops.exp(x)}, "aux"

    out, tan, aux = ops.jvp(f, ((a, b),), ((va, vb),), has_aux=True)
    assert aux == "aux" and set(out) == set(tan) == {"prod", "exp"}
    np.testing.assert_allclose(tan["prod"].numpy(), va * b + a * vb, rtol=1e-12)
    np.testing.assert_allclose(tan["exp"].numpy(), np.exp(a) * va, rtol=1e-12)
    # an output that does not depend on the primals has a zero tangent
    _, t0 = ops.jvp(lambda x: (x * 2.0, K.tensor(np.ones(3))), (a,), (va,))
    np.testing.assert_array_equal(t0[1].numpy(), np.zeros(3))


def test_jvp_through_layers_matches_finite_differences():
    """Dense (fused bias + activation), Conv2D, softmax, average pooling, matmul, elementwise
    ops and a sparse crossentropy: each gradient rule differentiated in its seed."""
    r = np.random.default_rng(5)
    K.utils.set_random_seed(3)
    conv = K.layers.Conv2D(3, 3, padding="same", activation="tanh", dtype="float64")
    dense = K.layers.Dense(4, activation="relu", dtype="float64")
    labels = K.tensor(np.array([1, 3]))

    def f(x, w):
        h = conv(x)
        h = ops.average_pool(h, 2)
        h = ops.reshape(h, (2, -1))
        z = dense(ops.matmul(h, w))
        return ops.stack([ops.sum(ops.softmax(z) * z), ops.mean(ops.sparse_categorical_crossentropy(labels, z, True))])

    x, w = r.normal(size=(2, 6, 6, 2)), r.normal(size=(27, 5))
    vx, vw = r.normal(size=x.shape), r.normal(size=w.shape)
    _, t = ops.jvp(f, (x, w), (vx, vw))
    np.testing.assert_allclose(t.numpy(), _fd_jvp(f, (x, w), (vx, vw)), rtol=1e-6, atol=1e-8)


def test_jvp_on_every_device():
    from test_views_dtypes import DEVICES

    r = np.random.default_rng(6)
    x, v, m = (r.normal(size=(3, 4)).astype(np.float32) for _ in range(3))
    want = (1 - np.tanh(x @ m.T) ** 2) * (v @ m.T)
    for device in DEVICES:
        with K.device(device):
            xt, vt, mt = K.tensor(x), K.tensor(v), K.tensor(m)
        p, t = ops.jvp(lambda a: ops.tanh(ops.matmul(a, ops.transpose(mt))), (xt,), (vt,))
        assert t.device == device
        np.testing.assert_allclose(t.numpy(), want, rtol=1e-5, atol=1e-5)


def test_jvp_errors():
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match="same structure"):
        ops.jvp(lambda a, b: a * b, (x, x), (x,))
    with pytest.raises(ValueError, match=r"tangent of shape \(3,\)"):
        ops.jvp(ops.exp, (x,), (np.ones(3),))
    with pytest.raises(TypeError, match="tuples or lists"):
        ops.jvp(ops.exp, x, x)
    with pytest.raises(ValueError, match="max_pool"):  # named, never a silent zero
        ops.jvp(lambda a: ops.max_pool(a, 2), (np.ones((1, 4, 4, 1)),), (np.ones((1, 4, 4, 1)),))


@oracle
def test_jvp_matches_jax():
    keras = real_keras()
    import jax

    r = np.random.default_rng(7)
    x, y, vx, vy = (r.normal(size=(3, 4)) for _ in range(4))

    # (no sin or tanh: Keras 3.15 on JAX computes those in float32 even for float64 inputs)
    def ours(a, b):
        return ops.sum(ops.log1p(ops.exp(a)) * ops.exp(-b * b), axis=0) / (1.0 + ops.square(b[0]))

    def theirs(a, b):
        ko = keras.ops
        return ko.sum(ko.log1p(ko.exp(a)) * ko.exp(-b * b), axis=0) / (1.0 + ko.square(b[0]))

    p, t = ops.jvp(ours, (x, y), (vx, vy))
    as64 = [keras.ops.convert_to_tensor(a, "float64") for a in (x, y, vx, vy)]  # Keras makes NumPy floatx
    jp, jt = jax.jvp(theirs, tuple(as64[:2]), tuple(as64[2:]))
    np.testing.assert_allclose(p.numpy(), np.asarray(jp), rtol=1e-12)
    np.testing.assert_allclose(t.numpy(), np.asarray(jt), rtol=1e-12)
