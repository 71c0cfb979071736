"""Global settings, as keras.config: float dtype, fuzz factor, image data format, device."""
from kerasish import _core

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_TRACEBACK_FILTERING = [True]  # read by utils/traceback_utils.filter_traceback


def floatx():
    return _FLOATX


def set_floatx(value):
    """Sets the default float dtype (of weights, Python floats and data made from lists), as
    keras.config.set_floatx: "float16", "bfloat16", "float32" or "float64"."""
    global _FLOATX
    accepted = ("float16", "bfloat16", "float32", "float64")
    if value not in accepted:
        raise ValueError(f"Unknown `floatx` value: {value!r}. Expected one of {accepted}")
    _FLOATX = str(value)
    _core.set_floatx(_FLOATX)


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(value):
    if value != "channels_last":
        raise ValueError(f"Only 'channels_last' is supported, got {value!r}")


def list_devices():
    """The devices this build can use: ``"cpu"``, then one ``"gpu:<i> <adapter> (<backend>, <type>)"``
    per GPU adapter wgpu finds (Vulkan, Metal or DX12; Mesa's lavapipe shows as ``llvmpipe``)."""
    return _core.list_devices()


def set_device(name):
    """Makes new tensors (and ops on them) use ``name``: ``"cpu"``, ``"gpu"`` (an error names what
    is missing when there is no GPU or the build lacks the ``gpu`` feature) or ``"auto"`` (the GPU
    when there is one, else the CPU). Returns the device chosen."""
    return _core.set_device(name)


def get_device():
    """The device new tensors are made on."""
    return _core.get_device()


def backend():
    """The name of the engine behind the ops, as keras.config.backend(): "kerasish"."""
    return "kerasish"


def set_backend(backend):
    """keras.config.set_backend: kerasish has one backend, its Rust engine."""
    if backend != "kerasish":
        raise ValueError(f"kerasish has one backend, its Rust engine ('kerasish'); cannot switch to {backend!r}. "
                         "Use Keras itself (`import keras`) for its other backends.")


# ---------------------------------------------------------------------- logging and debugging

_INTERACTIVE_LOGGING = True


def enable_interactive_logging():
    """Progress bars and messages go to stdout (the default)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging():
    """Progress bars and messages go to Python's logging (logger "kerasish", level INFO), as
    Keras sends them to absl logging."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


def is_interactive_logging_enabled():
    return _INTERACTIVE_LOGGING


def _env_int(name):
    import os

    v = os.environ.get(name)
    return int(v) if v else None


_MAX_EPOCHS = _env_int("KERAS_MAX_EPOCHS")
_MAX_STEPS_PER_EPOCH = _env_int("KERAS_MAX_STEPS_PER_EPOCH")


def set_max_epochs(max_epochs):
    """Caps the epochs of every fit() (None: no cap; also $KERAS_MAX_EPOCHS), for quick runs."""
    global _MAX_EPOCHS
    _MAX_EPOCHS = max_epochs


def max_epochs():
    return _MAX_EPOCHS


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Caps the steps of each epoch of fit / evaluate / predict (None: no cap; also
    $KERAS_MAX_STEPS_PER_EPOCH), for quick runs."""
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = max_steps_per_epoch


def max_steps_per_epoch():
    return _MAX_STEPS_PER_EPOCH


# --------------------------------------------------------------------------- flash attention

_FLASH_ATTENTION = None


def enable_flash_attention():
    """Lets attention use flash attention where it can (Keras's default, None). kerasish has no
    fused attention kernel, so, as Keras on a CPU, it never does."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = None


def disable_flash_attention():
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled():
    """False when disabled, else None (allowed where available), as Keras's."""
    return _FLASH_ATTENTION


def is_nnx_enabled():
    """Flax NNX is a feature of Keras's JAX backend: never enabled here."""
    return False



# ------------------------------------------------------------------------------ deserialization

_UNSAFE_DESERIALIZATION = False


def enable_unsafe_deserialization():
    """Keras's switch for loading the bytecode of Lambda layers. kerasish never runs code stored
    in a file, with or without it (a Lambda's function comes through ``custom_objects``, and the
    loading error says how); the switch is recorded so that scripts that call it run, and
    ``is_unsafe_deserialization_enabled`` reports it."""
    global _UNSAFE_DESERIALIZATION
    _UNSAFE_DESERIALIZATION = True


def is_unsafe_deserialization_enabled():
    return _UNSAFE_DESERIALIZATION


def enable_traceback_filtering():
    """Tracebacks of errors raised in layer calls, ops and fit / evaluate / predict leave out
    kerasish's own frames (the default), so they end in the user's code."""
    _TRACEBACK_FILTERING[0] = True


def disable_traceback_filtering():
    """Tracebacks show kerasish's internal frames too."""
    _TRACEBACK_FILTERING[0] = False


def is_traceback_filtering_enabled():
    return _TRACEBACK_FILTERING[0]
