"""The softmax family: softmax, log_softmax, logsumexp.

All three are numerically stable (the maximum is subtracted before exp, in
`kernels`), so logits of magnitude 1e4 give finite results.  Their VJPs are
written in terms of the saved *output*, which keeps them cheap and makes them
differentiable again under ``create_graph=True``.
"""
import warnings

import numpy as np

from .. import dtypes, kernels
from .op import Op
from ._dims import normalize_dims, restore_dims

__all__ = ["log_softmax", "logsumexp", "softmax"]


def _softmax_axis(input, dim, name):
    """The one axis softmax normalises over (None for a 0-d tensor, whose softmax is 1)."""
    if dim is None:
        dim = _legacy_softmax_dim(input, name)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): dim must be an int, got {dim!r}")
    dims = normalize_dims(dim, np.ndim(getattr(input, "_data", input)), name)
    return dims[0] if dims else None


def _normalise_along(kernel, x, axis, dtype):
    """Run a row kernel along `axis` (None: a 0-d input, treated as one row of one element)."""
    if dtype is not None:
        x = x.astype(dtype, copy=False)
    if axis is None:
        return kernel(x.reshape(1), 0).reshape(())
    return kernel(x, axis)


class Softmax(Op):
    """y = e^x / sum(e^x) along dim;  dx = y * (g - sum(g * y))"""
    float_only = True

    @staticmethod
    def forward(ctx, x, axis=None, dtype=None):
        ctx.axis = axis
        y = _normalise_along(kernels.softmax_forward, x, axis, dtype)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return _softmax_vjp(ctx.xp, g, y, ctx.axis)

    @staticmethod
    def jvp(ctx, t):
        # The softmax Jacobian diag(y) - y y^T is symmetric: its JVP is its VJP.
        return _softmax_vjp(ctx.xp, t, ctx.output, ctx.axis)


def _softmax_vjp(xp, g, y, axis):
    """(diag(y) - y y^T) g along `axis`:  y * (g - sum(g * y))."""
    weighted = g * y
    return weighted - y * xp.sum(weighted, axis=axis, keepdims=True)


class LogSoftmax(Op):
    """y = x - log(sum(e^x)) along dim;  dx = g - e^y * sum(g)"""
    float_only = True

    @staticmethod
    def forward(ctx, x, axis=None, dtype=None):
        ctx.axis = axis
        y = _normalise_along(kernels.log_softmax_forward, x, axis, dtype)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        xp = ctx.xp
        return g - xp.exp(y) * xp.sum(g, axis=ctx.axis, keepdims=True)

    @staticmethod
    def jvp(ctx, t):
        # dy = t - sum(softmax(x) * t), softmax(x) = e^y
        xp = ctx.xp
        return t - xp.sum(xp.exp(ctx.output) * t, axis=ctx.axis, keepdims=True)


class Logsumexp(Op):
    """y = log(sum(e^x)) over dims;  dx = g * e^(x - y)"""
    float_only = True

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        dims = normalize_dims(dim, x.ndim)
        ctx.dims, ctx.keepdim = dims, keepdim
        # An ndarray, not a numpy scalar: the engine recognises the saved output by identity.
        y = np.asarray(kernels.logsumexp_forward(x, dims, keepdim))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        xp, dims, keepdim = ctx.xp, ctx.dims, ctx.keepdim
        return restore_dims(xp, g, dims, keepdim) * xp.exp(x - restore_dims(xp, y, dims, keepdim))

    @staticmethod
    def jvp(ctx, t):
        # d logsumexp = sum(softmax(x) * t) over dims
        xp, dims, keepdim = ctx.xp, ctx.dims, ctx.keepdim
        weights = xp.exp(ctx.inputs[0] - restore_dims(xp, ctx.output, dims, keepdim))
        return xp.sum(weights * t, axis=dims, keepdims=keepdim)


def _legacy_softmax_dim(input, name):
    """torch's implicit dim for ``softmax(x)`` without dim (deprecated there too): 0 for 0-, 1- and 3-d."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning, stacklevel=4,
    )
    return 0 if np.ndim(getattr(input, "_data", input)) in (0, 1, 3) else 1


def softmax(input, dim=None, dtype=None):
    """e^x / sum(e^x) along `dim` (computed in `dtype` if given);  stable for large logits."""
    return Softmax.apply(input, axis=_softmax_axis(input, dim, "softmax"), dtype=dtypes.as_dtype(dtype))


def log_softmax(input, dim=None, dtype=None):
    """x - logsumexp(x) along `dim` (computed in `dtype` if given);  stable for large logits."""
    return LogSoftmax.apply(input, axis=_softmax_axis(input, dim, "log_softmax"), dtype=dtypes.as_dtype(dtype))


def logsumexp(input, dim, keepdim=False):
    """log(sum(e^x)) over `dim` (int or tuple), computed without overflow."""
    return Logsumexp.apply(input, dim=dim, keepdim=keepdim)
