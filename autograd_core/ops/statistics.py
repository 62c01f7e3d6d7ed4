"""Spread and size of values: var, std and the vector norm.

var/std follow torch: ``correction`` (default 1, Bessel's) is subtracted from
the element count, ``unbiased=False`` means correction 0.  norm is torch's
vector norm (``p`` = 2/'fro', 1, inf, -inf, 0 or any other real).
"""
import math
import warnings

import numpy as np

from .op import Op
from ._dims import normalize_dims, restore_dims
from .reduce import Amax, Amin, Sum

__all__ = ["norm", "std", "var"]


def _check_float(x, name):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name} only supports floating point dtypes, got {x.dtype}")  # torch's class


def _variance(ctx, x, dim, correction, keepdim, name):
    """Forward of var (and the first half of std): sum((x - mean)^2) / (n - correction)."""
    _check_float(x, name)
    dims = normalize_dims(dim, x.ndim)
    count = math.prod([x.shape[d] for d in dims])
    degrees = count - correction
    if degrees <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0 (correction {correction} for {count} elements)",
                      UserWarning, stacklevel=4)
        degrees = max(degrees, 0)
    centered = x - np.mean(x, axis=dims, keepdims=True)
    ctx.dims, ctx.keepdim, ctx.count, ctx.degrees = dims, keepdim, count, degrees
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.sum(centered * centered, axis=dims, keepdims=keepdim) / degrees)


def _variance_backward(ctx, g, x):
    """d var / dx_i = 2 (x_i - mean) / (n - correction)."""
    xp = ctx.xp
    # x - mean is recomputed from x itself (not saved), so that second derivatives flow through the mean.
    centered = x - xp.sum(x, axis=ctx.dims, keepdims=True) / ctx.count
    with np.errstate(divide="ignore", invalid="ignore"):
        return restore_dims(xp, g, ctx.dims, ctx.keepdim) * centered * (2 / ctx.degrees if ctx.degrees else np.inf)


def _variance_jvp(ctx, t, x):
    """d var = 2 / (n - correction) * sum((x - mean) t) over the reduced dims."""
    xp = ctx.xp
    centered = x - xp.sum(x, axis=ctx.dims, keepdims=True) / ctx.count
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.sum(centered * t, axis=ctx.dims, keepdims=ctx.keepdim) * (2 / ctx.degrees if ctx.degrees else np.inf)


class Var(Op):
    """sum((x - mean)^2) / (n - correction) over dims;  dx = g * 2 (x - mean) / (n - correction)"""

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        out = _variance(ctx, x, dim, correction, keepdim, "var")
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _variance_backward(ctx, g, x)

    @staticmethod
    def jvp(ctx, t):
        return _variance_jvp(ctx, t, ctx.inputs[0])


class Std(Op):
    """sqrt(var);  dx = g / (2 std) * d var/dx, and 0 where std == 0 (as torch)"""

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        variance = _variance(ctx, x, dim, correction, keepdim, "std")
        out = np.asarray(np.sqrt(variance))
        zero = out == 0
        ctx.save_for_backward(x, out, zero)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out, zero = ctx.saved_tensors
        # Where std is 0 torch gives gradient 0: mask g there, and add 1 to the divisor so
        # that it stays finite (also inside a create_graph backward).
        return _variance_backward(ctx, g * ~zero / (2 * (out + zero)), x)

    @staticmethod
    def jvp(ctx, t):
        # d std = d var / (2 std), and 0 where std == 0 (as the VJP)
        out = ctx.output
        zero = ctx.xp.value(out) == 0
        return _variance_jvp(ctx, t, ctx.inputs[0]) * ~zero / (2 * (out + zero))


class Norm(Op):
    """(sum |x|^p)^(1/p) over dims;  dx = g * sign(x) |x|^(p-1) / norm^(p-1)  (0 where norm == 0)"""

    @staticmethod
    def forward(ctx, x, p=2.0, dim=None, keepdim=False):
        dims = normalize_dims(dim, x.ndim)
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        if p == 0:  # the number of nonzero elements; its gradient is 0
            ctx.input_shape = x.shape
            return np.asarray(np.sum(x != 0, axis=dims, keepdims=keepdim), x.dtype)
        if p == 2:
            out = np.sqrt(np.sum(x * x, axis=dims, keepdims=keepdim))
        else:
            out = np.sum(np.abs(x) ** p, axis=dims, keepdims=keepdim) ** (1 / p)
        out = np.asarray(out)
        ctx.save_for_backward(x, out, out == 0)
        return out

    @staticmethod
    def backward(ctx, g):
        xp, dims, keepdim, p = ctx.xp, ctx.dims, ctx.keepdim, ctx.p
        if p == 0:
            return xp.broadcast_to(restore_dims(xp, g, dims, keepdim) * 0, ctx.input_shape)
        x, out, zero = ctx.saved_tensors
        return _times_norm_partials(xp, restore_dims(xp, g, dims, keepdim), x, out, zero, dims, keepdim, p)

    @staticmethod
    def jvp(ctx, t):
        # sum_i t_i d norm / dx_i over the reduced dims
        xp, dims, keepdim, p = ctx.xp, ctx.dims, ctx.keepdim, ctx.p
        if p == 0:
            return None  # a count: its tangent is 0
        x, out = ctx.inputs[0], ctx.output
        partials = _times_norm_partials(xp, t, x, out, _array(out) == 0, dims, keepdim, p)
        return xp.sum(partials, axis=dims, keepdims=keepdim)


def _times_norm_partials(xp, g, x, out, zero, dims, keepdim, p):
    """g (broadcastable to x) times d norm / dx_i: sign(x) |x|^(p-1) / norm^(p-1) (0 where norm == 0)."""
    # Adding the (0/1) zero mask keeps divisors nonzero: where norm == 0 all x are 0 and
    # the numerator already is 0, which is torch's subgradient.
    divisor = restore_dims(xp, out + zero, dims, keepdim)
    if p == 2:
        return g * x / divisor
    x_is_zero = _array(x) == 0
    return g * xp.sign(x) * (xp.abs(x) + x_is_zero) ** (p - 1) / divisor ** (p - 1)


def _array(value):
    return getattr(value, "_data", value)


def _correction(dim, unbiased, correction):
    """torch's overloads: ``var(x, False)`` passes `unbiased` first; `correction` wins over `unbiased`."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased else 0
    return dim, correction


def var(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Variance over `dim`: sum((x - mean)^2) / (n - correction), correction 1 by default."""
    dim, correction = _correction(dim, unbiased, correction)
    return Var.apply(input, dim=dim, correction=correction, keepdim=keepdim)


def std(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Standard deviation over `dim`: sqrt(var); gradient 0 where it is 0 (as torch)."""
    dim, correction = _correction(dim, unbiased, correction)
    return Std.apply(input, dim=dim, correction=correction, keepdim=keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector norm over `dim` (None: all elements): (sum |x|^p)^(1/p); p may be 'fro' (= 2),
    inf (max |x|), -inf (min |x|), 0 (count of nonzeros) or any other real number."""
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(f"norm: only vector norms are supported: p must be 'fro' or a number, got {p!r}")
        p = 2.0
    if not isinstance(p, (int, float, np.integer, np.floating)) or isinstance(p, bool):
        raise TypeError(f"norm: p must be a number or 'fro', got {type(p).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    x = getattr(input, "_data", input)
    _check_float(np.asarray(x), "norm")
    p = float(p)
    if p == math.inf:
        return Amax.apply(input.abs(), dim=dim, keepdim=keepdim)
    if p == -math.inf:
        return Amin.apply(input.abs(), dim=dim, keepdim=keepdim)
    if p == 1:
        return Sum.apply(input.abs(), dim=dim, keepdim=keepdim)
    return Norm.apply(input, p=p, dim=dim, keepdim=keepdim)
