"""Minimum, as keras/src/layers/merging/minimum.py."""
from kerasish import ops
from kerasish.layers.merging.base_merge import Merge


class Minimum(Merge):
    def _merge(self, a, b):
        return ops.minimum(a, b)


def minimum(inputs, **kwargs):
    """keras.layers.minimum: `Minimum(**kwargs)(inputs)`."""
    return Minimum(**kwargs)(inputs)
