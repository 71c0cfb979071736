"""Lambda, as keras/src/layers/core/lambda_layer.py: a layer that calls a function.

Its config names the function as Keras writes it: a named function as {"class_name": "function",
"config": name}, a Python lambda as Keras's "__lambda__" entry (marshalled bytecode, so that Keras
can load it with safe_mode=False). kerasish never runs code from a file, whatever `safe_mode`
says: loading finds a named function among the registered objects and ``custom_objects``, and a
lambda's function only under the layer's name in ``custom_objects`` ({"lambda": fn}); stored
bytecode is never read."""
import base64
import inspect
import marshal

from kerasish.layers.layer import Layer
from kerasish.saving import object_registration


def _serialize_function(fn):
    if getattr(fn, "__name__", None) == "<lambda>":
        code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
        return {"class_name": "__lambda__", "config": {"code": code, "defaults": None, "closure": None}}
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": object_registration.get_registered_name(fn), "registered_name": "function"}


class Lambda(Layer):
    """Wraps `function(inputs, **arguments)` as a layer (it also gets `mask` / `training` when it
    takes them)."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self.mask = mask
        params = inspect.signature(function).parameters
        self._fn_takes = {k for k in ("mask", "training") if k in params}
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if "mask" in self._fn_takes:
            kwargs["mask"] = mask
        if "training" in self._fn_takes:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def get_config(self):
        config = {"function": _serialize_function(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (_serialize_function(self._output_shape) if callable(self._output_shape)
                                      else self._output_shape)
        config["arguments"] = self.arguments
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        objs = object_registration.get_custom_objects(custom_objects)
        name = config.get("name", "lambda")
        config["function"] = _resolve_function(config.get("function"), objs, name)
        if isinstance(config.get("output_shape"), dict):
            config["output_shape"] = _resolve_function(config["output_shape"], objs, name)
        if isinstance(config.get("arguments"), dict) and "config" in config["arguments"] \
                and "class_name" in config["arguments"]:  # Keras's serialized dict of arguments
            config["arguments"] = config["arguments"]["config"]
        return cls(**config)


def _resolve_function(entry, objs, layer_name):
    if isinstance(entry, str):
        entry = {"class_name": "function", "config": entry}
    if not isinstance(entry, dict):
        raise ValueError(f"Lambda layer {layer_name!r}: invalid `function` entry {entry!r}")
    if entry.get("class_name") == "__lambda__":
        if layer_name in objs and callable(objs[layer_name]):
            return objs[layer_name]
        raise ValueError(
            f"Lambda layer {layer_name!r} holds a Python lambda as bytecode. kerasish never runs code stored in a "
            "file (whatever safe_mode or keras.config.enable_unsafe_deserialization say); pass the function "
            f"instead: load_model(..., custom_objects={{{layer_name!r}: your_function}})")
    fname = entry.get("config")
    for key in (fname, entry.get("registered_name")):
        if isinstance(key, str) and key in objs and callable(objs[key]):
            return objs[key]
    raise ValueError(f"Lambda layer {layer_name!r} calls the function {fname!r} (module {entry.get('module')!r}), which "
                     "kerasish does not import from a file's say-so: register it with "
                     f"keras.saving.register_keras_serializable() or pass custom_objects={{{fname!r}: {fname}}}")
