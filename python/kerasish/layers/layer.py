"""The Layer base class, as keras/src/layers/layer.py: weights, build-on-first-call, losses and config."""
from __future__ import annotations

import contextvars
import inspect
import warnings

import numpy as np

from kerasish import _core, config, initializers, regularizers
from kerasish._core import Tensor
from kerasish._tensor import CALL_DEPTH, no_grad
from kerasish._traceback import filter_traceback
from kerasish.backend.dtypes import FLOAT_TYPES
from kerasish.layers.input_spec import assert_input_compatibility
from kerasish.ops.operation import KerasTensor, Operation, any_symbolic_tensors
from kerasish.tree import flatten, map_structure
from kerasish.variables import Variable

# While a saved model is built from its config (saving_lib.load_model), a callable that every
# new weight's shape is checked against before it is allocated.
WEIGHT_GUARD = contextvars.ContextVar("kerasish_weight_guard", default=None)

def get_keras_mask(x):
    """The mask a tensor carries (Keras's backend.get_keras_mask), or None."""
    return getattr(x, "_keras_mask", None)


def set_keras_mask(x, mask):
    """Attaches (or, with None, removes) a tensor's mask, as Keras's backend.set_keras_mask."""
    if mask is not None:
        x._keras_mask = mask
    elif "_keras_mask" in getattr(x, "__dict__", ()):
        del x._keras_mask


def _holds_tensors(v):
    return isinstance(v, Tensor) or (isinstance(v, (list, tuple, dict)) and any(isinstance(t, Tensor) for t in flatten(v)))


_BASE_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim"}


def _dtype_of_policy(dtype):
    """A layer's `dtype` argument as a dtype name: Keras 3 configs hold it as a serialized
    DTypePolicy ({"class_name": "DTypePolicy", "config": {"name": "float32"}, ...})."""
    if not isinstance(dtype, dict):
        return dtype
    if dtype.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy") or "name" not in dtype.get("config", {}):
        raise ValueError(f"A layer's `dtype` config must be a dtype name or a serialized DTypePolicy, got {dtype!r}")
    name = dtype["config"]["name"]
    if name not in FLOAT_TYPES and name not in ("bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64"):
        raise ValueError(f"The dtype policy {name!r} is not supported by kerasish (mixed precision is not available "
                         "yet); use a dtype such as 'float32'")
    return name


class Layer(Operation):
    """Base class of every layer: weights, build-on-first-call, config, and the functional API."""

    builds_on_list = False  # build() takes the list of input shapes, even of one input (merging layers)

    def __init__(self, trainable=True, dtype=None, name=None, autocast=True, activity_regularizer=None, **kwargs):
        # Keras 3.15 writes `quantization_config` into the configs of Dense, EinsumDense and
        # Embedding; None (not quantized) is the only value kerasish can build
        if kwargs.pop("quantization_config", None) is not None:
            raise ValueError(f"{type(self).__name__}: quantized layers (a `quantization_config`) are not supported by "
                             "kerasish; load the float model")
        unknown = set(kwargs) - _BASE_KWARGS
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {sorted(unknown)}"
            )
        object.__setattr__(self, "_tracked", [])
        self._autocast = bool(autocast)
        Operation.__init__(self, name)
        self._trainable = bool(trainable)
        self.dtype_policy = _dtype_of_policy(dtype)
        self.built = False
        self._weights = []
        self._own_losses = []
        self._call_losses = []  # add_loss() and activity regularization, cleared at each outermost call
        # as Keras: a layer that overrides compute_mask supports masking; others set the flag
        self._computes_masks = type(self).compute_mask is not Layer.compute_mask
        self._supports_masking = self._computes_masks
        self._input_spec = None
        shape = kwargs.get("input_shape")
        if kwargs.get("input_dim") is not None and shape is None:
            shape = (kwargs["input_dim"],)
        self._batch_input_shape = None
        if kwargs.get("batch_input_shape") is not None:
            self._batch_input_shape = tuple(kwargs["batch_input_shape"])
        elif shape is not None:
            self._batch_input_shape = (kwargs.get("batch_size"),) + tuple(shape)
        params = inspect.signature(self.call).parameters
        self.call_has_training = "training" in params
        # Keras passes `mask` only to a call() that takes it (saved graphs name it: {"mask": null})
        self.call_has_mask = "mask" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
        # the arguments Keras fills with the inputs' masks: `mask`, and `<arg>_mask` for a call()
        # with several tensor arguments (Attention's query_mask / value_mask)
        self._call_arg_names = [k for k, p in params.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        self._call_mask_args = {k for k in params if k == "mask" or k.endswith("_mask")}
        self.activity_regularizer = regularizers.get(activity_regularizer)

    # attribute tracking: sub-layers assigned as attributes (or in lists) are part of this layer
    def __setattr__(self, name, value):
        tracked = self.__dict__.get("_tracked")
        if tracked is not None and not name.startswith("_"):
            items = list(value.values()) if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
            for v in items:
                if isinstance(v, Layer) and v is not self and all(v is not t for t in tracked):
                    tracked.append(v)
        object.__setattr__(self, name, value)

    @property
    def dtype(self):
        return self.dtype_policy or config.floatx()

    @property
    def compute_dtype(self):
        return self.dtype

    @property
    def variable_dtype(self):
        return self.dtype

    # weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True, regularizer=None,
                   constraint=None, aggregation="none", overwrite_with_gradient=False, name=None):
        """A new weight of this layer, with Keras 3's arguments in Keras's order: the initializer as
        a name, an initializer object or a callable (shape, dtype) -> values."""
        if overwrite_with_gradient:
            raise ValueError(f"Layer {self.name!r}: overwrite_with_gradient=True (float8 training) is not supported")
        shape = tuple(shape or ())
        dtype = dtype or self.dtype
        claim = WEIGHT_GUARD.get()
        if claim is not None:
            claim(self, shape)  # loading a saved model: the weight must be one the file holds
        if initializer is None:
            initializer = "glorot_uniform" if dtype in FLOAT_TYPES else "zeros"
        init = initializers.get(initializer)
        v = Variable(init(shape, dtype=dtype), dtype=dtype, trainable=trainable, name=name or "variable",
                     aggregation=aggregation)
        v.path = f"{self.name}/{v.name}"
        v._layer_trainable = trainable
        if constraint is not None:
            if isinstance(constraint, str) or not callable(constraint):
                raise ValueError(f"Layer {self.name!r}: constraints must be callables (w -> constrained w); "
                                 f"named constraints are not available, got {constraint!r}")
            v.constraint = constraint  # the optimizer applies it after each update, as in Keras
        self._weights.append(v)
        if regularizer is not None:
            self._own_losses.append((regularizers.get(regularizer), v))
        return v

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True, regularizer=None,
                     constraint=None, name=None):
        """add_weight under the name Keras 3 also gives it."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable, autocast=autocast,
                               regularizer=regularizer, constraint=constraint, name=name)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        # as Keras: the flag reaches every sub-layer and the variables' own `trainable`
        for layer in [self] + self._flat_layers():
            layer._trainable = bool(value)
            for w in layer._weights:
                if w._layer_trainable:
                    w.trainable = bool(value)

    def _flat_layers(self):
        out, seen, stack = [], {id(self)}, list(self._tracked)
        i = 0
        while i < len(stack):
            layer = stack[i]
            i += 1
            if id(layer) not in seen:
                seen.add(id(layer))
                out.append(layer)
                stack.extend(layer._tracked)
        return out

    @property
    def layers(self):
        return list(self._tracked)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        out = [w for w in self._weights if w._layer_trainable]
        seen = {id(w) for w in out}
        for layer in self._tracked:
            for w in layer.trainable_weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def non_trainable_weights(self):
        own = self._weights if not self.trainable else [w for w in self._weights if not w._layer_trainable]
        out = list(own)
        seen = {id(w) for w in out}
        for layer in self._tracked:
            for w in (layer.weights if not self.trainable else layer.non_trainable_weights):
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def own_weights(self):
        """This layer's own weights, not its sub-layers': those made trainable, then the others."""
        return [w for w in self._weights if w._layer_trainable] + [w for w in self._weights if not w._layer_trainable]

    @property
    def weights(self):
        # Keras order: this layer's own weights (trainable, then non-trainable), then each tracked
        # sub-layer's weights in turn, without repeats (BatchNormalization's moving statistics
        # come right after its gamma and beta, not after every trainable weight of the model)
        out = self.own_weights
        seen = {id(w) for w in out}
        for layer in self._tracked:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    @property
    def variables(self):
        return self.weights

    def get_weights(self):
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, weights):
        params = self.weights
        if len(weights) != len(params):
            raise ValueError(
                f"Layer {self.name!r} expects {len(params)} weights, but the given list has {len(weights)}"
            )
        for p, w in zip(params, weights):
            w = _core.convert_to_tensor(w, p.dtype)
            if tuple(w.shape) != tuple(p.shape):
                raise ValueError(
                    f"Layer {self.name!r} weight {p.path!r} has shape {tuple(p.shape)}, "
                    f"but the given weight has shape {tuple(w.shape)}"
                )
        for p, w in zip(params, weights):
            p.assign(w)

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built.")
        total = 0
        for w in self.weights:
            n = 1
            for d in w.shape:
                n *= d
            total += n
        return total

    @property
    def losses(self):
        """Losses from add_loss() and activity regularizers during the last call, then the weight
        regularization penalties of the trainable weights (as Keras: frozen weights add none)."""
        layers = [self] + self._flat_layers()
        out = []
        for layer in layers:
            out.extend(layer._call_losses)
        if any(layer._own_losses for layer in layers):
            trainable = {id(w) for w in self.trainable_weights}
            for layer in layers:
                for reg, v in layer._own_losses:
                    if id(v) in trainable:
                        out.append(reg(v))
        return out

    def add_loss(self, loss):
        """Adds a scalar loss from inside call() (kept until the next outermost call)."""
        for x in flatten(loss):
            if not isinstance(x, Tensor):
                raise ValueError("`add_loss()` can only be called from inside `build()` or `call()`, on a tensor "
                                 f"input. Received invalid value: {x}")
            self._call_losses.append(x)

    def _clear_losses(self):
        for layer in [self] + self._flat_layers():
            if layer._call_losses:
                layer._call_losses = []

    # building and calling
    def build(self, input_shape=None):
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call()")

    def _maybe_build(self, inputs):
        if self.built:
            return
        shapes = map_structure(lambda t: tuple(t.shape), inputs)
        first = shapes
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and not self.builds_on_list:
            first = shapes[0]
        self._build_shapes = first  # the build_config that saving records (Keras's _build_shapes_dict)
        self.build(first)
        self.built = True
        if self._input_spec is not None:  # build() may have set or narrowed the spec
            assert_input_compatibility(self._input_spec, inputs, self.name)

    @filter_traceback
    def __call__(self, *args, **kwargs):
        if not args and "inputs" in kwargs:
            args = (kwargs.pop("inputs"),)
        if not args:
            raise ValueError(f"Layer {self.name!r} was called without inputs")
        inputs = args[0]
        one_tensor = len(args) == 1 and isinstance(inputs, Tensor)  # the common case, checked quickly
        if (not one_tensor and any_symbolic_tensors(args)) or (kwargs and any_symbolic_tensors(kwargs)):
            if self._input_spec is not None:
                assert_input_compatibility(self._input_spec, inputs, self.name)
            return self.symbolic_call(args, kwargs)
        if one_tensor:
            inputs = self._convert_input(inputs)
        else:
            if isinstance(inputs, (list, tuple)) and inputs and all(
                    isinstance(v, (int, float, bool, np.number)) for v in flatten(inputs)):
                inputs = np.asarray(inputs)  # nested lists of numbers are one array, not a structure
            inputs = map_structure(self._convert_input, inputs)
        args = (inputs,) + args[1:]
        if self._input_spec is not None:
            assert_input_compatibility(self._input_spec, inputs, self.name)
        self._maybe_build(inputs)
        if not self.call_has_training:
            kwargs.pop("training", None)
        if not self.call_has_mask:
            kwargs.pop("mask", None)
        if CALL_DEPTH[0] == 0:
            self._clear_losses()
        outputs = self._call_with_masks(args, kwargs)
        if self.activity_regularizer is not None:
            for o in flatten(outputs):
                if isinstance(o, Tensor):
                    loss = self.activity_regularizer(o)
                    if o.ndim > 0 and o.shape[0] > 0:
                        loss = loss / float(o.shape[0])  # Keras 3 divides by the batch size
                    self._call_losses.append(loss)
        return outputs

    @property
    def input_spec(self):
        """What the first argument of a call must be: an InputSpec (or a structure of them), or None."""
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        self._input_spec = value

    # masking, as Keras 3's Layer.__call__: a mask rides on a tensor as its `_keras_mask`
    @property
    def supports_masking(self):
        """Whether this layer computes its outputs' mask with `compute_mask` (else it drops masks)."""
        return self._supports_masking

    @supports_masking.setter
    def supports_masking(self, value):
        self._supports_masking = bool(value)

    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    def _call_with_masks(self, args, kwargs):
        """call() with the inputs' masks given to its `mask` (or `<arg>_mask`) argument, and the
        outputs' masks set from compute_mask (or dropped, with Keras's warning)."""
        inputs = args[0]
        if self._call_mask_args:
            self._fill_mask_args(args, kwargs)
        previous_mask = kwargs.get("mask") if kwargs else None
        if previous_mask is None:
            previous_mask = inputs._keras_mask if isinstance(inputs, Tensor) else map_structure(get_keras_mask, inputs)
        CALL_DEPTH[0] += 1
        try:
            outputs = self.call(*args, **kwargs)
        finally:
            CALL_DEPTH[0] -= 1
        if self._supports_masking:
            if previous_mask is not None or self._computes_masks:  # (the default passes None on)
                self._set_mask_metadata(inputs, outputs, previous_mask)
        elif previous_mask is not None and any(m is not None for m in flatten(previous_mask)):
            warnings.warn(f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with a mask "
                          "attached to it. However, this layer does not support masking and will therefore destroy "
                          "the mask information. Downstream layers will not see the mask.", stacklevel=3)
        return outputs

    def _fill_mask_args(self, args, kwargs):
        """As Keras: with one tensor argument, `mask` gets its masks; with several, each
        `<arg>_mask` the call takes gets the masks of `<arg>` (unless given)."""
        mask_args = self._call_mask_args
        others = [v for k, v in kwargs.items() if k != "training" and k not in mask_args] if kwargs else ()
        if len(args) == 1 and not any(_holds_tensors(v) for v in others):
            if "mask" in mask_args and kwargs.get("mask") is None:
                x = args[0]
                kwargs["mask"] = x._keras_mask if isinstance(x, Tensor) else map_structure(get_keras_mask, x)
            return
        tensor_args = {k: v for k, v in zip(self._call_arg_names, args) if _holds_tensors(v)}
        tensor_args.update((k, v) for k, v in kwargs.items() if k not in mask_args and _holds_tensors(v))
        if len(tensor_args) == 1:
            if "mask" in mask_args and kwargs.get("mask") is None:
                kwargs["mask"] = map_structure(get_keras_mask, next(iter(tensor_args.values())))
            return
        for k, v in tensor_args.items():
            if f"{k}_mask" in mask_args and kwargs.get(f"{k}_mask") is None:
                kwargs[f"{k}_mask"] = map_structure(get_keras_mask, v)

    def _set_mask_metadata(self, inputs, outputs, previous_mask):
        flat_outputs = flatten(outputs)
        if all(get_keras_mask(t) is not None for t in flat_outputs):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for t, m in zip(flat_outputs, flatten(masks)):
            if m is not None and t is not None and get_keras_mask(t) is None:
                set_keras_mask(t, m)

    def _convert_input(self, t):
        """As Keras: array-likes become tensors, and float inputs are cast to the layer's compute
        dtype (a float32 layer given float64 NumPy data computes, and returns, float32)."""
        if not isinstance(t, Tensor):
            if t is None or isinstance(t, (str, bytes)):
                return t
            a = np.asarray(t)
            # float data is made in the compute dtype at once (float64 NumPy data cannot go to
            # the GPU as it is)
            cast = self._autocast and a.dtype.kind == "f" and self.compute_dtype in FLOAT_TYPES
            return _core.convert_to_tensor(a, self.compute_dtype if cast else None)
        if self._autocast and t.dtype in FLOAT_TYPES and t.dtype != self.compute_dtype:
            mask = t._keras_mask
            t = _core.convert_to_tensor(t, self.compute_dtype)
            if mask is not None:
                t._keras_mask = mask  # the cast copy keeps the mask, as in Keras
        return t

    def _call_on_placeholders(self, inputs, args, kwargs):
        """Builds the layer for the symbolic inputs, then runs it (no training) on their stand-ins."""
        if not self.built:
            self._maybe_build(inputs)
        if self.call_has_training:
            kwargs["training"] = False
        else:
            kwargs.pop("training", None)
        if not self.call_has_mask:
            kwargs.pop("mask", None)
        try:
            with no_grad():
                return self._call_with_masks(args, kwargs)
        finally:
            self._clear_losses()  # losses of a shape-inference run on zeros are not real ones

    def compute_output_shape(self, input_shape):
        kt = (map_structure(lambda s: KerasTensor(s), input_shape) if not isinstance(input_shape, tuple)
              else KerasTensor(input_shape))
        out = self.symbolic_call((kt,), {})
        return map_structure(lambda t: t.shape, out)

    # config
    def get_config(self):
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            cfg["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = self._batch_input_shape
        return cfg

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


__all__ = ["Layer"]
