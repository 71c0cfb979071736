"""Weight initializers, as ``keras.initializers``.

An initializer is called as ``init(shape, dtype=None)`` and returns a new :class:`kerasish.Tensor`
(``dtype`` defaults to ``kerasish.config.floatx()``). Random values come from the engine's
generators (:mod:`kerasish.random`):

* ``seed=<int>``: every call draws from a fresh generator for that seed, so a seeded initializer
  returns the same values on every call (as in Keras).
* ``seed=None``: each call draws from the engine's global generator, so successive calls differ and
  :func:`kerasish.utils.set_random_seed` makes the whole sequence repeat. (Keras 3 instead picks a
  fixed random seed when an unseeded initializer is built, so reusing one unseeded instance gives
  identical tensors and a warning; we give independent draws.)

Fans are computed as Keras does: for a kernel of shape ``(..., in, out)`` with more than two
dimensions, ``fan_in = in * receptive_field`` and ``fan_out = out * receptive_field`` where
``receptive_field`` is the product of the leading dimensions.
"""
from __future__ import annotations

from kerasish.initializers.constant_initializers import Constant, Identity, Ones, Zeros
from kerasish.initializers.initializer import Initializer
from kerasish.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    compute_fans,
)
from kerasish.utils import registry

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "Initializer",
    "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "Zeros", "compute_fans", "deserialize", "get", "serialize",
    "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity", "lecun_normal",
    "lecun_uniform", "ones", "orthogonal", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "zeros",
]


# snake_case aliases (the classes themselves, as in keras.initializers)
constant = Constant


glorot_normal = GlorotNormal


glorot_uniform = GlorotUniform


he_normal = HeNormal


he_uniform = HeUniform


identity = Identity


lecun_normal = LecunNormal


lecun_uniform = LecunUniform


ones = Ones


orthogonal = Orthogonal


random_normal = RandomNormal


random_uniform = RandomUniform


truncated_normal = TruncatedNormal


variance_scaling = VarianceScaling


zeros = Zeros


_CLASSES = [
    Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, Initializer, LecunNormal, LecunUniform,
    Ones, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, Zeros,
]


ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({
    "constant": Constant, "glorot_normal": GlorotNormal, "glorot_uniform": GlorotUniform,
    "he_normal": HeNormal, "he_uniform": HeUniform, "identity": Identity, "initializer": Initializer,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform, "ones": Ones, "orthogonal": Orthogonal,
    "random_normal": RandomNormal, "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "zeros": Zeros,
    # Keras's aliases
    "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
    "normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros,
})


def _valid_names():
    return registry.valid_names(ALL_OBJECTS_DICT, ("Initializer", "initializer"))


def serialize(initializer):
    """``{"module", "class_name", "config", "registered_name"}`` as Keras writes it."""
    return registry.to_config(initializer, "keras.initializers")


def deserialize(config, custom_objects=None):
    """A initializer from a name or a ``{"class_name": ..., "config": {...}}`` dict."""
    return registry.from_config(config, ALL_OBJECTS_DICT, "initializer", _valid_names(), custom_objects)


def get(identifier):
    """``None`` -> None; a name or config dict -> a new initializer; an instance or callable -> itself;
    a class -> a default instance. Unknown names raise ValueError listing the valid ones."""
    return registry.get(identifier, deserialize, "initializer", _valid_names)
