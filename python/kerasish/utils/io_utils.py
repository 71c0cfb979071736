"""Printing and logged values, as keras/src/utils/io_utils.py."""
import sys


def print_msg(message, line_break=True):
    sys.stdout.write(str(message) + ("\n" if line_break else ""))
    sys.stdout.flush()


def as_float(value):
    """A logged value as a Python float (tensors and NumPy scalars included); None stays None."""
    if value is None or isinstance(value, float):
        return value
    if hasattr(value, "item"):
        return float(value.item())
    return float(value)
