"""GPU benchmarks (the cargo feature ``gpu``): matmul float32 and one MNIST epoch on the GPU.

Skipped without the feature or an adapter. On a CPU adapter (Mesa's lavapipe) only the small
matmul runs: its timings say nothing about GPUs, and the large cases would take minutes there.
On real hardware (the issue's goals: matmul 4096 >= 20 TFLOP/s, one CNN epoch <= 1.5 s):
    python -m pytest benches/bench_gpu.py --benchmark-only
Each matmul round ends by reading one element back, which waits for the GPU.
"""
import os

import numpy as np
import pytest

import kerasish as keras
from kerasish import _core, layers, ops

_BUILT, _INFO = _core.gpu_info()
if not _BUILT or "no GPU adapter" in _INFO:
    pytest.skip(f"no GPU: {_INFO}", allow_module_level=True)
_CPU_ADAPTER = ", Cpu)" in _INFO
SHARED = os.environ.get("KERASISH_DATASETS") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets")


@pytest.mark.parametrize("n", [256, 1024, 4096])
def test_gpu_matmul(benchmark, rng, n):
    if _CPU_ADAPTER and n > 256:
        pytest.skip(f"matmul {n} on a CPU adapter ({_INFO}): minutes, and not a GPU figure")
    benchmark.group = f"gpu matmul float32 {n}"
    a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
    ta, tb = keras.tensor(a).to("gpu"), keras.tensor(b).to("gpu")

    def run():
        return ops.matmul(ta, tb)[0, 0].item()

    benchmark(run)
    if benchmark.stats is not None:
        benchmark.extra_info["TFLOP/s (min)"] = round(2 * n**3 / benchmark.stats["min"] / 1e12, 2)
    benchmark.extra_info["adapter"] = _INFO
    np.testing.assert_allclose(ops.matmul(ta, tb).numpy(), a @ b, rtol=1e-3, atol=1e-2 * np.sqrt(n))


@pytest.fixture(scope="module")
def mnist():
    if _CPU_ADAPTER:
        pytest.skip(f"an MNIST epoch on a CPU adapter ({_INFO}) takes many minutes")
    if not os.path.isdir(os.path.join(SHARED, "mnist")):
        pytest.skip("needs the MNIST files (KERASISH_DATASETS)")
    (x, y), _ = keras.datasets.mnist.load_data(path=os.path.join(SHARED, "mnist"))
    return x.astype("float32") / 255.0, y


def _epoch(benchmark, build, x, y):
    keras.utils.set_random_seed(0)
    with keras.device("gpu"):
        model = build()
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        benchmark.pedantic(model.fit, (x, y), {"batch_size": 100, "epochs": 1, "verbose": 0}, rounds=1, iterations=1)
    benchmark.extra_info["adapter"] = _INFO


def test_gpu_cnn_epoch(benchmark, mnist):
    benchmark.group = "gpu: one MNIST epoch, CNN conv32-pool-conv64-pool-dense10, Adam"
    x, y = mnist
    _epoch(benchmark, lambda: keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10),
    ]), x[..., None], y)


def test_gpu_mlp_epoch(benchmark, mnist):
    benchmark.group = "gpu: one MNIST epoch, MLP 784-256-256-10, Adam"
    x, y = mnist
    _epoch(benchmark, lambda: keras.Sequential([
        keras.Input((784,)), layers.Dense(256, activation="relu"), layers.Dense(256, activation="relu"), layers.Dense(10),
    ]), x.reshape(-1, 784), y)
