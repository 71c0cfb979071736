"""The base of the merging layers, as keras/src/layers/merging/base_merge.py."""
from kerasish.layers.layer import Layer


class Merge(Layer):
    builds_on_list = True

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(f"{type(self).__name__} must be called on a list of at least 2 inputs")
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{type(self).__name__} must be called on a list of at least 2 inputs")
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return self._finish(out, len(inputs))

    def _finish(self, out, n):
        return out
