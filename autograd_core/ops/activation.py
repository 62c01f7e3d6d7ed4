"""Activation functions as ops: tanh, sigmoid, relu, leaky_relu, elu, gelu, softplus.

Their forward and plain backward call `kernels` (numpy or Numba, whichever was
measured faster); under ``create_graph=True`` the VJP is written in engine ops so
it can be differentiated again.
"""
import numpy as np

from .. import kernels
from .elementwise import erf
from .op import Op

__all__ = ["elu", "gelu", "leaky_relu", "relu", "sigmoid", "softplus", "tanh"]


# -- activations ----------------------------------------------------------------
class Tanh(Op):
    """tanh(x);  d/dx = 1 - tanh(x)^2"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        y = kernels.tanh_forward(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if not ctx.create_graph:
            return kernels.tanh_backward(g, y)
        return g * (1 - y * y)


class Sigmoid(Op):
    """sigma(x) = 1 / (1 + e^-x);  d/dx = sigma(x) (1 - sigma(x))"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        y = kernels.sigmoid_forward(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if not ctx.create_graph:
            return kernels.sigmoid_backward(g, y)
        return g * y * (1 - y)


class Relu(Op):
    """max(x, 0);  d/dx = 1 where x > 0, else 0"""

    @staticmethod
    def forward(ctx, x):
        y = kernels.relu_forward(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if not ctx.create_graph:
            return kernels.relu_backward(g, y)
        return g * (y._data > 0)


class LeakyRelu(Op):
    """x if x > 0 else slope * x;  d/dx = 1 or slope"""
    name = "leaky_relu"

    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        ctx.negative_slope = negative_slope
        ctx.save_for_backward(x)
        return kernels.leaky_relu_forward(x, negative_slope)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not ctx.create_graph:
            return kernels.leaky_relu_backward(g, x, ctx.negative_slope)
        positive = x._data > 0
        return g * np.where(positive, 1.0, ctx.negative_slope).astype(x.dtype)


class Elu(Op):
    """x if x > 0 else alpha (e^x - 1);  d/dx = 1 or alpha e^x"""

    @staticmethod
    def forward(ctx, x, alpha=1.0):
        ctx.alpha = alpha
        ctx.save_for_backward(x)
        return kernels.elu_forward(x, alpha)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not ctx.create_graph:
            return kernels.elu_backward(g, x, ctx.alpha)
        xp = ctx.xp
        positive = x._data > 0
        return g * xp.where(positive, 1.0, ctx.alpha * xp.exp(x))


class Gelu(Op):
    """x Phi(x) with Phi the standard normal CDF (approximate='none') or its tanh form."""

    @staticmethod
    def forward(ctx, x, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        ctx.approximate = approximate
        ctx.save_for_backward(x)
        return kernels.gelu_forward(x, approximate)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not ctx.create_graph:
            return kernels.gelu_backward(g, x, ctx.approximate)
        xp = ctx.xp
        if ctx.approximate == "tanh":
            c = float(np.sqrt(2 / np.pi))
            inner = c * (x + 0.044715 * x * x * x)
            t = xp.tanh(inner)
            d_inner = c * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
        cdf = 0.5 * (1 + erf(x * float(1 / np.sqrt(2))))
        pdf = xp.exp(-0.5 * x * x) * float(1 / np.sqrt(2 * np.pi))
        return g * (cdf + x * pdf)


class Softplus(Op):
    """log(1 + e^(beta x)) / beta, linear above `threshold`;  d/dx = sigmoid(beta x)"""

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(x)
        return kernels.softplus_forward(x, beta, threshold)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not ctx.create_graph:
            return kernels.softplus_backward(g, x, ctx.beta, ctx.threshold)
        linear = x._data * ctx.beta > ctx.threshold
        return g * ctx.xp.where(linear, 1.0, (x * ctx.beta).sigmoid())


# -- public functions -------------------------------------------------------------
def tanh(input):
    return Tanh.apply(input)


def sigmoid(input):
    return Sigmoid.apply(input)


def relu(input):
    return Relu.apply(input)


def leaky_relu(input, negative_slope=0.01):
    return LeakyRelu.apply(input, negative_slope=negative_slope)


def elu(input, alpha=1.0):
    return Elu.apply(input, alpha=alpha)


def gelu(input, approximate="none"):
    return Gelu.apply(input, approximate=approximate)


def softplus(input, beta=1.0, threshold=20.0):
    return Softplus.apply(input, beta=beta, threshold=threshold)
