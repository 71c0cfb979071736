"""Rescaling, as keras/src/layers/preprocessing/rescaling.py."""
from kerasish import ops
from kerasish.layers.layer import Layer


class Rescaling(Layer):
    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.scale = scale
        self.offset = offset

    def call(self, inputs):
        x = ops.cast(inputs, self.dtype)
        return x * self.scale + self.offset

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
