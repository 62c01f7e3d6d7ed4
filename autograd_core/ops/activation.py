"""Activation functions as ops: tanh, sigmoid, relu, leaky_relu, elu, gelu, softplus.

Each is an `Activation`: it names its kernels (numpy or Numba, whichever was
measured faster, see `kernels/`) and states its derivative once, in ``xp``
operations.  The plain backward runs the backward kernel, which computes exactly
``g * derivative`` in one pass (tests/kernels check each kernel against numpy);
under ``create_graph=True`` the engine runs the rule itself on Tensors, so it can
be differentiated again.
"""
import math
import numbers

import numpy as np

from .. import kernels
from .elementwise import erf
from .op import Op

__all__ = ["elu", "gelu", "leaky_relu", "relu", "sigmoid", "softplus", "tanh"]


class Activation(Op):
    """y = f(x, *parameters), elementwise;  the VJP is ``g * derivative(xp, saved, *parameters)``.

    A subclass sets
      ``forward_kernel(x, *parameters)`` and ``backward_kernel(g, saved, *parameters)``;
      ``parameters``: the names of its keyword parameters, in the kernels' order;
      ``saves_output``: True when the derivative is written in y (tanh, sigmoid, relu), else in x;
      ``derivative(xp, saved, *parameters)``: f', in xp operations (the rule).
    """
    parameters = ()
    saves_output = False

    @classmethod
    def forward(cls, ctx, x, **parameters):
        if cls.parameters:
            values = ctx.parameters = tuple([parameters[name] for name in cls.parameters])
            y = cls.forward_kernel(x, *values)
        else:  # tanh, sigmoid, relu: the common case, without building a tuple
            y = cls.forward_kernel(x)
        ctx.save_for_backward(y if cls.saves_output else x)
        return y

    @classmethod
    def backward(cls, ctx, g):
        (saved,) = ctx.saved_tensors
        return g * cls.derivative(ctx.xp, saved, *_parameters_of(cls, ctx))

    @classmethod
    def plain_backward(cls, ctx, g):
        (saved,) = ctx.saved_tensors
        if not cls.parameters:  # once per node in every backward: no tuple to unpack
            return cls.backward_kernel(g, saved)
        return cls.backward_kernel(g, saved, *ctx.parameters)

    @classmethod
    def jvp(cls, ctx, t):
        # Elementwise, so the JVP is the VJP's product with the tangent in place of g.
        saved = ctx.output if cls.saves_output else ctx.inputs[0]
        return t * cls.derivative(ctx.xp, saved, *_parameters_of(cls, ctx))

    @staticmethod
    def derivative(xp, saved, *parameters):
        raise NotImplementedError


def _parameters_of(activation, ctx):
    """The parameter values forward kept on `ctx` (it keeps none for an activation without any)."""
    return ctx.parameters if activation.parameters else ()


class Tanh(Activation):
    """tanh(x);  d/dx = 1 - tanh(x)^2"""
    float_only = True
    saves_output = True
    forward_kernel = staticmethod(kernels.tanh_forward)
    backward_kernel = staticmethod(kernels.tanh_backward)

    @staticmethod
    def derivative(xp, y):
        return 1 - y * y


class Sigmoid(Activation):
    """sigma(x) = 1 / (1 + e^-x);  d/dx = sigma(x) (1 - sigma(x))"""
    float_only = True
    saves_output = True
    forward_kernel = staticmethod(kernels.sigmoid_forward)
    backward_kernel = staticmethod(kernels.sigmoid_backward)

    @staticmethod
    def derivative(xp, y):
        return y * (1 - y)


class Relu(Activation):
    """max(x, 0);  d/dx = 1 where x > 0, else 0"""
    saves_output = True
    forward_kernel = staticmethod(kernels.relu_forward)
    backward_kernel = staticmethod(kernels.relu_backward)

    @staticmethod
    def derivative(xp, y):
        return xp.value(y) > 0  # a constant mask: it does not move under small changes of x


class LeakyRelu(Activation):
    """x if x > 0 else slope * x;  d/dx = 1 or slope"""
    name = "leaky_relu"
    parameters = ("negative_slope",)
    forward_kernel = staticmethod(kernels.leaky_relu_forward)
    backward_kernel = staticmethod(kernels.leaky_relu_backward)

    @staticmethod
    def derivative(xp, x, negative_slope):
        return np.where(xp.value(x) > 0, 1.0, negative_slope).astype(x.dtype)  # a constant


class Elu(Activation):
    """x if x > 0 else alpha (e^x - 1);  d/dx = 1 or alpha e^x"""
    parameters = ("alpha",)
    forward_kernel = staticmethod(kernels.elu_forward)
    backward_kernel = staticmethod(kernels.elu_backward)

    @staticmethod
    def derivative(xp, x, alpha):
        positive = xp.value(x) > 0
        # e^x only where x <= 0: e^x of a large positive x would overflow (a numpy warning)
        # even though `where` then discards it.
        return xp.where(positive, 1.0, alpha * xp.exp(xp.where(positive, 0.0, x)))


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)  # Python floats: numpy float64 scalars would upcast float32
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class Gelu(Activation):
    """x Phi(x) with Phi the standard normal CDF (approximate='none') or its tanh form;
    d/dx = Phi(x) + x phi(x)"""
    parameters = ("approximate",)
    forward_kernel = staticmethod(kernels.gelu_forward)
    backward_kernel = staticmethod(kernels.gelu_backward)

    @classmethod
    def forward(cls, ctx, x, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return super().forward(ctx, x, approximate=approximate)

    @staticmethod
    def derivative(xp, x, approximate):
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
            t = xp.tanh(inner)
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner
        cdf = 0.5 * (1 + erf(x * _INV_SQRT_2))
        pdf = xp.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return cdf + x * pdf


class Softplus(Activation):
    """log(1 + e^(beta x)) / beta, linear above `threshold`;  d/dx = sigmoid(beta x)"""
    parameters = ("beta", "threshold")
    forward_kernel = staticmethod(kernels.softplus_forward)
    backward_kernel = staticmethod(kernels.softplus_backward)

    @staticmethod
    def derivative(xp, x, beta, threshold):
        linear = xp.value(x) * beta > threshold
        return xp.where(linear, 1.0, xp.sigmoid(x * beta))


# -- public functions -------------------------------------------------------------
def tanh(input):
    return Tanh.apply(input)


def sigmoid(input):
    return Sigmoid.apply(input)


def relu(input):
    return Relu.apply(input)


def _number(op, name, position, value):
    """torch's TypeError for a non-number parameter (here it would reach a Numba kernel as a typing error)."""
    if not isinstance(value, numbers.Number) or isinstance(value, np.ndarray):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Number, not {type(value).__name__}")


def leaky_relu(input, negative_slope=0.01):
    _number("leaky_relu", "negative_slope", 2, negative_slope)
    return LeakyRelu.apply(input, negative_slope=negative_slope)


def elu(input, alpha=1.0):
    _number("elu", "alpha", 2, alpha)
    return Elu.apply(input, alpha=alpha)


def gelu(input, approximate="none"):
    return Gelu.apply(input, approximate=approximate)


def softplus(input, beta=1.0, threshold=20.0):
    _number("softplus", "beta", 2, beta)
    _number("softplus", "threshold", 3, threshold)
    return Softplus.apply(input, beta=beta, threshold=threshold)
