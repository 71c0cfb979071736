"""Random tensors, as keras.random. Pass ``seed`` for repeatable draws, or seed everything with
:func:`kerasish.utils.set_random_seed`."""
import math

import numpy as np

from kerasish import _core, config
from kerasish.ops import math as _kmath
from kerasish.ops import numpy as _knp

SeedGenerator = _core.SeedGenerator
SeedGenerator.__doc__ = """A random stream of its own, as keras.random.SeedGenerator: pass it as ``seed=``; each
draw moves it on. ``SeedGenerator(seed)`` repeats; ``SeedGenerator()`` starts from the global
generator."""


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _core.random_normal(shape, float(mean), float(stddev), dtype, seed)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _core.random_uniform(shape, float(minval), float(maxval), dtype, seed)


def randint(shape, minval, maxval, dtype="int64", seed=None):
    return _core.random_randint(shape, int(minval), int(maxval), dtype, seed)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeros each entry with probability `rate` and scales the rest by 1 / (1 - rate), as
    keras.random.dropout; `noise_shape` (None entries: the input's dims) shares one draw along
    its size-1 dims."""
    if not 0 <= rate <= 1:
        raise ValueError(f"dropout: `rate` must be in [0, 1], got {rate}")
    inputs = _core.convert_to_tensor(inputs, None)
    shape = tuple(inputs.shape)
    if noise_shape is not None:
        if len(noise_shape) != len(shape):
            raise ValueError(f"dropout: noise_shape {tuple(noise_shape)} does not match inputs of shape {shape}")
        shape = tuple(s if n is None else int(n) for s, n in zip(shape, noise_shape))
    keep = uniform(shape, dtype=inputs.dtype, seed=seed) >= rate
    scale = 1.0 / (1.0 - rate) if rate < 1 else 0.0
    return inputs * _core.convert_to_tensor(keep, inputs.dtype) * scale


# ---------------------------------------------------------------- distributions composed from the
# uniform and normal draws (a seed gives the same numbers every time: an int seed starts a stream
# of its own, so the several draws one sample takes differ from each other)

def _stream(seed):
    if seed is None or isinstance(seed, SeedGenerator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"`seed` must be None, an int or a keras.random.SeedGenerator, got {seed!r}")
    return SeedGenerator(int(seed))


def _float_dtype(dtype, who):
    dtype = dtype or config.floatx()
    if dtype not in ("float32", "float64"):
        raise ValueError(f"`keras.random.{who}` requires a floating point `dtype` ('float32' or 'float64'). "
                         f"Received: dtype={dtype}")
    return dtype


def _shape(shape, who):
    try:
        return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"keras.random.{who}: `shape` must be an int or a tuple of ints, got {shape!r}") from None


def _param(v, dtype, shape, who, name):
    t = _core.convert_to_tensor(v, dtype)
    if t.device != _core.get_device():  # a Python number is a 0-d CPU tensor; draws are made on the default device
        t = t.to(_core.get_device())
    try:
        return _core.broadcast_to(t, shape)
    except Exception:
        raise ValueError(f"keras.random.{who}: `{name}` of shape {tuple(t.shape)} does not broadcast to "
                         f"shape {shape}") from None


def _open_unit(shape, dtype, gen):
    """Uniform draws in (0, 1): neither end (a float32 draw can round up to 1)."""
    u = uniform(shape, dtype=dtype, seed=gen)
    tiny, top = float(np.finfo(dtype).tiny), float(np.nextafter(np.array(1, dtype), np.array(0, dtype)))
    return _knp.clip(u, tiny, top)


def shuffle(x, axis=0, seed=None):
    """x with each 1-D slice along `axis` in a uniformly random order, as keras.random.shuffle on
    JAX (jax.random.permutation(..., independent=True), and NumPy's Generator.permuted): every
    slice gets its own permutation. The order is an argsort of random keys (two 31-bit keys,
    least significant first, so ties are negligible); the values are gathered."""
    x = _core.convert_to_tensor(x, None)
    if x.ndim == 0:
        raise ValueError("keras.random.shuffle: x must have at least one dimension, got a scalar")
    if not -x.ndim <= int(axis) < x.ndim:
        raise ValueError(f"keras.random.shuffle: axis {axis} is out of bounds for x of rank {x.ndim}")
    ax, gen = int(axis) % x.ndim, _stream(seed)
    shape = tuple(x.shape)
    lo = randint(shape, 0, 2**31 - 1, "int64", gen)
    hi = randint(shape, 0, 2**31 - 1, "int64", gen)
    order = _core.argsort(lo, ax, False)
    order = _knp.take_along_axis(order, _core.argsort(_knp.take_along_axis(hi, order, ax), ax, False), ax)
    return _knp.take_along_axis(x, order if order.device == x.device else order.to(x.device), ax)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws restricted to mean ± 2 stddev, as keras.random.truncated_normal, by inverting
    the CDF (as jax.random.truncated_normal): z = sqrt(2) erfinv(u), u uniform on
    (erf(-sqrt 2), erf(sqrt 2)); one uniform draw, exact, no rejection."""
    shape, dtype = _shape(shape, "truncated_normal"), _float_dtype(dtype, "truncated_normal")
    a = math.erf(math.sqrt(2.0))
    u = uniform(shape, -a, a, dtype=dtype, seed=_stream(seed))
    z = _knp.clip(_knp.multiply(_kmath.erfinv(u), math.sqrt(2.0)), -2.0, 2.0)
    return _knp.add(_knp.multiply(z, float(stddev)), float(mean))


def categorical(logits, num_samples, dtype="int64", seed=None):
    """`num_samples` class draws per row of the (batch, classes) unnormalised log-probabilities,
    as keras.random.categorical: the Gumbel-max trick, argmax(logits + Gumbel noise) (as
    jax.random.categorical). Returns (batch, num_samples) in `dtype` (kerasish's integer dtype is
    int64; Keras's default is int32)."""
    logits = _core.convert_to_tensor(logits, None)
    if logits.ndim != 2:
        raise ValueError(f"`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
                         f"Received: logits={tuple(logits.shape)}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 0:
        raise ValueError(f"keras.random.categorical: num_samples must be a non-negative int, got {num_samples!r}")
    if logits.dtype not in ("float32", "float64"):
        logits = _core.convert_to_tensor(logits, "float32")
    b, k = logits.shape
    u = _open_unit((b, int(num_samples), k), logits.dtype, _stream(seed))
    u = u if u.device == logits.device else u.to(logits.device)
    gumbel = _knp.negative(_knp.log(_knp.negative(_knp.log(u))))
    out = _knp.argmax(_knp.add(_knp.expand_dims(logits, 1), gumbel), -1)
    return _core.convert_to_tensor(out, dtype)


_GAMMA_ROUNDS = 10


def _log_gamma(shape, alpha, dtype, gen):
    """log of Gamma(alpha, 1) draws (alpha a tensor of `shape`), Marsaglia and Tsang's method:
    d (1 + c z)^3 for normal z, accepted when log u < z^2 / 2 + d - d v + d log v; alpha < 1 is
    boosted (Gamma(alpha + 1) U^(1 / alpha)). Vectorised rounds of proposals, each accepted
    element keeping its first accepted draw; every round accepts with probability >= 0.95, so
    after the last of at most 10 rounds an element is left with probability < 1e-13, and takes
    that round's proposal (the Wilson-Hilferty approximation the method refines)."""
    small = _knp.less(alpha, 1.0)
    a = _knp.where(small, _knp.add(alpha, 1.0), alpha)
    d = _knp.subtract(a, 1.0 / 3.0)
    c = _knp.divide(1.0, _knp.sqrt(_knp.multiply(d, 9.0)))
    done = _knp.zeros(shape, "bool")
    logv = _knp.zeros(shape, dtype)
    for r in range(_GAMMA_ROUNDS):
        z = normal(shape, dtype=dtype, seed=gen)
        u = _open_unit(shape, dtype, gen)
        t = _knp.add(_knp.multiply(c, z), 1.0)
        pos = _knp.greater(t, 0.0)
        lv = _knp.multiply(_knp.log(_knp.where(pos, t, 1.0)), 3.0)
        bound = _knp.add(_knp.multiply(_knp.square(z), 0.5),
                         _knp.multiply(d, _knp.add(_knp.subtract(1.0, _knp.exp(lv)), lv)))
        ok = _knp.logical_and(pos, _knp.less(_knp.log(u), bound))
        if r == _GAMMA_ROUNDS - 1:  # the fallback: the proposal itself (t held above 0)
            ok = _knp.logical_or(ok, _knp.logical_not(done))
            lv = _knp.multiply(_knp.log(_knp.maximum(t, 1e-3)), 3.0)
        logv = _knp.where(_knp.logical_and(ok, _knp.logical_not(done)), lv, logv)
        done = _knp.logical_or(done, ok)
        if bool(_knp.all(done)):
            break
    out = _knp.add(_knp.log(d), logv)
    boost = _knp.divide(_knp.log(_open_unit(shape, dtype, gen)), alpha)
    return _knp.where(small, _knp.add(out, boost), out)


def _positive(t, who, name):
    if t.size and not bool(_knp.all(_knp.greater(t, 0.0))):
        raise ValueError(f"keras.random.{who}: `{name}` must be positive, got values down to {float(_knp.min(t))}")


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma(alpha, 1) draws, as keras.random.gamma (alpha a float or a tensor broadcasting to
    shape): Marsaglia and Tsang's rejection method in vectorised rounds (see _log_gamma)."""
    shape, dtype = _shape(shape, "gamma"), _float_dtype(dtype, "gamma")
    a = _param(alpha, dtype, shape, "gamma", "alpha")
    _positive(a, "gamma", "alpha")
    return _knp.exp(_log_gamma(shape, a, dtype, _stream(seed)))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta(alpha, beta) draws, as keras.random.beta: X / (X + Y) for X ~ Gamma(alpha), Y ~
    Gamma(beta), computed as sigmoid(log X - log Y) so that tiny gammas do not give 0 / 0."""
    shape, dtype = _shape(shape, "beta"), _float_dtype(dtype, "beta")
    a, b = _param(alpha, dtype, shape, "beta", "alpha"), _param(beta, dtype, shape, "beta", "beta")
    _positive(a, "beta", "alpha")
    _positive(b, "beta", "beta")
    gen = _stream(seed)
    lx = _log_gamma(shape, a, dtype, gen)
    ly = _log_gamma(shape, b, dtype, gen)
    return _core.unary("sigmoid", _knp.subtract(lx, ly))


_BERNOULLI_MAX = 32


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial(counts, probabilities) draws, as keras.random.binomial (both broadcast to shape),
    exact for every count: counts up to 32 as sums of Bernoulli draws; larger counts are first
    halved, level by level, by the order-statistic recursion (Knuth; Devroye, Non-Uniform Random
    Variate Generation, X.4): with a = n // 2 + 1 and X ~ Beta(a, n + 1 - a), the a-th smallest
    of n uniforms, the count is Binomial(a - 1, p / X) when p < X, else a + Binomial(n - a,
    (p - X) / (1 - X)); log2(n / 32) levels, each one beta draw for the whole tensor."""
    shape, dtype = _shape(shape, "binomial"), _float_dtype(dtype, "binomial")
    work = "float64" if _core.get_device() == "cpu" else "float32"  # counts exact beyond 2^24 on the CPU
    n = _param(counts, work, shape, "binomial", "counts")
    p = _param(probabilities, work, shape, "binomial", "probabilities")
    if n.size:
        if not bool(_knp.all(_knp.logical_and(_knp.greater_equal(n, 0.0), _knp.equal(n, _knp.floor(n))))):
            raise ValueError("keras.random.binomial: `counts` must be non-negative integers")
        if not bool(_knp.all(_knp.logical_and(_knp.greater_equal(p, 0.0), _knp.less_equal(p, 1.0)))):
            raise ValueError("keras.random.binomial: `probabilities` must lie in [0, 1]")
    gen = _stream(seed)
    total = _knp.zeros(shape, work)
    nmax = int(float(_knp.max(n))) if n.size else 0
    while nmax > _BERNOULLI_MAX:
        big = _knp.greater(n, float(_BERNOULLI_MAX))
        nb = _knp.where(big, n, 2.0 * _BERNOULLI_MAX + 1)  # a valid stand-in where nothing changes
        a = _knp.add(_knp.floor(_knp.divide(nb, 2.0)), 1.0)
        x = beta(shape, a, _knp.subtract(_knp.add(nb, 1.0), a), work, gen)
        left = _knp.less(p, x)
        p_left = _knp.divide(p, x)
        rest = _knp.subtract(1.0, x)
        room = _knp.greater(rest, 0.0)
        p_right = _knp.where(room, _knp.divide(_knp.subtract(p, x), _knp.where(room, rest, 1.0)), 0.0)
        new_p = _knp.clip(_knp.where(left, p_left, p_right), 0.0, 1.0)
        new_n = _knp.where(left, _knp.subtract(a, 1.0), _knp.subtract(nb, a))
        total = _knp.where(_knp.logical_and(big, _knp.logical_not(left)), _knp.add(total, a), total)
        n, p = _knp.where(big, new_n, n), _knp.where(big, new_p, p)
        nmax = nmax // 2
    m = min(nmax, _BERNOULLI_MAX)
    if m > 0:
        u = uniform(shape + (m,), dtype=work, seed=gen)
        j = _core.convert_to_tensor(np.arange(m, dtype=np.float64), work)
        j = j if j.device == u.device else j.to(u.device)
        hit = _knp.logical_and(_knp.less(u, _knp.expand_dims(p, -1)), _knp.less(j, _knp.expand_dims(n, -1)))
        total = _knp.add(total, _knp.sum(_core.convert_to_tensor(hit, work), -1))
    return _core.convert_to_tensor(total, dtype)
