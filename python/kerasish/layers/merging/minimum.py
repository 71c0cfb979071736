"""Minimum, as keras/src/layers/merging/minimum.py."""
from kerasish import ops
from kerasish.layers.merging.base_merge import Merge


class Minimum(Merge):
    def _merge(self, a, b):
        return ops.minimum(a, b)
