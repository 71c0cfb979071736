"""keras.ops.rearrange: einops-style axis patterns ("b h w c -> b (c h w)"), as one reshape to
split grouped input axes, a transpose and a reshape to merge output groups (views where the
layout allows)."""
from __future__ import annotations

import math
import re

from kerasish.ops.core import convert_to_tensor
from kerasish.ops.numpy import reshape, transpose
from kerasish.ops.operation import symbolic

_TOKEN = re.compile(r"\(\s*[\w\s]*\)|\w+|\S")


def _groups(side, pattern):
    groups = []
    for tok in _TOKEN.findall(side):
        if tok.startswith("("):
            groups.append(tok[1:-1].split())
        elif re.fullmatch(r"\w+", tok):
            groups.append([tok])
        else:
            raise ValueError(f"rearrange: unexpected {tok!r} in pattern {pattern!r}")
    return groups


@symbolic
def rearrange(tensor, pattern, **axes_lengths):
    """Rearranges axes as the einops pattern says: names are axes, "(a b)" merges (on the right)
    or splits (on the left, with all but one length given as keyword arguments)."""
    x = convert_to_tensor(tensor)
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"rearrange: the pattern must have the form 'inputs -> outputs', got {pattern!r}")
    left, right = (_groups(s, pattern) for s in pattern.split("->"))
    if len(left) != x.ndim:
        raise ValueError(f"rearrange: pattern {pattern!r} names {len(left)} input axes, the tensor has {x.ndim} "
                         f"(shape {tuple(x.shape)})")
    sizes = {}
    for group, dim in zip(left, x.shape):
        unknown = [a for a in group if a not in axes_lengths]
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot split an axis of size {dim} into {group}: give the lengths of all "
                             f"but one of {unknown} as keyword arguments")
        known = math.prod(int(axes_lengths[a]) for a in group if a in axes_lengths)
        if (unknown and (known == 0 or dim % known)) or (not unknown and known != dim):
            raise ValueError(f"rearrange: an axis of size {dim} does not split into {group} with lengths "
                             f"{ {a: axes_lengths[a] for a in group if a in axes_lengths} }")
        for a in group:
            sizes[a] = int(axes_lengths[a]) if a in axes_lengths else dim // known
    names = [a for g in left for a in g]
    out = [a for g in right for a in g]
    if sorted(out) != sorted(names) or len(set(names)) != len(names):
        raise ValueError(f"rearrange: the axes of {pattern!r} on the two sides differ (or repeat): {names} and {out}")
    y = reshape(x, tuple(sizes[a] for a in names))
    y = transpose(y, [names.index(a) for a in out])
    return reshape(y, tuple(math.prod(sizes[a] for a in g) for g in right))
