"""Traceback filtering, as keras/src/utils/traceback_utils.py: an exception raised inside a layer
call, an op or fit / evaluate / predict reaches the user without kerasish's own frames, so its
traceback ends in the user's code. keras.config.disable_traceback_filtering() shows them all (the
switches live in config.py; this module sits outside utils/, which imports the layers using it)."""
from __future__ import annotations

import functools
import os
import traceback
import types

from kerasish import config

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
def _filtered(tb):
    """The traceback without the frames of kerasish's files (the outermost frame if none is left)."""
    frames = list(traceback.walk_tb(tb))
    out = None
    for frame, line in reversed(frames):
        if not frame.f_code.co_filename.startswith(_PACKAGE):
            out = types.TracebackType(out, frame, frame.f_lasti, line)
    if out is None and frames:
        frame, line = frames[-1]
        out = types.TracebackType(None, frame, frame.f_lasti, line)
    return out


def filter_traceback(fn):
    """Raises fn's exceptions with kerasish's frames taken out of their tracebacks."""

    @functools.wraps(fn)
    def error_handler(*args, **kwargs):
        if not config._TRACEBACK_FILTERING[0]:
            return fn(*args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            # the full traceback: keras.config.disable_traceback_filtering()
            raise e.with_traceback(_filtered(e.__traceback__)) from None

    return error_handler
