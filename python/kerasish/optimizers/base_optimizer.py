"""The optimizer base class, as Keras 3's ``keras.optimizers.Optimizer``.

Every update runs on the engine: slot variables and model variables are written in place with
``Variable.assign`` (or one fused engine op per variable) under ``no_grad``. ``update_step`` gets
the learning rate as a 0-d tensor read when the update runs, and step-dependent factors (Adam's
bias correction) are computed by the engine from ``iterations``, so a traced training step replays
them correctly; a schedule's value is set into that tensor by ``prepare_step`` before each step.
"""
from __future__ import annotations

import numbers
import re
import struct
import warnings
import weakref

import numpy as np

from kerasish import _core, config, initializers, ops
from kerasish._core import Tensor
from kerasish._tensor import no_grad
from kerasish.naming import auto_name, to_snake_case
from kerasish.optimizers import schedules as _schedules
from kerasish.variables import Variable


def _round_to(dtype, value):
    """``value`` as the nearest number of ``dtype`` (what a float32 variable holding it reads back)."""
    if dtype == "float32":
        return struct.unpack("f", struct.pack("f", value))[0]
    return float(value)


def is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


class LearningRate(float):
    """The optimizer's current learning rate: a Python float that also answers the idioms Keras
    scripts use on the learning-rate variable (``.numpy()``, ``.assign(v)``, ``.item()``)."""

    def __new__(cls, value, optimizer=None):
        obj = super().__new__(cls, value)
        obj._optimizer = weakref.ref(optimizer) if optimizer is not None else None
        return obj

    def numpy(self):
        return np.asarray(float(self), dtype=config.floatx())

    def item(self):
        return float(self)

    @property
    def value(self):
        return float(self)

    def assign(self, value):
        opt = self._optimizer() if self._optimizer is not None else None
        if opt is None:
            raise ValueError("This learning-rate value is not attached to an optimizer; set `optimizer.learning_rate` instead.")
        opt.learning_rate = value
        return opt.learning_rate

    def __reduce__(self):
        return (float, (float(self),))


class Optimizer:
    """Base class. Subclasses implement ``build(variables)`` (creating their slots with
    ``add_variable_from_reference``), ``update_step(gradient, variable, learning_rate)`` and
    ``get_config()``.

    ``variables`` lists, in order: ``iterations`` (int64), ``learning_rate`` (a float Variable;
    absent when a schedule or callable drives the rate), then the slots in creation order, as Keras
    orders them for saving.
    """

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=2)
        if kwargs:
            hint = " (use `learning_rate` instead of `lr`)" if "lr" in kwargs else ""
            raise ValueError(f"Argument(s) not recognized: {kwargs}{hint}")

        if name is None:
            name = auto_name(to_snake_case(self.__class__.__name__))
        self.name = name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps

        if gradient_accumulation_steps:
            if not gradient_accumulation_steps >= 2:
                raise ValueError(
                    "`gradient_accumulation_steps` must be an integer >= 2. "
                    f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
                )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency

        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )

        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._trainable_variables_indices = {}

        self._iterations = self._make_variable(_core.full((), 0.0, "int64"), "iteration", "int64")
        self._lr_value = None
        self._scheduled_lr = None
        self._prepared = False
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, Tensor)
        ):
            self._learning_rate = learning_rate
        else:
            value = self._check_lr(learning_rate)
            self._learning_rate = self._make_variable(
                _core.full((), value, config.floatx()), "learning_rate", config.floatx()
            )
            self._lr_value = value

    # ---------------------------------------------------------------- variables
    @staticmethod
    def _check_lr(learning_rate):
        if isinstance(learning_rate, Tensor) and learning_rate.size == 1:
            return float(learning_rate.item())
        if is_number(learning_rate) or (hasattr(learning_rate, "dtype") and getattr(learning_rate, "ndim", 1) == 0):
            return float(learning_rate)
        raise ValueError(
            "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a callable "
            "(that takes in the current iteration value and returns the corresponding learning rate value). "
            f"Received instead: learning_rate={learning_rate}"
        )

    def _make_variable(self, value, name, dtype):
        var = Variable(value, dtype=dtype, trainable=False, name=name)
        var.path = f"{self.name}/{name}"
        self._variables.append(var)
        return var

    @property
    def variables(self):
        return self._variables[:]

    @property
    def iterations(self):
        if self.gradient_accumulation_steps:
            return ops.floor_divide(self._iterations, self.gradient_accumulation_steps)
        return self._iterations

    def _step_count(self):
        """``iterations`` as a Python int (accumulation steps folded in, as ``iterations`` does)."""
        n = int(self._iterations.item())
        if self.gradient_accumulation_steps:
            n //= self.gradient_accumulation_steps
        return n

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None):
        """A non-trainable optimizer variable, tracked in ``variables``."""
        dtype = dtype or config.floatx()
        shape = tuple(shape)
        if isinstance(initializer, str):
            if initializer == "zeros":
                value = _core.full(shape, 0.0, dtype)
            elif initializer == "ones":
                value = _core.full(shape, 1.0, dtype)
            else:
                value = initializers.get(initializer)(shape, dtype=dtype)
        elif is_number(initializer):
            value = _core.full(shape, float(initializer), dtype)
        elif callable(initializer):
            value = initializer(shape, dtype=dtype)
        else:
            value = initializer
        return self._make_variable(_core.convert_to_tensor(value, dtype), name or "variable", dtype)

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot shaped like ``reference_variable``, named ``<its path with _>_<name>``."""
        name = name or "var"
        ref = getattr(reference_variable, "path", None) or getattr(reference_variable, "name", None) or "variable"
        full_name = str(ref).replace("/", "_").replace(":", "_") + "_" + name
        return self.add_variable(tuple(reference_variable.shape), initializer=initializer, dtype=reference_variable.dtype,
                                 name=full_name)

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per variable for each name (interleaved per variable, as Keras); a list, or a
        tuple of lists when ``name`` is a list."""
        names = [name] if isinstance(name, str) else list(name)
        inits = ([initializer] * len(names) if isinstance(initializer, str) or not isinstance(initializer, (list, tuple))
                 else list(initializer))
        if len(names) != len(inits):
            raise ValueError(
                "The number of provided names must match the number of provided initializers. "
                f"Received name='{name}', initializer='{initializer}'"
            )
        out = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (n, init) in enumerate(zip(names, inits)):
                out[i].append(self.add_variable_from_reference(variable, name=n, initializer=init))
        return out[0] if isinstance(name, str) else out

    def build(self, variables):
        """Registers the variables this optimizer updates (subclasses then create their slots)."""
        variables = list(variables)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = []
        for i, variable in enumerate(variables):
            self._trainable_variables_indices[id(variable)] = i
            if self.gradient_accumulation_steps:
                self._accumulated_gradients.append(self.add_variable_from_reference(variable, name="gradient_accumulator"))
        self._trainable_variables = variables[:]
        self.built = True

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[id(variable)]

    def _check_variables_are_known(self, variables):
        for v in variables:
            if id(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {getattr(v, 'path', v)}. This optimizer can only be called for the variables "
                    "it was originally built with. When working with a new set of variables, you should recreate a "
                    "new optimizer instance."
                )

    # ---------------------------------------------------------------- learning rate
    def _current_learning_rate(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(int(self._iterations.item())))
        if isinstance(lr, Variable):
            stored = float(lr.item())
            # Return the Python float that was set when the variable still holds it, so
            # `optimizer.learning_rate` reads 0.001 rather than float32's 0.0010000000474974513.
            if self._lr_value is not None and _round_to(lr.dtype, self._lr_value) == stored:
                return self._lr_value
            return stored
        if callable(lr):
            value = lr()
            return float(value.item() if isinstance(value, Tensor) else value)
        return float(lr)

    def _lr_tensor(self):
        """The learning rate as a 0-d tensor that the update reads when it runs: the learning-rate
        variable, or (with a schedule or a callable) a variable ``prepare_step`` sets each step."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        if self._scheduled_lr is None:
            self._scheduled_lr = Variable(_core.full((), 0.0, config.floatx()), trainable=False, name="scheduled_learning_rate")
        return self._scheduled_lr

    def needs_host_step(self):
        """Whether Python must run before each step (a schedule or callable learning rate)."""
        return not isinstance(self._learning_rate, Variable)

    def prepare_step(self):
        """Computes, in Python, what the next update reads that the engine cannot: the scheduled
        learning rate. ``fit`` calls it before every step (also before a traced step's replay)."""
        if self.needs_host_step():
            self._lr_tensor().assign(self._current_learning_rate())
        self._prepared = True

    @property
    def learning_rate(self):
        return LearningRate(self._current_learning_rate(), self)

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        prev_var = self._learning_rate if isinstance(self._learning_rate, Variable) else None
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, Tensor)
        ):
            self._learning_rate = learning_rate
            self._lr_value = None
        else:
            if prev_var is None:
                if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
                    raise TypeError(
                        "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                        "constructor argument, hence its learning rate is not settable. If you need the learning rate "
                        "to be settable, you should instantiate the optimizer with a float `learning_rate` argument."
                    )
                # a callable was in charge: go back to a variable, tracked in Keras's slot
                value = self._check_lr(learning_rate)
                var = Variable(_core.full((), value, config.floatx()), dtype=config.floatx(), trainable=False,
                               name="learning_rate")
                var.path = f"{self.name}/learning_rate"
                self._variables.insert(1, var)
                self._learning_rate = var
                self._lr_value = value
                return
            value = self._check_lr(learning_rate)
            prev_var.assign(value)
            self._lr_value = value
        if prev_var is not None and not isinstance(self._learning_rate, Variable):
            self._variables = [v for v in self._variables if v is not prev_var]

    # ---------------------------------------------------------------- applying gradients
    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError

    def apply_gradients(self, grads_and_vars):
        """Applies ``[(gradient, variable), ...]``; returns ``iterations``."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, trainable_variables = zip(*pairs)
        self.apply(list(grads), list(trainable_variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Updates the variables in place from their gradients (``None`` gradients are skipped).

        ``trainable_variables`` builds the optimizer on the first call; without it the gradients must
        match, one to one, the variables the optimizer was built with.
        """
        grads = list(grads)
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on a list of "
                    "variables. Call `optimizer.build(trainable_variables)` first. "
                )
            if len(grads) != len(self._trainable_variables_indices):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients must match "
                    f"`optimizer.variables` one-to-one. Received a list of {len(grads)} gradients, but the optimizer "
                    f"is tracking {len(self._trainable_variables)} trainable variables."
                )
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if len(trainable_variables) != len(grads):
                raise ValueError(
                    f"Got {len(grads)} gradients for {len(trainable_variables)} variables; they must match one to one."
                )
            if not self.built:
                self.build(trainable_variables)
                self.built = True
            self._check_variables_are_known(trainable_variables)

        if not self._prepared:
            self.prepare_step()
        self._prepared = False
        with no_grad():
            grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
            grads = [self._as_gradient(g, v) for g, v in zip(grads, trainable_variables)]
            if self.loss_scale_factor is not None:
                grads = [g / self.loss_scale_factor for g in grads]
            self._backend_apply_gradients(grads, trainable_variables)
            for variable in trainable_variables:
                constraint = getattr(variable, "constraint", None)
                if constraint is not None:
                    variable.assign(constraint(variable))
            self._iterations.assign_add(1)

    @staticmethod
    def _as_gradient(g, variable):
        if isinstance(g, Tensor):
            if g.dtype != variable.dtype:
                return ops.cast(g, variable.dtype)
            return g
        return _core.convert_to_tensor(g, variable.dtype)

    def _filter_empty_gradients(self, grads, variables):
        kept_g, kept_v, missing = [], [], []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(getattr(v, "path", getattr(v, "name", "?")))
            else:
                kept_g.append(g)
                kept_v.append(v)
        if not kept_g:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                "`model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
        return kept_g, kept_v

    def _backend_apply_gradients(self, grads, trainable_variables):
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            acc_grads = [self._accumulated_gradients[self._get_variable_index(v)] for v in trainable_variables]
            if (int(self._iterations.item()) + 1) % steps == 0:
                grads = [(g + acc) / steps for g, acc in zip(grads, acc_grads)]
                grads = self._clip_gradients(grads)
                self._apply_weight_decay(trainable_variables)
                self._backend_update_step(grads, trainable_variables, self._lr_tensor())
                for acc in self._accumulated_gradients:
                    acc.assign(ops.zeros_like(acc))
            else:
                for g, acc in zip(grads, acc_grads):
                    acc.assign(g + acc)
        else:
            grads = self._clip_gradients(grads)
            self._apply_weight_decay(trainable_variables)
            self._backend_update_step(grads, trainable_variables, self._lr_tensor())

        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency and (self._step_count() + 1) % self.ema_overwrite_frequency == 0:
                self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        for grad, var in zip(grads, trainable_variables):
            self.update_step(grad, var, learning_rate)

    # ---------------------------------------------------------------- clipping, weight decay, EMA
    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            c = self.clipvalue
            return [ops.clip(g, -c, c) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Variables (or variables whose name contains one of ``var_names``) that skip weight decay.
        Call before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_from_weight_decay = {id(v) for v in var_list} if var_list else set()
        self._exclude_from_weight_decay_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in getattr(self, "_exclude_from_weight_decay", set()):
            return False
        pattern = getattr(self, "_exclude_from_weight_decay_pattern", None)
        if pattern is not None and re.search(pattern, str(getattr(variable, "name", ""))) is not None:
            return False
        return True

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        lr = self._lr_tensor()
        wd = float(self.weight_decay)
        for variable in variables:
            if self._use_weight_decay(variable):
                variable.assign(variable - variable * wd * ops.cast(lr, variable.dtype))

    def _update_model_variables_moving_average(self, trainable_variables):
        momentum = self.ema_momentum if self._step_count() != 0 else 0.0
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is not None:
                average.assign(average * momentum + var * (1 - momentum))

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        if len(trainable_variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) to override does not match the length "
                f"of model variables stored in the optimizer ({len(self._model_variables_moving_average)}). Please "
                "check if the optimizer was called on your model."
            )
        with no_grad():
            for var, average in zip(trainable_variables, self._model_variables_moving_average):
                if average is not None:
                    var.assign(average)

    def finalize_variable_values(self, var_list):
        """With EMA, replaces the model's variables by their moving averages (``fit`` calls this at the end)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def scale_loss(self, loss):
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # ---------------------------------------------------------------- state
    def set_weights(self, weights):
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. Please call "
                "`optimizer.build(trainable_variables)` to create the optimizer weights before calling `set_weights()`."
            )
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(getattr(weight, "shape", ())):
                raise ValueError(
                    f"Optimizer variable {variable.path} has shape {tuple(variable.shape)} not compatible with "
                    f"provided weight shape {tuple(getattr(weight, 'shape', ()))}."
                )
            variable.assign(_core.convert_to_tensor(weight, variable.dtype))

    def save_own_variables(self, store):
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        if len(store.keys()) != len(self.variables):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', because it has {len(self.variables)} "
                f"variables whereas the saved optimizer has {len(store.keys())} variables. "
            )
            if len(self.variables) == 0:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, variable in enumerate(self.variables):
            variable.assign(_core.convert_to_tensor(store[str(i)], variable.dtype))

    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            learning_rate = _schedules.serialize(lr)
        else:
            learning_rate = self._current_learning_rate()
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.name}, built={self.built}>"


def hyper_value(value):
    """A hyperparameter that Keras lets be a zero-argument callable (a traced step would freeze
    its value, so calling one makes the step run eagerly)."""
    if callable(value):
        _core.trace_taint("an optimizer hyperparameter is a callable")
        return value()
    return value


def global_norm(value_list):
    """The L2 norm of all the tensors together (a 0-d tensor)."""
    values = [v for v in value_list if v is not None]
    dtype = "float64" if any(v.dtype == "float64" for v in values) else "float32"
    squared = [ops.cast(ops.sum(ops.square(v)), dtype) for v in values]
    return ops.sqrt(ops.sum(ops.stack(squared)))


def clip_by_norm(values, clip_norm):
    """``values * clip_norm / max(||values||, clip_norm)``."""
    norm = ops.sqrt(ops.sum(ops.square(values)))
    return values * clip_norm / ops.maximum(norm, clip_norm)


def clip_by_global_norm(value_list, clip_norm):
    """Scales every tensor by ``clip_norm / max(global_norm, clip_norm)``; NaN when the norm is not finite."""
    use_norm = global_norm(value_list)
    scale = ops.minimum(1.0 / use_norm, 1.0 / clip_norm) * clip_norm + (use_norm - use_norm)
    return [None if v is None else v * (scale if scale.dtype == v.dtype else ops.cast(scale, v.dtype)) for v in value_list]
