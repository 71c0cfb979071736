"""The base of the global pooling layers, as keras/src/layers/pooling/base_global_pooling.py."""
from kerasish import ops
from kerasish.layers.layer import Layer


class BaseGlobalPooling(Layer):
    mode = "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = keepdims

    def call(self, inputs):
        axes = tuple(range(1, inputs.ndim - 1))
        fn = ops.mean if self.mode == "average" else ops.max
        return fn(inputs, axis=axes, keepdims=self.keepdims)

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last", "keepdims": self.keepdims}
