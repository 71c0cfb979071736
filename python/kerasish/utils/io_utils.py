"""Printing and logged values, as keras/src/utils/io_utils.py."""
import logging
import sys

from kerasish import config


def print_msg(message, line_break=True):
    """Writes to stdout, or logs at INFO to the "kerasish" logger after
    ``keras.config.disable_interactive_logging()`` (Keras logs through absl there)."""
    if not config.is_interactive_logging_enabled():
        log_msg(message)
        return
    sys.stdout.write(str(message) + ("\n" if line_break else ""))
    sys.stdout.flush()


def log_msg(message):
    """One logged message of non-interactive logging (line breaks and redraw characters dropped)."""
    text = str(message).strip("\r\n\b ")
    if text:
        logging.getLogger("kerasish").info(text)


def as_float(value):
    """A logged value as a Python float (tensors and NumPy scalars included); None stays None."""
    if value is None or isinstance(value, float):
        return value
    if hasattr(value, "item"):
        return float(value.item())
    return float(value)
