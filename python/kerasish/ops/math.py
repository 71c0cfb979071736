"""Math ops, as keras.ops.math."""
from __future__ import annotations

from kerasish import _core
from kerasish.ops.operation import symbolic


@symbolic
def logsumexp(x, axis=None, keepdims=False): return _core.reduce("logsumexp", x, axis, keepdims)
