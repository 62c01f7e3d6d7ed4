"""numpy twins of the fused in-place updates in `updates.py` (same formulas, same order, with
temporaries), used by the tests to check the kernels."""
import numpy as np


def axpy_(y, x, alpha):
    """y += alpha * x"""
    y += y.dtype.type(alpha) * x


def scale_add_(y, beta, x, alpha):
    """y = beta * y + alpha * x"""
    y *= y.dtype.type(beta)
    y += y.dtype.type(alpha) * x


def addcmul_(y, first, second, value):
    """y += value * first * second"""
    y += y.dtype.type(value) * first * second


def addcdiv_(y, first, second, value):
    """y += value * (first / second)"""
    y += y.dtype.type(value) * (first / second)


def lerp_(y, end, weight):
    """y += weight * (end - y) for weight < 0.5, else y = end - (end - y) * (1 - weight) (torch's forms)"""
    if weight < 0.5:
        y += y.dtype.type(weight) * (end - y)
    else:
        np.copyto(y, end - (end - y) * y.dtype.type(1 - weight))


def add_scaled(x, y, alpha):
    """x + alpha * y, a new array"""
    return x + x.dtype.type(alpha) * y


def sgd_momentum_(p, b, g, lr, momentum, dampening, nesterov):
    """b = momentum * b + (1 - dampening) * g;  p += -lr * (g + momentum * b if nesterov else b)"""
    dtype = p.dtype.type
    b *= dtype(momentum)
    b += dtype(1 - dampening) * g
    step = g + dtype(momentum) * b if nesterov else b
    p += dtype(-lr) * step
