"""Data sets, as keras.datasets."""
from kerasish.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
