"""Subtract, as keras/src/layers/merging/subtract.py."""
from kerasish.layers.merging.base_merge import Merge


class Subtract(Merge):
    def call(self, inputs):
        if len(inputs) != 2:
            raise ValueError("Subtract must be called on exactly 2 inputs")
        return inputs[0] - inputs[1]


def subtract(inputs, **kwargs):
    """keras.layers.subtract: `Subtract(**kwargs)(inputs)`."""
    return Subtract(**kwargs)(inputs)
