"""The random initializers (normal, truncated normal, uniform, variance scaling and its Glorot /
LeCun / He forms, orthogonal), as keras/src/initializers/random_initializers.py."""
from __future__ import annotations

import math

from kerasish import ops
from kerasish import random as _random
from kerasish.backend.dtypes import FLOAT_TYPES
from kerasish.initializers.initializer import Initializer, float_dtype, standardize_dtype, standardize_shape

# 1 / (stddev of a standard normal truncated to [-2, 2]); Keras divides by it so that the
# truncated draw keeps the requested variance.
_TRUNCATION_STDDEV_FACTOR = 0.87962566103423978


def _validate_seed(seed):
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return seed
    raise ValueError(f"`seed` argument should be an integer or None. Received: seed={seed!r}")


def _round_seed(seed, i):
    """The seed for the i-th extra round of a seeded draw (None stays None: global generator)."""
    if seed is None:
        return None
    return (seed * 1_000_003 + 7919 * i) % (2**63)


def compute_fans(shape, input_axes=None, output_axes=None):
    """``(fan_in, fan_out)`` for a weight shape, as Keras computes them: with both ``input_axes``
    and ``output_axes`` given, the products of those axes' sizes."""
    shape = standardize_shape(shape)
    if input_axes is not None and output_axes is not None:
        return int(math.prod(shape[a] for a in input_axes)), int(math.prod(shape[a] for a in output_axes))
    if len(shape) < 1:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive_field_size = math.prod(shape[:-2])
        fan_in = shape[-2] * receptive_field_size
        fan_out = shape[-1] * receptive_field_size
    return int(fan_in), int(fan_out)


def _truncated_normal_draw(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws restricted to ``mean +- 2 * stddev`` (out-of-range values are redrawn).

    Values outside two standard deviations are replaced by fresh draws, round after round, until
    none is left (each round redraws ~4.6 % of the remaining ones); after 32 rounds (never reached
    in practice) the rest are clipped. Whole-tensor engine ops per round, no per-element loop.
    """
    shape = standardize_shape(shape)
    dtype = float_dtype(dtype, "TruncatedNormal")
    z = _random.normal(shape, 0.0, 1.0, dtype=dtype, seed=seed)
    for i in range(1, 33):
        if z.size == 0:
            break
        bad = ops.greater(ops.abs(z), 2.0)
        if int(ops.sum(ops.cast(bad, "int64")).item()) == 0:
            break
        z = ops.where(bad, _random.normal(shape, 0.0, 1.0, dtype=dtype, seed=_round_seed(seed, i)), z)
    else:
        z = ops.clip(z, -2.0, 2.0)
    return z * float(stddev) + float(mean)


class RandomInitializer(Initializer):
    def __init__(self, seed=None):
        self.seed = _validate_seed(seed)

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Normal draws with the given ``mean`` and ``stddev``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dtype = float_dtype(dtype, "RandomNormal")
        return _random.normal(standardize_shape(shape), mean=self.mean, stddev=self.stddev, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomInitializer):
    """Normal draws with values further than two ``stddev`` from ``mean`` redrawn."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return _truncated_normal_draw(standardize_shape(shape), self.mean, self.stddev, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomInitializer):
    """Uniform draws in ``[minval, maxval)`` (integer dtypes draw integers)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dtype = standardize_dtype(dtype)
        shape = standardize_shape(shape)
        if dtype not in FLOAT_TYPES:
            return _random.randint(shape, int(self.minval), int(self.maxval), dtype=dtype, seed=self.seed)
        return _random.uniform(shape, minval=self.minval, maxval=self.maxval, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(RandomInitializer):
    """Draws scaled to the weight's fans.

    ``mode``: "fan_in", "fan_out" or "fan_avg"; ``distribution``: "truncated_normal" (stddev
    ``sqrt(scale / n) / .8796...``), "untruncated_normal" (stddev ``sqrt(scale / n)``) or "uniform"
    (limit ``sqrt(3 * scale / n)``), where n is the chosen fan (``"normal"`` means truncated).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        allowed_modes = {"fan_in", "fan_out", "fan_avg"}
        if mode not in allowed_modes:
            raise ValueError(f"Invalid `mode` argument: expected one of {allowed_modes}. Received: mode={mode}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        allowed = {"uniform", "truncated_normal", "untruncated_normal"}
        if distribution not in allowed:
            raise ValueError(
                f"Invalid `distribution` argument: expected one of {allowed}. Received: distribution={distribution}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = None if input_axes is None else [int(a) for a in input_axes]
        self.output_axes = None if output_axes is None else [int(a) for a in output_axes]
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        dtype = float_dtype(dtype, type(self).__name__)
        scale = float(self.scale)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            scale /= max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale /= max(1.0, fan_out)
        else:
            scale /= max(1.0, (fan_in + fan_out) / 2.0)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / _TRUNCATION_STDDEV_FACTOR
            return _truncated_normal_draw(shape, 0.0, stddev, dtype=dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return _random.normal(shape, 0.0, math.sqrt(scale), dtype=dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return _random.uniform(shape, -limit, limit, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """The named VarianceScaling presets: their config holds the seed and the fan axes."""

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(scale=self._scale, mode=self._mode, distribution=self._distribution, seed=seed,
                         input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``."""

    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal, stddev ``sqrt(2 / (fan_in + fan_out)) / .8796...``."""

    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal, stddev ``sqrt(1 / fan_in) / .8796...``."""

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""

    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


class HeNormal(_FixedVarianceScaling):
    """Truncated normal, stddev ``sqrt(2 / fan_in) / .8796...``."""

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``."""

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


def _orthonormal_columns(a, block=32):
    """Orthonormalises the columns of ``a`` (n, k), n >= k, by block Gram-Schmidt with
    reorthogonalisation (every projection done twice, "CGS2"), all in engine ops.

    The result equals the Q of a QR factorisation with R's diagonal made positive, which is what
    Keras's Orthogonal takes (``q * sign(diag(r))``). This runs at initialisation only, never on
    the training path; the Python loop is over columns (k iterations), not over elements.
    """
    n, k = a.shape
    blocks = []
    for start in range(0, k, block):
        blk = a[:, start:start + block]
        if blocks:
            q = blocks[0] if len(blocks) == 1 else ops.concatenate(blocks, axis=1)
            qt = ops.transpose(q)
            for _ in range(2):
                blk = blk - ops.matmul(q, ops.matmul(qt, blk))
        cols = []
        for j in range(blk.shape[1]):
            v = blk[:, j:j + 1]
            if cols:
                c = cols[0] if len(cols) == 1 else ops.concatenate(cols, axis=1)
                ct = ops.transpose(c)
                for _ in range(2):
                    v = v - ops.matmul(c, ops.matmul(ct, v))
            v = v / ops.sqrt(ops.sum(ops.square(v)))
            cols.append(v)
        blocks.append(ops.concatenate(cols, axis=1))
    return blocks[0] if len(blocks) == 1 else ops.concatenate(blocks, axis=1)


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``, as Keras's Orthogonal.

    The shape is flattened to ``(prod(shape[:-1]), shape[-1])``; a normal matrix of shape
    ``(max(rows, cols), min(rows, cols))`` is orthonormalised column-wise (transposed when
    rows < cols), so rows or columns, whichever are fewer, are orthonormal.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dtype = float_dtype(dtype, "Orthogonal")
        num_rows = math.prod(shape[:-1])
        num_cols = shape[-1]
        flat_shape = (max(num_cols, num_rows), min(num_cols, num_rows))
        # orthonormalise in float64 for accuracy, then cast
        a = _random.normal(flat_shape, 0.0, 1.0, dtype="float64", seed=self.seed)
        q = _orthonormal_columns(a)
        if num_rows < num_cols:
            q = ops.transpose(q)
        q = ops.reshape(q, shape) * float(self.gain)
        return ops.cast(q, dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}
