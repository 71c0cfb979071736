"""Models, as keras.models."""
from kerasish.models.model import Model, Sequential

__all__ = ["Model", "Sequential"]
