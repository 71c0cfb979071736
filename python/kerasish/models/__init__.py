"""Models, as keras.models."""
import json as _json

from kerasish.models.cloning import clone_model
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential
from kerasish.saving import load_model, save_model


def model_from_json(json_string, custom_objects=None):
    """The model (untrained: fresh weights) a ``Model.to_json`` string describes."""
    from kerasish.saving.serialization_lib import deserialize_keras_object

    return deserialize_keras_object(_json.loads(json_string), custom_objects=custom_objects)


__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
