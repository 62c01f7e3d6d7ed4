"""Reductions: sum, mean, max/min, var/std, logsumexp, softmax, log_softmax, prod.

`dim` may be an int, a tuple of ints or None (all dims); ``keepdim=True`` keeps
reduced dims as size 1.  VJPs first restore the reduced dims (`restore_dims`),
then broadcast back to the input shape.
"""
import numpy as np

from .op import Op

__all__ = ["sum", "mean"]


def normalize_dims(dim, ndim, op_name):
    """`dim` (int, tuple, list or None) as a sorted tuple of non-negative axes, checked."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    size = max(ndim, 1)
    result = []
    for d in dims:
        if not -size <= d < size:
            raise IndexError(
                f"{op_name}: dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {d})"
            )
        result.append(int(d) % size)
    if len(set(result)) != len(result):
        raise ValueError(f"{op_name}: dim {dim} appears more than once")
    return tuple(sorted(result)) if ndim else ()


def restore_dims(xp, g, dims, keepdim):
    """Re-insert reduced dims as size 1 so that `g` broadcasts against the input."""
    if keepdim or not dims:
        return g
    return xp.expand_dims(g, dims)


class Sum(Op):
    """sum over dims;  the gradient is broadcast back to every summed element"""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        dims = normalize_dims(dim, x.ndim, "sum")
        ctx.dims, ctx.keepdim, ctx.input_shape = dims, keepdim, x.shape
        dtype = np.int64 if x.dtype.kind in "biu" else None
        return np.sum(x, axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        return xp.broadcast_to(restore_dims(xp, g, ctx.dims, ctx.keepdim), ctx.input_shape)


class Mean(Op):
    """mean over dims;  d/dx_i = 1/n for each of the n averaged elements"""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        if x.dtype.kind not in "fc":
            raise TypeError(
                f"mean(): could not infer output dtype. Input dtype must be a floating point dtype, got {x.dtype}"
            )
        dims = normalize_dims(dim, x.ndim, "mean")
        ctx.dims, ctx.keepdim, ctx.input_shape = dims, keepdim, x.shape
        ctx.count = int(np.prod([x.shape[d] for d in dims])) if x.ndim else 1
        return np.mean(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        g = restore_dims(xp, g, ctx.dims, ctx.keepdim) / ctx.count
        return xp.broadcast_to(g, ctx.input_shape)


def sum(input, dim=None, keepdim=False, dtype=None):
    out = Sum.apply(input, dim=dim, keepdim=keepdim)
    return out if dtype is None else out.to(dtype)


def mean(input, dim=None, keepdim=False):
    return Mean.apply(input, dim=dim, keepdim=keepdim)
