"""Random tensors, as keras.random. Pass ``seed`` for repeatable draws, or seed everything with
:func:`kerasish.utils.set_random_seed`."""
from kerasish import _core

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
