"""Saving and loading, as ``keras.saving``: ``.keras`` archives (config + HDF5 weights, as Keras writes them) and
weights-only files. Nothing in a saved file is ever executed: see :mod:`kerasish.saving.serialization_lib`."""
from kerasish.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from kerasish.saving.saving_lib import load_model, load_weights, save_model, save_weights
from kerasish.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

__all__ = [
    "CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
    "get_registered_name", "get_registered_object", "load_model", "load_weights", "register_keras_serializable",
    "save_model", "save_weights", "serialize_keras_object",
]
