"""Utilities, as keras.utils."""
import random as _py_random

import numpy as np

from kerasish import _core
from kerasish.backend import clear_session, is_keras_tensor, standardize_dtype
from kerasish.config import disable_interactive_logging, enable_interactive_logging, is_interactive_logging_enabled
from kerasish.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from kerasish.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from kerasish.trainers.data_adapters.data_adapter_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from kerasish.utils.config import Config
from kerasish.utils.progbar import Progbar
from kerasish.utils.sequence_utils import pad_sequences


def set_random_seed(seed):
    """Seeds Python's ``random``, NumPy and the engine, so weights, shuffling and dropout repeat."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})")
    _py_random.seed(seed)
    np.random.seed(seed % (2**32))
    _core.set_seed(seed)


def to_categorical(x, num_classes=None):
    """One-hot encodes integer labels (input handling, in NumPy as Keras does): float64 for NumPy input."""
    x = np.asarray(x, dtype="int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must be in [0, {num_classes - 1}], got values from {x.min()} to {x.max()}")
    out = np.zeros((x.shape[0], num_classes), dtype="float64")
    out[np.arange(x.shape[0]), x] = 1.0
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scales x to unit L-`order` norm along `axis` (input handling)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


class PyDataset:
    """Base class for datasets that yield whole batches: implement __len__ and __getitem__(index)."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError

    def on_epoch_end(self):
        pass


# keras.utils.Sequence is PyDataset under its Keras 2 name
Sequence = PyDataset


def get_source_inputs(tensor):
    """The Inputs a symbolic tensor is computed from, in the order first reached, as Keras's."""
    from kerasish.ops.operation import KerasTensor
    from kerasish.tree import flatten

    if not isinstance(tensor, KerasTensor):
        raise ValueError(f"get_source_inputs: expected a symbolic tensor (keras.Input or a layer's output on one), "
                         f"got {type(tensor).__name__}")
    out, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        node = t.keras_history[0] if t.keras_history else None
        parents = [a for a in flatten((node.args, node.kwargs)) if isinstance(a, KerasTensor)] if node else []
        if not parents:
            out.append(t)
        stack.extend(reversed(parents))
    return out
