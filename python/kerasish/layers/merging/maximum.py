"""Maximum, as keras/src/layers/merging/maximum.py."""
from kerasish import ops
from kerasish.layers.merging.base_merge import Merge


class Maximum(Merge):
    def _merge(self, a, b):
        return ops.maximum(a, b)


def maximum(inputs, **kwargs):
    """keras.layers.maximum: `Maximum(**kwargs)(inputs)`."""
    return Maximum(**kwargs)(inputs)
