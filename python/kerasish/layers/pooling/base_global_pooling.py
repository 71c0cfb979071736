"""The base of the global pooling layers, as keras/src/layers/pooling/base_global_pooling.py."""
from kerasish import config, ops
from kerasish.layers.layer import Layer


class BaseGlobalPooling(Layer):
    mode = "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        data_format = config.image_data_format() if data_format is None else str(data_format).lower()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                             f"Received: data_format={data_format}")
        self.data_format = data_format
        self.keepdims = keepdims

    def _steps_axes(self, ndim):
        return tuple(range(1, ndim - 1)) if self.data_format == "channels_last" else tuple(range(2, ndim))

    def call(self, inputs):
        fn = ops.mean if self.mode == "average" else ops.max
        return fn(inputs, axis=self._steps_axes(inputs.ndim), keepdims=self.keepdims)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
