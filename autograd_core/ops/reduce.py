"""Reductions: sum, mean, prod, cumsum, max/min, amax/amin, argmax/argmin, all/any.

`dim` may be an int, a tuple of ints or None; as in torch, None and an empty
tuple both mean every dim.  ``keepdim=True`` keeps reduced dims as size 1.
VJPs first restore the reduced dims (`restore_dims`), then broadcast back to
the input shape.  var/std/norm live in `statistics.py` and the softmax family
in `softmax.py`.
"""
import math
from collections import namedtuple

import numpy as np

from .. import dtypes, kernels
from ..tensor import Tensor, make_tensor
from ._dims import normalize_dims, restore_dims
from .op import Op, linear_jvp

__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "cumsum", "max", "mean", "min", "prod", "sum",
]


def _squeeze(array, dims, keepdim):
    """Drop the reduced dims of a ``keepdims=True`` result unless `keepdim` (always an ndarray)."""
    return array if keepdim or not dims else np.squeeze(array, axis=dims)


def _data(input):
    """The ndarray of a Tensor, an ndarray or a Python number (for the non-differentiable reductions)."""
    if isinstance(input, Tensor):
        return input._data
    return np.asarray(input)


def _check_nonempty(x, dims):
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"Expected reduction dim {d} to have non-zero size (input shape {x.shape})")


def _integer_sum_dtype(x, dtype):
    """torch sums and multiplies bool and int tensors in int64 unless a dtype is given."""
    if dtype is None and x.dtype.kind in "biu":
        return dtypes.int64
    return dtype


# -- sum, mean, prod, cumsum --------------------------------------------------------
class Sum(Op):
    """sum over dims;  the gradient is broadcast back to every summed element"""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        dims = normalize_dims(dim, x.ndim)
        ctx.dims, ctx.keepdim, ctx.input_shape = dims, keepdim, x.shape
        if dtype is None and x.dtype.kind == "f":
            return kernels.sum_forward(x, dims, keepdim)  # Numba from 16K elements, where it measures faster
        return np.sum(x, axis=dims, keepdims=keepdim, dtype=_integer_sum_dtype(x, dtype))

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        return xp.broadcast_to(restore_dims(xp, g, ctx.dims, ctx.keepdim), ctx.input_shape)

    jvp = staticmethod(linear_jvp)  # the tangent summed the same way


class Mean(Op):
    """mean over dims;  d/dx_i = 1/n for each of the n averaged elements"""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        if dtype is None and x.dtype.kind not in "fc":
            raise RuntimeError(  # torch's class
                f"mean(): could not infer output dtype. Input dtype must be a floating point dtype, got {x.dtype} "
                "(pass dtype= or convert the input with .float())"
            )
        dims = normalize_dims(dim, x.ndim)
        ctx.dims, ctx.keepdim, ctx.input_shape = dims, keepdim, x.shape
        ctx.count = math.prod([x.shape[d] for d in dims])
        if dtype is None:
            return kernels.mean_forward(x, dims, keepdim)  # Numba from 16K elements, where it measures faster
        return np.mean(x, axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        g = restore_dims(xp, g, ctx.dims, ctx.keepdim) / ctx.count
        return xp.broadcast_to(g, ctx.input_shape)

    jvp = staticmethod(linear_jvp)


class Prod(Op):
    """product over dims;  d/dx_i = product of the other elements (exact when some x_j are 0)"""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        dims = normalize_dims(dim, x.ndim)
        ctx.dims, ctx.keepdim = dims, keepdim
        out = _squeeze(np.asarray(np.prod(x, axis=dims, keepdims=True, dtype=_integer_sum_dtype(x, dtype))),
                       dims, keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _times_prod_partials(ctx.xp, restore_dims(ctx.xp, g, ctx.dims, ctx.keepdim), x, out, ctx.dims,
                                    ctx.keepdim)

    @staticmethod
    def jvp(ctx, t):
        # sum_i t_i d(prod)/dx_i over the reduced dims: the VJP's partials, summed against t.
        x, xp = ctx.inputs[0], ctx.xp
        return xp.sum(_times_prod_partials(xp, t, x, ctx.output, ctx.dims, ctx.keepdim), axis=ctx.dims,
                      keepdims=ctx.keepdim)


def _times_prod_partials(xp, g, x, out, dims, keepdim):
    """g (broadcastable to x) times d prod / dx_i, exact when some x_j are 0."""
    is_zero = xp.value(x) == 0
    if not is_zero.any():
        return g * restore_dims(xp, out, dims, keepdim) / x
    # With zeros, out / x is 0/0.  The product of the nonzero elements of a slice,
    # p, gives every case: no zero -> p / x_i; one zero -> p at the zero, 0 elsewhere;
    # two or more zeros -> 0 everywhere.
    zero_count = np.sum(is_zero, axis=dims, keepdims=True)
    x_safe = xp.where(is_zero, 1, x)
    nonzero_product = xp.call(Prod, x_safe, dim=dims, keepdim=True)
    # In a slice with one zero x_k, d/dx_i = x_k p / x_i for i != k: 0 in value (x_k = 0),
    # but its derivative by x_k (p / x_i) is what a second derivative needs.
    zero_value = xp.sum(x * is_zero, axis=dims, keepdims=True)
    scale = ((zero_count == 0) / x_safe + (is_zero & (zero_count == 1))
             + ((zero_count == 1) & ~is_zero) * zero_value / x_safe)
    return g * nonzero_product * scale


class Cumsum(Op):
    """running sum along dim;  the gradient is the running sum of g taken from the end"""

    @staticmethod
    def forward(ctx, x, dim=0, dtype=None, reverse=False):
        dims = normalize_dims(dim, x.ndim)
        dtype = _integer_sum_dtype(x, dtype)
        ctx.reverse = reverse
        if not dims:  # a 0-d tensor: its running sum is itself
            ctx.axis = None
            return np.array(x, dtype=dtype)
        (ctx.axis,) = dims
        return _running_sum(x, ctx.axis, dtype, reverse)

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is None:
            return g
        return ctx.xp.call(Cumsum, g, dim=ctx.axis, reverse=not ctx.reverse)

    jvp = staticmethod(linear_jvp)  # the running sum of the tangent


def _running_sum(x, axis, dtype, reverse):
    if not reverse:
        return np.cumsum(x, axis=axis, dtype=dtype)
    return np.ascontiguousarray(np.flip(np.cumsum(np.flip(x, axis), axis=axis, dtype=dtype), axis))


def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum over `dim` (int, tuple or None: all); bool and int tensors sum in int64."""
    return Sum.apply(input, dim=dim, keepdim=keepdim, dtype=dtypes.as_dtype(dtype))


def mean(input, dim=None, keepdim=False, dtype=None):
    """Mean over `dim` (int, tuple or None: all); the input must be float unless `dtype` is given."""
    return Mean.apply(input, dim=dim, keepdim=keepdim, dtype=dtypes.as_dtype(dtype))


def prod(input, dim=None, keepdim=False, dtype=None):
    """Product over `dim` (int, tuple or None: all);  d/dx_i = prod_{j != i} x_j."""
    return Prod.apply(input, dim=dim, keepdim=keepdim, dtype=dtypes.as_dtype(dtype))


def cumsum(input, dim, dtype=None):
    """Running sum along `dim`: out_i = x_0 + ... + x_i."""
    return Cumsum.apply(input, dim=dim, dtype=dtypes.as_dtype(dtype))


# -- max and min ------------------------------------------------------------------
class Amax(Op):
    """max over dims;  the gradient is split evenly among the elements equal to the max (torch)"""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        return _extreme_forward(ctx, x, dim, keepdim, np.max)

    @staticmethod
    def backward(ctx, g):
        return _extreme_backward(ctx, g)

    @staticmethod
    def jvp(ctx, t):
        return _extreme_jvp(ctx, t)


class Amin(Op):
    """min over dims;  the gradient is split evenly among the elements equal to the min (torch)"""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        return _extreme_forward(ctx, x, dim, keepdim, np.min)

    @staticmethod
    def backward(ctx, g):
        return _extreme_backward(ctx, g)

    @staticmethod
    def jvp(ctx, t):
        return _extreme_jvp(ctx, t)


def _extreme_forward(ctx, x, dim, keepdim, reduce):
    dims = normalize_dims(dim, x.ndim)
    _check_nonempty(x, dims)
    peak = reduce(x, axis=dims, keepdims=True)
    ctx.dims, ctx.keepdim = dims, keepdim
    ctx.save_for_backward(x, peak)
    return _squeeze(peak, dims, keepdim)


def _extreme_backward(ctx, g):
    x, peak = (ctx.xp.value(value) for value in ctx.saved_tensors)
    return restore_dims(ctx.xp, g, ctx.dims, ctx.keepdim) * _extreme_share(x, peak, ctx.dims)


def _extreme_share(x, peak, dims):
    """Which elements attain the extreme (a NaN extreme is attained by the NaNs), each
    getting an equal share: a constant, since the selection does not move under
    small changes of x."""
    winners = (x == peak) | (np.isnan(x) & np.isnan(peak))
    return np.divide(winners, np.sum(winners, axis=dims, keepdims=True), dtype=x.dtype)


def _extreme_jvp(ctx, t):
    """The mean of the tangent over the elements that attain the extreme."""
    xp = ctx.xp
    x = xp.value(ctx.inputs[0])
    peak = restore_dims(np, xp.value(ctx.output), ctx.dims, ctx.keepdim)
    return xp.sum(t * _extreme_share(x, peak, ctx.dims), axis=ctx.dims, keepdims=ctx.keepdim)


class TakeAlongDim(Op):
    """x at one given index per slice along dim (max/min with dim);  the gradient goes to that index"""

    @staticmethod
    def forward(ctx, x, index=None, dim=0, keepdim=False):
        ctx.index, ctx.dim, ctx.keepdim, ctx.input_shape = index, dim, keepdim, x.shape
        return _squeeze(np.take_along_axis(x, index, dim), (dim,), keepdim)

    @staticmethod
    def backward(ctx, g):
        if not ctx.keepdim:
            g = ctx.xp.expand_dims(g, (ctx.dim,))
        chosen = np.zeros(ctx.input_shape, bool)  # a constant: where each slice's value came from
        np.put_along_axis(chosen, ctx.index, True, ctx.dim)
        return g * chosen

    jvp = staticmethod(linear_jvp)  # the tangent at the same index


class Max(TakeAlongDim):
    """max along one dim, with its index"""


class Min(TakeAlongDim):
    """min along one dim, with its index"""


#: What ``max(x, dim)`` returns: unpacks as ``values, indices`` (torch.return_types.max).
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
# Printed as torch prints them ("max(values=..., indices=...)"), pickled under their own names.
MaxResult.__qualname__, MinResult.__qualname__ = "MaxResult", "MinResult"


def _extreme_along(input, dim, keepdim, largest):
    name = "max" if largest else "min"
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): dim must be an int, got {dim!r} (use amax/amin to reduce several dims)")
    x = _data(input)
    dims = normalize_dims(dim, x.ndim, name)
    result = MaxResult if largest else MinResult
    if not dims:  # a 0-d tensor: its own max, at index 0
        values = (Amax if largest else Amin).apply(input)
        return result(values, make_tensor(np.zeros((), dtypes.int64)))
    (axis,) = dims
    if x.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size (input shape {x.shape})")
    index = (np.argmax if largest else np.argmin)(x, axis=axis, keepdims=True)
    values = (Max if largest else Min).apply(input, index=index, dim=axis, keepdim=keepdim)
    return result(values, make_tensor(_squeeze(index, dims, keepdim)))


def _full_extreme(input, largest):
    if _data(input).size == 0:
        name = "max" if largest else "min"
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )
    return (Amax if largest else Amin).apply(input)


def max(input, dim=None, keepdim=False, *, other=None):
    """Largest element (0-d; gradient split among ties), or with an int `dim` a
    ``(values, indices)`` pair (gradient to the index);  ``max(a, b)`` of two tensors is `maximum`."""
    if isinstance(dim, Tensor) or other is not None:
        from .elementwise import maximum

        return maximum(input, dim if other is None else other)
    if dim is None:
        return _full_extreme(input, largest=True)
    return _extreme_along(input, dim, keepdim, largest=True)


def min(input, dim=None, keepdim=False, *, other=None):
    """Smallest element (0-d; gradient split among ties), or with an int `dim` a
    ``(values, indices)`` pair (gradient to the index);  ``min(a, b)`` of two tensors is `minimum`."""
    if isinstance(dim, Tensor) or other is not None:
        from .elementwise import minimum

        return minimum(input, dim if other is None else other)
    if dim is None:
        return _full_extreme(input, largest=False)
    return _extreme_along(input, dim, keepdim, largest=False)


def amax(input, dim=(), keepdim=False):
    """Largest value over `dim` (int or tuple; () = all);  the gradient is split evenly among ties."""
    return Amax.apply(input, dim=dim, keepdim=keepdim)


def amin(input, dim=(), keepdim=False):
    """Smallest value over `dim` (int or tuple; () = all);  the gradient is split evenly among ties."""
    return Amin.apply(input, dim=dim, keepdim=keepdim)


# -- indices and truth values (not differentiable) -------------------------------------
def _arg_extreme(input, dim, keepdim, largest):
    name = "argmax" if largest else "argmin"
    find = np.argmax if largest else np.argmin
    x = _data(input)
    if dim is None:
        if x.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        index = np.asarray(find(x), dtypes.int64)
        return make_tensor(index.reshape((1,) * x.ndim) if keepdim else index)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): dim must be an int or None, got {dim!r}")
    dims = normalize_dims(dim, x.ndim, name)
    if not dims:
        return make_tensor(np.zeros((), dtypes.int64))
    if x.shape[dims[0]] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dims[0]} to have non-zero size (input shape {x.shape})")
    return make_tensor(np.asarray(find(x, axis=dims[0], keepdims=keepdim), dtypes.int64))


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor if `dim` is None; the first one on ties)."""
    return _arg_extreme(input, dim, keepdim, largest=True)


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened tensor if `dim` is None; the first one on ties)."""
    return _arg_extreme(input, dim, keepdim, largest=False)


def _truth_reduce(reduce, input, dim, keepdim, name):
    x = _data(input)
    # Unlike the other reductions, torch's all/any treat an empty dim tuple as "no dims".
    empty = dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 0
    dims = () if empty else normalize_dims(dim, x.ndim, name)
    return make_tensor(np.asarray(reduce(x, axis=dims, keepdims=keepdim)))


def all(input, dim=None, keepdim=False):
    """True where every element over `dim` is nonzero (bool result)."""
    return _truth_reduce(np.all, input, dim, keepdim, "all")


def any(input, dim=None, keepdim=False):
    """True where some element over `dim` is nonzero (bool result)."""
    return _truth_reduce(np.any, input, dim, keepdim, "any")
