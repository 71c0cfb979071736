"""The functional graph: the layer calls between symbolic inputs and outputs, replayed on tensors."""
from kerasish.layers.layer import KerasTensor, flatten, map_structure


def _producer(kt):
    return None if kt._history is None else kt._history[0]


class Graph:
    def __init__(self, inputs, outputs):
        self.inputs = inputs
        self.outputs = outputs
        self.input_list = flatten(inputs)
        self.output_list = flatten(outputs)
        for t in self.input_list + self.output_list:
            if not isinstance(t, KerasTensor):
                raise ValueError(f"Model inputs and outputs must be symbolic tensors (from keras.Input), got {t!r}")
        # topological order of nodes, by depth-first search from the outputs
        order, seen = [], set()
        input_ids = {id(t) for t in self.input_list}

        def visit(kt):
            if id(kt) in input_ids:
                return
            node = _producer(kt)
            if node is None:
                raise ValueError(f"Output tensor {kt} is not connected to the model's inputs")
            if id(node) in seen:
                return
            seen.add(id(node))
            for t in flatten((node.args, node.kwargs)):
                if isinstance(t, KerasTensor):
                    visit(t)
            order.append(node)

        for o in self.output_list:
            visit(o)
        self.nodes = order
        layers = []
        for n in order:
            if all(n.layer is not l for l in layers):
                layers.append(n.layer)
        self.layers = layers

    def run(self, inputs, training=None):
        values = {}
        given = flatten(inputs) if not isinstance(inputs, dict) else [inputs[k] for k in sorted(inputs)]
        if isinstance(self.inputs, dict) and isinstance(inputs, dict):
            given = [inputs[k] for k in sorted(self.inputs)]
        if len(given) != len(self.input_list):
            raise ValueError(f"The model expects {len(self.input_list)} input(s), but it received {len(given)}")
        for kt, v in zip(self.input_list, given):
            values[id(kt)] = v
        for node in self.nodes:
            args = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.args)
            kwargs = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.kwargs)
            if training is not None and node.layer._call_has_training:
                kwargs = {**kwargs, "training": training}
            out = node.layer(*args, **kwargs)
            for kt, v in zip(flatten(node.outputs), flatten(out)):
                values[id(kt)] = v
        return map_structure(lambda t: values[id(t)], self.outputs)
