"""Configs of layers and models as Keras writes them, and back again.

Every object is ``{"module", "class_name", "config", "registered_name"}`` (plus ``build_config``
where it was built). Functional models list their layers with ``name`` and ``inbound_nodes``: each
node is ``{"args": [...], "kwargs": {...}}`` with every symbolic tensor written as
``{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history": [layer_name,
node_index, tensor_index]}}``, and ``input_layers`` / ``output_layers`` hold such triples.

Loading resolves class names only against kerasish's own classes, the objects registered with
:func:`register_keras_serializable`, a :class:`custom_object_scope` and ``custom_objects``. The
``module`` field is informative only: nothing named in a file is ever imported, evaluated or
unpickled.
"""
from __future__ import annotations

import inspect
import numbers
from collections import deque

import numpy as np

from kerasish import _core, activations, initializers, layers, losses, metrics, optimizers, regularizers
from kerasish._core import Tensor
from kerasish._tensor import no_grad
from kerasish.layers.core.input_layer import InputLayer
from kerasish.layers.layer import Layer
from kerasish.ops.operation import KerasOp
from kerasish.saving.object_registration import get_custom_objects, get_registered_name
from kerasish.tree import flatten

KERAS_TENSOR = "__keras_tensor__"

# ---------------------------------------------------------------------------------- registries
def model_classes():
    """(Model, Sequential). The one import here that runs up the graph: the models use this
    module for their configs at import time, and a model config names the model classes."""
    from kerasish.models import Model, Sequential

    return Model, Sequential


def _builtin_layers():
    Model, Sequential = model_classes()

    out = {}
    for n in dir(layers):
        obj = getattr(layers, n)
        if inspect.isclass(obj) and issubclass(obj, Layer) and not n.startswith("_"):
            out[n] = obj
    out.update({"Sequential": Sequential, "Functional": Model, "Model": Model})
    return out


def _is_builtin_layer(cls):
    return _builtin_layers().get(cls.__name__) is cls


def unknown_object_error(kind, class_name):
    return ValueError(
        f"Unknown {kind} {class_name!r} in the saved config. kerasish never imports modules or runs code named in "
        f"a file: pass the class in `custom_objects={{{class_name!r}: ...}}` (or load inside "
        f"`kerasish.saving.custom_object_scope`, or register it with "
        f"`@kerasish.saving.register_keras_serializable()`)."
    )


def check_object_config(entry, what):
    """The shape every serialized object must have; returns (class_name, config)."""
    if not isinstance(entry, dict):
        raise ValueError(f"Invalid {what} config: expected a JSON object, got {type(entry).__name__}")
    class_name = entry.get("class_name")
    if not isinstance(class_name, str) or not class_name:
        raise ValueError(f"Invalid {what} config: 'class_name' must be a non-empty string, got {class_name!r}")
    for key in ("module", "registered_name"):
        if entry.get(key) is not None and not isinstance(entry.get(key), str):
            raise ValueError(f"Invalid {what} config for {class_name!r}: {key!r} must be a string or null")
    for key in ("build_config", "compile_config"):
        if entry.get(key) is not None and not isinstance(entry.get(key), dict):
            raise ValueError(f"Invalid {what} config for {class_name!r}: {key!r} must be an object or null")
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"Invalid {what} config for {class_name!r}: 'config' must be a JSON object, "
                         f"got {type(config).__name__}")
    return class_name, config


def resolve_layer_class(entry, custom_objects):
    """The Layer subclass an object config names: custom objects first (by registered name, then
    class name), then kerasish's own layers and models."""

    class_name, _ = check_object_config(entry, "layer")
    objs = get_custom_objects(custom_objects)
    cls = None
    for key in (entry.get("registered_name"), class_name):
        if isinstance(key, str) and key in objs:
            cls = objs[key]
            break
    if cls is None:
        cls = _builtin_layers().get(class_name)
    if cls is None:
        raise unknown_object_error("layer or model class", class_name)
    if not (inspect.isclass(cls) and issubclass(cls, Layer)):
        raise ValueError(f"The saved config names {class_name!r} as a layer, but the object it resolves to "
                         f"({cls!r}) is not a Layer subclass.")
    return cls


# ---------------------------------------------------------------------------------- JSON values
def to_json_value(value, where):
    """``value`` as plain JSON data (tuples become lists, NumPy scalars Python numbers); anything
    else is an error naming ``where``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [to_json_value(v, where) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"Cannot save {where}: its config has a non-string key {k!r}")
            out[k] = to_json_value(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, np.ndarray):
        return to_json_value(value.tolist(), where)
    if isinstance(value, Tensor):
        return to_json_value(value.numpy().tolist(), where)
    raise ValueError(f"Cannot save {where}: {value!r} ({type(value).__name__}) is not JSON-serializable. "
                     "Configs hold plain data only; override get_config() to describe it with plain values.")


def shape_to_json(shape):
    if isinstance(shape, dict):
        return {str(k): shape_to_json(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and any(isinstance(s, (list, tuple, dict)) for s in shape):
        return [shape_to_json(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def _is_shape(value):
    return isinstance(value, list) and all(d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0)
                                           for d in value)


def shape_from_json(value, where="build_config"):
    """A shape (tuple) or a list / dict of shapes, from JSON; anything else is a ValueError."""
    if _is_shape(value):
        return tuple(value)
    if isinstance(value, list) and value:
        return [shape_from_json(v, where) for v in value]
    if isinstance(value, dict) and value:
        return {k: shape_from_json(v, where) for k, v in value.items()}
    raise ValueError(f"Invalid {where}: expected a shape (a list of non-negative ints or nulls) or a list/dict of "
                     f"shapes, got {value!r}")


# ---------------------------------------------------------------------------------- serializing
def _build_config(layer):
    Model, Sequential = model_classes()

    if isinstance(layer, Sequential):
        shape = layer.known_input_shape()
        return None if shape is None else {"input_shape": shape_to_json(shape)}
    if isinstance(layer, Model) and layer.inputs is not None:
        shapes = [t.shape for t in layer.inputs]
        return {"input_shape": shape_to_json(shapes[0] if len(shapes) == 1 else shapes)}
    shapes = getattr(layer, "_build_shapes", None)
    if not layer.built or shapes is None:
        return None
    return {"input_shape": shape_to_json(shapes)}


def serialize_layer(layer):
    """A layer or model as Keras's ``{"module", "class_name", "config", "registered_name",
    "build_config"}``."""
    Model, Sequential = model_classes()

    cls = type(layer)
    if isinstance(layer, KerasOp):
        return {"module": layer.keras_module, "class_name": layer.keras_class_name,
                "config": to_json_value(layer.get_config(), f"operation {layer.name!r}"),
                "registered_name": layer.keras_class_name}
    if cls is Sequential:
        out = {"module": "keras", "class_name": "Sequential", "config": layer.get_config(), "registered_name": None}
    elif cls is Model and layer.keras_class_name == "Functional":
        out = {"module": "keras.src.models.functional", "class_name": "Functional", "config": layer.get_config(),
               "registered_name": "Functional"}  # Keras's loader needs that module
    else:
        builtin = _is_builtin_layer(cls)
        if cls is Model:
            raise ValueError("Cannot save a bare `Model()` with neither inputs/outputs nor a subclass.")
        config = to_json_value(layer.get_config(), f"layer {layer.name!r} ({cls.__name__})")
        out = {"module": "keras.layers" if builtin else cls.__module__, "class_name": cls.__name__,
               "config": config, "registered_name": None if builtin else get_registered_name(cls)}
    build = _build_config(layer)
    if build is not None:
        out["build_config"] = build
    return out


# ---------------------------------------------------------------------------------- deserializing
_NESTED_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


def _resolve_custom_values(config, objs):
    """Turns the activations / initializers / regularizers in a layer config that name custom
    objects into those objects (the layer's constructor accepts objects as well as names);
    built-in names are left as they are."""

    if not objs:
        return config
    out = dict(config)
    for key, value in config.items():
        if key == "activation" or key.endswith("_activation"):
            name = value.get("config", value.get("class_name")) if isinstance(value, dict) else value
            if isinstance(name, str) and name in objs:
                out[key] = objs[name]
        elif key.endswith(_NESTED_SUFFIXES):
            if isinstance(value, str) and value in objs:
                obj = objs[value]
                out[key] = obj() if inspect.isclass(obj) else obj
            elif isinstance(value, dict):
                names = [value.get("registered_name"), value.get("class_name")]
                if value.get("class_name") == "function":
                    names.append(value.get("config"))
                if any(isinstance(n, str) and n in objs for n in names):
                    mod = initializers if key.endswith("_initializer") else regularizers
                    if isinstance(value.get("registered_name"), str) and value["registered_name"] in objs:
                        value = {**value, "class_name": value["registered_name"]}
                    if key.endswith("_constraint"):
                        continue
                    out[key] = mod.deserialize(value, custom_objects=objs)
    return out


def deserialize_layer(entry, custom_objects=None, build=True):
    """A layer or model from :func:`serialize_layer`'s output."""
    Model, Sequential = model_classes()

    module = entry.get("module") if isinstance(entry, dict) else None
    if isinstance(module, str) and module.startswith(("keras.src.ops.", "keras.ops")):
        class_name, config = check_object_config(entry, "operation")
        return KerasOp(class_name, module, config)  # an op node of a functional graph (Keras 3's masks)
    cls = resolve_layer_class(entry, custom_objects)
    _, config = check_object_config(entry, "layer")
    objs = get_custom_objects(custom_objects)
    if cls is Sequential:
        layer = sequential_from_config(config, objs)
    elif cls is Model and entry.get("class_name") in ("Functional", "Model"):
        layer = functional_from_config(config, objs)
    else:
        cfg = _resolve_custom_values(config, objs)
        takes_objects = "custom_objects" in inspect.signature(cls.from_config).parameters
        layer = cls.from_config(cfg, custom_objects=objs) if takes_objects else cls.from_config(cfg)
        if not isinstance(layer, cls):
            raise ValueError(f"{cls.__name__}.from_config returned {type(layer).__name__}, not a {cls.__name__}")
    if build:
        build_from_config(layer, entry.get("build_config"))
    return layer


def _dummy_inputs(shape):
    if isinstance(shape, tuple):
        return _core.full(tuple(1 if d is None else d for d in shape), 0.0, "float32")
    if isinstance(shape, list):
        return [_dummy_inputs(s) for s in shape]
    return {k: _dummy_inputs(v) for k, v in shape.items()}


def build_from_config(layer, build_config):
    """Builds an unbuilt layer from its ``build_config`` (a model by calling it on zeros, so that
    its sub-layers create their weights as they would on real data)."""
    Model, _ = model_classes()

    if layer.built or not build_config:
        return
    if "input_shape" not in build_config:
        return
    raw = build_config["input_shape"]
    if raw is None:
        return
    shape = shape_from_json(raw, f"build_config of {layer.name!r}")
    if isinstance(layer, Model):
        with no_grad():
            layer(_dummy_inputs(shape), training=False)
    else:
        layer._build_shapes = shape
        layer.build(shape)
    layer.built = True


def sequential_from_config(config, objs):
    _, Sequential = model_classes()

    entries = config.get("layers", [])
    if not isinstance(entries, list):
        raise ValueError("Invalid Sequential config: 'layers' must be a list")
    layers = [deserialize_layer(e, objs) for e in entries]
    name = config.get("name")
    model = Sequential(name=name if isinstance(name, str) else None, trainable=bool(config.get("trainable", True)))
    for layer in layers:
        model.add(layer, rebuild=False)
    if model.known_input_shape() is not None:
        model.build()
    elif config.get("build_input_shape") is not None:
        shape = shape_from_json(config["build_input_shape"], "Sequential build_input_shape")
        if not isinstance(shape, tuple):
            raise ValueError(f"Invalid Sequential build_input_shape: {config['build_input_shape']!r}")
        model.build(shape)
    return model


class _NotReady(Exception):
    pass


def _is_ref(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:]))


def functional_from_config(config, objs):
    """Rebuilds a functional model: creates each layer, then replays the layer calls (each node
    once all the tensors it reads exist), then ``Model(inputs, outputs)``."""
    Model, _ = model_classes()

    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ValueError("Invalid functional config: 'layers' must be a list")
    created, order, pending, tensors = {}, [], {}, {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError("Invalid functional config: each layer must be a JSON object")
        name = entry.get("name", (entry.get("config") or {}).get("name") if isinstance(entry.get("config"), dict) else None)
        if not isinstance(name, str):
            raise ValueError(f"Invalid functional config: layer entry without a string 'name': {str(entry)[:200]}")
        if name in created:
            raise ValueError(f"Invalid functional config: the layer name {name!r} is used twice")
        nodes = entry.get("inbound_nodes", [])
        if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
            raise ValueError(f"Invalid functional config: layer {name!r} 'inbound_nodes' must be a list of objects "
                             "{'args': [...], 'kwargs': {...}}")
        layer = deserialize_layer(entry, objs, build=False)
        if layer.name != name and "name" not in (entry.get("config") or {}):
            layer.name = name  # a custom get_config without the name: the graph's entry names it, as in Keras
        if layer.name != name:
            raise ValueError(f"Invalid functional config: layer entry {name!r} holds a layer named {layer.name!r}")
        created[name] = (layer, entry)
        order.append(name)
        if isinstance(layer, InputLayer):
            tensors[(name, 0, 0)] = layer.output
            nodes = []
        pending[name] = list(enumerate(nodes))

    def decode(value):
        if isinstance(value, dict):
            if value.get("class_name") == KERAS_TENSOR:
                cfg = value.get("config")
                history = cfg.get("keras_history") if isinstance(cfg, dict) else None
                if not _is_ref(history):
                    raise ValueError(f"Invalid functional config: bad keras_history {history!r}")
                key = tuple(history)
                if key not in tensors:
                    raise _NotReady(key)
                return tensors[key]
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    # replay the calls: a layer whose next call reads a tensor not made yet waits for that tensor
    # (each layer's calls run in their saved order, so node indices come out as saved)
    waiting, queue = {}, deque(order)
    while queue:
        name = queue.popleft()
        layer, _ = created[name]
        while pending[name]:
            index, node = pending[name][0]
            args, kwargs = node.get("args", []), node.get("kwargs", {})
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise ValueError(f"Invalid functional config: node {index} of layer {name!r} needs a list "
                                 "'args' and an object 'kwargs'")
            try:
                args, kwargs = decode(args), decode(kwargs)
            except _NotReady as e:
                waiting.setdefault(e.args[0], []).append(name)
                break
            if not args:
                raise ValueError(f"Invalid functional config: node {index} of layer {name!r} has no inputs")
            out = layer(*args, **kwargs)
            for i, t in enumerate(flatten(out)):
                tensors[(name, index, i)] = t
                queue.extend(waiting.pop((name, index, i), []))
            pending[name].pop(0)
    stuck = [(n, pending[n][0][0]) for n in order if pending[n]]
    if stuck:
        raise ValueError(f"Invalid functional config: the calls of layers {stuck[:10]} read tensors that no layer "
                         "produces (missing layers, bad keras_history or a cycle).")

    def refs(value, what):
        if _is_ref(value):
            key = tuple(value)
            if key not in tensors:
                raise ValueError(f"Invalid functional config: {what} refers to {value!r}, which no layer produces")
            return tensors[key]
        if isinstance(value, list) and value:
            return [refs(v, what) for v in value]
        if isinstance(value, dict) and value:
            return {k: refs(v, what) for k, v in value.items()}
        raise ValueError(f"Invalid functional config: {what} must hold [layer_name, node_index, tensor_index] "
                         f"triples, got {value!r}")

    inputs = refs(config.get("input_layers"), "input_layers")
    outputs = refs(config.get("output_layers"), "output_layers")
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    if isinstance(outputs, list) and len(outputs) == 1:
        outputs = outputs[0]
    name = config.get("name")
    model = Model(inputs=inputs, outputs=outputs, name=name if isinstance(name, str) else None,
                  trainable=bool(config.get("trainable", True)))
    for layer, entry in created.values():
        build_from_config(layer, entry.get("build_config"))
    return model


# ---------------------------------------------------------------------------------- generic API
def serialize_keras_object(obj):
    """Keras's serialized form of a layer, model, optimizer, loss, metric, initializer, regularizer
    or activation."""

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, Layer):
        return serialize_layer(obj)
    if isinstance(obj, optimizers.Optimizer):
        return optimizers.serialize(obj)
    if isinstance(obj, losses.Loss):
        return losses.serialize(obj)
    if isinstance(obj, metrics.Metric):
        return metrics.serialize(obj)
    if isinstance(obj, initializers.Initializer):
        return initializers.serialize(obj)
    if isinstance(obj, regularizers.Regularizer):
        return regularizers.serialize(obj)
    if callable(obj):
        return activations.serialize(obj)
    return to_json_value(obj, repr(obj))


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """A layer or model from a serialized config (other kinds have their own module's
    ``deserialize``)."""
    return deserialize_layer(config, custom_objects)
