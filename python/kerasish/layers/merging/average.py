"""Average, as keras/src/layers/merging/average.py."""
from kerasish.layers.merging.base_merge import Merge


class Average(Merge):
    def _merge(self, a, b):
        return a + b

    def _finish(self, out, n):
        return out / float(n)


def average(inputs, **kwargs):
    """keras.layers.average: `Average(**kwargs)(inputs)`."""
    return Average(**kwargs)(inputs)
