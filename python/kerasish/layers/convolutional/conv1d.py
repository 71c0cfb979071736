"""Conv1D, as keras/src/layers/convolutional/conv1d.py."""
from kerasish.layers.convolutional.base_conv import BaseConv


class Conv1D(BaseConv):
    rank = 1
