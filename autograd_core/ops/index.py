"""Indexing ops: ``x[index]``, gather, index_select, masked_fill, index_put, and the two
scatter ops (`IndexAdd`, `ScatterAdd`) that their VJPs are made of.

Reading values out of `x` at some positions has a VJP that writes the gradient back
into zeros at the same positions, *adding* where a position was read more than
once (``x[[0, 0]]`` sends two contributions to ``x[0]``).  The two directions are
each other's adjoints, so second derivatives come for free:

    getitem  --VJP-->  IndexAdd    --VJP-->  getitem
    gather   --VJP-->  ScatterAdd  --VJP-->  gather

Index semantics are numpy's (which are torch's for these forms): ints, slices with
steps, None, Ellipsis, integer arrays (lists, int64 Tensors) and boolean masks.
"""
import numpy as np

from ..tensor import Tensor
from ._dims import wrap_dim
from .op import Op, linear_jvp

__all__ = ["getitem", "gather", "index_select", "masked_fill", "index_put"]


# ---------------------------------------------------------------------------
# Index normalisation
# ---------------------------------------------------------------------------
def normalize_index(index):
    """The index as a tuple numpy understands, and how it indexes.

    Returns ``(index, advanced, unique)``: Tensors, lists and numpy integers become
    arrays and ints; `advanced` is True when the index holds an array (numpy then
    copies instead of returning a view); `unique` is False when an integer array may
    name one element twice (its gradient must then be accumulated, not assigned).
    """
    if index.__class__ is not tuple:
        index = (index,)
    items = []
    advanced = False
    unique = True
    for item in index:
        kind = item.__class__
        if kind is int or kind is slice or item is None or item is Ellipsis:
            items.append(item)
            continue
        if kind is bool:
            item = np.bool_(item)
        if isinstance(item, Tensor):
            item = item._data
        elif isinstance(item, (list, tuple)):
            item = np.asarray([v._data if isinstance(v, Tensor) else v for v in item])
            if item.size == 0:
                item = item.astype(np.int64)  # np.asarray([]) is float64; an empty index means "none"
        elif isinstance(item, np.integer):
            items.append(int(item))
            continue
        if not isinstance(item, (np.ndarray, np.generic)):
            raise IndexError(
                f"getitem: only integers, slices, None, Ellipsis, integer and boolean arrays (or "
                f"Tensors) are valid indices, got {type(item).__name__}"
            )
        item = np.asarray(item)
        if item.dtype.kind in "iu":
            if item.ndim == 0:
                items.append(int(item))  # a 0-d integer index selects (and keeps a view), as an int
                continue
            unique = False
        elif item.dtype.kind != "b":
            raise IndexError(
                f"getitem: tensors used as indices must be long, int or bool tensors, got dtype {item.dtype}"
            )
        advanced = True
        items.append(item)
    if not advanced and Ellipsis not in items:
        # A trailing Ellipsis makes numpy return a 0-d *view* (not a scalar copy) for x[0, 1].
        items.append(Ellipsis)
    return tuple(items), advanced, unique


def split_integers(index):
    """torch's order for an index mixing integers and arrays (``x[0, :, [1, 2]]``), or None.

    torch applies the integers first, as selections, then the advanced index to what is left;
    numpy treats the integers as advanced too (and, with a slice between, moves the indexed
    dims to the front: shape (2, 3) where torch gives (3, 2)).  Returns ``(first, second)`` with
    ``x[index]`` (torch) equal to ``x[first][second]`` (numpy): `first` basic, `second` without ints.
    """
    if not any(item.__class__ is int for item in index):
        return None
    first = tuple(slice(None) if item.__class__ is np.ndarray else item for item in index)
    second = tuple(item if item.__class__ is np.ndarray or item is Ellipsis else slice(None)
                   for item in index if item.__class__ is not int)
    return first, second


def _torch_wording(error):
    """numpy says 'axis', torch says 'dimension'."""
    return str(error).replace("for axis", "for dimension").replace("along axis", "along dimension")


def index_add_array(shape, dtype, index, values, unique):
    """zeros(shape) with `values` added at `index` (numpy; repeated positions accumulate)."""
    out = np.zeros(shape, dtype)
    if unique:
        out[index] = values  # no position twice: a plain assignment is the fast exact answer
    elif len(index) == 1 or (len(index) == 2 and index[1] is Ellipsis):
        _add_rows(out, index[0], values)
    else:
        np.add.at(out, index, values)
    return out


def _add_rows(out, rows, values):
    """``out[rows] += values`` accumulating repeats (embedding-style gradients).

    np.add.at is correct but about 2x slower than sorting the rows and summing each
    run with one ``add.reduceat`` when rows are long; short rows stay with add.at.
    """
    if out.ndim < 2 or rows.size < 64 or out[0].size < 8:
        np.add.at(out, rows, values)
        return
    values = np.broadcast_to(values, rows.shape + out.shape[1:]).reshape((rows.size,) + out.shape[1:])
    rows = rows.reshape(-1)
    rows = np.where(rows < 0, rows + out.shape[0], rows)
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_rows[1:] != sorted_rows[:-1])))
    out[sorted_rows[starts]] = np.add.reduceat(values[order], starts, axis=0)


# ---------------------------------------------------------------------------
# getitem and its adjoint
# ---------------------------------------------------------------------------
class Select(Op):
    """x[index] with basic indexing (ints, slices, None, Ellipsis): a view;
    the gradient is g written into zeros at the same positions"""
    is_view = True
    name = "getitem"

    @staticmethod
    def forward(ctx, x, index=(), unique=True):
        ctx.index, ctx.unique, ctx.input_shape = index, unique, x.shape
        try:
            return x[index]
        except IndexError as error:
            raise IndexError(_torch_wording(error)) from None

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.index_add(ctx.input_shape, g.dtype, ctx.index, g, unique=ctx.unique)

    jvp = staticmethod(linear_jvp)  # the tangent indexed the same way

    @staticmethod
    def base_rebuilder(ctx):
        """After ``base[index].mul_(2)``: the base is the old base with the new view written at `index`."""
        index = ctx.index
        return lambda base, view: IndexPut.apply(base, view, index=index)


class Index(Select):
    """x[index] with integer arrays or boolean masks (a copy);  the gradient is g added
    into zeros at the indexed positions, accumulating repeated indices"""
    is_view = False


def getitem(input, index):
    """``input[index]`` with numpy/torch semantics (``Tensor.__getitem__``).

    Out-of-range indices raise IndexError ("index 5 is out of bounds for dimension 0 with size 3").
    """
    if index.__class__ is int or index.__class__ is slice:
        return Select.apply(input, index=(index, Ellipsis))  # the commonest case, kept lean
    index, advanced, unique = normalize_index(index)
    if advanced:
        split = split_integers(index)
        if split is not None:  # torch's order: the integers first (see split_integers)
            return getitem(Select.apply(input, index=split[0]), split[1])
        return Index.apply(input, index=index, unique=unique)
    return Select.apply(input, index=index)


class IndexAdd(Op):
    """zeros(shape) with `values` added at `index` (repeated positions accumulate, as
    np.add.at);  the VJP reads the gradient back: g[index]"""

    @staticmethod
    def forward(ctx, values, shape=(), index=()):
        ctx.index = index
        _, advanced, unique = normalize_index(index)
        return index_add_array(shape, values.dtype, index, values, not advanced or unique)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.index]

    jvp = staticmethod(linear_jvp)


# ---------------------------------------------------------------------------
# gather and its adjoint
# ---------------------------------------------------------------------------
def _along_dim(index, dim):
    """The full index ``(i0, ..., index, ..., in)`` that reads ``x[i0, .., index[i0, .., in], .., in]``."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


class Gather(Op):
    """out[i][j][k] = x[i][index[i][j][k]][k] (for dim=1);  the VJP scatter-adds g back along dim"""

    @staticmethod
    def forward(ctx, x, dim=0, index=None):
        ctx.dim, ctx.index, ctx.input_shape = dim, index, x.shape
        return x[_along_dim(index, dim)]

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.scatter_add(ctx.input_shape, ctx.dim, ctx.index, g)

    jvp = staticmethod(linear_jvp)


class ScatterAdd(Op):
    """zeros(shape) with ``out[..., index[i], ...] += values[i]`` along dim;  the VJP gathers g"""

    @staticmethod
    def forward(ctx, values, shape=(), dim=0, index=None):
        ctx.dim, ctx.index = dim, index
        out = np.zeros(shape, values.dtype)
        np.add.at(out, _along_dim(index, dim), values)
        return out

    @staticmethod
    def backward(ctx, g):
        return g[_along_dim(ctx.index, ctx.dim)]

    jvp = staticmethod(linear_jvp)


def _as_index_array(index, op_name):
    """An integer index (Tensor, array or list) as an int64 ndarray, or a clear error."""
    index = index._data if isinstance(index, Tensor) else np.asarray(index)
    if index.dtype.kind not in "iu":
        if index.size == 0:
            return index.astype(np.int64)
        raise RuntimeError(f"{op_name}(): expected an integer (int64) index, got dtype {index.dtype}")
    return index


def _check_bounds(index, size, dim, op_name):
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"{op_name}(): index {bad} is out of bounds for dimension {dim} with size {size}")


def gather(input, dim, index):
    """Values of `input` along `dim` at `index` (torch.gather):
    ``out[i][j] = input[index[i][j]][j]`` for dim=0, ``input[i][index[i][j]]`` for dim=1.

    `index` has input's number of dims and is no larger than input outside `dim`.
    """
    index = _as_index_array(index, "gather")
    ndim = np.ndim(input)
    dim = wrap_dim(dim, ndim, "gather()")
    shape = np.shape(input)
    if index.ndim != ndim:
        raise RuntimeError(
            f"gather(): index {index.shape} and input {tuple(shape)} must have the same number of dimensions"
        )
    for d in range(ndim):
        if d != dim and index.shape[d] > shape[d]:
            raise RuntimeError(
                f"gather(): size of index {index.shape} must not exceed the input's {tuple(shape)} "
                f"in dimension {d} (dimensions other than dim={dim})"
            )
    if ndim == 0:
        _check_bounds(index, 1, 0, "gather")
        return Select.apply(input, index=(Ellipsis,))
    _check_bounds(index, shape[dim], dim, "gather")
    return Gather.apply(input, dim=dim, index=index)


def index_select(input, dim, index):
    """The slices of `input` along `dim` at the positions in a 1-D integer `index` (torch.index_select)."""
    index = _as_index_array(index, "index_select")
    if index.ndim > 1:
        raise IndexError(f"index_select(): index must be 0-d or 1-d, got shape {index.shape}")
    ndim = np.ndim(input)
    dim = wrap_dim(dim, ndim, "index_select()")
    size = np.shape(input)[dim] if ndim else 1
    _check_bounds(index, size, dim, "index_select")
    index = index.reshape(-1)
    if ndim == 0:  # a 0-d input behaves as one element along dim 0
        return Index.apply(Select.apply(input, index=(None,)), index=(index,), unique=False)
    return Index.apply(input, index=(slice(None),) * dim + (index,), unique=False)


# ---------------------------------------------------------------------------
# masked_fill and index_put: out-of-place writes
# ---------------------------------------------------------------------------
class MaskedFill(Op):
    """x with `value` where mask is True;  d/dx = 1 where not filled, d/dvalue = sum of g where filled"""

    @staticmethod
    def forward(ctx, x, value, mask=None):
        if np.ndim(value) != 0:
            raise RuntimeError(
                f"masked_fill only supports a 0-dimensional value tensor, but got a tensor of shape {np.shape(value)}"
            )
        try:
            target = np.broadcast_shapes(mask.shape, x.shape)
        except ValueError:
            target = None
        if target != x.shape:
            raise RuntimeError(
                f"masked_fill: the mask of shape {mask.shape} must be broadcastable to the input's shape {x.shape}"
            )
        ctx.mask = mask
        # The value takes x's dtype (a float64 0-d value must not upcast a float32 x).
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        xp, mask = ctx.xp, ctx.mask
        want_x, want_value = ctx.needs_input_grad
        grad_x = xp.where(mask, 0, g) if want_x else None
        grad_value = xp.sum(xp.where(mask, g, 0)) if want_value else None
        return grad_x, grad_value

    jvp = staticmethod(linear_jvp)  # where(mask, t_value, t_x): linear in x and value together


def masked_fill(input, mask, value):
    """`input` with `value` wherever `mask` (bool, broadcastable to input's shape) is True."""
    mask = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {mask.dtype}")
    return MaskedFill.apply(input, value, mask=mask)


class IndexPut(Op):
    """A copy of x with x[index] = values (or += with accumulate);
    d/dx = g with zeros at index (g when accumulating), d/dvalues = g[index]"""
    name = "index_put"

    @staticmethod
    def forward(ctx, x, values, index=(), accumulate=False, unique=True):
        ctx.index, ctx.accumulate = index, accumulate
        out = x.copy()
        try:
            if accumulate and not unique:
                np.add.at(out, index, values)
            elif accumulate:
                out[index] += values
            else:
                out[index] = values
        except IndexError as error:
            raise IndexError(_torch_wording(error)) from None
        return out

    @staticmethod
    def backward(ctx, g):
        grad_x = grad_values = None
        if ctx.needs_input_grad[0]:
            # The overwritten positions get no gradient: g with zeros put there.
            grad_x = g if ctx.accumulate else ctx.xp.call(IndexPut, g, 0, index=ctx.index)
        if ctx.needs_input_grad[1]:
            grad_values = g[ctx.index]  # the engine sums it down to the shape values had
        return grad_x, grad_values

    jvp = staticmethod(linear_jvp)  # t_x with t_values put (or added) at index


def index_put(input, index, values, accumulate=False):
    """A copy of `input` with ``input[index] = values`` (``+=`` if `accumulate`), differentiable in both.

    `index` takes every form ``__getitem__`` does; `values` broadcasts to
    ``input[index]``'s shape and is cast to input's dtype.  (Where a non-accumulating
    index names a position twice, the last write wins and each write gets g there.)
    """
    index, advanced, unique = normalize_index(index)
    split = split_integers(index) if advanced else None
    if split is not None:  # torch's order: put into the selected part, then the part into the copy
        first, second = split
        part = index_put(Select.apply(input, index=first), second, values, accumulate)
        return IndexPut.apply(input, part, index=first, accumulate=False, unique=True)
    return IndexPut.apply(input, values, index=index, accumulate=accumulate, unique=unique)
