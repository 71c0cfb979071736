"""MaxPooling2D, as keras/src/layers/pooling/max_pooling2d.py."""
from kerasish.layers.pooling.base_pooling import BasePooling


class MaxPooling2D(BasePooling):
    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
