"""Shape ops: reshape/view, flatten, transpose/permute, squeeze/unsqueeze, expand,
cat/stack/split/chunk, pad.  Their VJPs only move gradient values around.
"""
import numpy as np

from .op import Op

__all__ = ["reshape", "view", "permute", "transpose", "expand"]


def _shape_arg(shape):
    """Accept ``reshape(2, 3)``, ``reshape((2, 3))`` and ``reshape([2, 3])``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


class Reshape(Op):
    """The same values in a new shape;  the gradient is reshaped back"""
    is_view = True

    @staticmethod
    def forward(ctx, x, shape=()):
        ctx.input_shape = x.shape
        try:
            return np.reshape(x, shape)
        except ValueError:
            raise RuntimeError(
                f"reshape: shape {list(shape)} is invalid for input of size {x.size} (shape {x.shape})"
            ) from None

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.reshape(g, ctx.input_shape)


class Permute(Op):
    """Reorder dimensions;  the gradient is permuted by the inverse order"""
    is_view = True

    @staticmethod
    def forward(ctx, x, dims=()):
        if sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
            raise RuntimeError(
                f"permute: dims {list(dims)} must be a permutation of the {x.ndim} dimensions of shape {x.shape}"
            )
        ctx.dims = tuple(d % x.ndim for d in dims)
        return np.transpose(x, ctx.dims)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.transpose(g, tuple(np.argsort(ctx.dims)))


class Expand(Op):
    """Broadcast to a larger shape (a view);  the gradient is summed back (by the engine's sum_to)"""
    is_view = True

    @staticmethod
    def forward(ctx, x, shape=()):
        lead = len(shape) - x.ndim
        if lead < 0:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
                f"the number of dimensions in the tensor ({x.ndim})"
            )
        target = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
        try:
            return np.broadcast_to(x, target)
        except ValueError:
            raise RuntimeError(f"expand: cannot expand shape {x.shape} to {tuple(shape)}") from None

    @staticmethod
    def backward(ctx, g):
        return g  # the engine sums g back down to the input's shape


def reshape(input, *shape):
    return Reshape.apply(input, shape=_shape_arg(shape))


def view(input, *shape):
    return Reshape.apply(input, shape=_shape_arg(shape))


def permute(input, *dims):
    return Permute.apply(input, dims=_shape_arg(dims))


def transpose(input, dim0, dim1):
    ndim = max(input.ndim, 1)
    for d in (dim0, dim1):
        if not -ndim <= d < ndim:
            raise IndexError(
                f"transpose: dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})"
            )
    if input.ndim < 2:
        return Reshape.apply(input, shape=input.shape)
    dims = list(range(input.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute.apply(input, dims=tuple(dims))


def expand(input, *shape):
    return Expand.apply(input, shape=_shape_arg(shape))
