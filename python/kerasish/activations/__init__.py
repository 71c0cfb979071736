"""Activation functions, as ``keras.activations``: the functions (activations/activations.py) and
the name table behind get / serialize / deserialize.
"""
from __future__ import annotations

from kerasish.activations.activations import (
    bias_activation,
    celu,
    elu,
    exponential,
    fused_name,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    squareplus,
    swish,
    tanh,
    tanh_shrink,
    threshold,
)
from kerasish.utils import registry

__all__ = [
    "celu", "deserialize", "elu", "exponential", "gelu", "get", "glu", "hard_shrink", "hard_sigmoid",
    "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "serialize", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "sparse_plus", "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
]


_ALL = [
    celu, elu, exponential, gelu, glu, hard_shrink, hard_sigmoid, hard_silu, hard_tanh, leaky_relu, linear,
    log_sigmoid, log_softmax, mish, relu, relu6, selu, sigmoid, silu, soft_shrink, softmax, softplus, softsign,
    sparse_plus, squareplus, tanh, tanh_shrink, threshold,
]


ALL_OBJECTS_DICT = {fn.__name__: fn for fn in _ALL}
ALL_OBJECTS_DICT.update({"swish": silu, "hard_swish": hard_silu})


def serialize(activation):
    """The registered name of a built-in activation (``"relu"``, ``"silu"`` for swish, ...).

    A user function serialises as its ``__name__``.
    """
    for name, fn in ALL_OBJECTS_DICT.items():
        if fn is activation and name == fn.__name__:
            return name
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(f"Could not serialize activation {activation!r}: it has no name")
    return name


def deserialize(config, custom_objects=None):
    """The activation function for a name (or a ``{"class_name": ..., "config": name}`` dict)."""
    if isinstance(config, dict):
        config = config.get("config", config.get("class_name"))
    if custom_objects and config in custom_objects:
        return custom_objects[config]
    if isinstance(config, str) and config in ALL_OBJECTS_DICT:
        return ALL_OBJECTS_DICT[config]
    raise ValueError(
        f"Unknown activation function: {config!r}. Valid names are: {registry.valid_names(ALL_OBJECTS_DICT)}"
    )


def get(identifier):
    """``None`` -> :func:`linear`; a name -> that function; a callable -> itself."""
    return registry.get(identifier, deserialize, "activation function", lambda: registry.valid_names(ALL_OBJECTS_DICT),
                        default=linear, instantiate_classes=False)
