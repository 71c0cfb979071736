"""Variables: engine tensors that models and optimizers update in place."""
import numpy as np

from kerasish import _core, config
from kerasish._core import Tensor
from kerasish._tensor import no_grad
from kerasish.backend.dtypes import FLOAT_TYPES


class Variable(Tensor):
    """A named tensor holding state (weights, optimizer slots, metric totals).

    Trainable float variables require gradients. ``assign`` and friends write in place, so every
    reference to the variable sees the new value.
    """

    def __new__(cls, initializer, shape=None, dtype=None, trainable=True, name=None, **kwargs):
        if isinstance(initializer, (str, dict)):
            from kerasish import initializers

            initializer = initializers.get(initializer)
        if callable(initializer) and not isinstance(initializer, Tensor):
            if shape is None:
                raise ValueError("Variable: a callable initializer needs `shape`")
            value = initializer(tuple(shape), dtype=dtype or config.floatx())
        else:
            value = initializer
        if dtype is None and not isinstance(value, Tensor) and np.asarray(value).dtype.kind == "f":
            dtype = config.floatx()  # float data (NumPy, lists, numbers) in floatx, as Keras's
        value = _core.convert_to_tensor(value, dtype)
        requires = bool(trainable) and value.dtype in FLOAT_TYPES
        return super().__new__(cls, value, value.dtype, requires)

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, name=None, aggregation="none",
                 synchronization="auto"):
        self._trainable = bool(trainable)
        self.name = name or "variable"
        self.path = self.name
        self.aggregation = aggregation
        self.synchronization = synchronization

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        if self.dtype in FLOAT_TYPES:
            self.requires_grad = self._trainable

    @property
    def value(self):
        return self

    def assign(self, value):
        with no_grad():
            Tensor.assign(self, value)
        return self

    def assign_add(self, value):
        with no_grad():
            Tensor.assign(self, self + value)
        return self

    def assign_sub(self, value):
        with no_grad():
            Tensor.assign(self, self - value)
        return self

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={self.numpy()}>"
