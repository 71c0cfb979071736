"""Float64 gradients of the keras.ops composites added with prod, quantile, pad and the segment
reductions, against central finite differences (check_grad), wherever JAX differentiates them.
Inputs are chosen away from kinks: distinct values for sorts and maxima, no ties, no zeros where
a quotient's derivative is singular."""
import numpy as np
import pytest

import kerasish as K
from conftest import away_from, check_grad
from kerasish import ops

R = np.random.default_rng(20250301)


def N(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, size=shape)


def distinct(*shape, gap=0.07):
    """Values with all pairwise gaps >= gap (no ties for sorts, maxima and medians)."""
    n = int(np.prod(shape))
    v = np.arange(n) * gap + R.uniform(0, gap / 4, size=n)
    R.shuffle(v)
    return (v - v.mean()).reshape(shape)


def with_zero(*shape):
    a = N(*shape)
    a.reshape(-1)[1] = 0.0
    return a


def with_nan(a, *where):
    a = np.array(a, copy=True)
    for w in where:
        a[w] = np.nan
    return a


IDS = np.array([2, 0, 2, 1, 0, 2])

CASES = [
    ("prod_all", lambda x: ops.prod(x), [N(3, 4, lo=0.5, hi=1.5)]),
    ("prod_axis", lambda x: ops.prod(x, axis=1), [N(3, 5)]),
    ("prod_axes_keepdims", lambda x: ops.prod(x, axis=(0, 2), keepdims=True), [N(2, 3, 3)]),
    ("prod_with_a_zero", lambda x: ops.prod(x, axis=-1), [with_zero(2, 5)]),
    ("nanprod", lambda x: ops.nanprod(x, axis=0), [with_nan(N(3, 4), (0, 1), (2, 3))]),
    ("cumprod", lambda x: ops.cumprod(x, axis=1), [N(3, 6)]),
    ("cumprod_flat_with_a_zero", lambda x: ops.cumprod(x), [with_zero(2, 3)]),
    ("nancumprod", lambda x: ops.nancumprod(x, axis=0), [with_nan(N(4, 3), (1, 1))]),
    ("nancumsum", lambda x: ops.nancumsum(x, axis=1), [with_nan(N(3, 4), (0, 2))]),
    ("arctan2", lambda y, x: ops.arctan2(y, x), [away_from(N(3, 4), [0.0], 0.2), away_from(N(3, 4), [0.0], 0.2)]),
    ("arctan2_steep_and_flat", lambda y, x: ops.arctan2(y, x),
     [np.array([3.0, -3.0, 0.2, -0.2, 2.0, -1.5]), np.array([0.1, -0.1, 2.0, -2.0, -0.3, 1.7])]),
    ("arctan2_broadcast", lambda y, x: ops.arctan2(y, x), [away_from(N(3, 1), [0.0], 0.2), away_from(N(4), [0.0], 0.2)]),
    ("angle", lambda x: ops.angle(x), [away_from(N(5), [0.0], 0.2)]),
    ("sinc", lambda x: ops.sinc(x), [np.array([0.0, 0.3, -1.2, 2.7, 4.1, -0.05])]),
    ("logaddexp2", lambda a, b: ops.logaddexp2(a, b), [N(3, 4, lo=-4, hi=4), N(3, 4, lo=-4, hi=4)]),
    ("ldexp", lambda x: ops.ldexp(x, K.tensor(np.array([3, -2, 0, 5]))), [N(2, 4)]),
    ("i0", lambda x: ops.i0(x), [away_from(N(7, lo=-12, hi=12), [0.0, 8.0, -8.0], 0.2)]),
    ("corrcoef", lambda x: ops.corrcoef(x), [N(3, 6)]),
    ("correlate_valid", lambda a, v: ops.correlate(a, v), [N(6), N(3)]),
    ("correlate_same_swapped", lambda a, v: ops.correlate(a, v, "same"), [N(3), N(6)]),
    ("correlate_full", lambda a, v: ops.correlate(a, v, "full"), [N(4), N(5)]),
    ("cross_3", lambda a, b: ops.cross(a, b), [N(4, 3), N(4, 3)]),
    ("cross_2_3_axisc", lambda a, b: ops.cross(a, b, axisa=0, axisc=0), [N(2, 4), N(4, 3)]),
    ("cross_2", lambda a, b: ops.cross(a, b), [N(3, 2), N(3, 2)]),
    ("trapezoid_dx", lambda y: ops.trapezoid(y, dx=0.3, axis=0), [N(5, 3)]),
    ("trapezoid_x", lambda y, x: ops.trapezoid(y, x), [N(3, 5), np.sort(N(5))]),
    ("trapezoid_x_nd", lambda y, x: ops.trapezoid(y, x, axis=0), [N(4, 2), np.sort(N(4, 2), axis=0)]),
    ("vander", lambda x: ops.vander(x), [N(4)]),
    ("vander_increasing_at_zero", lambda x: ops.vander(x, 5, increasing=True), [np.array([0.0, 0.7, -1.3])]),
    ("median", lambda x: ops.median(x), [distinct(3, 4)]),
    ("median_axis_odd", lambda x: ops.median(x, axis=1, keepdims=True), [distinct(4, 5)]),
    ("quantile_linear", lambda x: ops.quantile(x, K.tensor(np.array([0.1, 0.45, 0.9])), axis=0), [distinct(6, 3)]),
    ("quantile_axes", lambda x: ops.quantile(x, 0.3, axis=(0, 2)), [distinct(2, 3, 4)]),
    ("quantile_midpoint", lambda x: ops.quantile(x, 0.5, axis=-1, method="midpoint"), [distinct(3, 4)]),
    ("quantile_nearest", lambda x: ops.quantile(x, 0.3, axis=-1, method="nearest"), [distinct(3, 5)]),
    ("percentile_lower_higher", lambda x: ops.percentile(x, 40.0, axis=1, method="lower")
     + ops.percentile(x, 40.0, axis=1, method="higher"), [distinct(3, 5)]),
    ("nanquantile", lambda x: ops.nanquantile(x, 0.35, axis=1), [with_nan(distinct(3, 6), (0, 2), (2, 0), (2, 5))]),
    ("nanmedian", lambda x: ops.nanmedian(x, axis=0), [with_nan(distinct(5, 3), (1, 1))]),
    ("nanpercentile", lambda x: ops.nanpercentile(x, 70.0), [with_nan(distinct(3, 4), (0, 0))]),
    ("segment_max", lambda x: ops.math.segment_max(x, K.tensor(IDS), 3), [distinct(6, 2)]),
    ("segment_min_sorted", lambda x: ops.math.segment_min(x, K.tensor(np.sort(IDS)), 3, sorted=True), [distinct(6, 2)]),
    ("segment_prod", lambda x: ops.math.segment_prod(x, K.tensor(IDS), 3), [N(6, 2)]),
    ("extract_sequences", lambda x: ops.extract_sequences(x, 3, 2), [N(2, 8)]),
    ("get_item", lambda x: ops.get_item(x, [slice(None), 1]), [N(3, 4)]),
    ("vectorize", lambda a, b: ops.vectorize(lambda p, q: ops.sin(p) * q)(a, b), [N(2, 3), N(3)]),
    ("vectorize_signature", lambda m, v: ops.vectorize(lambda a, b: ops.matmul(a, b), signature="(m,n),(n)->(m)")(m, v),
     [N(2, 3, 4), N(4)]),
]

PAD_MODES = ["constant", "edge", "reflect", "symmetric", "wrap", "linear_ramp", "maximum", "minimum", "mean", "median"]


@pytest.mark.parametrize("name,fn,inputs", CASES, ids=[c[0] for c in CASES])
def test_gradient(name, fn, inputs):
    check_grad(fn, inputs)


@pytest.mark.parametrize("mode", PAD_MODES)
def test_pad_gradient(mode):
    # distinct values: the maximum, minimum and median of each axis are unique
    check_grad(lambda x: ops.pad(x, ((2, 1), (3, 4)), mode=mode), [distinct(3, 4)])
    check_grad(lambda x: ops.pad(x, 5, mode=mode), [distinct(3)])  # wider than the axis


def test_gradient_of_sinc_and_prod_at_zero_is_jaxs():
    # JAX: d sinc / dx = 0 at 0; d prod / dx_i = the product of the others, also where x_i = 0
    x = K.tensor(np.array([0.0, 2.0, 3.0]), requires_grad=True)
    ops.sum(ops.sinc(x)).backward()
    assert x.grad.numpy()[0] == 0.0 and np.isfinite(x.grad.numpy()).all()
    x = K.tensor(np.array([0.0, 2.0, 3.0]), requires_grad=True)
    ops.prod(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 0.0, 0.0])
