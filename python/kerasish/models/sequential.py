"""Sequential, as keras/src/models/sequential.py: a plain stack of layers."""
from kerasish.layers.core.input_layer import InputLayer
from kerasish.layers.layer import Layer, set_keras_mask
from kerasish.models.model import Model
from kerasish.naming import auto_name
from kerasish.ops.operation import KerasTensor
from kerasish.saving import object_registration, serialization_lib
from kerasish.tree import flatten


class Sequential(Model):
    """A plain stack of layers: `Sequential([Dense(16, activation="relu"), Dense(1)])`."""

    def __init__(self, layers=None, trainable=True, name=None):
        Model.__init__(self, name=name or auto_name("sequential"), trainable=trainable)
        self._stack = []
        self._autocast = False  # Keras's Sequential is a Functional: its layers cast their own inputs
        self._input_layer = None
        self._output_shapes = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer, rebuild=True):
        if isinstance(layer, KerasTensor) and hasattr(layer, "input_layer"):
            layer = layer.input_layer
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential model. Received: {layer!r}")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("Sequential: an Input can only be the first layer")
            self._input_layer = layer
        else:
            if any(layer.name == existing.name for existing in self._stack):
                raise ValueError(f"All layers added to a Sequential model should have unique names. Name "
                                 f"{layer.name!r} is already the name of a layer in this model.")
            self._stack.append(layer)
            self._tracked.append(layer)
        self.built = False
        self._output_shapes = None
        if rebuild:
            shape = self.known_input_shape()
            if shape is not None:
                self.build(shape)

    def pop(self, rebuild=True):
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self._tracked.remove(layer)
        self.built = False
        shape = self.known_input_shape()
        if rebuild and shape is not None and self._stack:
            self.build(shape)
        return layer

    def known_input_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        if self._stack and self._stack[0]._batch_input_shape is not None:
            return self._stack[0]._batch_input_shape
        return None

    @property
    def layers(self):
        return list(self._stack)

    def build(self, input_shape=None):
        if input_shape is None:
            input_shape = self.known_input_shape()
        if input_shape is None:
            raise ValueError("Sequential.build: the input shape is unknown; add an Input or pass input_shape")
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=tuple(input_shape), dtype="float32")
        il = self._input_layer
        # the layers are called on the Input itself (when its shape is the one built for), so that
        # `Model(seq.inputs, [layer.output for layer in seq.layers])` extracts features as in Keras
        kt = il.output if tuple(il.batch_shape) == tuple(input_shape) else KerasTensor(tuple(input_shape), il.output.dtype)
        self._symbolic = [kt]
        shapes = []
        for layer in self._stack:
            kt = layer(kt)
            shapes.append(kt.shape if isinstance(kt, KerasTensor) else [t.shape for t in flatten(kt)])
        self._symbolic.append(kt)
        self._output_shapes = shapes
        self.built = True

    @property
    def inputs(self):
        if not getattr(self, "_symbolic", None):
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet.")
        return [self._symbolic[0]]

    @property
    def outputs(self):
        if not getattr(self, "_symbolic", None):
            raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")
        return flatten(self._symbolic[-1])

    def _expected_input_shapes(self):
        s = self.known_input_shape()
        return [tuple(s)] if s is not None else None

    @property
    def input_shape(self):
        s = self.known_input_shape()
        if s is None:
            raise AttributeError("The Sequential model has no defined input shape yet")
        return tuple(s)

    @property
    def output_shape(self):
        if not self._output_shapes:
            raise AttributeError("The Sequential model is not built yet")
        return self._output_shapes[-1]

    def call(self, inputs, training=None, mask=None):
        x = inputs[0] if isinstance(inputs, (list, tuple)) and len(inputs) == 1 else inputs
        if mask is not None:
            set_keras_mask(x, mask)  # each layer reads the mask its input carries
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    def _maybe_build(self, inputs):
        if not self.built:
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
                inputs = inputs[0]
            shape = (None,) + tuple(inputs.shape[1:])
            self.build(shape)

    def summary_rows(self):
        shapes = self._output_shapes or [None] * len(self._stack)
        return list(zip(self._stack, shapes))

    def get_config(self):
        layers = ([self._input_layer] if self._input_layer is not None else []) + list(self._stack)
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
               "layers": [serialization_lib.serialize_layer(layer) for layer in layers]}
        shape = self.known_input_shape()
        if shape is not None:
            cfg["build_input_shape"] = serialization_lib.shape_to_json(shape)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return serialization_lib.sequential_from_config(config, object_registration.get_custom_objects(custom_objects))


