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
