"""The base of the merging layers, as keras/src/layers/merging/base_merge.py."""
from kerasish import ops
from kerasish.layers.layer import Layer


def _check_masks(inputs, mask):
    if not isinstance(mask, (tuple, list)):
        raise ValueError(f"`mask` should be a list. Received: mask={mask}")
    if not isinstance(inputs, (tuple, list)):
        raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
    if len(mask) != len(inputs):
        raise ValueError("The lists `inputs` and `mask` should have the same length. Received: inputs="
                         f"{inputs} of length {len(inputs)}, and mask={mask} of length {len(mask)}")


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

    def compute_mask(self, inputs, mask=None):
        """As Keras: an output step is valid where it is valid in every input (no mask if any
        input has none)."""
        if mask is None:
            return None
        _check_masks(inputs, mask)
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = ops.logical_or(out, m)
        return out

    def _finish(self, out, n):
        return out
