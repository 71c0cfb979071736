"""Multiply, as keras/src/layers/merging/multiply.py."""
from kerasish.layers.merging.base_merge import Merge


class Multiply(Merge):
    def _merge(self, a, b):
        return a * b


def multiply(inputs, **kwargs):
    """keras.layers.multiply: `Multiply(**kwargs)(inputs)`."""
    return Multiply(**kwargs)(inputs)
