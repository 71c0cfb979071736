"""Activations (values vs NumPy, gradients, lookup), initializers (shapes, statistics, fans,
seeding, Orthogonal orthogonality, configs, lookup) and regularizers (values, configs, lookup)."""
import math

import numpy as np
import pytest

import kerasish
from conftest import assert_close, check_grad, to_np
from kerasish import activations, initializers, ops, regularizers

X = np.linspace(-4.5, 4.5, 19)  # avoids 0 and the kinks at +-1, +-3, +-0.5


def erf(x):
    return np.vectorize(math.erf)(x)


def np_softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805

REFS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: SELU_S * np.where(x > 0, x, SELU_A * (np.exp(x) - 1)),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(0, np.exp(x) - 1),
    "softplus": np_softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "silu": lambda x: x * np_sigmoid(x),
    "swish": lambda x: x * np_sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2))),
    "tanh": np.tanh,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "sigmoid": np_sigmoid,
    "log_sigmoid": lambda x: -np_softplus(-x),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "mish": lambda x: x * np.tanh(np_softplus(x)),
    "linear": lambda x: x,
    "softmax": lambda x: np.exp(x - x.max(-1, keepdims=True)) / np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - x.max(-1, keepdims=True) - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)),
}


@pytest.mark.parametrize("name", sorted(REFS))
def test_activation_values(name):
    fn = activations.get(name)
    x = X.reshape(1, -1).astype("float32")
    assert_close(fn(kerasish.tensor(x)), REFS[name](X.reshape(1, -1)), rtol=1e-5, atol=2e-6)


def test_activation_variants():
    x = X.astype("float32")
    assert_close(activations.gelu(x, approximate=True), 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X**3))),
                 atol=2e-6)
    assert_close(activations.relu(x, max_value=2.0), np.clip(X, 0, 2))
    assert_close(activations.relu(x, negative_slope=0.1), np.where(X > 0, X, 0.1 * X))
    assert_close(activations.relu(x, threshold=1.0), np.where(X > 1, X, 0))
    assert_close(activations.relu(x, negative_slope=0.1, max_value=3.0, threshold=1.0),
                 np.where(X > 1, np.minimum(X, 3), 0.1 * (X - 1)), atol=1e-6)
    assert_close(activations.leaky_relu(x, negative_slope=0.3), np.where(X >= 0, X, 0.3 * X))
    assert_close(activations.elu(x, alpha=0.5), np.where(X > 0, X, 0.5 * (np.exp(X) - 1)), atol=1e-6)
    assert_close(activations.threshold(x, 1.0, -2.0), np.where(X > 1, X, -2))
    x2 = np.arange(12, dtype="float32").reshape(3, 4) / 5
    assert_close(activations.softmax(x2, axis=0), np.exp(x2) / np.exp(x2).sum(0, keepdims=True))
    assert_close(activations.glu(x2), x2[:, :2] * np_sigmoid(x2[:, 2:]))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "swish", "softplus", "softsign",
                                  "mish", "hard_sigmoid", "leaky_relu", "log_softmax", "celu"])
def test_activation_gradients(name):
    fn = activations.get(name)
    x = np.array([[-2.3, -1.2, -0.4, 0.3, 0.9, 2.1], [1.7, -0.8, 0.2, -2.6, 0.6, 3.4]])
    check_grad(lambda t: fn(t), [x])


def test_activation_lookup():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    f = lambda x: x  # noqa: E731
    assert activations.get(f) is f
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"
    assert activations.deserialize("tanh") is activations.tanh
    with pytest.raises(ValueError) as e:
        activations.get("rleu")
    for name in ("relu", "sigmoid", "softmax", "gelu", "swish"):
        assert name in str(e.value)
    with pytest.raises(ValueError):
        activations.get(3)


# ------------------------------------------------------------------ initializers


def test_compute_fans():
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans((3, 5)) == (3, 5)
    assert initializers.compute_fans((3, 3, 4, 8)) == (36, 72)
    assert initializers.compute_fans((5, 4, 8)) == (20, 40)


SHAPE = (200, 300)


@pytest.mark.parametrize(
    "init, kind, spread",
    [
        (initializers.GlorotUniform(), "uniform", math.sqrt(6 / 500)),
        (initializers.HeUniform(), "uniform", math.sqrt(6 / 200)),
        (initializers.LecunUniform(), "uniform", math.sqrt(3 / 200)),
        (initializers.GlorotNormal(), "truncated", math.sqrt(2 / 500)),
        (initializers.HeNormal(), "truncated", math.sqrt(2 / 200)),
        (initializers.LecunNormal(), "truncated", math.sqrt(1 / 200)),
        (initializers.RandomUniform(), "uniform", 0.05),
        (initializers.RandomNormal(), "normal", 0.05),
        (initializers.TruncatedNormal(), "truncated_raw", 0.05),
        (initializers.VarianceScaling(scale=3.0, mode="fan_out", distribution="untruncated_normal"), "normal",
         math.sqrt(3 / 300)),
    ],
)
def test_initializer_statistics(init, kind, spread):
    v = to_np(init(SHAPE))
    assert v.shape == SHAPE and v.dtype == np.float32
    assert abs(v.mean()) < 0.02 * spread * 10 / 3
    if kind == "uniform":
        # limit = spread; std of U(-l, l) = l / sqrt(3)
        assert np.abs(v).max() <= spread * (1 + 1e-6)
        assert v.std() == pytest.approx(spread / math.sqrt(3), rel=0.03)
    elif kind == "normal":
        assert v.std() == pytest.approx(spread, rel=0.03)
    elif kind == "truncated":
        # stddev divided by .8796 keeps the requested variance after truncation at 2 stddev
        assert v.std() == pytest.approx(spread, rel=0.03)
        assert np.abs(v).max() <= 2 * spread / 0.87962566103423978 * (1 + 1e-5)
    else:  # plain TruncatedNormal: stddev 0.05 before truncation
        assert np.abs(v).max() <= 0.1 * (1 + 1e-5)
        assert v.std() == pytest.approx(0.05 * 0.87962566103423978, rel=0.03)


def test_conv_kernel_fans():
    v = to_np(initializers.GlorotUniform(seed=1)((3, 3, 16, 32)))
    limit = math.sqrt(6 / (9 * 16 + 9 * 32))
    assert np.abs(v).max() <= limit and np.abs(v).max() > 0.95 * limit


def test_constant_zeros_ones_identity():
    assert_close(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    assert_close(initializers.Ones()((2, 3), dtype="float64"), np.ones((2, 3)), dtype="float64")
    assert_close(initializers.Constant(2.5)((3,)), np.full(3, 2.5))
    assert_close(initializers.Constant([1.0, 2.0])((2, 2)), np.array([[1.0, 2.0], [1.0, 2.0]]))
    assert_close(initializers.Identity(gain=2.0)((3, 4)), 2 * np.eye(3, 4))
    with pytest.raises(ValueError):
        initializers.Identity()((2, 2, 2))
    a = initializers.Zeros()((2,))
    b = initializers.Zeros()((2,))
    a.assign([1.0, 1.0])
    assert_close(b, [0.0, 0.0])  # fresh tensors, never shared


def test_seeding():
    for cls in (initializers.GlorotUniform, initializers.HeNormal, initializers.RandomNormal, initializers.TruncatedNormal,
                initializers.Orthogonal):
        a, b, c = cls(seed=3), cls(seed=3), cls(seed=4)
        va = to_np(a((30, 20)))
        assert np.array_equal(va, to_np(b((30, 20))))
        assert np.array_equal(va, to_np(a((30, 20))))  # a seeded initializer repeats
        assert not np.array_equal(va, to_np(c((30, 20))))
    # unseeded: successive calls differ; set_random_seed makes the sequence repeat
    init = initializers.GlorotNormal()
    kerasish.utils.set_random_seed(11)
    x1, x2 = to_np(init((10, 10))), to_np(init((10, 10)))
    assert not np.array_equal(x1, x2)
    kerasish.utils.set_random_seed(11)
    assert np.array_equal(x1, to_np(init((10, 10))))
    assert np.array_equal(x2, to_np(init((10, 10))))
    with pytest.raises(ValueError, match="seed"):
        initializers.RandomNormal(seed="x")


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 2, 5), (64, 256)])
def test_orthogonal(shape):
    v = to_np(initializers.Orthogonal(gain=1.5, seed=2)(shape))
    assert v.shape == shape
    m = v.reshape(-1, shape[-1]) / 1.5
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError):
        initializers.Orthogonal()((5,))


def test_orthogonal_matches_qr_of_same_draw():
    # Keras: q * sign(diag(r)) of the QR of a normal draw; our Gram-Schmidt gives the same matrix
    a = to_np(kerasish.random.normal((7, 4), dtype="float64", seed=5))
    q, rr = np.linalg.qr(a)
    q = q * np.sign(np.diag(rr))
    np.testing.assert_allclose(to_np(initializers.Orthogonal(seed=5)((7, 4), dtype="float64")), q, atol=1e-10)


def test_float64_and_dtype_errors():
    assert initializers.HeNormal(seed=0)((3, 3), dtype="float64").dtype == "float64"
    assert initializers.Orthogonal(seed=0)((3, 3), dtype="float64").dtype == "float64"
    kerasish.config.set_floatx("float64")
    try:
        assert initializers.GlorotUniform()((2, 2)).dtype == "float64"
    finally:
        kerasish.config.set_floatx("float32")
    with pytest.raises(ValueError):
        initializers.GlorotUniform()((2, 2), dtype="int64")


def test_initializer_lookup_and_configs():
    assert isinstance(initializers.get("glorot_uniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    assert isinstance(initializers.get("uniform"), initializers.RandomUniform)
    assert isinstance(initializers.get("normal"), initializers.RandomNormal)
    assert isinstance(initializers.get("zeros"), initializers.Zeros)
    assert isinstance(initializers.get("orthogonal"), initializers.Orthogonal)
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)
    assert initializers.glorot_uniform is initializers.GlorotUniform
    inst = initializers.Constant(3.0)
    assert initializers.get(inst) is inst
    f = lambda shape, dtype=None: ops.zeros(shape)  # noqa: E731
    assert initializers.get(f) is f
    assert initializers.get(None) is None
    obj = initializers.get({"class_name": "RandomNormal", "config": {"stddev": 0.3, "seed": 2}})
    assert obj.stddev == 0.3 and obj.seed == 2
    with pytest.raises(ValueError) as e:
        initializers.get("glorot_unifrom")
    for name in ("glorot_uniform", "he_normal", "zeros", "orthogonal", "random_normal"):
        assert name in str(e.value)
    for obj in [
        initializers.GlorotUniform(seed=4), initializers.HeNormal(), initializers.RandomNormal(mean=1.0, stddev=2.0, seed=3),
        initializers.RandomUniform(minval=-1.0, maxval=2.0), initializers.TruncatedNormal(stddev=0.2),
        initializers.Constant(0.5), initializers.Zeros(), initializers.Ones(), initializers.Orthogonal(gain=2.0, seed=1),
        initializers.Identity(gain=3.0), initializers.VarianceScaling(scale=2.0, mode="fan_avg", distribution="uniform"),
    ]:
        cfg = obj.get_config()
        assert type(obj).from_config(cfg).get_config() == cfg
        assert initializers.deserialize(initializers.serialize(obj)).get_config() == cfg
    # Keras 3.15's config (the fan axes came with it)
    assert initializers.GlorotUniform(seed=4).get_config() == {"seed": 4, "input_axes": None, "output_axes": None}
    assert initializers.compute_fans((2, 3, 4), input_axes=[0, 1], output_axes=[2]) == (6, 4)
    a = initializers.GlorotUniform(seed=4)
    assert np.array_equal(to_np(a((3, 3))), to_np(a.clone()((3, 3))))


def test_initializer_as_variable_initializer():
    v = kerasish.Variable(initializers.get("ones"), shape=(2, 3))
    assert_close(v, np.ones((2, 3)))


# ------------------------------------------------------------------ regularizers


def test_regularizer_values():
    w = np.array([[0.5, -1.5], [2.0, -0.25]], "float32")
    assert_close(regularizers.L1()(w), 0.01 * np.abs(w).sum())
    assert_close(regularizers.L2()(w), 0.01 * (w**2).sum())
    assert_close(regularizers.L1(0.3)(w), 0.3 * np.abs(w).sum())
    assert_close(regularizers.L2(l2=0.2)(w), 0.2 * (w**2).sum())
    assert_close(regularizers.L1L2(l1=0.1, l2=0.2)(w), 0.1 * np.abs(w).sum() + 0.2 * (w**2).sum())
    assert_close(regularizers.L1L2()(w), 0.0)
    assert_close(regularizers.l1_l2(l1=0.1)(w), 0.1 * np.abs(w).sum())
    out = regularizers.L2()(kerasish.tensor(w))
    assert out.shape == ()
    rng = np.random.default_rng(0)
    m = rng.normal(size=(4, 6)).astype("float32")
    for mode, mat in (("rows", m), ("columns", m.T)):
        n = mat / np.linalg.norm(mat, axis=1, keepdims=True)
        prod = n @ n.T
        k = prod.shape[0]
        ref = 0.05 * 0.5 * np.abs(prod * (1 - np.eye(k))).sum() / (k * (k - 1) / 2)
        assert_close(regularizers.OrthogonalRegularizer(factor=0.05, mode=mode)(m), ref, rtol=1e-5)


def test_regularizer_gradients():
    w = np.array([[0.5, -1.5], [2.0, -0.25]])
    check_grad(lambda t: regularizers.L1L2(l1=0.1, l2=0.3)(t), [w])
    check_grad(lambda t: regularizers.OrthogonalRegularizer(factor=0.1)(t), [w])


def test_regularizer_lookup_and_configs():
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert isinstance(regularizers.get("L1"), regularizers.L1)
    assert isinstance(regularizers.get("l1_l2"), regularizers.L1L2)
    assert regularizers.get("l2").l2 == 0.01
    assert regularizers.l2 is regularizers.L2
    inst = regularizers.L2(0.5)
    assert regularizers.get(inst) is inst
    assert regularizers.get(None) is None
    obj = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.2, "l2": 0.1}})
    assert obj.l1 == 0.2 and obj.l2 == 0.1
    with pytest.raises(ValueError) as e:
        regularizers.get("l3")
    for name in ("l1", "l2", "l1_l2", "L1L2"):
        assert name in str(e.value)
    with pytest.raises(ValueError):
        regularizers.L2(-1.0)
    with pytest.raises(ValueError):
        regularizers.L1(float("nan"))
    for obj in [regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.4),
                regularizers.OrthogonalRegularizer(0.2, "columns")]:
        cfg = obj.get_config()
        assert type(obj).from_config(cfg).get_config() == cfg
        assert regularizers.deserialize(regularizers.serialize(obj)).get_config() == cfg
    assert regularizers.L1L2(0.1, 0.4).get_config() == {"l1": 0.1, "l2": 0.4}


def test_serialize_none_and_functions():
    assert initializers.serialize(None) is None and initializers.deserialize(None) is None
    assert regularizers.serialize(None) is None and regularizers.deserialize(None) is None

    def my_init(shape, dtype=None):
        return ops.ones(shape, dtype=dtype)

    cfg = initializers.serialize(my_init)
    assert cfg["class_name"] == "function" and cfg["config"] == "my_init"
    assert initializers.deserialize(cfg, custom_objects={"my_init": my_init}) is my_init
    with pytest.raises(ValueError):
        initializers.deserialize(cfg)
