"""keras.backend: the dtype rules and the global settings Keras keeps here (floatx, epsilon,
image_data_format), and the name of the backend."""
from kerasish.backend.dtypes import (
    FLOAT_TYPES,
    INT_TYPES,
    is_float_dtype,
    is_int_dtype,
    result_type,
    standardize_dtype,
)
from kerasish.config import epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format


def backend():
    """The name of the engine behind the ops, as keras.backend.backend()."""
    return "kerasish"


__all__ = [
    "FLOAT_TYPES", "INT_TYPES", "backend", "epsilon", "floatx", "image_data_format", "is_float_dtype", "is_int_dtype",
    "result_type", "set_epsilon", "set_floatx", "set_image_data_format", "standardize_dtype",
]
