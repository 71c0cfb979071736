"""keras.random shuffle, truncated_normal, categorical, gamma, beta and binomial: seeds repeat,
and the draws follow their distributions, checked with a fixed seed against NumPy references:
the exact CDF / pmf (standard-library erf, math.comb) or NumPy's own samplers, by a
Kolmogorov-Smirnov or chi-square statistic with a loose (0.1 %-level) but meaningful bound."""
from __future__ import annotations

import math

import numpy as np
import pytest

import kerasish as K
from conftest import to_np
from kerasish import random as krandom
from test_views_dtypes import DEVICES

N = 20000
KS_BOUND = 1.95 * math.sqrt(2.0 / N)  # two-sample KS, n = m = N, at the 0.1 % level
KS1_BOUND = 1.95 / math.sqrt(N)  # one-sample


def ks2(a, b):
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    v = np.concatenate([a, b])
    return np.max(np.abs(np.searchsorted(a, v, "right") / a.size - np.searchsorted(b, v, "right") / b.size))


def chi2_ok(counts, expected):
    """Chi-square over the cells with an expected count of 5 or more, under a bound of
    df + 4 sqrt(2 df) (well past the 0.1 % quantile for these sizes)."""
    counts, expected = np.asarray(counts, float), np.asarray(expected, float)
    keep = expected >= 5
    stat = np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep])
    df = keep.sum() - 1
    return stat < df + 4 * math.sqrt(2 * df), stat


def draw(device, fn, *args, **kw):
    with K.device(device):
        return to_np(fn(*args, **kw))


# ---------------------------------------------------------------- seeds

CALLS = [
    ("shuffle", lambda seed: krandom.shuffle(K.tensor(np.arange(12.0).reshape(3, 4)), axis=1, seed=seed)),
    ("truncated_normal", lambda seed: krandom.truncated_normal((6,), seed=seed)),
    ("categorical", lambda seed: krandom.categorical(K.tensor(np.zeros((2, 5))), 6, seed=seed)),
    ("gamma", lambda seed: krandom.gamma((6,), 0.7, seed=seed)),
    ("beta", lambda seed: krandom.beta((6,), 2.0, 0.5, seed=seed)),
    ("binomial", lambda seed: krandom.binomial((6,), 50, 0.3, seed=seed)),
    ("binomial_large", lambda seed: krandom.binomial((6,), 5000, 0.3, seed=seed)),
]


@pytest.mark.parametrize("name, call", CALLS, ids=[c[0] for c in CALLS])
def test_seeds_repeat_and_generators_move_on(name, call):
    np.testing.assert_array_equal(to_np(call(11)), to_np(call(11)))
    assert not np.array_equal(to_np(call(11)), to_np(call(12)))
    g1, g2 = krandom.SeedGenerator(5), krandom.SeedGenerator(5)
    a, b = to_np(call(g1)), to_np(call(g1))
    np.testing.assert_array_equal(a, to_np(call(g2)))  # the same stream from the same seed
    assert not np.array_equal(a, b)  # and each draw moves it on
    K.utils.set_random_seed(3)
    c = to_np(call(None))
    K.utils.set_random_seed(3)
    np.testing.assert_array_equal(c, to_np(call(None)))


# ---------------------------------------------------------------- shuffle

@pytest.mark.parametrize("device", DEVICES)
def test_shuffle_uniform_permutations(device):
    rows = 6000
    x = np.tile(np.arange(4.0, dtype=np.float32), (rows, 1))
    y = draw(device, krandom.shuffle, K.tensor(x), axis=1, seed=1)
    assert y.shape == x.shape
    np.testing.assert_array_equal(np.sort(y, 1), x)  # every row a permutation
    codes = (y @ np.array([64.0, 16.0, 4.0, 1.0])).astype(int)
    perms = sorted({int(a * 64 + b * 16 + c * 4 + d) for a in range(4) for b in range(4) for c in range(4)
                    for d in range(4) if len({a, b, c, d}) == 4})
    counts = np.array([np.sum(codes == p) for p in perms])
    ok, stat = chi2_ok(counts, np.full(24, rows / 24))
    assert counts.sum() == rows and ok, stat


def test_shuffle_axis_and_independent_slices():
    x = np.arange(40.0).reshape(20, 2)
    x[:, 1] = x[:, 0]
    y = to_np(krandom.shuffle(K.tensor(x), seed=4))  # axis 0: each column its own order, as JAX's
    np.testing.assert_array_equal(np.sort(y, 0), x)
    assert not np.array_equal(y[:, 0], y[:, 1])
    z = to_np(krandom.shuffle(K.tensor(np.arange(24).reshape(2, 3, 4)), axis=-2, seed=4))
    np.testing.assert_array_equal(np.sort(z, 1), np.arange(24).reshape(2, 3, 4))
    assert z.dtype == np.int64
    with pytest.raises(ValueError, match="axis"):
        krandom.shuffle(K.tensor(x), axis=2)
    with pytest.raises(ValueError, match="scalar"):
        krandom.shuffle(K.tensor(3.0))


# ---------------------------------------------------------------- truncated_normal

def _tn_cdf(z):
    phi = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))  # noqa: E731
    return (np.vectorize(phi)(z) - phi(-2)) / (phi(2) - phi(-2))


@pytest.mark.parametrize("device", DEVICES)
def test_truncated_normal_distribution(device):
    z = draw(device, krandom.truncated_normal, (N,), seed=2).astype(np.float64)
    assert z.min() >= -2 and z.max() <= 2
    s = np.sort(z)
    d = np.max(np.maximum(np.abs(_tn_cdf(s) - np.arange(1, N + 1) / N), np.abs(_tn_cdf(s) - np.arange(N) / N)))
    assert d < KS1_BOUND, d
    w = to_np(krandom.truncated_normal((4, 5000), mean=3.0, stddev=0.5, dtype="float64", seed=3))
    assert w.dtype == np.float64 and w.min() >= 2.0 and w.max() <= 4.0
    # the variance of a normal truncated at +-2 standard deviations
    var = 1 - 2 * 2 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(math.sqrt(2))
    assert abs(w.mean() - 3.0) < 0.01 and abs(w.var() / 0.25 - var) < 0.03


# ---------------------------------------------------------------- categorical

@pytest.mark.parametrize("device", DEVICES)
def test_categorical_frequencies(device):
    p = np.array([[0.1, 0.2, 0.3, 0.4, 0.0], [0.5, 0.25, 0.125, 0.0625, 0.0625]])
    with np.errstate(divide="ignore"):
        logits = np.log(p).astype(np.float32) + 1.5  # unnormalised; log(0) = -inf is never drawn
    out = draw(device, krandom.categorical, K.tensor(logits), N, seed=6)
    assert out.shape == (2, N) and out.dtype == np.int64
    for row in range(2):
        counts = np.bincount(out[row], minlength=5)
        ok, stat = chi2_ok(counts, p[row] * N)
        assert ok, stat
    assert np.all(out[0] != 4)


def test_categorical_errors_and_dtype():
    with pytest.raises(ValueError, match="2-D"):
        krandom.categorical(K.tensor(np.zeros(3)), 2)
    with pytest.raises(ValueError, match="num_samples"):
        krandom.categorical(K.tensor(np.zeros((1, 3))), -1)
    assert krandom.categorical(K.tensor(np.zeros((2, 3))), 4, dtype="float32", seed=1).dtype == "float32"


# ---------------------------------------------------------------- gamma / beta

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("alpha", [0.25, 1.0, 3.5, 40.0])
def test_gamma_against_numpy(device, alpha):
    g = draw(device, krandom.gamma, (N,), alpha, seed=7).astype(np.float64)
    ref = np.random.default_rng(7).gamma(alpha, size=N)
    assert g.min() >= 0
    assert ks2(g, ref) < KS_BOUND, ks2(g, ref)
    assert abs(g.mean() / alpha - 1) < 4 / math.sqrt(N * alpha) + 0.01
    assert abs(g.var() / alpha - 1) < 0.06


def test_gamma_tensor_alpha_and_float64():
    alpha = np.array([0.5, 2.0, 9.0])
    g = to_np(krandom.gamma((N, 3), K.tensor(alpha), dtype="float64", seed=8))
    assert g.dtype == np.float64
    for j, a in enumerate(alpha):
        assert ks2(g[:, j], np.random.default_rng(j).gamma(a, size=N)) < KS_BOUND


@pytest.mark.parametrize("device", DEVICES)
def test_beta_against_numpy(device):
    for a, b in [(2.0, 5.0), (0.4, 0.6), (30.0, 3.0)]:
        x = draw(device, krandom.beta, (N,), a, b, seed=9).astype(np.float64)
        assert x.min() >= 0 and x.max() <= 1
        d = ks2(x, np.random.default_rng(9).beta(a, b, size=N))
        assert d < KS_BOUND, (a, b, d)


def test_gamma_beta_errors():
    with pytest.raises(ValueError, match="alpha"):
        krandom.gamma((3,), 0.0)
    with pytest.raises(ValueError, match="beta"):
        krandom.beta((3,), 1.0, -2.0)
    with pytest.raises(ValueError, match="floating point"):
        krandom.gamma((3,), 1.0, dtype="int64")
    with pytest.raises(ValueError, match="broadcast"):
        krandom.gamma((3,), K.tensor(np.ones(4)))


# ---------------------------------------------------------------- binomial

def _binom_pmf(n, p):
    return np.array([math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n, p", [(1, 0.3), (10, 0.35), (32, 0.5), (33, 0.9), (200, 0.02), (700, 0.45)])
def test_binomial_against_exact_pmf(device, n, p):
    x = draw(device, krandom.binomial, (N,), n, p, seed=10)
    assert x.dtype == np.float32 and np.all(x == np.round(x)) and x.min() >= 0 and x.max() <= n
    counts = np.bincount(x.astype(int), minlength=n + 1)
    ok, stat = chi2_ok(counts, _binom_pmf(n, p) * N)
    assert ok, stat


def test_binomial_large_counts_and_broadcasting():
    x = to_np(krandom.binomial((N,), 10**6, 0.3, dtype="float64", seed=11))
    mean, var = 3e5, 10**6 * 0.3 * 0.7
    assert abs(x.mean() - mean) < 4 * math.sqrt(var / N) and abs(x.var() / var - 1) < 0.06
    assert ks2(x, np.random.default_rng(11).binomial(10**6, 0.3, N).astype(float)) < KS_BOUND
    counts, probs = np.array([0, 5, 40, 100]), np.array([0.5, 1.0, 0.0, 0.25])
    y = to_np(krandom.binomial((3, 4), K.tensor(counts), K.tensor(probs), seed=12))
    assert y.shape == (3, 4)
    np.testing.assert_array_equal(y[:, :3], np.tile([0.0, 5.0, 0.0], (3, 1)))
    assert np.all((y[:, 3] >= 0) & (y[:, 3] <= 100))


def test_binomial_errors():
    with pytest.raises(ValueError, match="counts"):
        krandom.binomial((3,), -1, 0.5)
    with pytest.raises(ValueError, match="counts"):
        krandom.binomial((3,), 2.5, 0.5)
    with pytest.raises(ValueError, match="probabilities"):
        krandom.binomial((3,), 4, 1.5)
