"""The GPU device (cargo feature ``gpu``: WGSL kernels through wgpu), checked against the CPU.

Every op that has a GPU kernel is run on the same data on both devices and compared at float32
tolerance, with broadcasting, strided / transposed views and size-0 / size-1 dims; gradients on
the GPU are compared with the CPU's and with float32 finite differences. Runs on any adapter
wgpu finds; CI uses Mesa's lavapipe (Vulkan on the CPU). The module is skipped when the build
has no ``gpu`` feature or no adapter is found, unless ``KERASISH_REQUIRE_GPU=1`` (set by .ci/run),
which turns the skip into a failure.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasish as K
from conftest import assert_compiled
from kerasish import _core, ops

_BUILT, _INFO = _core.gpu_info()
_REQUIRE = os.environ.get("KERASISH_REQUIRE_GPU") == "1"
if not _BUILT or "no GPU adapter" in _INFO or "refused" in _INFO or "panicked" in _INFO:
    if _REQUIRE:
        raise RuntimeError(f"KERASISH_REQUIRE_GPU=1 but the GPU is not usable: {_INFO}")
    pytest.skip(f"no GPU: {_INFO}", allow_module_level=True)

RTOL, ATOL = 2e-5, 2e-6


@pytest.fixture(autouse=True)
def _cpu_default():
    _core.set_device("cpu")
    yield
    _core.set_device("cpu")


def gpu(a, dtype=None):
    return K.tensor(a, dtype=dtype).to("gpu")


def same(g, c, rtol=RTOL, atol=ATOL):
    """A GPU result equals the CPU result (values, dtype, shape)."""
    assert g.device == "gpu", g.device
    assert c.device == "cpu"
    assert g.dtype == c.dtype, (g.dtype, c.dtype)
    assert g.shape == c.shape, (g.shape, c.shape)
    gv, cv = g.numpy(), c.numpy()
    if c.dtype in ("float32", "float64"):
        np.testing.assert_allclose(gv, cv, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(gv, cv)


def both(fn, *arrays, rtol=RTOL, atol=ATOL, dtype=None):
    """Runs fn on CPU tensors and on their GPU copies and compares."""
    cpu = [K.tensor(a, dtype=dtype) for a in arrays]
    gpus = [t.to("gpu") for t in cpu]
    same(fn(*gpus), fn(*cpu), rtol, atol)


def f32(rng, *shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


# ------------------------------------------------------------------------- devices and errors


def test_list_devices_finds_an_adapter():
    devs = K.config.list_devices()
    assert devs[0] == "cpu"
    assert any(d.startswith("gpu:") for d in devs), devs


def test_list_devices_finds_lavapipe_when_required():
    if os.environ.get("KERASISH_EXPECT_ADAPTER") is None:
        pytest.skip("KERASISH_EXPECT_ADAPTER not set")
    assert any(os.environ["KERASISH_EXPECT_ADAPTER"] in d for d in K.config.list_devices()), K.config.list_devices()


def test_roundtrip_every_dtype(rng):
    for a in [f32(rng, 3, 4), rng.integers(-1000, 1000, (5,)), np.array([True, False, True]),
              np.arange(7, dtype=np.uint8), np.float32(2.5), np.zeros((0, 3), np.float32)]:
        t = K.tensor(a)
        g = t.to("gpu")
        assert g.device == "gpu" and t.device == "cpu"
        back = g.to("cpu")
        assert back.device == "cpu" and back.dtype == t.dtype and back.shape == t.shape
        np.testing.assert_array_equal(back.numpy(), t.numpy())
        np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert gpu(np.float32(3.5)).item() == 3.5
    assert gpu(np.array(7)).item() == 7
    assert gpu(np.array(True)).item() is True
    assert "device=gpu" in repr(gpu([1.0, 2.0]))
    assert float(gpu([2.0])) == 2.0 and int(gpu([3])) == 3


def test_to_same_device_is_self_and_keeps_requires_grad():
    g = gpu([1.0, 2.0])
    assert g.to("gpu") is not None and g.to("gpu").device == "gpu"
    x = K.tensor([1.0, 2.0], requires_grad=True)
    xg = x.to("gpu")
    assert xg.requires_grad and xg.is_leaf


def test_float64_on_gpu_is_a_type_error():
    with pytest.raises(TypeError, match="float64 is not supported on the GPU"):
        K.tensor(np.ones(3)).to("gpu")
    with pytest.raises(TypeError, match="float64"):
        gpu([1.0, 2.0]).astype("float64")
    with pytest.raises(TypeError, match="float64"):
        gpu([1.0, 2.0]) + np.float64(1.0)


def test_int64_beyond_32_bits_is_a_value_error():
    with pytest.raises(ValueError, match="32-bit"):
        K.tensor(np.array([2**40])).to("gpu")


def test_mixing_devices_names_both():
    with pytest.raises(RuntimeError, match="same device.*gpu and cpu"):
        gpu([1.0, 2.0]) + K.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="same device"):
        ops.matmul(gpu(np.ones((2, 2), np.float32)), K.ones((2, 2)))
    # 0-d CPU scalars (Python numbers) mix with GPU tensors
    same(gpu([1.0, 2.0]) * 3 + K.tensor(np.float32(1)), K.tensor([1.0, 2.0]) * 3 + 1)


def test_assign_moves_the_value_to_the_destination_device(rng):
    # an explicit write into a tensor that lives somewhere: the value goes to it (as torch's copy_)
    a = f32(rng, 3, 4)
    c = K.Variable(np.zeros((3, 4), np.float32))
    c.assign(gpu(a))
    assert c.device == "cpu"
    np.testing.assert_array_equal(c.numpy(), a)
    with K.device("gpu"):
        g = K.Variable(np.zeros((3, 4), np.float32))
    g.assign(K.tensor(a))
    assert g.device == "gpu"
    np.testing.assert_array_equal(g.numpy(), a)


def test_metric_made_outside_the_gpu_scope_follows_a_gpu_fit(rng):
    # Keras scripts often make metric objects before the model; their state stays on the CPU
    # and takes the GPU values (they come out, like the loss)
    x, y = _blobs(rng, n=64)
    mae = K.metrics.MeanAbsoluteError()
    logs = {}
    for dev in ("cpu", "gpu"):
        K.utils.set_random_seed(2)
        with K.device(dev):
            model = K.Sequential([K.layers.Input((8,)), K.layers.Dense(1)])
            model.compile(optimizer="sgd", loss="mse", metrics=[mae])
            logs[dev] = model.fit(x, y.astype(np.float32), epochs=2, batch_size=16, verbose=0).history
    np.testing.assert_allclose(logs["gpu"]["mean_absolute_error"], logs["cpu"]["mean_absolute_error"], rtol=1e-3, atol=1e-4)
    assert mae.total.device == "cpu"


def test_layers_take_float64_numpy_data_on_the_gpu(rng):
    # as Keras: float inputs are cast to the layer's compute dtype, so float64 NumPy data works
    a = rng.standard_normal((4, 3))  # float64
    K.utils.set_random_seed(1)
    cpu_out = K.layers.Dense(2)(a)
    K.utils.set_random_seed(1)
    with K.device("gpu"):
        out = K.layers.Dense(2)(a)
    same(out, cpu_out)


def test_indexing_devices_follow_the_device_rule():
    x = gpu(np.arange(6, dtype=np.float32).reshape(2, 3))
    # take / take_along_axis are ops: their tensors are on one device (0-d cpu scalars mix)
    with pytest.raises(RuntimeError, match="take: expected all tensors on the same device.*gpu and cpu"):
        ops.take(x, K.tensor([0]), axis=1)
    with pytest.raises(RuntimeError, match="take_along_axis: expected all tensors on the same device"):
        ops.take_along_axis(x, K.tensor(np.zeros((2, 1), np.int64)), axis=1)
    with pytest.raises(RuntimeError, match="take: expected all tensors on the same device"):
        ops.take(x.to("cpu"), gpu([0]), axis=1)
    same(ops.take(x, K.tensor(np.int64(2))), ops.take(x.to("cpu"), K.tensor(np.int64(2))))
    # in x[key] the index arrays are part of the key, like ints and lists: cpu arrays go up
    same(x[[1, 0, 1]], x.to("cpu")[[1, 0, 1]])
    same(x[K.tensor([1, 0]), np.array([2, 2])], x.to("cpu")[[1, 0], [2, 2]])
    with pytest.raises(RuntimeError, match="tensor is on the cpu and an index array is on the gpu"):
        x.to("cpu")[gpu([0, 1])]


def test_set_device_and_context(rng):
    assert K.config.get_device() == "cpu"
    with K.device("gpu"):
        assert K.config.get_device() == "gpu"
        a = K.ones((2, 3))
        b = K.tensor(f32(rng, 2, 3))
        r = K.random.normal((4,), seed=1)
        z = K.zeros((3,), dtype="int64")
        assert {a.device, b.device, r.device, z.device, (a + b).device, ops.sum(a).device} == {"gpu"}
        assert ops.add(a, 1.0).device == "gpu"
    assert K.config.get_device() == "cpu" and K.ones((2,)).device == "cpu"
    assert K.config.set_device("gpu") == "gpu"
    assert K.ones((1,)).device == "gpu"
    assert K.config.set_device("cpu") == "cpu"
    assert K.config.set_device("auto") == "gpu"
    K.config.set_device("cpu")
    with pytest.raises(ValueError, match="unknown device"):
        K.config.set_device("tpu")


def test_like_constructors_follow_their_argument():
    g = gpu([[1.0, 2.0]])
    for t in (ops.zeros_like(g), ops.ones_like(g), K.zeros_like(g), K.ones_like(g)):
        assert t.device == "gpu" and t.shape == (1, 2)
    np.testing.assert_array_equal(ops.ones_like(g).numpy(), [[1.0, 1.0]])
    assert K.zeros((2,), dtype="float32").device == "cpu"
    assert _core.full((2,), 3.0, "float32", "gpu").device == "gpu"


def test_random_on_gpu_equals_cpu_draws():
    c = K.random.uniform((5, 3), seed=7)
    with K.device("gpu"):
        g = K.random.uniform((5, 3), seed=7)
    same(g, c, 0, 0)


def _draws(device, make_seed):
    """A run of uniform draws of awkward sizes (partial ChaCha blocks, buffer boundaries)."""
    seed = make_seed()
    with K.device(device):
        out = [K.random.uniform(shape, seed=seed) for shape in [(5, 3), (1,), (1000,), (7, 9), (64,), (3,)]]
        out.append(K.random.uniform((33,), minval=-3.0, maxval=5.0, seed=seed))
        out.append(K.random.normal((10,), seed=seed))  # drawn on the CPU: the stream stays in step
        out.append(K.random.uniform((17,), seed=seed))
    return out


@pytest.mark.parametrize("kind", ["global", "generator"])
def test_uniform_drawn_on_gpu_is_the_cpu_stream(kind):
    # float32 uniforms are drawn on the GPU (ChaCha8 in WGSL), at the generator's position: the
    # same numbers as the CPU's, and the generator moves on by the same amount
    def make_seed():
        if kind == "global":
            K.utils.set_random_seed(123)
            return None
        return K.random.SeedGenerator(123)
    cpu, gpus = _draws("cpu", make_seed), _draws("gpu", make_seed)
    for i, (g, c) in enumerate(zip(gpus, cpu)):
        if i == 6:  # low + (high - low) u: rounded in float32 on the GPU, from float64 on the CPU
            same(g, c, rtol=1e-6, atol=1e-6)
        else:
            same(g, c, 0, 0)


def test_uniform_on_gpu_large_draw_is_uniform():
    c = K.random.uniform((1 << 20,), seed=3)
    _core.reset_peak_memory()
    cpu_live = _core.memory_stats("cpu")[0]
    with K.device("gpu"):
        g = K.random.uniform((1 << 20,), seed=3)
    assert _core.memory_stats("cpu")[1] - cpu_live < 1 << 20  # drawn on the GPU: no 4 MB CPU tensor
    same(g, c, 0, 0)
    v = g.numpy()
    assert v.min() >= 0.0 and v.max() < 1.0
    assert abs(v.mean() - 0.5) < 2e-3 and abs(v.var() - 1 / 12) < 2e-3


_NO_ADAPTER = """
import kerasish as K
from kerasish import _core
assert K.config.list_devices() == ["cpu"], K.config.list_devices()
for call in (lambda: K.config.set_device("gpu"), lambda: K.ones((2,)).to("gpu")):
    try:
        call()
        raise SystemExit("no error")
    except RuntimeError as e:
        assert "no GPU adapter found" in str(e) and "mesa-vulkan-drivers" in str(e), str(e)
try:
    with K.device("gpu"):
        raise SystemExit("entered")
except RuntimeError as e:
    assert "no GPU adapter" in str(e)
assert K.config.set_device("auto") == "cpu"   # not asked by name: falls back
assert K.ones((2,)).device == "cpu" and K.config.get_device() == "cpu"
print("ok")
"""


def test_no_adapter_is_a_clear_error_and_auto_falls_back():
    # a Vulkan loader that finds no driver: what a machine without a GPU (or lavapipe) sees
    env = dict(os.environ, VK_ICD_FILENAMES="/nonexistent/icd.json", VK_DRIVER_FILES="/nonexistent/icd.json")
    out = subprocess.run([sys.executable, "-c", _NO_ADAPTER], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), (out.stdout, out.stderr[-2000:])


def test_shell_smoke_list_devices():
    out = subprocess.run([sys.executable, "-c", "import kerasish, json; print(json.dumps(kerasish.config.list_devices()))"],
                         capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    devs = json.loads(out.stdout.strip().splitlines()[-1])
    assert any(d.startswith("gpu:") for d in devs)



# ------------------------------------------------------------- batched submission and memory


def test_freed_buffers_are_not_reused_before_their_readers_run(rng):
    # Kernels are recorded and submitted in batches. A buffer freed while recorded work still
    # reads it must not be handed out again (an upload into it would land before that work runs).
    results = []
    for i in range(300):  # more than one batch of dispatches
        a = f32(rng, 257)
        x = gpu(a)
        y = x * 2.0
        del x  # y's kernel, still unsubmitted, reads x's buffer
        z = gpu(np.full(257, 1e6, np.float32))  # same size class: would take x's buffer
        results.append((a, y, z))
    for a, y, z in results:
        np.testing.assert_array_equal(y.numpy(), a * 2.0)
        np.testing.assert_array_equal(z.numpy(), 1e6)


def test_gpu_memory_stats_follow_gpu_tensors():
    live0, _ = _core.memory_stats("gpu")
    cpu0, _ = _core.memory_stats("cpu")
    t = K.ops.zeros((1000, 1000)).to("gpu")
    live1, peak = _core.memory_stats("gpu")
    assert live1 - live0 >= 4_000_000 and peak >= live1
    del t
    assert _core.memory_stats("gpu")[0] <= live1 - 4_000_000
    assert abs(_core.memory_stats("cpu")[0] - cpu0) < 4_000_000  # the GPU tensor never counted on the CPU
    _core.reset_peak_memory()
    assert _core.memory_stats("gpu")[1] == _core.memory_stats("gpu")[0]
    with pytest.raises(ValueError, match="'cpu' or 'gpu'"):
        _core.memory_stats("tpu")

# ------------------------------------------------------------------------- elementwise

UNARY = ["negative", "abs", "square", "sqrt", "exp", "log", "log1p", "tanh", "sigmoid", "relu", "leaky_relu",
         "elu", "selu", "gelu", "softplus", "silu"]
POSITIVE = {"sqrt", "log", "log1p"}


@pytest.mark.parametrize("name", UNARY)
def test_unary(name, rng):
    fn = getattr(ops, name)
    lo = 0.05 if name in POSITIVE else -6.0
    base = f32(rng, 4, 6, lo=lo, hi=6.0)
    both(fn, base)
    both(lambda x: fn(x.T[::2]), base)  # a strided, transposed view
    both(fn, np.zeros((0, 3), np.float32))
    both(fn, np.float32(0.7))
    both(fn, base[:1, :1])


def test_unary_extremes_and_parameters(rng):
    big = np.array([-100.0, -30.0, -1e-4, 0.0, 1e-6, 30.0, 100.0], np.float32)
    for name in ["tanh", "sigmoid", "softplus", "silu", "gelu", "elu", "selu"]:
        both(getattr(ops, name), big)
    x = f32(rng, 50, lo=-4, hi=4)
    both(lambda t: ops.gelu(t, approximate=False), x)
    both(lambda t: ops.leaky_relu(t, negative_slope=0.3), x)
    both(lambda t: ops.elu(t, alpha=0.5), x)
    both(ops.log1p, np.array([1e-7, 1e-3, 0.5, 10.0], np.float32))


def test_unary_integers():
    a = np.array([[-3, 0, 5], [7, -9, 2]], np.int64)
    for name in ["negative", "abs", "square", "relu"]:
        both(getattr(ops, name), a)
        both(getattr(ops, name), np.array([0, 3, 200], np.uint8))
    both(ops.exp, a)  # float math on ints computes in float32
    both(ops.sqrt, np.array([True, False]))


BINARY = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "floor_divide", "mod"]
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((1,), (5, 2)), ((), (2, 3)), ((0, 3), (3,)), ((4, 0), (1, 0))]


@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcasting(name, rng):
    fn = getattr(ops, name)
    for sa, sb in SHAPES:
        a = f32(rng, *sa, lo=0.5, hi=3.0) if name == "power" else f32(rng, *sa)
        b = f32(rng, *sb, lo=-2.0, hi=2.0)
        if name in ("divide", "floor_divide", "mod"):
            b = np.where(np.abs(b) < 0.2, 0.7, b).astype(np.float32)
        both(fn, a, b, rtol=1e-5 if name != "power" else 1e-4)
    # transposed and strided operands, and Python scalars on either side
    a = f32(rng, 5, 4, lo=0.5, hi=3.0)
    both(lambda x, y: fn(x.T, y[::2].T), a, f32(rng, 10, 4, lo=0.5, hi=2.0), rtol=1e-4)
    both(lambda x: fn(x, 1.5), a, rtol=1e-4)
    both(lambda x: fn(2.5, x), a, rtol=1e-4)


def test_power_negative_base_integer_exponent():
    both(ops.power, np.array([-2.0, -3.0, 0.0, 2.0], np.float32), np.array([2.0, 3.0, 2.0, 0.5], np.float32))


@pytest.mark.parametrize("name", BINARY)
def test_binary_integers(name, rng):
    a = rng.integers(-20, 20, (4, 5))
    b = rng.integers(1, 7, (5,)) * np.where(rng.integers(0, 2, (5,)) > 0, 1, -1)
    if name == "power":
        a, b = rng.integers(-5, 5, (4, 5)), rng.integers(0, 4, (5,))
    both(getattr(ops, name), a, b)
    both(getattr(ops, name), np.array([True, False]), np.array([True, True]))


def test_int_and_float_promotion(rng):
    both(ops.add, rng.integers(0, 5, (3,)), f32(rng, 3))
    both(lambda a, b: a / b, rng.integers(1, 9, (4,)), rng.integers(1, 9, (4,)))


def test_comparisons_where_clip(rng):
    a, b = f32(rng, 3, 4), f32(rng, 4)
    b[0] = a[0, 0]
    for name in ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]:
        both(getattr(ops, name), a, b)
        both(getattr(ops, name), rng.integers(0, 3, (3, 4)), rng.integers(0, 3, (4,)))
    both(lambda x, y: ops.where(x > 0, x, y), a, b)
    both(lambda x: ops.where(x > 0, x, 0.0), a)
    both(lambda x: ops.clip(x, -0.5, 0.5), a)
    both(lambda x: ops.clip(x.T, -1, 1), a)
    c = rng.integers(0, 2, (3, 1)).astype(bool)
    both(lambda cc, x, y: ops.where(cc, x, y), c, a, b)


CASTS = [("float32", np.array([-2.7, -0.2, 0.0, 0.6, 3.9, 300.0], np.float32)),
         ("int64", np.array([-300, -1, 0, 1, 2, 255, 300])),
         ("bool", np.array([True, False, True])),
         ("uint8", np.array([0, 1, 200, 255], np.uint8))]


@pytest.mark.parametrize("src", [c[0] for c in CASTS])
def test_cast_matrix(src):
    arr = dict(CASTS)[src]
    for dst in ["float32", "int64", "bool", "uint8"]:
        both(lambda x: x.astype(dst), arr)


def test_contiguous_copies_of_views(rng):
    a = f32(rng, 3, 4, 5)
    both(lambda x: ops.reshape(ops.transpose(x, (2, 0, 1)), (5, 12)), a)
    both(lambda x: x[:, ::-1][1:, ::2].reshape(-1), a)
    both(lambda x: ops.broadcast_to(x[:, :1], (3, 4, 5)).reshape(3, 20), a)
    both(lambda x: ops.concatenate([x, x[:, :2]], axis=1), a)
    both(lambda x: ops.stack([x[0], x[1].T.T], axis=0), a)
    both(lambda x: ops.split(x, 2, axis=1)[1] * 1, a)
    both(lambda x: ops.squeeze(ops.expand_dims(x, 0), 0) + 0, a)


def test_inplace_assign_into_views(rng):
    a = f32(rng, 4, 5)
    c, g = K.tensor(a), gpu(a)
    K.Tensor.assign(c[1:3, ::2], 7.0)
    K.Tensor.assign(g[1:3, ::2], 7.0)
    same(g, c)
    c += 1.5
    g += 1.5
    same(g, c)
    K.Tensor.assign(c[0], c[1])  # source and destination share storage
    K.Tensor.assign(g[0], g[1])
    same(g, c)
    K.Tensor.assign(g.T[:, 1], K.tensor(np.arange(5, dtype=np.float32)).to("gpu"))
    K.Tensor.assign(c.T[:, 1], K.tensor(np.arange(5, dtype=np.float32)))
    same(g, c)
    v = K.Variable(a)
    with K.device("gpu"):
        vg = K.Variable(a)
    assert vg.device == "gpu"
    v.assign_add(K.tensor(a))
    vg.assign_add(gpu(a))
    same(vg, v)


# ------------------------------------------------------------------------- advanced indexing, take


# (name, x shape, key builder from index arrays made by `arr`): each key is run with its index
# arrays as tensors on the indexed tensor's device and, on the GPU, as cpu arrays (uploaded)
INDEX_CASES = [
    ("1d", (7,), lambda arr: (arr([0, 6, 3, 3]),)),
    ("1d_negative", (7,), lambda arr: (arr([-1, -7, 2]),)),
    ("2d_index", (5, 4), lambda arr: (arr([[0, 4], [-2, 1], [3, 3]]),)),
    ("second_axis", (3, 5, 4), lambda arr: (slice(None), arr([[4, 0], [1, -1]]))),
    ("broadcast_pair", (4, 5, 3), lambda arr: (arr([[0], [3], [-1]]), arr([1, 2, 4, 0]))),
    ("non_consecutive", (4, 3, 5), lambda arr: (arr([0, 3, 1]), slice(None), arr([4, 0, 2]))),
    ("int_and_array", (4, 3, 5), lambda arr: (2, slice(None), arr([1, 4]))),
    ("int_and_array_apart", (4, 3, 5), lambda arr: (arr([1, 0, 1]), 1)),
    ("after_slices", (6, 5, 4), lambda arr: (slice(1, None, 2), arr([3, 0]), slice(None, None, -1))),
    ("three_arrays", (3, 4, 5), lambda arr: (arr([2, 0]), arr([[3], [1]]), arr([4, 4]))),
    ("four_arrays", (2, 3, 4, 5), lambda arr: (arr([[1], [0]]), arr([2, -3, 0]), arr([[3]]), arr([4, 0, -1]))),  # two passes
    ("five_arrays_and_an_int", (2, 3, 2, 4, 5, 3),
     lambda arr: (arr([1, 0]), 2, arr([[1], [0]]), arr([3, 0]), arr([0, 4]), arr([2]))),
    ("newaxis_ellipsis", (3, 4, 5), lambda arr: (None, Ellipsis, arr([1, 3]))),
    ("empty_index", (4, 3), lambda arr: (arr(np.zeros((0,), np.int64)),)),
    ("size0_dim", (0, 3), lambda arr: (slice(None), arr([2, 0]))),
    ("uint8_index", (5, 2), lambda arr: (arr(np.array([4, 0, 4], np.uint8)),)),
]


def _index_arr(device):
    return lambda a: K.tensor(np.asarray(a)).to(device)


@pytest.mark.parametrize("name", [c[0] for c in INDEX_CASES])
def test_advanced_indexing(name, rng):
    _, shape, key = dict((c[0], c) for c in INDEX_CASES)[name]
    a = f32(rng, *shape)
    c = K.tensor(a)[key(_index_arr("cpu"))]
    np.testing.assert_array_equal(c.numpy(), a[key(np.asarray)])
    same(gpu(a)[key(_index_arr("gpu"))], c, rtol=0, atol=0)
    same(gpu(a)[key(np.asarray)], c, rtol=0, atol=0)


def test_advanced_indexing_views_and_dtypes(rng):
    a = f32(rng, 6, 5, 4)
    i = K.tensor([2, 0, -1, 0])
    for view in (lambda t: t.T, lambda t: t[::2, 1:], lambda t: ops.transpose(t, (1, 0, 2))[:, ::-1]):
        same(view(gpu(a))[i.to("gpu")], view(K.tensor(a))[i], rtol=0, atol=0)
    for arr in (rng.integers(-1000, 1000, (6, 5)), rng.integers(0, 2, (6, 5)).astype(bool),
                rng.integers(0, 255, (6, 5)).astype(np.uint8)):
        both(lambda t, j: t[j, 1:], arr, np.array([[5, 0], [2, 2]]))


def test_boolean_masks(rng):
    a = f32(rng, 4, 5, 3)
    m = a[..., 0] > 0
    c = K.tensor(a)[K.tensor(m)]
    same(gpu(a)[gpu(m)], c, rtol=0, atol=0)
    same(gpu(a)[m], c, rtol=0, atol=0)
    same(gpu(a)[:, a[0, :, 0] > 0.5], K.tensor(a)[:, a[0, :, 0] > 0.5])
    same(gpu(a)[np.zeros((4, 5), bool)], K.tensor(a)[np.zeros((4, 5), bool)])
    same(gpu(a)[a > 0], K.tensor(a)[a > 0])


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take(axis, rng):
    a = f32(rng, 5, 6)
    for idx in (np.array([0, 4, -1, 4]), np.array([[1, 2], [3, -2]]), np.array(3), np.zeros((0, 2), np.int64)):
        both(lambda x, i: ops.take(x, i, axis=axis), a, idx)
    both(lambda x, i: ops.take(x, i, axis=axis), rng.integers(-9, 9, (5, 6)), np.array([2, 0]))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_take_along_axis(axis, rng):
    a = f32(rng, 4, 5, 6)
    n = a.shape[axis]
    for shape in ([4, 5, 6], [4, 5, 6][:axis % 3] + [3] + [4, 5, 6][axis % 3 + 1:],
                  [1, 5, 1][:axis % 3] + [2] + [1, 5, 1][axis % 3 + 1:]):
        idx = rng.integers(-n, n, shape)
        both(lambda x, i: ops.take_along_axis(x, i, axis=axis), a, idx)
        np.testing.assert_array_equal(ops.take_along_axis(gpu(a), gpu(idx), axis=axis).numpy(),
                                      np.take_along_axis(a, np.where(idx < 0, idx + n, idx), axis=axis))
    both(lambda x, i: ops.take_along_axis(x, i, axis=1), a[:, :0], np.zeros((4, 0, 6), np.int64))
    # 4-d: four index tensors (three aranges), two passes of the flat-index kernel
    b = f32(rng, 2, 3, 4, 5)
    both(lambda x, i: ops.take_along_axis(x, i, axis=axis), b,
         rng.integers(0, b.shape[axis], (2, 3, 4, 5)[:axis % 4] + (2,) + (2, 3, 4, 5)[axis % 4 + 1:]))


def test_indexing_out_of_bounds_is_an_index_error_on_gpu():
    x = gpu(np.arange(12, dtype=np.float32).reshape(3, 4))
    with pytest.raises(IndexError, match="index 4 is out of bounds for axis 1 with size 4"):
        x[:, gpu([0, 4, 1])]
    with pytest.raises(IndexError, match="index -4 is out of bounds for axis 0 with size 3"):
        x[gpu([[-4], [0]])]
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        x[[0, 3]]  # cpu key
    with pytest.raises(IndexError, match="index 7 is out of bounds for axis 1 with size 4"):
        x[gpu([0]), 7]
    with pytest.raises(IndexError, match="index 9 is out of bounds for axis 1 with size 4"):
        ops.take(x, gpu([1, 9]), axis=1)
    with pytest.raises(IndexError, match="index 12 is out of bounds for axis 0 with size 12"):
        ops.take(x, gpu([12]))
    with pytest.raises(IndexError, match="out of bounds for axis 1 with size 4"):
        ops.take_along_axis(x, gpu(np.full((3, 2), 5)), axis=1)
    with pytest.raises(IndexError, match="shape mismatch"):
        x[gpu([0, 1]), gpu([0, 1, 2])]
    # nothing was gathered: the tensor and later indexing are intact
    same(x[gpu([2, -1])], x.to("cpu")[[2, -1]])


def test_scatter_add_gradient_repeats_bit_for_bit_and_sums_in_position_order(rng):
    """take's gradient adds g over repeated indices: on the GPU in ascending position order
    (so it equals a sequential float32 sum exactly, whatever order the buckets fill in), with
    buckets large enough for the heapsort (>16) and small ones (insertion sort)."""
    idx = np.concatenate([rng.integers(0, 3, 3000), rng.integers(3, 40, 500)])
    rng.shuffle(idx)
    g = (rng.normal(0, 1, (idx.size, 4)) * 10.0 ** rng.integers(-3, 4, (idx.size, 1))).astype(np.float32)

    def grad():
        w = gpu(np.zeros((41, 4), np.float32))
        w.requires_grad = True
        ops.sum(ops.take(w, gpu(idx), axis=0) * gpu(g)).backward()
        return w.grad.numpy()

    first, second = grad(), grad()
    assert first.tobytes() == second.tobytes()
    want = np.zeros((41, 4), np.float32)
    for t in range(41):
        rows = g[idx == t]
        if len(rows):
            want[t] = np.cumsum(rows, axis=0, dtype=np.float32)[-1]
    assert first.tobytes() == want.tobytes()
    assert not first[40].any()  # a row no index hit
    wc = K.tensor(np.zeros((41, 4), np.float32), requires_grad=True)
    ops.sum(ops.take(wc, K.tensor(idx), axis=0) * K.tensor(g)).backward()
    np.testing.assert_allclose(first, wc.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_scatter_add_gradient_with_many_targets(rng):
    """More than 256 tiles of 1024 targets: the scan of the tile totals takes several per thread."""
    idx = rng.integers(-70001, 70001, (50, 40))
    idx[:, :5] = 12
    g = f32(rng, 50, 40, 4)
    grads = {}
    for dev in ("cpu", "gpu"):
        w = K.tensor(np.zeros((70001, 4), np.float32)).to(dev)
        w.requires_grad = True
        ops.sum(ops.take(w, K.tensor(idx).to(dev), axis=0) * K.tensor(g).to(dev)).backward()
        grads[dev] = w.grad.numpy()
    np.testing.assert_allclose(grads["gpu"], grads["cpu"], rtol=1e-5, atol=1e-5)
    want = np.zeros((70001, 4), np.float32)
    np.add.at(want, idx, g)
    np.testing.assert_allclose(grads["gpu"], want, rtol=1e-5, atol=1e-5)


def test_embedding_fit_on_gpu_matches_cpu(rng):
    vocab, seq = 30, 10
    x = rng.integers(0, vocab, (192, seq))
    y = (x[:, : seq // 2].mean(axis=1) > x[:, seq // 2:].mean(axis=1)).astype(np.int64)
    hist = {}
    for dev in ("cpu", "gpu"):
        K.utils.set_random_seed(11)
        with K.device(dev):
            model = K.Sequential([K.layers.Input((seq,), dtype="int64"), K.layers.Embedding(vocab, 8),
                                  K.layers.Flatten(), K.layers.Dense(2, activation="softmax")])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            hist[dev] = model.fit(x, y, epochs=6, batch_size=32, verbose=0).history
            emb = model.layers[0].embeddings
            assert emb.device == dev
            hist[dev]["emb"] = emb.numpy()
    np.testing.assert_allclose(hist["gpu"]["loss"], hist["cpu"]["loss"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(hist["gpu"]["emb"], hist["cpu"]["emb"], rtol=1e-4, atol=1e-5)
    assert hist["gpu"]["loss"][-1] < hist["gpu"]["loss"][0]


# ------------------------------------------------------------------------- reductions

AXES = [None, 0, -1, (0, 2), (1,), (0, 1, 2)]


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "std", "logsumexp"])
def test_reductions(name, rng):
    fn = getattr(ops, name)
    a = f32(rng, 3, 5, 4)
    for axis in AXES:
        for keepdims in (False, True):
            both(lambda x: fn(x, axis=axis, keepdims=keepdims), a)
    both(lambda x: fn(ops.transpose(x, (2, 0, 1)), axis=(1, 2)), a)
    both(lambda x: fn(x, axis=1), f32(rng, 2, 1000))
    both(lambda x: fn(x), f32(rng, 70000), rtol=2e-5, atol=2e-5)


def test_reductions_integers_and_empty(rng):
    a = rng.integers(-50, 50, (4, 6))
    for name in ["sum", "max", "min"]:
        both(lambda x: getattr(ops, name)(x, axis=0), a)
    both(lambda x: ops.sum(x, axis=1), np.array([[True, False, True], [True, True, True]]))
    both(lambda x: ops.max(x, axis=0), np.array([[1, 200], [3, 4]], np.uint8))
    both(lambda x: ops.sum(x, axis=0), np.zeros((0, 3), np.float32))
    both(lambda x: ops.sum(x, axis=1), np.zeros((0, 3), np.float32))
    both(lambda x: ops.mean(x, axis=-1), rng.integers(0, 9, (3, 4)))
    with pytest.raises(ValueError, match="zero-size"):
        ops.max(gpu(np.zeros((0, 3), np.float32)), axis=0)


def test_argmax_argmin_ties_take_the_first(rng):
    a = rng.integers(0, 3, (6, 7)).astype(np.float32)
    for fn in (ops.argmax, ops.argmin):
        for axis in (None, 0, 1, -1):
            both(lambda x: fn(x, axis=axis), a)
        both(lambda x: fn(x.T, axis=0), a)
        both(lambda x: fn(x, axis=1), rng.integers(0, 4, (5, 300)))
    both(lambda x: ops.argmax(x, axis=0, keepdims=True), a)


def test_reductions_repeat_bit_for_bit(rng):
    g = gpu(f32(rng, 300, 301))
    assert np.array_equal(ops.sum(g).numpy(), ops.sum(g).numpy())
    assert np.array_equal(ops.sum(g, axis=0).numpy(), ops.sum(g, axis=0).numpy())
    m = ops.matmul(g, g.T)
    assert np.array_equal(m.numpy(), ops.matmul(g, g.T).numpy())


# ------------------------------------------------------------------------- matmul

MATMUL_SHAPES = [((5, 7), (7, 3)), ((64, 65), (65, 130)), ((1, 1), (1, 1)), ((2, 3, 4, 5), (5, 6)), ((3, 1, 4, 5), (2, 5, 6)),
                 ((7,), (7, 3)), ((4, 7), (7,)), ((7,), (7,)), ((0, 4), (4, 3)), ((3, 0), (0, 5)), ((130, 17), (17, 70))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul(sa, sb, rng):
    both(ops.matmul, f32(rng, *sa), f32(rng, *sb), rtol=1e-4, atol=1e-5)


def test_matmul_transposed_and_strided_operands(rng):
    a, b = f32(rng, 40, 33), f32(rng, 50, 40)
    both(lambda x, y: ops.matmul(x.T, y.T), a, b, rtol=1e-4, atol=1e-5)
    both(lambda x, y: ops.matmul(x[::2, ::3], y.T[:33:3, ::5]), a, b, rtol=1e-4, atol=1e-5)
    both(lambda x: ops.matmul(ops.transpose(ops.reshape(x, (4, 10, 33)), (0, 2, 1)), x[:10]), a, rtol=1e-4, atol=1e-5)
    both(lambda x: ops.matmul(x[::-1], x.T[:, ::-1]), a, rtol=1e-4, atol=1e-5)  # negative strides
    both(ops.dot, f32(rng, 3, 4), f32(rng, 2, 4, 5), rtol=1e-4, atol=1e-5)
    both(ops.matmul, rng.integers(-5, 5, (6, 9)), rng.integers(-5, 5, (9, 4)))


# ------------------------------------------------------------------------- nn ops


def test_softmax_family(rng):
    a = f32(rng, 4, 5, 6, lo=-10, hi=10)
    for axis in (-1, 0, 1):
        both(lambda x: ops.softmax(x, axis=axis), a)
        both(lambda x: ops.log_softmax(x, axis=axis), a, atol=1e-5)
    both(lambda x: ops.softmax(x.T, axis=-1), a[0])
    both(lambda x: ops.softmax(x), f32(rng, 3, 1000))
    both(lambda x: ops.logsumexp(x, axis=(0, 2)), a)
    both(lambda x: ops.softmax(x), np.zeros((0, 4), np.float32))


def test_crossentropies(rng):
    logits = f32(rng, 8, 5, lo=-4, hi=4)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = rng.integers(0, 5, (8,))
    onehot = np.eye(5, dtype=np.float32)[labels]
    both(lambda t, x: ops.categorical_crossentropy(t, x, from_logits=True), onehot, logits)
    both(lambda t, x: ops.categorical_crossentropy(t, x), onehot, probs)
    both(lambda t, x: ops.sparse_categorical_crossentropy(t, x, from_logits=True), labels, logits)
    both(lambda t, x: ops.sparse_categorical_crossentropy(t, x), labels, probs)
    both(lambda t, x: ops.sparse_categorical_crossentropy(t, x, from_logits=True), labels.reshape(8, 1), logits)
    bt = rng.integers(0, 2, (8, 5)).astype(np.float32)
    both(lambda t, x: ops.binary_crossentropy(t, x, from_logits=True), bt, logits)
    both(lambda t, x: ops.binary_crossentropy(t, x), bt, 1 / (1 + np.exp(-logits)))
    both(lambda t: ops.one_hot(t, 5), labels)
    both(lambda t: ops.one_hot(t, 3), np.array([0, 5, -1, 2]))
    with pytest.raises(ValueError, match="label 9 is out of range"):
        ops.sparse_categorical_crossentropy(gpu(np.array([1, 9])), gpu(logits[:2]))


@pytest.mark.parametrize("act", ["linear", "relu", "sigmoid", "tanh"])
def test_bias_act_forward_and_backward(act, rng):
    z, b = f32(rng, 6, 5), f32(rng, 5)
    both(lambda x, y: _core.bias_act(x, y, act), z, b)
    both(lambda x: _core.bias_act(x, None, act), z)
    both(lambda x, y: _core.bias_act(x.T, y, act), z, f32(rng, 6))  # a transposed z
    gc = _grads(lambda x, y: ops.sum(_core.bias_act(x, y, act) * _W(x.shape, x.device)), [z, b], "cpu")
    gg = _grads(lambda x, y: ops.sum(_core.bias_act(x, y, act) * _W(x.shape, x.device)), [z, b], "gpu")
    for c, g in zip(gc, gg):
        np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-6)


CONV_CASES = [((2, 7, 6, 3), (3, 3, 3, 4), 1, "valid", 1), ((2, 7, 6, 3), (3, 2, 3, 5), 2, "same", 1),
              ((1, 9, 9, 2), (3, 3, 2, 2), 1, "same", 2), ((3, 5, 5, 1), (5, 5, 1, 3), 1, "valid", 1),
              ((2, 8, 3), (3, 3, 4), 1, "same", 1), ((2, 4, 4, 2), (1, 1, 2, 3), (2, 1), "valid", 1)]


@pytest.mark.parametrize("xs,ks,st,pad,dil", CONV_CASES)
def test_conv_forward_and_gradients(xs, ks, st, pad, dil, rng):
    x, k = f32(rng, *xs), f32(rng, *ks)
    fn = lambda a, b: ops.conv(a, b, strides=st, padding=pad, dilation_rate=dil)  # noqa: E731
    both(fn, x, k, rtol=1e-4, atol=1e-5)

    def loss(a, b):
        out = fn(a, b)
        return ops.sum(out * _W(out.shape, out.device))

    for c, g in zip(_grads(loss, [x, k], "cpu"), _grads(loss, [x, k], "gpu")):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


POOL_CASES = [((2, 6, 6, 3), 2, None, "valid"), ((2, 7, 5, 2), 3, 2, "same"), ((1, 5, 5, 1), 2, 1, "valid"),
              ((2, 9, 3), 2, None, "valid"), ((1, 4, 6, 2), (2, 3), (1, 2), "same")]


@pytest.mark.parametrize("name", ["max_pool", "average_pool"])
@pytest.mark.parametrize("xs,ps,st,pad", POOL_CASES)
def test_pools_forward_and_gradients(name, xs, ps, st, pad, rng):
    x = f32(rng, *xs)
    fn = lambda a: getattr(ops, name)(a, ps, strides=st, padding=pad)  # noqa: E731
    both(fn, x)

    def loss(a):
        out = fn(a)
        return ops.sum(out * _W(out.shape, out.device))

    np.testing.assert_allclose(_grads(loss, [x], "gpu")[0], _grads(loss, [x], "cpu")[0], rtol=1e-5, atol=1e-6)


def test_max_pool_ties_route_to_the_first(rng):
    x = rng.integers(0, 2, (1, 6, 6, 2)).astype(np.float32)

    def loss(a):
        return ops.sum(ops.max_pool(a, 3, strides=1) * 1.0)

    np.testing.assert_allclose(_grads(loss, [x], "gpu")[0], _grads(loss, [x], "cpu")[0])


# ------------------------------------------------------------------------- optimizer updates


def _opt_state(rng, n=1000):
    w, g, m, v, h = (f32(rng, n) for _ in range(5))
    return w, g, m, np.abs(v), np.abs(h)


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_update(momentum, nesterov, rng):
    w, g, m, _, _ = _opt_state(rng)
    res = {}
    for dev in ("cpu", "gpu"):
        wt, gt, mt = (K.tensor(a).to(dev) for a in (w, g, m))
        lr = K.tensor(np.float32(0.05)).to(dev)
        for step in range(3):
            _core.sgd_update(wt, gt, mt if momentum else None, lr if step else K.tensor(np.float32(0.05)), momentum, nesterov)
        res[dev] = (wt.numpy(), mt.numpy())
    for c, gg in zip(res["cpu"], res["gpu"]):
        np.testing.assert_allclose(gg, c, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_update(amsgrad, rng):
    w, g, m, v, h = _opt_state(rng)
    res = {}
    for dev in ("cpu", "gpu"):
        wt, gt, mt, vt, ht = (K.tensor(a).to(dev) for a in (w, g, m, v, h))
        lr = K.tensor(np.float32(0.01)).to(dev)
        for it in range(3):
            # iterations as an int64 tensor on the device (as Keras's variable), or a CPU float scalar
            its = K.tensor(np.array(it)).to(dev) if it % 2 else K.tensor(np.float32(it))
            _core.adam_update(wt, gt, mt, vt, ht if amsgrad else None, lr, its, 0.9, 0.999, 1e-7)
        res[dev] = (wt.numpy(), mt.numpy(), vt.numpy(), ht.numpy())
    for c, gg in zip(res["cpu"], res["gpu"]):
        np.testing.assert_allclose(gg, c, rtol=1e-5, atol=1e-6)


def test_optimizer_update_mixing_devices_is_an_error(rng):
    w = gpu(f32(rng, 4))
    with pytest.raises(RuntimeError, match="same device"):
        _core.sgd_update(w, K.tensor(f32(rng, 4)), None, K.tensor(np.float32(0.1)), 0.0, False)


# ------------------------------------------------------------------------- gradients


def _W(shape, device):
    """Fixed weights for a weighted sum (so every output element matters)."""
    n = int(np.prod(shape)) if shape else 1
    w = (np.arange(n, dtype=np.float32) % 7 - 3) / 3
    return K.tensor(w.reshape(shape)).to(device)


def _grads(fn, arrays, device):
    ts = [K.tensor(a).to(device) for a in arrays]
    for t in ts:
        t.requires_grad = True
    out = fn(*ts)
    out.backward()
    for t in ts:
        assert t.grad.device == device, (t.grad.device, device)
    return [t.grad.numpy() for t in ts]


GRAD_CASES = {
    "add_broadcast": (lambda a, b: a + b, [(3, 4), (4,)]),
    "mul_div": (lambda a, b: a * b / (ops.abs(b) + 1.0), [(3, 4), (3, 1)]),
    "pow": (lambda a, b: ops.power(ops.abs(a) + 0.5, b), [(3, 4), (4,)]),
    "max_min": (lambda a, b: ops.maximum(a, b) - ops.minimum(a, b * 0.5), [(3, 4), (3, 4)]),
    "unary_chain": (lambda a: ops.tanh(ops.sigmoid(a) * ops.exp(a * 0.3)) + ops.softplus(a) + ops.gelu(a) + ops.silu(a),
                    [(5, 3)]),
    "elu_selu_leaky": (lambda a: ops.elu(a) + ops.selu(a) + ops.leaky_relu(a, 0.1), [(5, 3)]),
    "sqrt_log": (lambda a: ops.sqrt(ops.abs(a) + 1.0) + ops.log1p(ops.abs(a)) + ops.log(ops.square(a) + 1.0), [(5, 3)]),
    "matmul": (lambda a, b: ops.matmul(a, b), [(4, 5), (5, 3)]),
    "matmul_batched_T": (lambda a, b: ops.matmul(a, ops.transpose(b, (1, 0))), [(2, 4, 5), (3, 5)]),
    "reductions": (lambda a: ops.sum(a, axis=0) + ops.mean(a, axis=0) + ops.max(a, axis=0) + ops.min(a, axis=0)
                   + ops.var(a, axis=0), [(4, 3)]),
    "softmax": (lambda a: ops.softmax(a, axis=-1), [(4, 6)]),
    "log_softmax_axis0": (lambda a: ops.log_softmax(a, axis=0), [(4, 6)]),
    "logsumexp": (lambda a: ops.logsumexp(a, axis=1), [(4, 6)]),
    "views": (lambda a: ops.reshape(ops.transpose(a, (1, 0)), (2, -1))[:, 1:] * 2.0, [(4, 3)]),
    "concat_stack": (lambda a, b: ops.concatenate([a, b], axis=0) + ops.stack([a[0], b[0]], axis=0).sum(), [(2, 3), (1, 3)]),
    "where_clip": (lambda a, b: ops.where(a > 0, a, b) + ops.clip(a, -0.5, 0.5), [(3, 4), (3, 4)]),
    "slice_setitem_free": (lambda a: a[1:, ::2] * a[:-1, ::2], [(4, 5)]),
    "cce_logits": (lambda a: ops.categorical_crossentropy(K.tensor(np.eye(4, dtype=np.float32)[[0, 2, 1]]).to(a.device), a,
                                                         from_logits=True), [(3, 4)]),
    "scce_logits": (lambda a: ops.sparse_categorical_crossentropy(K.tensor([3, 0, 1]).to(a.device), a, from_logits=True),
                    [(3, 4)]),
    "bce_logits": (lambda a: ops.binary_crossentropy(K.tensor(np.float32([[0, 1], [1, 1]])).to(a.device), a, from_logits=True),
                   [(2, 2)]),
    # gathers; their gradient is the scatter-add (repeated indices add up)
    "take_repeated": (lambda a: ops.take(a, K.tensor([[3, 0, 3], [-1, 3, 1]]).to(a.device), axis=0), [(5, 3)]),
    "take_flat": (lambda a: ops.take(a, K.tensor([7, 7, 0, 14, 7]).to(a.device)), [(5, 3)]),
    "index_arrays": (lambda a: a[K.tensor([[0], [2]]).to(a.device), :, K.tensor([1, 1, 0]).to(a.device)]
                     + a[[1, 1], 1:][:, :, :1], [(3, 4, 2)]),
    "index_mask_view": (lambda a: a.T[1:][K.tensor(np.array([[True, False, True, True]] * 2)).to(a.device)], [(4, 3)]),
    "take_along_axis": (lambda a: ops.take_along_axis(a, K.tensor([[0, 2, 2], [1, 1, 0], [2, 0, 0]]).to(a.device), axis=1),
                        [(3, 3)]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_equal_cpu(name, rng):
    fn, shapes = GRAD_CASES[name]
    arrays = [f32(rng, *s) for s in shapes]

    def loss(*ts):
        out = fn(*ts)
        return ops.sum(out * _W(out.shape, out.device))

    gc = _grads(loss, arrays, "cpu")
    gg = _grads(loss, arrays, "gpu")
    for c, g in zip(gc, gg):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["unary_chain", "matmul", "softmax", "sqrt_log", "mul_div", "logsumexp"])
def test_gradients_finite_differences_float32(name, rng):
    """Central differences of the GPU forward in float32 (eps 1e-2 on smooth functions)."""
    fn, shapes = GRAD_CASES[name]
    arrays = [f32(rng, *s, lo=-1, hi=1) for s in shapes]

    def loss_value(*arrs):
        with K.no_grad():
            ts = [K.tensor(a).to("gpu") for a in arrs]
            out = fn(*ts)
            return float(ops.sum(out * _W(out.shape, "gpu")).to("cpu").astype("float32").item())

    gg = _grads(lambda *ts: ops.sum(fn(*ts) * _W(fn(*ts).shape, "gpu")), arrays, "gpu")
    eps = 1e-2
    for i, a in enumerate(arrays):
        num = np.zeros_like(a)
        for j in range(a.size):
            ap, am = [x.copy() for x in arrays], [x.copy() for x in arrays]
            ap[i].flat[j] += eps
            am[i].flat[j] -= eps
            num.flat[j] = (loss_value(*ap) - loss_value(*am)) / (2 * eps)
        np.testing.assert_allclose(gg[i], num, rtol=2e-2, atol=2e-2)


# ------------------------------------------------------------------------- models


def _blobs(rng, n=400, d=8, k=3):
    centers = rng.normal(0, 3, (k, d)).astype(np.float32)
    y = rng.integers(0, k, n)
    x = (centers[y] + rng.normal(0, 1, (n, d))).astype(np.float32)
    return x, y


def _mlp(k=3):
    return K.Sequential([K.layers.Input((8,)), K.layers.Dense(16, activation="relu"), K.layers.Dense(k, activation="softmax")])


@pytest.mark.parametrize("run_eagerly", [True, False])
def test_fit_on_gpu_matches_cpu(run_eagerly, rng):
    x, y = _blobs(rng)
    hist = {}
    for dev in ("cpu", "gpu"):
        K.utils.set_random_seed(3)
        with K.device(dev):
            model = _mlp()
            assert all(w.device == dev for w in model.weights)
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"], run_eagerly=run_eagerly)
            h = model.fit(x, y, epochs=10, batch_size=32, verbose=0, shuffle=True)
            hist[dev] = h.history
            ev = model.evaluate(x, y, verbose=0)
            pred = model.predict(x[:10], verbose=0)
            if not run_eagerly:
                assert_compiled(model, "train", "test", "predict")
        hist[dev]["eval"] = ev
        hist[dev]["pred"] = pred
    np.testing.assert_allclose(hist["gpu"]["loss"], hist["cpu"]["loss"], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(hist["gpu"]["accuracy"], hist["cpu"]["accuracy"], atol=0.02)
    np.testing.assert_allclose(hist["gpu"]["pred"], hist["cpu"]["pred"], rtol=1e-3, atol=1e-4)
    assert hist["gpu"]["accuracy"][-1] > 0.8


@pytest.mark.parametrize("run_eagerly", [True, False])
def test_dropout_fit_on_gpu_matches_cpu(run_eagerly, rng):
    # the dropout masks are drawn on the GPU from the CPU's stream: the same masks, the same fit
    x, y = _blobs(rng)
    hist, masks = {}, {}
    for dev in ("cpu", "gpu"):
        K.utils.set_random_seed(4)
        with K.device(dev):
            model = K.Sequential([K.layers.Input((8,)), K.layers.Dense(32, activation="relu"), K.layers.Dropout(0.5),
                                  K.layers.Dense(3, activation="softmax")])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=run_eagerly)
            hist[dev] = model.fit(x, y, epochs=5, batch_size=32, verbose=0).history["loss"]
            if not run_eagerly:
                assert_compiled(model, "train")
            masks[dev] = K.layers.Dropout(0.5, seed=9)(K.ops.ones((64, 16)), training=True).numpy()
    np.testing.assert_array_equal(masks["gpu"], masks["cpu"])
    assert set(np.unique(masks["gpu"])) == {0.0, 2.0}
    np.testing.assert_allclose(hist["gpu"], hist["cpu"], rtol=1e-3, atol=1e-4)


def test_cnn_fit_on_gpu_matches_cpu(rng):
    x = rng.uniform(0, 1, (96, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.int64)
    hist = {}
    for dev in ("cpu", "gpu"):
        K.utils.set_random_seed(5)
        with K.device(dev):
            model = K.Sequential([
                K.layers.Input((8, 8, 1)),
                K.layers.Conv2D(4, 3, activation="relu", padding="same"),
                K.layers.MaxPooling2D(2),
                K.layers.Conv2D(4, 3, activation="relu"),
                K.layers.Flatten(),
                K.layers.Dense(2, activation="softmax"),
            ])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            hist[dev] = model.fit(x, y, epochs=4, batch_size=16, verbose=0).history
    np.testing.assert_allclose(hist["gpu"]["loss"], hist["cpu"]["loss"], rtol=1e-3, atol=1e-4)


def test_save_and_load_a_gpu_model(tmp_path, rng):
    x, y = _blobs(rng, n=64)
    path = str(tmp_path / "m.keras")
    with K.device("gpu"):
        m = _mlp()
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        m.fit(x, y, epochs=1, verbose=0)
        m.save(path)
        m2 = K.saving.load_model(path)
        assert all(w.device == "gpu" for w in m2.weights)
        p, p2 = m.predict(x[:5], verbose=0), m2.predict(x[:5], verbose=0)
        np.testing.assert_allclose(p2, p, rtol=1e-6)
    cpu_model = K.saving.load_model(path)
    assert all(w.device == "cpu" for w in cpu_model.weights)
    np.testing.assert_allclose(cpu_model.predict(x[:5], verbose=0), p, rtol=1e-4, atol=1e-6)
    # a model on the GPU takes its inputs on the GPU: outside the device block the batch is on the cpu
    with pytest.raises(RuntimeError, match="same device"):
        m.predict(x[:5], verbose=0)


# ------------------------------------------------------------------------- no panics on the GPU

_FUZZ = os.path.join(os.path.dirname(__file__), "_fuzz_cases.py")


def test_fuzz_cases_on_gpu_raise_only_python_exceptions():
    """The odd-input cases of test_errors.py, run with every tensor created on the GPU: each
    ends in a result or a Python exception of the usual families (RuntimeError for ops without
    a GPU kernel), never a panic or a crash."""
    sys.path.insert(0, os.path.dirname(__file__))
    import _fuzz_cases

    names = [n for n in _fuzz_cases.case_names() if not n.startswith("deep:")]
    env = dict(os.environ, RUST_BACKTRACE="0", KERASISH_FUZZ_DEVICE="gpu", KERASISH_MAX_MEMORY="2G")
    p = subprocess.run([sys.executable, _FUZZ, "-"], input=json.dumps(names), capture_output=True, text=True, timeout=900,
                       env=env, cwd=os.path.dirname(__file__))
    recs = [json.loads(line[4:]) for line in p.stdout.splitlines() if line.startswith("END ")]
    assert p.returncode == 0 and len(recs) == len(names), (p.returncode, p.stderr[-2000:])
    allowed = {"ValueError", "TypeError", "IndexError", "RuntimeError"}
    bad = [(r["case"], r["type"], r["msg"][:100]) for r in recs if r["outcome"] == "exc"
           and not (set(r["mro"]) & (allowed | ({"MemoryError"} if r["case"].startswith(("size:", "random:")) else set())))]
    assert not bad, bad[:20]
    assert sum(r["outcome"] == "ok" for r in recs) > 1000
    assert all(r["grad_mode"] for r in recs)
