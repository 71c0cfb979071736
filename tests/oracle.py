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
    """Keras on JAX, with keras.ops (and its submodules) calling each function under one
    jax.jit: JAX compiles every primitive of an eager call separately, which made the oracle
    group most of the suite's time; one compiled call per Keras op is several times cheaper and
    computes the same values. A call that cannot be traced (a Python branch on values, a shape
    that depends on values, a non-array result) runs eagerly as written."""
    global _PROXY
    if _PROXY is not None:
        return _PROXY
    os.environ.setdefault("KERAS_BACKEND", "jax")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip(f"the oracle needs Keras on JAX, this process has {keras.backend.backend()}")
    _PROXY = _Keras(keras)
    return _PROXY


_PROXY = None
# conversions and queries: nothing to compile
_EAGER = {"convert_to_tensor", "convert_to_numpy", "shape", "dtype", "is_tensor", "cast"}


def _jit_call(f):
    import jax

    def is_array(v):
        return isinstance(v, (np.ndarray, jax.Array))

    def call(*args, **kwargs):
        leaves, tree = jax.tree_util.tree_flatten((args, kwargs), is_leaf=lambda v: v is None)
        at = [i for i, v in enumerate(leaves) if is_array(v)]
        if not at:
            return f(*args, **kwargs)

        def traced(*arrays):
            filled = list(leaves)
            for i, a in zip(at, arrays):
                filled[i] = a
            a2, k2 = jax.tree_util.tree_unflatten(tree, filled)
            return f(*a2, **k2)

        try:
            return jax.jit(traced)(*[leaves[i] for i in at])
        except Exception:  # not traceable: as written (a real error is raised again here)
            return f(*args, **kwargs)

    return call


class _Jitted:
    """A Keras module whose functions run through `_jit_call`."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        import types
        v = getattr(self._module, name)
        if isinstance(v, types.ModuleType):
            return _Jitted(v)
        if not callable(v) or isinstance(v, type) or name in _EAGER:
            return v
        return _jit_call(v)


class _Keras:
    """The keras module, with `ops` compiled per call (everything else as it is)."""

    def __init__(self, keras):
        self.eager = keras  # the module itself, for tests of Keras's own value checks
        self.ops = _Jitted(keras.ops)

    def __getattr__(self, name):
        return getattr(self.eager, name)


def keras_np(x) -> np.ndarray:
    """A real-Keras result as a NumPy array."""
    return np.asarray(real_keras().ops.convert_to_numpy(x))
