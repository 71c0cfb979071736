"""One epoch of the course's models with model.fit (issue: fit at the machine's speed).

MNIST, 60000 images, batch 100. Run with a release build:
    python -m pytest benches/bench_epochs.py --benchmark-only
The XOR group has the same 10001 full-batch steps written by hand in NumPy as its baseline.
"""
import os

import numpy as np
import pytest

import kerasish as keras
from kerasish import _core, layers

SHARED = os.environ.get("KERASISH_DATASETS") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets")


@pytest.fixture(scope="module")
def mnist():
    if not os.path.isdir(os.path.join(SHARED, "mnist")):
        pytest.skip("needs the MNIST files (KERASISH_DATASETS)")
    (x, y), _ = keras.datasets.mnist.load_data(path=os.path.join(SHARED, "mnist"))
    return x.astype("float32") / 255.0, y


def _epoch(benchmark, model, x, y, optimizer):
    keras.utils.set_random_seed(0)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    _core.reset_peak_memory()
    before = _core.memory_stats()[0]
    benchmark.pedantic(model.fit, (x, y), {"batch_size": 100, "epochs": 1, "verbose": 0}, rounds=1, iterations=1)
    # the memory report: the most held by tensors during the epoch (the dataset stays NumPy; its
    # batches are copied from it into the compiled step's input tensors)
    benchmark.extra_info["peak_tensor_MiB"] = round((_core.memory_stats()[1] - before) / 2**20, 1)
    benchmark.extra_info["dataset_MiB"] = round(x.nbytes / 2**20, 1)
    with keras.no_grad():
        h, acts = keras.tensor(x[:100]), 0
        for layer in model.layers:
            h = layer(h)
            acts += h.size * 4
    benchmark.extra_info["one_batch_activations_MiB"] = round(acts / 2**20, 1)
    print(f"\n{benchmark.group}: peak tensor memory {benchmark.extra_info['peak_tensor_MiB']} MiB "
          f"(one batch's forward activations {benchmark.extra_info['one_batch_activations_MiB']} MiB, "
          f"dataset {benchmark.extra_info['dataset_MiB']} MiB as NumPy)")


def test_cnn_epoch(benchmark, mnist):
    benchmark.group = "one MNIST epoch: CNN conv32-pool-conv64-pool-dense10, Adam"
    x, y = mnist
    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, padding="same", activation="relu"),
                              layers.MaxPooling2D(2), layers.Conv2D(64, 3, padding="same", activation="relu"),
                              layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10)])
    _epoch(benchmark, model, x[..., None], y, keras.optimizers.Adam(1e-3))


def test_mlp_epoch(benchmark, mnist):
    benchmark.group = "one MNIST epoch: MLP 784-256-256-10, Adam"
    x, y = mnist
    model = keras.Sequential([keras.Input((784,)), layers.Dense(256, activation="relu"),
                              layers.Dense(256, activation="relu"), layers.Dense(10)])
    _epoch(benchmark, model, x.reshape(-1, 784), y, keras.optimizers.Adam(1e-3))


def test_softmax_epoch(benchmark, mnist):
    benchmark.group = "one MNIST epoch: softmax regression, SGD 0.1"
    x, y = mnist
    model = keras.Sequential([keras.Input((784,)), layers.Dense(10)])
    _epoch(benchmark, model, x.reshape(-1, 784), y, keras.optimizers.SGD(0.1))


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], np.float32)
STEPS = 10001


def _numpy_xor(steps=STEPS, lr=1.0):
    """The course's 2-10-10-10-1 sigmoid net trained by hand in NumPy (the baseline)."""
    rng = np.random.default_rng(0)
    sizes = [2, 10, 10, 10, 1]
    ws = [rng.uniform(-1, 1, (a, b)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]
    bs = [np.zeros(b, np.float32) for b in sizes[1:]]
    for _ in range(steps):
        acts = [XOR_X]
        for w, b in zip(ws, bs):
            acts.append(1.0 / (1.0 + np.exp(-(acts[-1] @ w + b))))
        p = acts[-1]
        delta = (p - XOR_Y) / len(XOR_X)  # d(BCE)/d(logit) for a sigmoid output
        for i in range(len(ws) - 1, -1, -1):
            gw, gb = acts[i].T @ delta, delta.sum(0)
            if i:
                delta = (delta @ ws[i].T) * acts[i] * (1 - acts[i])
            ws[i] -= lr * gw
            bs[i] -= lr * gb
    return p


@pytest.mark.parametrize("lib", ["kerasish-fit", "numpy-by-hand"])
def test_xor_10001_steps(benchmark, lib):
    benchmark.group = "XOR 2-10-10-10-1 sigmoid, 10001 full-batch steps"
    if lib == "numpy-by-hand":
        p = benchmark.pedantic(_numpy_xor, rounds=1, iterations=1)
    else:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((2,))] + [layers.Dense(10, activation="sigmoid") for _ in range(3)]
                                 + [layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.SGD(1.0), loss="binary_crossentropy")
        benchmark.pedantic(model.fit, (XOR_X, XOR_Y), {"batch_size": 4, "epochs": STEPS, "verbose": 0},
                           rounds=1, iterations=1)
        p = model.predict(XOR_X, verbose=0)
    assert ((p > 0.5) == (XOR_Y > 0.5)).all()
