"""Nested structures, as keras.tree."""
from kerasish.tree.tree_api import flatten, map_structure

__all__ = ["flatten", "map_structure"]
