"""GlobalAveragePooling1D, as keras/src/layers/pooling/global_average_pooling1d.py."""
from kerasish import ops
from kerasish.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling1D(BaseGlobalPooling):
    """The mean over the steps; with a mask (Embedding(mask_zero=True), Masking), over the valid steps."""

    mode = "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps = 1 if self.data_format == "channels_last" else 2
        m = ops.cast(ops.expand_dims(mask, 2 if self.data_format == "channels_last" else 1), "bool")
        total = ops.sum(ops.where(m, inputs, 0), axis=steps, keepdims=self.keepdims)
        return total / ops.sum(ops.cast(m, inputs.dtype), axis=steps, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None
