"""The base of the pooling layers (channels_last), as keras/src/layers/pooling/base_pooling.py."""
from kerasish import ops
from kerasish.layers.layer import Layer


def _tuple(v, rank):
    return (v,) * rank if isinstance(v, int) else tuple(v)


class BasePooling(Layer):
    rank = 2
    mode = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is supported")
        self.pool_size = _tuple(pool_size, self.rank)
        self.strides = self.pool_size if strides is None else _tuple(strides, self.rank)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: `padding` must be 'valid' or 'same', got {padding!r}")

    def call(self, inputs):
        fn = ops.max_pool if self.mode == "max" else ops.average_pool
        return fn(inputs, self.pool_size, self.strides, self.padding)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": "channels_last"}
