"""Object names as Keras makes them: the class name in snake_case, then _1, _2 ... for repeats."""
import re
from collections import defaultdict

_counts = defaultdict(int)


def to_snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return s.replace("2_d", "2d").replace("1_d", "1d").replace("3_d", "3d")


def auto_name(prefix):
    """'dense' the first time, then 'dense_1', 'dense_2', ..."""
    n = _counts[prefix]
    _counts[prefix] += 1
    return prefix if n == 0 else f"{prefix}_{n}"


def get_uid(prefix=""):
    """The next number of `prefix` (1 the first time), from the counter names are made with: after
    one Dense, get_uid("dense") is 2 and the next Dense is "dense_2", as in Keras."""
    _counts[prefix] += 1
    return _counts[prefix]


def reset_names():
    _counts.clear()


def object_name(obj):
    """The name compile() logs an object under: its ``name``, else its (class's) name in snake_case."""
    if hasattr(obj, "name"):
        return obj.name
    if hasattr(obj, "__name__"):
        return to_snake_case(obj.__name__)
    return to_snake_case(type(obj).__name__)
