"""model.summary(): Keras's box-drawn table."""


def _fmt_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024.0


def _shape_text(s):
    if isinstance(s, list):
        return "[" + ", ".join(_shape_text(x) for x in s) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in s) + ("," if len(s) == 1 else "") + ")"


def _count(weights):
    total = 0
    for w in weights:
        n = 1
        for d in w.shape:
            n *= d
        total += n
    return total


def print_summary(model, line_length=None, positions=None, print_fn=None):
    print_fn = print_fn or print
    rows = []
    for layer, shape in model._summary_rows():
        name = f"{layer.name} ({type(layer).__name__})"
        if layer.built:
            params = f"{layer.count_params():,}"
            out = _shape_text(shape) if shape is not None else "?"
        else:
            params, out = "0 (unbuilt)", "?"
        rows.append((name, out, params))
    width = line_length or 88
    positions = positions or [0.45, 0.84, 1.0]
    cols = [int(width * positions[0]), int(width * positions[1]) - int(width * positions[0]),
            width - int(width * positions[1])]
    cols = [c - 3 for c in cols]
    cols[0] += 1

    def line(left, mid, right, fill):
        return left + mid.join(fill * (c + 2) for c in cols) + right

    def cells(values, aligns):
        parts = []
        for v, c, a in zip(values, cols, aligns):
            v = v if len(v) <= c else v[: c - 1] + "…"
            parts.append(" " + (v.rjust(c) if a == "r" else v.ljust(c)) + " ")
        return parts

    print_fn(f'Model: "{model.name}"')
    print_fn(line("┏", "┳", "┓", "━"))
    print_fn("┃" + "┃".join(cells(["Layer (type)", "Output Shape", "Param #"], "llr")) + "┃")
    print_fn(line("┡", "╇", "┩", "━"))
    for i, r in enumerate(rows):
        print_fn("│" + "│".join(cells(list(r), "llr")) + "│")
        if i != len(rows) - 1:
            print_fn(line("├", "┼", "┤", "─"))
    print_fn(line("└", "┴", "┘", "─"))
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    opt = 0
    if getattr(model, "optimizer", None) is not None and getattr(model.optimizer, "built", False):
        opt = _count(model.optimizer.variables)
    size = 4
    total = trainable + non_trainable + opt
    print_fn(f" Total params: {total:,} ({_fmt_bytes(total * size)})")
    print_fn(f" Trainable params: {trainable:,} ({_fmt_bytes(trainable * size)})")
    print_fn(f" Non-trainable params: {non_trainable:,} ({_fmt_bytes(non_trainable * size)})")
    if opt:
        print_fn(f" Optimizer params: {opt:,} ({_fmt_bytes(opt * size)})")
