"""Models, as keras.models."""
from kerasish.models.model import Model, Sequential
from kerasish.saving import load_model

__all__ = ["Model", "Sequential", "load_model"]
