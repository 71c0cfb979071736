"""Flatten, as keras/src/layers/reshaping/flatten.py."""
from kerasish import ops
from kerasish.layers.layer import Layer


class Flatten(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0], -1) if inputs.shape[0] != 0 else (0, _prod(inputs.shape[1:])))


def _prod(s):
    n = 1
    for d in s:
        n *= d
    return n
