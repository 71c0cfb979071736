"""Float64 gradients of every differentiable op against central finite differences.

Each case: a function of kerasish tensors and its float64 NumPy inputs, chosen away from kinks
(relu/abs at 0, max ties, clip bounds, floor steps). ``check_grad`` backpropagates a random-
weighted sum of the output, so non-scalar outputs are covered too.
"""
import numpy as np
import pytest

import kerasish as K
from conftest import away_from, check_grad, numeric_grad
from kerasish import ops

R = np.random.default_rng(20240601)


def N(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, size=shape)


def Naway(*shape, points=(0.0,), margin=0.1, lo=-2.0, hi=2.0):
    return away_from(N(*shape, lo=lo, hi=hi), points, margin)


def distinct(*shape, gap=0.05):
    """Values with all pairwise gaps >= gap (no ties for max/min/max_pool)."""
    n = int(np.prod(shape))
    v = np.arange(n) * gap + R.uniform(0, gap / 4, size=n)
    R.shuffle(v)
    return (v - v.mean()).reshape(shape)


def pair_apart(sa, sb, gap=0.05):
    """Two arrays whose broadcast elementwise differences are all at least gap (maximum/minimum)."""
    while True:
        a, b = N(*sa), N(*sb)
        if np.min(np.abs(a - b)) > gap:
            return a, b


def mod_inputs(sa, sb):
    while True:
        a, b = N(*sa, lo=-5, hi=5), away_from(N(*sb, lo=-3, hi=3), [0.0], 0.5)
        q = a / b
        f = q - np.floor(q)
        if np.all((f > 0.05) & (f < 0.95)):
            return a, b


# ---------------------------------------------------------------- unary

UNARY_CASES = [
    ("negative", ops.negative, N(3, 4)),
    ("abs", ops.abs, Naway(3, 4)),
    ("square", ops.square, N(3, 4)),
    ("sqrt", ops.sqrt, N(3, 4, lo=0.3, hi=3)),
    ("exp", ops.exp, N(3, 4)),
    ("log", ops.log, N(3, 4, lo=0.3, hi=3)),
    ("log1p", ops.log1p, N(3, 4, lo=-0.6, hi=3)),
    ("tanh", ops.tanh, N(3, 4)),
    ("sigmoid", ops.sigmoid, N(3, 4, lo=-5, hi=5)),
    ("relu", ops.relu, Naway(3, 4)),
    ("leaky_relu", ops.leaky_relu, Naway(3, 4)),
    ("leaky_relu_0.05", lambda x: ops.leaky_relu(x, negative_slope=0.05), Naway(3, 4)),
    ("elu", ops.elu, Naway(3, 4)),
    ("elu_0.7", lambda x: ops.elu(x, alpha=0.7), Naway(3, 4)),
    ("selu", ops.selu, Naway(3, 4)),
    ("gelu_tanh", lambda x: ops.gelu(x, approximate=True), N(3, 4, lo=-4, hi=4)),
    ("gelu_erf", lambda x: ops.gelu(x, approximate=False), N(3, 4, lo=-4, hi=4)),
    ("softplus", ops.softplus, N(3, 4, lo=-5, hi=5)),
    ("silu", ops.silu, N(3, 4, lo=-5, hi=5)),
    ("sin", ops.sin, N(3, 4, lo=-3, hi=3)),
    ("cos", ops.cos, N(3, 4, lo=-3, hi=3)),
    ("tan", ops.tan, N(3, 4, lo=-1.2, hi=1.2)),
    ("arcsin", ops.arcsin, N(3, 4, lo=-0.9, hi=0.9)),
    ("arccos", ops.arccos, N(3, 4, lo=-0.9, hi=0.9)),
    ("arctan", ops.arctan, N(3, 4, lo=-3, hi=3)),
    ("sinh", ops.sinh, N(3, 4)),
    ("cosh", ops.cosh, N(3, 4)),
    ("arcsinh", ops.arcsinh, N(3, 4, lo=-3, hi=3)),
    ("arccosh", ops.arccosh, N(3, 4, lo=1.2, hi=3)),
    ("arctanh", ops.arctanh, N(3, 4, lo=-0.9, hi=0.9)),
    ("expm1", ops.expm1, N(3, 4)),
    ("log2", ops.log2, N(3, 4, lo=0.3, hi=3)),
    ("log10", ops.log10, N(3, 4, lo=0.3, hi=3)),
    # piecewise constant: zero gradients, away from the steps
    ("floor", ops.floor, Naway(3, 4, points=np.arange(-3, 4), margin=0.05)),
    ("ceil", ops.ceil, Naway(3, 4, points=np.arange(-3, 4), margin=0.05)),
    ("round", ops.round, Naway(3, 4, points=np.arange(-3, 4) + 0.5, margin=0.05)),
    ("round_1", lambda x: ops.round(x, decimals=1), Naway(3, 4, points=np.arange(-30, 31) / 10 + 0.05, margin=0.01)),
    ("trunc", ops.trunc, Naway(3, 4, points=np.arange(-3, 4), margin=0.05)),
    ("sign", ops.sign, Naway(3, 4)),
    ("neg_operator", lambda x: -x, N(2, 3)),
    ("abs_builtin", lambda x: abs(x), Naway(2, 3)),
]


@pytest.mark.parametrize("name,fn,x", UNARY_CASES, ids=[c[0] for c in UNARY_CASES])
def test_unary_grad(name, fn, x):
    check_grad(fn, [x])


# ---------------------------------------------------------------- composites of keras.ops.numpy

COMPOSITE_CASES = [
    ("tril", lambda x: ops.tril(x), [N(2, 3, 4)]),
    ("tril_k-1", lambda x: ops.tril(x, k=-1), [N(3, 4)]),
    ("triu_k1", lambda x: ops.triu(x, k=1), [N(2, 4, 3)]),
    ("diagonal", lambda x: ops.diagonal(x), [N(3, 4)]),
    ("diagonal_offset", lambda x: ops.diagonal(x, offset=-1, axis1=2, axis2=0), [N(3, 2, 4)]),
    ("trace", lambda x: ops.trace(x, offset=1), [N(3, 4)]),
    ("outer", ops.outer, [N(3), N(2, 2)]),
    ("tensordot_2", lambda a, b: ops.tensordot(a, b, 2), [N(2, 3, 4), N(3, 4, 2)]),
    ("tensordot_axes", lambda a, b: ops.tensordot(a, b, axes=([0, 2], [2, 0])), [N(2, 3, 4), N(4, 5, 2)]),
    ("moveaxis", lambda x: ops.moveaxis(x, [0, 1], [-1, 0]), [N(2, 3, 4)]),
    ("swapaxes", lambda x: ops.swapaxes(x, 0, 2), [N(2, 3, 4)]),
    ("flip", lambda x: ops.flip(x, axis=(0, 2)), [N(2, 3, 4)]),
    ("ravel", ops.ravel, [N(2, 3)]),
    ("nan_to_num", ops.nan_to_num, [N(3, 4)]),
    ("cumsum", lambda x: ops.cumsum(x, axis=1), [N(2, 5, 3)]),
    ("cumsum_flat", ops.cumsum, [N(2, 3)]),
    ("sort", lambda x: ops.sort(x, axis=0), [distinct(4, 3)]),
    ("top_k", lambda x: ops.top_k(x, 2)[0], [distinct(3, 5)]),
    ("einsum_matmul", lambda a, b: ops.einsum("bij,bjk->bik", a, b), [N(2, 3, 4), N(2, 4, 2)]),
    ("einsum_attention", lambda q, k: ops.einsum("bqhd,bkhd->bhqk", q, k), [N(2, 3, 2, 4), N(2, 5, 2, 4)]),
    ("einsum_trace_sum", lambda a, b: ops.einsum("ii,j->j", a, b), [N(3, 3), N(4)]),
    ("einsum_ellipsis", lambda a, b: ops.einsum("...i,...i->...", a, b), [N(2, 3, 4), N(3, 4)]),
    ("tile", lambda x: ops.tile(x, (2, 1, 3)), [N(2, 3)]),
    ("repeat", lambda x: ops.repeat(x, 2, axis=1), [N(2, 3)]),
    ("repeat_counts", lambda x: ops.repeat(x, [2, 0, 1], axis=1), [N(2, 3)]),
    ("roll", lambda x: ops.roll(x, (1, -2), (0, 1)), [N(3, 4)]),
    ("unstack", lambda x: ops.unstack(x, axis=1)[1], [N(2, 3, 2)]),
    ("relu6", ops.relu6, [Naway(3, 4, points=(0.0, 6.0), lo=-2, hi=8)]),
    ("hard_silu", ops.hard_silu, [Naway(3, 4, points=(-3.0, 3.0), lo=-5, hi=5)]),
    ("log_sigmoid", ops.log_sigmoid, [N(3, 4, lo=-5, hi=5)]),
    ("softsign", ops.softsign, [Naway(3, 4)]),
    ("celu", lambda x: ops.celu(x, 0.7), [Naway(3, 4)]),
    ("glu", ops.glu, [N(3, 4)]),
    ("sparse_plus", ops.sparse_plus, [Naway(3, 4, points=(-1.0, 1.0))]),
    ("squareplus", ops.squareplus, [N(3, 4)]),
    ("soft_shrink", ops.soft_shrink, [Naway(3, 4, points=(-0.5, 0.5))]),
    ("tanh_shrink", ops.tanh_shrink, [N(3, 4)]),
    ("batch_normalization", lambda x, m, v, s, o: ops.batch_normalization(x, m, v, -1, o, s),
     [N(4, 3), N(3), N(3, lo=0.5, hi=2), N(3), N(3)]),
    ("normalize", ops.normalize, [N(3, 4)]),
    ("normalize_l3", lambda x: ops.normalize(x, axis=0, order=3), [Naway(3, 4)]),
    ("moments", lambda x: ops.moments(x, [0])[1], [N(4, 3)]),
    ("logaddexp", ops.logaddexp, [N(3, 4), N(4)]),
    ("hypot", ops.hypot, [Naway(3, 4), Naway(3, 4)]),
    ("diff", lambda x: ops.diff(x, 2), [N(3, 5)]),
    ("average", lambda x, w: ops.average(x, 1, w), [N(3, 4), N(4, lo=0.5, hi=2)]),
    ("inner", ops.inner, [N(2, 3), N(4, 3)]),
    ("scatter", lambda v: ops.scatter(K.tensor(np.array([[0, 1], [2, 2], [0, 1]])), v, (3, 3)), [N(3)]),
    ("scatter_update", lambda x, u: ops.scatter_update(x, K.tensor(np.array([[0, 1], [2, 2]])), u), [N(3, 3), N(2)]),
    ("slice", lambda x: ops.slice(x, (1, 0), (2, 2)), [N(3, 3)]),
    ("slice_update", lambda x, u: ops.slice_update(x, (0, 1), u), [N(3, 3), N(2, 2)]),
    ("segment_sum", lambda d: ops.segment_sum(d, K.tensor(np.array([1, 0, 1, 5])), 3), [N(4, 2)]),
    ("erf", ops.erf, [N(3, 4)]),
    ("rsqrt", ops.rsqrt, [N(3, 4, lo=0.3, hi=3)]),
    ("cbrt", ops.cbrt, [Naway(3, 4, margin=0.3)]),
    ("rot90", lambda x: ops.rot90(x, 3), [N(2, 3)]),
    ("fmax", ops.fmax, list(pair_apart((3, 4), (3, 4)))),
    ("fmod", lambda a, b: ops.fmod(a, b), list(mod_inputs((3, 4), (3, 4)))),
    ("divide_no_nan", ops.divide_no_nan, [N(3, 4), Naway(3, 4, margin=0.3)]),
    ("diag", lambda x: ops.diag(x, 1), [N(3)]),
    ("kron", ops.kron, [N(2, 3), N(3, 2)]),
    ("nanmean", lambda x: ops.nanmean(x, 0), [N(3, 4)]),
    ("nanstd", ops.nanstd, [N(3, 4)]),
    ("layer_normalization", lambda x, g, b: ops.layer_normalization(x, g, b, epsilon=1e-3), [N(3, 4), N(4), N(4)]),
    ("rms_normalization", lambda x, s: ops.rms_normalization(x, s, axis=0), [N(3, 4), N(3)]),
]


@pytest.mark.parametrize("name,fn,xs", COMPOSITE_CASES, ids=[c[0] for c in COMPOSITE_CASES])
def test_composite_grad(name, fn, xs):
    check_grad(fn, xs)


# ---------------------------------------------------------------- binary, with broadcasting

_mx = pair_apart((3, 1, 4), (2, 4))
_mn = pair_apart((2, 3), (3,))
_md = mod_inputs((2, 3), (1, 3))
_fd = mod_inputs((3, 2), (2,))

BINARY_CASES = [
    ("add", ops.add, [N(3, 1, 4), N(2, 4)]),
    ("subtract", ops.subtract, [N(2, 4), N(3, 1, 4)]),
    ("multiply", ops.multiply, [N(3, 1), N(1, 4)]),
    ("divide", ops.divide, [N(2, 3), Naway(3, points=[0.0], margin=0.5)]),
    ("power", ops.power, [N(2, 3, lo=0.5, hi=2.0), N(1, 3, lo=-2, hi=2)]),
    ("power_scalar_exponent", lambda a: ops.power(a, 3.0), [N(2, 3)]),
    ("maximum", ops.maximum, list(_mx)),
    ("minimum", ops.minimum, list(_mn)),
    ("mod", ops.mod, list(_md)),
    ("floor_divide_plus_product", lambda a, b: ops.floor_divide(a, b) + a * b, list(_fd)),
    ("add_operator_scalar", lambda a: 2.0 - a * 3 + 1 / (a * a + 1), [N(2, 2)]),
    ("pow_operator", lambda a, b: a**b, [N(4, lo=0.5, hi=2), N(4)]),
    ("rpow_operator", lambda a: 2.0**a, [N(4)]),
    ("same_tensor_twice", lambda a: a * a + a / (a * a + 1.0), [N(3, 2)]),
    ("size1_dims", ops.multiply, [N(1, 1, 3), N(2, 1, 1)]),
    ("scalar_0d_broadcast", ops.multiply, [N(), N(2, 3)]),
]


@pytest.mark.parametrize("name,fn,xs", BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
def test_binary_grad(name, fn, xs):
    check_grad(fn, xs)


def test_clip_grad_inside_and_outside():
    x = away_from(N(4, 5), [-0.5, 0.5], 0.05)
    check_grad(lambda t: ops.clip(t, -0.5, 0.5), [x])
    # tensor bounds get gradients where they are selected
    while True:
        x, lo, hi = N(3, 4), N(1, 4, lo=-1.5, hi=0.0), N(3, 1, lo=0.0, hi=1.5)
        if np.min(np.abs(x - lo)) > 0.05 and np.min(np.abs(x - hi)) > 0.05:
            break
    check_grad(ops.clip, [x, lo, hi])


def test_where_grad_broadcast():
    c = R.random((3, 1)) > 0.5
    c[0, 0], c[1, 0] = True, False
    check_grad(lambda a, b: ops.where(K.tensor(c), a, b), [N(3, 4), N(4)])
    check_grad(lambda a: ops.where(K.tensor(c), a, 0.0), [N(1, 4)])


# ---------------------------------------------------------------- reductions

AXES = [None, 0, -1, (0, 2), (-1, 1), (0, 1, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "std", "logsumexp"])
def test_reduction_grad(name, axis, keepdims):
    x = distinct(2, 3, 4) * 10 if name in ("max", "min") else N(2, 3, 4)
    fn = getattr(ops, name)
    check_grad(lambda t: fn(t, axis=axis, keepdims=keepdims), [x])


def test_max_grad_splits_ties_equally_and_method_forms():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]])
    t = K.tensor(x, requires_grad=True)
    ops.sum(ops.max(t, axis=1)).backward()
    np.testing.assert_allclose(t.grad.numpy(), [[0, 0.5, 0.5], [1, 0, 0]])
    t = K.tensor(x, requires_grad=True)
    (t.max() + t.min(axis=0).sum() + t.mean(axis=1).sum() + t.sum(keepdims=True).sum()).backward()
    g = np.zeros_like(x)
    g[0, 1] = g[0, 2] = 0.5
    # min over axis 0: the column minima are x[0, 0], x[1, 1], x[1, 2]
    g[0, 0] += 1
    g[1, 1] += 1
    g[1, 2] += 1
    g += 1 / 3 + 1
    np.testing.assert_allclose(t.grad.numpy(), g)


# ---------------------------------------------------------------- linalg

MATMUL_CASES = [
    ("vv", [N(4), N(4)]),
    ("vm", [N(4), N(4, 3)]),
    ("mv", [N(2, 4), N(4)]),
    ("mm", [N(2, 4), N(4, 3)]),
    ("batched", [N(2, 3, 4), N(2, 4, 5)]),
    ("broadcast_batch", [N(2, 1, 3, 4), N(3, 4, 2)]),
    ("broadcast_batch_both", [N(1, 2, 3, 4), N(2, 1, 4, 2)]),
    ("v_batched", [N(4), N(2, 4, 3)]),
    ("batched_v", [N(2, 3, 4), N(4)]),
]


@pytest.mark.parametrize("name,xs", MATMUL_CASES, ids=[c[0] for c in MATMUL_CASES])
def test_matmul_grad(name, xs):
    check_grad(ops.matmul, xs)
    check_grad(lambda a, b: a @ b, xs)


def test_matmul_grad_on_transposed_views():
    check_grad(lambda a, b: a.T @ b[:, ::-1], [N(4, 3), N(4, 5)])


@pytest.mark.parametrize(
    "name,xs",
    [("scalar", [N(), N(2, 3)]), ("1d", [N(4), N(4)]), ("2d", [N(3, 4), N(4, 2)]), ("nd", [N(2, 3), N(2, 3, 2)]),
     ("nd_nd", [N(2, 2, 3), N(2, 3, 2)])],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_dot_grad(name, xs):
    check_grad(ops.dot, xs)


# ---------------------------------------------------------------- views and indexing

VIEW_CASES = [
    ("reshape", lambda x: ops.reshape(x, (4, -1)), N(2, 3, 2)),
    ("reshape_method", lambda x: x.reshape(3, 4) * 2, N(2, 6)),
    ("reshape_of_transpose", lambda x: ops.reshape(x.T, (-1,)), N(3, 4)),
    ("transpose", lambda x: ops.transpose(x, (2, 0, 1)), N(2, 3, 4)),
    ("transpose_none", ops.transpose, N(2, 3, 4)),
    ("T", lambda x: x.T, N(3, 4)),
    ("slice_steps", lambda x: x[1::2, ::3], N(5, 7)),
    ("slice_negative_steps", lambda x: x[::-1, -2::-2], N(4, 6)),
    ("slice_then_op", lambda x: x[::-2, 1:] * x[1::2, :-1], N(4, 5)),
    ("int_and_slice", lambda x: x[1, ::-1], N(3, 4)),
    ("index_of_transposed_view", lambda x: x.T[1:, ::-1], N(2, 3)),
    ("index_of_sliced_view", lambda x: x[1:][::2], N(5, 2)),
    ("index_of_broadcast_view", lambda x: ops.broadcast_to(x, (3, 2, 2))[1, :, 1], N(2, 1)),
    ("int_array_of_transposed_view", lambda x: x.T[K.tensor([2, 0])], N(2, 3)),
    ("none_ellipsis", lambda x: x[None, ..., 1:3, None], N(2, 3, 4)),
    ("broadcast_to", lambda x: ops.broadcast_to(x, (2, 3, 4)), N(3, 1)),
    ("expand_dims", lambda x: ops.expand_dims(x, 1) * ops.expand_dims(x, -1), N(2, 3)),
    ("squeeze", lambda x: ops.squeeze(x, (0, 2)), N(1, 3, 1, 2)),
    ("squeeze_all", ops.squeeze, N(1, 3, 1)),
    ("int_array", lambda x: x[K.tensor([2, 0, -1])], N(4, 3)),
    ("int_array_repeated", lambda x: x[K.tensor([1, 1, 1, 0])], N(3, 2)),
    ("two_int_arrays", lambda x: x[K.tensor([[0], [2]]), K.tensor([1, 0, 1])], N(3, 2)),
    ("nonadjacent_int_arrays", lambda x: x[K.tensor([0, 1]), :, K.tensor([2, 0])], N(2, 3, 4)),
    ("int_array_after_slice", lambda x: x[::-1, K.tensor([3, 0, 3])], N(3, 4)),
    ("bool_mask", lambda x: x[K.tensor(np.array([[True, False, True], [False, True, True]]))], N(2, 3)),
    ("bool_mask_rows", lambda x: x[K.tensor(np.array([True, False, True]))], N(3, 2)),
    ("numpy_index_array", lambda x: x[np.array([1, 0, 1])], N(2, 3)),
    ("list_index", lambda x: x[[0, 2], 1:], N(3, 3)),
    ("concatenate", lambda a, b: ops.concatenate([a, b, a], axis=1), [N(2, 3), N(2, 1)]),
    ("concatenate_neg_axis", lambda a, b: ops.concatenate([a, b], axis=-3), [N(1, 2, 2), N(2, 2, 2)]),
    ("stack", lambda a, b: ops.stack([a, b, a * b], axis=1), [N(2, 3), N(2, 3)]),
    ("stack_last", lambda a, b: ops.stack([a, b], axis=-1), [N(3), N(3)]),
    ("split_sections", lambda x: ops.concatenate([p * (i + 1) for i, p in enumerate(ops.split(x, 3, axis=1))], axis=0), N(2, 6)),
    ("split_indices", lambda x: ops.split(x, [1, 3], axis=0)[1] * ops.split(x, [1, 3], axis=0)[2][:1], N(5, 2)),
    ("take_none", lambda x: ops.take(x, K.tensor([[5, 0], [-1, 5]])), N(2, 3)),
    ("take_axis", lambda x: ops.take(x, K.tensor([2, 2, -3]), axis=1), N(2, 3, 2)),
    ("take_along_axis", lambda x: ops.take_along_axis(x, K.tensor([[0, 2, 2], [1, 1, 0]]), axis=1), N(2, 3)),
    ("take_along_axis_0", lambda x: ops.take_along_axis(x, K.tensor([[1, 0, 1]]), axis=0), N(2, 3)),
    ("cast_roundtrip", lambda x: x.astype("float32").astype("float64") * 0 + x, N(2, 2)),
]


@pytest.mark.parametrize("name,fn,xs", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_view_and_index_grad(name, fn, xs):
    check_grad(fn, xs if isinstance(xs, list) else [xs])


# ---------------------------------------------------------------- nn


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_grads(axis):
    x = N(3, 4, lo=-3, hi=3)
    check_grad(lambda t: ops.softmax(t, axis=axis), [x])
    check_grad(lambda t: ops.log_softmax(t, axis=axis), [x])
    check_grad(lambda t: ops.logsumexp(t, axis=axis), [x])


def test_softmax_axis_none_grad():
    check_grad(lambda t: ops.softmax(t, axis=None), [N(2, 3)])
    check_grad(lambda t: ops.log_softmax(t, axis=None), [N(2, 3)])


CONV_CASES = [
    ("valid", (1, 5, 5, 2), (3, 3, 2, 3), dict()),
    ("same", (2, 4, 5, 2), (3, 2, 2, 2), dict(padding="same")),
    ("stride2_same", (1, 5, 6, 2), (3, 3, 2, 2), dict(strides=2, padding="same")),
    ("stride2_valid", (2, 5, 5, 1), (2, 2, 1, 2), dict(strides=(2, 1))),
    ("dilation2", (1, 6, 6, 2), (2, 2, 2, 2), dict(dilation_rate=2)),
    ("dilation2_same", (1, 5, 4, 1), (2, 3, 1, 2), dict(dilation_rate=2, padding="same")),
    ("conv1d", (2, 7, 2), (3, 2, 2), dict()),
    ("conv1d_same_stride2", (2, 7, 2), (3, 2, 3), dict(strides=2, padding="same")),
    ("conv1d_dilation", (1, 8, 1), (3, 1, 2), dict(dilation_rate=2, padding="same")),
    ("many_images", (6, 3, 3, 1), (2, 2, 1, 1), dict(padding="same")),
    # patch rows of at most 32 go to the direct kernels: 33 outputs = one 32-wide block + 1
    ("direct_wide", (9, 4, 4, 1), (3, 3, 1, 33), dict(padding="same")),
    # longer patch rows go to im2col + GEMM in tiles of images (9 small images: tiles of 8 and 1)
    ("gemm_tiles", (9, 4, 4, 4), (3, 3, 4, 3), dict(padding="same")),
]


@pytest.mark.parametrize("name,xs,ks,kw", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv_grad(name, xs, ks, kw):
    check_grad(lambda x, k: ops.conv(x, k, **kw), [N(*xs), N(*ks)])


POOL_CASES = [
    ("valid_2", (1, 4, 4, 2), dict(pool_size=2)),
    ("valid_2_remainder", (2, 5, 7, 3), dict(pool_size=2)),
    ("valid_3_stride1", (2, 4, 5, 1), dict(pool_size=3, strides=1)),
    ("same_2", (1, 5, 3, 2), dict(pool_size=2, padding="same")),
    ("same_3_stride2", (1, 5, 5, 1), dict(pool_size=(3, 2), strides=2, padding="same")),
    ("pool1d", (2, 5, 2), dict(pool_size=2, strides=1)),
]


@pytest.mark.parametrize("kind", ["max_pool", "average_pool"])
@pytest.mark.parametrize("name,shape,kw", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pool_grad(kind, name, shape, kw):
    x = distinct(*shape) * 10
    fn = getattr(ops, kind)
    check_grad(lambda t: fn(t, **kw), [x])


def test_binary_crossentropy_grads():
    t = R.uniform(0, 1, size=(3, 4))
    logits = N(3, 4, lo=-4, hi=4)
    probs = N(3, 4, lo=0.05, hi=0.95)
    # from logits: away from 0 (|x| kink of the stable formula cancels, but keep it honest)
    check_grad(lambda a, b: ops.binary_crossentropy(a, b, from_logits=True), [t, away_from(logits, [0.0], 0.05)])
    check_grad(lambda a, b: ops.binary_crossentropy(a, b, from_logits=False), [t, probs])


@pytest.mark.parametrize("axis", [-1, 0])
def test_categorical_crossentropy_grads(axis):
    t = R.uniform(0, 1, size=(3, 4))
    t = t / t.sum(axis=axis, keepdims=True)
    logits = N(3, 4)
    probs = N(3, 4, lo=0.2, hi=1.0)  # unnormalised: the op renormalises (and stays inside the clip)
    check_grad(lambda a, b: ops.categorical_crossentropy(a, b, from_logits=True, axis=axis), [t, logits])
    check_grad(lambda a, b: ops.categorical_crossentropy(a, b, from_logits=False, axis=axis), [t, probs])


def test_sparse_categorical_crossentropy_grads():
    labels = np.array([[0, 3], [2, 1]])
    logits = N(2, 2, 4)
    probs = N(2, 2, 4, lo=0.2, hi=1.0)
    check_grad(lambda o: ops.sparse_categorical_crossentropy(K.tensor(labels), o, from_logits=True), [logits])
    check_grad(lambda o: ops.sparse_categorical_crossentropy(K.tensor(labels), o, from_logits=False), [probs])
    lab1 = np.array([1, 0, 2])
    check_grad(lambda o: ops.sparse_categorical_crossentropy(K.tensor(lab1), o, from_logits=True, axis=0), [N(3, 3)])


def test_small_mlp_grad():
    """A composite: dense -> relu -> dense -> softmax crossentropy, as in the course."""
    x = N(4, 3)
    labels = np.array([0, 2, 1, 1])

    def net(w1, b1, w2):
        h = ops.relu(ops.matmul(K.tensor(x), w1) + b1)
        return ops.sparse_categorical_crossentropy(K.tensor(labels), ops.matmul(h, w2), from_logits=True)

    w1, b1, w2 = N(3, 5), N(5), N(5, 3)
    pre = x @ w1 + b1
    assert np.min(np.abs(pre)) > 1e-3  # no relu kink at this draw
    check_grad(net, [w1, b1, w2])


def test_numeric_grad_helper_itself():
    g = numeric_grad(lambda a, b: np.sum(a**2 * b), [np.array([1.0, 2.0]), np.array([3.0, -1.0])])
    np.testing.assert_allclose(g[0], [6.0, -4.0], rtol=1e-8)
    np.testing.assert_allclose(g[1], [1.0, 4.0], rtol=1e-8)


@pytest.mark.parametrize("name", ["exp", "tanh", "negative", "sigmoid", "log1p", "relu"])
def test_unary_grad_of_a_later_stacked_piece(name):
    """The gradient a unary op receives can be a contiguous slice at an offset of a stacked or
    concatenated gradient (its backward read the first piece's values)."""
    fn = getattr(ops, name)
    check_grad(lambda x: ops.stack([x, fn(x), fn(x * 0.5)]), [N(3, 2, lo=0.1)])
    check_grad(lambda x: ops.concatenate([x, fn(x)], axis=0), [N(2, 3, lo=0.1)])
