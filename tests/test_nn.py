"""softmax, log_softmax, conv, max/average pooling and the crossentropies against independent
NumPy references."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kerasish as K
from conftest import assert_close, check_grad, to_np
from kerasish import ops

seeds = st.integers(0, 2**32 - 1)
EPS = 1e-7


# ---------------------------------------------------------------- NumPy references


def np_softmax(x, axis):
    if axis is None:
        return np_softmax(x.reshape(-1), -1).reshape(x.shape)
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def np_log_softmax(x, axis):
    if axis is None:
        return np_log_softmax(x.reshape(-1), -1).reshape(x.shape)
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _out_and_pad(n, k, s, d, padding):
    span = (k - 1) * d + 1
    if padding == "valid":
        out = (n - span) // s + 1 if n >= span else 0
        return out, 0, 0
    out = math.ceil(n / s)
    total = max((out - 1) * s + span - n, 0)
    return out, total // 2, total - total // 2


def np_conv2d(x, k, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """NHWC input, (kh, kw, c, o) kernel; TF/Keras 'same' padding (extra on the bottom/right)."""
    n, h, w, c = x.shape
    kh, kw, _, o = k.shape
    (sh, sw), (dh, dw) = strides, dilation
    oh, pt, pb = _out_and_pad(h, kh, sh, dh, padding)
    ow, pl, pr = _out_and_pad(w, kw, sw, dw, padding)
    xp = np.zeros((n, h + pt + pb + (kh - 1) * dh + sh, w + pl + pr + (kw - 1) * dw + sw, c), dtype=np.float64)
    xp[:, pt : pt + h, pl : pl + w, :] = x
    out = np.zeros((n, oh, ow, o), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i * dh : i * dh + oh * sh : sh, j * dw : j * dw + ow * sw : sw, :][:, :oh, :ow, :]
            out += np.einsum("nhwc,co->nhwo", patch, k[i, j].astype(np.float64))
    return out


def np_conv1d(x, k, stride=1, padding="valid", dilation=1):
    return np_conv2d(x[:, None], k[None], (1, stride), padding, (1, dilation))[:, 0]


def np_pool2d(x, pool, strides, padding, kind):
    n, h, w, c = x.shape
    (ph, pw), (sh, sw) = pool, strides
    oh, pt, _ = _out_and_pad(h, ph, sh, 1, padding)
    ow, pl, _ = _out_and_pad(w, pw, sw, 1, padding)
    out = np.zeros((n, oh, ow, c), dtype=np.float64)
    for i in range(oh):
        for j in range(ow):
            y0, x0 = i * sh - pt, j * sw - pl
            win = x[:, max(y0, 0) : min(y0 + ph, h), max(x0, 0) : min(x0 + pw, w), :].astype(np.float64)
            out[:, i, j, :] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out


def np_bce(t, o, from_logits):
    t, o = t.astype(np.float64), o.astype(np.float64)
    if from_logits:
        return np.maximum(o, 0) - o * t + np.log1p(np.exp(-np.abs(o)))
    p = np.clip(o, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def np_cce(t, o, from_logits, axis=-1):
    t, o = t.astype(np.float64), o.astype(np.float64)
    if from_logits:
        return -np.sum(t * np_log_softmax(o, axis), axis=axis)
    p = o / np.sum(o, axis=axis, keepdims=True)
    p = np.clip(p, EPS, 1 - EPS)
    return -np.sum(t * np.log(p), axis=axis)


def np_scce(labels, o, from_logits, axis=-1):
    c = o.shape[axis]
    oh = np.moveaxis(np.eye(c)[labels], -1, axis)
    return np_cce(oh, o, from_logits, axis)


# ---------------------------------------------------------------- softmax family


@st.composite
def shape_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5))
    nd = len(shape)
    axis = draw(st.one_of(st.integers(-nd, nd - 1), st.none()))
    return shape, axis


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(sa=shape_axis(), seed=seeds, dtype=st.sampled_from(["float32", "float64"]))
def test_softmax_family(name, sa, seed, dtype):
    shape, axis = sa
    x = (np.random.default_rng(seed).normal(size=shape) * 4).astype(dtype)
    ref = np_softmax if name == "softmax" else np_log_softmax
    got = getattr(ops, name)(K.tensor(x), axis=axis)
    assert got.dtype == dtype
    assert_close(got, ref(x.astype(np.float64), axis), atol=1e-6 if dtype == "float32" else 1e-12)


def test_softmax_default_axis_is_last_and_stable():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]], dtype=np.float32)
    assert_close(ops.softmax(K.tensor(x)), np_softmax(x.astype(np.float64), -1))
    assert_close(ops.log_softmax(K.tensor(x)), np_log_softmax(x.astype(np.float64), -1), atol=1e-4)
    s = to_np(ops.softmax(K.tensor(x), axis=0))
    np.testing.assert_allclose(s.sum(axis=0), 1.0, rtol=1e-6)


def test_softmax_size_zero_axis():
    x = np.zeros((2, 0), np.float32)
    assert ops.softmax(K.tensor(x)).shape == (2, 0)
    x = np.zeros((0, 3), np.float32)
    assert_close(ops.softmax(K.tensor(x), axis=-1), x)


# ---------------------------------------------------------------- conv


@st.composite
def conv2d_case(draw):
    n = draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    c, o = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.sampled_from([1, 2])), draw(st.sampled_from([1, 2])))
    dilation = (draw(st.sampled_from([1, 2])), draw(st.sampled_from([1, 2])))
    padding = draw(st.sampled_from(["valid", "same"]))
    return (n, h, w, c), (kh, kw, c, o), strides, padding, dilation


@given(case=conv2d_case(), seed=seeds)
def test_conv2d_matches_reference(case, seed):
    xs, ks, strides, padding, dilation = case
    r = np.random.default_rng(seed)
    x = r.normal(size=xs).astype(np.float32)
    k = r.normal(size=ks).astype(np.float32)
    got = ops.conv(K.tensor(x), K.tensor(k), strides=strides, padding=padding, dilation_rate=dilation)
    assert got.dtype == "float32"
    assert_close(got, np_conv2d(x, k, strides, padding, dilation), atol=1e-5)


@pytest.mark.parametrize("strides", [1, 2, (2, 1)])
@pytest.mark.parametrize("padding", ["valid", "same", "SAME"])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv2d_grid(strides, padding, dilation):
    r = np.random.default_rng(7)
    x = r.normal(size=(2, 9, 8, 3))
    k = r.normal(size=(3, 2, 3, 4))
    s = (strides, strides) if isinstance(strides, int) else strides
    got = ops.conv(K.tensor(x), K.tensor(k), strides=strides, padding=padding, dilation_rate=dilation)
    assert got.dtype == "float64"
    assert_close(got, np_conv2d(x, k, s, padding.lower(), (dilation, dilation)), rtol=1e-10, atol=1e-10)


@given(
    n=st.integers(1, 2), w=st.integers(1, 9), c=st.integers(1, 3), o=st.integers(1, 3), kw=st.integers(1, 4),
    stride=st.sampled_from([1, 2]), dilation=st.sampled_from([1, 2]), padding=st.sampled_from(["valid", "same"]), seed=seeds,
)
def test_conv1d_matches_reference(n, w, c, o, kw, stride, dilation, padding, seed):
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, w, c)).astype(np.float32)
    k = r.normal(size=(kw, c, o)).astype(np.float32)
    got = ops.conv(K.tensor(x), K.tensor(k), strides=stride, padding=padding, dilation_rate=dilation)
    assert_close(got, np_conv1d(x, k, stride, padding, dilation), atol=1e-5)


def test_conv_larger_batch_matches_reference():
    r = np.random.default_rng(8)
    x = r.normal(size=(9, 12, 11, 5)).astype(np.float32)
    k = r.normal(size=(3, 3, 5, 6)).astype(np.float32)
    got = ops.conv(K.tensor(x), K.tensor(k), strides=2, padding="same")
    assert_close(got, np_conv2d(x, k, (2, 2), "same"), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("ks", [(3, 3, 1, 70), (3, 3, 3, 40), (3, 3, 4, 40), (1, 1, 33, 8)],
                         ids=["direct-1ch", "direct-27", "gemm-36", "gemm-1x1"])
def test_conv_kernel_paths_match_reference(ks):
    # the direct kernels (patch rows <= 32: full 32-channel blocks and a remainder) and im2col +
    # GEMM (longer rows; 11 images: tiles of 8 and 3), forward and both gradients
    r = np.random.default_rng(9)
    x = r.normal(size=(11, 6, 5, ks[2]))
    k = r.normal(size=ks)
    xt, kt = K.tensor(x, requires_grad=True), K.tensor(k, requires_grad=True)
    y = ops.conv(xt, kt, padding="same")
    assert_close(y, np_conv2d(x, k, (1, 1), "same"), rtol=1e-10, atol=1e-10)
    g = r.normal(size=y.shape)
    ops.sum(y * K.tensor(g)).backward()
    # reference gradients: the conv is linear, so d/dk = sum over pixels of patches * g
    pad = ((0, 0), ((ks[0] - 1) // 2, ks[0] // 2), ((ks[1] - 1) // 2, ks[1] // 2), (0, 0))
    xp = np.pad(x, pad)
    dk = np.zeros_like(k)
    dx = np.zeros_like(xp)
    for a in range(ks[0]):
        for b in range(ks[1]):
            win = xp[:, a:a + 6, b:b + 5, :]
            dk[a, b] = np.einsum("nhwc,nhwo->co", win, g)
            dx[:, a:a + 6, b:b + 5, :] += np.einsum("nhwo,co->nhwc", g, k[a, b])
    assert_close(kt.grad, dk, rtol=1e-9, atol=1e-9)
    assert_close(xt.grad, dx[:, pad[1][0]:pad[1][0] + 6, pad[2][0]:pad[2][0] + 5, :], rtol=1e-9, atol=1e-9)


def test_conv_on_noncontiguous_input():
    r = np.random.default_rng(9)
    x = r.normal(size=(2, 6, 5, 3)).astype(np.float32)
    k = r.normal(size=(2, 2, 3, 2)).astype(np.float32)
    xt = ops.transpose(K.tensor(np.ascontiguousarray(np.transpose(x, (0, 2, 1, 3)))), (0, 2, 1, 3))
    assert_close(ops.conv(xt, K.tensor(k)), np_conv2d(x, k), atol=1e-5)


# ---------------------------------------------------------------- pooling


@st.composite
def pool_case(draw):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    pool = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    strides = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = draw(st.sampled_from(["valid", "same"]))
    return (n, h, w, c), pool, strides, padding


@pytest.mark.parametrize("kind", ["max", "average"])
@given(case=pool_case(), seed=seeds)
def test_pool2d_matches_reference(kind, case, seed):
    shape, pool, strides, padding = case
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    fn = ops.max_pool if kind == "max" else ops.average_pool
    got = fn(K.tensor(x), pool_size=pool, strides=strides, padding=padding)
    st_ = pool if strides is None else strides
    assert_close(got, np_pool2d(x, pool, st_, padding, kind))


@pytest.mark.parametrize("kind", ["max", "average"])
def test_pool_same_padding_averages_valid_elements_only(kind):
    x = np.arange(1.0, 10.0, dtype=np.float32).reshape(1, 3, 3, 1)
    fn = ops.max_pool if kind == "max" else ops.average_pool
    got = to_np(fn(K.tensor(x), pool_size=2, strides=2, padding="same"))[0, :, :, 0]
    if kind == "max":
        np.testing.assert_array_equal(got, [[5, 6], [8, 9]])
    else:
        # windows [1,2,4,5], [3,6], [7,8], [9]: padding is not counted
        np.testing.assert_allclose(got, [[3.0, 4.5], [7.5, 9.0]])


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool1d(kind, padding):
    x = np.random.default_rng(2).normal(size=(2, 7, 3)).astype(np.float32)
    fn = ops.max_pool if kind == "max" else ops.average_pool
    got = fn(K.tensor(x), pool_size=2, strides=2, padding=padding)
    exp = np_pool2d(x[:, None], (1, 2), (1, 2), padding, kind)[:, 0]
    assert_close(got, exp)


@pytest.mark.cpu_only("GPU pooling is float32")
def test_max_pool_with_negative_values_and_ints():
    x = -np.abs(np.random.default_rng(3).normal(size=(1, 4, 4, 2))).astype(np.float32) - 1
    assert_close(ops.max_pool(K.tensor(x), 3, 1, "same"), np_pool2d(x, (3, 3), (1, 1), "same", "max"))
    xi = np.arange(32).reshape(1, 4, 4, 2)
    assert_close(ops.max_pool(K.tensor(xi), 2), np_pool2d(xi, (2, 2), (2, 2), "valid", "max").astype(np.int64))


# ---------------------------------------------------------------- crossentropies


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), seed=seeds, from_logits=st.booleans())
def test_binary_crossentropy(shape, seed, from_logits):
    r = np.random.default_rng(seed)
    t = (r.random(shape) > 0.5).astype(np.float32)
    o = (r.normal(size=shape) * 4).astype(np.float32) if from_logits else r.uniform(0, 1, size=shape).astype(np.float32)
    got = ops.binary_crossentropy(K.tensor(t), K.tensor(o), from_logits=from_logits)
    assert got.shape == shape  # elementwise, no reduction
    assert_close(got, np_bce(t, o, from_logits), rtol=1e-5, atol=1e-5)


def test_binary_crossentropy_clips_probabilities():
    t = np.array([1.0, 0.0, 1.0, 0.0, 0.3], dtype=np.float64)
    o = np.array([0.0, 1.0, 1.0, 0.0, 0.5], dtype=np.float64)
    got = ops.binary_crossentropy(K.tensor(t), K.tensor(o))
    np.testing.assert_allclose(to_np(got), np_bce(t, o, False), rtol=1e-7)
    assert np.all(np.isfinite(to_np(got)))
    # soft targets and extreme logits
    x = np.array([-100.0, 100.0, 0.0])
    tt = np.array([0.2, 0.7, 0.5])
    np.testing.assert_allclose(to_np(ops.binary_crossentropy(K.tensor(tt), K.tensor(x), from_logits=True)), np_bce(tt, x, True),
                               rtol=1e-12)


@st.composite
def cce_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    nd = len(shape)
    axis = draw(st.sampled_from([-1] + list(range(-nd, nd))))
    return shape, axis


@given(case=cce_case(), seed=seeds, from_logits=st.booleans())
def test_categorical_crossentropy(case, seed, from_logits):
    shape, axis = case
    r = np.random.default_rng(seed)
    c = shape[axis]
    labels = r.integers(0, c, size=tuple(d for i, d in enumerate(shape) if i != axis % len(shape)))
    t = np.moveaxis(np.eye(c, dtype=np.float32)[labels], -1, axis)
    if from_logits:
        o = (r.normal(size=shape) * 3).astype(np.float32)
    else:
        o = r.uniform(0.01, 2, size=shape).astype(np.float32)  # not normalised: the op renormalises
    got = ops.categorical_crossentropy(K.tensor(t), K.tensor(o), from_logits=from_logits, axis=axis)
    exp = np_cce(t, o, from_logits, axis)
    assert got.shape == exp.shape
    assert_close(got, exp, rtol=1e-5, atol=1e-5)


@given(case=cce_case(), seed=seeds, from_logits=st.booleans())
def test_sparse_categorical_crossentropy(case, seed, from_logits):
    shape, axis = case
    r = np.random.default_rng(seed)
    c = shape[axis]
    labels = r.integers(0, c, size=tuple(d for i, d in enumerate(shape) if i != axis % len(shape)))
    o = (r.normal(size=shape) * 3).astype(np.float32) if from_logits else r.uniform(0.01, 2, size=shape).astype(np.float32)
    got = ops.sparse_categorical_crossentropy(K.tensor(labels), K.tensor(o), from_logits=from_logits, axis=axis)
    assert_close(got, np_scce(labels, o, from_logits, axis), rtol=1e-5, atol=1e-5)


def test_categorical_crossentropy_soft_targets_and_clipping():
    t = np.array([[0.2, 0.3, 0.5], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    o = np.array([[0.1, 0.1, 0.8], [1.0, 0.0, 0.0], [2.0, 2.0, 0.0]])  # row 2 gives p=0: clipped
    got = to_np(ops.categorical_crossentropy(K.tensor(t), K.tensor(o)))
    np.testing.assert_allclose(got, np_cce(t, o, False), rtol=1e-10)
    np.testing.assert_allclose(got[1], -np.log(EPS), rtol=1e-10)


def test_sparse_categorical_crossentropy_label_shapes():
    r = np.random.default_rng(0)
    o = r.normal(size=(4, 5))
    labels = np.array([0, 4, 2, 1])
    exp = np_scce(labels, o, True)
    assert_close(ops.sparse_categorical_crossentropy(K.tensor(labels), K.tensor(o), from_logits=True), exp, rtol=1e-10)
    # labels of shape (batch, 1) as Keras accepts
    assert_close(ops.sparse_categorical_crossentropy(K.tensor(labels[:, None]), K.tensor(o), from_logits=True), exp, rtol=1e-10)
    # probabilities
    p = np_softmax(o, -1)
    assert_close(ops.sparse_categorical_crossentropy(K.tensor(labels), K.tensor(p)), np_scce(labels, p, False), rtol=1e-10)


# ---------------------------------------------------------------- bias + activation (layer epilogue)
_ACTS = {"linear": lambda z: z, "relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
         "tanh": np.tanh}


@pytest.mark.parametrize("act", sorted(_ACTS))
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 4, 6), (7,)])
def test_bias_act_forward(act, shape):
    rng = np.random.default_rng(0)
    z = rng.normal(size=shape).astype(np.float32)
    b = rng.normal(size=shape[-1:]).astype(np.float32)
    got = K._core.bias_act(K.tensor(z), K.tensor(b), act).numpy()
    np.testing.assert_allclose(got, _ACTS[act](z + b), rtol=1e-5, atol=1e-6)
    got = K._core.bias_act(K.tensor(z), None, act).numpy()
    np.testing.assert_allclose(got, _ACTS[act](z), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("act", sorted(_ACTS))
def test_bias_act_grad(act):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 2, 4))
    z[np.abs(z) < 0.05] = 0.3  # keep relu's kink away from the finite-difference step
    b = rng.normal(size=(4,)) * 0.01
    check_grad(lambda z, b: K._core.bias_act(z, b, act), [z, b])


def test_bias_act_checks_arguments():
    z = K.tensor(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"bias of shape \(2,\).*last dim 3"):
        K._core.bias_act(z, K.tensor(np.ones(2, np.float32)), "relu")
    with pytest.raises(ValueError, match="unknown activation 'gelu'; valid: linear, relu, sigmoid, tanh"):
        K._core.bias_act(z, None, "gelu")


# ---------------------------------------------------------------- conv with bias + activation (Conv layers)
def _conv_inputs(seed, xs, ks):
    """Inputs whose pre-activations stay 0.05 away from relu's kink (for finite differences)."""
    rng = np.random.default_rng(seed)
    while True:
        x, k, b = rng.normal(size=xs), rng.normal(size=ks), rng.normal(size=ks[-1:])
        if np.abs(np_conv2d(x, k, (1, 1), "same") + b).min() > 0.05:
            return x, k, b


@pytest.mark.parametrize("act", sorted(_ACTS))
@pytest.mark.parametrize("ks", [(3, 3, 1, 33), (3, 3, 4, 6)], ids=["direct", "gemm"])
def test_conv_bias_act_forward(act, ks):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(10, 5, 6, ks[2])).astype(np.float32)
    k = rng.normal(size=ks).astype(np.float32)
    b = rng.normal(size=ks[-1:]).astype(np.float32)
    ref = np_conv2d(x, k, (1, 1), "same")
    got = K._core.conv(K.tensor(x), K.tensor(k), [1, 1], "same", [1, 1], K.tensor(b), act)
    assert_close(got, _ACTS[act](ref + b), rtol=1e-4, atol=1e-4)
    got = K._core.conv(K.tensor(x), K.tensor(k), [1, 1], "same", [1, 1], None, act)
    assert_close(got, _ACTS[act](ref), rtol=1e-4, atol=1e-4)
    # 1-D inputs take the same path
    got = K._core.conv(K.tensor(x[:, 0]), K.tensor(k[1]), [1, 1], "same", [1, 1], K.tensor(b), act)
    assert_close(got, _ACTS[act](np_conv1d(x[:, 0], k[1], 1, "same") + b), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("act", sorted(_ACTS))
@pytest.mark.parametrize("xs,ks", [((3, 4, 4, 1), (3, 3, 1, 2)), ((9, 3, 3, 4), (3, 3, 4, 2))], ids=["direct", "gemm"])
def test_conv_bias_act_grad(act, xs, ks):
    x, k, b = _conv_inputs(3, xs, ks)
    check_grad(lambda x, k, b: K._core.conv(x, k, [1, 1], "same", [1, 1], b, act), [x, k, b])


def test_conv_bias_act_checks_arguments():
    x, k = K.tensor(np.ones((1, 4, 4, 2), np.float32)), K.tensor(np.ones((3, 3, 2, 5), np.float32))
    with pytest.raises(ValueError, match=r"conv: bias of shape \(4,\).*last dim 5"):
        K._core.conv(x, k, [1, 1], "same", [1, 1], K.tensor(np.ones(4, np.float32)), "relu")
    with pytest.raises(ValueError, match="conv: unknown activation 'gelu'; valid: linear, relu, sigmoid, tanh"):
        K._core.conv(x, k, [1, 1], "same", [1, 1], None, "gelu")


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "elu"])
def test_conv_layer_fused_equals_composition(activation):
    # relu/sigmoid run fused in the conv kernels, elu as conv then activation: both as composed
    rng = np.random.default_rng(4)
    x = K.tensor(rng.normal(size=(3, 6, 6, 2)).astype(np.float32))
    layer = K.layers.Conv2D(4, 3, padding="same", activation=activation, bias_initializer="glorot_uniform")
    y = layer(x)
    ops.sum(y * y).backward()
    with K.no_grad():
        ref = getattr(ops, activation)(ops.conv(x, layer.kernel, padding="same") + layer.bias)
    assert_close(y, ref.numpy(), rtol=1e-5, atol=1e-6)
    kern = K.tensor(layer.kernel.numpy(), requires_grad=True)
    bias = K.tensor(layer.bias.numpy(), requires_grad=True)
    z = getattr(ops, activation)(ops.conv(x, kern, padding="same") + bias)
    ops.sum(z * z).backward()
    assert_close(layer.kernel.grad, kern.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert_close(layer.bias.grad, bias.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_sparse_crossentropy_from_logits_fused_pass():
    # the one-pass kernel (logits on the last axis): large logits, 3-D logits, gradient rows
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3, 7)) * 30.0
    labels = rng.integers(0, 7, size=(4, 3))
    m = x.max(-1, keepdims=True)
    lse = (m + np.log(np.exp(x - m).sum(-1, keepdims=True)))[..., 0]
    ref = lse - np.take_along_axis(x, labels[..., None], -1)[..., 0]
    xt = K.tensor(x, requires_grad=True)
    got = ops.sparse_categorical_crossentropy(K.tensor(labels), xt, from_logits=True)
    assert_close(got, ref, rtol=1e-12, atol=1e-12)
    ops.sum(got).backward()
    soft = np.exp(x - lse[..., None])
    assert_close(xt.grad, soft - np.eye(7)[labels], rtol=1e-12, atol=1e-12)
    check_grad(lambda o: ops.sparse_categorical_crossentropy(K.tensor(labels), o, from_logits=True), [x / 30.0])
