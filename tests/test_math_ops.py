"""keras.ops.math: cdist, rearrange and gammainc against NumPy / SciPy and real Keras (JAX for
gammainc), with float64 gradients."""
import numpy as np
import pytest
from scipy import special

from conftest import check_grad
from kerasish import ops
from oracle import oracle, real_keras
from test_views_dtypes import DEVICES

R = np.random.default_rng(7)


@pytest.mark.parametrize("device", DEVICES)
def test_cdist_against_numpy(device):
    import kerasish as K
    for xs, ys in [((4, 3), (5, 3)), ((2, 4, 3), (2, 6, 3)), ((2, 1, 4, 2), (3, 5, 2))]:
        x, y = R.normal(size=xs).astype(np.float32), R.normal(size=ys).astype(np.float32)
        got = ops.cdist(K.tensor(x).to(device), K.tensor(y).to(device))
        exp = np.sqrt(((x[..., :, None, :] - y[..., None, :, :]) ** 2).sum(-1))
        np.testing.assert_allclose(got.numpy(), exp, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="last dimensions must match"):
        ops.cdist(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.cdist(np.ones(3), np.ones((2, 3)))


def test_cdist_grad():
    check_grad(ops.cdist, [R.normal(size=(3, 2)), R.normal(size=(4, 2))])


@oracle
def test_cdist_matches_keras():
    keras = real_keras()
    x, y = R.normal(size=(2, 3, 4)), R.normal(size=(2, 5, 4))
    np.testing.assert_allclose(ops.cdist(x, y).numpy(), np.asarray(keras.ops.cdist(x, y)), rtol=1e-12)


REARRANGE = [("b h w c -> b c h w", {}), ("b h w c -> (b h) w c", {}), ("b h w c -> h (b w) c", {}),
             ("b h w c -> b (c h w)", {}), ("b (h1 h) (w1 w) c -> (b h1 w1) h w c", {"h1": 2, "w1": 2}),
             ("b (h h1) (w w1) c -> b h w (c h1 w1)", {"h1": 2, "w1": 2})]


@pytest.mark.parametrize("pattern,lengths", REARRANGE, ids=[p for p, _ in REARRANGE])
def test_rearrange_against_numpy(pattern, lengths):
    a = R.normal(size=(3, 4, 6, 2))
    got = ops.rearrange(a, pattern, **lengths)
    # NumPy: the same split, transpose and merge written out per pattern
    b, h, w, c = a.shape
    exp = {
        "b h w c -> b c h w": lambda: a.transpose(0, 3, 1, 2),
        "b h w c -> (b h) w c": lambda: a.reshape(b * h, w, c),
        "b h w c -> h (b w) c": lambda: a.transpose(1, 0, 2, 3).reshape(h, b * w, c),
        "b h w c -> b (c h w)": lambda: a.transpose(0, 3, 1, 2).reshape(b, -1),
        "b (h1 h) (w1 w) c -> (b h1 w1) h w c":
            lambda: a.reshape(b, 2, h // 2, 2, w // 2, c).transpose(0, 1, 3, 2, 4, 5).reshape(b * 4, h // 2, w // 2, c),
        "b (h h1) (w w1) c -> b h w (c h1 w1)":
            lambda: a.reshape(b, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4).reshape(b, h // 2, w // 2, c * 4),
    }[pattern]()
    np.testing.assert_array_equal(got.numpy(), exp)
    check_grad(lambda x: ops.rearrange(x, pattern, **lengths), [a[:2, :, :4]])


def test_rearrange_errors_and_symbolic():
    import kerasish as K
    with pytest.raises(ValueError, match="names 3 input axes, the tensor has 4"):
        ops.rearrange(np.ones((1, 2, 3, 4)), "a b c -> c b a")
    with pytest.raises(ValueError, match="give the lengths"):
        ops.rearrange(np.ones((4, 2)), "(a b) c -> a b c")
    with pytest.raises(ValueError, match="does not split"):
        ops.rearrange(np.ones((5, 2)), "(a b) c -> a b c", a=2)
    with pytest.raises(ValueError, match="differ"):
        ops.rearrange(np.ones((2, 3)), "a b -> a c")
    inp = K.Input((4, 6))
    assert tuple(ops.rearrange(inp, "b h w -> b w h").shape) == (None, 6, 4)


@oracle
@pytest.mark.parametrize("pattern,lengths", REARRANGE, ids=[p for p, _ in REARRANGE])
def test_rearrange_matches_keras(pattern, lengths):
    keras = real_keras()
    a = R.normal(size=(2, 4, 6, 3))
    np.testing.assert_array_equal(ops.rearrange(a, pattern, **lengths).numpy(),
                                  np.asarray(keras.ops.rearrange(a, pattern, **lengths)))


# ---------------------------------------------------------------- gammainc

def _gammainc_grid():
    a = np.array([0.05, 0.5, 1.0, 2.5, 7.0, 30.0, 250.0, 1000.0])
    x = np.array([1e-6, 0.01, 0.3, 1.0, 2.4, 6.9, 31.0, 240.0, 1010.0, 1e4])
    return np.meshgrid(a, x, indexing="ij")


@pytest.mark.parametrize("device", DEVICES)
def test_gammainc_against_scipy(device):
    """Both branches (series below x = a + 1, continued fraction above), tiny and huge arguments,
    float32 on every device (the GPU goes through the host) and float64 on the CPU."""
    import kerasish as K
    a, x = _gammainc_grid()
    want = special.gammainc(a, x)
    got = ops.gammainc(K.tensor(a.astype(np.float32)).to(device), K.tensor(x.astype(np.float32)).to(device))
    assert got.dtype == "float32" and got.device == device
    np.testing.assert_allclose(got.numpy(), special.gammainc(a.astype(np.float32), x.astype(np.float32)),
                               rtol=2e-6, atol=1e-7)
    if device == "cpu":
        got64 = ops.gammainc(a, x)
        assert got64.dtype == "float64"
        np.testing.assert_allclose(got64.numpy(), want, rtol=1e-12, atol=1e-300)


def test_gammainc_edges_dtypes_broadcasting_and_views():
    import kerasish as K
    # JAX's values: NaN for negative arguments and a = inf; P(0, x > 0) = 1; P(a, 0) = 0; P(a, inf) = 1
    a = np.array([0.0, 0.0, -1.0, 1.0, 1.0, 1.0, np.inf, 2.0, np.nan])
    x = np.array([1.0, 0.0, 1.0, 0.0, -1.0, np.inf, 1.0, np.inf, 1.0])
    np.testing.assert_array_equal(ops.gammainc(a, x).numpy(), [1, np.nan, np.nan, 0, np.nan, 1, np.nan, 1, np.nan])
    # integers give float32; float16 / bfloat16 stay themselves
    got = ops.gammainc(np.array([1, 2, 3]), np.array([1, 1, 1]))
    assert got.dtype == "float32"
    np.testing.assert_allclose(got.numpy(), special.gammainc([1, 2, 3], 1.0), rtol=1e-6)
    for dt in ("float16", "bfloat16"):
        h = ops.gammainc(K.tensor(np.array([2.0, 3.0])).astype(dt), K.tensor(np.array([1.0, 2.0])).astype(dt))
        assert h.dtype == dt
        np.testing.assert_allclose(h.astype("float32").numpy(), special.gammainc([2, 3], [1, 2]), rtol=1e-2)
    # broadcasting, and operands that are views (transposed, strided)
    base = R.uniform(0.5, 4.0, size=(4, 6))
    av, xv = K.tensor(base).T, K.tensor(base)[::2, 1:4]   # (6, 4) transposed, (2, 3) strided
    np.testing.assert_allclose(ops.gammainc(av, 2.0).numpy(), special.gammainc(base.T, 2.0), rtol=1e-12)
    np.testing.assert_allclose(ops.gammainc(xv[:, :, None], base[0, :2]).numpy(),
                               special.gammainc(base[::2, 1:4, None], base[0, :2]), rtol=1e-12)
    with pytest.raises(ValueError, match="gammainc"):
        ops.gammainc(np.ones(3), np.ones(4))


def test_gammainc_gradients():
    """d/dx is x^(a-1) e^-x / Γ(a); d/da comes from the series run on dual numbers: both
    against finite differences, on both branches."""
    a = np.array([[0.7, 2.5, 6.0], [1.5, 12.0, 40.0]])
    x = np.array([[0.4, 1.2, 9.0], [3.0, 8.0, 41.0]])
    check_grad(ops.gammainc, [a, x])
    check_grad(lambda a: ops.gammainc(a, 3.0), [np.array([0.3, 2.0, 4.5])])  # broadcast x


@oracle
def test_gammainc_matches_jax():
    """Keras 3.16's JAX backend is jax.scipy.special.gammainc (the PyPI Keras 3.15 has no
    gammainc yet), so JAX is the oracle: values and the gradient in a."""
    real_keras()  # JAX with float64 on
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import gammainc as jax_gammainc

    import kerasish as K
    a, x = _gammainc_grid()
    np.testing.assert_allclose(ops.gammainc(a, x).numpy(), np.asarray(jax_gammainc(a, x)), rtol=1e-10, atol=1e-300)
    sub_a, sub_x = a[:, :4], x[:, :4]
    da = jax.grad(lambda p: jnp.sum(jax_gammainc(p, sub_x)))(sub_a)
    at = K.tensor(sub_a, requires_grad=True)
    ops.sum(ops.gammainc(at, sub_x)).backward()
    np.testing.assert_allclose(at.grad.numpy(), np.asarray(da), rtol=1e-11, atol=1e-300)
