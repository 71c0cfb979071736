"""Models: Sequential, the functional API, subclassing, summary(), weights and naming, checked against
NumPy forward passes and Keras 3's documented behaviour."""
import re

import numpy as np
import pytest

import kerasish as keras
from conftest import to_np
from kerasish import layers


def relu(x):
    return np.maximum(x, 0)


def summary_lines(model, **kwargs):
    chunks = []
    model.summary(print_fn=chunks.append, **kwargs)
    return "\n".join(chunks).splitlines()


def squash(line):
    """A table row with its padding collapsed: '│ dense (Dense) │ (None, 16) │ 144 │'."""
    return re.sub(r" +", " ", line).strip()


@pytest.fixture
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


# ---------------------------------------------------------------- Sequential


def test_sequential_basics(rng):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(2)], name="seq")
    assert model.name == "seq"
    assert model.built
    assert len(model.layers) == 2 and all(isinstance(layer, layers.Dense) for layer in model.layers)
    assert model.input_shape == (None, 4) and model.output_shape == (None, 2)
    assert [tuple(w.shape) for w in model.weights] == [(4, 8), (8,), (8, 2), (2,)]
    assert model.count_params() == 4 * 8 + 8 + 8 * 2 + 2
    x = rng.standard_normal((5, 4)).astype(np.float32)
    k1, b1, k2, b2 = model.get_weights()
    expected = relu(x @ k1 + b1) @ k2 + b2
    np.testing.assert_allclose(to_np(model(x)), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_sequential_add_pop():
    model = keras.Sequential()
    assert model.layers == [] and not model.built
    model.add(keras.Input((3,)))
    d1 = layers.Dense(4)
    model.add(d1)
    assert model.built and d1.built and model.output_shape == (None, 4)
    model.add(layers.Dense(5))
    assert model.output_shape == (None, 5)
    assert len(model.weights) == 4
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and popped.units == 5
    assert model.layers == [d1] and len(model.weights) == 2
    assert model.output_shape == (None, 4)
    model.pop()
    with pytest.raises(TypeError):
        model.pop()


def test_sequential_add_errors():
    model = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError):
        model.add(keras.Input((3,)))  # an Input only as the first layer
    with pytest.raises(ValueError):
        model.add("dense")
    d = layers.Dense(1, name="same_name_xyz")
    model.add(d)
    with pytest.raises(ValueError, match="unique"):
        model.add(layers.Dense(1, name="same_name_xyz"))


def test_sequential_deferred_build(rng):
    model = keras.Sequential([layers.Dense(3), layers.Dense(1)])
    assert not model.built
    assert all(not layer.built for layer in model.layers)
    assert model.weights == []
    x = rng.standard_normal((4, 6)).astype(np.float32)
    y = model(x)
    assert model.built and tuple(y.shape) == (4, 1)
    assert [tuple(w.shape) for w in model.weights] == [(6, 3), (3,), (3, 1), (1,)]


def test_sequential_input_shape_kwarg():
    model = keras.Sequential([layers.Dense(3, input_shape=(5,)), layers.Dense(2)])
    assert model.built and model.input_shape == (None, 5) and model.output_shape == (None, 2)
    assert model.count_params() == 5 * 3 + 3 + 3 * 2 + 2


def test_sequential_build_method():
    model = keras.Sequential([layers.Dense(3)])
    model.build((None, 7))
    assert model.built and tuple(model.weights[0].shape) == (7, 3)


def test_sequential_with_conv_stack(rng):
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, activation="relu"), layers.MaxPooling2D(),
                              layers.Flatten(), layers.Dense(3, activation="softmax")])
    assert [layer.name.split("_")[0] for layer in model.layers][:2] == ["conv2d", "max"]
    assert model.output_shape == (None, 3)
    p = model.predict(rng.standard_normal((3, 8, 8, 1)).astype(np.float32), verbose=0)
    assert p.shape == (3, 3)
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-5)


# ---------------------------------------------------------------- functional


def test_functional_single(rng):
    inp = keras.Input((4,), name="inp_single")
    h = layers.Dense(6, activation="relu")(inp)
    out = layers.Dense(2)(h)
    model = keras.Model(inp, out)
    assert re.fullmatch(r"functional(_\d+)?", model.name)
    assert isinstance(model.layers[0], layers.InputLayer) and model.layers[0].name == "inp_single"
    assert len(model.layers) == 3
    assert model.input_shape == (None, 4) and model.output_shape == (None, 2)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    k1, b1, k2, b2 = model.get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), relu(x @ k1 + b1) @ k2 + b2, rtol=1e-5, atol=1e-6)
    m2 = keras.Model(inputs=inp, outputs=out, name="named")
    assert m2.name == "named"
    assert model.get_layer(index=1) is m2.layers[1]
    assert model.get_layer(model.layers[2].name) is model.layers[2]
    with pytest.raises(ValueError):
        model.get_layer("no_such_layer")


def test_functional_multi_io_and_shared_layer(rng):
    a, b = keras.Input((3,), name="in_a"), keras.Input((3,), name="in_b")
    shared = layers.Dense(4, name="shared_dense")
    ha, hb = shared(a), shared(b)
    merged = layers.Concatenate()([ha, hb])
    o1 = layers.Dense(1, name="out_one")(merged)
    o2 = layers.Add()([ha, hb])
    model = keras.Model([a, b], [o1, o2])
    assert len(model.weights) == 4  # the shared layer's weights count once
    assert model.count_params() == (3 * 4 + 4) + (8 * 1 + 1)
    xa, xb = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((5, 3)).astype(np.float32)
    ks, bs, k1, b1 = model.get_weights()
    ea, eb = xa @ ks + bs, xb @ ks + bs
    e1 = np.concatenate([ea, eb], 1) @ k1 + b1
    p1, p2 = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(p1, e1, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(p2, ea + eb, rtol=1e-5, atol=1e-5)
    q1, q2 = model.predict({"in_a": xa, "in_b": xb}, verbose=0)
    np.testing.assert_allclose(q1, e1, rtol=1e-5, atol=1e-5)
    # the order of the dict does not matter, names do
    r1, _ = model.predict({"in_b": xb, "in_a": xa}, verbose=0)
    np.testing.assert_allclose(r1, e1, rtol=1e-5, atol=1e-5)


def test_functional_dict_io(rng):
    a, b = keras.Input((2,), name="x1"), keras.Input((3,), name="x2")
    out = layers.Dense(1)(layers.Concatenate()([a, b]))
    model = keras.Model({"x1": a, "x2": b}, {"y": out})
    xa, xb = rng.standard_normal((4, 2)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    k, bias = model.get_weights()
    y = model({"x2": xb, "x1": xa})
    assert set(y) == {"y"}
    np.testing.assert_allclose(to_np(y["y"]), np.concatenate([xa, xb], 1) @ k + bias, rtol=1e-5, atol=1e-6)


def test_functional_nested_model(rng):
    inner = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="relu")], name="inner_seq")
    inp = keras.Input((3,))
    out = layers.Dense(1)(inner(inp))
    model = keras.Model(inp, out)
    assert inner in model.layers
    assert len(model.weights) == 4
    x = rng.standard_normal((4, 3)).astype(np.float32)
    k1, b1, k2, b2 = model.get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), relu(x @ k1 + b1) @ k2 + b2, rtol=1e-5, atol=1e-6)
    inner.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    # a functional model nested in another shows as "(Functional)", as in Keras
    a = keras.Input((3,))
    inner_f = keras.Model(a, layers.Dense(2)(a), name="inner_func")
    b = keras.Input((3,))
    outer = keras.Model(b, layers.Dense(1)(inner_f(b)))
    np.testing.assert_allclose(outer.predict(x, verbose=0).shape, (4, 1))
    assert "│ inner_func (Functional) │ (None, 2) │ 8 │" in [squash(line) for line in summary_lines(outer)]


def test_functional_errors():
    a = keras.Input((3,))
    b = keras.Input((3,))
    out = layers.Dense(1)(b)
    with pytest.raises(ValueError):
        keras.Model(a, out)  # out does not depend on a
    with pytest.raises(ValueError):
        keras.Model(a, np.zeros(3))
    with pytest.raises(ValueError):
        keras.Model(inputs=a)
    x = keras.Input((3,))
    h = layers.Dense(2, name="dup_name_q")(x)
    y = layers.Dense(2, name="dup_name_q")(h)
    with pytest.raises(ValueError, match="dup_name_q"):
        keras.Model(x, y)


def test_functional_layers_order_keras():
    # Keras orders layers by depth (inputs first), ties by first visit from the outputs
    a, b = keras.Input((3,), name="ord_a"), keras.Input((3,), name="ord_b")
    da = layers.Dense(2, name="ord_da")(a)
    db = layers.Dense(2, name="ord_db")(b)
    shared = layers.Dense(2, name="ord_shared")
    s1, s2 = shared(da), shared(db)
    out = layers.Add(name="ord_add")([s1, s2])
    model = keras.Model([a, b], out)
    assert [layer.name for layer in model.layers] == ["ord_a", "ord_b", "ord_da", "ord_db", "ord_shared", "ord_add"]


def test_functional_tensor_arithmetic(wide_terminal, rng):
    # Keras 3 records `x + y`, `2 * x`, `x[:, :2]` ... on symbolic tensors as graph operations
    x = keras.Input((3,), name="arith_in")
    h = layers.Dense(3, name="arith_dense")(x)
    y = 1.0 - ((h + x) * 2.0) / 4.0
    model = keras.Model(x, -(y[:, :2] ** 2))
    d = rng.standard_normal((4, 3)).astype(np.float32)
    k, b = model.get_weights()
    expected = -((1.0 - ((d @ k + b + d) * 2.0) / 4.0)[:, :2] ** 2)
    np.testing.assert_allclose(model.predict(d, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert model.output_shape == (None, 2)
    assert [layer.name for layer in model.layers] == ["arith_in", "arith_dense"]  # operations are not layers
    rows = [squash(line) for line in summary_lines(model)]
    assert any(re.fullmatch(r"│ add(_\d+)? \(Add\) │ \(None, 3\) │ 0 │ arith_dense\[0\]\[0\], │", r) for r in rows), rows
    op = next(lay for lay in model._graph.all_layers if getattr(lay, "keras_class_name", None) == "Add")
    from kerasish.saving.serialization_lib import serialize_layer

    # saved as Keras's op node (keras.src.ops.numpy.Add), not as a keras.layers.Add
    assert serialize_layer(op) == {"module": "keras.src.ops.numpy", "class_name": "Add",
                                   "config": {"name": op.name}, "registered_name": "Add"}
    index = next(lay for lay in model._graph.all_layers if type(lay).__name__ == "GetItem")
    with pytest.raises(NotImplementedError):
        index.get_config()  # indexing cannot be saved yet, and says so
    # and they train: the gradient flows through them
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()[0]
    model.fit(d, np.zeros((4, 2), np.float32), verbose=0)
    assert not np.array_equal(before, model.get_weights()[0])


def test_functional_explicit_training_argument_wins():
    # Keras: Dropout(rate)(x, training=True) in a functional graph stays on even in predict()
    inp = keras.Input((200,))
    out = layers.Dropout(0.5, seed=3)(inp, training=True)
    model = keras.Model(inp, out)
    p = model.predict(np.ones((4, 200), np.float32), verbose=0)
    assert 0.3 < (p == 0).mean() < 0.7
    np.testing.assert_allclose(p[p != 0], 2.0)
    inp2 = keras.Input((200,))
    plain = keras.Model(inp2, layers.Dropout(0.5)(inp2))
    np.testing.assert_array_equal(plain.predict(np.ones((4, 200), np.float32), verbose=0), 1.0)
    assert (to_np(plain(np.ones((4, 200), np.float32), training=True)) == 0).any()
    d = layers.Dense(2)
    assert tuple(d(inputs=np.ones((1, 3), np.float32)).shape) == (1, 2)  # inputs= as a keyword


# ---------------------------------------------------------------- subclassing


class Affine(keras.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, x):
        return keras.ops.matmul(x, self.w) + self.b


class TwoLayer(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a1 = Affine(5)
        self.bn = layers.BatchNormalization()
        self.drop = layers.Dropout(0.5, seed=1)
        self.a2 = Affine(2)

    def call(self, x, training=False):
        h = keras.ops.relu(self.a1(x))
        h = self.bn(h, training=training)
        return self.a2(self.drop(h, training=training))


def test_subclassed_model(rng):
    model = TwoLayer()
    assert re.fullmatch(r"two_layer(_\d+)?", model.name)
    assert not model.built and model.weights == []
    x = rng.standard_normal((6, 3)).astype(np.float32)
    y = model(x)
    assert model.built and tuple(y.shape) == (6, 2)
    assert [layer.name.split("_")[0] for layer in model.layers] == ["affine", "batch", "dropout", "affine"]
    # Keras order: each layer's weights in turn (BatchNormalization's moving stats right after it)
    assert [w.name for w in model.weights] == ["w", "b", "gamma", "beta", "moving_mean", "moving_variance", "w", "b"]
    assert [w.name for w in model.trainable_weights] == ["w", "b", "gamma", "beta", "w", "b"]
    assert [w.name for w in model.non_trainable_weights] == ["moving_mean", "moving_variance"]
    w1, b1, g, bt, mm, mv, w2, b2 = model.get_weights()
    expected = (relu(x @ w1 + b1) - mm) / np.sqrt(mv + 1e-3) * g + bt
    expected = expected @ w2 + b2
    np.testing.assert_allclose(to_np(model(x)), expected, rtol=1e-4, atol=1e-5)
    # training=True reaches the inner layers: batch statistics and dropout
    y_train = to_np(model(x, training=True))
    assert not np.allclose(y_train, expected, atol=1e-3)
    assert not np.allclose(model.get_weights()[4], mm)  # moving mean was updated


def test_model_trainable_flag(rng):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(1)])
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2
    model.layers[0].trainable = False
    assert [tuple(w.shape) for w in model.trainable_weights] == [(4,), (4,), (4, 1), (1,)]
    assert len(model.non_trainable_weights) == 4
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 8
    assert all(not layer.trainable for layer in model.layers)
    model.trainable = True
    assert len(model.trainable_weights) == 6


# ---------------------------------------------------------------- weights


def test_get_set_weights_order_and_errors(rng):
    def make():
        return keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(2)])

    m1, m2 = make(), make()
    ws = m1.get_weights()
    assert [w.shape for w in ws] == [(3, 4), (4,), (4,), (4,), (4,), (4,), (4, 2), (2,)]
    ws[3] = rng.standard_normal(4).astype(np.float32)  # beta
    ws[4] = rng.standard_normal(4).astype(np.float32)  # moving mean
    m1.set_weights(ws)
    m2.set_weights(m1.get_weights())
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(m1.predict(x, verbose=0), m2.predict(x, verbose=0))
    with pytest.raises(ValueError):
        m1.set_weights(ws[:-1])
    bad = list(ws)
    bad[0] = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError):
        m1.set_weights(bad)
    np.testing.assert_array_equal(m1.get_weights()[1], ws[1])  # nothing was half-assigned


def test_count_params_and_names():
    model = keras.Sequential([keras.Input((10,)), layers.Dense(20), layers.Dense(5)])
    assert model.count_params() == 10 * 20 + 20 + 20 * 5 + 5
    names = [layer.name for layer in model.layers]
    assert all(re.fullmatch(r"dense(_\d+)?", n) for n in names) and len(set(names)) == 2
    assert re.fullmatch(r"sequential(_\d+)?", model.name)
    other = keras.Sequential()
    assert other.name != model.name
    with pytest.raises(ValueError):
        keras.Sequential([layers.Dense(2)]).count_params()


# ---------------------------------------------------------------- summary


def test_summary_exact_text(wide_terminal):
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, name="dense_s1"), layers.Dense(3, name="dense_s2")],
                             name="summary_model")
    lines = summary_lines(model)
    # Keras 3: positions [.45, .80, 1] of 88 columns, then rich shrinks each padded column evenly
    w = [36, 27, 15]

    def row(a, b, c, bar="│"):
        return f"{bar} {a.ljust(w[0])} {bar} {b.ljust(w[1])} {bar} {c.rjust(w[2])} {bar}"

    def rule(left, mid, right, fill):
        return left + mid.join(fill * (n + 2) for n in w) + right

    expected = [
        'Model: "summary_model"',
        rule("┏", "┳", "┓", "━"),
        row("Layer (type)", "Output Shape", "Param #", "┃"),
        rule("┡", "╇", "┩", "━"),
        row("dense_s1 (Dense)", "(None, 16)", "144"),
        rule("├", "┼", "┤", "─"),
        row("dense_s2 (Dense)", "(None, 3)", "51"),
        rule("└", "┴", "┘", "─"),
        " Total params: 195 (780.00 B)",
        " Trainable params: 195 (780.00 B)",
        " Non-trainable params: 0 (0.00 B)",
    ]
    assert lines == expected
    assert all(len(line) == 88 for line in lines[1:8])


def test_summary_optimizer_params_after_fit(wide_terminal, rng):
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(rng.standard_normal((16, 8)).astype(np.float32), rng.integers(0, 3, 16), verbose=0)
    tail = summary_lines(model)[-4:]
    assert tail == [
        " Total params: 587 (2.29 KB)",
        " Trainable params: 195 (780.00 B)",
        " Non-trainable params: 0 (0.00 B)",
        " Optimizer params: 392 (1.53 KB)",
    ]


def test_summary_thousands_and_non_trainable(wide_terminal):
    model = keras.Sequential([keras.Input((784,)), layers.Dense(1000), layers.BatchNormalization()])
    lines = [squash(line) for line in summary_lines(model)]
    assert any(re.fullmatch(r"│ dense(_\d+)? \(Dense\) │ \(None, 1000\) │ 785,000 │", line) for line in lines), lines
    assert any(re.fullmatch(r"│ batch_normalization(_\d+)? │ \(None, 1000\) │ 4,000 │", line) for line in lines), lines
    assert "│ (BatchNormalization) │ │ │" in lines  # a long cell wraps onto a second line, as rich does
    assert lines[-3:] == [
        "Total params: 789,000 (3.01 MB)",
        "Trainable params: 787,000 (3.00 MB)",
        "Non-trainable params: 2,000 (7.81 KB)",
    ]


def test_summary_unbuilt(wide_terminal):
    model = keras.Sequential([layers.Dense(4), layers.Dense(1)])
    lines = [squash(line) for line in summary_lines(model)]
    rows = [line for line in lines if "(Dense)" in line]
    assert len(rows) == 2
    assert all(re.fullmatch(r"│ dense(_\d+)? \(Dense\) │ \? │ 0 \(unbuilt\) │", r) for r in rows), rows
    assert lines[-3] == "Total params: 0 (0.00 B)"


def test_summary_functional_connected_to(wide_terminal):
    a, b = keras.Input((3,), name="ct_a"), keras.Input((2,), name="ct_b")
    h = layers.Concatenate(name="ct_cat")([a, b])
    out = layers.Dense(1, name="ct_out")(h)
    lines = summary_lines(keras.Model([a, b], out, name="ct_model"))
    assert all(len(line) == 108 for line in lines[1:-3])
    assert "Connected to" in lines[2]
    sq = [squash(line) for line in lines]
    assert "│ ct_a (InputLayer) │ (None, 3) │ 0 │ - │" in sq
    assert "│ ct_cat (Concatenate) │ (None, 5) │ 0 │ ct_a[0][0], ct_b[0][0] │" in sq
    assert "│ ct_out (Dense) │ (None, 1) │ 6 │ ct_cat[0][0] │" in sq
    # a plain chain keeps the 3-column, 88-wide table and lists its InputLayer
    x = keras.Input((3,), name="chain_in")
    chain = keras.Model(x, layers.Dense(2, name="chain_d")(x))
    cl = summary_lines(chain)
    assert "Connected to" not in cl[2] and len(cl[1]) == 88
    assert "│ chain_in (InputLayer) │ (None, 3) │ 0 │" in [squash(line) for line in cl]


def test_summary_narrow_terminal_and_stdout(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)], name="narrow")
    model.summary()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == 'Model: "narrow"'
    # min(88, columns - 4) = 76 wide: padded columns 33, 24, 15 (as in Keras's own docs)
    assert out[1] == "┏" + "━" * 33 + "┳" + "━" * 24 + "┳" + "━" * 15 + "┓"


def test_intermediate_outputs_build_feature_extractors():
    """Keras's idioms: `layer.output` / `get_layer(name).output` / `model.inputs` of functional and
    Sequential models make a model of the intermediate activations (the Sequential and
    functional guides' feature extraction)."""
    inp = keras.Input((4,), name="x")
    h = keras.layers.Dense(3, activation="relu", name="h")(inp)
    out = keras.layers.Dense(2, name="o")(h)
    m = keras.Model(inp, out)
    assert m.get_layer("h").output is h and m.get_layer("h").input is inp and m.input is inp and m.output is out
    assert m.get_layer("x").output is inp
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    fe = keras.Model(inputs=m.inputs, outputs=[layer.output for layer in m.layers])
    feats = fe.predict(x, verbose=0)
    np.testing.assert_allclose(feats[2], m.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(feats[1], keras.Model(m.input, m.get_layer("h").output).predict(x, verbose=0), rtol=1e-6)
    seq = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="a"), keras.layers.Dense(2, name="b")])
    ext = keras.Model(inputs=seq.inputs, outputs=[layer.output for layer in seq.layers])
    got = ext.predict(x, verbose=0)
    np.testing.assert_allclose(got[1], seq.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(got[0], keras.Model(seq.inputs, seq.get_layer("a").output).predict(x, verbose=0), rtol=1e-6)
    assert len(seq.outputs) == 1 and seq.outputs[0].shape == (None, 2)
    with pytest.raises(AttributeError, match="never been called"):
        keras.layers.Dense(2).output
    with pytest.raises(AttributeError, match="no defined inputs"):
        keras.Sequential([keras.layers.Dense(2)]).inputs


def test_clone_model():
    """keras.models.clone_model: the same architecture and layer names with new weights, for
    functional (tensor operations included), Sequential and subclassed models, with a
    clone_function and input_tensors."""
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    a = keras.Input((4,), name="a")
    h = keras.layers.Dense(3, activation="relu", name="h")(a)
    m = keras.Model(a, keras.layers.Dense(2, name="o")(h) + h[:, :2])
    c = keras.models.clone_model(m)
    assert [layer.name for layer in c.layers] == [layer.name for layer in m.layers] and c is not m
    assert not np.allclose(c.get_layer("h").kernel.numpy(), m.get_layer("h").kernel.numpy())  # fresh weights
    c.set_weights(m.get_weights())
    np.testing.assert_allclose(c.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)
    new_in = keras.Input((4,), name="other")
    assert keras.models.clone_model(m, input_tensors=new_in).inputs[0] is new_in
    s = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dropout(0.2), keras.layers.Dense(1)])
    renamed = keras.models.clone_model(
        s, clone_function=lambda layer: layer.__class__.from_config({**layer.get_config(), "name": "c_" + layer.name}))
    assert all(layer.name.startswith("c_") for layer in renamed.layers) and renamed.input_shape == (None, 4)
    renamed.set_weights(s.get_weights())
    np.testing.assert_allclose(renamed.predict(x, verbose=0), s.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="input_tensors"):
        keras.models.clone_model(m, input_tensors=[new_in, new_in])
