"""numpy reference implementations of the activation kernels (forward and backward).

Forward functions take the input ``x``; backward functions take the output
gradient ``g`` and what the forward saved (the input ``x`` or the output ``y``).
All keep the input dtype (float32 stays float32).
"""
import math

import numpy as np


def relu_forward(x):
    """max(x, 0)"""
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_backward(g, y):
    """d relu / dx = 1 where the output is positive, else 0."""
    return np.where(y > 0, g, 0).astype(g.dtype, copy=False)


def leaky_relu_forward(x, negative_slope):
    """x if x > 0 else negative_slope * x"""
    return np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)


def leaky_relu_backward(g, x, negative_slope):
    """g if x > 0 else negative_slope * g"""
    return np.where(x > 0, g, g * negative_slope).astype(g.dtype, copy=False)


def elu_forward(x, alpha):
    """x if x > 0 else alpha (e^x - 1)"""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


def elu_backward(g, x, alpha):
    """g if x > 0 else g alpha e^x"""
    return np.where(x > 0, g, g * alpha * np.exp(np.minimum(x, 0))).astype(g.dtype, copy=False)


def sigmoid_forward(x):
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_backward(g, y):
    """g y (1 - y), y the saved output"""
    return g * y * (1 - y)


def tanh_forward(x):
    """tanh(x)"""
    return np.tanh(x)


def tanh_backward(g, y):
    """g (1 - y^2), y the saved output"""
    return g * (1 - y * y)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _erf(x):
    from .special import erf

    return erf(x)


def gelu_forward(x, approximate="none"):
    """x Phi(x) (approximate='none') or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))"""
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype, copy=False)
    return (0.5 * x * (1 + _erf(x * _INV_SQRT_2))).astype(x.dtype, copy=False)


def gelu_backward(g, x, approximate="none"):
    """g d/dx gelu(x)"""
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        t = np.tanh(inner)
        d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
        return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)).astype(g.dtype, copy=False)
    cdf = 0.5 * (1 + _erf(x * _INV_SQRT_2))
    pdf = np.exp(-0.5 * x * x) * _INV_SQRT_2PI
    return (g * (cdf + x * pdf)).astype(g.dtype, copy=False)


def softplus_forward(x, beta, threshold):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as torch)."""
    scaled = x * beta
    soft = np.logaddexp(0, scaled) / beta
    return np.where(scaled > threshold, x, soft).astype(x.dtype, copy=False)


def softplus_backward(g, x, beta, threshold):
    """g sigmoid(beta x), and g where beta x > threshold"""
    scaled = x * beta
    return np.where(scaled > threshold, g, g * sigmoid_forward(scaled)).astype(g.dtype, copy=False)


# -- softmax family -------------------------------------------------------------
# All three subtract the maximum first, so exp() never overflows: logits of
# magnitude 1e4 give finite, exact results in float32.
def softmax_forward(x, axis):
    """e^(x - max) / sum(e^(x - max)) along `axis` (an int)."""
    out = np.subtract(x, np.max(x, axis=axis, keepdims=True))
    np.exp(out, out=out)
    out /= np.sum(out, axis=axis, keepdims=True)
    return out


def log_softmax_forward(x, axis):
    """(x - max) - log(sum(e^(x - max))) along `axis` (an int)."""
    shifted = np.subtract(x, np.max(x, axis=axis, keepdims=True))
    total = np.sum(np.exp(shifted), axis=axis, keepdims=True)
    shifted -= np.log(total)
    return shifted


def logsumexp_forward(x, axes, keepdims):
    """log(sum(e^x)) over `axes` (a tuple); an infinite maximum is not subtracted (as torch),
    so all -inf gives -inf and any +inf gives +inf.  Reducing an empty axis gives -inf."""
    peak = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    peak = np.where(np.isfinite(peak), peak, 0).astype(x.dtype, copy=False)
    total = np.sum(np.exp(x - peak), axis=axes, keepdims=True)
    with np.errstate(divide="ignore"):
        out = np.log(total)
    out += peak
    return np.asarray(out if keepdims else np.squeeze(out, axis=axes))
