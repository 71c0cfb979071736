"""Real Keras 3 on JAX as the oracle of differential tests (where Keras differs from NumPy, Keras
is right). ``real_keras()`` returns the ``keras`` module on the JAX backend with float64 enabled,
or skips the test when keras / jax are not installed (``.ci/run`` installs them, so CI runs the
group; ``pytest -m keras_oracle`` runs only it).

Keras is imported lazily, inside the tests that use it, so the rest of the suite never pays for
importing JAX."""
from __future__ import annotations

import os

import numpy as np
import pytest

oracle = pytest.mark.keras_oracle


def real_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip(f"the oracle needs Keras on JAX, this process has {keras.backend.backend()}")
    return keras


def keras_np(x) -> np.ndarray:
    """A real-Keras result as a NumPy array."""
    return np.asarray(real_keras().ops.convert_to_numpy(x))
