"""Numba kernels for the activations, forward and backward.

Each public function has exactly the signature of its numpy twin in
`reference.py` and returns the same values (to the ulp bounds stated in
tests/kernels).  The work happens in one fused loop per call (no temporaries),
with the transcendental functions from `scalar_math` so the loop vectorizes.

Layout: the Numba kernels take 1-D contiguous float32/float64 arrays.  The
small wrappers below present any array as one: a C- or F-contiguous
(transposed) array as a flat view of its memory (no copy), other strided
arrays as one contiguous copy; an upstream gradient that is a broadcast of one
number (the gradient of ``sum()``/``mean()``) as that number; other dtypes or
mismatched shapes go to the numpy twin.  Keeping the kernels 1-D means one
compiled version per dtype (and scalar-or-array gradient) rather than one per
(dtype, ndim, layout).

Compilation is lazy (on first call) and cached on disk (``cache=True``), so
each machine compiles once; see benchmarks/kernels.py for the timings.
"""
import math
from functools import partial

import numpy as np
from .jit import njit, overload

from . import parallel, reference, special
from . import scalar_math as sm

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_FLOATS = (_F32, _F64)
# error_model="numpy": division by zero gives inf/nan as in numpy instead of a Python
# exception check in the loop (which would also stop it from vectorizing).
_JIT = dict(cache=True, error_model="numpy", nogil=True)
# Kernels with multiply-adds of their own, or that inline scalar_math.softplus or normal_cdf_pdf:
# fused (see scalar_math.FUSED; the functions they call from scalar_math fuse in any case).
_JIT_FUSED = dict(_JIT, **sm.FUSED)
# Chunk sizes (elements) below which a kernel is not worth another thread.  Measured with
# benchmarks/threads.py (AMD EPYC, 2 cores, load ~2; 2 threads / serial): exp-family loops gain
# from 2**20 float32 (gelu fwd+bwd 0.59, elu 0.66, gelu-tanh 0.66), a chunk of 2**16 holding ~50 us
# of work.  Memory-bound loops (MEMORY_BOUND) split only once the arrays they touch exceed half
# the last-level cache (parallel.LAST_LEVEL_CACHE_BYTES says why), then in chunks of _CHEAP.
_CHEAP = 1 << 16  # one compare or multiply per element
_COSTLY = 1 << 16  # an exp, expm1, erf or tanh per element
MEMORY_BOUND = "memory-bound"  # the grain a memory-bound kernel names: _CHEAP beyond the cache


def element(values, i):
    """``values[i]`` for an array, ``values`` itself for a scalar.  A backward kernel reads its
    upstream gradient through this: when that gradient is a broadcast of one number (what
    ``sum()`` and ``mean()`` send back) it is passed as the number, and the loop neither reads
    memory for it nor leaves its vectorized fast path."""
    raise NotImplementedError("element() is only callable inside Numba kernels")


@overload(element, inline="always")
def _element_impl(values, i):
    from numba import types

    if isinstance(values, types.Array):
        return lambda values, i: values[i]
    return lambda values, i: values


def _flat(x):
    """x as a 1-D C-contiguous array, and how to give the kernel's 1-D result x's shape back.

    C- and F-contiguous (transposed) arrays are their own memory read in order (no copy);
    anything else (sliced, strided) is copied once: a strided 1-D operand would make Numba
    compile a generic-stride loop that does not vectorize (~20x slower on 1M elements).
    """
    flags = x.flags
    if flags.c_contiguous:
        return x.reshape(-1), x.shape, False
    if flags.f_contiguous:
        return x.T.reshape(-1), x.T.shape, True
    return np.ascontiguousarray(x).reshape(-1), x.shape, False


def _shaped(result, shape, transposed):
    result = result.reshape(shape)
    return result.T if transposed else result


def _run(kernel, grain, out, operands, params):
    """kernel(out, *operands, *params) over the 1-D arrays, cut into chunks of at least `grain`
    elements run on get_num_threads() threads (a scalar operand is passed whole to every chunk).
    Each element depends on its own inputs only, so any chunking gives the same bits."""
    n = out.size
    per_thread = None
    if grain is MEMORY_BOUND:
        touched = out.nbytes  # the bytes the call moves (a scalar operand moves none)
        for operand in operands:
            if operand.__class__ is np.ndarray:
                touched += operand.nbytes
        grain = _CHEAP if 2 * touched > parallel.LAST_LEVEL_CACHE_BYTES else None
        per_thread = parallel.MEMORY_BOUND_CHUNKS_PER_THREAD
    parts = 1 if grain is None else parallel.chunk_count(n, grain, per_thread)
    if parts == 1:
        kernel(out, *operands, *params)
        return out
    return parallel.run_split(kernel, out, operands, params, parallel.split(n, parts, 64))


def _unary(kernel, twin, grain, x, *params):
    """Run the 1-D `kernel(out, x, *params)` on a float32/float64 array of any shape and layout."""
    if x.dtype not in _FLOATS:  # `in` compares by identity, then ==: arrays made by Numba have equal, not identical, dtypes
        return twin(x, *params)
    if x.ndim == 1 and x.flags.c_contiguous:  # already what the kernel takes (the small-op hot path)
        return _run(kernel, grain, np.empty_like(x), (x,), params)
    flat, shape, transposed = _flat(x)
    return _shaped(_run(kernel, grain, np.empty_like(flat), (flat,), params), shape, transposed)


def _is_one_value(g):
    """Whether every element of `g` is the same memory: a broadcast of a single number."""
    return g.size > 0 and not any(g.strides)


def _binary(kernel, twin, grain, g, a, *params):
    """Run the 1-D `kernel(out, g, a, *params)` on same-shape, same-dtype float operands, else the twin.

    `g` may be a broadcast of one number (passed to the kernel as that number), or any layout;
    the result has `a`'s layout when `a` is C- or F-contiguous.
    """
    dtype = a.dtype
    if (g.dtype is not dtype and g.dtype != dtype) or dtype not in _FLOATS or g.shape != a.shape:
        return twin(g, a, *params)
    if a.ndim == 1 and a.flags.c_contiguous and g.flags.c_contiguous:  # the small-op hot path
        return _run(kernel, grain, np.empty_like(a), (g, a), params)
    a_flat, shape, transposed = _flat(a)
    out = np.empty_like(a_flat)
    if _is_one_value(g):
        return _shaped(_run(kernel, grain, out, (g[(0,) * g.ndim], a_flat), params), shape, transposed)
    g_flat = (g.T if transposed else g)
    g_flat = g_flat.reshape(-1) if g_flat.flags.c_contiguous else np.ascontiguousarray(g_flat).reshape(-1)
    return _shaped(_run(kernel, grain, out, (g_flat, a_flat), params), shape, transposed)


# -- relu -----------------------------------------------------------------------------
@njit(**_JIT)
def _relu_forward(out, x):
    for i in range(x.size):
        v = x[i]
        out[i] = 0 if v < 0 else v  # keeps NaN (and -0.0, as torch)


@njit(**_JIT)
def _relu_backward(out, g, y):
    for i in range(y.size):
        # g read on every element, not only where y > 0: a conditional read compiles to masked
        # loads (vmaskmovps), which ran this memory-bound loop ~20% slower (Zen 1, AVX2).
        grad = element(g, i)
        out[i] = grad if y[i] > 0 else 0


def relu_forward(x):
    """max(x, 0)"""
    return _unary(_relu_forward, reference.relu_forward, MEMORY_BOUND, x)


def relu_backward(g, y):
    """g where the saved output y > 0, else 0."""
    return _binary(_relu_backward, reference.relu_backward, MEMORY_BOUND, g, y)


# -- leaky relu -----------------------------------------------------------------------
@njit(**_JIT)
def _leaky_relu_forward(out, x, negative_slope):
    slope = x.dtype.type(negative_slope)
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else v * slope


@njit(**_JIT)
def _leaky_relu_backward(out, g, x, negative_slope):
    slope = x.dtype.type(negative_slope)
    for i in range(x.size):
        v = element(g, i)
        out[i] = v if x[i] > 0 else v * slope


def leaky_relu_forward(x, negative_slope):
    """x if x > 0 else negative_slope * x"""
    return _unary(_leaky_relu_forward, reference.leaky_relu_forward, MEMORY_BOUND, x, negative_slope)


def leaky_relu_backward(g, x, negative_slope):
    """g if x > 0 else negative_slope * g"""
    return _binary(_leaky_relu_backward, reference.leaky_relu_backward, MEMORY_BOUND, g, x, negative_slope)


# -- elu ------------------------------------------------------------------------------
@njit(**_JIT)
def _elu_forward(out, x, alpha):
    a = x.dtype.type(alpha)
    zero = x.dtype.type(0)
    for i in range(x.size):
        v = x[i]
        # min(v, 0) written so that NaN passes through; both sides computed: no branch in the loop
        negative = sm.expm1(zero if v > zero else v) * a
        out[i] = v if v >= zero else negative  # >=: elu(-0.0) is -0.0, as torch


@njit(**_JIT)
def _elu_backward(out, g, x, alpha):
    a = x.dtype.type(alpha)
    zero = x.dtype.type(0)
    for i in range(x.size):
        v = x[i]
        slope = a * sm.exp(zero if v > zero else v)  # NaN passes through
        grad = element(g, i)  # one unconditional read (two conditional ones became masked loads)
        out[i] = grad if v > zero else grad * slope


def elu_forward(x, alpha):
    """x if x > 0 else alpha (e^x - 1)"""
    return _unary(_elu_forward, reference.elu_forward, _COSTLY, x, alpha)


def elu_backward(g, x, alpha):
    """g if x > 0 else g alpha e^x"""
    return _binary(_elu_backward, reference.elu_backward, _COSTLY, g, x, alpha)


# -- sigmoid and tanh (backward from the saved output y) --------------------------------
@njit(**_JIT)
def _sigmoid_forward(out, x):
    for i in range(x.size):
        out[i] = sm.sigmoid(x[i])


@njit(**_JIT)
def _sigmoid_backward(out, g, y):
    one = y.dtype.type(1)
    for i in range(y.size):
        s = y[i]
        out[i] = element(g, i) * s * (one - s)


@njit(**_JIT)
def _tanh_forward(out, x):
    for i in range(x.size):
        out[i] = sm.tanh(x[i])


@njit(**_JIT)
def _tanh_backward(out, g, y):
    one = y.dtype.type(1)
    for i in range(y.size):
        t = y[i]
        # (1 - t)(1 + t), not 1 - t*t: where |t| is near 1, t*t's rounding error would be most
        # of the result (torch's fused multiply-add avoids that too).
        out[i] = element(g, i) * ((one - t) * (one + t))


def sigmoid_forward(x):
    """1 / (1 + e^-x)"""
    return _unary(_sigmoid_forward, reference.sigmoid_forward, _COSTLY, x)


def sigmoid_backward(g, y):
    """g y (1 - y), y the saved output"""
    return _binary(_sigmoid_backward, reference.sigmoid_backward, MEMORY_BOUND, g, y)


def tanh_forward(x):
    """tanh(x)"""
    return _unary(_tanh_forward, reference.tanh_forward, _COSTLY, x)


def tanh_backward(g, y):
    """g (1 - y^2) = g (1 - y)(1 + y), y the saved output"""
    return _binary(_tanh_backward, reference.tanh_backward, MEMORY_BOUND, g, y)


# -- gelu -------------------------------------------------------------------------------
_SQRT_2_OVER_PI = float(np.sqrt(2 / np.pi))
_CUBIC = 0.044715


@njit(**_JIT_FUSED)
def _gelu_erf_forward(out, x):
    for i in range(x.size):
        v = x[i]
        cdf, _ = sm.normal_cdf_pdf(v)
        out[i] = v * cdf


@njit(**_JIT_FUSED)
def _gelu_erf_backward(out, g, x):
    for i in range(x.size):
        v = x[i]
        cdf, pdf = sm.normal_cdf_pdf(v)
        out[i] = element(g, i) * (cdf + v * pdf)  # d/dx x Phi(x) = Phi(x) + x phi(x)


@njit(**_JIT_FUSED)
def _gelu_tanh_forward(out, x):
    c = x.dtype.type(_SQRT_2_OVER_PI)
    k = x.dtype.type(_CUBIC)
    for i in range(x.size):
        v = x[i]
        u = c * (v + k * v * v * v)
        # 0.5 (1 + tanh(u)) == sigmoid(2u), which does not cancel for negative u.
        out[i] = v * sm.sigmoid(u + u)


@njit(**_JIT_FUSED)
def _gelu_tanh_backward(out, g, x):
    c = x.dtype.type(_SQRT_2_OVER_PI)
    k = x.dtype.type(_CUBIC)
    k3 = x.dtype.type(3 * _CUBIC)
    one = x.dtype.type(1)
    for i in range(x.size):
        v = x[i]
        u = c * (v + k * v * v * v)
        s = sm.sigmoid(u + u)
        du = c * (one + k3 * v * v)
        # d/dx x s(2u) = s + x s (1 - s) 2 u'
        out[i] = element(g, i) * (s + (v + v) * s * (one - s) * du)


_GELU_TWINS = {
    approximate: (partial(reference.gelu_forward, approximate=approximate),
                  partial(reference.gelu_backward, approximate=approximate))
    for approximate in ("none", "tanh")
}


def gelu_forward(x, approximate="none"):
    """x Phi(x) (approximate='none') or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))"""
    if approximate == "tanh":
        return _unary(_gelu_tanh_forward, _GELU_TWINS["tanh"][0], _COSTLY, x)
    if approximate == "none":
        return _unary(_gelu_erf_forward, _GELU_TWINS["none"][0], _COSTLY, x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu_backward(g, x, approximate="none"):
    """g d/dx gelu(x)"""
    if approximate == "tanh":
        return _binary(_gelu_tanh_backward, _GELU_TWINS["tanh"][1], _COSTLY, g, x)
    if approximate == "none":
        return _binary(_gelu_erf_backward, _GELU_TWINS["none"][1], _COSTLY, g, x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


# -- softplus ---------------------------------------------------------------------------
@njit(**_JIT_FUSED)
def _softplus_forward(out, x, beta, threshold):
    b = x.dtype.type(beta)
    limit = x.dtype.type(threshold)
    for i in range(x.size):
        v = x[i]
        z = v * b
        soft = sm.softplus(z) / b
        out[i] = v if z > limit else soft  # torch: linear above the threshold


@njit(**_JIT_FUSED)
def _softplus_backward(out, g, x, beta, threshold):
    b = x.dtype.type(beta)
    limit = x.dtype.type(threshold)
    for i in range(x.size):
        z = x[i] * b
        s = sm.sigmoid(z)
        grad = element(g, i)  # one unconditional read, as in _elu_backward
        out[i] = grad if z > limit else grad * s


def softplus_forward(x, beta, threshold):
    """log(1 + e^(beta x)) / beta, and x where beta x > threshold"""
    return _unary(_softplus_forward, reference.softplus_forward, _COSTLY, x, beta, threshold)


def softplus_backward(g, x, beta, threshold):
    """g sigmoid(beta x), and g where beta x > threshold"""
    return _binary(_softplus_backward, reference.softplus_backward, _COSTLY, g, x, beta, threshold)


# -- erf (for the erf op; not an activation, but the same elementwise pattern) ------------
@njit(**_JIT)
def _erf(out, x):
    for i in range(x.size):
        # libm's erf in double precision: exact, and ~10x faster than numpy's frompyfunc
        # (a scalar call per element, so this loop does not vectorize).
        out[i] = math.erf(np.float64(x[i]))


def erf(x):
    """The error function, in the input's float dtype (integers become float64, as the twin)."""
    x = np.asarray(x)
    return _unary(_erf, special.erf, _COSTLY, x)
