"""Symbolic tensors and the operations that record them, as Keras 3's ``Operation`` and
``KerasTensor``: calling an operation (a layer, or an op of ``keras.ops``) on symbolic tensors runs
it once on zeros to learn its output, and records the call as a node of the functional graph."""
from __future__ import annotations

import functools

import numpy as np

from kerasish import _complex, _core
from kerasish._complex import ComplexTensor
from kerasish._tensor import no_grad
from kerasish._traceback import filter_traceback
from kerasish.naming import auto_name, to_snake_case
from kerasish.tree import flatten, map_structure


class KerasTensor:
    """A symbolic tensor: a shape with None for unknown dims, a dtype, and the layer call that made it."""

    _keras_mask = None  # the symbolic mask a masking layer gives its output

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        self.keras_history = history  # (node, index) or None for Input

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    # arithmetic on symbolic tensors records an operation in the graph, as in Keras 3
    # (`x = x + shortcut` in a functional model): the op classes Keras records (Add, Subtract...),
    # which saved configs hold and Keras loads; the operation shows in summary() as Keras's does
    def __add__(self, other): return _op("Add", self, other)
    def __radd__(self, other): return _op("Add", other, self)
    def __sub__(self, other): return _op("Subtract", self, other)
    def __rsub__(self, other): return _op("Subtract", other, self)
    def __mul__(self, other): return _op("Multiply", self, other)
    def __rmul__(self, other): return _op("Multiply", other, self)
    def __truediv__(self, other): return _op("TrueDivide", self, other)
    def __rtruediv__(self, other): return _op("TrueDivide", other, self)
    def __pow__(self, other): return _op("Power", self, other)
    def __rpow__(self, other): return _op("Power", other, self)
    def __matmul__(self, other): return _op("Matmul", self, other)
    def __rmatmul__(self, other): return _op("Matmul", other, self)
    def __floordiv__(self, other): return _op("FloorDivide", self, other)
    def __rfloordiv__(self, other): return _op("FloorDivide", other, self)
    def __mod__(self, other): return _op("Mod", self, other)
    def __rmod__(self, other): return _op("Mod", other, self)
    def __neg__(self): return _op("Negative", self)
    def __abs__(self): return _op("Absolute", self)
    # comparisons are symbolic as in Keras (`source != 0` makes a mask); == is left to Python's
    # identity so KerasTensors stay usable in lists and dicts (ops.equal compares symbolically)
    def __ne__(self, other): return _op("NotEqual", self, other)
    def __lt__(self, other): return _op("Less", self, other)
    def __le__(self, other): return _op("LessEqual", self, other)
    def __gt__(self, other): return _op("Greater", self, other)
    def __ge__(self, other): return _op("GreaterEqual", self, other)
    __hash__ = object.__hash__

    def __getitem__(self, key):
        return apply_op("GetItem", lambda a: a[key], self)


class Node:
    """One call of an operation on symbolic inputs."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs


def any_symbolic_tensors(structure):
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(any_symbolic_tensors(s) for s in structure)
    if isinstance(structure, dict):
        return any(any_symbolic_tensors(v) for v in structure.values())
    return False


PROBING = [0]  # > 0 while an operation runs on stand-ins to learn its output (state must not change)
UNKNOWN = (16, 17)  # the sizes an unknown non-batch dim takes in the two shape-inference runs


def _dummy(kt, run=0):
    """A concrete stand-in for a symbolic tensor: zeros, with an unknown batch size set to 1 and
    other unknown sizes to UNKNOWN[run] (large enough for a valid convolution or a pooling to
    leave something). A broadcast view of one zero, so that no memory is taken for it (a
    config's input shape, however large, costs nothing until an op makes an output of that size,
    and that output is checked)."""
    shape = tuple(d if d is not None else 1 if i == 0 else UNKNOWN[run] for i, d in enumerate(kt.shape))
    if kt.dtype in _complex.COMPLEX_TYPES:
        return ComplexTensor(_core.broadcast_to(_core.full((), 0.0, _complex.PART[kt.dtype]), shape + (2,)))
    return _core.broadcast_to(_core.full((), 0.0, kt.dtype), shape)


def _stand_in(t, run=0):
    """A KerasTensor's stand-in, with a stand-in of its mask; other values as they are."""
    if not isinstance(t, KerasTensor):
        return t
    d = _dummy(t, run)
    mask = getattr(t, "_keras_mask", None)
    if mask is not None:
        d._keras_mask = _dummy(mask, run)
    return d


class Operation:
    """A computation that records itself in the functional graph when called on symbolic tensors."""

    built = True  # an operation has no weights to build
    call_has_training = False  # whether call() takes `training=`

    def __init__(self, name=None):
        self.name = name or auto_name(to_snake_case(type(self).__name__))
        self.inbound_nodes = []  # the Node of each symbolic call, in order

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Operation {type(self).__name__} does not implement call()")

    def _first_call(self, what):
        """The symbolic inputs or outputs of this operation's first call (one tensor, or a list)."""
        if not self.inbound_nodes:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no defined {what}.")
        node = self.inbound_nodes[0]
        found = flatten(node.outputs) if what == "output" else flatten((node.args, node.kwargs))
        values = [t for t in found if isinstance(t, KerasTensor)]
        return values[0] if len(values) == 1 else values

    @property
    def input(self):
        """The symbolic input(s) of the first call, as Keras's (for intermediate-output models)."""
        return self._first_call("input")

    @property
    def output(self):
        """The symbolic output(s) of the first call: `Model(m.inputs, m.get_layer("h").output)`."""
        return self._first_call("output")

    @filter_traceback
    def __call__(self, *args, **kwargs):
        if any_symbolic_tensors(args) or any_symbolic_tensors(kwargs):
            return self.symbolic_call(args, kwargs)
        return self.call(*args, **kwargs)

    def count_params(self):
        return 0

    def _call_on_placeholders(self, inputs, args, kwargs):
        """call() on concrete stand-ins of the symbolic `inputs`, to learn the output's shape and dtype."""
        with no_grad():
            return self.call(*args, **kwargs)

    def symbolic_call(self, args, kwargs):
        """Works out the output by running on zeros, and records the call as a Node."""
        inputs = args[0]
        PROBING[0] += 1
        try:
            out = self._call_on_placeholders(inputs, map_structure(_stand_in, args), map_structure(_stand_in, kwargs))
            # unknown sizes past the batch axis (a sequence's time axis): a second run with them one
            # larger tells which output sizes follow them, and those are unknown too
            flat_out, flat_two = flatten(out), None
            if any(isinstance(t, KerasTensor) and None in t.shape[1:] for t in flatten((args, kwargs))):
                try:
                    two = self._call_on_placeholders(inputs, map_structure(lambda t: _stand_in(t, 1), args),
                                                     map_structure(lambda t: _stand_in(t, 1), kwargs))
                    flat_two = flatten(two)
                except Exception:  # a layer that only takes the first sizes: keep what they gave
                    flat_two = None
        finally:
            PROBING[0] -= 1
        batch = None
        for t in flatten(inputs):
            if isinstance(t, KerasTensor) and t.shape:
                batch = t.shape[0]
                break
        node = Node(self, args, kwargs, None)

        def to_symbolic(t, counter=[0]):
            shape = (batch,) + tuple(t.shape[1:]) if t.ndim else ()
            if flat_two is not None and len(flat_two) == len(flat_out):
                other = flat_two[counter[0]]
                if getattr(other, "ndim", None) == t.ndim:
                    shape = shape[:1] + tuple(None if a != b else a for a, b in zip(t.shape[1:], other.shape[1:]))
            kt = KerasTensor(shape, t.dtype, name=self.name, history=(node, counter[0]))
            counter[0] += 1
            mask = getattr(t, "_keras_mask", None)
            if mask is not None:  # the mask the layer gives its output, as Keras's KerasTensors carry it
                kt._keras_mask = KerasTensor((batch,) + tuple(mask.shape[1:]) if mask.ndim else (), mask.dtype)
            return kt

        outputs = map_structure(to_symbolic, out)
        node.outputs = outputs
        self.inbound_nodes.append(node)
        return outputs


class _TensorOp(Operation):
    """A symbolic tensor operation recorded in a functional graph (no weights, no casting)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def call(self, *args):
        return self.fn(*args)

    def get_config(self):
        raise NotImplementedError(
            f"The operation {self.name!r} ({type(self).__name__}, from indexing or a keras.ops call on "
            "symbolic tensors) cannot be saved in a config yet (arithmetic operators can); use layers such as "
            "keras.layers.Lambda with a registered function in models to save")


class KerasOp(Operation):
    """An op of keras.ops as a node of a functional graph that Keras saved (Keras 3 records op
    calls on symbolic tensors as operation classes: `NotEqual` for an Embedding's mask, `Sum`...):
    the kerasish op of the same name, given the saved call arguments and the op's saved keyword
    configuration. Only names of kerasish's ops resolve; nothing is imported from the file."""

    _MODULES = ("numpy", "nn", "math", "core", "image", "linalg")

    def __init__(self, class_name, module, config):
        from kerasish import ops

        config = dict(config or {})
        fn_name = to_snake_case(class_name)
        super().__init__(config.pop("name", None) or auto_name(fn_name))
        sub = module.rsplit(".", 1)[-1] if module.startswith(("keras.src.ops.", "keras.ops.")) else None
        where = [getattr(ops, sub)] if sub in self._MODULES else [getattr(ops, m) for m in self._MODULES]
        fn = next((getattr(m, fn_name) for m in where if callable(getattr(m, fn_name, None))), None)
        if fn is None:
            raise ValueError(f"The saved config holds the operation {class_name!r} ({module}), which has no kerasish "
                             f"op of that name ({fn_name})")
        self.keras_class_name, self.keras_module, self.fn, self.op_config = class_name, module, fn, config

    def call(self, *args, **kwargs):
        return self.fn(*args, **{**self.op_config, **kwargs})

    def get_config(self):
        return {"name": self.name, **self.op_config}


_OP_CLASSES = {}


def _op(class_name, *args):
    """Records the keras.ops op Keras names `class_name` (module keras.src.ops.numpy) on `args`."""
    return KerasOp(class_name, "keras.src.ops.numpy", {})(*args)


def apply_op(kind, fn, *args):
    """Runs `fn` as an operation node of the functional graph (a weightless operation named like Keras's op)."""
    cls = _OP_CLASSES.get(kind)
    if cls is None:
        cls = _OP_CLASSES[kind] = type(kind, (_TensorOp,), {})
    return cls(fn)(*args)


_COMPLEX_SCALARS = (ComplexTensor, complex, np.complex64, np.complex128)


def _is_complex(a):
    t = type(a)
    return t in _COMPLEX_SCALARS or (t is np.ndarray and a.dtype.kind == "c")


def symbolic(fn):
    """An op of keras.ops that, given symbolic tensors (`keras.ops.relu(keras.Input((3,)))`),
    records itself as a node of the graph, as Keras 3 does; given a complex operand it runs the
    op's complex implementation (kerasish/_complex.py), or says that the op has none."""
    op = fn.__name__
    name = "".join(p.capitalize() for p in op.split("_"))

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        symbolic = cx = False
        for a in args:
            t = type(a)
            if t is KerasTensor:
                symbolic = True
            elif t is list or t is tuple:
                symbolic = symbolic or any(type(x) is KerasTensor for x in a)
                cx = cx or any(_is_complex(x) for x in a)
            elif _is_complex(a):
                cx = True
        if kwargs:
            symbolic = symbolic or any(type(v) is KerasTensor for v in kwargs.values())
            cx = cx or any(_is_complex(v) for v in kwargs.values())
        if symbolic:
            def run(*a):  # on the stand-ins: complex ones (a complex Input) go to the complex op
                if any(_is_complex(x) or (type(x) in (list, tuple) and any(_is_complex(y) for y in x)) for x in a):
                    return _complex.dispatch(op, a, kwargs)
                return fn(*a, **kwargs)

            return apply_op(name, run, *args)
        if cx:
            return _complex.dispatch(op, args, kwargs)
        return fn(*args, **kwargs)

    return wrapper
