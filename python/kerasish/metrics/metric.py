"""The Metric base class, as keras/src/metrics/metric.py.

A metric keeps its state in non-trainable :class:`kerasish.Variable` objects (``variables``),
updated in place with ``assign`` / ``assign_add``: ``update_state(y_true, y_pred, sample_weight=None)``
accumulates, ``result()`` returns a new scalar tensor, ``reset_state()`` zeroes the state, and
calling the metric does ``update_state`` then ``result``. Updates record no gradients.
"""
from __future__ import annotations

from kerasish import config, initializers, naming, ops
from kerasish.variables import Variable


class Metric:
    """Base class. Subclasses create state with :meth:`add_variable` in ``__init__`` and implement
    ``update_state`` and ``result``."""

    def __init__(self, dtype=None, name=None):
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        self.name = name or naming.auto_name(naming.to_snake_case(type(self).__name__))
        self._dtype = dtype or config.floatx()

    def __setattr__(self, name, value):
        # track state variables and sub-metrics assigned as attributes
        if "_variables" in self.__dict__:
            if isinstance(value, Variable) and not any(v is value for v in self._variables):
                self._variables.append(value)
            elif isinstance(value, Metric) and value is not self and not any(m is value for m in self._metrics):
                self._metrics.append(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` method. Go add it!")

    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A new non-trainable state variable (tracked in ``variables``)."""
        self._check_super_called()
        init = initializers.get(initializer) if initializer is not None else initializers.Zeros()
        dtype = dtype or self.dtype
        value = init(tuple(shape), dtype=dtype)
        variable = Variable(value, dtype=dtype, trainable=False, name=name, aggregation=aggregation)
        variable.path = f"{self.name}/{name}" if name else self.name
        if not any(v is variable for v in self._variables):
            self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        out = list(self._variables)
        for m in self._metrics:
            out.extend(m.variables)
        return out

    def reset_state(self):
        """Zeroes every state variable."""
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config_):
        return cls(**config_)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
