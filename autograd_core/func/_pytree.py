"""Nested containers of tensors ("pytrees"), as torch.func's transforms see their arguments.

A tree is a tuple, list or dict of trees, or a leaf (anything else: a Tensor, a
number, None).  `tree_flatten` lists the leaves in order (dicts in key insertion
order, as torch's pytree) with a spec that `tree_unflatten` rebuilds the tree from.
"""
from collections import namedtuple

# A spec: the container type, its dict keys (None for sequences) and the children's specs.
TreeSpec = namedtuple("TreeSpec", ["kind", "keys", "children"])
LEAF = TreeSpec(None, None, ())


def tree_flatten(tree):
    """``(leaves, spec)`` of `tree`."""
    leaves = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if isinstance(tree, dict):
        keys = list(tree)
        return TreeSpec(type(tree), keys, tuple(_flatten(tree[key], leaves) for key in keys))
    if isinstance(tree, (tuple, list)):
        return TreeSpec(type(tree), None, tuple(_flatten(child, leaves) for child in tree))
    leaves.append(tree)
    return LEAF


def tree_unflatten(leaves, spec):
    """The tree of shape `spec` holding `leaves` in order."""
    iterator = iter(leaves)
    tree = _unflatten(iterator, spec)
    if next(iterator, _END) is not _END:
        raise ValueError("tree_unflatten: more leaves than the spec holds")
    return tree


_END = object()


def _unflatten(iterator, spec):
    if spec.kind is None:
        value = next(iterator, _END)
        if value is _END:
            raise ValueError("tree_unflatten: fewer leaves than the spec holds")
        return value
    children = [_unflatten(iterator, child) for child in spec.children]
    if spec.keys is not None:
        return spec.kind(zip(spec.keys, children))
    if issubclass(spec.kind, tuple) and hasattr(spec.kind, "_fields"):
        return spec.kind(*children)
    return spec.kind(children)


def tree_map(function, tree):
    """`tree` with `function` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([function(leaf) for leaf in leaves], spec)


def broadcast_prefix(prefix, tree):
    """One value of `prefix` per leaf of `tree`, where `prefix` is `tree` cut short (torch's in_dims rule).

    A leaf of `prefix` (an int, None) stands for every leaf below that place of `tree`.
    Returns None where the structures do not match.
    """
    out = []
    return out if _broadcast(prefix, tree, out) else None


def _broadcast(prefix, tree, out):
    if not isinstance(prefix, (tuple, list, dict)):
        out.extend([prefix] * len(tree_flatten(tree)[0]))
        return True
    if isinstance(prefix, dict):
        if not isinstance(tree, dict) or list(prefix) != list(tree):
            return False
        return all(_broadcast(prefix[key], tree[key], out) for key in prefix)
    if not isinstance(tree, (tuple, list)) or isinstance(tree, dict) or len(prefix) != len(tree):
        return False
    return all(_broadcast(p, t, out) for p, t in zip(prefix, tree))


def describe(spec):
    """A short text of a spec for error messages: ``(*, {'a': *})``."""
    if spec.kind is None:
        return "*"
    if spec.keys is not None:
        return "{" + ", ".join(f"{key!r}: {describe(child)}" for key, child in zip(spec.keys, spec.children)) + "}"
    inner = ", ".join(describe(child) for child in spec.children)
    return f"[{inner}]" if issubclass(spec.kind, list) else f"({inner}{',' if len(spec.children) == 1 else ''})"
