"""MaxPooling1D, as keras/src/layers/pooling/max_pooling1d.py."""
from kerasish.layers.pooling.base_pooling import BasePooling


class MaxPooling1D(BasePooling):
    rank, mode = 1, "max"
