"""Add, as keras/src/layers/merging/add.py."""
from kerasish.layers.merging.base_merge import Merge


class Add(Merge):
    def _merge(self, a, b):
        return a + b


def add(inputs, **kwargs):
    """keras.layers.add: `Add(**kwargs)(inputs)`."""
    return Add(**kwargs)(inputs)
