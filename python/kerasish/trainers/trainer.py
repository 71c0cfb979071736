"""compile / fit / evaluate / predict. Batches are sliced from the input arrays (NumPy is the
input/output side); every forward, loss, gradient and update runs in the engine.

With in-memory arrays the steps are compiled: the first batch of each size runs eagerly while the
engine records its ops (a trace), and the other batches replay that plan in the engine's batch
loop, which takes the rows straight from the arrays and calls back into Python only when a
callback, the progress bar or a learning-rate schedule needs it. A step that cannot be traced
(Python read a tensor's value inside it) runs eagerly, with a one-time warning."""
from __future__ import annotations

import warnings

import numpy as np

from kerasish import _core, config, losses, optimizers
from kerasish import callbacks as callbacks_module
from kerasish import metrics as metrics_module
from kerasish._core import Tensor
from kerasish._tensor import no_grad
from kerasish._traceback import filter_traceback
from kerasish.backend.dtypes import FLOAT_TYPES, INT_TYPES
from kerasish.saving import saving_lib
from kerasish.trainers import compile_utils
from kerasish.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from kerasish.trainers.data_adapters.data_adapter_utils import (
    as_array,
    class_weight_to_sample_weights,
    is_generator_like,
    pack_x_y_sample_weight,
    take,
    to_tensor,
    train_validation_split,
    unpack_x_y_sample_weight,
)
from kerasish.trainers.data_adapters.generator_data_adapter import GeneratorDataAdapter
from kerasish.trainers.epoch_iterator import EpochIterator
from kerasish.tree import flatten, map_structure

# NumPy dtypes a compiled plan reads in place (bfloat16 has no NumPy dtype of its own)
_PLAN_DTYPES = tuple(np.dtype(d) for d in (*INT_TYPES, "float16", "float32", "float64", "bool"))


class Trainer:
    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._metrics = []
        self._metric_specs = None
        self._loss_tracker = None

    # compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        # names are checked now; "crossentropy"/"ce" is resolved from the shapes at the first batch
        for v in flatten(loss) if not isinstance(loss, dict) else loss.values():
            if v is not None:
                losses.resolve(v, (None, 2), (None, 2))
        self._loss_fns = None
        self._loss_weights = loss_weights
        self._metric_specs = metrics
        # metric objects are made at the first batch, when shapes are known; names are checked now,
        # so a typo fails at compile() rather than part-way into fit()
        specs = metrics.values() if isinstance(metrics, dict) else [metrics]
        for spec in flatten(list(specs)) + flatten(weighted_metrics or []):
            if isinstance(spec, str):
                metrics_module.resolve(spec, (1, 1), (1, 1), loss=loss)
        self._weighted_metric_specs = weighted_metrics
        self._metrics = None  # resolved at the first batch, when shapes are known
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._output_loss_trackers = []  # per-output losses, made with the losses at the first batch
        self.compiled = True
        self.run_eagerly = run_eagerly
        self._plans = {}
        self._untraceable = {}

    def get_compile_config(self):
        """compile()'s arguments as a saved model records them (Keras's get_compile_config); None before compile()."""
        if not self.compiled:
            return None
        return saving_lib.compile_config(self.optimizer, self.loss, self._loss_weights, self._metric_specs,
                                         self._weighted_metric_specs, self.run_eagerly)

    def _assert_compiled(self, method):
        if not self.compiled:
            raise ValueError(f"You must call `compile()` before using the model (before `{method}()`).")

    @property
    def metrics(self):
        out = [self._loss_tracker] if self._loss_tracker is not None else []
        out += [m for _, m, _ in (self._metrics or [])]
        return out + list(getattr(self, "_output_loss_trackers", None) or [])

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def _output_names(self):
        """Names of a functional model's outputs (the dict keys, or the output layers' names)."""
        graph = getattr(self, "_graph", None)
        if graph is None:
            return None
        if isinstance(graph.outputs, dict):
            return sorted(graph.outputs)
        return [t.name for t in graph.output_list]

    def _flat_y(self, y, n_outputs):
        """Targets (or sample weights) in output order; a dict is matched by output name."""
        if isinstance(y, dict):
            names = self._output_names()
            if names and set(y) <= set(names) and len(names) == n_outputs:
                return [y.get(n) for n in names]
            return [y[k] for k in sorted(y)]
        return flatten(y)

    def _resolve_metrics(self, y, y_pred):
        if self._metrics is not None:
            return
        ps = flatten(y_pred)
        ys = self._flat_y(y, len(ps))
        multi = self._multi_output = len(ps) > 1
        self._metrics = compile_utils.get_metrics(self._metric_specs, self._weighted_metric_specs, ys, ps,
                                                  self._output_names() if multi else None, self.loss)

    def _resolve_losses(self, y, y_pred):
        if self._loss_fns is not None or self.loss is None:
            return
        ps = flatten(y_pred)
        ys = self._flat_y(y, len(ps))
        entries = compile_utils.get_losses(self.loss, self._loss_weights, ys, ps, self._output_names() or [None] * len(ps))
        self._loss_fns = entries
        self._output_loss_trackers = ([metrics_module.Mean(name=f"{e[3]}_loss") for e in entries]
                                      if len(entries) > 1 else [])

    # the loss
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        self._resolve_losses(y, y_pred)
        total = None
        self._last_output_losses = []
        if self._loss_fns:
            ps = flatten(y_pred)
            ys = self._flat_y(y, len(ps))
            nested_sw = isinstance(sample_weight, (list, tuple, dict))
            sws = self._flat_y(sample_weight, len(ps)) if nested_sw else None
            for i, fn, weight, _ in self._loss_fns:
                li = fn(ys[i], ps[i], sample_weight=sws[i] if nested_sw else sample_weight)
                self._last_output_losses.append(li)
                if weight is not None:
                    li = li * float(weight)
                total = li if total is None else total + li
        for reg in self.losses:
            total = reg if total is None else total + reg
        if total is None:
            raise ValueError("The model has no loss to optimise: pass `loss=` to compile()")
        return total

    def _update_metrics(self, loss, y, y_pred, sample_weight, batch_n):
        with no_grad():
            self._loss_tracker.update_state(loss, sample_weight=batch_n)
            for tracker, value in zip(getattr(self, "_output_loss_trackers", None) or [],
                                      getattr(self, "_last_output_losses", [])):
                tracker.update_state(value, sample_weight=batch_n)
            ps = flatten(y_pred)
            ys = self._flat_y(y, len(ps))
            nested_sw = isinstance(sample_weight, (list, tuple, dict))
            sws = self._flat_y(sample_weight, len(ps)) if nested_sw else None
            for i, m, weighted in self._metrics or []:
                if weighted:
                    m.update_state(ys[i], ps[i], sample_weight=sws[i] if nested_sw else sample_weight)
                else:
                    m.update_state(ys[i], ps[i])

    def _logs(self):
        logs = {}
        for m in self.metrics:
            r = m.result()
            logs[m.name] = float(r.item() if isinstance(r, Tensor) else r)
        return dict(sorted(logs.items()))

    def reset_metrics(self):
        metrics = self.metrics
        if self._metrics is None:
            # not resolved yet (that happens at the first batch): metric objects given to compile
            # may hold state from an earlier fit or evaluate
            specs = [self._metric_specs, getattr(self, "_weighted_metric_specs", None)]
            metrics += [m for m in flatten(specs) if isinstance(m, metrics_module.Metric)]
        for m in metrics:
            m.reset_state()

    def _sync_trainable(self):
        trainable = self.trainable_weights
        ids = {id(v) for v in trainable}
        for w in self.weights:
            if w.dtype in FLOAT_TYPES:
                w.requires_grad = id(w) in ids
        return trainable

    def _batch_len(self, x):
        return len(flatten(x)[0]) if not isinstance(x, dict) else len(x[sorted(x)[0]])

    # the steps, with Keras 3's signatures: `data` is the batch as the data yields it (`x`, `(x, y)`
    # or `(x, y, sample_weight)`); train and test steps return the logs. An override runs as
    # written (op by op); the built-in steps run through _train_step / _test_step, which the
    # compiled path records.
    def train_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self._train_step(x, y, sample_weight)
        return self._logs()

    def test_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self._test_step(x, y, sample_weight)
        return self._logs()

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        with no_grad():
            return self(x, training=False)

    def _step_logs(self, out):
        """A step's logs: what it returned, when a dict (a user's step), else the metrics'."""
        if not isinstance(out, dict):
            return self._logs()
        # a 0-d tensor (a loss) as a float, as Keras's logs hold it
        return {k: float(v.item()) if isinstance(v, Tensor) and v.ndim == 0 else v for k, v in out.items()}

    def _train_step(self, x, y, sample_weight=None):
        trainable = self._trainable_cache
        for v in trainable:
            v.grad = None
        y_pred = self(x, training=True)
        if not self._trainable_cache_built:
            # the model was built by this very call (data from a generator): its new weights
            # took part in the forward pass and are trained from this first step on
            trainable = self._trainable_cache = self._sync_trainable()
            self._trainable_cache_built = self.built
        self._resolve_metrics(y, y_pred)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        # a loss that no trainable weight affects (a model without weights, as Keras's guides
        # train with add_loss alone) has nothing to update: Keras's step is then a no-op too
        if loss.requires_grad:
            loss.backward()
            self.optimizer.apply([v.grad for v in trainable], trainable)
        self._update_metrics(loss, y, y_pred, sample_weight, self._batch_len(x))
        return loss

    def _test_step(self, x, y, sample_weight=None):
        with no_grad():
            y_pred = self(x, training=False)
            self._resolve_metrics(y, y_pred)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._update_metrics(loss, y, y_pred, sample_weight, self._batch_len(x))
        return loss

    # compiled steps
    def _can_compile(self, data, kind):
        if not hasattr(self, "_plans"):
            self._plans, self._untraceable = {}, {}
        if (getattr(self, "run_eagerly", False) or not isinstance(data.adapter, ArrayDataAdapter) or data.steps_given
                or kind in self._untraceable):
            return False
        own = {"train": "train_step", "test": "test_step", "predict": "predict_step"}[kind]
        if getattr(type(self), own, None) is not getattr(Trainer, own, None):
            return False  # a user's own step: run as written
        arrays = data.adapter.arrays
        return bool(arrays) and all(isinstance(a, np.ndarray) and a.ndim >= 1 and a.flags.c_contiguous
                                    and a.dtype in _PLAN_DTYPES for a in arrays)

    def _trace(self, kind, inputs, step):
        """Runs `step()` (one real batch) while recording it; the plan, or None if it cannot be
        replayed (then `kind` runs eagerly from now on, after a one-time warning)."""
        _core.trace_begin(inputs)
        try:
            outputs = step()
        except BaseException:
            _core.trace_abort()
            raise
        try:
            return _core.trace_end(outputs or [])
        except ValueError as e:
            self._untraceable[kind] = str(e)
            warnings.warn(f"The {kind} step of model {self.name!r} runs eagerly, op by op from Python, because {e}. "
                          "Results are the same; only slower.", stacklevel=4)
            return None

    def _run_compiled(self, kind, data, step_fn, cbs, outputs=None):
        """One epoch of `data` (an EpochIterator) with compiled steps: the iterator's row order and
        batch sizes, each batch size's first batch run eagerly (and traced), the others replayed by
        the engine. `step_fn(x, y, sw)` is the eager step (its return value: the plan's outputs);
        `cbs` gets the batch callbacks of `kind` when it wants them. `outputs` (arrays) receive
        each batch's outputs. Returns the number of steps run."""
        order = data.epoch_order()
        arrays = data.adapter.arrays
        per_batch = cbs is not None and cbs.needs_batch_calls(kind)
        host = kind == "train" and self.optimizer.needs_host_step()
        begin = getattr(cbs, f"on_{kind}_batch_begin", None)
        end = getattr(cbs, f"on_{kind}_batch_end", None)
        step = 0
        pos = 0
        for size, count in data.segments():
            while count:
                key = (kind, size)
                plan = self._plans.get(key)
                if plan is None or kind in self._untraceable:
                    # an eager step (traced when it can be): rows straight from the arrays
                    xb, yb, swb = (None if v is None else to_tensor(v) for v in data.batch(order, pos, size))
                    if cbs is not None:
                        begin(step)
                    if host:
                        self.optimizer.prepare_step()
                    if self.built and kind not in self._untraceable:
                        flat = [t for v in (xb, yb, swb) if v is not None for t in flatten(v)]
                        self._plans[key] = self._trace(kind, flat, lambda: step_fn(xb, yb, swb))
                        outs = self._last_outputs
                    else:
                        outs = step_fn(xb, yb, swb)
                    for o, t in zip(outputs or [], outs or []):
                        o[pos:pos + size] = t.numpy()
                    if cbs is not None:
                        end(step, self._batch_logs(kind, outputs, pos, pos + size))
                    pos, step, count = pos + size, step + 1, count - 1
                    if self.stop_training and kind == "train":
                        return step
                    continue
                if per_batch:
                    begin(step)
                if host:
                    self.optimizer.prepare_step()
                first = step

                def hook(j, first=first, count=count, pos=pos, size=size):
                    s = first + j
                    end(s, self._batch_logs(kind, outputs, pos + j * size, pos + (j + 1) * size))
                    if kind == "train" and self.stop_training:
                        return True
                    if j + 1 < count:
                        if per_batch:
                            begin(s + 1)
                        if host:
                            self.optimizer.prepare_step()
                    return False

                def host_hook(j, count=count):
                    if j + 1 < count:
                        self.optimizer.prepare_step()
                    return False

                ran = plan.run_batches(arrays, order, pos, count, size, outputs,
                                       hook if per_batch else (host_hook if host else None))
                pos, step, count = pos + ran * size, step + ran, count - ran
                if self.stop_training and kind == "train":
                    return step
        return step

    def _run_quiet_epochs(self, data, n_epochs):
        """Runs `n_epochs` whole epochs in the engine (metrics reset, shuffle, every batch, metric
        results); returns each epoch's logs, or None when some part cannot be traced."""
        segments = [(self._plans.get(("train", size)), size, count) for size, count in data.segments()]
        if "train" in self._untraceable or self.optimizer.needs_host_step() or any(p is None for p, _, _ in segments):
            return None
        names = [m.name for m in self.metrics]
        try:
            _core.trace_begin([])
            self.reset_metrics()
            reset = _core.trace_end([])
            _core.trace_begin([])
            results = [m.result() for m in self.metrics]
            if not all(isinstance(r, Tensor) and r.size == 1 for r in results):
                _core.trace_abort()
                return None
            results = _core.trace_end(results)
        except ValueError:
            return None
        values = _core.run_epochs(segments, reset, results, data.adapter.arrays, data.shuffles, n_epochs)
        return [dict(sorted(zip(names, v))) for v in values]

    def _batch_logs(self, kind, outputs, lo, hi):
        if kind != "predict":
            return self._logs()
        outs = [o[lo:hi] for o in outputs or []]
        return {"outputs": outs[0] if len(outs) == 1 else outs}

    def _traced_train_step(self, x, y, sw):
        self._train_step(x, y, sw)
        self._last_outputs = []
        return []

    def _traced_test_step(self, x, y, sw):
        self._test_step(x, y, sw)
        self._last_outputs = []
        return []

    def _traced_predict_step(self, x, y, sw):
        with no_grad():
            out = self(x, training=False)
        self._last_outputs = flatten(out)
        return self._last_outputs

    # input checks, before any work
    def _check_inputs(self, x):
        expected = getattr(self, "_expected_input_shapes", lambda: None)()
        if expected is None:
            return
        graph = getattr(self, "_graph", None)
        xs = graph.order_inputs(x) if graph is not None else flatten(x) if not isinstance(x, dict) else [
            x[k] for k in sorted(x)]
        if len(xs) != len(expected):
            raise ValueError(f"Model {self.name!r} expects {len(expected)} input(s), but it received {len(xs)} input arrays")
        for i, (a, e) in enumerate(zip(xs, expected)):
            got = tuple(a.shape)
            ok = len(got) == len(e) and all(d is None or d == g for d, g in zip(e[1:], got[1:]))
            if not ok:
                exp = "(" + ", ".join("None" if d is None else str(d) for d in e) + ")"
                raise ValueError(f'Input {i} of layer "{self.name}" is incompatible with the layer: '
                                 f"expected shape={exp}, found shape={got}")

    def _check_sparse_labels(self, y):
        fn = self.loss
        if y is None or fn is None or isinstance(fn, (list, tuple, dict)) or not isinstance(y, np.ndarray):
            return
        sparse = isinstance(fn, losses.SparseCategoricalCrossentropy) or fn in (
            "sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy) or (
            fn in ("crossentropy", "ce") and y.ndim >= 1 and (y.ndim == 1 or y.shape[-1] == 1))
        if not sparse or y.size == 0:
            return
        try:
            classes = self.output_shape[-1]
        except (AttributeError, TypeError, IndexError):
            return
        if classes is None or isinstance(classes, (list, tuple)):
            return
        lo, hi = y.min(), y.max()
        if lo < 0 or hi >= classes:
            bad = lo if lo < 0 else hi
            raise ValueError(f"Received a label value of {bad} which is outside the valid range of [0, {classes - 1}] "
                             f"(the model has {classes} outputs). Label values must be in that range for "
                             f"sparse categorical crossentropy.")

    def _make_data(self, x, y, sample_weight, batch_size, shuffle, steps, class_weight=None, one_batch=False):
        cap = None if one_batch else config.max_steps_per_epoch()  # *_on_batch take their one batch
        if cap and (not steps or cap < steps):
            warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
            steps = cap
        if is_generator_like(x):
            if y is not None:
                raise ValueError("`y` must not be given when `x` is a generator or dataset (it yields (x, y))")
            return EpochIterator(GeneratorDataAdapter(x, steps), steps=steps)
        x, y, sample_weight = as_array(x), as_array(y), as_array(sample_weight)
        if x is None:
            raise ValueError("No input data: pass `x`")
        if class_weight is not None and y is not None:
            if sample_weight is not None:
                raise ValueError("Give either `class_weight` or `sample_weight`, not both")
            sample_weight = class_weight_to_sample_weights(y, class_weight)
        self._check_inputs(x)
        return EpochIterator(ArrayDataAdapter(x, y, sample_weight), batch_size, shuffle, steps)

    def _prepare(self, data):
        """Builds the model on the first row of its array data if needed (subclassed / unbuilt Sequential)."""
        x = data.adapter.x if isinstance(data.adapter, ArrayDataAdapter) else None
        if not self.built and isinstance(x, np.ndarray):
            with no_grad():
                self(_core.tensor(x[:1]))

    # fit
    @filter_traceback
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1):
        self._assert_compiled("fit")
        if config.max_epochs() and config.max_epochs() < epochs:
            warnings.warn(f"Limiting epochs to {config.max_epochs()}", stacklevel=2)
            epochs = config.max_epochs()
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive int, got {batch_size}")
        verbose = 1 if verbose == "auto" else int(verbose)
        if validation_split and validation_data is None:
            if is_generator_like(x):
                raise ValueError("`validation_split` is only supported for NumPy arrays and tensors")
            (x, y, sample_weight), validation_data = train_validation_split(x, y, sample_weight, validation_split)
        data = self._make_data(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, class_weight)
        self._prepare(data)
        if isinstance(data.adapter, ArrayDataAdapter):
            self._check_sparse_labels(data.adapter.y)
        val = None
        if validation_data is not None:
            vx, vy, vsw = (unpack_x_y_sample_weight(validation_data) if isinstance(validation_data, (list, tuple))
                           else (validation_data, None, None))
            val = self._make_data(vx, vy, vsw, validation_batch_size or batch_size, False, validation_steps)
        cbs = callbacks_module.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                         verbose=verbose, epochs=epochs, steps=data.steps or None)
        self.stop_training = False
        self._trainable_cache = self._sync_trainable()
        self._trainable_cache_built = self.built
        cbs.on_train_begin()
        initial_epoch = max(initial_epoch, getattr(self, "_initial_epoch", 0) or 0)
        logs = {}
        self._plans = {}  # traced afresh by every fit: the layers may have changed since
        compiled = self._can_compile(data, "train")
        for epoch in range(initial_epoch, epochs):
            if compiled and epoch > initial_epoch and val is None and all(
                    isinstance(cb, callbacks_module.History) for cb in cbs.callbacks):
                # nothing needs Python between epochs: the engine runs the rest of them
                epoch_logs = self._run_quiet_epochs(data, epochs - epoch)
                if epoch_logs is not None:
                    for e, logs in enumerate(epoch_logs, start=epoch):
                        cbs.on_epoch_begin(e)
                        cbs.on_epoch_end(e, logs)
                    break
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            logs = None
            if compiled and "train" not in self._untraceable:
                self._run_compiled("train", data, self._traced_train_step, cbs)
            else:
                for step, batch in data.enumerate_epoch():
                    cbs.on_train_batch_begin(step)
                    logs = self._step_logs(self.train_step(_packed(batch)))
                    cbs.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
            # the epoch's logs: the last step's (a user's step returns its own), as Keras's
            logs = self._logs() if logs is None else dict(logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._run_evaluate(val, callbacks=cbs)  # test hooks run, as in Keras
                logs.update({"val_" + k: v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        if hasattr(self.optimizer, "finalize_variable_values"):
            self.optimizer.finalize_variable_values(self._trainable_cache)
        cbs.on_train_end(logs)
        return self.history

    def _run_evaluate(self, data, callbacks=None):
        self.reset_metrics()
        if callbacks is not None:
            callbacks.on_test_begin()
        if self._can_compile(data, "test"):
            self._run_compiled("test", data, self._traced_test_step, callbacks)
            logs = self._logs()
            if callbacks is not None:
                callbacks.on_test_end(logs)
            return logs
        logs = None
        for step, batch in data.enumerate_epoch():
            if callbacks is not None:
                callbacks.on_test_batch_begin(step)
            logs = self._step_logs(self.test_step(_packed(batch)))
            if callbacks is not None:
                callbacks.on_test_batch_end(step, logs)
        logs = self._logs() if logs is None else logs
        if callbacks is not None:
            callbacks.on_test_end(logs)
        return logs

    def _result(self, logs, return_dict):
        if return_dict:
            return logs
        # Keras's order: loss, the compile metrics (only a single output's: prefixed names are not
        # found there), the per-output losses, then the other keys sorted
        multi = getattr(self, "_multi_output", False)
        names = ([self._loss_tracker.name] + [m.name for _, m, _ in (self._metrics or []) if not multi]
                 + [m.name for m in getattr(self, "_output_loss_trackers", None) or []])
        values = [logs[n] for n in names if n in logs] + [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    @filter_traceback
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        self._assert_compiled("evaluate")
        verbose = 1 if verbose == "auto" else int(verbose)
        data = self._make_data(x, y, sample_weight, 32 if batch_size is None else int(batch_size), False, steps)
        self._prepare(data)
        cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                         epochs=1, steps=data.steps or None)
        self._forget_plans("test")
        logs = self._run_evaluate(data, cbs)
        return self._result(logs, return_dict)

    @filter_traceback
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        verbose = 1 if verbose == "auto" else int(verbose)
        data = self._make_data(x, None, None, 32 if batch_size is None else int(batch_size), False, steps)
        self._prepare(data)
        cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                         epochs=1, steps=data.steps or None)
        cbs.on_predict_begin()
        self._forget_plans("predict")
        if self._can_compile(data, "predict") and data.adapter.num_samples:
            out = self._predict_compiled(data, cbs)
            cbs.on_predict_end()
            return out
        outs = []
        for step, (xb, _, _) in data.enumerate_epoch():
            cbs.on_predict_batch_begin(step)
            y = self.predict_step(_packed((xb, None, None)))
            outs.append(map_structure(lambda t: t.numpy(), y))
            cbs.on_predict_batch_end(step, {"outputs": outs[-1]})
        cbs.on_predict_end()
        if not outs:
            return np.zeros((0,))
        first = outs[0]
        if isinstance(first, (list, tuple)):
            return [np.concatenate([o[i] for o in outs]) for i in range(len(first))]
        if isinstance(first, dict):
            return {k: np.concatenate([o[k] for o in outs]) for k in first}
        return np.concatenate(outs)

    def _forget_plans(self, kind):
        """Plans are traced afresh by each fit/evaluate/predict call (layers may have changed)."""
        plans = getattr(self, "_plans", None) or {}
        for key in [k for k in plans if k[0] == kind]:
            del plans[key]

    def _predict_compiled(self, data, cbs):
        """predict with the forward pass traced once per batch size; outputs go straight into
        arrays allocated here (the model's output structure)."""
        with no_grad():
            # the output structure from the first batch (not one sample: a layer may rely on the
            # Input's static batch size)
            spec = self(to_tensor(take(data.adapter.x, slice(0, min(data.batch_size, data.adapter.num_samples)))),
                        training=False)
        leaves = flatten(spec)
        outputs = [np.empty((data.adapter.num_samples,) + tuple(t.shape[1:]), dtype=t.dtype) for t in leaves]
        self._run_compiled("predict", data, self._traced_predict_step, cbs, outputs=outputs)
        it = iter(outputs)
        return map_structure(lambda _: next(it), spec)

    @filter_traceback
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compiled("train_on_batch")
        data = self._make_data(x, y, sample_weight, 1 << 62, False, None, class_weight, one_batch=True)
        self._prepare(data)
        self._trainable_cache = self._sync_trainable()
        self._trainable_cache_built = self.built
        self.reset_metrics()
        logs = None
        for _, batch in data.enumerate_epoch():
            logs = self._step_logs(self.train_step(_packed(batch)))
        return self._result(self._logs() if logs is None else logs, return_dict)

    @filter_traceback
    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        data = self._make_data(x, y, sample_weight, 1 << 62, False, None, one_batch=True)
        self._prepare(data)
        return self._result(self._run_evaluate(data), return_dict)

    # saving (kerasish/saving): a .keras zip of config + safetensors weights; nothing in it is code
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        return saving_lib.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        return saving_lib.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        return saving_lib.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    @filter_traceback
    def predict_on_batch(self, x):
        y = self.predict_step(_packed((as_array(x), None, None)))
        return map_structure(lambda t: t.numpy(), y)


def _packed(batch):
    """An (x, y, sample_weight) batch of arrays as the `data` a step takes: tensors, packed as
    Keras packs them (`x` alone, `(x, y)` or `(x, y, sample_weight)`)."""
    return pack_x_y_sample_weight(*(None if v is None else to_tensor(v) for v in batch))
