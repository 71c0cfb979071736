"""Recurrent layers (layers/rnn/): SimpleRNN, LSTM, GRU, their cells, RNN with stacked and user
cells, Bidirectional, TimeDistributed and RepeatVector, against an independent NumPy
implementation of Keras's equations (masks with the semantics of Keras's JAX backend), float64
gradients through time, and real Keras 3 (numbers, configs and .keras files both ways)."""
import numpy as np
import pytest

import kerasish as keras
from conftest import check_grad, to_np
from kerasish import layers, ops
from oracle import oracle, real_keras

RNG = np.random.default_rng(0)
IDS = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]])


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def np_cell(kind, x, states, k, rk, b, reset_after=True):
    """One step of Keras's cell equations (gate order i f c o for LSTM, z r h for GRU)."""
    if kind == "SimpleRNN":
        h = np.tanh(x @ k + b + states[0] @ rk)
        return h, [h]
    if kind == "LSTM":
        h, c = states
        i, f, cc, o = np.split(x @ k + b + h @ rk, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(cc)
        h = sigmoid(o) * np.tanh(c)
        return h, [h, c]
    h = states[0]
    u = h.shape[-1]
    xb = x @ k + (b[0] if reset_after else b)
    xz, xr, xh = np.split(xb, 3, axis=-1)
    if reset_after:
        rz, rr, rh = np.split(h @ rk + b[1], 3, axis=-1)
        z, r = sigmoid(xz + rz), sigmoid(xr + rr)
        hh = np.tanh(xh + r * rh)
    else:
        rz, rr = np.split(h @ rk[:, : 2 * u], 2, axis=-1)
        z, r = sigmoid(xz + rz), sigmoid(xr + rr)
        hh = np.tanh(xh + (r * h) @ rk[:, 2 * u:])
    h = z * h + (1 - z) * hh
    return h, [h]


def np_rnn(kind, x, weights, units, mask=None, go_backwards=False, return_sequences=False, reset_after=True):
    """Keras's backend.rnn (JAX scan): a masked step keeps the states and outputs the previous
    first state; go_backwards gives the outputs in the order processed."""
    n_states = 2 if kind == "LSTM" else 1
    states = [np.zeros((x.shape[0], units))] * n_states
    outs = []
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    for t in steps:
        out, new = np_cell(kind, x[:, t], states, *weights, reset_after=reset_after)
        if mask is not None:
            keep = mask[:, t][:, None]
            out = np.where(keep, out, states[0])
            new = [np.where(keep, n, s) for n, s in zip(new, states)]
        states = new
        outs.append(out)
    return (np.stack(outs, 1) if return_sequences else outs[-1]), states


CASES = [("SimpleRNN", {}), ("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False}),
         ("LSTM", {"go_backwards": True, "return_sequences": True}), ("GRU", {"return_sequences": True}),
         ("SimpleRNN", {"go_backwards": True, "return_state": True})]


@pytest.mark.parametrize("kind,kw", CASES)
@pytest.mark.parametrize("masked", [False, True])
def test_layers_match_numpy_equations(kind, kw, masked):
    x = RNG.normal(size=(3, 6, 4))
    mask = IDS != 0 if masked else None
    layer = getattr(layers, kind)(5, dtype="float64", **kw)
    got = layer(x, mask=None if mask is None else ops.convert_to_tensor(mask))
    weights = [to_np(w) for w in layer.weights]
    want, states = np_rnn(kind, x, weights, 5, mask, kw.get("go_backwards", False), kw.get("return_sequences", False),
                          kw.get("reset_after", True))
    if kw.get("return_state"):
        got, got_states = got[0], got[1:]
        for g, w in zip(got_states, states):
            np.testing.assert_allclose(to_np(g), w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_np(got), want, rtol=1e-10, atol=1e-12)
    shapes = {"SimpleRNN": 5, "LSTM": 20, "GRU": 15}
    assert [tuple(w.shape)[-1] for w in layer.weights[:2]] == [shapes[kind]] * 2
    if kind == "LSTM":  # unit_forget_bias: the forget gate's bias starts at one
        np.testing.assert_array_equal(weights[2], np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    if kind == "GRU":
        assert weights[2].shape == ((2, 15) if kw.get("reset_after", True) else (15,))


@pytest.mark.parametrize("kind,kw", [("LSTM", {"go_backwards": True}), ("GRU", {}), ("GRU", {"reset_after": False}),
                                     ("SimpleRNN", {"return_sequences": True})])
def test_gradients_through_time_float64(kind, kw):
    mask = ops.convert_to_tensor(np.array([[True, True, False], [True, False, True]]))
    layer = getattr(layers, kind)(2, dtype="float64", return_sequences=kw.pop("return_sequences", False), **kw)
    layer.build((2, 3, 2))
    cell = layer.cell
    w0 = [to_np(w) for w in (cell.kernel, cell.recurrent_kernel, cell.bias)]

    def run(x, k, rk, b):
        cell.kernel, cell.recurrent_kernel, cell.bias = k, rk, b  # the weights as differentiable inputs
        return layer(x, mask=mask)

    check_grad(run, [RNG.normal(size=(2, 3, 2))] + w0)


def test_return_state_initial_state_and_stateful():
    x = RNG.normal(size=(2, 8, 3)).astype("float32")
    lstm = layers.LSTM(4, return_state=True)
    out, h, c = lstm(x)
    np.testing.assert_allclose(to_np(out), to_np(h))
    # running the second half from the states of the first equals the whole sequence
    _, h1, c1 = lstm(x[:, :4])
    out2, _, _ = lstm(x[:, 4:], initial_state=[h1, c1])
    np.testing.assert_allclose(to_np(out2), to_np(out), rtol=1e-5, atol=1e-6)
    stateful = layers.LSTM(4, stateful=True)
    stateful.build((2, 4, 3))
    stateful.set_weights(lstm.get_weights())
    stateful(x[:, :4])
    np.testing.assert_allclose(to_np(stateful(x[:, 4:])), to_np(out), rtol=1e-5, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(to_np(stateful(x[:, :4])), to_np(lstm(x[:, :4])[0]), rtol=1e-6)
    with pytest.raises(ValueError, match="batch size"):
        stateful(x[:1, :4])
    with pytest.raises(ValueError, match="batch size must be static"):
        keras.Sequential([keras.Input((4, 3)), layers.GRU(2, stateful=True)])


def test_stacked_and_user_cells():
    class MinimalRNNCell(layers.Layer):  # the cell of Keras's RNN docstring
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight((input_shape[-1], self.units), "uniform", name="kernel")
            self.recurrent_kernel = self.add_weight((self.units, self.units), "uniform", name="recurrent_kernel")

        def call(self, inputs, states):
            output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
            return output, [output]

    x = RNG.normal(size=(2, 5, 3)).astype("float32")
    layer = layers.RNN([MinimalRNNCell(4), layers.LSTMCell(2)], return_sequences=True)
    y = layer(x)
    assert tuple(y.shape) == (2, 5, 2)
    k, rk = to_np(layer.cell.cells[0].kernel), to_np(layer.cell.cells[0].recurrent_kernel)
    h = np.zeros((2, 4))
    first = []
    for t in range(5):
        h = x[:, t] @ k + h @ rk
        first.append(h)
    lstm_w = [to_np(w) for w in layer.cell.cells[1].weights]
    want, _ = np_rnn("LSTM", np.stack(first, 1), lstm_w, 2, return_sequences=True)
    np.testing.assert_allclose(to_np(y), want, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(3))


def test_bidirectional_time_distributed_repeat_vector():
    x = RNG.normal(size=(2, 5, 3)).astype("float32")
    bi = layers.Bidirectional(layers.GRU(4, return_sequences=True))
    y = to_np(bi(x))
    fwd = to_np(bi.forward_layer(x))
    bwd = to_np(bi.backward_layer(x))[:, ::-1]
    np.testing.assert_allclose(y, np.concatenate([fwd, bwd], -1), rtol=1e-6)
    assert bi.forward_layer.name.startswith("forward_") and bi.backward_layer.go_backwards
    for mode, f in (("sum", np.add), ("mul", np.multiply), ("ave", lambda a, b: (a + b) / 2)):
        b2 = layers.Bidirectional(layers.SimpleRNN(3), merge_mode=mode)
        got = to_np(b2(x))
        np.testing.assert_allclose(got, f(to_np(b2.forward_layer(x)), to_np(b2.backward_layer(x))), rtol=1e-5, atol=1e-6)
    pair = layers.Bidirectional(layers.LSTM(2, return_state=True), merge_mode=None)(x)
    assert len(pair) == 6  # forward output, backward output, then each one's h and c
    with pytest.raises(ValueError, match="Invalid merge mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    td = layers.TimeDistributed(layers.Dense(2))
    out = to_np(td(x))
    np.testing.assert_allclose(out, x @ to_np(td.layer.kernel) + to_np(td.layer.bias), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(np.ones((2, 3), "float32"))
    rep = to_np(layers.RepeatVector(3)(x[:, 0]))
    np.testing.assert_array_equal(rep, np.repeat(x[:, :1], 3, axis=1))
    with pytest.raises(ValueError, match="expected ndim=2"):
        layers.RepeatVector(3)(x)


def test_masks_flow_and_training_ignores_padding():
    keras.utils.set_random_seed(3)
    inp = keras.Input((6,), dtype="int32")
    h = layers.Embedding(7, 4, mask_zero=True)(inp)
    seq = layers.LSTM(3, return_sequences=True)(h)
    assert seq._keras_mask is not None  # return_sequences keeps the mask, as Keras 3.15
    model = keras.Model(inp, layers.Dense(1)(layers.GRU(2)(seq)))
    model.compile(loss="mse", optimizer="adam")
    y = RNG.normal(size=(3, 1)).astype("float32")
    # what sits in the padded positions does not matter: only valid steps are read
    padded = np.where(IDS == 0, 0, IDS)
    np.testing.assert_allclose(model.predict(padded, verbose=0), model.predict(IDS, verbose=0))
    hist = model.fit(IDS, y, epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_dropout_same_mask_at_every_step_and_seeded():
    x = np.ones((2, 4, 3), "float32")
    for kind in ("LSTM", "GRU", "SimpleRNN"):
        runs = []
        for _ in range(2):
            keras.utils.set_random_seed(7)
            layer = getattr(layers, kind)(3, dropout=0.5, recurrent_dropout=0.3, seed=11, return_sequences=True)
            runs.append(to_np(layer(x, training=True)))
        np.testing.assert_array_equal(runs[0], runs[1])
        assert layer.cell._dropout_mask is None  # reset after each sequence, as Keras does
        assert not np.allclose(runs[0], to_np(layer(x)))  # inference uses no dropout


def test_configs_round_trip_and_errors():
    for layer in (layers.LSTM(3, return_sequences=True, dropout=0.1, seed=1), layers.GRU(2, reset_after=False),
                  layers.SimpleRNN(4, go_backwards=True), layers.RNN([layers.LSTMCell(2), layers.GRUCell(3)]),
                  layers.Bidirectional(layers.LSTM(2), merge_mode="sum"), layers.TimeDistributed(layers.Dense(2)),
                  layers.RepeatVector(4)):
        config = layer.get_config()
        again = type(layer).from_config(config)
        assert again.get_config() == config
        assert layers.deserialize(layers.serialize(layer)).get_config() == config
    assert layers.LSTM(3).units == 3 and layers.GRU(2).reset_after
    with pytest.raises(ValueError, match="positive integer"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="expected ndim=3"):
        layers.LSTM(3)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.GRU(2, use_cudnn="yes")


def _keras_style_model(lib):
    L = lib.layers
    inp = lib.Input((6,), dtype="int32")
    h = L.Embedding(7, 4, mask_zero=True)(inp)
    h = L.Bidirectional(L.LSTM(3, return_sequences=True))(h)
    h = L.RNN([L.GRUCell(3), L.SimpleRNNCell(2)], return_sequences=True)(h)
    h = L.TimeDistributed(L.Dense(2))(h)
    return lib.Model(inp, L.GRU(2, reset_after=False)(h))


@oracle
def test_rnn_layers_match_keras(tmp_path):
    real_keras()
    import keras as real

    for kind, kw in CASES:
        for masked in (False, True):
            models = []
            for lib in (keras, real):
                inp = lib.Input((6,), dtype="int32")
                y = getattr(lib.layers, kind)(5, **kw)(lib.layers.Embedding(7, 4, mask_zero=masked)(inp))
                models.append(lib.Model(inp, y))
            mine, theirs = models
            theirs.set_weights(mine.get_weights())
            for a, b in zip(keras.tree.flatten(mine.predict(IDS, verbose=0)),
                            real.tree.flatten(theirs.predict(IDS, verbose=0))):
                np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
            assert mine.layers[-1].get_config() == theirs.layers[-1].get_config() | {
                "name": mine.layers[-1].name, "dtype": mine.layers[-1].get_config()["dtype"]}
    # .keras files both ways, Keras's mask ops (NotEqual nodes) and nested cells included
    theirs = _keras_style_model(real)
    theirs.save(tmp_path / "k.keras")
    mine = keras.saving.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(mine.predict(IDS, verbose=0), theirs.predict(IDS, verbose=0), rtol=1e-5, atol=1e-6)
    mine = _keras_style_model(keras)
    mine.save(tmp_path / "m.keras")
    back = real.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(mine.predict(IDS, verbose=0), back.predict(IDS, verbose=0), rtol=1e-5, atol=1e-6)
