"""What compile()'s arguments make at the first batch, when the outputs' shapes are known, as
keras/src/trainers/compile_utils.py: the metrics (CompileMetrics) and the losses (CompileLoss)."""
from kerasish import losses, metrics
from kerasish.tree import flatten


def get_metrics(metric_specs, weighted_metric_specs, ys, ps, names, loss):
    """Keras 3's CompileMetrics: `metrics` ignore sample weights, `weighted_metrics` use them;
    with several outputs a list gives one entry (a metric or a list) per output, a dict is keyed
    by output name, and each metric is logged as '<output>_<metric>'.
    Returns ``[(output index, metric, weighted)]``, each metric named as it is logged; `names`:
    the outputs' names when there are several outputs (else None)."""
    multi = len(ps) > 1
    entries = []  # (output index, metric, weighted, output name)
    for specs, weighted in ((metric_specs, False), (weighted_metric_specs, True)):
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
                m = metrics.resolve(spec, tuple(ys[i].shape), tuple(ps[i].shape), loss=loss)
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
    return resolved


def get_losses(loss, weights, ys, ps, names):
    """Keras 3's CompileLoss: one loss for every output, or a list / a dict by output name, with
    loss_weights to match; with more than one loss each is also logged as '<output>_loss'.
    Returns ``[(output index, loss, weight, log name)]``; `names`: the outputs' names (None each when unnamed)."""
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
        fn = losses.resolve(v, tuple(ys[i].shape), tuple(ps[i].shape))
        entries.append((i, fn, w[i], names[i] or fn.name))
    return entries
