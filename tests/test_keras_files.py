"""Files Keras 3 writes, read by kerasish: `.keras` archives (config.json, metadata.json and
model.weights.h5) and `.weights.h5` files predict what Keras predicts, optimizer state included;
and the HDF5 reader's refusals (filtered, external, virtual, non-numeric or oversized datasets,
truncated files), which keep a hostile file from reading other files or inflating."""
import io
import json
import zipfile

import numpy as np
import pytest

import kerasish as K
from kerasish.saving import h5_weights
from oracle import oracle, real_keras

h5py = pytest.importorskip("h5py")
R = np.random.default_rng(15)


def _cnn(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((12, 12, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                           L.BatchNormalization(), L.Flatten(), L.Dropout(0.5), L.Dense(5, activation="softmax")])


@oracle
def test_keras_archives_and_weights_files_load_and_predict_as_keras(tmp_path):
    real_keras()
    import keras

    x = R.random((16, 12, 12, 1)).astype("float32")
    y = np.arange(16) % 5
    km = _cnn(keras)
    km.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    km.fit(x, y, epochs=2, batch_size=8, verbose=0)
    km.save(tmp_path / "cnn.keras")
    km.save_weights(tmp_path / "cnn.weights.h5")
    want = np.asarray(km.predict(x, verbose=0))

    m = K.models.load_model(tmp_path / "cnn.keras")
    np.testing.assert_allclose(m.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    # the optimizer state came along (Keras's int32 iteration count included) and training goes on
    assert int(m.optimizer.iterations.numpy()) == int(np.asarray(km.optimizer.iterations)) == 4
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    fresh = _cnn(K)
    fresh.load_weights(tmp_path / "cnn.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    fresh.load_weights(tmp_path / "cnn.keras")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)

    # a functional model around a nested Sequential (its weights under layers/sequential/layers/...)
    inp = keras.Input((4,))
    inner = keras.Sequential([keras.layers.Dense(3, activation="tanh")], name="inner")
    fm = keras.Model(inp, keras.layers.Dense(2)(inner(inp)))
    fm.save(tmp_path / "nested.keras")
    x2 = R.normal(size=(5, 4)).astype("float32")
    got = K.models.load_model(tmp_path / "nested.keras").predict(x2, verbose=0)
    np.testing.assert_allclose(got, np.asarray(fm.predict(x2, verbose=0)), rtol=1e-5, atol=1e-6)


def _h5(build):
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        build(f)
    return buf.getvalue()


def test_h5_reader_reads_keras_layout():
    data = _h5(lambda f: (f.create_dataset("layers/dense/vars/0", data=np.ones((2, 3), "float32")),
                          f.create_dataset("optimizer/vars/0", data=np.int32(7)), f.create_group("layers/flatten/vars")))
    t = h5_weights.read_weights(data, "w")
    assert sorted(t) == ["layers/dense/vars/0", "optimizer/vars/0"]
    assert t["layers/dense/vars/0"].shape == (2, 3) and t["optimizer/vars/0"].shape == () and t["optimizer/vars/0"].item() == 7


def test_h5_reader_refuses_what_could_inflate_or_reach_other_files(tmp_path):
    big = np.zeros((256, 256), "float32")
    cases = {
        "compressed": lambda f: f.create_dataset("layers/d/vars/0", data=big, compression="gzip"),
        "strings": lambda f: f.create_dataset("layers/d/vars/0", data=np.array([b"x"])),
        "compound": lambda f: f.create_dataset("layers/d/vars/0", data=np.zeros(2, dtype=[("a", "f4"), ("b", "i4")])),
        "external": lambda f: f.create_dataset("layers/d/vars/0", shape=(4,), dtype="f4",
                                               external=[(str(tmp_path / "secret.bin"), 0, 16)]),
        "declares more than the file": lambda f: f.create_dataset("layers/d/vars/0", shape=(1 << 20, 1 << 10), dtype="f8"),
    }
    (tmp_path / "secret.bin").write_bytes(b"\x00" * 16)
    for what, build in cases.items():
        with pytest.raises(ValueError, match="refusing|not an HDF5|cannot read"):
            h5_weights.read_weights(_h5(build), "w")
    good = _h5(lambda f: f.create_dataset("layers/d/vars/0", data=big))
    with pytest.raises(ValueError, match="cannot read the HDF5 weights"):
        h5_weights.read_weights(good[: len(good) // 2], "w")
    with pytest.raises(ValueError, match="not an HDF5"):
        h5_weights.read_weights(b"PK\x03\x04 not hdf5", "w")


def test_archive_with_both_weights_members_is_refused(tmp_path):
    m = K.Sequential([K.Input((2,)), K.layers.Dense(1)])
    m.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        members = {n: z.read(n) for n in z.namelist()}
    assert "model.weights.h5" in members and "model.weights.safetensors" not in members  # Keras's layout
    members["model.weights.safetensors"] = K.saving.saving_lib._weights_bytes(m)
    with zipfile.ZipFile(tmp_path / "both.keras", "w") as z:
        for n, d in members.items():
            z.writestr(n, d)
    with pytest.raises(ValueError, match="both"):
        K.models.load_model(tmp_path / "both.keras")
    # the HDF5 member alone stands for the weights, and is checked as the safetensors one is
    del members["model.weights.safetensors"]
    members["model.weights.h5"] = _h5(lambda f: f.create_dataset("layers/dense/vars/0", data=np.ones((2, 1), "f4")))
    with zipfile.ZipFile(tmp_path / "h5.keras", "w") as z:
        for n, d in members.items():
            z.writestr(n, d)
    with pytest.raises(ValueError, match="missing"):
        K.models.load_model(tmp_path / "h5.keras")  # the bias is not in that file


@oracle
def test_keras_reads_our_weights_h5(tmp_path):
    """`.weights.h5` files move both ways: Keras's load_weights reads what kerasish writes."""
    real_keras()
    import keras

    x = R.random((16, 12, 12, 1)).astype("float32")
    m = _cnn(K)
    m.compile("adam", "sparse_categorical_crossentropy")
    m.fit(x, np.arange(16) % 5, epochs=1, batch_size=8, verbose=0)
    m.save_weights(tmp_path / "ours.weights.h5")
    km = _cnn(keras)
    km.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(np.asarray(km.predict(x, verbose=0)), m.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    again = _cnn(K)
    again.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_array_equal(again.predict(x, verbose=0), m.predict(x, verbose=0))
    bf = K.Sequential([K.Input((2,)), K.layers.Dense(1, dtype="bfloat16")])
    with pytest.raises(ValueError, match="safetensors"):
        bf.save_weights(tmp_path / "bf.weights.h5")


def double(x):
    return x * 2


def test_lambda_layers_never_run_stored_code(tmp_path):
    """A Lambda's function comes back from custom_objects or the registry, never from the file:
    a stored lambda's bytecode is refused with the way to pass the function."""
    inp = K.Input((3,))
    m = K.Model(inp, K.layers.Lambda(double, name="dbl")(K.layers.Lambda(lambda x: x + 1, name="plus")(inp)))
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(m.predict(x, verbose=0), (x + 1) * 2)
    m.save(tmp_path / "lam.keras")
    with pytest.raises(ValueError, match=r"never runs code.*custom_objects=\{'plus'"):
        K.models.load_model(tmp_path / "lam.keras")
    K.config.enable_unsafe_deserialization()  # Keras's switch changes nothing here
    try:
        assert K.config.is_unsafe_deserialization_enabled()
        with pytest.raises(ValueError, match="never runs code"):
            K.models.load_model(tmp_path / "lam.keras", safe_mode=False)
    finally:
        K.config._UNSAFE_DESERIALIZATION = False
    back = K.models.load_model(tmp_path / "lam.keras", custom_objects={"plus": lambda x: x + 1, "double": double})
    np.testing.assert_array_equal(back.predict(x, verbose=0), (x + 1) * 2)
    with pytest.raises(ValueError, match="does not import"):
        K.models.load_model(tmp_path / "lam.keras", custom_objects={"plus": lambda x: x + 1})
    # arguments, and a function taking `training`
    lam = K.layers.Lambda(lambda x, k, training=None: x * k + (100 if training else 0), arguments={"k": 3})
    np.testing.assert_array_equal(lam(x).numpy(), x * 3)
    np.testing.assert_array_equal(lam(x, training=True).numpy(), x * 3 + 100)
    with pytest.raises(TypeError, match="callable"):
        K.layers.Lambda(3)


@oracle
def test_keras_lambda_files_are_refused_and_keras_reads_ours(tmp_path):
    real_keras()
    import keras

    km = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x - 1, name="minus")])
    km.save(tmp_path / "k.keras")
    with pytest.raises(ValueError, match="never runs code"):
        K.models.load_model(tmp_path / "k.keras")
    ours = K.models.load_model(tmp_path / "k.keras", custom_objects={"minus": lambda x: x - 1})
    np.testing.assert_array_equal(ours.predict(np.ones((1, 2), "float32"), verbose=0), [[0, 0]])
    # Keras reads a kerasish Lambda config (its own __lambda__ format) when told to trust it
    cfg = K.Sequential([K.Input((2,)), K.layers.Lambda(lambda x: x * 5)]).to_json()
    km2 = keras.saving.deserialize_keras_object(json.loads(cfg), safe_mode=False)
    np.testing.assert_allclose(np.asarray(km2(np.ones((1, 2), "float32"))), [[5, 5]])


@oracle
def test_keras_loads_our_keras_archives(tmp_path):
    """`.keras` files move both ways: Keras's load_model reads what kerasish saves (config, HDF5
    weights, compile config) and predicts what kerasish predicts."""
    real_keras()
    import keras

    x = R.random((16, 12, 12, 1)).astype("float32")
    m = _cnn(K)
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, np.arange(16) % 5, epochs=1, batch_size=8, verbose=0)
    m.save(tmp_path / "ours.keras")
    km = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(km.predict(x, verbose=0)), m.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    inp = K.Input((4,))
    inner = K.Sequential([K.layers.Dense(3, activation="tanh")], name="inner")
    fm = K.Model(inp, K.layers.Dense(2)(inner(inp)))
    fm.save(tmp_path / "nested.keras")
    x2 = R.normal(size=(5, 4)).astype("float32")
    got = np.asarray(keras.models.load_model(tmp_path / "nested.keras").predict(x2, verbose=0))
    np.testing.assert_allclose(got, fm.predict(x2, verbose=0), rtol=1e-5, atol=1e-6)


def _arithmetic_model(lib):
    inp = lib.Input((4,))
    h = lib.layers.Dense(4)(inp)
    y = (h + inp) * 2.0 - 1.0 / (abs(h) + 1.0)
    y = -y + (2.0 - h) ** 2 % 3.0 // 1.5
    return lib.Model(inp, lib.layers.Dense(2)(y))


def test_symbolic_arithmetic_saves_as_keras_op_nodes(tmp_path):
    model = _arithmetic_model(K)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        layers = json.loads(z.read("config.json"))["config"]["layers"]
    ops = [(e["class_name"], e["module"]) for e in layers if e["module"].startswith("keras.src.ops")]
    assert ("Add", "keras.src.ops.numpy") in ops and ("Absolute", "keras.src.ops.numpy") in ops
    assert {c for c, _ in ops} == {"Add", "Multiply", "Subtract", "TrueDivide", "Absolute", "Negative", "Power", "Mod",
                                   "FloorDivide"}
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    back = K.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


@oracle
def test_keras_loads_our_symbolic_arithmetic(tmp_path):
    real_keras()
    import keras

    model = _arithmetic_model(K)
    model.save(tmp_path / "m.keras")
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0), rtol=1e-6)
    built = _arithmetic_model(keras)
    built.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(built.predict(x, verbose=0)), model.predict(x, verbose=0), rtol=1e-6)
