"""Math ops, as keras.ops.math."""
from __future__ import annotations

from kerasish import _complex, _core
from kerasish.ops.core import cast, convert_to_tensor, scatter
from kerasish.ops.numpy import (
    _iota,
    _search,
    _wrap_to,
    add,
    clip,
    equal,
    expand_dims,
    greater_equal,
    less,
    logical_and,
    max,
    maximum,
    minimum,
    multiply,
    reshape,
    squeeze,
    take,
    take_along_axis,
    where,
    zeros_like,
)
from kerasish.ops.operation import symbolic


@symbolic
def logsumexp(x, axis=None, keepdims=False): return _core.reduce("logsumexp", x, axis, keepdims)


def top_k(x, k, sorted=True):  # noqa: A002 - Keras's argument name
    """The k largest entries along the last axis and their positions, largest first (ties: the
    lower position first), as ``jax.lax.top_k``. Returns ``(values, indices)``; the values carry
    the gradient back to x."""
    x = convert_to_tensor(x)
    if x.ndim == 0:
        raise ValueError("top_k: x must have at least one dimension")
    k = int(k)
    if not 0 <= k <= x.shape[-1]:
        raise ValueError(f"top_k: k={k} must be between 0 and the last dimension ({x.shape[-1]})")
    indices = _core.argsort(x, -1, True)[..., :k]
    return take_along_axis(x, indices, -1), indices


def in_top_k(targets, predictions, k):
    """Whether each row's target class is among the k largest predictions (a tie with the k-th
    value counts, as in Keras)."""
    targets, predictions = convert_to_tensor(targets), convert_to_tensor(predictions)
    if predictions.ndim != 2 or targets.ndim != 1 or targets.shape[0] != predictions.shape[0]:
        raise ValueError(f"in_top_k: expected targets (batch,) and predictions (batch, classes), "
                         f"got {tuple(targets.shape)} and {tuple(predictions.shape)}")
    kth = top_k(predictions, k)[0][..., -1:] if k > 0 else None
    if kth is None:
        return zeros_like(targets, "bool")
    target_values = take_along_axis(predictions, expand_dims(cast(targets, "int64"), -1), -1)
    return squeeze(greater_equal(target_values, kth), -1)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras's argument name
    """Sums of the rows of `data` that share a segment id (ids outside [0, num_segments) are
    dropped, as jax.ops.segment_sum does), as one checked scatter-add."""
    data, ids = convert_to_tensor(data), cast(convert_to_tensor(segment_ids), "int64")
    if ids.ndim != 1 or data.ndim == 0 or ids.shape[0] != data.shape[0]:
        raise ValueError(f"segment_sum: segment_ids of shape {tuple(ids.shape)} must label the rows of data "
                         f"of shape {tuple(data.shape)}")
    if num_segments is None:
        num_segments = int(max(ids)) + 1 if ids.shape[0] else 0
    valid = logical_and(greater_equal(ids, 0), less(ids, int(num_segments)))
    rows = where(reshape(valid, (-1,) + (1,) * (data.ndim - 1)), data, 0)
    return scatter(expand_dims(where(valid, ids, 0), -1), rows, (int(num_segments),) + tuple(data.shape[1:]))


# ---------------------------------------------------------------- Fourier transforms and erfinv
# (kerasish has no complex dtype: as Keras, the transforms take and return (real, imag) pairs.
# Each transform is composed as matmuls with DFT matrices built, with ops, from the static length:
# O(n^2) per transform instead of an FFT's O(n log n), but in the engine on every device, with
# the gradient for free.)

import math as _math  # noqa: E402

from kerasish.ops import numpy as _knp  # noqa: E402


def _float_of(x):
    x = convert_to_tensor(x)
    return x if x.dtype in ("float32", "float64") else cast(x, "float32")


def _complex_pair(x, min_rank):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"Input `x` should be a tuple of two tensors - real and imaginary. Received: x={x}")
    real, imag = convert_to_tensor(x[0]), convert_to_tensor(x[1])
    if tuple(real.shape) != tuple(imag.shape):
        raise ValueError("Input `x` should be a tuple of two tensors - real and imaginary. Both the real and "
                         "imaginary parts should have the same shape. "
                         f"Received: x[0].shape = {tuple(real.shape)}, x[1].shape = {tuple(imag.shape)}")
    if real.dtype not in ("float32", "float64") or imag.dtype not in ("float32", "float64"):
        raise ValueError(f"At least one tensor in input `x` is not of type float. Received: dtypes "
                         f"{real.dtype} and {imag.dtype}.")
    if real.ndim < min_rank:
        raise ValueError(f"Input should have rank >= {min_rank}. Received: input.shape = {tuple(real.shape)}")
    dt = "float64" if "float64" in (real.dtype, imag.dtype) else "float32"
    return cast(real, dt), cast(imag, dt)


def _on(t, like):
    return t if t.device == like.device else t.to(like.device)


def _dft_matrices(n, rows, cols, dtype, like):
    """cos and sin of 2 pi j k / n for j < rows, k < cols (j k reduced mod n exactly, in int64)."""
    j = reshape(_on(_core.arange(0, rows, 1, "int64"), like), (rows, 1))
    k = reshape(_on(_core.arange(0, cols, 1, "int64"), like), (1, cols))
    angle = _knp.multiply(cast(_knp.mod(_knp.multiply(j, k), n), dtype), 2.0 * _math.pi / n)
    return _knp.cos(angle), _knp.sin(angle)


def _dft_last(re, im, inverse):
    """The DFT (or inverse DFT) of re + i im along the last axis."""
    n = re.shape[-1]
    c, s = _dft_matrices(n, n, n, re.dtype, re)
    if not inverse:  # sum_j x_j exp(-2 pi i j k / n)
        return (_knp.add(_knp.matmul(re, c), _knp.matmul(im, s)),
                _knp.subtract(_knp.matmul(im, c), _knp.matmul(re, s)))
    return (_knp.divide(_knp.subtract(_knp.matmul(re, c), _knp.matmul(im, s)), n),
            _knp.divide(_knp.add(_knp.matmul(im, c), _knp.matmul(re, s)), n))


def _dft_2d(re, im, inverse):
    re, im = _dft_last(re, im, inverse)
    re, im = _dft_last(_knp.swapaxes(re, -1, -2), _knp.swapaxes(im, -1, -2), inverse)
    return _knp.swapaxes(re, -1, -2), _knp.swapaxes(im, -1, -2)


@symbolic
def fft(x):
    """The discrete Fourier transform along the last axis of the complex input ``x = (real, imag)``;
    returns ``(real, imag)``, as keras.ops.fft. Composed as matmuls with the DFT matrix of the
    static length n (O(n^2), in the engine; gradients for free)."""
    return _dft_last(*_complex_pair(x, 1), False)


@symbolic
def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of ``x = (real, imag)``; returns
    ``(real, imag)``, as keras.ops.fft2 (DFT-matrix matmuls along each axis, O(n^2) each)."""
    return _dft_2d(*_complex_pair(x, 2), False)


@symbolic
def ifft2(x):
    """The 2-D inverse discrete Fourier transform over the last two axes of ``x = (real, imag)``
    (scaled by 1 / (m n)); returns ``(real, imag)``, as keras.ops.ifft2 (DFT-matrix matmuls)."""
    return _dft_2d(*_complex_pair(x, 2), True)


def _fit_last(x, n):
    """x cropped or zero-padded along the last axis to length n."""
    m = x.shape[-1]
    if m == n:
        return x
    if m > n:
        return x[..., :n]
    return _knp.concatenate([x, _core.full(tuple(x.shape[:-1]) + (n - m,), 0.0, x.dtype, x.device)], -1)


def _fft_length(fft_length, default):
    if fft_length is None:
        return default
    if isinstance(fft_length, bool) or not isinstance(fft_length, int) or fft_length < 1:
        raise ValueError(f"`fft_length` must be a positive integer. Received: fft_length={fft_length!r}")
    return fft_length


@symbolic
def rfft(x, fft_length=None):
    """The DFT of the real x along its last axis (cropped or zero-padded to `fft_length`), its
    fft_length // 2 + 1 non-negative frequencies, as ``(real, imag)``, as keras.ops.rfft (a matmul
    with the DFT matrix's first columns, O(n^2))."""
    x = _float_of(x)
    if x.ndim < 1:
        raise ValueError(f"Input should have rank >= 1. Received: input.shape = {tuple(x.shape)}")
    n = _fft_length(fft_length, x.shape[-1])
    if n < 1:
        raise ValueError(f"rfft: the last axis is empty (shape {tuple(x.shape)}); give a positive fft_length")
    x = _fit_last(x, n)
    c, s = _dft_matrices(n, n, n // 2 + 1, x.dtype, x)
    return _knp.matmul(x, c), _knp.matmul(x, _knp.negative(s))


def _irfft_last(re, im, n):
    """The real signal of length n whose rfft is re + i im (bins cropped / zero-padded to
    n // 2 + 1; the imaginary parts of the zero and Nyquist bins are ignored, as pocketfft does)."""
    bins = n // 2 + 1
    re, im = _fit_last(re, bins), _fit_last(im, bins)
    c, s = _dft_matrices(n, bins, n, re.dtype, re)
    k = reshape(_on(_core.arange(0, bins, 1, "int64"), re), (bins, 1))
    edge = _knp.logical_or(_knp.equal(k, 0), _knp.equal(_knp.multiply(k, 2), n))
    w = _knp.divide(_knp.subtract(2.0, cast(edge, re.dtype)), float(n))  # other bins stand for their mirror images too
    c = _knp.multiply(c, w)
    s = _knp.where(edge, 0.0, _knp.multiply(s, w))
    return _knp.subtract(_knp.matmul(re, c), _knp.matmul(im, s))


@symbolic
def irfft(x, fft_length=None):
    """The inverse of rfft along the last axis: the real signal of length `fft_length`
    (default 2 (m - 1) for m bins) whose non-negative frequencies are ``x = (real, imag)``, as
    keras.ops.irfft (a matmul with the inverse DFT matrix, O(n^2))."""
    re, im = _complex_pair(x, 1)
    n = _fft_length(fft_length, 2 * (re.shape[-1] - 1))
    if n < 1:
        raise ValueError(f"irfft: {re.shape[-1]} bin(s) give no default fft_length; pass fft_length")
    return _irfft_last(re, im, n)


def _stft_window(window, sequence_length, fft_length, dtype, like):
    """The window, zero-padded (centred) to fft_length, as Keras builds it; None: ones."""
    if window is None:
        return _core.full((fft_length,), 1.0, dtype, like.device)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError('If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
                             f"Received: window={window}")
        # scipy.signal.get_window's periodic windows (fftbins=True), built with ops
        t = _knp.multiply(cast(_on(_core.arange(0, sequence_length, 1, "int64"), like), dtype),
                          2.0 * _math.pi / sequence_length)
        a = 0.5 if window == "hann" else 0.54
        win = _knp.subtract(a, _knp.multiply(1.0 - a, _knp.cos(t)))
    else:
        win = _on(cast(convert_to_tensor(window), dtype), like)
        if win.ndim != 1 or win.shape[0] != sequence_length:
            raise ValueError("The shape of `window` must be equal to [sequence_length]."
                             f"Received: window shape={tuple(win.shape)}")
    l_pad = (fft_length - sequence_length) // 2
    r_pad = fft_length - sequence_length - l_pad
    if l_pad or r_pad:
        win = _knp.concatenate([_core.full((l_pad,), 0.0, dtype, like.device), win,
                                _core.full((r_pad,), 0.0, dtype, like.device)], 0)
    return win


def _check_stft_args(sequence_length, sequence_stride, fft_length):
    if isinstance(sequence_stride, bool) or not isinstance(sequence_stride, int) or sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be a positive integer. Received: sequence_stride={sequence_stride}")
    for name, v in (("sequence_length", sequence_length), ("fft_length", fft_length)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={v!r}")
    if fft_length < sequence_length:
        raise ValueError("`fft_length` must equal or larger than `sequence_length`. "
                         f"Received: sequence_length={sequence_length}, fft_length={fft_length}")


@symbolic
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform along the last axis, as keras.ops.stft: frames of
    `fft_length` every `sequence_stride` samples (x reflect-padded by fft_length // 2 on each side
    when `center`), each multiplied by the window (hann / hamming of `sequence_length`, centred in
    fft_length; a tensor; or None), then rfft; returns ``(real, imag)`` of shape
    (..., frames, fft_length // 2 + 1). One gather makes the (reflect-padded) frames; the rfft is a
    DFT-matrix matmul (O(n^2) per frame), all in the engine."""
    _check_stft_args(sequence_length, sequence_stride, fft_length)
    x = convert_to_tensor(x)
    if x.dtype not in ("float32", "float64"):
        raise TypeError(f"Invalid input type. Expected `float32` or `float64`. Received: input type={x.dtype}")
    if x.ndim < 1:
        raise ValueError(f"stft: x must have a time axis, got shape {tuple(x.shape)}")
    L = x.shape[-1]
    pad = fft_length // 2 if center else 0
    total = L + 2 * pad
    if total < fft_length:
        raise ValueError(f"stft: a signal of {L} samples{' (padded by %d on each side)' % pad if pad else ''} "
                         f"is shorter than fft_length={fft_length}")
    frames = 1 + (total - fft_length) // sequence_stride
    # the sample each frame position reads, reflect-padding mapped back into x
    f = reshape(_on(_core.arange(0, frames, 1, "int64"), x), (frames, 1))
    t = reshape(_on(_core.arange(0, fft_length, 1, "int64"), x), (1, fft_length))
    idx = _knp.subtract(_knp.add(_knp.multiply(f, sequence_stride), t), pad)
    if pad:
        if L == 1:
            idx = _knp.zeros_like(idx)
        else:
            period = 2 * (L - 1)
            r = _knp.mod(idx, period)
            idx = _knp.where(_knp.less(r, L), r, _knp.subtract(period, r))
    segs = _knp.take(x, idx, -1)  # (..., frames, fft_length)
    win = _stft_window(window, sequence_length, fft_length, x.dtype, x)
    wsum = _knp.sum(win)
    segs = _knp.multiply(segs, _knp.multiply(win, _knp.divide(wsum, _knp.abs(wsum))))  # Keras's scaling
    c, s = _dft_matrices(fft_length, fft_length, fft_length // 2 + 1, x.dtype, x)
    return _knp.matmul(segs, c), _knp.matmul(segs, _knp.negative(s))


def _overlap_add(frames, step):
    """Sum of (..., F, n) frames placed every `step` samples: (..., (F - 1) step + n), one scatter-add."""
    lead, (F, n) = tuple(frames.shape[:-2]), tuple(frames.shape[-2:])
    total = (F - 1) * step + n
    b = _math.prod(lead)
    pos = _knp.add(reshape(_knp.multiply(_on(_core.arange(0, F, 1, "int64"), frames), step), (1, F, 1)),
                   reshape(_on(_core.arange(0, n, 1, "int64"), frames), (1, 1, n)))
    pos = _knp.add(pos, reshape(_knp.multiply(_on(_core.arange(0, b, 1, "int64"), frames), total), (b, 1, 1)))
    out = _core.scatter_add(reshape(frames, (-1,)), reshape(pos, (-1,)), (b * total,))
    return reshape(out, lead + (total,))


@symbolic
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """The inverse short-time Fourier transform, as keras.ops.istft (scipy's / JAX's istft with
    Keras's scaling): irfft of each frame of ``x = (real, imag)``, windowed, overlap-added and
    divided by the overlap-added squared window, then cropped (`center`: fft_length // 2 from
    each end; `length`: that many samples). The irfft is a DFT-matrix matmul (O(n^2) per frame),
    the overlap-add one scatter-add, all in the engine."""
    _check_stft_args(sequence_length, sequence_stride, fft_length)
    re, im = _complex_pair(x, 2)
    dt = re.dtype
    frames = _irfft_last(re, im, fft_length)  # (..., F, fft_length)
    win = _stft_window(window, sequence_length, fft_length, dt, re)
    wsum = _knp.sum(win)
    F = frames.shape[-2]
    out = _overlap_add(_knp.multiply(_knp.multiply(frames, wsum), win), sequence_stride)
    norm = _overlap_add(_knp.broadcast_to(_knp.square(win), (F, fft_length)), sequence_stride)
    out = _knp.divide(out, _knp.where(_knp.greater(norm, 1e-10), norm, 1.0))
    out = _knp.divide(out, wsum if window is not None else float(sequence_stride))
    expected = fft_length + sequence_stride * (F - 1)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + int(length)
    elif center:
        end = expected - fft_length // 2
    else:
        end = expected
    return out[..., start:end]


# erfinv: Giles's single-precision approximation (M. Giles, "Approximating the erfinv function",
# GPU Computing Gems, 2011) as the first guess, then Newton steps
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                   -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(coeffs, w):
    p = None
    for c in coeffs:
        p = _knp.full_like(w, c) if p is None else _knp.add(_knp.multiply(p, w), c)
    return p


def _log_erfc_tail(y, terms=60):
    """log erfc(y) for y >= 2, to float64 (its continued fraction, evaluated from the back):
    erfc(y) = exp(-y^2) / (sqrt(pi) t), t = y + (1/2) / (y + 1 / (y + (3/2) / (y + ...)))."""
    t = y
    for k in range(terms, 0, -1):
        t = _knp.add(y, _knp.divide(k / 2.0, t))
    return _knp.subtract(_knp.negative(_knp.square(y)), _knp.log(_knp.multiply(t, _math.sqrt(_math.pi)))), t


@symbolic
def erfinv(x):
    """The inverse error function, as keras.ops.erfinv: erfinv(±1) = ±inf, NaN outside [-1, 1].

    A composite: Giles's polynomial first guess, refined by four Newton steps on erf(y) = x
    (converging quadratically from the guess's ~1e-7 to the dtype's precision); where y > 2
    (|x| > 1 - 5e-3) the steps solve log erfc(y) = log(1 - |x|) instead, with erfc from its
    continued fraction, so the tail keeps full relative precision (erf is flat there). The
    gradient is exact, sqrt(pi) / 2 exp(y^2): the steps run without recording, and a last term
    that adds zero carries the derivative."""
    x = _float_of(x)
    ax = _knp.abs(x)
    inside = _knp.less(ax, 1.0)
    xs = _knp.where(inside, x, 0.0)
    xd = xs.detach()
    ad = _knp.abs(xd)
    w = _knp.negative(_knp.log(_knp.multiply(_knp.subtract(1.0, xd), _knp.add(1.0, xd))))
    central = _horner(_ERFINV_CENTRAL, _knp.subtract(w, 2.5))
    tail = _horner(_ERFINV_TAIL, _knp.subtract(_knp.sqrt(w), 3.0))
    y = _knp.abs(_knp.multiply(_knp.where(_knp.less(w, 5.0), central, tail), xd))  # |erfinv(x)|
    k = 2.0 / _math.sqrt(_math.pi)
    far = _knp.greater(y, 2.0)
    log_rest = _knp.log(_knp.subtract(1.0, ad))  # 1 - |x| is exact for |x| >= 1/2
    for _ in range(4):
        # near the centre: Newton on erf(y) = |x|
        step_c = _knp.divide(_knp.subtract(_knp.erf(y), ad), _knp.multiply(k, _knp.exp(_knp.negative(_knp.square(y)))))
        # in the tail: Newton on log erfc(y) = log(1 - |x|); d/dy log erfc(y) = -2 t
        lg, t = _log_erfc_tail(_knp.maximum(y, 2.0))
        step_t = _knp.divide(_knp.subtract(lg, log_rest), _knp.multiply(t, -2.0))
        y = _knp.subtract(y, _knp.where(far, step_t, step_c))
        far = _knp.greater(y, 2.0)
    y = _knp.multiply(_knp.sign(xd), y)
    # adds zero; carries d erfinv / dx = sqrt(pi) / 2 exp(y^2) to x
    slope = _knp.multiply(_math.sqrt(_math.pi) / 2, _knp.exp(_knp.square(y.detach())))
    y = _knp.add(y, _knp.multiply(_knp.subtract(xs, xd), slope))
    edge = _knp.where(_knp.equal(ax, 1.0), _knp.multiply(_knp.sign(x.detach()), float("inf")), float("nan"))
    return _knp.where(inside, y, edge)


def _segment_rows(data, segment_ids, num_segments, what):
    """(data, int64 ids, the number of segments), checked as segment_sum checks them."""
    data, ids = convert_to_tensor(data), cast(convert_to_tensor(segment_ids), "int64")
    if ids.ndim != 1 or data.ndim == 0 or ids.shape[0] != data.shape[0]:
        raise ValueError(f"{what}: segment_ids of shape {tuple(ids.shape)} must label the rows of data "
                         f"of shape {tuple(data.shape)}")
    if num_segments is None:
        num_segments = int(max(ids)) + 1 if ids.shape[0] else 0
    return data, ids, int(num_segments)


def _segment_reduce(data, segment_ids, num_segments, sorted, what, op, identity):  # noqa: A002
    """The reduction by `op` of the rows of data that share a segment id, `identity` for an empty
    segment; ids outside [0, num_segments) are dropped, as in jax.ops. The rows are ordered by id
    (unless `sorted` says they are), reduced by a segmented scan of log2(n) doubling steps, and
    each segment's total gathered from its last row: it differentiates like its parts."""
    data, ids, k = _segment_rows(data, segment_ids, num_segments, what)
    dt, n = data.dtype, ids.shape[0]
    rows = data if dt.startswith("float") else cast(data, "int64")
    if not sorted:
        order = _core.argsort(ids, 0)
        ids, rows = take(ids, order, 0), take(rows, order, 0)
    out_shape = (k,) + tuple(data.shape[1:])
    if n == 0 or k == 0:
        return _core.full(out_shape, float(identity), dt, data.device)
    trail = (1,) * (data.ndim - 1)
    d = 1
    while d < n:  # after this step, each row holds the reduction of the (up to 2d) rows of its segment ending there
        same = reshape(equal(ids[d:], ids[:-d]), (n - d,) + trail)
        rows = _core.concatenate([rows[:d], where(same, op(rows[d:], rows[:-d]), rows[d:])], 0)
        d *= 2
    seg = _iota(k, ids)
    last = clip(add(_search(ids, seg, True), -1), 0, n - 1)
    present = reshape(equal(take(ids, last, 0), seg), (k,) + trail)
    out = where(present, take(rows, last, 0), _core.full(out_shape, float(identity), rows.dtype, rows.device))
    return out if dt.startswith("float") else _wrap_to(out, dt)


def _extreme(dtype, device, low):
    """The identity of max (low) or min: -inf/inf, or the dtype's extreme integer (on the GPU,
    where int64 is held in 32 bits, the 32-bit one)."""
    if dtype.startswith("float"):
        return float("-inf") if low else float("inf")
    if dtype == "bool":
        return 0 if low else 1
    if dtype == "uint8":
        return 0 if low else 255
    bits = 63 if device == "cpu" else 31
    return -(2 ** bits) if low else 2 ** bits - 1


@symbolic
def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras's argument name
    """The maximum of the rows of `data` sharing each segment id (-inf, or the dtype's smallest
    value, for an empty segment; NaN propagates), as jax.ops.segment_max."""
    data = convert_to_tensor(data)
    return _segment_reduce(data, segment_ids, num_segments, sorted, "segment_max", maximum,
                           _extreme(data.dtype, data.device, True))


@symbolic
def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras's argument name
    """The minimum of the rows of `data` sharing each segment id (inf, or the dtype's largest value,
    for an empty segment), as jax.ops.segment_min."""
    data = convert_to_tensor(data)
    return _segment_reduce(data, segment_ids, num_segments, sorted, "segment_min", minimum,
                           _extreme(data.dtype, data.device, False))


@symbolic
def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras's argument name
    """The product of the rows of `data` sharing each segment id (1 for an empty segment; integers
    wrap in their dtype), as jax.ops.segment_prod."""
    data = convert_to_tensor(data)
    if data.dtype == "bool":
        raise TypeError("segment_prod: bool data is not supported (Keras rejects it too)")
    return _segment_reduce(data, segment_ids, num_segments, sorted, "segment_prod", multiply, 1)


@symbolic
def extract_sequences(x, sequence_length, sequence_stride):
    """The windows of `sequence_length` along the last axis, every `sequence_stride` elements:
    shape (..., 1 + (N - sequence_length) // sequence_stride, sequence_length), one gather."""
    x = convert_to_tensor(x)
    if x.ndim < 1:
        raise ValueError(f"extract_sequences: x must have rank >= 1, got shape {tuple(x.shape)}")
    length, stride = int(sequence_length), int(sequence_stride)
    if length <= 0 or stride <= 0:
        raise ValueError(f"extract_sequences: sequence_length ({sequence_length}) and sequence_stride "
                         f"({sequence_stride}) must be positive")
    n = x.shape[-1]
    count = 1 + (n - length) // stride if n >= length else 0
    starts = reshape(multiply(_iota(count, x), stride), (-1, 1))
    return take(x, add(starts, reshape(_iota(length, x), (1, -1))), x.ndim - 1)


@symbolic
def cdist(x, y):
    """Euclidean distances between each row of x (..., m, d) and each of y (..., n, d): a
    (..., m, n) tensor, as keras.ops.cdist (the gradient at a zero distance is NaN, as JAX's)."""
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"cdist: inputs must have rank >= 2, got shapes {tuple(x.shape)} and {tuple(y.shape)}")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"cdist: the last dimensions must match, got shapes {tuple(x.shape)} and {tuple(y.shape)}")
    diff = _knp.subtract(_knp.expand_dims(x, -2), _knp.expand_dims(y, -3))
    return _knp.sqrt(_knp.sum(_knp.multiply(diff, diff), axis=-1))


@symbolic
def gammainc(x1, x2):
    """The regularized lower incomplete gamma function P(x1, x2) = γ(x1, x2) / Γ(x1), elementwise,
    as keras.ops.gammainc (JAX's values at the edges: NaN for negative arguments, P(0, x > 0) = 1).
    Gradients in both arguments (d/dx1 from the series run on dual numbers). An engine kernel on
    the CPU; on the GPU it runs through the host."""
    return _core.gammainc(x1, x2)


@symbolic
def logdet(x):
    """log|det| of each (..., M, M) matrix (Keras's logdet, of hermitian positive definite
    matrices: slogdet's second part)."""
    return _knp.slogdet(x)[1]


@symbolic
def view_as_complex(x):
    """The complex64 tensor of shape x.shape[:-1] whose real and imaginary parts are x[..., 0] and
    x[..., 1] (complex64 whatever x's float width, as Keras's)."""
    x = convert_to_tensor(x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(f"Last dimension of input must be size 2 (real and imaginary). Received shape: {tuple(x.shape)}")
    return _complex.ComplexTensor(cast(x, "float32"))


@symbolic
def view_as_real(x):
    """The real and imaginary parts of x side by side on a new last axis of 2: (..., 2). A real x
    gets zeros for its imaginary part."""
    x = convert_to_tensor(x)
    return _core.stack([x, zeros_like(x)], -1)
