"""AveragePooling1D, as keras/src/layers/pooling/average_pooling1d.py."""
from kerasish.layers.pooling.base_pooling import BasePooling


class AveragePooling1D(BasePooling):
    rank, mode = 1, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
