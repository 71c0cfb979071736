"""Models, as keras.models."""
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential
from kerasish.saving import load_model

__all__ = ["Model", "Sequential", "load_model"]
