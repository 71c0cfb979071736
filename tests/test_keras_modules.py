"""The modules Keras code reaches for around the models: keras.tree, keras.config's switches
(interactive logging, epoch and step caps, backend, flash attention), keras.backend's session
helpers, keras.utils' registration and data helpers, Model.to_json / model_from_json and
keras.layers.serialize / deserialize; against real Keras where it runs."""
import collections
import json
import logging

import numpy as np
import pytest

import kerasish as keras
from kerasish import tree
from oracle import oracle, real_keras

Point = collections.namedtuple("Point", "x y")


def structures():
    return [
        1, None, "leaf", [], (), {}, [1, [2, (3, None)]], {"b": 1, "a": [2, 3], "c": {"z": 4, "y": 5}},
        collections.OrderedDict([("b", 1), ("a", 2)]), Point(1, [2, 3]), (1, {"k": (2,)}), [[[]], (None,)],
        collections.deque([1, 2]),
    ]


@oracle
def test_tree_matches_keras():
    real_keras()
    import keras as real

    kt = real.tree
    for s in structures():
        assert tree.is_nested(s) == kt.is_nested(s), s
        assert tree.flatten(s) == kt.flatten(s), s
        assert tree.flatten_with_path(s) == kt.flatten_with_path(s), s
        assert tree.map_structure(lambda v: (v, 1), s) == kt.map_structure(lambda v: (v, 1), s), s
        assert tree.map_structure(lambda v: 0, s, none_is_leaf=False) == kt.map_structure(lambda v: 0, s, none_is_leaf=False)
        assert tree.lists_to_tuples(s) == kt.lists_to_tuples(s), s
        leaves = list(range(len(kt.flatten(s))))
        assert tree.pack_sequence_as(s, leaves) == kt.pack_sequence_as(s, leaves), s
        seen, seen_k = [], []
        tree.traverse(lambda v: seen.append(v), s)
        kt.traverse(lambda v: seen_k.append(v), s)
        assert seen == seen_k, s
        assert tree.traverse(lambda v: None, s, top_down=False) == kt.traverse(lambda v: None, s, top_down=False)
    # several structures; the dict order of the first comes back; up_to; shapes; MAP_TO_NONE
    a, b = {"b": [1, 2], "a": 3}, {"a": 30, "b": [10, 20]}
    got = tree.map_structure(lambda u, v: u + v, a, b)
    assert got == kt.map_structure(lambda u, v: u + v, a, b) and list(got) == ["b", "a"]
    assert tree.map_structure_up_to([0, 0], str, [[1, 1], [2, 2]]) == kt.map_structure_up_to([0, 0], str, [[1, 1], [2, 2]])
    s = {"x": (None, 3), "y": [(2, 3), [4]]}
    assert tree.map_shape_structure(lambda v: ("shape", v), s) == kt.map_shape_structure(lambda v: ("shape", v), s)
    f = lambda v: tree.MAP_TO_NONE if v == 2 else None  # noqa: E731
    fk = lambda v: kt.MAP_TO_NONE if v == 2 else None  # noqa: E731
    assert tree.traverse(f, [1, [2, 3]]) == kt.traverse(fk, [1, [2, 3]]) == [1, [None, 3]]
    # mismatches are ValueErrors in both
    for x, y in [([1, 2], (1, 2)), ([1], [1, 2]), ({"a": 1}, {"b": 1}), ([1, [2]], [1, 2]), (1, [1])]:
        with pytest.raises(ValueError):
            tree.assert_same_structure(x, y)
        with pytest.raises(ValueError):
            kt.assert_same_structure(x, y)
        with pytest.raises(ValueError):
            tree.map_structure(lambda u, v: u, x, y)
    tree.assert_same_structure({"a": [1]}, collections.OrderedDict(a=[2]))
    kt.assert_same_structure({"a": [1]}, collections.OrderedDict(a=[2]))
    tree.assert_same_paths([1, (2, 3)], ((4, [5, 6])))
    with pytest.raises(ValueError, match="missing in `b`"):
        tree.assert_same_paths([1, 2], [1])
    with pytest.raises(ValueError, match="leaves"):
        tree.pack_sequence_as([1, 2], [1])


def test_tree_leaves_are_tensors_and_strings():
    t = keras.ops.ones((2,))
    assert tree.flatten({"a": t, "b": [t, "s"]}) == [t, t, "s"]
    assert not tree.is_nested("abc") and not tree.is_nested(t)
    assert tree.flatten([5]) == [5]


def test_interactive_logging_goes_to_python_logging(capsys, caplog):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    keras.config.disable_interactive_logging()
    try:
        assert not keras.utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="kerasish"):
            model.fit(x, y, epochs=2, batch_size=4, verbose=2)
        assert capsys.readouterr().out == ""
        text = "\n".join(r.getMessage() for r in caplog.records if r.name == "kerasish")
        assert "Epoch 1/2" in text and "Epoch 2/2" in text and "loss:" in text
    finally:
        keras.config.enable_interactive_logging()
    assert keras.config.is_interactive_logging_enabled()
    model.fit(x, y, epochs=2, verbose=2)
    assert "Epoch 2/2" in capsys.readouterr().out


def test_max_epochs_and_steps_cap_training():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((40, 2), "float32"), np.ones((40, 1), "float32")
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    try:
        assert keras.config.max_epochs() == 2 and keras.config.max_steps_per_epoch() == 3
        with pytest.warns(UserWarning, match="Limiting") as caught:
            h = model.fit(x, y, epochs=10, batch_size=4, verbose=0)
        said = {str(w.message) for w in caught}
        assert {"Limiting epochs to 2", "Limiting steps_per_epoch to 3"} <= said, said
        assert len(h.history["loss"]) == 2
        assert int(model.optimizer.iterations.numpy()) == 6
        model.train_on_batch(x, y)  # its one batch, no cap and no warning
        assert int(model.optimizer.iterations.numpy()) == 7
        model.optimizer.iterations.assign(6)
    finally:
        keras.config.set_max_epochs(None)
        keras.config.set_max_steps_per_epoch(None)
    h = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert len(h.history["loss"]) == 3 and int(model.optimizer.iterations.numpy()) == 6 + 30


def test_config_backend_and_flash_attention():
    assert keras.config.backend() == keras.backend.backend() == "kerasish"
    keras.config.set_backend("kerasish")
    with pytest.raises(ValueError, match="one backend"):
        keras.config.set_backend("jax")
    assert keras.config.is_flash_attention_enabled() is None
    keras.config.disable_flash_attention()
    assert keras.config.is_flash_attention_enabled() is False
    keras.config.enable_flash_attention()
    assert keras.config.is_flash_attention_enabled() is None
    assert keras.config.is_nnx_enabled() is False


@oracle
def test_get_uid_and_clear_session_name_as_keras():
    real_keras()
    import keras as k

    for lib in (keras, k):
        lib.backend.clear_session()
        names = [lib.layers.Dense(1).name]
        uid = lib.backend.get_uid("dense")
        names.append(lib.layers.Dense(1).name)
        lib.backend.clear_session()
        names.append(lib.layers.Dense(1).name)
        if lib is keras:
            mine = (names, uid)
    assert mine == (names, uid)
    assert keras.backend.is_keras_tensor(keras.Input((2,))) and not keras.utils.is_keras_tensor(keras.ops.ones(2))


def test_utils_helpers():
    assert keras.utils.pack_x_y_sample_weight(1) == 1
    assert keras.utils.pack_x_y_sample_weight([1, 2]) == ([1, 2],)
    assert keras.utils.pack_x_y_sample_weight(1, 2) == (1, 2)
    assert keras.utils.pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)
    assert keras.utils.unpack_x_y_sample_weight(1) == (1, None, None)
    assert keras.utils.unpack_x_y_sample_weight([1, 2]) == (1, 2, None)
    with pytest.raises(ValueError, match="format"):
        keras.utils.unpack_x_y_sample_weight((1, 2, 3, 4))
    assert keras.utils.Sequence is keras.utils.PyDataset
    assert keras.utils.standardize_dtype("float") == "float32"
    c = keras.utils.Config(learning_rate=0.1, momentum=0.9)
    c.seed = 3
    c["b"] = 1
    assert c.learning_rate == 0.1 and c["seed"] == 3 and list(c) == ["b", "learning_rate", "momentum", "seed"]
    assert json.loads(c.to_json()) == c.as_dict() and len(c) == 4 and "b" in c
    with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
        c.momentun  # noqa: B018
    c.freeze()
    assert c.frozen
    with pytest.raises(ValueError, match="frozen"):
        c.seed = 4
    c.unfreeze()
    c.pop("b")
    assert "b" not in c
    # registration helpers are keras.saving's
    assert keras.utils.register_keras_serializable is keras.saving.register_keras_serializable
    assert keras.utils.get_custom_objects is keras.saving.get_custom_objects


def test_get_source_inputs():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    h = keras.layers.Dense(3)(a)
    out = keras.layers.Add()([h, b]) + h
    assert keras.utils.get_source_inputs(out) == [a, b]
    assert keras.utils.get_source_inputs(a) == [a]
    with pytest.raises(ValueError, match="symbolic"):
        keras.utils.get_source_inputs(np.ones(2))


def test_json_round_trips_and_layer_serialize():
    inp = keras.Input((4,), name="x")
    out = keras.layers.Dense(2, activation="relu", name="d")(keras.layers.Dense(3, name="h")(inp))
    for model in [keras.Model(inp, out), keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])]:
        js = model.to_json()
        again = keras.models.model_from_json(js)
        assert type(again) is type(model) and again.to_json() == js
        assert json.loads(model.to_json(indent=2)) == json.loads(js)
    d = keras.layers.Dense(5, activation="tanh", use_bias=False)
    cfg = keras.layers.serialize(d)
    assert cfg["class_name"] == "Dense" and cfg["module"] == "keras.layers"
    d2 = keras.layers.deserialize(cfg)
    assert type(d2) is keras.layers.Dense and d2.get_config() == d.get_config()
    with pytest.raises(ValueError, match="must be a dict"):
        keras.layers.deserialize("Dense")


@oracle
def test_keras_reads_our_json_and_we_read_keras():
    real_keras()
    import keras as real

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    theirs = real.models.model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in theirs.layers] == ["Dense", "Dense"]
    km = real.Sequential([real.Input((4,)), real.layers.Dense(3, activation="relu"), real.layers.Dense(1)])
    ours = keras.models.model_from_json(km.to_json())
    assert [layer.units for layer in ours.layers] == [3, 1] and ours.layers[0].activation.__name__ == "relu"
    assert keras.layers.deserialize(real.layers.serialize(real.layers.Dense(7))).units == 7


@oracle
def test_every_keras_ops_and_random_name_exists():
    """Every name Keras exports from keras.ops (and its numpy, nn, linalg, image submodules) and
    keras.random is in kerasish's module of the same name."""
    import importlib

    real_keras()
    missing = {}
    for mod in ["ops", "ops.numpy", "ops.nn", "ops.linalg", "ops.image", "random"]:
        theirs = importlib.import_module("keras." + mod)
        ours = importlib.import_module("kerasish." + mod)
        missing[mod] = [n for n in dir(theirs) if not n.startswith("_") and not hasattr(ours, n)]
    assert not any(missing.values()), missing


def _frames(e):
    import traceback

    return [f.filename for f in traceback.extract_tb(e.__traceback__)]


def test_traceback_filtering_leaves_out_kerasish_frames():
    import os

    package = os.path.dirname(keras.__file__) + os.sep

    class Bad(keras.layers.Layer):
        def call(self, x):
            return keras.ops.reshape(x, (7,))

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.add(Bad(), rebuild=False)
    model.compile(loss="mse")
    assert keras.config.is_traceback_filtering_enabled()
    for run in (lambda: model(np.ones((2, 3))), lambda: model.fit(np.ones((2, 3)), np.ones((2, 7)), verbose=0),
                lambda: model.predict(np.ones((2, 3)), verbose=0)):
        with pytest.raises(ValueError, match="cannot reshape") as info:
            run()
        files = _frames(info.value)
        assert files[0] == __file__ and files[-1] == __file__  # from this test to Bad.call
        # kerasish shows only the line that re-raises, as Keras's error_handler does
        assert {f for f in files if f.startswith(package)} == {os.path.join(package, "_traceback.py")}
        assert info.value.__suppress_context__
    keras.config.disable_traceback_filtering()
    try:
        with pytest.raises(ValueError) as info:
            model(np.ones((2, 3)))
        assert os.path.join(package, "layers", "layer.py") in _frames(info.value)
    finally:
        keras.config.enable_traceback_filtering()


@oracle
def test_pad_sequences_matches_keras():
    real_keras()
    import keras as real

    seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
    for kw in ({}, {"maxlen": 3}, {"padding": "post"}, {"truncating": "post", "maxlen": 2}, {"value": -1.0},
               {"dtype": "float32", "maxlen": 5}):
        got, want = keras.utils.pad_sequences(seqs, **kw), real.utils.pad_sequences(seqs, **kw)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
    vecs = [np.ones((2, 3)), np.zeros((1, 3))]
    np.testing.assert_array_equal(keras.utils.pad_sequences(vecs, dtype="float32"),
                                  real.utils.pad_sequences(vecs, dtype="float32"))
    for bad in ({"padding": "middle"}, {"truncating": "x"}):
        with pytest.raises(ValueError, match="not understood"):
            keras.utils.pad_sequences(seqs, **bad)
    with pytest.raises(ValueError, match="list of iterables"):
        keras.utils.pad_sequences([1, 2])
