"""The progress bar that ``fit``/``evaluate``/``predict`` print, as ``keras.utils.Progbar``.

On a terminal (or in a notebook) the output matches Keras 3 character for character: the line is
redrawn in place with ``\\b``/``\\r``, the step counter and times are bold, the bar is 20 "━"
(green for done, white for the rest). Where Keras does worse we do better: when stdout is not a
terminal (a log file, a pipe) each bar is written once, as one plain line without control codes
or colours, when it finishes.
"""
from __future__ import annotations

import math
import os
import sys
import time

from kerasish import _core, config
from kerasish.utils.io_utils import log_msg

__all__ = ["Progbar", "format_eta", "format_time_per_unit", "format_value"]

_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"
_GREEN = "\x1b[32m"
_WHITE = "\x1b[37m"
_BAR_CHAR = "━"


def format_eta(eta):
    """Seconds as Keras prints an ETA: ``%ds``, ``%d:%02d`` past a minute, ``%d:%02d:%02d`` past an hour."""
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta


def format_time_per_unit(time_per_unit, unit_name="step"):
    """`` 1s/step``, `` 16ms/step`` or `` 250us/step`` (with the leading space, as Keras)."""
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1000.0:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1000000.0:.0f}us/{unit_name}"


def format_value(value):
    """``.4f`` when ``|value| > 1e-3``, else ``.4e``."""
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _scalar(value):
    """A logged value as a Python float (averaging arrays, as Keras does with ``np.mean``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    try:
        return float(value)
    except (TypeError, ValueError):
        # a non-scalar logged value is shown as its mean, computed by the engine
        return _core.reduce("mean", _core.convert_to_tensor(value, "float64")).item()


def _write(message):
    """Writes to the current ``sys.stdout``; falls back to "=" bars when it cannot encode "━"."""
    if not config.is_interactive_logging_enabled():
        return log_msg(message)
    stream = sys.stdout
    try:
        stream.write(message)
    except UnicodeEncodeError:
        message = message.replace(_BAR_CHAR, "=")
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(message.encode(encoding, errors="ignore").decode(encoding))
    stream.flush()


def _is_dynamic_display():
    """True on a terminal or in a notebook/IDE console that understands ``\\r`` and colours."""
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # closed stream
        return False
    return "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


class Progbar:
    """Displays a progress bar.

    Args:
        target: total number of steps expected, None if unknown.
        width: progress bar width on screen.
        verbose: 0 (silent), 1 (bar, redrawn), 2 (one line when the bar finishes).
        interval: minimum time in seconds between two redraws.
        stateful_metrics: names of values shown as given; the others are averaged over the steps.
        stateless_metrics: alternatively, the names of the values to average (all others as given).
        unit_name: display name for steps ("step", "sample").
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, stateless_metrics=None,
                 unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Only one of `stateful_metrics` or `stateless_metrics` must be provided.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
            self.stateless_metrics = None

        self._dynamic_display = _is_dynamic_display()
        self._seen_so_far = 0
        self._values = {}
        self._values_order = []
        self._start = time.time()
        self._last_update = 0
        self._time_at_epoch_start = self._start
        self._time_after_first_step = None
        self._prev_total_width = 0

    def _is_stateless(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step ``current`` (1-based count of steps done).

        Args:
            current: index of the current step.
            values: list of ``(name, value_for_last_step)``.
            finalize: whether this is the last update; defaults to ``current >= target``.
        """
        if finalize is None:
            finalize = False if self.target is None else current >= self.target

        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            v = _scalar(v)
            if self._is_stateless(k):
                if finalize:
                    self._values[k] = [v, 1]
                else:
                    value_base = max(current - self._seen_so_far, 1)
                    if k not in self._values:
                        self._values[k] = [v * value_base, value_base]
                    else:
                        self._values[k][0] += v * value_base
                        self._values[k][1] += value_base
            else:
                self._values[k] = [v, 1]
        self._seen_so_far = current

        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)

        if self.verbose == 1:
            if self._dynamic_display:
                if now - self._last_update < self.interval and not finalize:
                    return
                self._draw_dynamic(current, now, time_per_unit, finalize)
            elif finalize:
                _write(self._plain_line(current, now, time_per_unit) + "\n")
        elif self.verbose == 2:
            if finalize and self.target is not None and self.target > 0:
                numdigits = int(math.log10(self.target)) + 1
                count = f"%{numdigits}d/%d" % (current, self.target)
                info = f"{count} - {now - self._start:.0f}s -{format_time_per_unit(time_per_unit, self.unit_name)}"
                info += self._values_text()
                _write(info + "\n")
        self._last_update = now

    def _values_text(self):
        out = ""
        for k in self._values_order:
            total, count = self._values[k]
            out += f" - {k}: {format_value(total / max(1, count))}"
        return out

    def _draw_dynamic(self, current, now, time_per_unit, finalize):
        """Keras's in-place redraw: ``\\b``s and ``\\r``, bold counter and time, coloured bar."""
        message = "\b" * self._prev_total_width + "\r"
        special_char_len = 0
        if self.target is not None and self.target > 0:
            numdigits = int(math.log10(self.target)) + 1
            bar = (f"%{numdigits}d/%d") % (current, self.target)
            bar = f"{_BOLD}{bar}{_RESET} "
            special_char_len += 8
            prog_width = int(self.width * (float(current) / self.target))
            if prog_width > 0:
                bar += f"{_GREEN}{_BAR_CHAR * prog_width}{_RESET}"
                special_char_len += 9
            bar += f"{_WHITE}{_BAR_CHAR * (self.width - prog_width)}{_RESET}"
            special_char_len += 9
        else:
            bar = "%7d/Unknown" % current
        message += bar

        if self.target is not None and self.target > 0 and not finalize:
            info = f" {_BOLD}{format_eta(time_per_unit * (self.target - current))}{_RESET}"
        else:
            info = f" {_BOLD}{now - self._start:.0f}s{_RESET}"
        special_char_len += 8
        info += format_time_per_unit(time_per_unit, self.unit_name)
        info += self._values_text()
        message += info

        total_width = len(bar) + len(info) - special_char_len
        if self._prev_total_width > total_width:
            message += " " * (self._prev_total_width - total_width)
        if finalize:
            message += "\n"
        _write(message)
        self._prev_total_width = total_width

    def _plain_line(self, current, now, time_per_unit):
        """The finished bar as one line without control codes (for logs and pipes)."""
        if self.target is not None and self.target > 0:
            numdigits = int(math.log10(self.target)) + 1
            line = f"%{numdigits}d/%d " % (current, self.target) + _BAR_CHAR * self.width
        else:
            line = "%7d/Unknown" % current
        line += f" {now - self._start:.0f}s" + format_time_per_unit(time_per_unit, self.unit_name)
        return line + self._values_text()

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    def _format_time(self, time_per_unit, unit_name):
        return format_time_per_unit(time_per_unit, unit_name)

    def _estimate_step_duration(self, current, now):
        """Seconds per step; after step 1 the first (warm-up) step is left out of the estimate."""
        if current:
            if self._time_after_first_step is not None and current > 1:
                time_per_unit = (now - self._time_after_first_step) / (current - 1)
            else:
                time_per_unit = (now - self._start) / current
            if current == 1:
                self._time_after_first_step = now
            return time_per_unit
        return 0
