"""InputSpec, as keras/src/layers/input_spec.py: what a layer accepts as its first argument (rank,
shape, dtype, sizes of given axes), checked before the layer builds and again after, with Keras's
error messages."""
from kerasish.backend.dtypes import standardize_dtype
from kerasish.tree import flatten


class InputSpec:
    """`layer.input_spec = InputSpec(ndim=4, axes={-1: 3})`: calls with other inputs raise a
    ValueError that names the input, the layer and what differs. `None` in a shape matches any size."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = standardize_dtype(dtype) if dtype is not None else None
        if shape is not None:
            self.shape = tuple(None if d is None else int(d) for d in shape)
            self.ndim = len(self.shape)
        else:
            self.ndim = ndim
            self.shape = None
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: axes={axes}") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed value: {max_dim}")

    def __repr__(self):
        spec = [f"dtype={self.dtype}" if self.dtype else "", f"shape={self.shape}" if self.shape else "",
                f"ndim={self.ndim}" if self.ndim else "", f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                f"min_ndim={self.min_ndim}" if self.min_ndim else "", f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes, "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _spec_inputs(specs, inputs, layer_name):
    if isinstance(inputs, dict):
        names = [s.name for s in specs]
        if all(names):  # a dict of inputs goes in the specs' order of names
            for name in names:
                if name not in inputs:
                    raise ValueError(f'Missing data for input "{name}". You passed a data dictionary with keys '
                                     f"{list(inputs.keys())}. Expected the following keys: {names}")
            inputs = [inputs[n] for n in names]
    inputs = flatten(inputs)
    if len(inputs) != len(specs):
        names = [s.name for s in specs if s is not None]
        if len(names) == len(specs) and all(names):
            raise ValueError(f'Layer "{layer_name}" expects {len(specs)} named input(s) with keys {names}, but it '
                             f"received {len(inputs)} input tensors. Pass inputs as a dict, e.g. `layer({{"
                             + ", ".join(f"'{n}': ..." for n in names) + "})`.")
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(inputs)} input '
                         f"tensors. Inputs received: {inputs}")
    return inputs


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raises a ValueError when `inputs` (a tensor or a structure of them) do not meet `input_spec`
    (an InputSpec, or a structure of them, one per input; None checks nothing)."""
    if not input_spec:
        return
    specs = flatten(input_spec)
    for i, (x, spec) in enumerate(zip(_spec_inputs(specs, inputs, layer_name), specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input for "
                             f"layer '{layer_name}'.")
        shape = tuple(None if d is None else int(d) for d in x.shape)
        ndim = len(shape)
        where = f"Input {i} with name '{spec.name}' of layer '{layer_name}' is incompatible with the layer:"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where} expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where} expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where} expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if spec.dtype is not None:
            dtype = standardize_dtype(x.dtype)
            if dtype != spec.dtype:
                raise ValueError(f"{where} expected dtype={spec.dtype}, found dtype={dtype}")
        for axis, value in spec.axes.items():
            if value is not None and (axis >= ndim or axis < -ndim or shape[axis] not in (value, None)):
                raise ValueError(f"{where} expected axis {axis} of input shape to have value {value}, but received "
                                 f"input with shape {shape}")
        if spec.shape is not None:
            spec_shape = spec.shape
            if spec.allow_last_axis_squeeze:
                if shape and shape[-1] == 1:
                    shape = shape[:-1]
                if spec_shape and spec_shape[-1] == 1:
                    spec_shape = spec_shape[:-1]
            for want, got in zip(spec_shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{where} expected shape={spec.shape}, found shape={shape}")
