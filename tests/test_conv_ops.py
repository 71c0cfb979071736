"""keras.ops.nn convolutions beyond the plain conv: conv_transpose, depthwise_conv,
separable_conv, grouped conv and data_format="channels_first". Forward against real Keras on JAX
(the oracle; float32 on every device, float64 on the CPU) and against NumPy references written
here by the definitions (a scatter for the transpose, one channel at a time for depthwise);
float64 gradients against finite differences; views, low-precision dtypes and errors."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import kerasish as K
from conftest import check_grad, to_np
from kerasish import ops
from oracle import keras_np, oracle, real_keras
from test_nn import np_conv2d
from test_nn_more import close, kt, on  # the oracle helpers of the nn tests
from test_views_dtypes import DEVICES

R = np.random.default_rng(20261202)


def rnd(*shape, dtype=np.float32):
    return R.normal(size=shape).astype(dtype)


def spatial(rank, size=(5, 6)):
    return size[:rank] if rank == 2 else size[1:]


# ---------------------------------------------------------------- NumPy references

def np_conv_transpose(x, k, strides, padding, output_padding=None, dilation=None):
    """By the definition: each input pixel adds its kernel-weighted value to the output at
    in * stride + tap * dilation - (padding before), on a canvas of Keras's output size (the
    sizes follow keras/src/backend/common/backend_utils.py)."""
    rank = x.ndim - 2
    strides = strides if isinstance(strides, tuple) else (strides,) * rank
    dilation = dilation or (1,) * rank
    ops_ = output_padding if isinstance(output_padding, tuple) else (output_padding,) * rank
    sizes, before = [], []
    for i in range(rank):
        keff = (k.shape[i] - 1) * dilation[i] + 1
        s, op = strides[i], ops_[i]
        if padding == "valid":
            left, right = keff - 1, keff - 1 + (max(keff, s) - keff if op is None else op)
        else:
            total = s + keff - 2 if op is None else keff + keff % 2 - 2 + op
            left = min(total // 2 + total % 2, keff - 1)
            right = total - left
        sizes.append((x.shape[1 + i] - 1) * s + 1 + left + right - (keff - 1))
        before.append(keff - 1 - left)
    out = np.zeros((x.shape[0], *sizes, k.shape[-2]))
    for pos in itertools.product(*[range(n) for n in x.shape[1:-1]]):
        for tap in itertools.product(*[range(n) for n in k.shape[:-2]]):
            at = [p * s + t * d - b for p, s, t, d, b in zip(pos, strides, tap, dilation, before)]
            if all(0 <= a < n for a, n in zip(at, sizes)):
                out[(slice(None), *at)] += x[(slice(None), *pos)].astype(np.float64) @ k[tap].astype(np.float64).T
    return out


def np_depthwise(x, k, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """One channel at a time with the plain-conv reference; channel c's filter m lands at c * mult + m."""
    parts = [np_conv2d(x[..., c:c + 1], k[:, :, c:c + 1, :], strides, padding, dilation) for c in range(x.shape[-1])]
    return np.concatenate(parts, axis=-1)


# ---------------------------------------------------------------- conv_transpose

CT_CASES = [
    # rank, kernel taps, strides, padding, output_padding, dilation
    (2, (3, 3), 1, "valid", None, 1),
    (2, (3, 3), 2, "valid", None, 1),
    (2, (2, 3), (2, 3), "same", None, 1),
    (2, (3, 3), 2, "same", 1, 1),
    (2, (3, 3), 2, "valid", 1, 1),
    (2, (4, 4), 3, "same", None, 1),
    (2, (3, 2), 1, "same", None, 2),
    (2, (1, 1), 2, "valid", None, 1),
    (1, (3,), 2, "same", None, 1),
    (1, (4,), 3, "valid", 2, 1),
    (1, (3,), 1, "valid", None, 2),
]


@pytest.mark.parametrize("case", CT_CASES, ids=[f"r{c[0]}k{c[1]}s{c[2]}{c[3]}op{c[4]}d{c[5]}" for c in CT_CASES])
def test_conv_transpose_matches_numpy_reference(case):
    rank, taps, strides, padding, op, dil = case
    x, k = rnd(2, *spatial(rank), 3), rnd(*taps, 4, 3)
    d = (dil,) * rank
    want = np_conv_transpose(x, k, strides if isinstance(strides, tuple) else (strides,) * rank, padding, op, d)
    for device in DEVICES:
        got = ops.conv_transpose(on(device, x), on(device, k), strides, padding, op, dilation_rate=dil)
        assert got.dtype == "float32" and got.device == device
        close(got, want, 1e-5, 1e-4)


@oracle
@pytest.mark.parametrize("case", CT_CASES, ids=[f"r{c[0]}k{c[1]}s{c[2]}{c[3]}op{c[4]}d{c[5]}" for c in CT_CASES])
def test_conv_transpose_matches_keras(case):
    keras = real_keras()
    rank, taps, strides, padding, op, dil = case
    x, k = rnd(2, *spatial(rank), 3), rnd(*taps, 4, 3)
    want = keras_np(keras.ops.conv_transpose(kt(keras, x), kt(keras, k), strides, padding, op, dilation_rate=dil))
    close(ops.conv_transpose(K.tensor(x), K.tensor(k), strides, padding, op, dilation_rate=dil), want, 1e-5, 1e-4)
    x64, k64 = x.astype(np.float64), k.astype(np.float64)
    want64 = keras_np(keras.ops.conv_transpose(kt(keras, x64), kt(keras, k64), strides, padding, op,
                                               dilation_rate=dil))
    got64 = ops.conv_transpose(K.tensor(x64), K.tensor(k64), strides, padding, op, dilation_rate=dil)
    assert got64.dtype == "float64"
    close(got64, want64, 1e-12, 1e-12)


def test_conv_transpose_is_the_adjoint_of_conv():
    """<conv_transpose(g, k), x> == <g, conv(x, k)> ("valid", output_padding chosen to give x's
    size back): the transpose really is conv's transpose."""
    x, k = rnd(2, 7, 8, 4, dtype=np.float64), rnd(3, 3, 4, 5, dtype=np.float64)
    for strides, dil in [(1, 1), (2, 1), (3, 1), (1, 2)]:
        y = to_np(ops.conv(K.tensor(x), K.tensor(k), strides, "valid", dilation_rate=dil))
        g = rnd(*y.shape, dtype=np.float64)
        keff = 2 * dil + 1
        op = tuple(n - ((m - 1) * strides + keff) for n, m in zip(x.shape[1:3], y.shape[1:3]))
        t = to_np(ops.conv_transpose(K.tensor(g), K.tensor(k), strides, "valid", op, dilation_rate=dil))
        assert t.shape == x.shape
        np.testing.assert_allclose(np.sum(t * x), np.sum(g * y), rtol=1e-12)


@pytest.mark.parametrize("case", [CT_CASES[1], CT_CASES[3], CT_CASES[6], CT_CASES[9]])
def test_conv_transpose_gradients(case):
    rank, taps, strides, padding, op, dil = case
    x, k = rnd(2, *spatial(rank, (3, 4)), 2, dtype=np.float64), rnd(*taps, 3, 2, dtype=np.float64)
    check_grad(lambda a, b: ops.conv_transpose(a, b, strides, padding, op, dilation_rate=dil), [x, k])


# ---------------------------------------------------------------- depthwise, separable, grouped

DW_CASES = [
    # rank, taps, multiplier, strides, padding, dilation
    (2, (3, 3), 1, 1, "valid", 1),
    (2, (3, 3), 2, 2, "same", 1),
    (2, (2, 3), 3, (1, 2), "same", 1),
    (2, (3, 3), 1, 1, "same", 2),
    (1, (3,), 2, 2, "valid", 1),
    (1, (4,), 1, 1, "same", 2),
]
DW_IDS = [f"r{c[0]}k{c[1]}m{c[2]}s{c[3]}{c[4]}d{c[5]}" for c in DW_CASES]


def _as2d(rank, x, k):
    return (x, k) if rank == 2 else (x[:, None], k[None])


@pytest.mark.parametrize("case", DW_CASES, ids=DW_IDS)
def test_depthwise_conv_matches_numpy_reference(case):
    rank, taps, mult, strides, padding, dil = case
    x, k = rnd(2, *spatial(rank, (7, 8)), 3), rnd(*taps, 3, mult)
    x2, k2 = _as2d(rank, x, k)
    s2 = (strides if isinstance(strides, tuple) else (strides, strides)) if rank == 2 else (1, strides)
    want = np_depthwise(x2, k2, s2, padding, (dil, dil) if rank == 2 else (1, dil))
    want = want if rank == 2 else want[:, 0]
    for device in DEVICES:
        got = ops.depthwise_conv(on(device, x), on(device, k), strides, padding, dilation_rate=dil)
        assert got.device == device
        close(got, want, 1e-5, 1e-5)


@oracle
@pytest.mark.parametrize("case", DW_CASES, ids=DW_IDS)
def test_depthwise_and_separable_conv_match_keras(case):
    keras = real_keras()
    rank, taps, mult, strides, padding, dil = case
    if dil > 1 and strides != 1:
        pytest.skip("Keras requires strides 1 with dilation")
    x, k = rnd(2, *spatial(rank, (7, 8)), 3), rnd(*taps, 3, mult)
    pw = rnd(*(1,) * rank, 3 * mult, 5)
    want = keras_np(keras.ops.depthwise_conv(kt(keras, x), kt(keras, k), strides, padding, dilation_rate=dil))
    want_sep = keras_np(keras.ops.separable_conv(kt(keras, x), kt(keras, k), kt(keras, pw), strides, padding,
                                                 dilation_rate=dil))
    for device in DEVICES:
        close(ops.depthwise_conv(on(device, x), on(device, k), strides, padding, dilation_rate=dil), want)
        close(ops.separable_conv(on(device, x), on(device, k), on(device, pw), strides, padding, dilation_rate=dil),
              want_sep, 1e-5, 1e-4)


@oracle
@pytest.mark.parametrize("kc,filters", [(2, 6), (3, 4), (1, 12), (1, 6)])
def test_grouped_conv_matches_keras(kc, filters):
    """A kernel with fewer input channels than the inputs: c // kc groups (kc == 1 is depthwise)."""
    keras = real_keras()
    x, k = rnd(2, 6, 7, 6), rnd(3, 3, kc, filters)
    for strides, padding in [(1, "same"), (2, "valid")]:
        want = keras_np(keras.ops.conv(kt(keras, x), kt(keras, k), strides, padding))
        for device in DEVICES:
            close(ops.conv(on(device, x), on(device, k), strides, padding), want, 1e-5, 1e-4)


@oracle
def test_channels_first_matches_keras():
    keras = real_keras()
    x = rnd(2, 3, 6, 5)
    k, kd, kt_ = rnd(3, 3, 3, 4), rnd(3, 3, 3, 2), rnd(3, 3, 4, 3)
    pw = rnd(1, 1, 6, 4)
    cases = [
        ("conv", (k,), {"strides": 2, "padding": "same"}),
        ("depthwise_conv", (kd,), {"padding": "same"}),
        ("separable_conv", (kd, pw), {}),
        ("conv_transpose", (kt_,), {"strides": 2, "padding": "same"}),
    ]
    for name, kernels, kw in cases:
        want = keras_np(getattr(keras.ops, name)(kt(keras, x), *[kt(keras, a) for a in kernels],
                                                 data_format="channels_first", **kw))
        got = getattr(ops, name)(K.tensor(x), *[K.tensor(a) for a in kernels], data_format="channels_first", **kw)
        close(got, want, 1e-5, 1e-4)


@pytest.mark.parametrize("case", [DW_CASES[1], DW_CASES[3], DW_CASES[4]], ids=[DW_IDS[1], DW_IDS[3], DW_IDS[4]])
def test_depthwise_and_separable_gradients(case):
    rank, taps, mult, strides, padding, dil = case
    x, k = rnd(1, *spatial(rank, (5, 5)), 2, dtype=np.float64), rnd(*taps, 2, mult, dtype=np.float64)
    check_grad(lambda a, b: ops.depthwise_conv(a, b, strides, padding, dilation_rate=dil), [x, k])
    pw = rnd(*(1,) * rank, 2 * mult, 3, dtype=np.float64)
    check_grad(lambda a, b, c: ops.separable_conv(a, b, c, strides, padding, dilation_rate=dil), [x, k, pw])


def test_grouped_conv_gradients():
    x, k = rnd(1, 5, 4, 4, dtype=np.float64), rnd(2, 2, 2, 6, dtype=np.float64)
    check_grad(lambda a, b: ops.conv(a, b, 1, "same"), [x, k])


# ---------------------------------------------------------------- views, dtypes, errors

def test_convs_take_views():
    """Transposed and strided operands give what their contiguous copies give."""
    base = rnd(2, 6, 8, 6)
    x_view = K.tensor(base)[:, ::2, :, :3]                       # strided
    x_t = ops.transpose(K.tensor(base.transpose(0, 2, 1, 3).copy()), (0, 2, 1, 3))  # permuted
    xs = [(x_view, base[:, ::2, :, :3]), (x_t, base)]
    for xv, xc in xs:
        c = xc.shape[-1]
        k, kd, ktr = rnd(3, 3, c, 4), rnd(3, 3, c, 2), rnd(2, 2, 5, c)
        close(ops.conv_transpose(xv, K.tensor(ktr), 2), ops.conv_transpose(K.tensor(np.ascontiguousarray(xc)),
                                                                               K.tensor(ktr), 2))
        close(ops.depthwise_conv(xv, K.tensor(kd), padding="same"), np_depthwise(xc, kd, padding="same"))
        del k


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
def test_convs_keep_low_and_high_precision(dtype):
    x, k, kd = rnd(1, 5, 5, 2), rnd(3, 3, 3, 2), rnd(3, 3, 2, 2)
    try:
        xt, kt_, kdt = (K.tensor(a).astype(dtype) for a in (x, k, kd))
    except TypeError as e:  # the GPU holds none of these
        pytest.skip(str(e))
    tr = ops.conv_transpose(xt, kt_, 2, "same")
    dw = ops.depthwise_conv(xt, kdt)
    assert tr.dtype == dtype and dw.dtype == dtype
    tol = {"float16": 2e-2, "bfloat16": 1e-1, "float64": 1e-6}[dtype]
    close(tr.astype("float32"), np_conv_transpose(to_np(xt.astype("float64")), to_np(kt_.astype("float64")), 2, "same"),
          tol, tol)
    close(dw.astype("float32"), np_depthwise(to_np(xt.astype("float64")), to_np(kdt.astype("float64"))), tol, tol)


def test_conv_errors_name_the_problem():
    x = K.tensor(rnd(1, 5, 5, 3))
    with pytest.raises(ValueError, match="channels"):
        ops.conv_transpose(x, K.tensor(rnd(3, 3, 4, 2)))
    with pytest.raises(ValueError, match="output_padding"):
        ops.conv_transpose(x, K.tensor(rnd(3, 3, 4, 3)), output_padding=(1, 1, 1))
    with pytest.raises(ValueError, match="depthwise_conv.*3 channels"):
        ops.depthwise_conv(x, K.tensor(rnd(3, 3, 2, 1)))
    with pytest.raises(ValueError, match="groups.*divisible"):
        ops.conv(x[..., :2], K.tensor(rnd(3, 3, 1, 3)))
    with pytest.raises(ValueError, match="1-D and 2-D"):
        ops.depthwise_conv(K.tensor(rnd(1, 3, 3, 3, 2)), K.tensor(rnd(2, 2, 2, 2, 1)))
    with pytest.raises(ValueError, match="data_format"):
        ops.depthwise_conv(x, K.tensor(rnd(3, 3, 3, 1)), data_format="NCHW")
    with pytest.raises(ValueError, match="padding"):
        ops.conv_transpose(x, K.tensor(rnd(3, 3, 4, 3)), padding="full")


def test_convs_are_symbolic():
    inp = K.Input((8, 8, 3))
    k, kd = K.tensor(rnd(3, 3, 5, 3)), K.tensor(rnd(3, 3, 3, 2))
    assert ops.conv_transpose(inp, k, 2, "same").shape == (None, 16, 16, 5)
    assert ops.depthwise_conv(inp, kd).shape == (None, 6, 6, 6)
