"""keras.models.clone_model (keras/src/models/cloning.py): the same architecture with fresh
weights. Each layer is cloned by ``clone_function`` (default: ``layer.__class__.from_config(
layer.get_config())``); a functional model's graph is replayed on the clones from new Inputs (or
the ``input_tensors`` given), a Sequential is rebuilt from its cloned stack, and a subclassed model
is rebuilt from its config."""
from kerasish.layers.core.input_layer import Input, InputLayer
from kerasish.layers.layer import Layer
from kerasish.ops.operation import KerasTensor
from kerasish.tree import flatten, map_structure


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A model of the same architecture as `model`, with new weights (not copied: use
    ``set_weights(model.get_weights())`` for that)."""
    from kerasish.models.model import Model
    from kerasish.models.sequential import Sequential

    if kwargs:
        raise ValueError(f"clone_model: unexpected keyword arguments {sorted(kwargs)}")
    if call_function is not None:
        raise ValueError("clone_model: call_function is not supported by kerasish")
    base = clone_function or _default_clone

    def clone(layer):
        if recursive and isinstance(layer, Model) and (layer._graph is not None or isinstance(layer, Sequential)):
            return clone_model(layer, clone_function=clone_function, recursive=True)
        return base(layer)

    if isinstance(model, Sequential):
        if input_tensors is not None:
            raise ValueError("clone_model: input_tensors is for functional models; a Sequential keeps its Input")
        stack = [layer for layer in model.layers if not isinstance(layer, InputLayer)]
        shape = model.known_input_shape()
        layers = ([Input(batch_shape=tuple(shape))] if shape is not None else []) + [clone(layer) for layer in stack]
        return Sequential(layers, name=model.name, trainable=model.trainable)
    if not isinstance(model, Model) or model._graph is None:
        if clone_function is not None or input_tensors is not None:
            raise ValueError("clone_model: a subclassed model is cloned from its config; clone_function and "
                             "input_tensors apply to functional and Sequential models")
        return model.__class__.from_config(model.get_config())

    graph = model._graph
    if input_tensors is None:
        new_inputs = [Input(batch_shape=t.shape, dtype=t.dtype, name=getattr(t, "name", None)) for t in graph.input_list]
    else:
        new_inputs = flatten(input_tensors)
        if len(new_inputs) != len(graph.input_list) or not all(isinstance(t, KerasTensor) for t in new_inputs):
            raise ValueError(f"clone_model: input_tensors must be {len(graph.input_list)} symbolic tensor(s) "
                             f"(keras.Input), got {input_tensors!r}")
    values = {id(old): new for old, new in zip(graph.input_list, new_inputs)}
    clones = {}
    for node in graph.nodes:
        layer = node.layer
        if isinstance(layer, Layer):
            if id(layer) not in clones:
                clones[id(layer)] = clone(layer)
            layer = clones[id(layer)]
        args = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.args)
        kw = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.kwargs)
        out = layer(*args, **kw)
        for old, new in zip(flatten(node.outputs), flatten(out)):
            values[id(old)] = new
    inputs = map_structure(lambda t: values[id(t)], graph.inputs)
    outputs = map_structure(lambda t: values[id(t)], graph.outputs)
    return Model(inputs, outputs, name=model.name)
