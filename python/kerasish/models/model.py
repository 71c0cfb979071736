"""Model, as keras/src/models/model.py: functional (from inputs and outputs) and subclassed."""
from kerasish.layers.core.input_layer import InputLayer
from kerasish.layers.layer import Layer
from kerasish.models.functional import Graph
from kerasish.naming import auto_name, to_snake_case
from kerasish.ops.operation import Operation
from kerasish.saving import object_registration, serialization_lib
from kerasish.trainers.trainer import Trainer
from kerasish.tree import flatten
from kerasish.utils import summary_utils


class Model(Trainer, Layer):
    """`Model(inputs, outputs)` builds a functional model; subclasses define `call` (and `build`)."""

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if len(args) > 0 else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        Layer.__init__(self,
                       name=name or auto_name(to_snake_case(type(self).__name__) if type(self) not in (Model,) else "functional"),
                       trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._graph = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs): give both the inputs and the outputs")
            self._graph = Graph(inputs, outputs)
            self._autocast = False  # as Keras's Functional: inputs pass as given, each layer casts its own
            for layer in self._graph.layers:
                if isinstance(layer, Layer):  # tensor operations (x + y) hold no weights
                    self._tracked.append(layer)
            self.built = True

    @property
    def keras_class_name(self):
        """The class Keras would give this model: Model(inputs, outputs) is a `Functional`."""
        return "Functional" if type(self) is Model and self._graph is not None else type(self).__name__

    @property
    def inputs(self):
        return self._graph.input_list if self._graph else None

    @property
    def outputs(self):
        return self._graph.output_list if self._graph else None

    @property
    def input(self):
        """A functional model's inputs as given to Model(inputs, outputs)."""
        return self._graph.inputs if self._graph else super().input

    @property
    def output(self):
        return self._graph.outputs if self._graph else super().output

    @property
    def input_shape(self):
        if not self._graph:
            raise AttributeError("The model has no defined input shape")
        s = [t.shape for t in self._graph.input_list]
        return s[0] if len(s) == 1 else s

    @property
    def output_shape(self):
        if not self._graph:
            raise AttributeError("The model has no defined output shape")
        s = [t.shape for t in self._graph.output_list]
        return s[0] if len(s) == 1 else s

    @property
    def layers(self):
        if self._graph:  # as Keras's Functional: the graph's layers; tensor operations (x + y) are not layers
            return [layer for layer in self._graph.all_layers if isinstance(layer, Layer)]
        return list(self._tracked)

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[layer.name for layer in self.layers]}")

    def call(self, inputs, training=None, mask=None):
        if self._graph is None:
            raise NotImplementedError("A subclassed Model must implement call()")
        return self._graph.run(inputs, training=training, mask=mask)

    def _expected_input_shapes(self):
        return [t.shape for t in self._graph.input_list] if self._graph else None

    def summary_rows(self):
        if self._graph:
            rows = []
            for layer in [lay for lay in self._graph.all_layers if isinstance(lay, Operation)]:  # operations too
                if isinstance(layer, InputLayer):
                    rows.append((layer, layer.batch_shape))
                    continue
                node = layer.inbound_nodes[-1] if layer.inbound_nodes else None
                out = None
                if node is not None:
                    o = flatten(node.outputs)
                    out = o[0].shape if len(o) == 1 else [t.shape for t in o]
                rows.append((layer, out))
            return rows
        return [(layer, None) for layer in self._tracked]

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        summary_utils.print_summary(self, line_length, positions, print_fn)

    def to_json(self, **kwargs):
        """The model's config as a JSON string (keyword arguments go to json.dumps), as Keras's;
        ``keras.models.model_from_json`` reads it back."""
        import json

        return json.dumps(serialization_lib.serialize_keras_object(self), **kwargs)

    def get_config(self):
        if self._graph is None:
            return {"name": self.name, "trainable": self.trainable}
        return self._graph.get_config(self.name, self.trainable)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            return serialization_lib.functional_from_config(config, object_registration.get_custom_objects(custom_objects))
        return cls(**config)
