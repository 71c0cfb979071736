"""Every program in examples/ runs (in its quick mode, KERASISH_EXAMPLE_QUICK=1) and prints its key result."""
import importlib.util
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
DATASETS = os.environ.get("KERASISH_DATASETS") or os.path.join(ROOT, "..", "shared", "datasets")
HAVE_MNIST = os.path.isdir(os.path.join(DATASETS, "mnist"))

# example -> (needs MNIST, regular expressions its output must match)
CASES = {
    "tensor_autograd_demo": (False, [r"x\.grad == y: True", r"after 100 steps: W = 2\.0"]),
    "tensor_basics": (False, [r"t2: rank 2 shape \(4, 3\)", r"ops\.matmul\(a, b\) gives the same: True",
                              r"argmax\(axis=1\) \(column of each row's max\): \[2 0\]"]),
    "autograd": (False, [r"hand-written and automatic gradients agree: True"]),
    "linear_regression": (False, [r"W = (1\.[6-9]|2\.[0-3])\d* \(target 2\)", r"predict\(\[\[5\], \[2\.5\]\]\)"]),
    "multivariable_regression": (False, [r"prediction   target", r"predicted final for scores \(90, 90, 90\)"]),
    "logistic_regression": (False, [r"low-level accuracy: \d\.\d\d", r"keras accuracy: \d\.\d\d"]),
    "xor": (False, [r"one layer: loss 0\.69", r"hand backprop 2-2-1: loss", r"XOR solved by the deep network: (True|False)"]),
    "mnist_softmax": (True, [r"test accuracy: 0\.[5-9]", r"label: \d  prediction: \d"]),
    "mnist_mlp_dropout": (True, [r"test accuracy: 0\.[5-9]"]),
    "mnist_cnn": (True, [r"Total params: 50,186", r"time per epoch: [\d.]+ s", r"test accuracy: 0\.[4-9]"]),
    "optimizers_compared": (True, [r"optimizer\s+final train loss", r"Adam\s+\d\.\d{4}", r"lowest final training loss: \w"]),
    "overfitting": (True, [r"== 1\. big MLP", r"validation loss / accuracy, Dropout \+ EarlyStopping: \d\.\d{4}"]),
}


def test_every_example_is_covered():
    found = {f[:-3] for f in os.listdir(EXAMPLES) if f.endswith(".py")}
    assert found == set(CASES), f"examples without a test case: {found - set(CASES)}; missing files: {set(CASES) - found}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs(name, tmp_path):
    needs_mnist, patterns = CASES[name]
    if needs_mnist and not HAVE_MNIST:
        pytest.skip(f"needs the MNIST files under {DATASETS}/mnist")
    env = dict(os.environ, KERASISH_EXAMPLE_QUICK="1", KERASISH_DATASETS=DATASETS, PYTHONIOENCODING="utf-8")
    args = [sys.executable, os.path.join(EXAMPLES, name + ".py")]
    if name == "overfitting":
        args.append(str(tmp_path / "overfitting.png"))  # keep any plot out of the source tree
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{name} exited with {proc.returncode}:\n{output[-3000:]}"
    for pattern in patterns:
        assert re.search(pattern, proc.stdout), f"{name}: no line matching {pattern!r} in:\n{proc.stdout[-3000:]}"
    if name == "overfitting" and importlib.util.find_spec("matplotlib") is not None:
        png = tmp_path / "overfitting.png"
        assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "the loss curves were not plotted"
