"""model.summary(): Keras's box-drawn table, laid out as Keras's rich table lays it out.

Column widths follow Keras 3: positions [0.45, 0.80, 1.0] of the line (88 wide, or the terminal
width - 4 if narrower) for sequential-like models; [0.3, 0.56, 0.74, 1.0] of 108 with a
"Connected to" column for other functional models. Each cell has one space of padding each side
and the fixed widths are shrunk evenly to fit the line, as rich does. Long cells wrap at spaces.
"""
import math
import shutil

from kerasish.ops.operation import KerasTensor
from kerasish.tree import flatten


def _fmt_bytes(n):
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n / 1024 < 1:
            return f"{n:.2f} {unit}"
        n /= 1024.0
    return f"{n:.2f} PB"


def _shape_text(s):
    if isinstance(s, list):
        return "[" + ", ".join(_shape_text(x) for x in s) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in s) + ")"


def _count(weights):
    total, seen = 0, set()
    for w in weights:
        if id(w) in seen:
            continue
        seen.add(id(w))
        n = 1
        for d in w.shape:
            n *= d
        total += n
    return total


def _bytes(weights):
    # Keras sizes by dtype; with its default backend integer state (the optimizer's iteration
    # counter) is 32-bit, so only float64 weights take 8 bytes here.
    total, seen = 0, set()
    for w in weights:
        if id(w) in seen:
            continue
        seen.add(id(w))
        n = 1
        for d in w.shape:
            n *= d
        total += n * (8 if str(w.dtype) == "float64" else 4)
    return total


def _ratio_reduce(total, ratios, maximums, values):
    """rich's ratio_reduce: take `total` off `values` in proportion to `ratios`, capped by `maximums`."""
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(values)
    remaining, out = total, []
    for r, m, v in zip(ratios, maximums, values):
        if r and total_ratio > 0:
            d = min(m, round(r * remaining / total_ratio))
            out.append(v - d)
            remaining -= d
            total_ratio -= r
        else:
            out.append(v)
    return out


def _column_widths(line_length, positions):
    widths, current = [], 0
    for pos in positions:
        w = int(pos * line_length) - current
        if w < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(w)
        current += w
    padded = [w + 2 for w in widths]
    max_width = line_length - (len(widths) + 1)
    if sum(padded) > max_width:  # rich shrinks fixed-width columns evenly
        padded = _ratio_reduce(sum(padded) - max_width, [1] * len(padded), padded, padded)
    elif sum(padded) < max_width:  # and spreads spare width over them (a table with a set width expands)
        remaining, total_ratio = max_width - sum(padded), sum(padded)
        out = []
        for v in padded:
            d = math.ceil(v * remaining / total_ratio) if total_ratio > 0 else remaining
            out.append(v + d)
            total_ratio -= v
            remaining -= d
        padded = out
    return [max(w - 2, 1) for w in padded]


def _wrap(text, width):
    """Word wrap at spaces; a word longer than the cell is cut with an ellipsis."""
    lines, cur = [], ""
    for word in text.split(" "):
        if len(word) > width:
            word = word[: width - 1] + "…"
        if not cur:
            cur = word
        elif len(cur) + 1 + len(word) <= width:
            cur += " " + word
        else:
            lines.append(cur)
            cur = word
    lines.append(cur)
    return lines


def _is_sequential_like(model):
    """Keras's test: one node per depth, each with at most one input tensor, and no layer used twice."""
    graph = getattr(model, "_graph", None)
    if graph is None:
        return True
    nodes = []
    for depth in sorted(graph.nodes_by_depth):
        v = graph.nodes_by_depth[depth]
        if len(v) > 1 or len([t for t in flatten((v[0].args, v[0].kwargs)) if isinstance(t, KerasTensor)]) > 1:
            return False
        nodes += v
    ids = {id(n) for n in nodes}
    for layer in model.layers:
        if sum(1 for n in layer.inbound_nodes if id(n) in ids) > 1:
            return False
    return True


def _connections(layer, graph):
    node_ids = {id(n) for n in graph.nodes}
    parts = []
    for node in layer.inbound_nodes:
        if id(node) not in node_ids:
            continue
        for t in flatten((node.args, node.kwargs)):
            if not isinstance(t, KerasTensor):
                continue
            if t.keras_history is None:
                src = getattr(t, "input_layer", None)
                parts.append(f"{src.name if src is not None else t.name}[0][0]")
            else:
                n, idx = t.keras_history
                ni = next((i for i, m in enumerate(n.layer.inbound_nodes) if m is n), 0)
                parts.append(f"{n.layer.name}[{ni}][{idx}]")
    return ", ".join(parts) or "-"


def summary_text(model, line_length=None, positions=None):
    """The summary as Keras prints it (one string, each line ending in a newline)."""
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        default_length, default_positions = 88, [0.45, 0.80, 1.0]
        header, align = ["Layer (type)", "Output Shape", "Param #"], "llr"
    else:
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        header, align = ["Layer (type)", "Output Shape", "Param #", "Connected to"], "llrl"
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    width = line_length or default_length
    cols = _column_widths(width, positions or default_positions)

    rows = []
    for layer, shape in model.summary_rows():
        name = f"{layer.name} ({getattr(layer, 'keras_class_name', type(layer).__name__)})"
        if layer.built:
            params = f"{layer.count_params():,}"
            out = _shape_text(shape) if shape is not None else "?"
        else:
            params, out = "0 (unbuilt)", "?"
        row = [name, out, params]
        if not sequential_like:
            row.append(_connections(layer, model._graph))
        rows.append(row)

    def line(left, mid, right, fill):
        return left + mid.join(fill * (c + 2) for c in cols) + right

    def row_lines(values, bar):
        cells = [_wrap(v, c) for v, c in zip(values, cols)]
        height = max(len(c) for c in cells)
        out = []
        for i in range(height):
            parts = []
            for cell, c, a in zip(cells, cols, align):
                v = cell[i] if i < len(cell) else ""
                parts.append(" " + (v.rjust(c) if a == "r" else v.ljust(c)) + " ")
            out.append(bar + bar.join(parts) + bar)
        return out

    lines = [f'Model: "{model.name}"', line("┏", "┳", "┓", "━")]
    lines += row_lines(header, "┃")
    lines.append(line("┡", "╇", "┩", "━"))
    for i, r in enumerate(rows):
        lines += row_lines(r, "│")
        if i != len(rows) - 1:
            lines.append(line("├", "┼", "┤", "─"))
    lines.append(line("└", "┴", "┘", "─"))
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    opt_vars = []
    if getattr(model, "optimizer", None) is not None and getattr(model.optimizer, "built", False):
        opt_vars = list(model.optimizer.variables)
    total = _count(trainable) + _count(non_trainable) + _count(opt_vars)
    total_bytes = _bytes(trainable) + _bytes(non_trainable) + _bytes(opt_vars)
    lines.append(f" Total params: {total:,} ({_fmt_bytes(total_bytes)})")
    lines.append(f" Trainable params: {_count(trainable):,} ({_fmt_bytes(_bytes(trainable))})")
    lines.append(f" Non-trainable params: {_count(non_trainable):,} ({_fmt_bytes(_bytes(non_trainable))})")
    if opt_vars:
        lines.append(f" Optimizer params: {_count(opt_vars):,} ({_fmt_bytes(_bytes(opt_vars))})")
    return "\n".join(lines) + "\n"


def print_summary(model, line_length=None, positions=None, print_fn=None):
    text = summary_text(model, line_length, positions)
    if print_fn is None:
        print(text, end="")
    else:
        # Keras 3 hands the whole captured summary to print_fn in one call
        print_fn(text)
