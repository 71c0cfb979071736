"""Input data as the trainer takes it, as keras/src/trainers/data_adapters/data_adapter_utils.py:
NumPy arrays (or structures of them) on the input side; tensors only for the steps."""
import numpy as np

from kerasish import _core
from kerasish._core import Tensor
from kerasish.tree import flatten, map_structure


def as_array(x):
    """Input data as NumPy (or a structure of NumPy arrays); floats become float32 once, up front."""
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: as_array(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, (np.ndarray, Tensor)) for v in x):
        return [as_array(v) for v in x]
    a = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind == "f" and a.dtype != np.float32:
        a = a.astype(np.float32)
    elif a.dtype.kind in "iu" and a.dtype not in (np.int64, np.uint8):
        a = a.astype(np.int64)
    return a


def flat_arrays(x):
    """The arrays of a structure (a dict by sorted key)."""
    return flatten(x) if not isinstance(x, dict) else [x[k] for k in sorted(x)]


def take(x, idx):
    """Rows `idx` (a slice or an index array) of every array of a structure."""
    if isinstance(x, dict):
        return {k: take(v, idx) for k, v in x.items()}
    if isinstance(x, list):
        return [take(v, idx) for v in x]
    return x[idx] if isinstance(idx, slice) else np.take(x, idx, axis=0)


def to_tensor(x):
    return map_structure(lambda a: a if isinstance(a, Tensor) else _core.tensor(a), x)


def is_generator_like(x):
    return x is not None and not isinstance(x, (np.ndarray, Tensor, list, tuple, dict)) and (
        hasattr(x, "__next__") or (hasattr(x, "__getitem__") and hasattr(x, "__len__")) or hasattr(x, "__iter__"))


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) of `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`, as keras.utils'."""
    if not isinstance(data, (list, tuple)):
        return data, None, None
    if len(data) in (1, 2, 3):
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, found: {data}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The tuple fit() takes: x alone (a list or tuple x as `(x,)`), `(x, y)` or `(x, y, sample_weight)`."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def train_validation_split(x, y, sample_weight, validation_split):
    """The first ``1 - validation_split`` of the rows to train on, the rest to validate on:
    ``((x, y, sample_weight), (val_x, val_y))``."""
    xa, ya, swa = as_array(x), as_array(y), as_array(sample_weight)
    sizes = {len(a) for a in flat_arrays([v for v in (xa, ya) if v is not None])}
    n = max(sizes) if sizes else 0
    split = int(n * (1.0 - validation_split))
    x, validation_x = take(xa, slice(0, split)), take(xa, slice(split, n))
    y, validation_y = (take(ya, slice(0, split)), take(ya, slice(split, n))) if ya is not None else (None, None)
    if swa is not None:
        sample_weight = take(swa, slice(0, split))
    return (x, y, sample_weight), (validation_x, validation_y)


def class_weight_to_sample_weights(y, class_weight):
    """Each sample's weight: its class's entry of `class_weight` (1 for classes not in it)."""
    labels = y if y.ndim == 1 or y.shape[-1] == 1 else np.argmax(y, axis=-1)
    labels = np.round(labels.reshape(-1)).astype(np.int64)  # Keras rounds (binary float labels)
    table = np.ones(int(max(labels.max(initial=0), max(class_weight)) + 1), np.float32)
    for k, v in class_weight.items():
        table[int(k)] = v
    return table[labels]
