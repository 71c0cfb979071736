"""The progress bar's text, character for character (Keras 3's keras/src/utils/progbar.py)."""
import io
import sys

import pytest

from kerasish.utils import progbar as pb
from kerasish.utils.progbar import Progbar, format_eta, format_time_per_unit, format_value

BAR = "━"


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def time(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(pb, "time", c)
    return c


class TTY(io.StringIO):
    def isatty(self):
        return True


class FakeSys:
    """Stands in for ``sys`` inside the progbar module (pytest re-installs its own sys.stdout
    between fixture setup and the test call, so patching sys.stdout itself does not stick)."""

    def __init__(self, stdout):
        self.stdout = stdout
        self.modules = {k: v for k, v in sys.modules.items() if k != "ipykernel"}


@pytest.fixture
def tty(monkeypatch):
    out = TTY()
    monkeypatch.setattr(pb, "sys", FakeSys(out))
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    return out


@pytest.fixture
def pipe(monkeypatch):
    out = io.StringIO()  # isatty() is False
    monkeypatch.setattr(pb, "sys", FakeSys(out))
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    return out


def test_format_helpers():
    assert format_eta(0) == "0s"
    assert format_eta(59.9) == "59s"
    assert format_eta(75) == "1:15"
    assert format_eta(3725) == "1:02:05"
    assert format_time_per_unit(0) == " 0s/step"
    assert format_time_per_unit(2.4) == " 2s/step"
    assert format_time_per_unit(1.0) == " 1s/step"
    assert format_time_per_unit(0.016) == " 16ms/step"
    assert format_time_per_unit(0.001) == " 1ms/step"
    assert format_time_per_unit(0.00025) == " 250us/step"
    assert format_time_per_unit(0.5, "sample") == " 500ms/sample"
    assert format_value(1.35764) == "1.3576"
    assert format_value(0.0625) == "0.0625"
    assert format_value(0.001) == "1.0000e-03"
    assert format_value(0.0005) == "5.0000e-04"
    assert format_value(-0.5) == "-0.5000"
    assert format_value(0.0) == "0.0000e+00"


def test_verbose1_tty_final_line_exact(tty, clock):
    p = Progbar(25)
    for i in range(1, 25):
        clock.t += 0.04
        p.update(i, [("accuracy", 0.1838), ("loss", 1.2388)])
    clock.t += 0.04
    p.update(25, [("accuracy", 0.1838), ("loss", 1.2388)], finalize=True)
    out = tty.getvalue()
    last = out[out.rindex("\r"):]
    expected = (
        "\r\x1b[1m25/25\x1b[0m \x1b[32m" + BAR * 20 + "\x1b[0m\x1b[37m\x1b[0m"
        " \x1b[1m1s\x1b[0m 40ms/step - accuracy: 0.1838 - loss: 1.2388\n"
    )
    assert last == expected


def test_verbose1_tty_progress_line_has_eta_and_redraw(tty, clock):
    p = Progbar(10)
    clock.t += 0.5
    p.update(1, [("loss", 2.0)])
    first = tty.getvalue()
    assert first == (
        "\r\x1b[1m 1/10\x1b[0m \x1b[32m" + BAR * 2 + "\x1b[0m\x1b[37m" + BAR * 18 + "\x1b[0m"
        " \x1b[1m4s\x1b[0m 500ms/step - loss: 2.0000"
    )
    width = len(" 1/10 " + BAR * 20 + " 4s 500ms/step - loss: 2.0000")
    clock.t += 0.1
    p.update(2, [("loss", 1.0)])
    second = tty.getvalue()[len(first):]
    # erase the previous line, then redraw; the non-stateful value is averaged over steps
    assert second.startswith("\b" * width + "\r\x1b[1m 2/10\x1b[0m ")
    assert second.endswith(" \x1b[1m0s\x1b[0m 100ms/step - loss: 1.5000")


def test_redraws_at_most_every_interval(tty, clock):
    p = Progbar(100)
    for i in range(1, 50):  # the clock does not move: only the first update draws
        p.update(i, [("loss", 1.0)])
    assert tty.getvalue().count("\r") == 1
    clock.t += 0.06
    p.update(50, [("loss", 1.0)])
    assert tty.getvalue().count("\r") == 2
    p.update(100, [("loss", 1.0)])  # finalize always draws
    assert tty.getvalue().count("\r") == 3 and tty.getvalue().endswith("\n")


def test_first_step_left_out_of_estimate(tty, clock):
    p = Progbar(3)
    clock.t += 10.0  # slow first step
    p.update(1)
    assert " 10s/step" in tty.getvalue()
    clock.t += 1.0
    p.update(2)
    clock.t += 1.0
    p.update(3)
    assert tty.getvalue().endswith(" \x1b[1m12s\x1b[0m 1s/step\n")


def test_eta_formats_in_bar(tty, clock):
    p = Progbar(1000)
    clock.t += 2.0
    p.update(1)
    assert "\x1b[1m33:18\x1b[0m 2s/step" in tty.getvalue()  # 999 steps * 2 s
    p = Progbar(10000)
    clock.t += 2.0
    p.update(1)
    assert "\x1b[1m5:33:18\x1b[0m" in tty.getvalue()


def test_unknown_target(tty, clock):
    p = Progbar(None)
    clock.t += 0.002
    p.update(4, [("loss", 0.5)])
    assert tty.getvalue() == "\r      4/Unknown \x1b[1m0s\x1b[0m 500us/step - loss: 0.5000"


def test_verbose2_single_line(pipe, clock):
    p = Progbar(32, verbose=2)
    for i in range(1, 33):
        clock.t += 0.021
        p.update(i, [("accuracy", 0.4720), ("loss", 0.9341)])
    # values at finalize are shown as given
    assert pipe.getvalue() == "32/32 - 1s - 21ms/step - accuracy: 0.4720 - loss: 0.9341\n"


def test_verbose2_small_values_use_exponent(pipe, clock):
    p = Progbar(5, verbose=2)
    clock.t += 5
    p.update(5, [("loss", 0.0001234)])
    assert pipe.getvalue() == "5/5 - 5s - 1s/step - loss: 1.2340e-04\n"


def test_not_a_terminal_writes_one_plain_line(pipe, clock):
    p = Progbar(25)
    for i in range(1, 26):
        clock.t += 0.04
        p.update(i, [("loss", 0.5)])
    out = pipe.getvalue()
    assert out == "25/25 " + BAR * 20 + " 1s 40ms/step - loss: 0.5000\n"
    assert "\r" not in out and "\b" not in out and "\x1b" not in out


def test_not_a_terminal_unfinished_bar_prints_nothing(pipe, clock):
    p = Progbar(25)
    for i in range(1, 10):
        clock.t += 1
        p.update(i, [("loss", 0.5)])
    assert pipe.getvalue() == ""


def test_verbose0_silent(tty, clock):
    p = Progbar(3, verbose=0)
    for i in range(1, 4):
        p.update(i, [("loss", 1.0)])
    assert tty.getvalue() == ""


def test_falls_back_to_equals_when_stdout_cannot_encode(monkeypatch, clock):
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(pb, "sys", FakeSys(out))
    p = Progbar(4)
    clock.t += 4
    p.update(4, [("loss", 0.25)])
    out.flush()
    assert raw.getvalue().decode("ascii") == "4/4 " + "=" * 20 + " 4s 1s/step - loss: 0.2500\n"


def test_stateful_metrics_shown_as_given(pipe, clock):
    p = Progbar(3, verbose=1, stateful_metrics=["acc"])
    p.update(1, [("acc", 0.1), ("loss", 3.0)])
    p.update(2, [("acc", 0.2), ("loss", 1.0)])
    p.update(3, [("acc", 0.9), ("loss", 2.0)])
    assert pipe.getvalue().endswith(" - acc: 0.9000 - loss: 2.0000\n")
    # during the epoch, the stateless value is the step-weighted mean
    assert p._values["loss"] == [2.0, 1]


def test_add_and_tensor_values(pipe, clock):
    import kerasish

    p = Progbar(4)
    p.add(2, [("loss", kerasish.tensor(1.0))])
    p.add(2, [("loss", kerasish.tensor(3.0))])
    assert pipe.getvalue().endswith(" - loss: 3.0000\n")
    assert p._seen_so_far == 4


def test_width_parameter(pipe, clock):
    p = Progbar(2, width=5)
    p.update(2)
    assert pipe.getvalue().startswith("2/2 " + BAR * 5 + " ")
