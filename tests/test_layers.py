"""Keras layers against independent NumPy references: outputs, gradients (float64, finite
differences of the NumPy reference), weight names/shapes, defaults, configs and the trainable flag."""
import math

import numpy as np
import pytest

import kerasish as keras
from conftest import numeric_grad, to_np
from kerasish import layers
from oracle import oracle, real_keras

# ---------------------------------------------------------------- NumPy references


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


NP_ACT = {
    None: lambda x: x,
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": np_sigmoid,
    "tanh": np.tanh,
    "softmax": np_softmax,
}


def same_pads(size, k, s, d=1):
    """Keras/TF 'same' padding: (before, after) for one spatial axis."""
    out = math.ceil(size / s)
    eff = (k - 1) * d + 1
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


def np_conv2d(x, k, strides=(1, 1), padding="valid", dilation=(1, 1)):
    n, h, w, c = x.shape
    kh, kw, _, f = k.shape
    sh, sw = strides
    dh, dw = dilation
    if padding == "same":
        ph, pw = same_pads(h, kh, sh, dh), same_pads(w, kw, sw, dw)
        x = np.pad(x, ((0, 0), ph, pw, (0, 0)))
    h2, w2 = x.shape[1], x.shape[2]
    oh = (h2 - ((kh - 1) * dh + 1)) // sh + 1
    ow = (w2 - ((kw - 1) * dw + 1)) // sw + 1
    out = np.zeros((n, oh, ow, f), dtype=np.float64)
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    patch = x[:, i * sh + a * dh, j * sw + b * dw, :]  # (n, c)
                    out[:, i, j, :] += patch @ k[a, b]
    return out


def np_pool2d(x, pool, strides, padding, mode):
    n, h, w, c = x.shape
    ph_, pw_ = pool
    sh, sw = strides
    if padding == "same":
        ph, pw = same_pads(h, ph_, sh), same_pads(w, pw_, sw)
        oh, ow = math.ceil(h / sh), math.ceil(w / sw)
    else:
        ph, pw = (0, 0), (0, 0)
        oh, ow = (h - ph_) // sh + 1, (w - pw_) // sw + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - ph[0], j * sw - pw[0]
            r1, c1 = min(r0 + ph_, h), min(c0 + pw_, w)
            r0, c0 = max(r0, 0), max(c0, 0)
            win = x[:, r0:r1, c0:c1, :]
            out[:, i, j, :] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return out


# ---------------------------------------------------------------- helpers


def layer_grads(layer, x, weights_np, np_fn, seed=0, rtol=1e-5, atol=1e-7, fwd_tol=1e-9):
    """Float64 check of one layer: forward against np_fn(x, *weights) and the gradients of
    sum(r * out) w.r.t. the input and every weight against finite differences of the NumPy
    reference. The layer must have dtype float64 and weights in `layer.weights` order."""
    x = np.asarray(x, np.float64)
    layer.build(x.shape) if not layer.built else None
    layer.set_weights(weights_np)
    xt = keras.tensor(x, requires_grad=True)
    out = layer(xt)
    ref = np_fn(x, *weights_np)
    np.testing.assert_allclose(to_np(out), ref, rtol=fwd_tol, atol=fwd_tol)
    r = np.random.default_rng(seed).uniform(-1.5, 1.5, size=ref.shape)
    loss = keras.ops.sum(out * keras.tensor(r))
    loss.backward()
    num = numeric_grad(lambda *a: np.sum(np_fn(*a) * r), [x] + list(weights_np))
    np.testing.assert_allclose(to_np(xt.grad), num[0], rtol=rtol, atol=atol, err_msg="input gradient")
    for w, g, name in zip(layer.weights, num[1:], [w.name for w in layer.weights]):
        assert w.grad is not None, f"weight {name} got no gradient"
        np.testing.assert_allclose(to_np(w.grad), g, rtol=rtol, atol=atol, err_msg=f"gradient of {name}")


def rnd(rng, *shape):
    return rng.standard_normal(shape)


# ---------------------------------------------------------------- Dense


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "softmax"])
def test_dense_forward_and_grad(rng, activation):
    x = rnd(rng, 3, 4)
    x[np.abs(x) < 0.05] = 0.3  # keep relu away from its kink
    k, b = rnd(rng, 4, 5) * 0.5, rnd(rng, 5) * 0.1
    layer = layers.Dense(5, activation=activation, dtype="float64")
    act = NP_ACT[activation]
    layer_grads(layer, x, [k, b], lambda x, k, b: act(x @ k + b))


def test_dense_no_bias(rng):
    layer = layers.Dense(3, use_bias=False, dtype="float64")
    layer.build((None, 2))
    assert [w.name for w in layer.weights] == ["kernel"]
    assert layer.bias is None
    layer_grads(layer, rnd(rng, 4, 2), [rnd(rng, 2, 3)], lambda x, k: x @ k)


def test_dense_weights_names_shapes_defaults():
    layer = layers.Dense(7)
    assert not layer.built
    y = layer(np.ones((2, 3), np.float32))
    assert layer.built and tuple(y.shape) == (2, 7)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [tuple(w.shape) for w in layer.weights] == [(3, 7), (7,)]
    k, b = layer.get_weights()
    assert k.dtype == np.float32
    np.testing.assert_array_equal(b, np.zeros(7))  # bias zeros
    limit = math.sqrt(6 / (3 + 7))  # glorot_uniform
    assert np.all(np.abs(k) <= limit) and np.std(k) > 0
    assert layer.count_params() == 3 * 7 + 7
    assert layer.weights[0].path.endswith("/kernel")


def test_dense_3d_input(rng):
    layer = layers.Dense(2)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    y = layer(x)
    k, b = layer.get_weights()
    np.testing.assert_allclose(to_np(y), x @ k + b, rtol=1e-5, atol=1e-6)


def test_dense_rejects_wrong_input_dim():
    layer = layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="3"):
        layer(np.ones((1, 4), np.float32))


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3"])
def test_dense_bad_units(bad):
    with pytest.raises(ValueError):
        layers.Dense(bad)


# ---------------------------------------------------------------- simple layers


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "linear"])
def test_activation_layer(rng, name):
    x = rnd(rng, 3, 4)
    layer = layers.Activation(name, dtype="float64")
    layer_grads(layer, x, [], lambda x: NP_ACT[name](x))


def test_activation_callable(rng):
    x = rnd(rng, 2, 3)
    y = layers.Activation(keras.ops.square, dtype="float64")(keras.tensor(x))
    np.testing.assert_allclose(to_np(y), x**2)


def test_flatten(rng):
    x = rnd(rng, 2, 3, 4, 5)
    layer_grads(layers.Flatten(dtype="float64"), x, [], lambda x: x.reshape(2, -1))
    y = layers.Flatten()(np.ones((3, 7), np.float32))
    assert tuple(y.shape) == (3, 7)


def test_reshape(rng):
    x = rnd(rng, 2, 12)
    layer_grads(layers.Reshape((3, 4), dtype="float64"), x, [], lambda x: x.reshape(2, 3, 4))
    y = layers.Reshape((-1, 2))(keras.tensor(x))
    assert tuple(y.shape) == (2, 6, 2)


def test_permute(rng):
    x = rnd(rng, 2, 3, 4, 5)
    layer_grads(layers.Permute((3, 1, 2), dtype="float64"), x, [], lambda x: x.transpose(0, 3, 1, 2))
    with pytest.raises(ValueError):
        layers.Permute((0, 1))


def test_rescaling(rng):
    x = rng.integers(0, 256, size=(2, 3)).astype(np.uint8)
    y = layers.Rescaling(1.0 / 255, offset=-0.5)(x)
    assert y.dtype == "float32"
    np.testing.assert_allclose(to_np(y), x / 255.0 - 0.5, rtol=1e-6, atol=1e-7)
    layer_grads(layers.Rescaling(2.0, offset=1.0, dtype="float64"), rnd(rng, 2, 3), [], lambda x: 2 * x + 1)


# ---------------------------------------------------------------- Dropout


def test_dropout_inference_is_identity(rng):
    x = rnd(rng, 4, 5).astype(np.float32)
    d = layers.Dropout(0.5)
    np.testing.assert_array_equal(to_np(d(x)), x)
    np.testing.assert_array_equal(to_np(d(x, training=False)), x)


def test_dropout_training_inverted_scaling():
    x = np.ones((200, 50), np.float32)
    rate = 0.3
    y = to_np(layers.Dropout(rate, seed=1)(x, training=True))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1.0 / (1.0 - rate), rtol=1e-6)
    frac = 1.0 - kept.mean()
    assert abs(frac - rate) < 0.02, frac


def test_dropout_gradient_matches_mask(rng):
    x = keras.tensor(rnd(rng, 20, 10), requires_grad=True)
    y = layers.Dropout(0.5, seed=3)(x, training=True)
    keras.ops.sum(y).backward()
    mask = to_np(y) != 0
    np.testing.assert_allclose(to_np(x.grad), mask * 2.0)


def test_dropout_seed_repeatable():
    x = np.ones((10, 10), np.float32)
    a = to_np(layers.Dropout(0.5, seed=42)(x, training=True))
    b = to_np(layers.Dropout(0.5, seed=42)(x, training=True))
    np.testing.assert_array_equal(a, b)
    d = layers.Dropout(0.5, seed=42)
    c1, c2 = to_np(d(x, training=True)), to_np(d(x, training=True))
    assert not np.array_equal(c1, c2)  # successive calls draw new masks
    keras.utils.set_random_seed(7)
    e = to_np(layers.Dropout(0.5)(x, training=True))
    keras.utils.set_random_seed(7)
    f = to_np(layers.Dropout(0.5)(x, training=True))
    np.testing.assert_array_equal(e, f)


def test_dropout_rate_zero_and_bad_rate(rng):
    x = rnd(rng, 3, 3).astype(np.float32)
    np.testing.assert_array_equal(to_np(layers.Dropout(0.0)(x, training=True)), x)
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError):
            layers.Dropout(bad)


def test_dropout_noise_shape():
    x = np.ones((4, 6, 8), np.float32)
    y = to_np(layers.Dropout(0.5, noise_shape=(None, 1, 8), seed=2)(x, training=True))
    # the mask is shared along axis 1
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))


# ---------------------------------------------------------------- convolutions


@pytest.mark.parametrize("strides,padding,dilation", [
    ((1, 1), "valid", (1, 1)),
    ((2, 2), "valid", (1, 1)),
    ((1, 1), "same", (1, 1)),
    ((2, 1), "same", (1, 1)),
    ((1, 1), "valid", (2, 2)),
    ((1, 1), "same", (2, 1)),
])
def test_conv2d(rng, strides, padding, dilation):
    x = rnd(rng, 2, 6, 5, 3)
    k, b = rnd(rng, 3, 2, 3, 4) * 0.3, rnd(rng, 4) * 0.1
    layer = layers.Conv2D(4, (3, 2), strides=strides, padding=padding, dilation_rate=dilation, dtype="float64")
    layer_grads(layer, x, [k, b], lambda x, k, b: np_conv2d(x, k, strides, padding, dilation) + b)


def test_conv2d_weights_and_defaults(rng):
    layer = layers.Conv2D(8, 3)
    y = layer(np.zeros((1, 10, 10, 3), np.float32))
    assert tuple(y.shape) == (1, 8, 8, 8)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [tuple(w.shape) for w in layer.weights] == [(3, 3, 3, 8), (8,)]
    cfg = layer.get_config()
    assert cfg["strides"] == (1, 1) and cfg["padding"] == "valid" and cfg["dilation_rate"] == (1, 1)
    assert layer.count_params() == 3 * 3 * 3 * 8 + 8
    with pytest.raises(ValueError):
        layer(np.zeros((1, 10, 10), np.float32))


def test_conv2d_activation_no_bias(rng):
    x = rnd(rng, 1, 4, 4, 2)
    k = rnd(rng, 2, 2, 2, 3)
    layer = layers.Conv2D(3, 2, activation="relu", use_bias=False, dtype="float64")
    layer.build(x.shape)
    assert len(layer.weights) == 1
    layer.set_weights([k])
    np.testing.assert_allclose(to_np(layer(keras.tensor(x))), np.maximum(np_conv2d(x, k), 0), atol=1e-12)


@pytest.mark.parametrize("strides,padding,dilation", [(1, "valid", 1), (2, "same", 1), (1, "same", 2)])
def test_conv1d(rng, strides, padding, dilation):
    x = rnd(rng, 2, 9, 3)
    k, b = rnd(rng, 3, 3, 2) * 0.3, rnd(rng, 2)
    layer = layers.Conv1D(2, 3, strides=strides, padding=padding, dilation_rate=dilation, dtype="float64")
    layer.build(x.shape)
    assert [tuple(w.shape) for w in layer.weights] == [(3, 3, 2), (2,)]

    def ref(x, k, b):
        return np_conv2d(x[:, None], k[None], (1, strides), padding, (1, dilation))[:, 0] + b

    layer_grads(layer, x, [k, b], ref)


# ---------------------------------------------------------------- pooling


def test_maxpooling2d_defaults(rng):
    layer = layers.MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    x = rnd(rng, 2, 5, 4, 3)
    layer_grads(layers.MaxPooling2D(dtype="float64"), x, [],
                lambda x: np_pool2d(x, (2, 2), (2, 2), "valid", "max"))


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("pool,strides,padding", [((2, 2), None, "valid"), ((3, 3), (2, 2), "valid"),
                                                  ((2, 2), (1, 1), "same"), ((3, 2), (2, 2), "same")])
def test_pooling2d(rng, mode, pool, strides, padding):
    x = rnd(rng, 2, 5, 6, 2)
    cls = layers.MaxPooling2D if mode == "max" else layers.AveragePooling2D
    layer = cls(pool, strides=strides, padding=padding, dtype="float64")
    st = pool if strides is None else strides
    layer_grads(layer, x, [], lambda x: np_pool2d(x, pool, st, padding, mode))


def test_averagepooling2d_requires_pool_size():
    with pytest.raises(TypeError):
        layers.AveragePooling2D()
    with pytest.raises(TypeError):
        layers.AveragePooling1D()


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("pool,strides,padding", [(2, None, "valid"), (3, 1, "same"), (3, 2, "valid")])
def test_pooling1d(rng, mode, pool, strides, padding):
    x = rnd(rng, 2, 7, 3)
    cls = layers.MaxPooling1D if mode == "max" else layers.AveragePooling1D
    layer = cls(pool, strides=strides, padding=padding, dtype="float64")
    st = pool if strides is None else strides
    layer_grads(layer, x, [], lambda x: np_pool2d(x[:, None], (1, pool), (1, st), padding, mode)[:, 0])
    assert layers.MaxPooling1D().pool_size == (2,)


@pytest.mark.parametrize("cls,fn", [(layers.GlobalAveragePooling1D, np.mean), (layers.GlobalMaxPooling1D, np.max)])
def test_global_pooling1d(rng, cls, fn):
    layer_grads(cls(dtype="float64"), rnd(rng, 2, 5, 3), [], lambda x: fn(x, axis=1))


@pytest.mark.parametrize("cls,fn", [(layers.GlobalAveragePooling2D, np.mean), (layers.GlobalMaxPooling2D, np.max)])
def test_global_pooling2d(rng, cls, fn):
    x = rnd(rng, 2, 3, 4, 5)
    layer_grads(cls(dtype="float64"), x, [], lambda x: fn(x, axis=(1, 2)))
    y = cls(keepdims=True)(x.astype(np.float32))
    assert tuple(y.shape) == (2, 1, 1, 5)


# ---------------------------------------------------------------- normalization


def test_batchnorm_training_and_moving_stats(rng):
    x = rnd(rng, 8, 3) * 2 + 1
    gamma, beta = rng.uniform(0.5, 1.5, 3), rnd(rng, 3)
    mm, mv = rnd(rng, 3), rng.uniform(0.5, 2.0, 3)
    layer = layers.BatchNormalization(dtype="float64")
    layer.build(x.shape)
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    layer.set_weights([gamma, beta, mm, mv])
    y = to_np(layer(keras.tensor(x), training=True))
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3) * gamma + beta, rtol=1e-10, atol=1e-10)
    _, _, mm2, mv2 = layer.get_weights()
    np.testing.assert_allclose(mm2, mm * 0.99 + mean * 0.01, rtol=1e-12)
    np.testing.assert_allclose(mv2, mv * 0.99 + var * 0.01, rtol=1e-12)
    # inference: moving statistics, and no update
    y2 = to_np(layer(keras.tensor(x), training=False))
    np.testing.assert_allclose(y2, (x - mm2) / np.sqrt(mv2 + 1e-3) * gamma + beta, rtol=1e-10, atol=1e-10)
    y3 = to_np(layer(keras.tensor(x)))
    np.testing.assert_allclose(y3, y2)
    np.testing.assert_allclose(layer.get_weights()[2], mm2)


def test_batchnorm_training_gradient(rng):
    x = rnd(rng, 6, 2, 3)
    gamma, beta = rng.uniform(0.5, 1.5, 3), rnd(rng, 3)
    layer = layers.BatchNormalization(dtype="float64")
    layer.build(x.shape)
    layer.set_weights([gamma, beta, np.zeros(3), np.ones(3)])
    xt = keras.tensor(x, requires_grad=True)
    out = layer(xt, training=True)

    def ref(x, g, b):
        m, v = x.mean((0, 1)), x.var((0, 1))
        return (x - m) / np.sqrt(v + 1e-3) * g + b

    np.testing.assert_allclose(to_np(out), ref(x, gamma, beta), rtol=1e-10, atol=1e-10)
    r = rng.uniform(-1, 1, out.shape)
    keras.ops.sum(out * keras.tensor(r)).backward()
    num = numeric_grad(lambda *a: np.sum(ref(*a) * r), [x, gamma, beta])
    np.testing.assert_allclose(to_np(xt.grad), num[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(to_np(layer.gamma.grad), num[1], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(to_np(layer.beta.grad), num[2], rtol=1e-5, atol=1e-7)
    assert layer.moving_mean.grad is None


def test_batchnorm_axis_and_defaults(rng):
    layer = layers.BatchNormalization(axis=1, dtype="float64")
    x = rnd(rng, 4, 3, 5)
    y = to_np(layer(keras.tensor(x), training=True))
    m, v = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - m) / np.sqrt(v + 1e-3), rtol=1e-10, atol=1e-10)
    assert tuple(layer.gamma.shape) == (3,)
    cfg = layers.BatchNormalization().get_config()
    assert cfg["momentum"] == 0.99 and cfg["epsilon"] == 1e-3 and cfg["axis"] == -1


def test_batchnorm_frozen_runs_in_inference_mode(rng):
    x = rnd(rng, 8, 2)
    layer = layers.BatchNormalization(dtype="float64")
    layer.build(x.shape)
    layer.trainable = False
    y = to_np(layer(keras.tensor(x), training=True))
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), rtol=1e-10)
    np.testing.assert_array_equal(layer.get_weights()[2], np.zeros(2))


@pytest.mark.parametrize("axis", [-1, [1, 2]])
def test_layernorm(rng, axis):
    x = rnd(rng, 3, 4, 5)
    layer = layers.LayerNormalization(axis=axis, dtype="float64")
    layer.build(x.shape)
    axes = (2,) if axis == -1 else (1, 2)
    wshape = tuple(x.shape[a] for a in axes)
    assert [w.name for w in layer.weights] == ["gamma", "beta"]
    assert [tuple(w.shape) for w in layer.weights] == [wshape, wshape]
    g, b = rng.uniform(0.5, 1.5, wshape), rnd(rng, *wshape)

    def ref(x, g, b):
        m, v = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-3) * g + b

    layer_grads(layer, x, [g, b], ref)


def test_layernorm_rms_scaling(rng):
    x = rnd(rng, 3, 5)
    layer = layers.LayerNormalization(rms_scaling=True, dtype="float64")
    layer.build(x.shape)
    assert [w.name for w in layer.weights] == ["gamma"]
    g = rng.uniform(0.5, 1.5, 5)
    layer_grads(layer, x, [g], lambda x, g: x / np.sqrt(x.var(-1, keepdims=True) + 1e-3) * g)


# ---------------------------------------------------------------- Embedding


def test_embedding(rng):
    layer = layers.Embedding(10, 4, dtype="float64")
    idx = np.array([[1, 2, 2], [9, 0, 1]])
    layer.build(idx.shape)
    assert [w.name for w in layer.weights] == ["embeddings"]
    table = layer.get_weights()[0]
    assert table.shape == (10, 4)
    assert np.all(np.abs(table) <= 0.05) and np.std(table) > 0  # "uniform": U(-0.05, 0.05)
    y = layer(keras.tensor(idx))
    np.testing.assert_array_equal(to_np(y), table[idx])
    r = rng.standard_normal((2, 3, 4))
    keras.ops.sum(y * keras.tensor(r)).backward()
    expected = np.zeros((10, 4))
    np.add.at(expected, idx, r)
    np.testing.assert_allclose(to_np(layer.embeddings.grad), expected, rtol=1e-12)
    # float indices (as Keras allows) are cast
    np.testing.assert_array_equal(to_np(layer(idx.astype(np.float32))), table[idx])


# ---------------------------------------------------------------- merging


def test_add_multiply(rng):
    a, b, c = rnd(rng, 2, 3), rnd(rng, 2, 3), rnd(rng, 2, 3)
    layer = layers.Add(dtype="float64")
    ts = [keras.tensor(v, requires_grad=True) for v in (a, b, c)]
    np.testing.assert_allclose(to_np(layer(ts)), a + b + c)
    ys = layers.Multiply(dtype="float64")(ts)
    np.testing.assert_allclose(to_np(ys), a * b * c)
    keras.ops.sum(ys).backward()
    np.testing.assert_allclose(to_np(ts[0].grad), b * c)
    np.testing.assert_allclose(to_np(ts[2].grad), a * b)
    np.testing.assert_allclose(to_np(layers.Subtract(dtype="float64")([ts[0], ts[1]])), a - b)
    np.testing.assert_allclose(to_np(layers.Average(dtype="float64")([ts[0], ts[1]])), (a + b) / 2)
    np.testing.assert_allclose(to_np(layers.Maximum(dtype="float64")([ts[0], ts[1]])), np.maximum(a, b))
    with pytest.raises(ValueError):
        layers.Add()(ts[0])


@pytest.mark.parametrize("axis", [-1, 1])
def test_concatenate(rng, axis):
    a, b = rnd(rng, 2, 3, 4), rnd(rng, 2, 3, 4)
    ta, tb = keras.tensor(a, requires_grad=True), keras.tensor(b, requires_grad=True)
    y = layers.Concatenate(axis=axis, dtype="float64")([ta, tb])
    np.testing.assert_allclose(to_np(y), np.concatenate([a, b], axis=axis))
    r = rng.standard_normal(y.shape)
    keras.ops.sum(y * keras.tensor(r)).backward()
    ra, rb = np.split(r, 2, axis=axis)
    np.testing.assert_allclose(to_np(ta.grad), ra)
    np.testing.assert_allclose(to_np(tb.grad), rb)


def test_merging_symbolic_shapes():
    a, b = keras.Input((3,)), keras.Input((5,))
    assert layers.Concatenate()([a, b]).shape == (None, 8)
    assert layers.Add()([a, keras.Input((3,))]).shape == (None, 3)


# ---------------------------------------------------------------- common layer API


ALL_LAYERS = [
    (lambda **k: layers.Dense(3, **k), (2, 4)),
    (lambda **k: layers.Activation("relu", **k), (2, 4)),
    (lambda **k: layers.Flatten(**k), (2, 3, 4)),
    (lambda **k: layers.Reshape((2, 2), **k), (2, 4)),
    (lambda **k: layers.Permute((2, 1), **k), (2, 3, 4)),
    (lambda **k: layers.Dropout(0.5, **k), (2, 4)),
    (lambda **k: layers.Conv2D(2, 3, padding="same", strides=2, **k), (1, 5, 5, 3)),
    (lambda **k: layers.Conv1D(2, 3, **k), (1, 5, 3)),
    (lambda **k: layers.MaxPooling2D(**k), (1, 4, 4, 2)),
    (lambda **k: layers.AveragePooling2D(3, strides=1, padding="same", **k), (1, 4, 4, 2)),
    (lambda **k: layers.GlobalAveragePooling2D(**k), (1, 4, 4, 2)),
    (lambda **k: layers.GlobalMaxPooling2D(**k), (1, 4, 4, 2)),
    (lambda **k: layers.BatchNormalization(momentum=0.9, **k), (2, 4)),
    (lambda **k: layers.LayerNormalization(epsilon=1e-5, **k), (2, 4)),
    (lambda **k: layers.Embedding(10, 3, **k), (2, 4)),
    (lambda **k: layers.Rescaling(0.5, offset=1.0, **k), (2, 4)),
    (lambda **k: layers.Concatenate(axis=1, **k), None),
    (lambda **k: layers.Add(**k), None),
    (lambda **k: layers.Multiply(**k), None),
]


@pytest.mark.parametrize("make,shape", ALL_LAYERS)
def test_unknown_kwargs_raise(make, shape):
    with pytest.raises(ValueError, match="bogus"):
        make(bogus=1)
    make(name="ok", trainable=True, dtype="float32")


@pytest.mark.parametrize("make,shape", ALL_LAYERS)
def test_config_round_trip(make, shape):
    layer = make(name="the_layer")
    cfg = layer.get_config()
    assert cfg["name"] == "the_layer" and cfg["trainable"] is True
    clone = type(layer).from_config(cfg)
    assert type(clone) is type(layer)
    assert clone.get_config() == cfg
    if shape is None:
        return
    x = np.random.default_rng(0).integers(0, 10, size=shape).astype(np.float32)
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_np(clone(x)), to_np(layer(x)), rtol=1e-6)


def test_trainable_false_moves_weights():
    layer = layers.Dense(2, trainable=False)
    layer.build((None, 3))
    assert layer.trainable_weights == []
    assert [w.name for w in layer.non_trainable_weights] == ["kernel", "bias"]
    assert layer.get_config()["trainable"] is False
    layer.trainable = True
    assert [w.name for w in layer.trainable_weights] == ["kernel", "bias"]
    layer.trainable = False
    assert layer.kernel.trainable is False  # as Keras, the variable's flag follows the layer's
    layer.trainable = True
    assert layer.kernel.trainable is True
    bn = layers.BatchNormalization()
    bn.build((None, 3))
    bn.trainable = False
    assert bn.trainable_weights == []
    assert [w.name for w in bn.non_trainable_weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]


def test_layer_set_weights_errors():
    layer = layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(ValueError):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    w = [np.arange(6, dtype=np.float32).reshape(3, 2), np.array([1.0, 2.0], np.float32)]
    layer.set_weights(w)
    got = layer.get_weights()
    np.testing.assert_array_equal(got[0], w[0])
    got[0][0, 0] = 99  # get_weights returns copies
    assert layer.get_weights()[0][0, 0] == 0


def test_count_params_unbuilt_raises():
    with pytest.raises(ValueError):
        layers.Dense(2).count_params()


def test_auto_names_are_snake_case_with_counters():
    a, b = layers.Dense(1), layers.Dense(1)
    assert a.name.startswith("dense") and b.name.startswith("dense_")
    assert a.name != b.name
    assert layers.Conv2D(1, 1).name.startswith("conv2d")
    assert layers.BatchNormalization().name.startswith("batch_normalization")
    assert layers.GlobalAveragePooling2D().name.startswith("global_average_pooling2d")

    class MyFancyLayer(keras.Layer):
        def call(self, x):
            return x

    assert MyFancyLayer().name == "my_fancy_layer"
    assert MyFancyLayer().name == "my_fancy_layer_1"


def test_symbolic_output_shapes():
    x = keras.Input((8, 8, 3))
    assert x.shape == (None, 8, 8, 3)
    assert layers.Conv2D(4, 3, padding="same", strides=2)(x).shape == (None, 4, 4, 4)
    assert layers.MaxPooling2D()(x).shape == (None, 4, 4, 3)
    assert layers.Flatten()(x).shape == (None, 192)
    assert layers.GlobalAveragePooling2D()(x).shape == (None, 3)
    assert layers.Dense(5)(layers.Flatten()(x)).shape == (None, 5)
    assert layers.Permute((3, 1, 2))(x).shape == (None, 3, 8, 8)
    assert layers.Reshape((64, 3))(x).shape == (None, 64, 3)
    ids = keras.Input((5,), dtype="int64")
    assert layers.Embedding(10, 4)(ids).shape == (None, 5, 4)


def test_custom_layer_with_build_and_add_weight(rng):
    class Scale(keras.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
            self.c = self.add_weight(shape=(), initializer="zeros", trainable=False, name="c")

        def call(self, x):
            return x * self.w

    layer = Scale()
    x = rnd(rng, 2, 3).astype(np.float32)
    np.testing.assert_allclose(to_np(layer(x)), x)
    assert layer.built
    assert [w.name for w in layer.trainable_weights] == ["w"]
    assert [w.name for w in layer.non_trainable_weights] == ["c"]
    assert layer.count_params() == 4
    with pytest.raises(ValueError, match="bogus"):
        Scale(bogus=3)


def test_nested_layers_are_tracked():
    class Block(keras.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = layers.Dense(4)
            self.d2 = layers.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))

    b = Block()
    b(np.ones((1, 3), np.float32))
    assert len(b.weights) == 4
    assert [tuple(w.shape) for w in b.weights] == [(3, 4), (4,), (4, 2), (2,)]
    b.trainable = False
    assert b.trainable_weights == [] and len(b.non_trainable_weights) == 4

    class Tower(keras.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.stages = {"a": layers.Dense(2), "b": layers.Dense(1)}

        def call(self, x):
            return self.stages["b"](self.stages["a"](x))

    t = Tower()
    t(np.ones((1, 3), np.float32))
    assert [tuple(w.shape) for w in t.weights] == [(3, 2), (2,), (2, 1), (1,)]  # layers in a dict count too


def test_autocast_inputs_to_layer_dtype(rng):
    # Keras casts float inputs to the layer's compute dtype: float64 NumPy data -> float32 layer output
    x = rng.standard_normal((2, 3))
    dense = layers.Dense(2)
    y = dense(x)
    assert y.dtype == "float32"
    k, b = dense.get_weights()
    np.testing.assert_allclose(to_np(y), x.astype(np.float32) @ k + b, rtol=1e-5, atol=1e-6)
    assert layers.Dense(2, dtype="float64")(x.astype(np.float32)).dtype == "float64"
    assert layers.Dense(2)([[1.0, 2.0, 3.0]]).dtype == "float32"  # nested lists are one array
    assert layers.Conv2D(1, 2)(np.ones((1, 3, 3, 1))).dtype == "float32"
    # the gradient flows back through the cast
    xt = keras.tensor(x.astype(np.float32), requires_grad=True)
    keras.ops.sum(layers.Dense(2, dtype="float64")(xt)).backward()
    assert xt.grad is not None and xt.grad.dtype == "float32"
    # a model built from float64 layers keeps float64 inputs at full precision
    inp = keras.Input((3,), dtype="float64")
    m = keras.Model(inp, layers.Dense(2, dtype="float64")(inp))
    k, b = m.get_weights()
    np.testing.assert_allclose(to_np(m(x)), x @ k + b, rtol=1e-12)


def test_add_weight_and_variables_in_all_their_forms():
    """add_weight / add_variable with Keras 3's arguments (positional order included) and
    keras.Variable with the initializer as a name, an object, a callable or an array."""

    class Custom(keras.layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight((input_shape[-1], 2), "ones", "float32", True, True, "l2")
            self.b = self.add_weight(shape=(2,), initializer=keras.initializers.Constant(3.0), trainable=False, name="b")
            self.c = self.add_variable((2,), "zeros", name="c")
            self.d = self.add_weight(shape=(), initializer=lambda shape, dtype: keras.ops.full(shape, 5.0, dtype))

        def call(self, x):
            return keras.ops.matmul(x, self.a) + self.b + self.c + self.d

    layer = Custom()
    out = layer(np.ones((1, 3), "float32"))
    np.testing.assert_allclose(out.numpy(), [[11.0, 11.0]])
    assert [w.name for w in layer.trainable_weights] == ["variable", "c", "variable"] and layer.b.trainable is False
    assert len(layer.losses) == 1 and abs(float(layer.losses[0].numpy()) - 0.01 * 6) < 1e-6
    assert layer.b.path.endswith("/b")
    for init, shape, want in [("zeros", (2,), [0, 0]), (keras.initializers.Ones(), (2,), [1, 1]),
                              (lambda shape, dtype: np.full(shape, 2.0), (2,), [2, 2]), (np.array([4.0, 5.0]), None, [4, 5])]:
        v = keras.Variable(init, shape=shape, name="v")
        np.testing.assert_allclose(v.numpy(), want)
        assert v.name == "v" and v.dtype == "float32"  # float data in floatx, as Keras
    with pytest.raises(ValueError, match="overwrite_with_gradient"):
        keras.layers.Layer().add_weight((2,), overwrite_with_gradient=True)


def _spec_layer(lib, spec):
    class Checked(lib.layers.Layer):
        def __init__(self):
            super().__init__(name="checked")
            self.input_spec = spec

        def call(self, x):
            return x

    return Checked()


SPEC_CASES = [  # (InputSpec arguments, input shape, dtype)
    (dict(ndim=3, axes={-1: 4}), (2, 3, 4), "float32"), (dict(ndim=3, axes={-1: 4}), (2, 3, 5), "float32"),
    (dict(ndim=3), (2, 3), "float32"), (dict(min_ndim=3), (2, 3), "float32"), (dict(max_ndim=2), (2, 3, 1), "float32"),
    (dict(shape=(None, 3)), (5, 4), "float32"), (dict(shape=(None, 3, 1), allow_last_axis_squeeze=True), (5, 3), "float32"),
    (dict(dtype="int32"), (2,), "float32"), (dict(dtype="float32", name="x"), (2,), "float32"),
]


def test_input_spec_checks_calls():
    for args, shape, dtype in SPEC_CASES:
        layer = _spec_layer(keras, keras.InputSpec(**args))
        x = np.zeros(shape, dtype)
        try:
            layer(x)
        except ValueError as e:
            assert "of layer 'checked' is incompatible with the layer" in str(e)
    assert repr(keras.InputSpec(ndim=3, axes={-1: 4})) == "InputSpec(ndim=3, axes={-1: 4})"
    with pytest.raises(TypeError, match="integer keys"):
        keras.InputSpec(axes={"a": 1})
    with pytest.raises(ValueError, match="greater than the maximum"):
        keras.InputSpec(ndim=2, axes={3: 1})
    # symbolic calls are checked too, and two specs want two inputs
    with pytest.raises(ValueError, match="expected ndim=3"):
        _spec_layer(keras, keras.InputSpec(ndim=3))(keras.Input((4,)))
    two = _spec_layer(keras, [keras.InputSpec(name="a"), keras.InputSpec(name="b")])
    with pytest.raises(ValueError, match="expects 2 named input"):
        two(np.zeros((1, 2)))
    assert two({"b": np.zeros(1), "a": np.zeros(1)})["a"].shape == (1,)


@oracle
def test_input_spec_errors_match_keras():
    real_keras()
    import keras as real

    for args, shape, dtype in SPEC_CASES:
        got = []
        for lib in (keras, real):
            try:
                _spec_layer(lib, lib.InputSpec(**args))(np.zeros(shape, dtype))
                got.append(None)
            except ValueError as e:
                got.append(str(e))
        assert got[0] == got[1], (args, shape)
