"""The functional graph: the layer calls between symbolic inputs and outputs, replayed on tensors, and
its config as Keras writes a Functional model's (keras/src/models/functional.py)."""
from kerasish.layers.core.input_layer import InputLayer
from kerasish.layers.layer import set_keras_mask
from kerasish.ops.operation import KerasTensor, Operation
from kerasish.saving import serialization_lib
from kerasish.tree import flatten, map_structure


class _InputNode:
    """Stands for the node of an Input: the tensor's InputLayer, with nothing upstream."""

    def __init__(self, kt):
        self.tensor = kt
        self.layer = getattr(kt, "input_layer", None) or _Anonymous(kt)
        self.args, self.kwargs, self.outputs = (), {}, kt


class _Anonymous:
    """The source of a model input that is not an Input() tensor."""

    def __init__(self, kt):
        self.name = kt.name or "input"


def _producer(kt):
    return None if kt.keras_history is None else kt.keras_history[0]


class Graph:
    def __init__(self, inputs, outputs):
        self.inputs = inputs
        self.outputs = outputs
        self.input_list = flatten(inputs)
        self.output_list = flatten(outputs)
        for t in self.input_list + self.output_list:
            if not isinstance(t, KerasTensor):
                raise ValueError(f"Model inputs and outputs must be symbolic tensors (from keras.Input), got {t!r}")
        # topological order of nodes, by depth-first search from the outputs (as Keras's map_graph);
        # op_index numbers the layers in the order the search first meets them
        order, seen, op_index = [], set(), {}
        input_ids = {id(t) for t in self.input_list}
        input_nodes = {}

        def visit(kt):
            if id(kt) in input_ids:
                node = input_nodes.get(id(kt))
                if node is None:
                    node = input_nodes[id(kt)] = _InputNode(kt)
                    op_index.setdefault(id(node.layer), len(op_index))
                    order.append(node)
                return
            node = _producer(kt)
            if node is None:
                raise ValueError(f"Output tensor {kt} is not connected to the model's inputs")
            if id(node) in seen:
                return
            seen.add(id(node))
            op_index.setdefault(id(node.layer), len(op_index))
            for t in flatten((node.args, node.kwargs)):
                if isinstance(t, KerasTensor):
                    visit(t)
            order.append(node)

        for o in self.output_list:
            visit(o)
        for t in self.input_list:  # inputs that no output depends on still belong to the model
            if id(t) not in input_nodes:
                input_nodes[id(t)] = _InputNode(t)
                op_index[id(input_nodes[id(t)].layer)] = -1
                order.insert(0, input_nodes[id(t)])
        self.nodes = [n for n in order if not isinstance(n, _InputNode)]

        # depths: 0 at the outputs, a node is one deeper than the deepest node it feeds
        def parents(node):
            out = []
            for t in ([] if isinstance(node, _InputNode) else flatten((node.args, node.kwargs))):
                if isinstance(t, KerasTensor):
                    out.append(input_nodes[id(t)] if id(t) in input_ids else _producer(t))
            return out

        node_depth, op_depth, layer_of = {}, {}, {}
        for node in reversed(order):
            depth = node_depth.setdefault(id(node), 0)
            depth = max(depth, op_depth.get(id(node.layer), 0))
            op_depth[id(node.layer)] = depth
            layer_of[id(node.layer)] = node.layer
            node_depth[id(node)] = depth
            for p in parents(node):
                node_depth[id(p)] = max(depth + 1, node_depth.get(id(p), 0))
        self.nodes_by_depth = {}
        for node in order:
            self.nodes_by_depth.setdefault(node_depth[id(node)], []).append(node)
        ops = sorted(layer_of, key=lambda k: (-op_depth[k], op_index[k]))
        self.all_layers = [layer_of[k] for k in ops]  # InputLayers included, in Keras's order
        names = [layer.name for layer in self.all_layers if not isinstance(layer, _Anonymous)]
        for n in names:
            if names.count(n) != 1:
                raise ValueError(f'The name "{n}" is used {names.count(n)} times in the model. '
                                 "All layer names should be unique.")
        self.layers = [layer for layer in self.all_layers if not isinstance(layer, (InputLayer, _Anonymous))]

    def get_config(self, name, trainable):
        """Keras's functional config of the model `name`: its layers (with their inbound nodes) plus
        input and output references."""
        node_ids = {id(n) for n in self.nodes}
        inputs = {id(t): t for t in self.input_list}
        model_layers = []
        for layer in self.all_layers:
            if not isinstance(layer, Operation):
                raise ValueError(f"Cannot save model {name!r}: its input {layer.name!r} does not come from "
                                 "`keras.Input()`; build functional models from Input tensors to save them.")
            model_layers.append(layer)
        node_index = {}
        for layer in model_layers:
            k = 0
            for node in layer.inbound_nodes:
                if id(node) in node_ids:
                    node_index[id(node)] = k
                    k += 1

        def ref(kt):
            if id(kt) in inputs:
                il = getattr(kt, "input_layer", None)
                if il is None:
                    raise ValueError(f"Cannot save model {name!r}: one of its inputs does not come from "
                                     "`keras.Input()`.")
                return [il.name, 0, 0]
            node, index = kt.keras_history
            return [node.layer.name, node_index[id(node)], int(index)]

        def encode(value, where):
            if isinstance(value, KerasTensor):
                return {"class_name": serialization_lib.KERAS_TENSOR,
                        "config": {"shape": serialization_lib.shape_to_json(value.shape), "dtype": value.dtype,
                                   "keras_history": ref(value)}}
            if isinstance(value, (list, tuple)):
                return [encode(v, where) for v in value]
            if isinstance(value, dict):
                return {str(k): encode(v, where) for k, v in value.items()}
            return serialization_lib.to_json_value(value, where)

        layer_configs = []
        for layer in model_layers:
            entry = serialization_lib.serialize_layer(layer)
            entry["name"] = layer.name
            nodes = []
            if not isinstance(layer, InputLayer):
                for node in layer.inbound_nodes:
                    if id(node) in node_ids:
                        where = f"a call of layer {layer.name!r}"
                        nodes.append({"args": encode(list(node.args), where), "kwargs": encode(dict(node.kwargs), where)})
            entry["inbound_nodes"] = nodes
            layer_configs.append(entry)

        def refs(structure):
            if isinstance(structure, KerasTensor):
                return ref(structure)  # one input (output): one reference, as Keras 3.15 writes it
            return map_structure(ref, structure)

        return {"name": name, "trainable": trainable, "layers": layer_configs,
                "input_layers": serialization_lib.to_json_value(refs(self.inputs), "input_layers"),
                "output_layers": serialization_lib.to_json_value(refs(self.outputs), "output_layers")}

    def order_inputs(self, inputs):
        """The given inputs in the order of the model's Inputs: a dict is matched by the keys of a
        dict of Inputs, else by the Inputs' names (Keras's `fit({"title": ..., "body": ...})`),
        else taken in sorted key order."""
        if not isinstance(inputs, dict):
            return flatten(inputs)
        if isinstance(self.inputs, dict):
            return [inputs[k] for k in sorted(self.inputs)]
        names = [getattr(getattr(t, "input_layer", None), "name", None) for t in self.input_list]
        if all(n in inputs for n in names) and len(inputs) == len(names):
            return [inputs[n] for n in names]
        return [inputs[k] for k in sorted(inputs)]

    def run(self, inputs, training=None, mask=None):
        values = {}
        given = self.order_inputs(inputs)
        if len(given) != len(self.input_list):
            raise ValueError(f"The model expects {len(self.input_list)} input(s), but it received {len(given)}")
        if mask is not None:  # masks given to the model ride on its inputs into the graph, as in Keras
            masks = flatten(mask) if isinstance(mask, (list, tuple, dict)) else [mask]
            for x, m in zip(given, masks):
                if m is not None:
                    set_keras_mask(x, m)
        for kt, v in zip(self.input_list, given):
            values[id(kt)] = v
        for node in self.nodes:
            args = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.args)
            kwargs = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.kwargs)
            # a `training=` given when the layer was called on symbolic inputs wins (Keras's
            # "Monte-Carlo dropout" idiom: Dropout(0.5)(x, training=True) stays on in predict)
            if training is not None and node.layer.call_has_training and kwargs.get("training") is None:
                kwargs = {**kwargs, "training": training}
            out = node.layer(*args, **kwargs)
            for kt, v in zip(flatten(node.outputs), flatten(out)):
                values[id(kt)] = v
        return map_structure(lambda t: values[id(t)], self.outputs)
