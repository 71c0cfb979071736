"""Callbacks against Keras 3's behaviour, driven by a tiny fake model."""
import json
import math
import os

import numpy as np
import pytest

from kerasish import callbacks as cbs
from kerasish import optimizers
from kerasish.utils import progbar as pb


class FakeModel:
    def __init__(self, lr=0.1):
        self.stop_training = False
        self.optimizer = optimizers.SGD(lr)
        self.weights = [np.zeros((2, 2)), np.zeros(2)]
        self.saved = []
        self.built = True

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, path):
        self.saved.append(("model", path))

    def save_weights(self, path):
        self.saved.append(("weights", path))
        with open(path, "w") as f:
            json.dump([w.tolist() for w in self.weights], f)

    def load_weights(self, path):
        with open(path) as f:
            self.weights = [np.array(w) for w in json.load(f)]


def train(callbacks, model, epoch_logs, steps=0, batch_logs=None, initial_epoch=0):
    """A fit loop in miniature: returns the epochs that ran."""
    cl = cbs.CallbackList(callbacks, add_history=True, model=model, verbose=0, epochs=len(epoch_logs), steps=steps)
    model.stop_training = False
    cl.on_train_begin()
    start = getattr(model, "_initial_epoch", initial_epoch)
    ran = []
    for epoch in range(start, len(epoch_logs)):
        model.weights = [np.full_like(w, epoch) for w in model.weights]
        cl.on_epoch_begin(epoch)
        for b in range(steps):
            cl.on_train_batch_begin(b)
            cl.on_train_batch_end(b, (batch_logs or {}).copy() if batch_logs else {"loss": 1.0})
            if model.stop_training:
                break
        logs = dict(epoch_logs[epoch])
        cl.on_epoch_end(epoch, logs)
        ran.append(epoch)
        if model.stop_training:
            break
    cl.on_train_end()
    return ran


def losses(*values):
    return [{"loss": v, "val_loss": v} for v in values]


# ------------------------------------------------------------------ base, list, history, lambda
def test_callback_base_hooks_and_aliases():
    calls = []

    class C(cbs.Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch))

    c = C()
    assert c.params is None and c.model is None
    c.on_train_batch_begin(3)
    c.on_train_batch_end(3, {})
    assert calls == [("begin", 3), ("end", 3)]
    for hook in ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end"]:
        getattr(c, hook)({})
    for hook in ["on_epoch_begin", "on_epoch_end", "on_test_batch_begin", "on_test_batch_end",
                 "on_predict_batch_begin", "on_predict_batch_end"]:
        getattr(c, hook)(0, {})


def test_callback_list_defaults_and_params():
    m = FakeModel()
    cl = cbs.CallbackList(None, add_history=True, add_progbar=True, model=m, verbose=1, epochs=2, steps=5)
    kinds = [type(c) for c in cl.callbacks]
    assert kinds == [cbs.History, cbs.ProgbarLogger]
    assert m.history is cl.callbacks[0]
    assert cl.callbacks[0].params == {"verbose": 1, "epochs": 2, "steps": 5}
    # an existing History is reused, not duplicated
    h = cbs.History()
    cl = cbs.CallbackList([h], add_history=True, model=m)
    assert cl.callbacks == [h] and m.history is h


def test_history_records_logs():
    m = FakeModel()
    ran = train([], m, [{"loss": 0.5, "accuracy": 0.1}, {"loss": 0.25, "accuracy": 0.2}])
    assert ran == [0, 1]
    assert m.history.history == {"loss": [0.5, 0.25], "accuracy": [0.1, 0.2]}
    assert m.history.epoch == [0, 1]
    assert m.history.params == {"verbose": 0, "epochs": 2, "steps": 0}


def test_lambda_callback_through_list():
    seen = []
    lc = cbs.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(("eb", epoch)),
        on_epoch_end=lambda epoch, logs: seen.append(("ee", epoch, logs["loss"])),
        on_train_begin=lambda logs: seen.append("tb"),
        on_train_end=lambda logs: seen.append("te"),
        on_train_batch_begin=lambda batch, logs: seen.append(("bb", batch)),
        on_train_batch_end=lambda batch, logs: seen.append(("be", batch)),
        on_test_end=lambda logs: seen.append("test_end"),
    )
    train([lc], FakeModel(), losses(1.0), steps=2)
    assert seen == ["tb", ("eb", 0), ("bb", 0), ("be", 0), ("bb", 1), ("be", 1), ("ee", 0, 1.0), "te"]
    lc.on_test_end({})
    assert seen[-1] == "test_end"


# ------------------------------------------------------------------ EarlyStopping
def test_early_stopping_patience(capsys):
    m = FakeModel()
    es = cbs.EarlyStopping(monitor="loss", patience=2, verbose=1)
    ran = train([es], m, losses(1.0, 0.9, 0.95, 0.96, 0.97, 0.5))
    assert ran == [0, 1, 2, 3]
    assert es.stopped_epoch == 3 and es.best == 0.9 and es.best_epoch == 1
    assert capsys.readouterr().out == "Epoch 4: early stopping\n"


def test_early_stopping_patience_zero_and_silent(capsys):
    m = FakeModel()
    ran = train([cbs.EarlyStopping()], m, losses(1.0, 1.0, 0.5))
    assert ran == [0, 1]  # val_loss did not improve at epoch 1
    assert capsys.readouterr().out == ""


def test_early_stopping_restore_best_weights(capsys):
    m = FakeModel()
    es = cbs.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True, verbose=1)
    ran = train([es], m, losses(1.0, 0.5, 0.7, 0.8))
    assert ran == [0, 1, 2]
    assert all(np.all(w == 1) for w in m.weights)  # weights of epoch 1
    assert capsys.readouterr().out == "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"


def test_early_stopping_baseline():
    # without a baseline the first epochs count as improvements
    assert train([cbs.EarlyStopping(monitor="loss", patience=2)], FakeModel(), losses(1.0, 1.1, 1.2, 1.3)) == [0, 1, 2]
    # with one, epochs that do not beat it keep counting towards patience
    es = cbs.EarlyStopping(monitor="loss", patience=2, baseline=0.5)
    assert train([es], FakeModel(), losses(1.0, 1.1, 1.2, 1.3)) == [0, 1]


def test_early_stopping_min_delta_and_mode():
    es = cbs.EarlyStopping(monitor="loss", patience=1, min_delta=0.1)
    assert train([es], FakeModel(), losses(1.0, 0.95, 0.5)) == [0, 1]
    es = cbs.EarlyStopping(monitor="val_accuracy", patience=1)
    logs = [{"val_accuracy": a} for a in (0.5, 0.6, 0.55, 0.9)]
    assert train([es], FakeModel(), logs) == [0, 1, 2]  # auto: accuracy goes up
    es = cbs.EarlyStopping(monitor="score", mode="min", patience=1)
    logs = [{"score": a} for a in (0.5, 0.6, 0.4)]
    assert train([es], FakeModel(), logs) == [0, 1]
    es = cbs.EarlyStopping(monitor="score", mode="max", patience=1)
    assert train([es], FakeModel(), logs) == [0, 1, 2]


def test_early_stopping_auto_mode_unknown_metric():
    es = cbs.EarlyStopping(monitor="weird")
    with pytest.raises(ValueError, match="mode='max'"):
        train([es], FakeModel(), [{"weird": 1.0}])


def test_early_stopping_uses_metric_direction():
    class Metric:
        name = "weird"
        _direction = "up"

    m = FakeModel()
    m.metrics = [Metric()]
    es = cbs.EarlyStopping(monitor="val_weird", patience=1)
    assert train([es], m, [{"val_weird": v} for v in (1.0, 2.0, 3.0)]) == [0, 1, 2]


def test_early_stopping_start_from_epoch_and_missing_metric():
    es = cbs.EarlyStopping(monitor="loss", patience=0, start_from_epoch=2)
    assert train([es], FakeModel(), losses(1.0, 2.0, 3.0, 4.0)) == [0, 1, 2, 3]
    es = cbs.EarlyStopping(monitor="val_loss")
    with pytest.warns(UserWarning, match="not available"):
        assert train([es], FakeModel(), [{"loss": 1.0}, {"loss": 2.0}]) == [0, 1]


# ------------------------------------------------------------------ ReduceLROnPlateau, LearningRateScheduler
def test_reduce_lr_on_plateau(capsys):
    m = FakeModel(lr=0.1)
    cb = cbs.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, verbose=1)
    train([cb], m, losses(1.0, 1.0, 1.0, 1.0, 1.0))
    lrs = m.history.history["learning_rate"]
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05])
    assert m.optimizer.learning_rate == pytest.approx(0.05 * 0.5)
    assert capsys.readouterr().out == (
        "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.05.\n"
        "\nEpoch 5: ReduceLROnPlateau reducing learning rate to 0.025.\n"
    )
    assert list(m.history.history) == ["loss", "val_loss", "learning_rate"]


def test_reduce_lr_cooldown_min_lr_and_min_delta():
    m = FakeModel(lr=0.1)
    cb = cbs.ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1, cooldown=2, min_lr=0.005)
    train([cb], m, losses(1.0, 1.0, 1.0, 1.0, 1.0, 1.0))
    assert m.history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.005, 0.005])
    # improvements smaller than min_delta do not count
    m = FakeModel(lr=1.0)
    cb = cbs.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=0.1)
    train([cb], m, losses(1.0, 0.95))
    assert m.optimizer.learning_rate == 0.5
    with pytest.raises(ValueError, match="factor >= 1.0"):
        cbs.ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_accuracy_is_maximized():
    m = FakeModel(lr=1.0)
    cb = cbs.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    train([cb], m, [{"val_accuracy": a} for a in (0.1, 0.2, 0.3)])
    assert m.optimizer.learning_rate == 1.0


def test_learning_rate_scheduler(capsys):
    m = FakeModel(lr=0.1)
    cb = cbs.LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr * 0.5, verbose=1)
    train([cb], m, losses(1.0, 1.0, 1.0))
    assert m.history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    out = capsys.readouterr().out
    assert out.startswith("\nEpoch 1: LearningRateScheduler setting learning rate to 0.1.\n")
    assert "\nEpoch 3: LearningRateScheduler setting learning rate to 0.025.\n" in out


def test_learning_rate_scheduler_old_api_and_bad_output():
    m = FakeModel()
    train([cbs.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))], m, losses(1.0, 1.0))
    assert m.optimizer.learning_rate == pytest.approx(0.02)
    with pytest.raises(ValueError, match="should be a float"):
        train([cbs.LearningRateScheduler(lambda epoch, lr: "fast")], FakeModel(), losses(1.0))


# ------------------------------------------------------------------ CSVLogger
def test_csv_logger_contents(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75, "val_accuracy": 0.125},
            {"loss": 0.375, "accuracy": 0.5, "val_loss": 0.625, "val_accuracy": 0.25}]
    train([cbs.CSVLogger(str(path))], FakeModel(), logs)
    with open(path, newline="") as f:
        text = f.read()
    assert text == (
        "epoch,accuracy,loss,val_accuracy,val_loss\r\n"
        "0,0.25,0.5,0.125,0.75\r\n"
        "1,0.5,0.375,0.25,0.625\r\n"
    )


def test_csv_logger_append_separator_and_missing_val(tmp_path):
    path = tmp_path / "log.tsv"
    train([cbs.CSVLogger(path, separator="\t")], FakeModel(), [{"loss": 1.5}])
    train([cbs.CSVLogger(path, separator="\t", append=True)], FakeModel(), [{"loss": 2.5}, {"loss": 3.5}])
    with open(path, newline="") as f:
        lines = f.read().split("\r\n")
    # Keras adds val_ columns (NA) when the first epoch has none; the header is written once
    assert lines == ["epoch\tloss\tval_loss", "0\t1.5\tNA", "0\t2.5\tNA", "1\t3.5\tNA", ""]


# ------------------------------------------------------------------ TerminateOnNaN
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_terminate_on_nan(capsys, bad):
    m = FakeModel()
    ran = train([cbs.TerminateOnNaN()], m, losses(1.0, 1.0), steps=3, batch_logs={"loss": bad})
    assert ran == [0] and m.stop_training
    assert capsys.readouterr().out == "Batch 0: Invalid loss, terminating training\n"


def test_terminate_on_nan_ok_and_raise():
    m = FakeModel()
    assert train([cbs.TerminateOnNaN()], m, losses(1.0, 1.0), steps=2) == [0, 1]
    with pytest.raises(RuntimeError, match="NaN or Inf loss"):
        train([cbs.TerminateOnNaN(raise_error=True)], FakeModel(), losses(1.0), steps=1, batch_logs={"loss": math.nan})


# ------------------------------------------------------------------ ModelCheckpoint
def test_model_checkpoint_formats_path_every_epoch(tmp_path, capsys):
    m = FakeModel()
    pattern = str(tmp_path / "sub" / "ckpt-{epoch:02d}-{val_loss:.2f}.keras")
    train([cbs.ModelCheckpoint(pattern, verbose=1)], m, losses(0.5, 0.25))
    assert m.saved == [("model", str(tmp_path / "sub" / "ckpt-01-0.50.keras")),
                       ("model", str(tmp_path / "sub" / "ckpt-02-0.25.keras"))]
    assert os.path.isdir(tmp_path / "sub")
    assert capsys.readouterr().out == (
        f"\nEpoch 1: saving model to {tmp_path}/sub/ckpt-01-0.50.keras\n"
        f"\nEpoch 2: saving model to {tmp_path}/sub/ckpt-02-0.25.keras\n"
    )


def test_model_checkpoint_best_only(tmp_path, capsys):
    m = FakeModel()
    path = str(tmp_path / "best.weights.h5")
    cb = cbs.ModelCheckpoint(path, monitor="val_loss", save_best_only=True, save_weights_only=True, verbose=1)
    train([cb], m, losses(0.5, 0.7, 0.4))
    assert m.saved == [("weights", path), ("weights", path)]
    assert cb.best == 0.4
    assert capsys.readouterr().out == (
        f"\nEpoch 1: val_loss improved from inf to 0.50000, saving model to {path}\n"
        "\nEpoch 2: val_loss did not improve from 0.50000\n"
        f"\nEpoch 3: val_loss improved from 0.50000 to 0.40000, saving model to {path}\n"
    )


def test_model_checkpoint_max_mode_threshold_and_batches(tmp_path):
    m = FakeModel()
    cb = cbs.ModelCheckpoint(str(tmp_path / "m.keras"), monitor="val_accuracy", save_best_only=True, initial_value_threshold=0.55)
    train([cb], m, [{"val_accuracy": a} for a in (0.5, 0.6, 0.58)])
    assert len(m.saved) == 1
    m = FakeModel()
    cb = cbs.ModelCheckpoint(str(tmp_path / "m-{epoch}-{batch}.keras"), save_freq=2)
    train([cb], m, losses(1.0, 1.0), steps=3)
    assert [os.path.basename(p) for _, p in m.saved] == ["m-1-2.keras", "m-2-1.keras", "m-2-3.keras"]


def test_model_checkpoint_path_checks(tmp_path):
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        cbs.ModelCheckpoint("x.keras", save_weights_only=True)
    with pytest.raises(ValueError, match=r"\.keras"):
        cbs.ModelCheckpoint("x.bin")
    with pytest.raises(ValueError, match="save_freq"):
        cbs.ModelCheckpoint("x.keras", save_freq="batch")
    cb = cbs.ModelCheckpoint(str(tmp_path / "{missing}.keras"))
    with pytest.raises(KeyError, match="Failed to format"):
        train([cb], FakeModel(), losses(1.0))


# ------------------------------------------------------------------ BackupAndRestore
def test_backup_and_restore(tmp_path):
    backup = tmp_path / "backup"
    cb = cbs.BackupAndRestore(str(backup))

    class Interrupt(cbs.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("interrupted")

    m = FakeModel()
    with pytest.raises(RuntimeError):
        train([cb, Interrupt()], m, losses(1, 1, 1, 1))
    with open(backup / "training_metadata.json") as f:
        assert json.load(f) == {"epoch": 2, "batch": 0}
    assert os.path.exists(backup / "latest.weights.h5")

    m2 = FakeModel()
    ran = train([cb], m2, losses(1, 1, 1, 1))
    assert m2._initial_epoch == 2 and ran == [2, 3]
    assert not backup.exists()  # deleted once training completes


def test_backup_and_restore_restores_weights(tmp_path):
    cb = cbs.BackupAndRestore(str(tmp_path / "b"), delete_checkpoint=False)
    m = FakeModel()
    train([cb], m, losses(1, 1))
    m2 = FakeModel()
    cb.set_model(m2)
    cb.on_train_begin()
    assert all(np.all(w == 1) for w in m2.weights) and m2._initial_epoch == 2
    with pytest.raises(ValueError, match="Empty"):
        cbs.BackupAndRestore("")


# ------------------------------------------------------------------ ProgbarLogger
def test_progbar_logger_output(capsys, monkeypatch):
    monkeypatch.setattr(pb, "_is_dynamic_display", lambda: False)
    m = FakeModel()
    cl = cbs.CallbackList([], add_history=True, add_progbar=True, model=m, verbose="auto", epochs=2, steps=3)
    cl.on_train_begin()
    for epoch in range(2):
        cl.on_epoch_begin(epoch)
        for b in range(3):
            cl.on_train_batch_end(b, {"loss": 1.0 / (b + 1)})
        cl.on_test_begin()
        cl.on_test_batch_end(0, {"loss": 9.0})  # validation inside fit draws nothing
        cl.on_test_end({"loss": 9.0})
        cl.on_epoch_end(epoch, {"loss": 0.5, "val_loss": 0.25})
    cl.on_train_end()
    lines = capsys.readouterr().out.split("\n")
    assert lines[0] == "Epoch 1/2"
    assert lines[1].startswith("3/3 " + "━" * 20 + " 0s ")
    assert lines[1].endswith("/step - loss: 0.5000 - val_loss: 0.2500")
    assert lines[2] == "Epoch 2/2" and lines[4] == ""


def test_progbar_logger_single_epoch_evaluate_and_verbose2(capsys, monkeypatch):
    monkeypatch.setattr(pb, "_is_dynamic_display", lambda: False)
    cl = cbs.CallbackList([], add_progbar=True, model=FakeModel(), verbose=2, epochs=1, steps=None)
    cl.on_train_begin()
    cl.on_epoch_begin(0)
    for b in range(4):
        cl.on_train_batch_end(b, {"loss": 1.0})
    cl.on_epoch_end(0, {"loss": 0.125})
    out = capsys.readouterr().out
    assert out.startswith("4/4 - 0s - ") and out.endswith("/step - loss: 0.1250\n")  # no "Epoch 1/1"
    # evaluate (outside fit) prints its own bar
    cl = cbs.CallbackList([], add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=2)
    cl.on_test_begin()
    cl.on_test_batch_end(0, {"loss": 2.0})
    cl.on_test_batch_end(1, {"loss": 1.0})
    cl.on_test_end({"loss": 1.5})
    assert capsys.readouterr().out.endswith("/step - loss: 1.5000\n")
