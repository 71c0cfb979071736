"""Conv2D, as keras/src/layers/convolutional/conv2d.py."""
from kerasish.layers.convolutional.base_conv import BaseConv


class Conv2D(BaseConv):
    rank = 2
