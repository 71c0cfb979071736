"""kerasish: a Keras-style deep-learning library whose numeric core is a Rust engine.

`import kerasish as keras` runs Keras 3 scripts: Sequential / functional / subclassed models,
compile / fit / evaluate / predict, layers, losses, metrics, optimizers and callbacks. The engine
(tensors, kernels, autograd) lives in :mod:`kerasish._core`.
"""
import importlib as _importlib

from kerasish import config, ops, random, utils
from kerasish._core import Tensor, __version__
from kerasish._tensor import (
    arange,
    device,
    enable_grad,
    eye,
    full,
    is_grad_enabled,
    no_grad,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from kerasish.variables import Variable

_SUBMODULES = {"activations", "backend", "initializers", "regularizers", "losses", "metrics", "optimizers", "callbacks",
               "layers", "models", "datasets", "saving"}
_FROM = {"Input": "layers", "Layer": "layers", "KerasTensor": "layers", "InputSpec": "layers", "Model": "models",
         "Sequential": "models", "Initializer": "initializers", "Loss": "losses", "Metric": "metrics",
         "Optimizer": "optimizers", "Regularizer": "regularizers", "Operation": "ops.operation"}


def version():
    """kerasish's version, as keras.version()."""
    return __version__


def __getattr__(name):
    """Submodules load on first use, so `import kerasish` stays quick."""
    if name in _SUBMODULES:
        return _importlib.import_module(f"kerasish.{name}")
    if name in _FROM:
        return getattr(_importlib.import_module(f"kerasish.{_FROM[name]}"), name)
    raise AttributeError(f"module 'kerasish' has no attribute {name!r}")


__all__ = [
    "Initializer", "InputSpec", "Loss", "Metric", "Operation", "Optimizer", "Regularizer", "version",
    "Input", "KerasTensor", "Layer", "Model", "Sequential", "Tensor", "Variable", "__version__", "activations", "backend",
    "device",
    "arange", "callbacks", "config", "enable_grad", "eye", "full", "initializers", "is_grad_enabled", "layers",
    "losses", "metrics", "models", "no_grad", "ones", "ones_like", "ops", "optimizers", "random", "regularizers",
    "tensor", "utils", "zeros", "zeros_like",
]
