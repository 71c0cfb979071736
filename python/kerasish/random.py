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
