"""keras.ops fft, fft2, ifft2, rfft, irfft, stft, istft and erfinv: against real Keras on JAX (the
oracle) in float32 on every device, against NumPy's FFT and the standard library's erf / erfc in
float64, and float64 gradients against finite differences."""
from __future__ import annotations

import math

import numpy as np
import pytest

import kerasish as K
from conftest import check_grad, to_np
from kerasish import ops
from oracle import keras_np, oracle, real_keras
from test_views_dtypes import DEVICES

R = np.random.default_rng(20250302)


def kt(keras, x):
    x = np.asarray(x)
    return keras.ops.convert_to_tensor(x, str(x.dtype))


def on(device, x):
    with K.device(device):
        return K.tensor(x)


def close(got, want, rtol, atol):
    got = to_np(got) if isinstance(got, K.Tensor) else np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol)


def pair(*shape, dtype=np.float64):
    return R.normal(size=shape).astype(dtype), R.normal(size=shape).astype(dtype)


# ---------------------------------------------------------------- fft, fft2, ifft2, rfft, irfft

@oracle
def test_complex_transforms_match_keras():
    keras = real_keras()
    for name, shape in [("fft", (3, 7)), ("fft", (8,)), ("fft2", (2, 5, 6)), ("ifft2", (2, 4, 7)), ("ifft2", (3, 3))]:
        re, im = pair(*shape, dtype=np.float32)
        want = getattr(keras.ops, name)((kt(keras, re), kt(keras, im)))
        for device in DEVICES:
            got = getattr(ops, name)((on(device, re), on(device, im)))
            assert isinstance(got, tuple) and got[0].dtype == "float32" and got[0].device == device
            for g, w in zip(got, want):
                close(g, keras_np(w), 1e-4, 1e-4)


@oracle
def test_real_transforms_match_keras():
    keras = real_keras()
    x = R.normal(size=(3, 7)).astype(np.float32)
    for n in (None, 4, 7, 10):
        want = keras.ops.rfft(kt(keras, x), n)
        for device in DEVICES:
            got = ops.rfft(on(device, x), n)
            for g, w in zip(got, want):
                close(g, keras_np(w), 1e-4, 1e-4)
    re, im = pair(3, 5, dtype=np.float32)
    for n in (None, 5, 9, 4, 12):
        want = keras_np(keras.ops.irfft((kt(keras, re), kt(keras, im)), n))
        for device in DEVICES:
            close(ops.irfft((on(device, re), on(device, im)), n), want, 1e-5, 1e-5)


def test_transforms_float64_match_numpy():
    re, im = pair(2, 6, 5)
    z = re + 1j * im
    for got, want in [(ops.fft((K.tensor(re), K.tensor(im))), np.fft.fft(z)),
                      (ops.fft2((K.tensor(re), K.tensor(im))), np.fft.fft2(z)),
                      (ops.ifft2((K.tensor(re), K.tensor(im))), np.fft.ifft2(z))]:
        assert got[0].dtype == "float64"
        close(got[0], want.real, 1e-12, 1e-12)
        close(got[1], want.imag, 1e-12, 1e-12)
    x = R.normal(size=(4, 9))
    for n in (None, 6, 9, 16):
        got = ops.rfft(K.tensor(x), n)
        close(got[0], np.fft.rfft(x, n).real, 1e-12, 1e-12)
        close(got[1], np.fft.rfft(x, n).imag, 1e-12, 1e-12)
    for n in (None, 7, 8, 3, 20):
        close(ops.irfft((K.tensor(re[0]), K.tensor(im[0])), n), np.fft.irfft(z[0], n), 1e-12, 1e-12)
    # a round trip of odd length
    back = ops.irfft(ops.rfft(K.tensor(x), 9), 9)
    close(back, x, 1e-12, 1e-12)


def test_transforms_gradients():
    re, im = pair(2, 5)
    check_grad(lambda a, b: ops.stack(ops.fft((a, b))), [re, im])
    check_grad(lambda a, b: ops.stack(ops.fft2((a, b))), [R.normal(size=(3, 4)), R.normal(size=(3, 4))])
    check_grad(lambda a, b: ops.stack(ops.ifft2((a, b))), [R.normal(size=(3, 4)), R.normal(size=(3, 4))])
    check_grad(lambda a: ops.stack(ops.rfft(a, 7)), [R.normal(size=(2, 5))])
    check_grad(lambda a, b: ops.irfft((a, b), 7), [re[:, :4], im[:, :4]])


def test_transforms_errors():
    re = K.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="tuple of two tensors"):
        ops.fft(re)
    with pytest.raises(ValueError, match="same shape"):
        ops.fft((re, K.tensor(np.zeros((2, 4)))))
    with pytest.raises(ValueError, match="not of type float"):
        ops.fft((re, K.tensor(np.zeros((2, 3), np.int64))))
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.fft2((K.tensor(np.zeros(3)), K.tensor(np.zeros(3))))
    with pytest.raises(ValueError, match="fft_length"):
        ops.rfft(re, 0)


def test_transforms_symbolic():
    x = K.Input((5, 8))
    re, im = ops.fft((x, x))
    assert re.shape == (None, 5, 8) and im.shape == (None, 5, 8)
    assert ops.rfft(x, 10)[0].shape == (None, 5, 6)
    assert ops.irfft((x, x)).shape == (None, 5, 14)


# ---------------------------------------------------------------- stft / istft

STFT_CASES = [(16, 4, 16, "hann", True), (10, 3, 16, "hamming", True), (12, 5, 12, None, False),
              (9, 2, 13, "array", True), (6, 3, 32, "hann", True)]


def _window(w, n):
    return np.linspace(0.1, 1.0, n) if w == "array" else w


@oracle
@pytest.mark.parametrize("case", STFT_CASES, ids=[str(c) for c in STFT_CASES])
def test_stft_istft_match_keras(case):
    keras = real_keras()
    sl, ss, fl, w, center = case
    x = R.normal(size=(2, 40)).astype(np.float32)
    win = _window(w, sl)
    kwin = kt(keras, win.astype(np.float32)) if isinstance(win, np.ndarray) else win
    want = keras.ops.stft(kt(keras, x), sl, ss, fl, kwin, center)
    back = {L: keras_np(keras.ops.istft((want[0], want[1]), sl, ss, fl, L, kwin, center)) for L in (None, 30)}
    for device in DEVICES:
        dwin = on(device, win.astype(np.float32)) if isinstance(win, np.ndarray) else win
        got = ops.stft(on(device, x), sl, ss, fl, dwin, center)
        assert got[0].shape == tuple(want[0].shape) and got[0].device == device
        for g, wnt in zip(got, want):
            close(g, keras_np(wnt), 1e-4, 1e-4)
        for L, b in back.items():
            close(ops.istft(got, sl, ss, fl, L, dwin, center), b, 1e-4, 1e-4)


@oracle
def test_stft_istft_float64_match_keras():
    keras = real_keras()
    x = R.normal(size=(3, 33))
    want = keras.ops.stft(kt(keras, x), 8, 3, 10)
    got = ops.stft(K.tensor(x), 8, 3, 10)
    assert got[0].dtype == "float64"
    for g, w in zip(got, want):
        close(g, keras_np(w), 1e-12, 1e-12)
    close(ops.istft(got, 8, 3, 10), keras_np(keras.ops.istft(want, 8, 3, 10)), 1e-12, 1e-12)


def _np_istft(re, im, sl, ss, fl, window, center):
    """scipy's / JAX's istft with Keras's scaling, written out with NumPy (the reference where
    JAX's istft is wrong: it reads noverlap=0, a stride of a whole frame, as "the default")."""
    frames = np.fft.irfft(re + 1j * im, fl, axis=-1)
    l_pad = (fl - sl) // 2
    win = np.zeros(fl)
    base = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(sl) / sl) if window == "hann" else np.ones(sl)
    win[l_pad:l_pad + sl] = base
    n = frames.shape[-2]
    total = fl + ss * (n - 1)
    out, norm = np.zeros(frames.shape[:-2] + (total,)), np.zeros(total)
    for f in range(n):
        out[..., f * ss:f * ss + fl] += frames[..., f, :] * win
        norm[f * ss:f * ss + fl] += win ** 2
    out = out / np.where(norm > 1e-10, norm, 1.0)
    start = fl // 2 if center else 0
    return out[..., start:total - (fl // 2 if center else 0)]


def test_stft_istft_whole_frame_stride_and_roundtrip():
    x = R.normal(size=(2, 40))
    for sl, ss, fl, center in [(8, 8, 8, False), (8, 4, 8, True), (16, 4, 16, True)]:
        spec = ops.stft(K.tensor(x), sl, ss, fl, "hann", center)
        close(ops.istft(spec, sl, ss, fl, window="hann", center=center),
              _np_istft(to_np(spec[0]), to_np(spec[1]), sl, ss, fl, "hann", center), 1e-12, 1e-12)
    # with overlapping hann windows istft inverts stft away from the ends
    spec = ops.stft(K.tensor(x), 16, 4, 16)
    close(ops.istft(spec, 16, 4, 16, length=40), x, 1e-10, 1e-10)


def test_stft_istft_gradients():
    x = R.normal(size=(1, 12))
    check_grad(lambda t: ops.stack(ops.stft(t, 6, 2, 8)), [x])
    spec = ops.stft(K.tensor(x), 6, 2, 8)
    check_grad(lambda a, b: ops.istft((a, b), 6, 2, 8), [to_np(spec[0]), to_np(spec[1])])


def test_stft_errors():
    x = K.tensor(np.zeros((2, 20)))
    with pytest.raises(ValueError, match="sequence_stride"):
        ops.stft(x, 4, 0, 4)
    with pytest.raises(ValueError, match="fft_length"):
        ops.stft(x, 8, 2, 4)
    with pytest.raises(ValueError, match="hann"):
        ops.stft(x, 4, 2, 4, window="blackman")
    with pytest.raises(TypeError, match="float32"):
        ops.stft(K.tensor(np.zeros((2, 20), np.int64)), 4, 2, 4)
    with pytest.raises(ValueError, match="shape of `window`"):
        ops.stft(x, 4, 2, 4, window=K.tensor(np.ones(5)))


# ---------------------------------------------------------------- erfinv

@oracle
def test_erfinv_matches_keras():
    keras = real_keras()
    x = np.concatenate([np.linspace(-0.999, 0.999, 301), [0.0, 1.0, -1.0, 1.5, -2.0, np.nan]]).astype(np.float32)
    want = keras_np(keras.ops.erfinv(kt(keras, x)))
    for device in DEVICES:
        got = ops.erfinv(on(device, x))
        assert got.dtype == "float32"
        close(got, want, 2e-6, 2e-6)
    x64 = np.concatenate([np.linspace(-0.9999, 0.9999, 2001), 1 - np.logspace(-15, -2, 50)])
    close(ops.erfinv(K.tensor(x64)), keras_np(keras.ops.erfinv(kt(keras, x64))), 1e-10, 0)  # JAX's own error ~1e-11


def test_erfinv_float64_against_math_erf():
    """Full float64 precision everywhere: erf(y) = x by the standard library's erf, and in the
    tails 1 - |x| = erfc(|y|) to a relative 1e-14 (erfc has full relative precision there)."""
    centre = np.linspace(-0.995, 0.995, 4001)
    y = to_np(ops.erfinv(K.tensor(centre)))
    np.testing.assert_allclose([math.erf(v) for v in y], centre, rtol=0, atol=4e-16)
    rest = np.logspace(-16, -2.5, 300)
    for sign in (1.0, -1.0):
        y = to_np(ops.erfinv(K.tensor(sign * (1 - rest))))
        np.testing.assert_allclose([math.erfc(abs(v)) for v in y], 1 - (1 - rest), rtol=1e-13)
        assert np.all(np.sign(y) == sign)
    tiny = np.array([1e-300, -1e-20, 5e-10])
    close(ops.erfinv(K.tensor(tiny)), tiny * math.sqrt(math.pi) / 2, 1e-15, 0)
    edge = to_np(ops.erfinv(K.tensor(np.array([1.0, -1.0, 1.0000001, -3.0, np.nan]))))
    assert edge[0] == np.inf and edge[1] == -np.inf and np.all(np.isnan(edge[2:]))
    assert ops.erfinv(K.tensor(np.array([0, 1]))).dtype == "float32"


def test_erfinv_gradient():
    x = np.array([[-0.95, -0.5, -0.01], [0.2, 0.7, 0.999]])
    check_grad(ops.erfinv, [x], rtol=1e-6)
    t = K.tensor(x, requires_grad=True)
    y = ops.erfinv(t)
    ops.sum(y).backward()
    close(t.grad, math.sqrt(math.pi) / 2 * np.exp(to_np(y) ** 2), 1e-14, 0)  # exact: 1 / erf'(y)
