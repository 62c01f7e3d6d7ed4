"""Dimension arguments, checked once for every op: ``dim=-1``, ``dim=(0, 2)``, ``dim=None``.

torch's rules: a dim lies in ``[-ndim, ndim)`` and negative dims count from the end;
a 0-d tensor accepts ``0`` and ``-1``; for reductions ``None`` and ``()`` mean every dim.
"""
import numpy as np


def wrap_dim(dim, ndim, op_name):
    """`dim` as a non-negative axis of an `ndim`-dimensional tensor, or torch's IndexError."""
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(
            f"{op_name}: dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {dim})"
        )
    return int(dim) % size


def normalize_dims(dim, ndim, op_name=None):
    """`dim` (int, tuple, list or None) as a sorted tuple of non-negative axes, checked.

    None and ``()`` mean every dim (torch's rule).  A 0-d tensor accepts dim 0 and -1.
    Inside an op's forward, leave `op_name` out: the engine prefixes the op's name.
    """
    if dim.__class__ is int and -ndim <= dim < ndim:
        return (dim % ndim,)  # the common case, checked in one comparison
    if dim is None:
        return tuple(range(ndim))
    prefix = f"{op_name}: " if op_name else ""
    if isinstance(dim, (int, np.integer)):
        dims = (dim,)
    elif isinstance(dim, (tuple, list)):
        dims = tuple(dim)
    else:
        raise TypeError(f"{prefix}dim must be an int or a tuple of ints, got {dim!r}")
    if not dims:
        return tuple(range(ndim))
    size = max(ndim, 1)
    result = []
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"{prefix}dim must be an int or a tuple of ints, got {dim!r}")
        if not -size <= d < size:
            raise IndexError(
                f"{prefix}dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {d})"
            )
        result.append(int(d) % size)
    if len(set(result)) != len(result):
        raise ValueError(f"{prefix}dim {dim} appears more than once")
    return tuple(sorted(result)) if ndim else ()


def restore_dims(xp, g, dims, keepdim):
    """Re-insert reduced dims as size 1 so that `g` broadcasts against the input."""
    if keepdim or not dims:
        return g
    return xp.expand_dims(g, dims)
