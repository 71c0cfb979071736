"""Optimizers, as ``keras.optimizers``: SGD, RMSprop, Adagrad, Adam, AdamW, Nadam and schedules.

``get("adam")`` returns a fresh optimizer with Keras's defaults; names are the lower-case class
names (the class names themselves are accepted too).
"""
from __future__ import annotations

from kerasish.optimizers import schedules
from kerasish.optimizers.adagrad import Adagrad
from kerasish.optimizers.adam import Adam, AdamW
from kerasish.optimizers.base_optimizer import LearningRate, Optimizer
from kerasish.optimizers.nadam import Nadam
from kerasish.optimizers.rmsprop import RMSprop
from kerasish.optimizers.schedules import LearningRateSchedule
from kerasish.optimizers.sgd import SGD
from kerasish.utils import registry

__all__ = [
    "Adagrad",
    "Adam",
    "AdamW",
    "LearningRateSchedule",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "SGD",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]

BUILTIN_OPTIMIZERS = {cls.__name__.lower(): cls for cls in (SGD, RMSprop, Adagrad, Adam, AdamW, Nadam)}


def _lookup(name, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    cls = BUILTIN_OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise ValueError(
            f"Could not interpret optimizer identifier: {name!r}. "
            f"Valid names are: {', '.join(repr(n) for n in sorted(BUILTIN_OPTIMIZERS))}."
        )
    return cls


def serialize(optimizer):
    """Keras's serialized form: ``{"module", "class_name", "config", "registered_name"}``."""
    cls = type(optimizer)
    return registry.to_config(optimizer, "keras.optimizers", builtin=BUILTIN_OPTIMIZERS.get(cls.__name__.lower()) is cls)


def deserialize(config, custom_objects=None):
    """Rebuilds an optimizer from :func:`serialize`'s output (or ``{"class_name", "config"}``)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret optimizer config: {config!r}")
    custom_objects = custom_objects or {}
    cls = custom_objects.get(config.get("registered_name")) or custom_objects.get(config["class_name"])
    if cls is None:
        cls = _lookup(config["class_name"])
    return cls.from_config(dict(config.get("config", {})), custom_objects=custom_objects)


def get(identifier):
    """An optimizer from an instance (returned as is), a name ("adam", "sgd", ...) or a config dict."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _lookup(identifier)()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
