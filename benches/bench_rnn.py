"""Recurrent layers: an LSTM of 128 units over 100 steps of 32 features, batch 64 (issue 16's
workload), forward, and training steps with SGD, each against the same work written by hand in
NumPy (forward, and back-propagation through time) in the same group.

Run with a release build:  python -m pytest benches/bench_rnn.py --benchmark-only
"""
import numpy as np
import pytest

import kerasish as keras

B, T, F, U = 64, 100, 32, 128
STEPS = 5  # training steps timed per round


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def numpy_lstm_forward(x, k, rk, b):
    h = np.zeros((x.shape[0], rk.shape[0]), x.dtype)
    c = np.zeros_like(h)
    xp = x @ k + b
    cache = []
    for t in range(x.shape[1]):
        i, f, g, o = np.split(xp[:, t] + h @ rk, 4, axis=1)
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        c_prev, h_prev = c, h
        c = f * c + i * g
        h = o * np.tanh(c)
        cache.append((i, f, g, o, c_prev, c, h_prev))
    return h, cache


def numpy_lstm_sgd_step(x, y, w, lr=0.01):
    """One SGD step of LSTM -> Dense(1) under mean squared error, gradients by hand (BPTT)."""
    k, rk, b, wd, bd = w
    h, cache = numpy_lstm_forward(x, k, rk, b)
    pred = h @ wd + bd
    dpred = 2 * (pred - y) / y.size
    grads = [np.zeros_like(k), np.zeros_like(rk), np.zeros_like(b), h.T @ dpred, dpred.sum(0)]
    dh, dc = dpred @ wd.T, np.zeros_like(h)
    for t in range(x.shape[1] - 1, -1, -1):
        i, f, g, o, c_prev, c, h_prev = cache[t]
        tc = np.tanh(c)
        dc = dc + dh * o * (1 - tc * tc)
        dz = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                             dh * tc * o * (1 - o)], axis=1)
        grads[0] += x[:, t].T @ dz
        grads[1] += h_prev.T @ dz
        grads[2] += dz.sum(0)
        dh, dc = dz @ rk.T, dc * f
    for p, g in zip(w, grads):
        p -= lr * g


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((B * STEPS, T, F), dtype=np.float32), rng.standard_normal((B * STEPS, 1), dtype=np.float32)


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((T, F)), keras.layers.LSTM(U), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    return model


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_lstm_forward(benchmark, data, lib):
    benchmark.group = f"LSTM forward: batch {B}, {T} steps, {F} -> {U}"
    x = data[0][:B]
    layer = _model().layers[0]
    k, rk, b = layer.get_weights()
    if lib == "numpy":
        benchmark(numpy_lstm_forward, x, k, rk, b)
    else:
        out = benchmark(layer, x)
        np.testing.assert_allclose(out.numpy(), numpy_lstm_forward(x, k, rk, b)[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("lib", ["kerasish", "numpy"])
def test_lstm_training_steps(benchmark, data, lib):
    benchmark.group = f"LSTM training, SGD: {STEPS} batches of {B}, {T} steps, {F} -> {U}, Dense(1), mse"
    x, y = data
    model = _model()
    if lib == "numpy":
        w = [np.array(a) for a in model.get_weights()]

        def run():
            for s in range(STEPS):
                numpy_lstm_sgd_step(x[s * B:(s + 1) * B], y[s * B:(s + 1) * B], w)

        benchmark.pedantic(run, rounds=2, iterations=1)
    else:
        model.fit(x[:B], y[:B], batch_size=B, epochs=1, verbose=0)  # the traced step, made once
        benchmark.pedantic(model.fit, (x, y), {"batch_size": B, "epochs": 1, "verbose": 0, "shuffle": False},
                           rounds=2, iterations=1)
