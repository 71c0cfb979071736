"""Masking, as keras/src/layers/core/masking.py: steps whose features all equal `mask_value` are
masked for the layers downstream (and zeroed)."""
from kerasish import ops
from kerasish.layers.layer import Layer, set_keras_mask


class Masking(Layer):
    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        outputs = inputs * ops.cast(keep, inputs.dtype)
        set_keras_mask(outputs, ops.squeeze(keep, axis=-1))  # outputs and mask in one pass, as Keras
        return outputs

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
