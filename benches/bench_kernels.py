"""Kernel benchmarks: each kerasish case has its NumPy twin in the same pytest-benchmark group.

Run with a release build:  python -m pytest benches --benchmark-only --benchmark-group-by=group
"""
import numpy as np
import pytest

import kerasish as ks
from kerasish import ops

N10M = 10_000_000


def _f32(rng, *shape):
    return rng.standard_normal(shape, dtype=np.float32)


@pytest.mark.parametrize("n", [256, 1024, 2048])
@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_matmul(benchmark, rng, n, lib):
    benchmark.group = f"matmul float32 {n}"
    a, b = _f32(rng, n, n), _f32(rng, n, n)
    if lib == "numpy":
        benchmark(np.matmul, a, b)
    else:
        ta, tb = ks.tensor(a), ks.tensor(b)
        out = benchmark(ops.matmul, ta, tb)
        np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-3, atol=1e-2)


@pytest.mark.parametrize("name", ["add", "multiply"])
@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_binary_10m(benchmark, rng, name, lib):
    benchmark.group = f"{name} 10M float32"
    a, b = _f32(rng, N10M), _f32(rng, N10M)
    if lib == "numpy":
        benchmark(getattr(np, name), a, b)
    else:
        benchmark(getattr(ops, name), ks.tensor(a), ks.tensor(b))


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_exp_10m(benchmark, rng, lib):
    benchmark.group = "exp 10M float32"
    a = _f32(rng, N10M)
    if lib == "numpy":
        benchmark(np.exp, a)
    else:
        out = benchmark(ops.exp, ks.tensor(a))
        np.testing.assert_allclose(out.numpy()[:1000], np.exp(a[:1000]), rtol=1e-6)


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_sum_10m(benchmark, rng, lib):
    benchmark.group = "sum 10M float32"
    a = _f32(rng, N10M)
    if lib == "numpy":
        benchmark(np.sum, a)
    else:
        benchmark(ops.sum, ks.tensor(a))


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_softmax(benchmark, rng, lib):
    benchmark.group = "softmax 1000x1000 float32"
    a = _f32(rng, 1000, 1000)
    if lib == "numpy":
        benchmark(_np_softmax, a)
    else:
        out = benchmark(ops.softmax, ks.tensor(a))
        np.testing.assert_allclose(out.numpy(), _np_softmax(a), rtol=1e-5, atol=1e-7)


def _np_conv_same(x, k):
    """im2col with a strided view, then one matmul: NumPy's best short path."""
    kh, kw = k.shape[:2]
    xp = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))  # n, h, w, c, kh, kw
    cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(x.shape[0] * x.shape[1] * x.shape[2], -1)
    return (cols @ k.reshape(-1, k.shape[-1])).reshape(x.shape[:3] + (k.shape[-1],))


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_conv(benchmark, rng, lib):
    benchmark.group = "conv 100x28x28x32 -> 64, 3x3 same"
    x, k = _f32(rng, 100, 28, 28, 32), _f32(rng, 3, 3, 32, 64)
    if lib == "numpy":
        benchmark(_np_conv_same, x, k)
    else:
        out = benchmark(ops.conv, ks.tensor(x), ks.tensor(k), 1, "same")
        np.testing.assert_allclose(out.numpy(), _np_conv_same(x, k), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_conv_first_layer(benchmark, rng, lib):
    """The CNN's first layer: one input channel, so patch rows of 9 (the direct kernel)."""
    benchmark.group = "conv 100x28x28x1 -> 32, 3x3 same"
    x, k = _f32(rng, 100, 28, 28, 1), _f32(rng, 3, 3, 1, 32)
    if lib == "numpy":
        benchmark(_np_conv_same, x, k)
    else:
        out = benchmark(ops.conv, ks.tensor(x), ks.tensor(k), 1, "same")
        np.testing.assert_allclose(out.numpy(), _np_conv_same(x, k), rtol=1e-4, atol=1e-4)


def _np_conv_backward(x, k, g):
    """Both gradients of a 3x3 same conv: dW = cols^T @ g, dX = col2im(g @ W^T)."""
    n, h, w, c = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(1, 2))
    cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, -1)
    g2 = g.reshape(n * h * w, -1)
    dw = (cols.T @ g2).reshape(k.shape)
    dcols = (g2 @ k.reshape(-1, k.shape[-1]).T).reshape(n, h, w, 3, 3, c)
    dxp = np.zeros_like(xp)
    for a in range(3):
        for b in range(3):
            dxp[:, a:a + h, b:b + w, :] += dcols[:, :, :, a, b, :]
    return dw, dxp[:, 1:-1, 1:-1, :]


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_conv_backward(benchmark, rng, lib):
    """The CNN's second layer, forward and both gradients (the largest part of a training step)."""
    benchmark.group = "conv forward + backward 100x14x14x32 -> 64, 3x3 same"
    x, k, g = _f32(rng, 100, 14, 14, 32), _f32(rng, 3, 3, 32, 64), _f32(rng, 100, 14, 14, 64)
    if lib == "numpy":
        benchmark(lambda: (_np_conv_same(x, k), _np_conv_backward(x, k, g)))
    else:
        tx, tk, tg = ks.tensor(x, requires_grad=True), ks.tensor(k, requires_grad=True), ks.tensor(g)

        def step():
            tx.grad = tk.grad = None
            ops.conv(tx, tk, 1, "same").backward(tg)
        benchmark(step)
        dw, dx = _np_conv_backward(x, k, g)
        np.testing.assert_allclose(tk.grad.numpy(), dw, rtol=1e-3, atol=1e-2)
        np.testing.assert_allclose(tx.grad.numpy(), dx, rtol=1e-3, atol=1e-3)


def _np_max_pool_fb(x, g):
    n, h, w, c = x.shape
    y = x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
    def up(t):
        return t.repeat(2, axis=1).repeat(2, axis=2)

    return y, (x == up(y)) * up(g)


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_max_pool_forward_backward(benchmark, rng, lib):
    benchmark.group = "max_pool 2x2 forward + backward 100x28x28x32"
    x, g = _f32(rng, 100, 28, 28, 32), _f32(rng, 100, 14, 14, 32)
    if lib == "numpy":
        benchmark(_np_max_pool_fb, x, g)
    else:
        tx, tg = ks.tensor(x, requires_grad=True), ks.tensor(g)

        def step():
            tx.grad = None
            ops.max_pool(tx, 2).backward(tg)
        benchmark(step)
        np.testing.assert_array_equal(tx.grad.numpy(), _np_max_pool_fb(x, g)[1])


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_adam_update(benchmark, rng, lib):
    """One Adam step on a 784x256 kernel (the MLP's first layer), in place."""
    benchmark.group = "adam update 784x256 float32"
    w, g = _f32(rng, 784, 256), _f32(rng, 784, 256)
    m, v = np.zeros_like(w), np.zeros_like(w)
    if lib == "numpy":
        def np_adam():
            m[...] += (g - m) * 0.1
            v[...] += (g * g - v) * 0.001
            w[...] -= 1e-3 * m / (np.sqrt(v) + 1e-7)
        benchmark(np_adam)
    else:
        from kerasish import _core
        tw, tg, tm, tv = (ks.tensor(a) for a in (w, g, m, v))
        lr, it = ks.tensor(1e-3), ks.tensor(0, dtype="int64")
        benchmark(_core.adam_update, tw, tg, tm, tv, None, lr, it, 0.9, 0.999, 1e-7)


def _python_dot(a, b):
    s = 0.0
    for i in range(len(a)):
        s += a[i] * b[i]
    return s


@pytest.mark.parametrize("lib", ["kerasish", "numpy", "python-loop"])
def test_vectorization_dot_1m(benchmark, rng, lib):
    """The course's vectorisation demo: a dot product of two 1M vectors."""
    benchmark.group = "dot of two 1M vectors"
    a, b = rng.random(1_000_000), rng.random(1_000_000)
    if lib == "numpy":
        benchmark(np.dot, a, b)
    elif lib == "python-loop":
        la, lb = a.tolist(), b.tolist()
        benchmark.pedantic(_python_dot, (la, lb), rounds=3, iterations=1)
    else:
        out = benchmark(ops.dot, ks.tensor(a), ks.tensor(b))
        assert abs(out.item() - np.dot(a, b)) < 1e-6 * abs(np.dot(a, b))


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_small_add(benchmark, rng, lib):
    """Fixed cost of one op on a 4x10 tensor."""
    benchmark.group = "add 4x10 (per-op overhead)"
    a, b = _f32(rng, 4, 10), _f32(rng, 4, 10)
    if lib == "numpy":
        benchmark(np.add, a, b)
    else:
        ta, tb = ks.tensor(a), ks.tensor(b)
        benchmark(lambda: ta + tb)
