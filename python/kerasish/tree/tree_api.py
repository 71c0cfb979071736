"""Nested structures (lists, tuples, namedtuples, dicts, OrderedDicts, deques) as ``keras.tree``,
over optree, the tree library Keras itself uses, with Keras's conventions: ``None`` is a leaf,
a dict's values go by sorted key (an OrderedDict's in its own order) and come back under the
structure's own key order, and a mismatch between structures is a ValueError."""
from __future__ import annotations

import optree

_NS = "kerasish"


class MAP_TO_NONE:
    """Returned by a ``traverse`` function: that sub-structure becomes None."""


def register_tree_node_class(cls):
    """Registers a class with ``tree_flatten`` / ``tree_unflatten`` methods as a tree node."""
    return optree.register_pytree_node_class(cls, namespace=_NS)


def _is_leaf(x, none_is_leaf=True):
    return optree.tree_is_leaf(x, none_is_leaf=none_is_leaf, namespace=_NS)


def is_nested(structure):
    """Whether structure is a sequence, a mapping or a namedtuple (a string is not)."""
    return not _is_leaf(structure)


def flatten(structure):
    """The leaves of structure, in order (dicts by sorted key); a leaf alone gives [leaf]."""
    if not is_nested(structure):
        return [structure]
    return optree.tree_leaves(structure, none_is_leaf=True, namespace=_NS)


def flatten_with_path(structure):
    """[(path, leaf)]: each path the tuple of indices and keys that leads to its leaf."""
    paths, leaves, _ = optree.tree_flatten_with_path(structure, none_is_leaf=True, namespace=_NS)
    return list(zip(paths, leaves))


def _same_structure_error():
    return ValueError("Structures don't have the same nested structure.")


def _tree_map(func, *structures, **kwargs):
    try:
        return optree.tree_map(func, *structures, namespace=_NS, **kwargs)
    except (ValueError, TypeError) as e:
        # optree's own message names the mismatch (a type, a length, keys)
        if "structure" in str(e) or "Expected" in str(e) or "keys" in str(e) or "arity" in str(e):
            raise ValueError(f"Structures don't have the same nested structure. {e}") from None
        raise


def map_structure(func, *structures, none_is_leaf=True):
    """func applied to the leaves of structures of one layout, in that layout. With
    ``none_is_leaf=False``, None is kept as it is and never passed to func."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    if not callable(func):
        raise TypeError(f"`func` must be callable, got {func!r}")
    if len(structures) == 1:
        if not is_nested(structures[0]):
            return None if structures[0] is None and not none_is_leaf else func(structures[0])
        return optree.tree_map(func, structures[0], none_is_leaf=none_is_leaf, namespace=_NS)

    def checked(*leaves):
        if not all(_is_leaf(s, none_is_leaf) for s in leaves):
            raise _same_structure_error()
        return func(*leaves)

    return _tree_map(checked, *structures, none_is_leaf=none_is_leaf)


def map_structure_up_to(shallow_structure, func, *structures):
    """func applied to the sub-structures of structures found where shallow_structure has its
    leaves (deeper nesting is passed to func whole)."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def checked(shallow, *subs):
        if not _is_leaf(shallow):
            raise _same_structure_error()
        return func(*subs)

    return _tree_map(checked, shallow_structure, *structures, none_is_leaf=True)


def assert_same_structure(a, b, check_types=None):
    """A ValueError unless a and b nest the same way: the same node types (dict, OrderedDict and
    defaultdict count as one; list, tuple, namedtuple and deque do not) with the same lengths and
    keys. ``check_types`` is accepted and ignored, as in Keras 3."""

    def check(x, y):
        if not _is_leaf(x) or not _is_leaf(y):
            raise ValueError("The two structures don't have the same nested structure.")

    try:
        optree.tree_map(check, a, b, none_is_leaf=True, namespace=_NS)
    except (ValueError, TypeError) as e:
        msg = str(e)
        if not msg.startswith("The two structures"):
            msg = f"The two structures don't have the same nested structure. {msg}"
        raise ValueError(msg) from None


def assert_same_paths(a, b):
    """A ValueError unless a and b have the same leaf paths (node types are not compared)."""
    pa = set(optree.tree_paths(a, none_is_leaf=True, namespace=_NS))
    pb = set(optree.tree_paths(b, none_is_leaf=True, namespace=_NS))
    if pa != pb:
        msg = "`a` and `b` don't have the same paths."
        if pa - pb:
            msg += f"\nPaths in `a` missing in `b`:\n{pa - pb}"
        if pb - pa:
            msg += f"\nPaths in `b` missing in `a`:\n{pb - pa}"
        raise ValueError(msg)


def pack_sequence_as(structure, flat_sequence):
    """flat_sequence's items put into structure's layout (dict values taken by sorted key)."""
    if not isinstance(flat_sequence, (list, tuple)) and not hasattr(flat_sequence, "__iter__"):
        raise TypeError(f"`flat_sequence` must be a sequence, got {type(flat_sequence).__name__}")
    treespec = optree.tree_structure(structure, none_is_leaf=True, namespace=_NS)
    flat = list(flat_sequence)
    if len(flat) != treespec.num_leaves:
        raise ValueError(f"The target structure has {treespec.num_leaves} leaves, but `flat_sequence` has "
                         f"{len(flat)} items. Structure: {structure!r}")
    return optree.tree_unflatten(treespec, flat)


def traverse(func, structure, top_down=True):
    """Depth-first traversal calling func on every sub-structure. Top-down, a non-None result
    replaces that sub-structure (not entered); bottom-up, it replaces the traversed one. Return
    MAP_TO_NONE to put None there."""
    if not callable(func):
        raise TypeError(f"`func` must be callable, got {func!r}")

    def children():
        subs, spec = optree.tree_flatten(structure, is_leaf=lambda x: x is not structure, none_is_leaf=True,
                                         namespace=_NS)
        if spec.num_nodes == 1 and spec.num_leaves == 1:
            return structure
        return optree.tree_unflatten(spec, [traverse(func, c, top_down=top_down) for c in subs])

    if top_down:
        ret = func(structure)
        if ret is None:
            return children()
    else:
        done = children()
        ret = func(done)
        if ret is None:
            return done
    return None if ret is MAP_TO_NONE else ret


def lists_to_tuples(structure):
    """structure with every list made a tuple."""
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure, top_down=False)


def map_shape_structure(func, structure):
    """map_structure where tuples and lists of ints and Nones (shapes) are the leaves."""

    def is_shape(x):
        return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)

    return optree.tree_map(func, structure, is_leaf=is_shape, none_is_leaf=True, namespace=_NS)
