"""Shape ops: reshape/view, flatten, squeeze/unsqueeze, transpose/permute/movedim, expand,
and (from `join.py` and `pad.py`) cat/stack, split/chunk/unbind, pad.  Their VJPs only
move gradient values around:

    reshape <-> reshape back      permute <-> inverse permute     expand -> sum (engine)
    cat     -> slices of g        stack   -> g[..., i, ...]       split/unbind -> cat/stack of grads
    pad     -> pad by the negated amounts (crop what was added, zero-fill what was cropped)
"""
import math

import numpy as np

from ._dims import wrap_dim
from .op import Op, linear_jvp

__all__ = [
    "t",
    "reshape", "view", "flatten", "squeeze", "unsqueeze", "expand", "expand_as", "reshape_as",
    "view_as", "broadcast_to", "permute", "transpose", "swapaxes", "movedim",
]


def _shape_arg(shape):
    """Accept ``reshape(2, 3)``, ``reshape((2, 3))`` and ``reshape([2, 3])``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


# ---------------------------------------------------------------------------
# Views: reshape, permute, expand
# ---------------------------------------------------------------------------
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

    jvp = staticmethod(linear_jvp)  # the tangent reshaped the same way

    @staticmethod
    def base_rebuilder(ctx):
        """After ``base.view(-1).add_(b)``: the base is the new view reshaped back."""
        shape = ctx.input_shape
        return lambda base, view: Reshape.apply(view, shape=shape)


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
        return ctx.xp.transpose(g, _inverse_permutation(ctx.dims))

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def base_rebuilder(ctx):
        """After ``base.t().mul_(2)``: the base is the new view permuted back."""
        inverse = _inverse_permutation(ctx.dims)
        return lambda base, view: Permute.apply(view, dims=inverse)


def _inverse_permutation(dims):
    return tuple(int(d) for d in np.argsort(dims))


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

    jvp = staticmethod(linear_jvp)


def reshape(input, *shape):
    """The same values in `shape` (one entry may be -1: inferred from the number of elements)."""
    return Reshape.apply(input, shape=_shape_arg(shape))


def view(input, *shape):
    """As `reshape` (numpy decides whether a copy is needed; values are identical either way)."""
    return Reshape.apply(input, shape=_shape_arg(shape))


def reshape_as(input, other):
    """`input` reshaped to ``other.shape``."""
    return Reshape.apply(input, shape=tuple(other.shape))


def view_as(input, other):
    """`input` viewed with ``other.shape``."""
    return Reshape.apply(input, shape=tuple(other.shape))


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one (a 0-d tensor becomes shape (1,))."""
    shape = tuple(np.shape(input))
    if not shape:
        return Reshape.apply(input, shape=(1,))
    start, end = wrap_dim(start_dim, len(shape), "flatten"), wrap_dim(end_dim, len(shape), "flatten")
    if start > end:
        raise RuntimeError(f"flatten: start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
    merged = math.prod(shape[start:end + 1])
    return Reshape.apply(input, shape=shape[:start] + (merged,) + shape[end + 1:])


def squeeze(input, dim=None):
    """Drop size-1 dims: all of them, or those in `dim` (int or tuple; a dim whose size is not 1 stays)."""
    shape = tuple(np.shape(input))
    if dim is None:
        dims = range(len(shape))
    else:
        dims = {wrap_dim(d, len(shape), "squeeze") for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim)}
    return Reshape.apply(input, shape=tuple(s for i, s in enumerate(shape) if not (s == 1 and i in dims)))


def unsqueeze(input, dim):
    """Insert a size-1 dim at position `dim` (in [-ndim-1, ndim])."""
    shape = tuple(np.shape(input))
    if not -len(shape) - 1 <= dim <= len(shape):
        raise IndexError(
            f"unsqueeze: dimension out of range (expected to be in range of "
            f"[{-len(shape) - 1}, {len(shape)}], but got {dim})"
        )
    dim = dim % (len(shape) + 1)
    return Reshape.apply(input, shape=shape[:dim] + (1,) + shape[dim:])


def expand(input, *shape):
    """Broadcast size-1 dims to `shape` without copying (-1 keeps a dim's size)."""
    return Expand.apply(input, shape=_shape_arg(shape))


def expand_as(input, other):
    """`input` expanded to ``other.shape``."""
    return Expand.apply(input, shape=tuple(other.shape))


def broadcast_to(input, shape):
    """`input` broadcast to `shape` (torch.broadcast_to; -1 keeps a dim's size)."""
    return Expand.apply(input, shape=_shape_arg((shape,)))


def permute(input, *dims):
    """Reorder the dims: result dim i is input dim ``dims[i]``."""
    return Permute.apply(input, dims=_shape_arg(dims))


def transpose(input, dim0, dim1):
    """Swap two dims."""
    ndim = max(np.ndim(input), 1)
    for d in (dim0, dim1):
        if not -ndim <= d < ndim:
            raise IndexError(
                f"transpose: dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})"
            )
    if np.ndim(input) < 2:
        return Reshape.apply(input, shape=tuple(np.shape(input)))
    dims = list(range(np.ndim(input)))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute.apply(input, dims=tuple(dims))


def swapaxes(input, axis0, axis1):
    """numpy's name for `transpose`."""
    return transpose(input, axis0, axis1)


def movedim(input, source, destination):
    """Move dim(s) `source` to position(s) `destination`; the other dims keep their order."""
    ndim = np.ndim(input)
    source = (source,) if isinstance(source, int) else tuple(source)
    destination = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(source) != len(destination):
        raise RuntimeError(
            f"movedim: source {source} and destination {destination} must have the same number of dims"
        )
    source = [wrap_dim(d, ndim, "movedim") for d in source]
    destination = [wrap_dim(d, ndim, "movedim") for d in destination]
    if len(set(source)) != len(source) or len(set(destination)) != len(destination):
        raise RuntimeError(f"movedim: repeated dim in source {source} or destination {destination}")
    order = [d for d in range(ndim) if d not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return Permute.apply(input, dims=tuple(order))


def t(input):
    """The transpose of a matrix; a 0-D or 1-D tensor is returned as it is (torch's rule: <= 2-D only)."""
    ndim = np.ndim(input)
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    if ndim < 2:
        return Reshape.apply(input, shape=tuple(np.shape(input)))
    return Permute.apply(input, dims=(1, 0))
