"""keras.ops.math.cdist against NumPy and real Keras, with float64 gradients."""
import numpy as np
import pytest

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
