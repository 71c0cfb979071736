"""keras.ops.nn additions (dot_product_attention, ctc_loss, ctc_decode, depth_to_space,
space_to_depth, adaptive pools, unfold, fold, sparsemax) and keras.ops.core additions
(saturate_cast, associative_scan, vectorized_map, dtype): against real Keras on JAX (the oracle),
on every device in float32; float64 on the CPU; independent NumPy references where Keras computes
something else (sparsemax), and float64 gradients against finite differences."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import kerasish as K
from conftest import check_grad, to_np
from kerasish import ops
from oracle import keras_np, oracle, real_keras
from test_views_dtypes import DEVICES

R = np.random.default_rng(20250301)


def f32(*shape):
    return R.normal(size=shape).astype(np.float32)


def kt(keras, x, dtype=None):
    """A real-Keras tensor of x keeping its dtype (Keras converts float64 NumPy arrays to floatx)."""
    x = np.asarray(x)
    return keras.ops.convert_to_tensor(x, dtype or str(x.dtype))


def on(device, x):
    with K.device(device):
        return K.tensor(x)


def close(got, want, rtol=1e-5, atol=1e-5):
    got, want = to_np(got) if isinstance(got, K.Tensor) else np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol)


# ---------------------------------------------------------------- dot_product_attention

ATTN_CASES = [
    ("mha", (2, 5, 4, 3), (2, 6, 4, 3), {}),
    ("gqa", (2, 5, 4, 3), (2, 6, 2, 3), {}),
    ("mqa_causal", (2, 5, 4, 3), (2, 6, 1, 3), {"is_causal": True}),
    ("bias_scale", (2, 5, 4, 3), (2, 6, 2, 3), {"bias": (2, 4, 5, 6), "scale": 0.7}),
    ("bias_heads1", (1, 3, 4, 2), (1, 4, 2, 2), {"bias": (1, 1, 3, 4)}),
    ("mask", (2, 5, 4, 3), (2, 6, 2, 3), {"mask": (2, 1, 5, 6)}),
    ("mask3d_bias_causal", (2, 5, 4, 3), (2, 5, 4, 3), {"mask": (2, 5, 5), "bias": (2, 4, 5, 5), "is_causal": True}),
]


def _attn_args(kw):
    out = {}
    for name, v in kw.items():
        if name == "bias":
            out[name] = f32(*v)
        elif name == "mask":
            m = R.random(v) > 0.35
            m[..., 0] = True
            out[name] = m
        else:
            out[name] = v
    return out


@oracle
@pytest.mark.parametrize("case", ATTN_CASES, ids=[c[0] for c in ATTN_CASES])
def test_dot_product_attention_matches_keras(case):
    keras = real_keras()
    _, qs, ks, kw = case
    q, k, v = f32(*qs), f32(*ks), f32(*ks)
    args = _attn_args(kw)
    want = keras_np(keras.ops.dot_product_attention(
        kt(keras, q), kt(keras, k), kt(keras, v),
        **{n: kt(keras, a) if isinstance(a, np.ndarray) else a for n, a in args.items()}))
    for device in DEVICES:
        got = ops.dot_product_attention(on(device, q), on(device, k), on(device, v),
                                        **{n: on(device, a) if isinstance(a, np.ndarray) else a for n, a in args.items()})
        assert got.dtype == "float32" and got.device == device
        close(got, want, 1e-5, 1e-5)


@oracle
def test_dot_product_attention_float64_matches_keras():
    keras = real_keras()
    q, k, v = (R.normal(size=s) for s in ((2, 4, 4, 3), (2, 5, 2, 3), (2, 5, 2, 3)))
    bias = R.normal(size=(2, 4, 4, 5))
    got = ops.dot_product_attention(K.tensor(q), K.tensor(k), K.tensor(v), bias=K.tensor(bias), is_causal=True)
    want = keras_np(keras.ops.dot_product_attention(kt(keras, q), kt(keras, k), kt(keras, v), bias=kt(keras, bias),
                                                    is_causal=True))
    assert got.dtype == "float64"
    close(got, want, 1e-6, 1e-6)  # JAX runs the softmax in float32


def _np_attention(q, k, v, scale, cap):
    n, kh = q.shape[2], k.shape[2]
    k, v = np.repeat(k, n // kh, axis=2), np.repeat(v, n // kh, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, k) * scale
    logits = cap * np.tanh(logits / cap)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", p, v)


def test_dot_product_attention_soft_cap():
    q, k, v = (R.normal(size=s) * 3 for s in ((2, 4, 4, 3), (2, 5, 2, 3), (2, 5, 2, 3)))
    got = ops.dot_product_attention(K.tensor(q), K.tensor(k), K.tensor(v), attn_logits_soft_cap=1.5)
    close(got, _np_attention(q, k, v, 1 / math.sqrt(3), 1.5), 1e-12, 1e-12)


def test_dot_product_attention_errors():
    q, k = K.tensor(f32(1, 2, 4, 3)), K.tensor(f32(1, 3, 3, 3))
    with pytest.raises(ValueError, match="flash attention is not available"):
        ops.dot_product_attention(q, q, q, flash_attention=True)
    with pytest.raises(ValueError, match="only supports 4D"):
        ops.dot_product_attention(K.tensor(f32(2, 4, 3)), q, q)
    with pytest.raises(ValueError, match="multiple of"):
        ops.dot_product_attention(q, k, k)
    with pytest.raises(ValueError, match="Expected `bias`"):
        ops.dot_product_attention(q, q, q, bias=K.tensor(f32(1, 3, 2, 2)))
    # False and None both take the composed path
    close(ops.dot_product_attention(q, q, q, flash_attention=False), ops.dot_product_attention(q, q, q))


def test_dot_product_attention_gradient():
    q, k, v = R.normal(size=(1, 3, 2, 2)), R.normal(size=(1, 4, 1, 2)), R.normal(size=(1, 4, 1, 2))
    bias = R.normal(size=(1, 2, 3, 4))
    mask = np.ones((1, 1, 3, 4), bool)
    mask[0, 0, 1, 2] = False
    check_grad(lambda q, k, v, b: ops.dot_product_attention(q, k, v, bias=b, mask=K.tensor(mask), is_causal=False),
               [q, k, v, bias])
    check_grad(lambda q, k, v: ops.dot_product_attention(q, k, v, is_causal=True, attn_logits_soft_cap=2.0), [q, k, v])


# ---------------------------------------------------------------- ctc_loss

def _ctc_case(b=3, t=7, c=5, n=4):
    out = R.normal(size=(b, t, c))
    tgt = R.integers(1, c, size=(b, n))
    tgt[0, 2] = tgt[0, 1]  # a repeated label needs a blank between its copies
    tl = np.array([n, 2, 3][:b])
    ol = np.array([t, t - 1, t - 3][:b])
    return tgt, out, tl, ol


@oracle
@pytest.mark.parametrize("mask_index", [0, 2])
def test_ctc_loss_matches_keras(mask_index):
    keras = real_keras()
    tgt, out, tl, ol = _ctc_case()
    tgt = np.where(tgt == mask_index, (mask_index + 1) % 5 or 1, tgt)
    out = out.astype(np.float32)
    want = keras_np(keras.ops.ctc_loss(tgt, kt(keras, out), tl, ol, mask_index=mask_index))
    for device in DEVICES:
        got = ops.ctc_loss(on(device, tgt), on(device, out), on(device, tl), on(device, ol), mask_index=mask_index)
        assert got.dtype == "float32" and got.shape == (3,) and got.device == device
        close(got, want, 1e-5, 1e-4)


def _collapse(path, blank):
    out, prev = [], None
    for s in path:
        if s != prev and s != blank:
            out.append(s)
        prev = s
    return out


def _np_ctc_brute(tgt, out, tl, ol, blank):
    """-log sum over every alignment (all class sequences of output_length steps) that collapses
    to the target: an independent reference, by enumeration."""
    lp = out - out.max(-1, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
    res = []
    for b in range(out.shape[0]):
        want = list(tgt[b, :tl[b]])
        total = 0.0
        for path in itertools.product(range(out.shape[2]), repeat=int(ol[b])):
            if _collapse(path, blank) == want:
                total += math.exp(sum(lp[b, t, s] for t, s in enumerate(path)))
        res.append(-math.log(total))
    return np.array(res)


@pytest.mark.parametrize("blank", [0, 2])
def test_ctc_loss_float64_against_enumeration(blank):
    out = R.normal(size=(3, 5, 3))
    a, b = (c for c in range(3) if c != blank)
    tgt = np.array([[a, a, b], [b, a, a], [a, b, a]])  # the padding after target_length is ignored
    tl, ol = np.array([2, 1, 3]), np.array([5, 4, 5])
    got = ops.ctc_loss(K.tensor(tgt), K.tensor(out), K.tensor(tl), K.tensor(ol), mask_index=blank)
    assert got.dtype == "float64"
    close(got, _np_ctc_brute(tgt, out, tl, ol, blank), 1e-10, 1e-10)


def test_ctc_loss_gradient():
    tgt, out, tl, ol = _ctc_case(b=2, t=5, c=4, n=3)
    check_grad(lambda o: ops.ctc_loss(K.tensor(tgt), o, K.tensor(tl[:2]), K.tensor(ol[:2])), [out])
    # a batch of one: the recursion's concatenations are then contiguous views (see ops.core._fresh_grad)
    check_grad(lambda o: ops.ctc_loss(K.tensor(tgt[:1]), o, K.tensor(tl[:1]), K.tensor(ol[:1])), [out[:1]])


def test_ctc_loss_errors():
    tgt, out, tl, ol = _ctc_case()
    with pytest.raises(ValueError, match="same first dimension"):
        ops.ctc_loss(K.tensor(tgt[:2]), K.tensor(out), K.tensor(tl[:2]), K.tensor(ol))
    with pytest.raises(ValueError, match="mask_index=5"):
        ops.ctc_loss(K.tensor(tgt), K.tensor(out), K.tensor(tl), K.tensor(ol), mask_index=5)
    with pytest.raises(ValueError, match="expected target"):
        ops.ctc_loss(K.tensor(tgt[0]), K.tensor(out), K.tensor(tl), K.tensor(ol))


# ---------------------------------------------------------------- ctc_decode

@oracle
def test_ctc_decode_greedy_matches_keras():
    keras = real_keras()
    x = f32(3, 8, 5)
    x[1, 2:5] = x[1, 2:5] + 5 * np.eye(5, dtype=np.float32)[3]  # repeats to merge
    lengths = np.array([8, 5, 3])
    for merge, mi in [(True, 0), (False, 0), (True, 3), (False, None)]:
        want = keras.ops.ctc_decode(kt(keras, x), lengths, merge_repeated=merge, mask_index=mi)
        for device in DEVICES:
            got = ops.ctc_decode(on(device, x), on(device, lengths), merge_repeated=merge, mask_index=mi)
            np.testing.assert_array_equal(to_np(got[0]), keras_np(want[0]))
            assert got[0].dtype == "int64" and got[0].shape == (1, 3, 8)
            close(got[1], keras_np(want[1]), 1e-6, 1e-5)


@oracle
@pytest.mark.parametrize("width, top, mi", [(3, 2, 0), (2, 2, None), (100, 1, 0)])
def test_ctc_decode_beam_search_matches_keras(width, top, mi):
    keras = real_keras()
    x = f32(3, 7, 5)
    lengths = np.array([7, 5, 1])
    want = keras.ops.ctc_decode(kt(keras, x), lengths, strategy="beam_search", beam_width=width, top_paths=top,
                                mask_index=mi)
    for device in DEVICES:
        got = ops.ctc_decode(on(device, x), on(device, lengths), strategy="beam_search", beam_width=width,
                             top_paths=top, mask_index=mi)
        np.testing.assert_array_equal(to_np(got[0]), keras_np(want[0]), err_msg=f"{device}")
        assert got[0].shape == (top, 3, 7) and got[1].shape == (3, top)
        close(got[1], keras_np(want[1]), 1e-5, 1e-5)


@oracle
def test_ctc_decode_beam_search_ties_and_float64_match_keras():
    keras = real_keras()
    # equal logits everywhere: every prefix ties, so the order of the kept beams is Keras's tie order
    x = np.zeros((2, 4, 3))
    x[1] = R.normal(size=(4, 3))
    lengths = np.array([4, 3])
    want = keras.ops.ctc_decode(kt(keras, x), lengths, strategy="beam_search", beam_width=4, top_paths=4)
    got = ops.ctc_decode(K.tensor(x), K.tensor(lengths), strategy="beam_search", beam_width=4, top_paths=4)
    np.testing.assert_array_equal(to_np(got[0]), keras_np(want[0]))
    close(got[1], keras_np(want[1]), 1e-6, 1e-6)  # Keras computes these scores in float32


def test_ctc_decode_errors():
    x, lengths = K.tensor(f32(2, 4, 3)), K.tensor(np.array([4, 4]))
    with pytest.raises(ValueError, match="Invalid strategy"):
        ops.ctc_decode(x, lengths, strategy="best")
    with pytest.raises(ValueError, match="top_paths"):
        ops.ctc_decode(x, lengths, strategy="beam_search", beam_width=2, top_paths=3)
    with pytest.raises(ValueError, match="sequence_lengths"):
        ops.ctc_decode(x, K.tensor(np.array([4])))
    with pytest.raises(ValueError, match="mask_index"):
        ops.ctc_decode(x, lengths, mask_index=3)
    with pytest.raises(TypeError, match="eagerly"):
        ops.ctc_decode(K.Input((4, 3)), lengths)


# ---------------------------------------------------------------- depth_to_space / space_to_depth

@oracle
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depth_space_match_keras(device, data_format):
    keras = real_keras()
    x = f32(2, 3, 4, 12) if data_format == "channels_last" else f32(2, 12, 3, 4)
    for r in (2,):
        close(ops.depth_to_space(on(device, x), r, data_format),
              keras_np(keras.ops.depth_to_space(kt(keras, x), r, data_format)), 0, 0)
    y = f32(2, 6, 9, 2) if data_format == "channels_last" else f32(2, 2, 6, 9)
    close(ops.space_to_depth(on(device, y), 3, data_format),
          keras_np(keras.ops.space_to_depth(kt(keras, y), 3, data_format)), 0, 0)


def test_depth_space_roundtrip_gradient_and_errors():
    x = R.normal(size=(1, 2, 2, 8))
    back = ops.space_to_depth(ops.depth_to_space(K.tensor(x), 2), 2)
    close(back, x, 0, 0)
    check_grad(lambda t: ops.depth_to_space(t, 2), [x])
    check_grad(lambda t: ops.space_to_depth(t, 2, "channels_first"), [R.normal(size=(1, 2, 4, 2))])
    with pytest.raises(ValueError, match="block_size"):
        ops.depth_to_space(K.tensor(x), 1)
    with pytest.raises(ValueError, match="divisible by block_size"):
        ops.depth_to_space(K.tensor(x), 3)
    with pytest.raises(ValueError, match="Height"):
        ops.space_to_depth(K.tensor(np.zeros((1, 3, 4, 1))), 2)
    with pytest.raises(ValueError, match="data_format"):
        ops.depth_to_space(K.tensor(x), 2, "NHWC")


# ---------------------------------------------------------------- adaptive pooling

POOL_CASES = [((2, 10, 3), 4), ((2, 7, 5, 3), (3, 2)), ((1, 3, 5, 2), (5, 7)), ((1, 5, 6, 7, 2), (2, 4, 3)),
              ((2, 6, 6, 1), 1)]


@oracle
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_adaptive_pools_match_keras(data_format):
    keras = real_keras()
    for shape, size in POOL_CASES:
        x = f32(*shape)
        for name in ("adaptive_average_pool", "adaptive_max_pool"):
            want = keras_np(getattr(keras.ops, name)(kt(keras, x), size, data_format))
            for device in DEVICES:
                close(getattr(ops, name)(on(device, x), size, data_format), want, 1e-6, 1e-6)


def test_adaptive_pools_gradient_and_errors():
    x = R.permutation(60).reshape(1, 5, 4, 3) * 0.1  # distinct values: no max ties
    check_grad(lambda t: ops.adaptive_average_pool(t, (3, 3)), [x])
    check_grad(lambda t: ops.adaptive_max_pool(t, (2, 3)), [x])
    check_grad(lambda t: ops.adaptive_max_pool(t, 2, "channels_first"), [x])
    with pytest.raises(ValueError, match="1D/2D/3D"):
        ops.adaptive_max_pool(K.tensor(np.zeros((2, 3))), 2)
    with pytest.raises(ValueError, match="output_size"):
        ops.adaptive_average_pool(K.tensor(x), (2, 0))
    assert ops.adaptive_average_pool(K.Input((9, 7, 3)), (2, 5)).shape == (None, 2, 5, 3)


# ---------------------------------------------------------------- unfold / fold

FOLD_CASES = [dict(kernel_size=2), dict(kernel_size=(3, 2), dilation=(1, 2), padding=(1, 0), stride=(2, 1)),
              dict(kernel_size=3, padding=2, stride=3)]


@oracle
@pytest.mark.parametrize("device", DEVICES)
def test_unfold_fold_match_keras(device):
    keras = real_keras()
    x = f32(2, 3, 7, 6)
    for kw in FOLD_CASES:
        want = keras_np(keras.ops.unfold(kt(keras, x), **kw))
        got = ops.unfold(on(device, x), **kw)
        close(got, want, 0, 0)
        cols = f32(*want.shape)
        close(ops.fold(on(device, cols), (7, 6), **kw), keras_np(keras.ops.fold(kt(keras, cols), (7, 6), **kw)), 1e-6, 1e-6)


def test_unfold_fold_gradient_and_errors():
    kw = dict(kernel_size=2, padding=1, stride=(1, 2), dilation=(2, 1))
    x = R.normal(size=(1, 2, 4, 3))
    check_grad(lambda t: ops.unfold(t, **kw), [x])
    cols = to_np(ops.unfold(K.tensor(x), **kw))
    check_grad(lambda t: ops.fold(t, (4, 3), **kw), [R.normal(size=cols.shape)])
    with pytest.raises(ValueError, match="4D"):
        ops.unfold(K.tensor(x[0]), 2)
    with pytest.raises(ValueError, match="divisible by kernel_size"):
        ops.fold(K.tensor(np.zeros((1, 7, 4))), (3, 3), 2)
    with pytest.raises(ValueError, match="blocks"):
        ops.fold(K.tensor(np.zeros((1, 8, 5))), (3, 3), 2)


# ---------------------------------------------------------------- sparsemax

def _np_sparsemax(z, axis):
    z = np.moveaxis(z, axis, -1)
    s = -np.sort(-z, -1)
    cs = np.cumsum(s, -1)
    r = np.arange(1, z.shape[-1] + 1)
    k = np.sum(1 + r * s > cs, -1, keepdims=True)
    tau = (np.take_along_axis(cs, k - 1, -1) - 1) / k
    return np.moveaxis(np.maximum(z - tau, 0), -1, axis)


@oracle
@pytest.mark.parametrize("device", DEVICES)
def test_sparsemax(device):
    keras = real_keras()
    x = f32(4, 6) * 0.6
    for axis in (-1, 0):
        got = ops.sparsemax(on(device, x), axis)
        close(got, _np_sparsemax(x.astype(np.float64), axis), 1e-5, 1e-6)
        close(np.sum(to_np(got), axis), np.ones(x.shape[1 - axis % 2]), 1e-5, 1e-5)
    # where one entry dominates (a one-element support) Keras's formula and the published one agree
    peaked = f32(3, 5)
    peaked[np.arange(3), [0, 2, 4]] += 10.0
    close(ops.sparsemax(on(device, peaked)), keras_np(keras.ops.sparsemax(kt(keras, peaked))), 1e-6, 1e-6)


def test_sparsemax_gradient():
    x = np.array([[0.9, 0.5, -0.3, 0.1], [2.0, -1.0, 0.3, 1.6]])
    check_grad(ops.sparsemax, [x])
    check_grad(lambda t: ops.sparsemax(t, axis=0), [x])


# ---------------------------------------------------------------- core: saturate_cast, associative_scan, vectorized_map, dtype

SAT_DTYPES = ["float32", "float64", "int64", "uint8", "bool"]


@oracle
@pytest.mark.parametrize("device", DEVICES)
def test_saturate_cast_matches_keras(device):
    keras = real_keras()
    floats = np.array([-1e30, -300, -1, 0, 0.5, 1, 2.5, 255, 300, 1e30, np.inf, -np.inf])
    ints = np.array([-(2**30), -300, -1, 0, 1, 2, 255, 256, 2**30])
    for src in SAT_DTYPES:
        if device == "gpu" and src == "float64":
            continue  # no float64 on the GPU
        x = (ints if src in ("int64", "uint8") else floats).astype(src)
        for dst in SAT_DTYPES:
            if device == "gpu" and (dst == "float64" or (dst == "int64" and src.startswith("float"))):
                continue  # the GPU holds int64 as 32-bit integers, so float -> int64 saturates at int32's range
            got = ops.saturate_cast(on(device, x), dst)
            assert got.dtype == dst
            if src in ("int64", "uint8") and dst.startswith("float"):
                want = x.astype(dst)  # Keras's limits overflow here (see saturate_cast's docstring)
            else:
                want = keras_np(keras.ops.saturate_cast(kt(keras, x), dst))
            np.testing.assert_array_equal(to_np(got).astype(np.float64), want.astype(np.float64), err_msg=f"{src}->{dst}")


@oracle
@pytest.mark.parametrize("device", DEVICES)
def test_associative_scan_matches_keras(device):
    keras = real_keras()
    for n in (1, 2, 5, 8, 13):
        x = f32(n, 3)
        for reverse in (False, True):
            for f in (lambda a, b: a + b, lambda a, b: a * b):
                want = keras_np(keras.ops.associative_scan(f, kt(keras, x), reverse=reverse))
                close(ops.associative_scan(f, on(device, x), reverse=reverse), want, 1e-5, 1e-5)
    y = f32(4, 7)
    close(ops.associative_scan(ops.maximum, on(device, y), axis=1),
          keras_np(keras.ops.associative_scan(keras.ops.maximum, kt(keras, y), axis=1)), 0, 0)

    # a structure: (a, b) pairs of the linear recurrence h = a h + b
    def lin(p, q):
        return (p[0] * q[0], q[0] * p[1] + q[1])

    a, b = f32(9, 2), f32(9, 2)
    want = keras.ops.associative_scan(lin, (kt(keras, a), kt(keras, b)))
    got = ops.associative_scan(lin, (on(device, a), on(device, b)))
    assert isinstance(got, tuple) and len(got) == 2
    close(got[0], keras_np(want[0]), 1e-5, 1e-5)
    close(got[1], keras_np(want[1]), 1e-5, 1e-5)


def test_associative_scan_gradient_and_errors():
    check_grad(lambda t: ops.associative_scan(lambda a, b: a * b, t, axis=1), [R.uniform(0.5, 1.5, size=(2, 6))])
    check_grad(lambda t: ops.associative_scan(ops.logaddexp, t), [R.normal(size=(7,))])
    with pytest.raises(TypeError, match="callable"):
        ops.associative_scan(3, K.tensor(np.ones(3)))
    with pytest.raises(ValueError, match="same first dimension"):
        ops.associative_scan(lambda p, q: (p[0] + q[0], p[1] + q[1]), (K.tensor(np.ones(3)), K.tensor(np.ones(4))))


@oracle
def test_vectorized_map_matches_keras():
    keras = real_keras()
    x, y = f32(4, 3), f32(4, 3)
    close(ops.vectorized_map(lambda e: ops.sum(e * e), K.tensor(x)),
          keras_np(keras.ops.vectorized_map(lambda e: keras.ops.sum(e * e), kt(keras, x))), 1e-6, 1e-6)
    close(ops.vectorized_map(lambda es: es[0] * es[1] + 1, [K.tensor(x), K.tensor(y)]),
          keras_np(keras.ops.vectorized_map(lambda es: es[0] * es[1] + 1, [kt(keras, x), kt(keras, y)])), 1e-6, 1e-6)
    with pytest.raises(ValueError, match="leading dimension"):
        ops.vectorized_map(lambda es: es[0], [K.tensor(x), K.tensor(y[:2])])


def test_vectorized_map_gradient():
    check_grad(lambda t: ops.vectorized_map(lambda e: ops.matmul(e, ops.transpose(e)), t), [R.normal(size=(3, 2, 2))])
    # results that end in a unary op (stacked pieces of these got the first piece's gradient: _fresh_grad)
    check_grad(lambda t: ops.vectorized_map(ops.exp, t), [R.normal(size=(3, 2))])
    check_grad(lambda t: ops.map(ops.tanh, t), [R.normal(size=(3, 2))])
    check_grad(lambda t: ops.scan(lambda c, e: (c + e, ops.exp(c * e)), ops.zeros((2,), "float64"), t)[1],
               [R.normal(size=(3, 2))])


@oracle
def test_dtype_matches_keras():
    keras = real_keras()
    for d in ("float32", "float64", "int64", "uint8", "bool"):
        assert ops.dtype(ops.zeros((2,), d)) == keras.ops.dtype(keras.ops.zeros((2,), d)) == d
    assert ops.dtype(K.Input((3,))) == "float32"
    with pytest.raises(TypeError, match="dtype"):
        ops.dtype(3)


def test_symbolic_shapes():
    x = K.Input((6, 4, 8))
    assert ops.depth_to_space(x, 2).shape == (None, 12, 8, 2)
    assert ops.space_to_depth(x, 2).shape == (None, 3, 2, 32)
    assert ops.sparsemax(x).shape == (None, 6, 4, 8)
    q = K.Input((5, 4, 3))
    assert ops.dot_product_attention(q, q, q).shape == (None, 5, 4, 3)
    assert ops.unfold(K.Input((3, 7, 6)), 2).shape == (None, 12, 30)
