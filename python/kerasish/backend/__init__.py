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
from kerasish.config import backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format
from kerasish.naming import get_uid


def clear_session(free_memory=True):
    """Resets the state Keras keeps between models, as keras.backend.clear_session: the counters
    automatic names are made from (the next Dense is "dense" again); with free_memory, a garbage
    collection returns the tensors nothing references."""
    import gc

    from kerasish.naming import reset_names

    reset_names()
    if free_memory:
        gc.collect()


def is_keras_tensor(x):
    """Whether x is a symbolic tensor (keras.Input, or a layer's output on one)."""
    from kerasish.ops.operation import KerasTensor

    return isinstance(x, KerasTensor)


__all__ = [
    "FLOAT_TYPES", "INT_TYPES", "backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
    "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon", "set_floatx",
    "set_image_data_format", "standardize_dtype",
]
