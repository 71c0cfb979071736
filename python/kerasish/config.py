"""Global settings, as keras.config: float dtype, fuzz factor, image data format, device."""
from kerasish import _core

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


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
