"""Numba kernels for the activations, forward and backward.

Each public function has exactly the signature of its numpy twin in
`reference.py` and returns the same values (to the ulp bounds stated in
tests/kernels).  The work happens in one fused loop per call (no temporaries),
with the transcendental functions from `scalar_math` so the loop vectorizes.

Layout: the Numba kernels take 1-D contiguous float32/float64 arrays.  The
small wrappers below present any array as one: a C- or F-contiguous
(transposed) array as a flat view of its memory (no copy), other strided
arrays as a contiguous copy; other dtypes (or mismatched/broadcast operands)
go to the numpy twin.  Keeping the kernels 1-D means one compiled version per
dtype rather than one per (dtype, ndim).

Compilation is lazy (on first call) and cached on disk (``cache=True``), so
each machine compiles once; see benchmarks/kernels.py for the timings.
"""
import math
from functools import partial

import numpy as np
from .jit import njit

from . import reference, special
from . import scalar_math as sm

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_FLOATS = (_F32, _F64)
# error_model="numpy": division by zero gives inf/nan as in numpy instead of a Python
# exception check in the loop (which would also stop it from vectorizing).
_JIT = dict(cache=True, error_model="numpy", nogil=True)


def _unary(kernel, twin, x, *params):
    """Run the 1-D `kernel(x, *params)` on a float32/float64 array of any shape and layout."""
    dtype = x.dtype
    if dtype not in _FLOATS:  # `in` compares by identity, then ==: arrays made by Numba have equal, not identical, dtypes
        return twin(x, *params)
    flags = x.flags
    if flags.f_contiguous and not flags.c_contiguous:
        # A transposed array: elementwise work does not care about order, so run on its memory.
        x = x.T
        return kernel(x.reshape(-1), *params).reshape(x.shape).T
    return kernel(x.reshape(-1), *params).reshape(x.shape)  # reshape copies only if strided


def _binary(kernel, twin, g, a, *params):
    """Run the 1-D `kernel(g, a, *params)` on same-shape, same-dtype float operands, else the twin."""
    dtype = g.dtype
    if (a.dtype is not dtype and a.dtype != dtype) or dtype not in _FLOATS or g.shape != a.shape:
        return twin(g, a, *params)
    g_flags, a_flags = g.flags, a.flags
    if g_flags.f_contiguous and a_flags.f_contiguous and not (g_flags.c_contiguous and a_flags.c_contiguous):
        g, a = g.T, a.T
        return kernel(g.reshape(-1), a.reshape(-1), *params).reshape(g.shape).T
    return kernel(g.reshape(-1), a.reshape(-1), *params).reshape(g.shape)


# -- relu -----------------------------------------------------------------------------
@njit(**_JIT)
def _relu_forward(x):
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        out[i] = 0 if v < 0 else v  # keeps NaN (and -0.0, as torch)
    return out


@njit(**_JIT)
def _relu_backward(g, y):
    out = np.empty_like(g)
    for i in range(g.size):
        out[i] = g[i] if y[i] > 0 else 0
    return out


def relu_forward(x):
    """max(x, 0)"""
    return _unary(_relu_forward, reference.relu_forward, x)


def relu_backward(g, y):
    """g where the saved output y > 0, else 0."""
    return _binary(_relu_backward, reference.relu_backward, g, y)


# -- leaky relu -----------------------------------------------------------------------
@njit(**_JIT)
def _leaky_relu_forward(x, negative_slope):
    slope = x.dtype.type(negative_slope)
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else v * slope
    return out


@njit(**_JIT)
def _leaky_relu_backward(g, x, negative_slope):
    slope = g.dtype.type(negative_slope)
    out = np.empty_like(g)
    for i in range(g.size):
        v = g[i]
        out[i] = v if x[i] > 0 else v * slope
    return out


def leaky_relu_forward(x, negative_slope):
    """x if x > 0 else negative_slope * x"""
    return _unary(_leaky_relu_forward, reference.leaky_relu_forward, x, negative_slope)


def leaky_relu_backward(g, x, negative_slope):
    """g if x > 0 else negative_slope * g"""
    return _binary(_leaky_relu_backward, reference.leaky_relu_backward, g, x, negative_slope)


# -- elu ------------------------------------------------------------------------------
@njit(**_JIT)
def _elu_forward(x, alpha):
    a = x.dtype.type(alpha)
    zero = x.dtype.type(0)
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        # min(v, 0) written so that NaN passes through; both sides computed: no branch in the loop
        negative = sm.expm1(zero if v > zero else v) * a
        out[i] = v if v >= zero else negative  # >=: elu(-0.0) is -0.0, as torch
    return out


@njit(**_JIT)
def _elu_backward(g, x, alpha):
    a = g.dtype.type(alpha)
    zero = x.dtype.type(0)
    out = np.empty_like(g)
    for i in range(g.size):
        v = x[i]
        slope = a * sm.exp(zero if v > zero else v)  # NaN passes through
        out[i] = g[i] if v > zero else g[i] * slope
    return out


def elu_forward(x, alpha):
    """x if x > 0 else alpha (e^x - 1)"""
    return _unary(_elu_forward, reference.elu_forward, x, alpha)


def elu_backward(g, x, alpha):
    """g if x > 0 else g alpha e^x"""
    return _binary(_elu_backward, reference.elu_backward, g, x, alpha)


# -- sigmoid and tanh (backward from the saved output y) --------------------------------
@njit(**_JIT)
def _sigmoid_forward(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = sm.sigmoid(x[i])
    return out


@njit(**_JIT)
def _sigmoid_backward(g, y):
    one = y.dtype.type(1)
    out = np.empty_like(g)
    for i in range(g.size):
        s = y[i]
        out[i] = g[i] * s * (one - s)
    return out


@njit(**_JIT)
def _tanh_forward(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = sm.tanh(x[i])
    return out


@njit(**_JIT)
def _tanh_backward(g, y):
    one = y.dtype.type(1)
    out = np.empty_like(g)
    for i in range(g.size):
        t = y[i]
        # (1 - t)(1 + t), not 1 - t*t: where |t| is near 1, t*t's rounding error would be most
        # of the result (torch's fused multiply-add avoids that too).
        out[i] = g[i] * ((one - t) * (one + t))
    return out


def sigmoid_forward(x):
    """1 / (1 + e^-x)"""
    return _unary(_sigmoid_forward, reference.sigmoid_forward, x)


def sigmoid_backward(g, y):
    """g y (1 - y), y the saved output"""
    return _binary(_sigmoid_backward, reference.sigmoid_backward, g, y)


def tanh_forward(x):
    """tanh(x)"""
    return _unary(_tanh_forward, reference.tanh_forward, x)


def tanh_backward(g, y):
    """g (1 - y^2) = g (1 - y)(1 + y), y the saved output"""
    return _binary(_tanh_backward, reference.tanh_backward, g, y)


# -- gelu -------------------------------------------------------------------------------
_SQRT_2_OVER_PI = float(np.sqrt(2 / np.pi))
_CUBIC = 0.044715


@njit(**_JIT)
def _gelu_erf_forward(x):
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        cdf, _ = sm.normal_cdf_pdf(v)
        out[i] = v * cdf
    return out


@njit(**_JIT)
def _gelu_erf_backward(g, x):
    out = np.empty_like(g)
    for i in range(g.size):
        v = x[i]
        cdf, pdf = sm.normal_cdf_pdf(v)
        out[i] = g[i] * (cdf + v * pdf)  # d/dx x Phi(x) = Phi(x) + x phi(x)
    return out


@njit(**_JIT)
def _gelu_tanh_forward(x):
    c = x.dtype.type(_SQRT_2_OVER_PI)
    k = x.dtype.type(_CUBIC)
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        u = c * (v + k * v * v * v)
        # 0.5 (1 + tanh(u)) == sigmoid(2u), which does not cancel for negative u.
        out[i] = v * sm.sigmoid(u + u)
    return out


@njit(**_JIT)
def _gelu_tanh_backward(g, x):
    c = x.dtype.type(_SQRT_2_OVER_PI)
    k = x.dtype.type(_CUBIC)
    k3 = x.dtype.type(3 * _CUBIC)
    one = x.dtype.type(1)
    out = np.empty_like(g)
    for i in range(g.size):
        v = x[i]
        u = c * (v + k * v * v * v)
        s = sm.sigmoid(u + u)
        du = c * (one + k3 * v * v)
        # d/dx x s(2u) = s + x s (1 - s) 2 u'
        out[i] = g[i] * (s + (v + v) * s * (one - s) * du)
    return out


_GELU_TWINS = {
    approximate: (partial(reference.gelu_forward, approximate=approximate),
                  partial(reference.gelu_backward, approximate=approximate))
    for approximate in ("none", "tanh")
}


def gelu_forward(x, approximate="none"):
    """x Phi(x) (approximate='none') or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))"""
    if approximate == "tanh":
        return _unary(_gelu_tanh_forward, _GELU_TWINS["tanh"][0], x)
    if approximate == "none":
        return _unary(_gelu_erf_forward, _GELU_TWINS["none"][0], x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu_backward(g, x, approximate="none"):
    """g d/dx gelu(x)"""
    if approximate == "tanh":
        return _binary(_gelu_tanh_backward, _GELU_TWINS["tanh"][1], g, x)
    if approximate == "none":
        return _binary(_gelu_erf_backward, _GELU_TWINS["none"][1], g, x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


# -- softplus ---------------------------------------------------------------------------
@njit(**_JIT)
def _softplus_forward(x, beta, threshold):
    b = x.dtype.type(beta)
    limit = x.dtype.type(threshold)
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        z = v * b
        soft = sm.softplus(z) / b
        out[i] = v if z > limit else soft  # torch: linear above the threshold
    return out


@njit(**_JIT)
def _softplus_backward(g, x, beta, threshold):
    b = x.dtype.type(beta)
    limit = x.dtype.type(threshold)
    out = np.empty_like(g)
    for i in range(g.size):
        z = x[i] * b
        s = sm.sigmoid(z)
        out[i] = g[i] if z > limit else g[i] * s
    return out


def softplus_forward(x, beta, threshold):
    """log(1 + e^(beta x)) / beta, and x where beta x > threshold"""
    return _unary(_softplus_forward, reference.softplus_forward, x, beta, threshold)


def softplus_backward(g, x, beta, threshold):
    """g sigmoid(beta x), and g where beta x > threshold"""
    return _binary(_softplus_backward, reference.softplus_backward, g, x, beta, threshold)


# -- erf (for the erf op; not an activation, but the same elementwise pattern) ------------
@njit(**_JIT)
def _erf(x):
    out = np.empty_like(x)
    for i in range(x.size):
        # libm's erf in double precision: exact, and ~10x faster than numpy's frompyfunc
        # (a scalar call per element, so this loop does not vectorize).
        out[i] = math.erf(np.float64(x[i]))
    return out


def erf(x):
    """The error function, in the input's float dtype (integers become float64, as the twin)."""
    x = np.asarray(x)
    return _unary(_erf, special.erf, x)
