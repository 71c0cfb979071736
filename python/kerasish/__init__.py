"""kerasish: a Keras-style deep-learning library whose numeric core is a Rust engine.

The engine (tensors, kernels, autograd) lives in :mod:`kerasish._core`; this package holds the
Python surface: tensor creation, :mod:`kerasish.ops`, :mod:`kerasish.random`, utilities.
"""
from kerasish._core import Tensor, __version__
from kerasish import config, ops, random, utils
from kerasish.variables import Variable
from kerasish._tensor import (
    arange,
    eye,
    full,
    no_grad,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
    enable_grad,
    is_grad_enabled,
)

__all__ = [
    "Tensor",
    "Variable",
    "config",
    "__version__",
    "arange",
    "enable_grad",
    "eye",
    "full",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "ones_like",
    "ops",
    "random",
    "tensor",
    "utils",
    "zeros",
    "zeros_like",
]
