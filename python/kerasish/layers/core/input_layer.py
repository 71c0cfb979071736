"""InputLayer and Input, as keras/src/layers/core/input_layer.py."""
from kerasish.layers.layer import Layer
from kerasish.naming import auto_name
from kerasish.ops.operation import KerasTensor


class InputLayer(Layer):
    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        super().__init__(name=name or auto_name("input_layer"), dtype=dtype, **kwargs)
        for arg, value in (("sparse", sparse), ("ragged", ragged)):
            if value:
                raise ValueError(f"InputLayer: {arg}=True, but kerasish has no {arg} tensors; feed dense arrays")
        if input_tensor is not None:
            raise ValueError("InputLayer: `input_tensor` is not supported; build the model from keras.Input")
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: give `shape` (without the batch dimension) or `batch_shape`")
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(batch_shape)
        self.sparse, self.ragged, self.optional = bool(sparse), bool(ragged), bool(optional)
        self.built = True
        self._output = KerasTensor(self.batch_shape, dtype or "float32", name=self.name, history=None)
        self._output.input_layer = self

    @property
    def output(self):
        """The symbolic tensor this layer stands for (what keras.Input returns)."""
        return self._output

    @property
    def input(self):
        return self._output

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.output.dtype, "sparse": self.sparse, "ragged": self.ragged,
                "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None, optional=False):
    """A symbolic input for the functional API: `x = Input(shape=(784,))`."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape, name=name,
                       input_tensor=tensor, optional=optional)
    return layer.output
