"""Joining and splitting: cat/stack, and split/chunk/unbind (re-exported by `shape`).

    cat   -> each input's gradient is its slice of g
    stack -> input i's gradient is g[..., i, ...]
    split / chunk / unbind -> one node with one output per piece; the gradient is
                              the pieces' gradients joined again (cat, or stack)
"""
import numpy as np

from .. import forward_ad_state, grad_mode
from ..arrays import as_array
from ..graph import Node, edge_of
from ..views import ViewInfo, current
from ..tensor import Tensor, make_tensor
from ._dims import wrap_dim
from .op import Op, linear_jvp

__all__ = ["cat", "concat", "stack", "split", "chunk", "unbind"]


# ---------------------------------------------------------------------------
# Joining: cat, stack
# ---------------------------------------------------------------------------
def _check_sequence(tensors, op_name):
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op_name}: expected a list or tuple of Tensors, got {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{op_name}: expected a non-empty list of Tensors")
    for position, value in enumerate(tensors):
        if not isinstance(value, (Tensor, np.ndarray)):
            raise TypeError(f"{op_name}: expected Tensors, but element {position} is a {type(value).__name__}")


class Cat(Op):
    """Join tensors along an existing dim;  each input's gradient is its slice of g"""
    promote = True  # torch promotes mixed dtypes in cat

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        for position, a in enumerate(arrays):
            if a.ndim == 0:
                raise RuntimeError(f"cat: zero-dimensional tensor (at position {position}) cannot be concatenated")
        # torch skips legacy empty 1-D tensors (shape (0,)) whatever the other shapes are.
        skipped = [a.ndim == 1 and a.shape[0] == 0 for a in arrays]
        if all(skipped):
            skipped[0] = False
        kept = [a for a, skip in zip(arrays, skipped) if not skip]
        reference = kept[0]
        dim = wrap_dim(dim, reference.ndim, "cat")
        bounds, start = [], 0
        for position, (a, skip) in enumerate(zip(arrays, skipped)):
            if skip:
                bounds.append(None)
                continue
            if a.ndim != reference.ndim or any(a.shape[d] != reference.shape[d] for d in range(a.ndim) if d != dim):
                raise RuntimeError(
                    f"cat: sizes of tensors must match except in dimension {dim} (no broadcasting), but got "
                    f"shapes {reference.shape} and {a.shape} (tensor {position} in the list)"
                )
            bounds.append((start, start + a.shape[dim]))
            start += a.shape[dim]
        ctx.dim, ctx.bounds = dim, bounds
        return np.concatenate(kept, axis=dim)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.dim
        grads = []
        for needed, bounds in zip(ctx.needs_input_grad, ctx.bounds):
            if not needed:
                grads.append(None)
            elif bounds is None:
                grads.append(ctx.xp.zeros((0,), g.dtype))
            else:
                grads.append(g[lead + (slice(*bounds),)])
        return tuple(grads)

    jvp = staticmethod(linear_jvp)  # the tangents joined the same way (zeros for inputs without one)


def cat(tensors, dim=0):
    """Concatenate along `dim`; all shapes must match except in `dim` (no broadcasting)."""
    _check_sequence(tensors, "cat")
    return Cat.apply(*tensors, dim=dim)


def concat(tensors, dim=0):
    """Alias of `cat`."""
    return cat(tensors, dim)


class Stack(Op):
    """Join equal-shaped tensors along a new dim;  input i's gradient is g[..., i, ...]"""
    promote = True

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        first = arrays[0]
        for position, a in enumerate(arrays):
            if a.shape != first.shape:
                raise RuntimeError(
                    f"stack: expects each tensor to be equal size, but got {list(first.shape)} at entry 0 "
                    f"and {list(a.shape)} at entry {position}"
                )
        ndim = first.ndim + 1
        if not -ndim <= dim < ndim:
            raise IndexError(
                f"dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})"
            )
        ctx.dim = dim % ndim
        return np.stack(arrays, axis=ctx.dim)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.dim
        return tuple(g[lead + (i,)] if needed else None for i, needed in enumerate(ctx.needs_input_grad))

    jvp = staticmethod(linear_jvp)


def stack(tensors, dim=0):
    """Stack equal-shaped tensors along a new dim `dim`."""
    _check_sequence(tensors, "stack")
    return Stack.apply(*tensors, dim=dim)


# ---------------------------------------------------------------------------
# Splitting: split, chunk, unbind (one node with several outputs)
# ---------------------------------------------------------------------------
class Split(Op):
    """Views of pieces of x along dim (slices, or single positions for unbind);
    the gradient is the pieces' gradients joined again (cat, or stack for unbind)"""

    @staticmethod
    def backward(ctx, *grads):
        if ctx.stacked:
            return ctx.xp.stack(grads, ctx.dim)
        return ctx.xp.concatenate(grads, ctx.dim)

    @classmethod
    def apply_pieces(cls, input, dim, pieces, stacked):
        """Cut `input` into ``input[..., piece, ...]`` for each piece (a slice or an int) along `dim`.

        Op.apply makes one output; this records one node with one output per piece,
        so backward costs one join instead of a full-size gradient per piece.
        """
        if not isinstance(input, Tensor):
            input = make_tensor(as_array(input))
        lead = (slice(None),) * dim
        arrays = [input._data[lead + (piece, Ellipsis)] for piece in pieces]
        node = None
        if input._requires_grad and grad_mode._state.enabled and input.dtype.kind == "f":
            node = Node(cls, (edge_of(current(input)),))
            node.dim, node.stacked = dim, stacked
            node.output_count = len(arrays)
            node.output_shapes = tuple((a.shape, a.dtype) for a in arrays)
        outputs = tuple(make_tensor(a, node, output_index=index, view_of=input) for index, a in enumerate(arrays))
        for output in outputs:  # views that may not be changed in place (op None: see inplace_views)
            output._view_info = ViewInfo(input, None, None, None, input._version[0])
        if forward_ad_state.state.active:  # forward mode: each piece's tangent is that piece of the tangent
            forward_ad_state.propagate_pieces(input, outputs, lambda t: [t[lead + (piece, Ellipsis)] for piece in pieces])
        return outputs


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of `split_size` along `dim` (the last may be smaller), or pieces of the listed sizes."""
    shape = tuple(np.shape(tensor))
    dim = wrap_dim(dim, len(shape), "split")
    if not shape:
        raise RuntimeError("split: expected a tensor with at least one dimension, got a 0-d tensor")
    size = shape[dim]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step < 0 or (step == 0 and size != 0):
            raise RuntimeError(f"split: split_size must be a positive integer, got {step} (dimension size {size})")
        starts = range(0, size, step) if size else (0,)
        pieces = [slice(s, min(s + step, size)) for s in starts]
    else:
        sections = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sections) or sum(sections) != size:
            raise RuntimeError(
                f"split: split_sizes must be non-negative and sum exactly to {size} (the size of dimension "
                f"{dim} of shape {shape}), but got split_sizes={sections}"
            )
        bounds = np.cumsum([0] + sections)
        pieces = [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
    return Split.apply_pieces(tensor, dim, pieces, stacked=False)


def chunk(input, chunks, dim=0):
    """Split into `chunks` pieces of ceil(size / chunks) along `dim` (torch's sizes: maybe fewer pieces)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be greater than 0, got {chunks}")
    shape = tuple(np.shape(input))
    size = shape[wrap_dim(dim, len(shape), "chunk")] if shape else 0
    if size == 0:
        return split(input, [0] * chunks, dim)  # torch returns `chunks` empty pieces
    return split(input, -(-size // chunks), dim)


def unbind(input, dim=0):
    """The slices ``input[..., i, ...]`` along `dim` (that dim removed), as a tuple."""
    shape = tuple(np.shape(input))
    if not shape:
        raise RuntimeError("unbind: expected a tensor with at least one dimension, got a 0-d tensor")
    dim = wrap_dim(dim, len(shape), "unbind")
    return Split.apply_pieces(input, dim, list(range(shape[dim])), stacked=True)
