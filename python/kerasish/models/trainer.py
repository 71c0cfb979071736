"""compile / fit / evaluate / predict. Batches are sliced from the input arrays (NumPy is the
input/output side); every forward, loss, gradient and update runs in the engine.

With in-memory arrays the steps are compiled: the first batch of each size runs eagerly while the
engine records its ops (a trace), and the other batches replay that plan in the engine's batch
loop, which takes the rows straight from the arrays and calls back into Python only when a
callback, the progress bar or a learning-rate schedule needs it. A step that cannot be traced
(Python read a tensor's value inside it) runs eagerly, with a one-time warning."""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from kerasish import _core
from kerasish._core import Tensor
from kerasish._tensor import no_grad
from kerasish.tree import flatten, map_structure

_PLAN_DTYPES = tuple(np.dtype(d) for d in ("float32", "float64", "int64", "uint8", "bool"))


def _as_array(x):
    """Input data as NumPy (or a structure of NumPy arrays); floats become float32 once, up front."""
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _as_array(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, (np.ndarray, Tensor)) for v in x):
        return [_as_array(v) for v in x]
    a = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind == "f" and a.dtype != np.float32:
        a = a.astype(np.float32)
    elif a.dtype.kind in "iu" and a.dtype not in (np.int64, np.uint8):
        a = a.astype(np.int64)
    return a


def _num_samples(x):
    arrays = flatten(x) if not isinstance(x, dict) else [x[k] for k in sorted(x)]
    sizes = {len(a) for a in arrays}
    return arrays, sizes


def _take(x, idx):
    if isinstance(x, dict):
        return {k: _take(v, idx) for k, v in x.items()}
    if isinstance(x, list):
        return [_take(v, idx) for v in x]
    return x[idx] if isinstance(idx, slice) else np.take(x, idx, axis=0)


def _to_tensor(x):
    return map_structure(lambda a: a if isinstance(a, Tensor) else _core.tensor(a), x)


def _is_generator_like(x):
    return x is not None and not isinstance(x, (np.ndarray, Tensor, list, tuple, dict)) and (
        hasattr(x, "__next__") or (hasattr(x, "__getitem__") and hasattr(x, "__len__")) or hasattr(x, "__iter__"))


def _unpack(batch):
    if isinstance(batch, (list, tuple)):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch[0], batch[1], batch[2]
    return batch, None, None


class _ArrayData:
    """Batches from in-memory arrays."""

    def __init__(self, x, y, sample_weight, batch_size, shuffle, steps=None):
        self.x, self.y, self.sw = x, y, sample_weight
        arrays, sizes = _num_samples([v for v in (x, y, sample_weight) if v is not None])
        if len(sizes) > 1:
            parts = []
            for name, v in (("x", x), ("y", y), ("sample_weight", sample_weight)):
                if v is not None:
                    parts.append(f"'{name}' sizes: "
                                 + ", ".join(str(len(a)) for a in (flatten(v) if not isinstance(v, dict) else v.values())))
            raise ValueError("Data cardinality is ambiguous. Make sure all arrays contain the same number of "
                             "samples. " + " ".join(parts))
        self.n = sizes.pop() if sizes else 0
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.num_batches = math.ceil(self.n / batch_size) if self.n else 0
        self._steps_given = steps is not None
        self.steps = steps if steps is not None else self.num_batches
        self._iterator = None
        self._seen = 0

    def __len__(self):
        return self.steps

    def _one_pass(self):
        order = _core.permutation(self.n) if self.shuffle and self.shuffle != "batch" else None
        for step in range(self.num_batches):
            lo = step * self.batch_size
            hi = min(lo + self.batch_size, self.n)
            idx = slice(lo, hi) if order is None else order[lo:hi]
            yield (_take(self.x, idx), None if self.y is None else _take(self.y, idx),
                   None if self.sw is None else _take(self.sw, idx))

    def batches(self):
        if not self._steps_given:
            yield from self._one_pass()
            return
        # Keras 3's EpochIterator: with `steps` the pass over the data carries on into the next
        # epoch, and an epoch ends early (with a warning) when the data runs out
        if self._iterator is None:
            self._iterator, self._seen = self._one_pass(), 0
        for _ in range(self.steps):
            if self._seen >= self.num_batches:
                warnings.warn(
                    "Your input ran out of data; interrupting training. Make sure that your dataset or "
                    "generator can generate at least `steps_per_epoch * epochs` batches.", stacklevel=4)
                break
            self._seen += 1
            yield next(self._iterator)
        if self._seen >= self.num_batches:
            self._iterator, self._seen = None, 0


class _GeneratorData:
    """Batches from a Python generator or a PyDataset-like object (__getitem__ + __len__)."""

    def __init__(self, source, steps=None):
        self.source = source
        self.steps = steps
        if steps is None and hasattr(source, "__len__"):
            self.steps = len(source)

    def __len__(self):
        return self.steps

    def batches(self):
        src = self.source
        if hasattr(src, "__getitem__") and hasattr(src, "__len__") and not isinstance(src, (list, tuple)):
            it = (src[i] for i in range(len(src)))
        else:
            it = iter(src)
        if self.steps is not None:
            # islice stops before drawing a batch past `steps`: a generator shared between epochs
            # must not lose one at each epoch's end
            it = itertools.islice(it, self.steps)
        for batch in it:
            x, y, sw = _unpack(batch)
            yield _as_array(x), _as_array(y), _as_array(sw)
        if hasattr(src, "on_epoch_end"):
            src.on_epoch_end()


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
        from kerasish import losses as losses_mod
        from kerasish import metrics as metrics_mod
        from kerasish import optimizers

        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        # names are checked now; "crossentropy"/"ce" is resolved from the shapes at the first batch
        for v in flatten(loss) if not isinstance(loss, dict) else loss.values():
            if v is not None:
                losses_mod.resolve(v, (None, 2), (None, 2))
        self._loss_fns = None
        self._loss_weights = loss_weights
        self._metric_specs = metrics
        # metric objects are made at the first batch, when shapes are known; names are checked now,
        # so a typo fails at compile() rather than part-way into fit()
        specs = metrics.values() if isinstance(metrics, dict) else [metrics]
        for spec in flatten(list(specs)) + flatten(weighted_metrics or []):
            if isinstance(spec, str):
                metrics_mod.resolve(spec, (1, 1), (1, 1), loss=loss)
        self._weighted_metric_specs = weighted_metrics
        self._metrics = None  # resolved at the first batch, when shapes are known
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self._output_loss_trackers = []  # per-output losses, made with the losses at the first batch
        self.compiled = True
        self.run_eagerly = run_eagerly
        self._plans = {}
        self._untraceable = {}

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
        """Keras 3's CompileMetrics: `metrics` ignore sample weights, `weighted_metrics` use them;
        with several outputs a list gives one entry (a metric or a list) per output, a dict is keyed
        by output name, and each metric is logged as '<output>_<metric>'."""
        from kerasish import metrics as metrics_mod

        if self._metrics is not None:
            return
        ps = flatten(y_pred)
        ys = self._flat_y(y, len(ps))
        multi = self._multi_output = len(ps) > 1
        names = self._output_names() if multi else None
        entries = []  # (output index, metric, weighted, output name)
        for specs, weighted in ((self._metric_specs, False), (self._weighted_metric_specs, True)):
            arg = "weighted_metrics" if weighted else "metrics"
            if not specs:
                continue
            per_output = []
            if not multi:
                per_output = [(0, flatten(specs) if isinstance(specs, dict) else
                               (list(specs) if isinstance(specs, (list, tuple)) else [specs]))]
            elif isinstance(specs, dict):
                if names is None:
                    raise ValueError(f"Argument `{arg}` can only be a dict when the model's outputs have names")
                unknown = [k for k in specs if k not in names]
                if unknown:
                    raise ValueError(f"In the dict argument `{arg}`, key {unknown[0]!r} does not correspond to any "
                                     f"model output. Received:\n{arg}={specs}")
                for i, n in enumerate(names):
                    if n in specs:
                        v = specs[n]
                        per_output.append((i, list(v) if isinstance(v, (list, tuple)) else [v]))
            else:
                specs = list(specs) if isinstance(specs, (list, tuple)) else [specs]
                if len(specs) != len(ps):
                    raise ValueError(
                        f"For a model with multiple outputs, when providing the `{arg}` argument as a list, it "
                        f"should have as many entries as the model has outputs. Received:\n{arg}={specs}\nof "
                        f"length {len(specs)} whereas the model has {len(ps)} outputs.")
                for i, v in enumerate(specs):
                    per_output.append((i, list(v) if isinstance(v, (list, tuple)) else [v]))
            for i, group in per_output:
                for spec in group:
                    if spec is None:
                        continue
                    m = metrics_mod.resolve(spec, tuple(ys[i].shape), tuple(ps[i].shape), loss=self.loss)
                    entries.append((i, m, weighted, names[i] if names else None))
        # log names as Keras makes them: '<output>_' prefix; repeats get '_1', '_2' (or 'weighted_')
        resolved, counts = [], {}
        for i, m, weighted, out_name in entries:
            base = f"{out_name}_{m.name}" if out_name else m.name
            name = base
            if base in counts:
                if weighted:
                    name = f"{out_name}_weighted_{m.name}" if out_name else f"weighted_{m.name}"
                    if name in counts:
                        counts[name] += 1
                        name = f"{name}_{counts[name] - 1}"
                else:
                    counts[base] += 1
                    name = f"{base}_{counts[base] - 1}"
            counts.setdefault(name, 1)
            m.name = name
            resolved.append((i, m, weighted))
        self._metrics = resolved

    def _resolve_losses(self, y, y_pred):
        """Keras 3's CompileLoss: one loss for every output, or a list / a dict by output name, with
        loss_weights to match; with more than one loss each is also logged as '<output>_loss'."""
        from kerasish import losses as losses_mod
        from kerasish import metrics as metrics_mod

        if self._loss_fns is not None or self.loss is None:
            return
        loss, weights = self.loss, self._loss_weights
        ps = flatten(y_pred)
        ys = self._flat_y(y, len(ps))
        names = self._output_names() or [None] * len(ps)
        n = len(ps)
        if isinstance(loss, dict):
            unknown = [k for k in loss if k not in names]
            if unknown:
                raise ValueError(f"Expected keys {names} in loss dict, but found loss.keys()={list(loss)}")
            per = [loss.get(name) for name in names]
        elif isinstance(loss, (list, tuple)):
            if len(loss) != n:
                raise ValueError(f"The model has {n} output(s) but `loss` is a list of {len(loss)} losses")
            per = list(loss)
        else:
            per = [loss] * n
        if weights is None:
            w = [None] * n
        elif isinstance(weights, dict):
            w = [weights.get(name, 1.0) for name in names]
        elif isinstance(weights, (list, tuple)):
            if len(weights) != len(per):
                raise ValueError(f"`loss_weights` must match the number of losses, got {len(per)} losses "
                                 f"and {len(weights)} weights.")
            w = list(weights)
        else:
            w = [float(weights)] * n
        entries = []
        for i, v in enumerate(per):
            if v is None:
                continue
            fn = losses_mod.resolve(v, tuple(ys[i].shape), tuple(ps[i].shape))
            entries.append((i, fn, w[i], names[i] or fn.name))
        self._loss_fns = entries
        self._output_loss_trackers = ([metrics_mod.Mean(name=f"{e[3]}_loss") for e in entries]
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
            from kerasish.metrics import Metric
            specs = [self._metric_specs, getattr(self, "_weighted_metric_specs", None)]
            metrics += [m for m in flatten(specs) if isinstance(m, Metric)]
        for m in metrics:
            m.reset_state()

    def _sync_trainable(self):
        trainable = self.trainable_weights
        ids = {id(v) for v in trainable}
        for w in self.weights:
            if w.dtype in ("float32", "float64"):
                w.requires_grad = id(w) in ids
        return trainable

    def _batch_len(self, x):
        return len(flatten(x)[0]) if not isinstance(x, dict) else len(x[sorted(x)[0]])

    def train_step(self, x, y, sample_weight=None):
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
        loss.backward()
        grads = [v.grad for v in trainable]
        self.optimizer.apply(grads, trainable)
        self._update_metrics(loss, y, y_pred, sample_weight, self._batch_len(x))
        return loss

    def test_step(self, x, y, sample_weight=None):
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
        if (getattr(self, "run_eagerly", False) or not isinstance(data, _ArrayData) or data._steps_given
                or kind in self._untraceable):
            return False
        own = {"train": "train_step", "test": "test_step", "predict": "predict_step"}[kind]
        if getattr(type(self), own, None) is not getattr(Trainer, own, None):
            return False  # a user's own step: run as written
        arrays = [a for v in (data.x, data.y, data.sw) if v is not None for a in flatten(v)]
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

    def _run_compiled(self, kind, data, order, step_fn, cbs, first_step=0, outputs=None):
        """One pass over `data` with compiled steps. `step_fn(x, y, sw)` is the eager step (its
        return value: the plan's outputs); `cbs` gets the batch callbacks of `kind` when it wants
        them. `outputs` (arrays) receive each batch's outputs. Returns the number of steps run."""
        n, bs = data.n, data.batch_size
        arrays = [a for v in (data.x, data.y, data.sw) if v is not None for a in flatten(v)]
        per_batch = cbs is not None and cbs._needs_batch_calls(kind)
        host = kind == "train" and self.optimizer._needs_host_step()
        begin = getattr(cbs, f"on_{kind}_batch_begin", None)
        end = getattr(cbs, f"on_{kind}_batch_end", None)
        full, rem = divmod(n, bs)
        step = first_step
        pos = 0
        for size, count in ((bs, full), (rem, 1 if rem else 0)):
            while count:
                key = (kind, size)
                plan = self._plans.get(key)
                if plan is None or kind in self._untraceable:
                    # an eager step (traced when it can be): rows straight from the arrays
                    idx = slice(pos, pos + size) if order is None else order[pos:pos + size]
                    xb, yb, swb = (None if v is None else _to_tensor(_take(v, idx)) for v in (data.x, data.y, data.sw))
                    if cbs is not None:
                        begin(step)
                    if host:
                        self.optimizer._prepare_step()
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
                    self.optimizer._prepare_step()
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
                            self.optimizer._prepare_step()
                    return False

                def host_hook(j, count=count):
                    if j + 1 < count:
                        self.optimizer._prepare_step()
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
        full, rem = divmod(data.n, data.batch_size)
        segments = [(self._plans.get(("train", size)), size, count)
                    for size, count in ((data.batch_size, full), (rem, 1 if rem else 0)) if count]
        if "train" in self._untraceable or self.optimizer._needs_host_step() or any(p is None for p, _, _ in segments):
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
        arrays = [a for v in (data.x, data.y, data.sw) if v is not None for a in flatten(v)]
        shuffle = bool(data.shuffle) and data.shuffle != "batch"
        values = _core.run_epochs(segments, reset, results, arrays, shuffle, n_epochs)
        return [dict(sorted(zip(names, v))) for v in values]

    def _batch_logs(self, kind, outputs, lo, hi):
        if kind != "predict":
            return self._logs()
        outs = [o[lo:hi] for o in outputs or []]
        return {"outputs": outs[0] if len(outs) == 1 else outs}

    def _traced_train_step(self, x, y, sw):
        self.train_step(x, y, sw)
        self._last_outputs = []
        return []

    def _traced_test_step(self, x, y, sw):
        self.test_step(x, y, sw)
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
        xs = flatten(x) if not isinstance(x, dict) else [x[k] for k in sorted(x)]
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
        from kerasish import losses as losses_mod

        fn = self.loss
        if y is None or fn is None or isinstance(fn, (list, tuple, dict)) or not isinstance(y, np.ndarray):
            return
        sparse = isinstance(fn, losses_mod.SparseCategoricalCrossentropy) or fn in (
            "sparse_categorical_crossentropy", losses_mod.sparse_categorical_crossentropy) or (
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

    def _make_data(self, x, y, sample_weight, batch_size, shuffle, steps, class_weight=None):
        if _is_generator_like(x):
            if y is not None:
                raise ValueError("`y` must not be given when `x` is a generator or dataset (it yields (x, y))")
            return _GeneratorData(x, steps)
        x, y, sample_weight = _as_array(x), _as_array(y), _as_array(sample_weight)
        if x is None:
            raise ValueError("No input data: pass `x`")
        if class_weight is not None and y is not None:
            if sample_weight is not None:
                raise ValueError("Give either `class_weight` or `sample_weight`, not both")
            labels = y if y.ndim == 1 or y.shape[-1] == 1 else np.argmax(y, axis=-1)
            labels = np.round(labels.reshape(-1)).astype(np.int64)  # Keras rounds (binary float labels)
            table = np.ones(int(max(labels.max(initial=0), max(class_weight)) + 1), np.float32)
            for k, v in class_weight.items():
                table[int(k)] = v
            sample_weight = table[labels]
        self._check_inputs(x)
        return _ArrayData(x, y, sample_weight, batch_size, shuffle, steps)

    def _prepare(self, x):
        """Builds the model on its first data if needed (subclassed / unbuilt Sequential)."""
        if not self.built and isinstance(x, np.ndarray):
            with no_grad():
                self(_core.tensor(x[:1]))

    # fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1):
        from kerasish import callbacks as callbacks_mod

        self._assert_compiled("fit")
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive int, got {batch_size}")
        verbose = 1 if verbose == "auto" else int(verbose)
        if validation_split and validation_data is None:
            if _is_generator_like(x):
                raise ValueError("`validation_split` is only supported for NumPy arrays and tensors")
            xa, ya, swa = _as_array(x), _as_array(y), _as_array(sample_weight)
            n = _num_samples([v for v in (xa, ya) if v is not None])[1]
            n = max(n) if n else 0
            split = int(n * (1.0 - validation_split))
            x, validation_x = _take(xa, slice(0, split)), _take(xa, slice(split, n))
            y, validation_y = (_take(ya, slice(0, split)), _take(ya, slice(split, n))) if ya is not None else (None, None)
            if swa is not None:
                sample_weight = _take(swa, slice(0, split))
            validation_data = (validation_x, validation_y)
        data = self._make_data(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, class_weight)
        if isinstance(data, _ArrayData):
            self._prepare(data.x if isinstance(data.x, np.ndarray) else None)
            self._check_sparse_labels(data.y)
        val = None
        if validation_data is not None:
            vx, vy, vsw = (_unpack(validation_data) if isinstance(validation_data, (list, tuple))
                           else (validation_data, None, None))
            val = self._make_data(vx, vy, vsw, validation_batch_size or batch_size, False, validation_steps)
        cbs = callbacks_mod.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
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
                    isinstance(cb, callbacks_mod.History) for cb in cbs.callbacks):
                # nothing needs Python between epochs: the engine runs the rest of them
                epoch_logs = self._run_quiet_epochs(data, epochs - epoch)
                if epoch_logs is not None:
                    for e, logs in enumerate(epoch_logs, start=epoch):
                        cbs.on_epoch_begin(e)
                        cbs.on_epoch_end(e, logs)
                    break
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            if compiled and "train" not in self._untraceable:
                order = _core.permutation(data.n) if data.shuffle and data.shuffle != "batch" else None
                self._run_compiled("train", data, order, self._traced_train_step, cbs)
            else:
                for step, (xb, yb, swb) in enumerate(data.batches()):
                    cbs.on_train_batch_begin(step)
                    self.train_step(_to_tensor(xb), None if yb is None else _to_tensor(yb),
                                    None if swb is None else _to_tensor(swb))
                    logs = self._logs()
                    cbs.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
            logs = self._logs()
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._run_evaluate(val, callbacks=None)
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
            self._run_compiled("test", data, None, self._traced_test_step, callbacks)
            logs = self._logs()
            if callbacks is not None:
                callbacks.on_test_end(logs)
            return logs
        for step, (xb, yb, swb) in enumerate(data.batches()):
            if callbacks is not None:
                callbacks.on_test_batch_begin(step)
            self.test_step(_to_tensor(xb), None if yb is None else _to_tensor(yb),
                           None if swb is None else _to_tensor(swb))
            if callbacks is not None:
                callbacks.on_test_batch_end(step, self._logs())
        logs = self._logs()
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

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        from kerasish import callbacks as callbacks_mod

        self._assert_compiled("evaluate")
        verbose = 1 if verbose == "auto" else int(verbose)
        data = self._make_data(x, y, sample_weight, 32 if batch_size is None else int(batch_size), False, steps)
        if isinstance(data, _ArrayData):
            self._prepare(data.x if isinstance(data.x, np.ndarray) else None)
        cbs = callbacks_mod.CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                         epochs=1, steps=data.steps or None)
        self._forget_plans("test")
        logs = self._run_evaluate(data, cbs)
        return self._result(logs, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        from kerasish import callbacks as callbacks_mod

        verbose = 1 if verbose == "auto" else int(verbose)
        data = self._make_data(x, None, None, 32 if batch_size is None else int(batch_size), False, steps)
        if isinstance(data, _ArrayData):
            self._prepare(data.x if isinstance(data.x, np.ndarray) else None)
        cbs = callbacks_mod.CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                         epochs=1, steps=data.steps or None)
        cbs.on_predict_begin()
        self._forget_plans("predict")
        if self._can_compile(data, "predict") and data.n:
            out = self._predict_compiled(data, cbs)
            cbs.on_predict_end()
            return out
        outs = []
        for step, (xb, _, _) in enumerate(data.batches()):
            cbs.on_predict_batch_begin(step)
            with no_grad():
                y = self(_to_tensor(xb), training=False)
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
            spec = self(_to_tensor(_take(data.x, slice(0, 1))), training=False)
        leaves = flatten(spec)
        outputs = [np.empty((data.n,) + tuple(t.shape[1:]), dtype=t.dtype) for t in leaves]
        self._run_compiled("predict", data, None, self._traced_predict_step, cbs, outputs=outputs)
        it = iter(outputs)
        return map_structure(lambda _: next(it), spec)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compiled("train_on_batch")
        data = self._make_data(x, y, sample_weight, 1 << 62, False, None, class_weight)
        self._prepare(data.x if isinstance(data, _ArrayData) and isinstance(data.x, np.ndarray) else None)
        self._trainable_cache = self._sync_trainable()
        self._trainable_cache_built = self.built
        self.reset_metrics()
        for xb, yb, swb in data.batches():
            self.train_step(_to_tensor(xb), None if yb is None else _to_tensor(yb),
                            None if swb is None else _to_tensor(swb))
        return self._result(self._logs(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        data = self._make_data(x, y, sample_weight, 1 << 62, False, None)
        self._prepare(data.x if isinstance(data, _ArrayData) and isinstance(data.x, np.ndarray) else None)
        return self._result(self._run_evaluate(data), return_dict)

    # saving (kerasish/saving): a .keras zip of config + safetensors weights; nothing in it is code
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        from kerasish import saving

        return saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        from kerasish import saving

        return saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        from kerasish import saving

        return saving.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def predict_on_batch(self, x):
        x = _as_array(x)
        with no_grad():
            y = self(_to_tensor(x), training=False)
        return map_structure(lambda t: t.numpy(), y)
