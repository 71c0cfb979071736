"""Shared helpers for the kerasish test suite.

* ``numeric_grad``: central finite differences (float64) of a scalar function of NumPy arrays.
* ``check_grad``: compares the engine's ``.grad`` (after ``backward`` on a random-weighted sum
  of the output) with ``numeric_grad`` of the same weighted sum.
* ``assert_close``: dtype-aware comparison against a NumPy reference.

``KERASISH_TEST_DEVICE=gpu`` runs every test with the GPU as the default device (weights, data
and ops made there). A test that fails only because it uses float64 (or float16 / bfloat16), which the GPU lacks (the
engine's TypeError saying so), is reported as skipped; every other failure stays a failure. Tests
of CPU-only behaviour (NumPy zero-copy views, int64 beyond 32 bits, integer pooling) are marked
``cpu_only``. Tests that pick their devices themselves (a ``device`` parameter, or a loop over
``DEVICES``) ran on both devices in the CPU-default run already, so the GPU-default run leaves
them out (deselected): the default device does not reach them.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

import kerasish
from kerasish import ops

settings.register_profile(
    "kerasish",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    # no "explain" phase: it re-runs failing tests many times, which makes a failing suite slow
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("kerasish")

F32_RTOL, F32_ATOL = 1e-5, 1e-6
GRAD_RTOL, GRAD_ATOL = 1e-4, 1e-6


TEST_DEVICE = os.environ.get("KERASISH_TEST_DEVICE", "cpu")
# the engine's TypeError for a dtype the GPU does not hold (float64, float16, bfloat16)
_NOT_ON_GPU = tuple(f"{d} is not supported on the GPU" for d in ("float64", "float16", "bfloat16"))


@pytest.fixture(autouse=True)
def _test_device():
    if TEST_DEVICE == "cpu":
        yield
        return
    kerasish._core.set_device(TEST_DEVICE)
    yield
    kerasish._core.set_device("cpu")


def pytest_configure(config):
    config.addinivalue_line("markers", "cpu_only(reason): tests CPU-only behaviour; skipped when the suite runs on the GPU")
    config.addinivalue_line(
        "markers", "keras_oracle: compares with real Keras 3 on JAX (tests/oracle.py); skipped without keras and jax")


def _sweeps_devices(item):
    """The test chooses its devices itself: a `device` parameter, or it reads the DEVICES list."""
    if "device" in getattr(getattr(item, "callspec", None), "params", {}):
        return True
    fn = getattr(item, "function", None)
    return fn is not None and "DEVICES" in fn.__code__.co_names


def pytest_collection_modifyitems(config, items):
    if TEST_DEVICE == "cpu":
        return
    chosen = [i for i in items if _sweeps_devices(i)]
    if chosen:
        config.hook.pytest_deselected(items=chosen)
        items[:] = [i for i in items if not _sweeps_devices(i)]


def pytest_runtest_setup(item):
    m = item.get_closest_marker("cpu_only")
    if m is not None and TEST_DEVICE != "cpu":
        pytest.skip(f"cpu only: {m.args[0] if m.args else ''}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    exc = call.excinfo
    if TEST_DEVICE == "gpu" and rep.failed and exc is not None and exc.errisinstance(TypeError) \
            and any(m in str(exc.value) for m in _NOT_ON_GPU):
        rep.outcome = "skipped"
        rep.longrepr = (str(item.path), item.location[1] or 0, "a dtype the GPU does not hold (float64/16, bfloat16)")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def is_panic(e: BaseException) -> bool:
    return type(e).__name__ == "PanicException"


def to_np(t) -> np.ndarray:
    """A copy of a tensor's values as a NumPy array (never aliasing the tensor)."""
    return np.array(t.numpy(), copy=True)


def assert_close(got, expected, rtol=F32_RTOL, atol=F32_ATOL, dtype=None, check_shape=True):
    """Compares a kerasish tensor with a NumPy reference: shape, optionally dtype, values."""
    if isinstance(got, kerasish.Tensor):
        if dtype is not None:
            assert got.dtype == dtype, f"dtype {got.dtype} != {dtype}"
        g = to_np(got)
    else:
        g = np.asarray(got)
    e = np.asarray(expected)
    if check_shape:
        assert g.shape == e.shape, f"shape {g.shape} != expected {e.shape}"
    if e.dtype == bool or g.dtype == bool or np.issubdtype(e.dtype, np.integer):
        np.testing.assert_array_equal(g, e)
    else:
        np.testing.assert_allclose(g.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)


def numeric_grad(f, inputs, eps=1e-6):
    """Central finite differences of the scalar ``f(*inputs)`` with respect to each input.

    ``f`` takes NumPy float64 arrays and returns a Python/NumPy scalar; ``inputs`` is a list of
    float64 arrays. Returns one float64 array of each input's shape.
    """
    inputs = [np.array(x, dtype=np.float64, copy=True) for x in inputs]
    grads = []
    for i, x in enumerate(inputs):
        g = np.zeros_like(x)
        flat, gflat = x.reshape(-1), g.reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            fp = float(f(*inputs))
            flat[j] = old - eps
            fm = float(f(*inputs))
            flat[j] = old
            gflat[j] = (fp - fm) / (2 * eps)
        grads.append(g)
    return grads


def check_grad(fn, inputs, wrt=None, seed=0, eps=1e-6, rtol=GRAD_RTOL, atol=GRAD_ATOL):
    """Checks d/d(inputs) of sum(w * fn(*tensors)) against finite differences (float64).

    ``fn`` maps kerasish tensors to one kerasish tensor; ``inputs`` are NumPy float64 arrays (or
    other arrays, passed through as constants when not in ``wrt``). ``wrt``: indices of the
    inputs to differentiate (default: all float inputs).
    """
    inputs = [np.asarray(x) for x in inputs]
    if wrt is None:
        wrt = [i for i, x in enumerate(inputs) if x.dtype == np.float64]
    with kerasish.no_grad():
        probe = fn(*[kerasish.tensor(x) for x in inputs])
    out_shape = tuple(probe.shape)
    assert probe.dtype == "float64", f"expected a float64 output, got {probe.dtype}"
    w = np.random.default_rng(seed).uniform(0.5, 1.5, size=out_shape) * np.random.default_rng(seed + 1).choice(
        [-1.0, 1.0], size=out_shape
    )

    # analytic
    ts = [kerasish.tensor(x, requires_grad=(i in wrt)) for i, x in enumerate(inputs)]
    out = fn(*ts)
    assert out.requires_grad
    loss = ops.sum(out * kerasish.tensor(w))
    assert loss.shape == ()
    loss.backward()

    # numeric: only the wrt inputs vary
    def scalar(*xs):
        with kerasish.no_grad():
            full = list(inputs)
            for k, i in enumerate(wrt):
                full[i] = xs[k]
            y = fn(*[kerasish.tensor(x) for x in full])
            return float(np.sum(to_np(y) * w))

    num = numeric_grad(scalar, [inputs[i] for i in wrt], eps=eps)
    for k, i in enumerate(wrt):
        g = ts[i].grad
        assert g is not None, f"input {i} got no gradient"
        assert tuple(g.shape) == inputs[i].shape, f"grad shape {g.shape} != input shape {inputs[i].shape}"
        assert g.dtype == "float64"
        np.testing.assert_allclose(to_np(g), num[k], rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")
    return [ts[i].grad for i in wrt]


def assert_compiled(model, *kinds):
    """The model ran each kind of step ("train", "test", "predict") as a replayed plan, not op by
    op: a compiled-vs-eager comparison that fell back to the eager path would compare it with
    itself."""
    plans = getattr(model, "_plans", {})
    untraceable = getattr(model, "_untraceable", {})
    for kind in kinds:
        assert kind not in untraceable, f"the {kind} step fell back to eager: {untraceable[kind]}"
        ran = [k for k, p in plans.items() if k[0] == kind and p is not None]
        assert ran, f"no {kind} plan was traced (plans: {sorted(plans)})"


def away_from(x, points, margin=0.1):
    """Moves elements of x that lie within ``margin`` of any of ``points`` out to the margin."""
    x = np.array(x, dtype=np.float64, copy=True)
    for p in points:
        d = x - p
        near = np.abs(d) < margin
        x[near] = p + np.where(d[near] >= 0, margin, -margin)
    return x


@pytest.fixture(autouse=True)
def _grad_mode_on():
    """Every test starts with gradient recording on (an engine panic inside a no_grad section
    could otherwise leave it off and cascade into unrelated failures)."""
    if not kerasish.is_grad_enabled():
        kerasish._core.set_grad_enabled(True)
    yield
