"""Pooling layers (channels_last)."""
from kerasish import ops
from kerasish.layers.layer import Layer


def _tuple(v, rank):
    return (v,) * rank if isinstance(v, int) else tuple(v)


class _Pool(Layer):
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


class MaxPooling2D(_Pool):
    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pool):
    rank, mode = 2, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling1D(_Pool):
    rank, mode = 1, "max"


class AveragePooling1D(_Pool):
    rank, mode = 1, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPool(Layer):
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


class GlobalAveragePooling2D(_GlobalPool):
    mode = "average"


class GlobalMaxPooling2D(_GlobalPool):
    mode = "max"


class GlobalAveragePooling1D(_GlobalPool):
    mode = "average"


class GlobalMaxPooling1D(_GlobalPool):
    mode = "max"
