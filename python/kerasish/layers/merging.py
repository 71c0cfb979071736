"""Merging layers: Add, Multiply, Concatenate (and Subtract, Average, Maximum, Minimum)."""
from kerasish import ops
from kerasish.layers.layer import Layer, _MultiInput


class _Merge(_MultiInput, Layer):
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


class Add(_Merge):
    def _merge(self, a, b):
        return a + b


class Subtract(_Merge):
    def call(self, inputs):
        if len(inputs) != 2:
            raise ValueError("Subtract must be called on exactly 2 inputs")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    def _merge(self, a, b):
        return a * b


class Average(_Merge):
    def _merge(self, a, b):
        return a + b

    def _finish(self, out, n):
        return out / float(n)


class Maximum(_Merge):
    def _merge(self, a, b):
        return ops.maximum(a, b)


class Minimum(_Merge):
    def _merge(self, a, b):
        return ops.minimum(a, b)


class Concatenate(_Merge):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 1:
            raise ValueError("Concatenate must be called on a list of inputs")
        return ops.concatenate(list(inputs), axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
