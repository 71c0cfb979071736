"""Weight regularizers, as ``keras.regularizers``: ``reg(weight)`` returns a scalar penalty tensor
(built from engine ops, so it is differentiable with respect to the weight).
"""
from __future__ import annotations

from kerasish.regularizers.regularizers import (
    L1,
    L1L2,
    L2,
    OrthogonalRegularizer,
    Regularizer,
    l1,
    l1_l2,
    l2,
    orthogonal_regularizer,
)
from kerasish.utils import registry

__all__ = [
    "L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1", "l1_l2", "l2",
    "orthogonal_regularizer", "serialize",
]


ALL_OBJECTS_DICT = {cls.__name__: cls for cls in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)}
ALL_OBJECTS_DICT.update({
    "regularizer": Regularizer, "l1": L1, "l2": L2, "l1l2": L1L2, "l1_l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
})


def _valid_names():
    return registry.valid_names(ALL_OBJECTS_DICT, ("Regularizer", "regularizer"))


def serialize(regularizer):
    """``{"module", "class_name", "config", "registered_name"}`` as Keras writes it."""
    return registry.to_config(regularizer, "keras.regularizers")


def deserialize(config, custom_objects=None):
    """A regularizer from a name or a ``{"class_name": ..., "config": {...}}`` dict."""
    return registry.from_config(config, ALL_OBJECTS_DICT, "regularizer", _valid_names(), custom_objects)


def get(identifier):
    """``None`` -> None; a name or config dict -> a new regularizer; a class -> a default
    instance; an instance or callable -> itself."""
    return registry.get(identifier, deserialize, "regularizer", _valid_names)
