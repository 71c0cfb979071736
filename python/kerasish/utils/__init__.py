"""Utilities, as keras.utils."""
import random as _py_random

from kerasish import _core


def set_random_seed(seed):
    """Seeds Python's ``random``, NumPy and the engine, so weights, shuffling and dropout repeat."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})")
    _py_random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % (2**32))
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    _core.set_seed(seed)
