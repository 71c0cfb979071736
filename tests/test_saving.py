"""Saving and loading: .keras round trips, optimizer state, weights files, atomic writes, and
hostile or corrupt archives (which must fail with a clear ValueError and never run code)."""
import io
import json
import os
import struct
import zipfile

import numpy as np
import pytest

import kerasish as keras
from kerasish import _core, layers
from kerasish.saving import archive as archive_mod
from kerasish.saving import h5_weights, saving_lib


def data(rng, n=24, d=4, k=2):
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.standard_normal((n, k)).astype(np.float32)
    return x, y


def mlp(compile=True, optimizer="adam"):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.BatchNormalization(),
                              layers.Dense(2)])
    if compile:
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def write_zip(path, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, payload in entries.items():
            zf.writestr(name, payload)
    return path


@pytest.fixture
def saved(tmp_path, rng):
    """A trained, compiled model saved to model.keras, with its data."""
    model = mlp()
    x, y = data(rng)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    path = str(tmp_path / "model.keras")
    model.save(path)
    return model, path, x, y


# ---------------------------------------------------------------------------------- archive layout
def test_archive_layout(saved):
    model, path, _, _ = saved
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]  # Keras's layout
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    m = members(path)
    meta = json.loads(m["metadata.json"])
    assert meta["keras_version"] == keras.__version__
    import datetime
    datetime.datetime.strptime(meta["date_saved"], "%Y-%m-%d@%H:%M:%S")
    cfg = json.loads(m["config.json"])
    assert set(cfg) >= {"module", "class_name", "config", "registered_name", "build_config", "compile_config"}
    assert cfg["class_name"] == "Sequential"
    assert [entry["class_name"] for entry in cfg["config"]["layers"]] == ["InputLayer", "Dense", "BatchNormalization", "Dense"]
    assert cfg["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert cfg["compile_config"]["loss"] == "mse"
    tensors = list(h5_weights.read_weights(m["model.weights.h5"], "w").items())
    names = [n for n, _ in tensors]
    assert {"layers/dense/vars/0", "layers/dense/vars/1", "layers/dense_1/vars/0", "layers/batch_normalization/vars/3",
            "optimizer/vars/0", "optimizer/vars/1"} <= set(names)
    t = dict(tensors)
    assert t["optimizer/vars/0"].dtype == "int64" and int(t["optimizer/vars/0"].item()) == 6  # iterations
    assert abs(float(t["optimizer/vars/1"].item()) - 0.001) < 1e-9  # learning rate
    np.testing.assert_array_equal(t["layers/dense/vars/0"].numpy(), model.layers[0].kernel.numpy())
    # moving statistics follow gamma and beta, as Keras orders them
    np.testing.assert_array_equal(t["layers/batch_normalization/vars/2"].numpy(), model.layers[1].moving_mean.numpy())


# ---------------------------------------------------------------------------------- round trips
def test_sequential_round_trip_and_continued_training(saved):
    model, path, x, y = saved
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, keras.Sequential) and loaded.name == model.name
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # optimizer state: iterations, learning rate and every slot
    assert type(loaded.optimizer) is type(model.optimizer)
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # the next epoch gives the same loss as continuing the original
    h1 = model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False).history
    h2 = loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False).history
    assert h1 == h2
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_load_model_from_saving_module_and_compile_false(saved):
    model, path, x, _ = saved
    loaded = keras.saving.load_model(path, compile=False)
    assert not loaded.compiled and loaded.optimizer is None
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="compile"):
        loaded.evaluate(x, x[:, :2], verbose=0)


def test_uncompiled_and_unbuilt_by_data_sequential(tmp_path, rng):
    x, y = data(rng)
    model = keras.Sequential([layers.Dense(3, activation="tanh"), layers.Dense(2)])
    model.predict(x, verbose=0)  # built by its first data
    model.save(tmp_path / "m.keras")  # a pathlib path
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_functional_multi_io_shared_layers(tmp_path, rng):
    a, b = keras.Input((4,), name="in_a"), keras.Input((3,), name="in_b")
    shared = layers.Dense(5, activation="tanh", name="shared")
    ha = shared(layers.Dense(4, name="proj_a")(a))
    hb = shared(layers.Dense(4, name="proj_b")(b))
    out1 = layers.Dense(1, name="reg")(layers.Concatenate(name="concatenate")([ha, hb]))
    out2 = layers.Dense(3, activation="softmax", name="cls")(layers.Add(name="add")([ha, hb]))
    model = keras.Model([a, b], [out1, out2], name="two_heads")
    model.compile("adam", loss=["mse", "categorical_crossentropy"], loss_weights=[1.0, 0.5],
                  metrics=[["mae"], ["accuracy"]])
    xa, xb = rng.standard_normal((16, 4)).astype(np.float32), rng.standard_normal((16, 3)).astype(np.float32)
    y1 = rng.standard_normal((16, 1)).astype(np.float32)
    y2 = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
    model.fit([xa, xb], [y1, y2], epochs=1, batch_size=8, verbose=0, shuffle=False)
    path = tmp_path / "f.keras"
    model.save(path)

    cfg = json.loads(members(path)["config.json"])
    assert cfg["class_name"] == "Functional"
    assert cfg["config"]["input_layers"] == [["in_a", 0, 0], ["in_b", 0, 0]]
    assert cfg["config"]["output_layers"] == [["reg", 0, 0], ["cls", 0, 0]]
    by_name = {entry["name"]: entry for entry in cfg["config"]["layers"]}
    assert len(by_name["shared"]["inbound_nodes"]) == 2
    hist = [n["args"][0]["config"]["keras_history"] for n in by_name["shared"]["inbound_nodes"]]
    assert hist == [["proj_a", 0, 0], ["proj_b", 0, 0]]
    concat_in = by_name["concatenate"]["inbound_nodes"][0]["args"][0]
    assert [t["config"]["keras_history"] for t in concat_in] == [["shared", 0, 0], ["shared", 1, 0]]

    loaded = keras.models.load_model(path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.get_layer("shared") is not None and len(loaded.weights) == len(model.weights)
    for p, q in zip(loaded.predict([xa, xb], verbose=0), model.predict([xa, xb], verbose=0)):
        np.testing.assert_array_equal(p, q)
    h1 = model.fit([xa, xb], [y1, y2], epochs=1, batch_size=8, verbose=0, shuffle=False).history
    h2 = loaded.fit([xa, xb], [y1, y2], epochs=1, batch_size=8, verbose=0, shuffle=False).history
    assert h1 == h2


def test_nested_sequential_in_functional(tmp_path, rng):
    inner = keras.Sequential([layers.Dense(6, activation="relu"), layers.Dense(3)], name="inner")
    inp = keras.Input((4,))
    model = keras.Model(inp, layers.Dense(1)(inner(inp)))
    path = tmp_path / "n.keras"
    model.save(path)
    names = list(h5_weights.read_weights(members(path)["model.weights.h5"], "w"))
    assert "layers/sequential/layers/dense/vars/0" in names
    loaded = keras.models.load_model(path)
    x, _ = data(rng)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


class Residual(keras.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = layers.Dense(units, activation="relu")

    def build(self, input_shape):
        self.scale = self.add_weight((self.units,), initializer="ones", name="scale")

    def call(self, x):
        return x + self.inner(x) * self.scale

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class TwoTower(keras.Model):
    def __init__(self, hidden=8, out=2, **kwargs):
        super().__init__(**kwargs)
        self.hidden, self.out = hidden, out
        self.d1 = layers.Dense(hidden, activation="relu")
        self.res = Residual(hidden)
        self.d2 = layers.Dense(out)

    def call(self, x, training=False):
        return self.d2(self.res(self.d1(x)))

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden, "out": self.out}


def test_subclassed_model_with_custom_objects(tmp_path, rng):
    x, y = data(rng)
    model = TwoTower(hidden=6, name="towers")
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    path = tmp_path / "sub.keras"
    model.save(path)
    cfg = json.loads(members(path)["config.json"])
    assert cfg["class_name"] == "TwoTower" and cfg["config"]["hidden"] == 6
    assert cfg["build_config"]["input_shape"][1] == 4

    with pytest.raises(ValueError, match="TwoTower.*custom_objects"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"TwoTower": TwoTower})
    assert isinstance(loaded, TwoTower) and loaded.name == "towers" and loaded.hidden == 6
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # the same through a scope
    with keras.saving.custom_object_scope({"TwoTower": TwoTower}):
        again = keras.models.load_model(path, compile=False)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    h1 = model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False).history
    h2 = loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False).history
    assert h1 == h2


def test_custom_layer_in_sequential_and_registered_objects(tmp_path, rng):
    @keras.saving.register_keras_serializable(package="test_saving")
    def scaled_tanh(x):
        return keras.ops.tanh(x) * 2.0

    model = keras.Sequential([keras.Input((4,)), Residual(4, name="res"), layers.Dense(2, activation=scaled_tanh)])
    model.compile("rmsprop", loss="mae")
    path = tmp_path / "c.keras"
    model.save(path)
    with pytest.raises(ValueError, match="Residual"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"Residual": Residual, "scaled_tanh": scaled_tanh})
    x, _ = data(rng)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[1].activation is scaled_tanh


def test_cnn_with_batchnorm_and_dropout(tmp_path, rng):
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = rng.standard_normal((16, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "cnn.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    bn, bn2 = model.layers[1], loaded.layers[1]
    np.testing.assert_array_equal(bn2.moving_variance.numpy(), bn.moving_variance.numpy())
    assert loaded.layers[3].rate == 0.3
    e1, e2 = model.evaluate(x, y, verbose=0), loaded.evaluate(x, y, verbose=0)
    assert e1 == e2


def test_schedule_and_compile_objects_round_trip(tmp_path, rng):
    sched = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)
    model = mlp(compile=False)
    model.compile(keras.optimizers.Adam(sched), loss=keras.losses.Huber(delta=0.5),
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae_metric")])
    x, y = data(rng)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    path = tmp_path / "s.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.loss, keras.losses.Huber) and loaded.loss.get_config()["delta"] == 0.5
    assert isinstance(loaded.optimizer._learning_rate, keras.optimizers.schedules.ExponentialDecay)
    h1 = model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False).history
    h2 = loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False).history
    assert h1 == h2 and "mae_metric" in h2


# ---------------------------------------------------------------------------------- weights files
@pytest.mark.parametrize("suffix", [".weights.safetensors", ".weights.h5"])
def test_save_and_load_weights(tmp_path, rng, suffix):
    x, y = data(rng)
    src = mlp()
    src.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = str(tmp_path / ("w" + suffix))
    src.save_weights(path)
    with open(path, "rb") as f:
        raw = f.read()
    if suffix == ".weights.h5":  # HDF5 in Keras's layout
        names = list(h5_weights.read_weights(raw, "w"))
    else:
        names = [n for n, _ in _core.safetensors_loads(raw)[0]]
    assert "layers/dense/vars/0" in names and "optimizer/vars/0" in names
    dst = mlp()  # fresh layers with different auto-generated names load by position
    assert dst.layers[0].name != src.layers[0].name
    dst.load_weights(path)
    np.testing.assert_array_equal(dst.predict(x, verbose=0), src.predict(x, verbose=0))
    for a, b in zip(dst.optimizer.variables, src.optimizer.variables):  # optimizer built and restored
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # an uncompiled model ignores the optimizer variables
    plain = mlp(compile=False)
    plain.load_weights(path)
    np.testing.assert_array_equal(plain.predict(x, verbose=0), src.predict(x, verbose=0))
    # the weights of a .keras file load too
    src.save(tmp_path / "full.keras")
    other = mlp(compile=False)
    other.load_weights(str(tmp_path / "full.keras"))
    np.testing.assert_array_equal(other.predict(x, verbose=0), src.predict(x, verbose=0))


def test_weights_suffixes_rejected(tmp_path):
    model = mlp(compile=False)
    for bad in ("w.h5", "w.safetensors", "w.weights", "w.npz", "w.keras.bak"):
        with pytest.raises(ValueError, match=r"\.weights\.h5"):
            model.save_weights(str(tmp_path / bad))
        assert not os.path.exists(tmp_path / bad)
    with pytest.raises(ValueError, match="not supported"):
        model.load_weights(str(tmp_path / "w.npz"))
    with pytest.raises(ValueError, match="extension"):
        model.save(str(tmp_path / "m.zip"))
    with pytest.raises(ValueError, match="not supported"):
        keras.models.load_model(str(tmp_path / "m.zip"))
    with pytest.raises(ValueError, match="not found"):
        keras.models.load_model(str(tmp_path / "missing.keras"))


def test_load_weights_mismatches(tmp_path, rng):
    src = mlp(compile=False)
    path = str(tmp_path / "w.weights.safetensors")
    src.save_weights(path)
    other = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.BatchNormalization(),
                              layers.Dense(3)])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match=r"layers/dense_1/vars/0.*shape \(8, 3\) in the model but \(8, 2\)"):
        other.load_weights(path)
    for a, b in zip(other.get_weights(), before):  # nothing was assigned
        np.testing.assert_array_equal(a, b)
    # skip_mismatch skips the mismatched layer (with a warning) and loads the rest
    with pytest.warns(UserWarning, match="Skipping loading weights for layers/dense_1"):
        other.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), src.layers[0].kernel.numpy())
    np.testing.assert_array_equal(other.layers[1].gamma.numpy(), src.layers[1].gamma.numpy())
    np.testing.assert_array_equal(other.layers[2].kernel.numpy(), before[-2])
    # another architecture: missing / extra variables are named
    deeper = keras.Sequential([keras.Input((4,)), layers.Dense(8), layers.BatchNormalization(), layers.Dense(2),
                               layers.Dense(2)])
    with pytest.raises(ValueError, match="layers/dense_2/vars/0.*missing"):
        deeper.load_weights(path)
    shallow = keras.Sequential([keras.Input((4,)), layers.Dense(8), layers.Dense(2)])
    with pytest.raises(ValueError, match="does not have.*batch_normalization"):
        shallow.load_weights(path)
    # dtype mismatch
    bad = {n: t for n, t in _core.safetensors_loads(open(path, "rb").read())[0]}
    bad["layers/dense/vars/1"] = _core.tensor(np.zeros(8, np.float64))
    with open(path, "wb") as f:
        f.write(_core.safetensors_dumps(list(bad.items()), None))
    with pytest.raises(ValueError, match=r"layers/dense/vars/1.*dtype float32 in the model but float64"):
        mlp(compile=False).load_weights(path)


def test_optimizer_state_mismatch_in_load_weights_warns(tmp_path, rng):
    x, y = data(rng)
    sgd = mlp(optimizer="sgd")
    sgd.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / "sgd.weights.h5")
    sgd.save_weights(path)
    adam = mlp(optimizer="adam")
    adam.fit(x, y, epochs=1, verbose=0)
    with pytest.warns(UserWarning, match="optimizer"):
        adam.load_weights(path)
    np.testing.assert_array_equal(adam.predict(x, verbose=0), sgd.predict(x, verbose=0))


# ---------------------------------------------------------------------------------- atomic writes
def test_overwrite_false(saved):
    model, path, _, _ = saved
    before = open(path, "rb").read()
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)
    wpath = path.replace(".keras", ".weights.h5")
    model.save_weights(wpath)
    with pytest.raises(ValueError, match="overwrite"):
        model.save_weights(wpath, overwrite=False)
    assert open(path, "rb").read() == before
    new = path.replace("model.keras", "new.keras")
    model.save(new, overwrite=False)
    assert os.path.exists(new)


def _temp_files(directory):
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


def test_failed_save_leaves_old_file_intact(saved, monkeypatch, tmp_path):
    model, path, x, y = saved
    before = open(path, "rb").read()
    model.fit(x, y, epochs=1, verbose=0)  # the new save would differ

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(_core, "safetensors_dumps", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        model.save_weights(str(tmp_path / "w.weights.safetensors"))
    monkeypatch.setattr(h5_weights, "write_weights", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        model.save(path)
    with pytest.raises(RuntimeError, match="disk on fire"):
        model.save_weights(str(tmp_path / "w.weights.h5"))
    monkeypatch.undo()
    assert open(path, "rb").read() == before and _temp_files(tmp_path) == []
    assert not os.path.exists(tmp_path / "w.weights.h5") and not os.path.exists(tmp_path / "w.weights.safetensors")

    # a failure while the zip is being written (after the temporary file exists)
    calls = []
    real = zipfile.ZipFile.writestr

    def fail_second(self, info, payload, *a, **k):
        calls.append(info)
        if len(calls) == 2:
            raise OSError("no space left on device")
        return real(self, info, payload, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail_second)
    with pytest.raises(OSError, match="no space"):
        model.save(path)
    monkeypatch.undo()
    assert len(calls) == 2
    assert open(path, "rb").read() == before and _temp_files(tmp_path) == []
    keras.models.load_model(path)  # still a good file
    model.save(path)  # and a good save replaces it
    assert open(path, "rb").read() != before and _temp_files(tmp_path) == []


def test_model_checkpoint_end_to_end(tmp_path, rng):
    x, y = data(rng)
    model = mlp()
    ckpt = keras.callbacks.ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}.keras"))
    wckpt = keras.callbacks.ModelCheckpoint(str(tmp_path / "best.weights.h5"), monitor="loss", save_best_only=True,
                                            save_weights_only=True)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False, callbacks=[ckpt, wckpt])
    assert sorted(n for n in os.listdir(tmp_path)) == ["best.weights.h5", "ckpt-01.keras", "ckpt-02.keras"]
    last = keras.models.load_model(str(tmp_path / "ckpt-02.keras"))
    np.testing.assert_array_equal(last.predict(x, verbose=0), model.predict(x, verbose=0))
    fresh = mlp()
    fresh.load_weights(str(tmp_path / "best.weights.h5"))
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    # BackupAndRestore writes and reads weights files too
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"), delete_checkpoint=False)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[backup])
    assert os.path.exists(tmp_path / "backup" / "latest.weights.h5")


# ---------------------------------------------------------------------------------- hostile files
@pytest.fixture
def good(saved):
    """The members of a good archive, to tamper with: its weights as the safetensors member that
    kerasish's archives held before they took Keras's HDF5 (the loader reads both), whose parser
    these tests attack."""
    m = members(saved[1])
    tensors = h5_weights.read_weights(m.pop("model.weights.h5"), "w")
    m["model.weights.safetensors"] = _core.safetensors_dumps(list(tensors.items()), None)
    return m


def load_error(path, **kwargs):
    with pytest.raises(ValueError) as info:
        keras.models.load_model(str(path), **kwargs)
    return str(info.value)


def test_not_a_zip_and_truncated(tmp_path, saved):
    p = tmp_path / "junk.keras"
    p.write_bytes(b"this is not a zip file at all")
    assert "not a readable zip" in load_error(p)
    p.write_bytes(b"")
    assert "not a readable zip" in load_error(p)
    full = open(saved[1], "rb").read()
    for cut in (len(full) // 3, len(full) - 30, 100):
        p.write_bytes(full[:cut])
        load_error(p)
    d = tmp_path / "dir.keras"
    d.mkdir()
    assert "directory" in load_error(d)


def test_corrupted_member_data(tmp_path, saved):
    full = bytearray(open(saved[1], "rb").read())
    i = full.find(b'"class_name"')
    full[i + 3] ^= 0xFF  # inside config.json: the CRC no longer matches
    p = tmp_path / "crc.keras"
    p.write_bytes(bytes(full))
    assert "corrupt" in load_error(p) or "CRC" in load_error(p)


def test_member_set_checks(tmp_path, good):
    missing = dict(good)
    del missing["model.weights.safetensors"]
    assert "missing members" in load_error(write_zip(tmp_path / "a.keras", missing))
    extra = dict(good, **{"extra.py": b"import os"})
    assert "unexpected members" in load_error(write_zip(tmp_path / "b.keras", extra))
    renamed = {("CONFIG.json" if k == "config.json" else k): v for k, v in good.items()}
    load_error(write_zip(tmp_path / "c.keras", renamed))
    # a duplicated member
    p = tmp_path / "d.keras"
    with pytest.warns(UserWarning):
        with zipfile.ZipFile(p, "w") as zf:
            for k, v in good.items():
                zf.writestr(k, v)
            zf.writestr("config.json", b"{}")
    assert "duplicate" in load_error(p)


@pytest.mark.parametrize("name", ["../config.json", "/etc/passwd", "a/../../x", "..\\evil", "C:/x", "assets/../../x"])
def test_path_traversal_rejected(tmp_path, good, name):
    p = write_zip(tmp_path / "t.keras", dict(good, **{name: b"x"}))
    msg = load_error(p)
    assert "unsafe member name" in msg
    assert not os.path.exists(tmp_path / "x") and not os.path.exists(tmp_path.parent / "x")


def test_zip_bombs(tmp_path, good, monkeypatch):
    # a highly compressible member: ratio far over 100
    bomb = dict(good, **{"config.json": good["config.json"] + b" " * (8 * 1024**2)})
    msg = load_error(write_zip(tmp_path / "bomb.keras", bomb, compression=zipfile.ZIP_DEFLATED))
    assert "compression ratio" in msg and "zip bomb" in msg
    # declared sizes over the limits, from the zip directory alone: patch the central directory
    raw = bytearray(open(write_zip(tmp_path / "ok.keras", good), "rb").read())
    pos = 0
    while True:
        pos = raw.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        struct.pack_into("<II", raw, pos + 20, 0xFFFFFFF0, 0xFFFFFFF0)  # compressed and uncompressed sizes
        pos += 4
    p = tmp_path / "huge.keras"
    p.write_bytes(bytes(raw))
    assert "zip bomb" in load_error(p) or "limit" in load_error(p)
    # the total limit
    monkeypatch.setattr(archive_mod, "MAX_TOTAL_SIZE", 1000)
    assert "zip bomb" in load_error(write_zip(tmp_path / "total.keras", good))


def test_bad_json_and_structure(tmp_path, good):
    def with_config(cfg, name="config.json"):
        payload = cfg if isinstance(cfg, bytes) else json.dumps(cfg).encode()
        return write_zip(tmp_path / "x.keras", dict(good, **{name: payload}))

    assert "not valid JSON" in load_error(with_config(b"{not json"))
    assert "not valid JSON" in load_error(with_config(b"\xff\xfe\x00"))
    assert "not valid JSON" in load_error(with_config(b"[" * 100000 + b"]" * 100000))
    assert "JSON object" in load_error(with_config([1, 2, 3]))
    assert "not valid JSON" in load_error(with_config(b"nope", "metadata.json"))
    cfg = json.loads(good["config.json"])
    for mutate in (
        lambda c: c.pop("class_name"),
        lambda c: c.update(class_name=["Sequential"]),
        lambda c: c.update(config="layers"),
        lambda c: c["config"].update(layers="dense"),
        lambda c: c["config"]["layers"].append(42),
        lambda c: c["config"]["layers"][1]["config"].update(units="eight"),
        lambda c: c["config"]["layers"][1]["config"].update(no_such_argument=1),
        lambda c: c["config"]["layers"][1]["config"].update(kernel_initializer={"class_name": ["x"]}),
        lambda c: c["config"]["layers"][1].update(build_config=[1]),
        lambda c: c["compile_config"].update(optimizer={"class_name": "Adam", "config": {"learning_rate": "fast"}}),
        lambda c: c["compile_config"].update(loss={"class_name": {"a": 1}}),
        lambda c: c["compile_config"].update(metrics=[{"class_name": "NoSuchMetric", "config": {}}]),
        lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, 10**15]),
    ):
        c = json.loads(json.dumps(cfg))
        mutate(c)
        load_error(with_config(c))


def test_functional_config_hostile(tmp_path, rng):
    inp = keras.Input((4,), name="x")
    model = keras.Model(inp, layers.Dense(2, name="d")(layers.Dense(3, name="h")(inp)))
    path = tmp_path / "f.keras"
    model.save(path)
    good = members(path)
    cfg = json.loads(good["config.json"])

    def check(mutate, match=None):
        c = json.loads(json.dumps(cfg))
        mutate(c)
        msg = load_error(write_zip(tmp_path / "g.keras", dict(good, **{"config.json": json.dumps(c).encode()})))
        if match:
            assert match in msg, msg

    def layers_(c):
        return c["config"]["layers"]

    # layers listed out of order still load: calls wait for the tensors they read
    c = json.loads(json.dumps(cfg))
    c["config"]["layers"].reverse()
    again = keras.models.load_model(write_zip(tmp_path / "r.keras", dict(good, **{"config.json": json.dumps(c).encode()})))
    x = rng.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    check(lambda c: layers_(c)[2]["inbound_nodes"][0]["args"][0]["config"].update(keras_history=["nope", 0, 0]),
          "no layer")
    check(lambda c: layers_(c)[1]["inbound_nodes"][0]["args"][0]["config"].update(keras_history=["d", 0, 0]),
          "cycle")
    check(lambda c: layers_(c)[1]["inbound_nodes"][0]["args"][0]["config"].update(keras_history=["x", 0, 7]))
    check(lambda c: layers_(c)[1]["inbound_nodes"][0]["args"][0]["config"].update(keras_history="x"))
    check(lambda c: c["config"].update(output_layers=[["d", 5, 0]]), "output_layers")
    check(lambda c: c["config"].update(input_layers=[]), "input_layers")
    check(lambda c: layers_(c).append(dict(layers_(c)[1])), "twice")
    check(lambda c: layers_(c)[1].update(inbound_nodes="h"))
    check(lambda c: layers_(c)[1]["config"].update(name="other"))


def test_weights_member_hostile(tmp_path, good):
    def with_weights(payload):
        return write_zip(tmp_path / "w.keras", dict(good, **{"model.weights.safetensors": payload}))

    assert "invalid weights" in load_error(with_weights(b"garbage"))
    assert "invalid weights" in load_error(with_weights(good["model.weights.safetensors"][:-7]))
    # a header declaring a huge tensor (the engine validates offsets against the buffer)
    header = json.dumps({"a": {"dtype": "F32", "shape": [2**40, 2**20], "data_offsets": [0, 2**62]}}).encode()
    assert "invalid weights" in load_error(with_weights(struct.pack("<Q", len(header)) + header))
    assert "invalid weights" in load_error(with_weights(struct.pack("<Q", 2**60) + b"{}"))
    # a valid file whose tensors do not fit the model
    tensors = dict(_core.safetensors_loads(good["model.weights.safetensors"])[0])
    wrong = dict(tensors)
    wrong["layers/dense/vars/0"] = _core.tensor(np.zeros((4, 3), np.float32))
    msg = load_error(with_weights(_core.safetensors_dumps(list(wrong.items()), None)))
    assert "layers/dense/vars/0" in msg and "(4, 8)" in msg and "(4, 3)" in msg
    wrong = dict(tensors)
    wrong["optimizer/vars/3"] = _core.tensor(np.zeros((5,), np.float32))
    assert "optimizer/vars/3" in load_error(with_weights(_core.safetensors_dumps(list(wrong.items()), None)))
    wrong = dict(tensors)
    del wrong["layers/dense_1/vars/1"]
    assert "layers/dense_1/vars/1" in load_error(with_weights(_core.safetensors_dumps(list(wrong.items()), None)))
    wrong = dict(tensors, **{"layers/evil/vars/0": _core.tensor(np.zeros(1, np.float32))})
    assert "layers/evil/vars/0" in load_error(with_weights(_core.safetensors_dumps(list(wrong.items()), None)))
    wrong = dict(tensors, **{"optimizer/vars/x": _core.tensor(np.zeros(1, np.float32))})
    load_error(with_weights(_core.safetensors_dumps(list(wrong.items()), None)))
    wrong = dict(tensors)
    del wrong["optimizer/vars/5"]
    assert "optimizer" in load_error(with_weights(_core.safetensors_dumps(list(wrong.items()), None)))


def test_no_code_execution(tmp_path, good, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    import subprocess

    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: calls.append(a))
    cfg = json.loads(good["config.json"])
    hostile = [
        {"module": "os", "class_name": "os.system", "config": {"command": "touch pwned"}, "registered_name": None},
        {"module": "subprocess", "class_name": "Popen", "config": {"args": ["touch", "pwned"]}, "registered_name": None},
        {"module": "builtins", "class_name": "eval", "config": {}, "registered_name": "eval"},
        {"module": "kerasish.saving.saving_lib", "class_name": "save_model", "config": {}, "registered_name": None},
        {"module": "keras.layers", "class_name": "__import__", "config": {"name": "os"}, "registered_name": None},
        {"module": "keras.layers", "class_name": "Lambda",
         "config": {"function": {"class_name": "__lambda__", "config": {"code": "b64"}}}, "registered_name": None},
    ]
    for obj in hostile:
        for where in ("top", "layer"):
            c = json.loads(json.dumps(cfg))
            if where == "top":
                c.update({k: v for k, v in obj.items()})
            else:
                c["config"]["layers"][1] = obj
            p = write_zip(tmp_path / "h.keras", dict(good, **{"config.json": json.dumps(c).encode()}))
            msg = load_error(p, safe_mode=False)
            named = "never runs code stored" if obj["class_name"] == "Lambda" else repr(obj["class_name"])
            assert named in msg and "custom_objects" in msg
    # hostile compile objects and initializers
    for mutate in (
        lambda c: c["compile_config"].update(optimizer={"module": "os", "class_name": "system", "config": {}}),
        lambda c: c["compile_config"].update(loss="os.system"),
        lambda c: c["compile_config"].update(loss={"module": "subprocess", "class_name": "Popen", "config": {}}),
        lambda c: c["compile_config"].update(metrics=["__import__"]),
        lambda c: c["config"]["layers"][1]["config"].update(activation="os.system"),
        lambda c: c["config"]["layers"][1]["config"].update(
            kernel_initializer={"module": "subprocess", "class_name": "Popen", "config": {}}),
    ):
        c = json.loads(json.dumps(cfg))
        mutate(c)
        load_error(write_zip(tmp_path / "h.keras", dict(good, **{"config.json": json.dumps(c).encode()})))
    # custom_objects only resolves classes to Layer subclasses
    c = json.loads(json.dumps(cfg))
    c["config"]["layers"][1]["class_name"] = "Popen"
    msg = load_error(write_zip(tmp_path / "h.keras", dict(good, **{"config.json": json.dumps(c).encode()})),
                     custom_objects={"Popen": subprocess.Popen})
    assert "not a Layer subclass" in msg
    assert calls == [] and not os.path.exists("pwned") and not os.path.exists(tmp_path / "pwned")


def test_file_objects(saved):
    model, path, x, _ = saved
    buf = io.BytesIO()
    saving_lib.save_model(model, buf)
    buf.seek(0)
    loaded = saving_lib.load_model(buf)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_builtin_layer_configs_round_trip():
    """Every built-in layer's config survives JSON and rebuilds the same layer (regularizers too)."""
    from kerasish import regularizers

    cases = [
        layers.Dense(3, activation="relu", use_bias=False, kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.1)),
        layers.Conv2D(4, (3, 2), strides=2, padding="same", activation="tanh", kernel_regularizer="l1"),
        layers.Conv1D(2, 3), layers.MaxPooling2D((3, 3), strides=1, padding="same"), layers.AveragePooling2D(2),
        layers.MaxPooling1D(3), layers.AveragePooling1D(2, strides=1), layers.GlobalAveragePooling2D(keepdims=True),
        layers.GlobalMaxPooling1D(),
        layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_regularizer="l2",
                                  beta_regularizer="l1"),
        layers.LayerNormalization(axis=[1, 2], epsilon=1e-4, scale=False, beta_initializer="ones"),
        layers.Dropout(0.4, noise_shape=(None, 1), seed=3), layers.Flatten(), layers.Reshape((2, 3)),
        layers.Permute((2, 1)), layers.Rescaling(1 / 255, offset=0.5),
        layers.Embedding(10, 4, mask_zero=True, embeddings_regularizer="l2", embeddings_initializer="ones"),
        layers.Activation("softmax"), layers.Concatenate(axis=1), layers.Add(), layers.Subtract(), layers.Multiply(),
        layers.Average(), layers.Maximum(), layers.Minimum(), layers.InputLayer(shape=(3,), batch_size=4, dtype="int64"),
        layers.Dense(2, input_shape=(5,)),
    ]
    for layer in cases:
        cfg = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
        again = keras.saving.deserialize_keras_object(cfg)
        assert type(again) is type(layer)
        assert json.loads(json.dumps(keras.saving.serialize_keras_object(again))) == cfg, type(layer).__name__
        for attr in ("kernel_regularizer", "bias_regularizer", "gamma_regularizer", "beta_regularizer",
                     "embeddings_regularizer", "beta_initializer", "embeddings_initializer"):
            a, b = getattr(layer, attr, None), getattr(again, attr, None)
            assert type(a) is type(b), (type(layer).__name__, attr)
            if a is not None:
                assert a.get_config() == b.get_config(), (type(layer).__name__, attr)


def test_fuzzed_archives_only_raise_value_error(saved):
    """Random byte damage and random config values: loading either works or raises ValueError."""
    import copy
    import warnings

    _, path, _, _ = saved
    good = open(path, "rb").read()
    mem = members(path)
    cfg = json.loads(mem["config.json"])
    rng = np.random.default_rng(7)

    def attempt(payload):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                keras.saving.load_model(payload)
            except ValueError:
                pass

    for _ in range(150):
        b = bytearray(good)
        if rng.integers(0, 2):
            for _ in range(rng.integers(1, 4)):
                b[rng.integers(0, len(b))] = rng.integers(0, 256)
        else:
            b = b[: rng.integers(0, len(b))]
        attempt(bytes(b))

    def paths(o, p=()):
        yield p
        items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, list) else ()
        for k, v in items:
            yield from paths(v, p + (k,))

    all_paths = list(paths(cfg))[1:]
    values = [None, -1, 0, 10**5, 10**30, 2.5, float("nan"), "", "relu", "os.system", [], [None], [1, 2], {},
              {"class_name": "Dense", "config": {}}, True, [[None, 4]],
              {"class_name": "__keras_tensor__", "config": {"keras_history": ["dense", 0, 0]}}]
    for _ in range(150):
        c = copy.deepcopy(cfg)
        for _ in range(rng.integers(1, 3)):
            p = all_paths[rng.integers(0, len(all_paths))]
            o = c
            try:
                for k in p[:-1]:
                    o = o[k]
                o[p[-1]] = copy.deepcopy(values[rng.integers(0, len(values))])
            except (KeyError, IndexError, TypeError):
                pass
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for n, v in mem.items():
                zf.writestr(n, json.dumps(c).encode() if n == "config.json" else v)
        attempt(buf.getvalue())


# ---------------------------------------------------------------- loading is bounded by the file


def test_config_asking_for_huge_weights_is_refused_before_allocating(tmp_path, good):
    """A small config whose input shape asks for a (2**34, 8) kernel: refused by the check of
    each weight against the file's tensors, before any of it is allocated."""
    cfg = json.loads(good["config.json"])
    cfg["config"]["layers"][0]["config"]["batch_shape"] = [None, 2**34]
    _core.reset_peak_memory()
    msg = load_error(write_zip(tmp_path / "big.keras", dict(good, **{"config.json": json.dumps(cfg).encode()})))
    assert "17179869184" in msg, msg
    live, peak = _core.memory_stats()[:2]
    assert peak - live < 1 << 20, (live, peak)  # nothing of the (1, 2**34) input or a (2**34, 8) kernel was allocated
    # without the layers' recorded build shapes, the weight itself is refused by the check against the file
    for layer in cfg["config"]["layers"]:
        layer.pop("build_config", None)
    msg = load_error(write_zip(tmp_path / "big2.keras", dict(good, **{"config.json": json.dumps(cfg).encode()})))
    assert "(17179869184, 8)" in msg and "values left" in msg, msg
    # a model a little different from the file still gets the message naming both shapes
    cfg["config"]["layers"][0]["config"]["batch_shape"] = [None, 5]
    msg = load_error(write_zip(tmp_path / "five.keras", dict(good, **{"config.json": json.dumps(cfg).encode()})))
    assert "layers/dense/vars/0" in msg and "(5, 8)" in msg and "(4, 8)" in msg, msg


def _patch_central_sizes(raw, name, csize=None, size=None):
    pos = 0
    while True:
        pos = raw.find(b"PK\x01\x02", pos)
        if pos < 0:
            return raw
        n = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46:pos + 46 + n] == name.encode():
            if csize is not None:
                struct.pack_into("<I", raw, pos + 20, csize)
            if size is not None:
                struct.pack_into("<I", raw, pos + 24, size)
        pos += 4


def test_declared_compressed_size_must_fit_the_file(tmp_path, good):
    """The probe's bomb: a small file whose directory declares a large compressed member (43 MB
    compressed, 3.9 GB uncompressed: a ratio under the limit) is refused from the directory."""
    padded = dict(good, **{"model.weights.safetensors": good["model.weights.safetensors"] + b"\0" * (1 << 20)})
    raw = bytearray(open(write_zip(tmp_path / "ok.keras", padded, compression=zipfile.ZIP_DEFLATED), "rb").read())
    raw = _patch_central_sizes(raw, "model.weights.safetensors", csize=43_000_000, size=3_900_000_000)
    p = tmp_path / "bomb.keras"
    p.write_bytes(bytes(raw))
    assert os.path.getsize(p) < 100_000
    msg = load_error(p)
    assert "past the end" in msg or "more than the file" in msg, msg


def test_member_read_stops_at_the_running_cap(tmp_path, good, monkeypatch):
    """However a member's stream inflates, no more than the cap tied to the real file size is
    read: with the ratio limit lowered, a member that passes the directory checks is cut off."""
    big = dict(good, **{"config.json": good["config.json"] + b" " * (4 << 20)})
    p = write_zip(tmp_path / "deflated.keras", big, compression=zipfile.ZIP_DEFLATED)
    # the directory check passes (ratio limit high), the streaming cap (tied to the file) does not
    monkeypatch.setattr(archive_mod, "MAX_COMPRESSION_RATIO", 10**6)
    size = os.path.getsize(p)
    real = archive_mod._read_member

    def capped(zf, info, where, file_size):
        with monkeypatch.context() as m:
            m.setattr(archive_mod, "MAX_COMPRESSION_RATIO", 10)
            return real(zf, info, where, file_size)

    monkeypatch.setattr(archive_mod, "_read_member", capped)
    msg = load_error(p)
    assert "inflates past" in msg and str(max(archive_mod.RATIO_EXEMPT_SIZE, 10 * size)) in msg, msg


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_non_regular_files_are_refused(tmp_path, saved):
    link = tmp_path / "zero.keras"
    os.symlink("/dev/zero", link)
    assert "not a regular file" in load_error(link)
    wlink = tmp_path / "zero.weights.h5"
    os.symlink("/dev/zero", wlink)
    with pytest.raises(ValueError, match="not a regular file"):
        saved[0].load_weights(str(wlink))
    fifo = tmp_path / "fifo.keras"
    os.mkfifo(fifo)
    assert "not a regular file" in load_error(fifo)  # and does not wait for a writer


def test_temporary_files_of_killed_saves_are_cleaned_up(tmp_path, saved):
    """A save killed with -9 leaves its temporary file; the next save of the same path removes
    the ones whose process is gone, and leaves a live process's alone."""
    import subprocess
    import sys

    model, path, _, _ = saved
    directory = os.path.dirname(path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    base = os.path.basename(path)
    for i in range(3):
        with open(os.path.join(directory, f".{base}.{dead_pid}.x{i}.tmp"), "wb") as f:
            f.write(b"\0" * 1000)
    live = os.path.join(directory, f".{base}.{os.getppid()}.live.tmp")
    open(live, "wb").close()
    other = os.path.join(directory, f".other.keras.{dead_pid}.x.tmp")
    open(other, "wb").close()
    model.save(path)
    left = sorted(_temp_files(directory))
    assert left == sorted([os.path.basename(live), os.path.basename(other)]), left
    keras.models.load_model(path)


def test_kill_during_save_leaves_no_debris_after_next_save(tmp_path):
    """kill -9 in the middle of writes, many times; then one save of the same path: the old file
    loads and no temporary file is left."""
    import signal
    import subprocess
    import sys
    import time

    path = str(tmp_path / "m.keras")
    script = (
        "import sys, numpy as np, kerasish as keras\n"
        "m = keras.Sequential([keras.Input((64,)), keras.layers.Dense(2048), keras.layers.Dense(2048)])\n"
        "m.compile(optimizer='adam', loss='mse')\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        "    m.save(sys.argv[1])\n"
    )
    for _ in range(4):
        p = subprocess.Popen([sys.executable, "-c", script, path], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "ready"
        time.sleep(0.4)
        p.send_signal(signal.SIGKILL)
        p.wait()
    model = keras.models.load_model(path)
    model.save(path)
    assert _temp_files(str(tmp_path)) == []
