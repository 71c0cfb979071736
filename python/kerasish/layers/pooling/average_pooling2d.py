"""AveragePooling2D, as keras/src/layers/pooling/average_pooling2d.py."""
from kerasish.layers.pooling.base_pooling import BasePooling


class AveragePooling2D(BasePooling):
    rank, mode = 2, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
