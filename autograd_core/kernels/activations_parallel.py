"""The activation kernels of `activations.py` with large arrays split over threads.

A 1M-element activation is bound by memory bandwidth and by the transcendental
math; one core does not saturate either, so these kernels cut the flat array
into one contiguous chunk per Numba thread (``prange`` over chunks; the inner
loop over a chunk vectorizes as the serial one does).  Each element is computed
with exactly the serial kernel's arithmetic, so results are the same bit for bit.

Below `PARALLEL_MIN_ELEMENTS` elements, or with one thread, the serial kernels
run.  tanh's forward has no parallel kernel: numpy's SIMD tanh on one core
(394 us on 1M float32) beat this loop on two (424 us).  The public functions have
the signatures of their serial twins and take any layout (via the same
`_unary`/`_binary` wrappers).
"""
import numba
import numpy as np
from numba import njit, prange

from . import activations as serial
from . import scalar_math as sm

#: Below this many elements the serial kernels run.  Two threads already win at 2**15 float32
#: elements (relu 3.9 -> 3.5 us, sigmoid 19 -> 12 us), but a small activation would then leave
#: Numba's OpenMP threads spinning while the next matrix product wants the cores.
PARALLEL_MIN_ELEMENTS = 1 << 18

_CHUNK = dict(cache=True, error_model="numpy", nogil=True)
_JIT = dict(_CHUNK, parallel=True)


@njit(cache=True)
def _step(n, chunks):
    """Chunk length for cutting n elements into `chunks` parts: a multiple of 64 (whole cache lines)."""
    return ((n + chunks - 1) // chunks + 63) // 64 * 64


# Each kernel is a serial loop over one chunk (`*_chunk`, writing into `out`) and a parallel
# driver calling it once per chunk.  The loop must live in its own function: written inline in
# the prange body, Numba does not vectorize it (measured 10x slower on one thread).
@njit(**_CHUNK)
def _relu_forward_chunk(x, out):
    for i in range(x.size):
        v = x[i]
        out[i] = 0 if v < 0 else v


@njit(**_JIT)
def _relu_forward(x, chunks):
    out = np.empty_like(x)
    n = x.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _relu_forward_chunk(x[lo:hi], out[lo:hi])
    return out


@njit(**_CHUNK)
def _leaky_relu_forward_chunk(x, negative_slope, out):
    slope = x.dtype.type(negative_slope)
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else v * slope


@njit(**_JIT)
def _leaky_relu_forward(x, negative_slope, chunks):
    out = np.empty_like(x)
    n = x.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _leaky_relu_forward_chunk(x[lo:hi], negative_slope, out[lo:hi])
    return out


@njit(**_CHUNK)
def _elu_forward_chunk(x, alpha, out):
    a = x.dtype.type(alpha)
    zero = x.dtype.type(0)
    for i in range(x.size):
        v = x[i]
        negative = sm.expm1(zero if v > zero else v) * a
        out[i] = v if v >= zero else negative


@njit(**_JIT)
def _elu_forward(x, alpha, chunks):
    out = np.empty_like(x)
    n = x.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _elu_forward_chunk(x[lo:hi], alpha, out[lo:hi])
    return out


@njit(**_CHUNK)
def _sigmoid_forward_chunk(x, out):
    for i in range(x.size):
        out[i] = sm.sigmoid(x[i])


@njit(**_JIT)
def _sigmoid_forward(x, chunks):
    out = np.empty_like(x)
    n = x.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _sigmoid_forward_chunk(x[lo:hi], out[lo:hi])
    return out


@njit(**_CHUNK)
def _gelu_erf_forward_chunk(x, out):
    for i in range(x.size):
        v = x[i]
        cdf, _ = sm.normal_cdf_pdf(v)
        out[i] = v * cdf


@njit(**_JIT)
def _gelu_erf_forward(x, chunks):
    out = np.empty_like(x)
    n = x.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _gelu_erf_forward_chunk(x[lo:hi], out[lo:hi])
    return out


# -- backward kernels: out = g f'(a), a the saved input or output ---------------------------------
@njit(**_CHUNK)
def _relu_backward_chunk(g, y, out):
    for i in range(g.size):
        out[i] = g[i] if y[i] > 0 else 0


@njit(**_JIT)
def _relu_backward(g, y, chunks):
    out = np.empty_like(g)
    n = g.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _relu_backward_chunk(g[lo:hi], y[lo:hi], out[lo:hi])
    return out


@njit(**_CHUNK)
def _leaky_relu_backward_chunk(g, x, negative_slope, out):
    slope = g.dtype.type(negative_slope)
    for i in range(g.size):
        v = g[i]
        out[i] = v if x[i] > 0 else v * slope


@njit(**_JIT)
def _leaky_relu_backward(g, x, negative_slope, chunks):
    out = np.empty_like(g)
    n = g.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _leaky_relu_backward_chunk(g[lo:hi], x[lo:hi], negative_slope, out[lo:hi])
    return out


@njit(**_CHUNK)
def _elu_backward_chunk(g, x, alpha, out):
    a = g.dtype.type(alpha)
    zero = x.dtype.type(0)
    for i in range(g.size):
        v = x[i]
        slope = a * sm.exp(zero if v > zero else v)
        out[i] = g[i] if v > zero else g[i] * slope


@njit(**_JIT)
def _elu_backward(g, x, alpha, chunks):
    out = np.empty_like(g)
    n = g.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _elu_backward_chunk(g[lo:hi], x[lo:hi], alpha, out[lo:hi])
    return out


@njit(**_CHUNK)
def _sigmoid_backward_chunk(g, y, out):
    one = y.dtype.type(1)
    for i in range(g.size):
        s = y[i]
        out[i] = g[i] * s * (one - s)


@njit(**_JIT)
def _sigmoid_backward(g, y, chunks):
    out = np.empty_like(g)
    n = g.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _sigmoid_backward_chunk(g[lo:hi], y[lo:hi], out[lo:hi])
    return out


@njit(**_CHUNK)
def _tanh_backward_chunk(g, y, out):
    one = y.dtype.type(1)
    for i in range(g.size):
        t = y[i]
        out[i] = g[i] * ((one - t) * (one + t))  # as the serial kernel: accurate near |t| = 1


@njit(**_JIT)
def _tanh_backward(g, y, chunks):
    out = np.empty_like(g)
    n = g.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _tanh_backward_chunk(g[lo:hi], y[lo:hi], out[lo:hi])
    return out


@njit(**_CHUNK)
def _gelu_erf_backward_chunk(g, x, out):
    for i in range(g.size):
        v = x[i]
        cdf, pdf = sm.normal_cdf_pdf(v)
        out[i] = g[i] * (cdf + v * pdf)


@njit(**_JIT)
def _gelu_erf_backward(g, x, chunks):
    out = np.empty_like(g)
    n = g.size
    step = _step(n, chunks)
    for c in prange(chunks):
        lo, hi = min(c * step, n), min((c + 1) * step, n)
        _gelu_erf_backward_chunk(g[lo:hi], x[lo:hi], out[lo:hi])
    return out


# -- public functions: the serial kernel for small arrays ---------------------------------------
def _threads(size):
    """How many chunks to cut `size` elements into: 0 means run the serial kernel."""
    if size < PARALLEL_MIN_ELEMENTS:
        return 0
    threads = numba.get_num_threads()
    return threads if threads > 1 else 0


def _unary(parallel, serial_function, x, *params):
    """`parallel(flat x, *params, chunks)` on large float arrays, else `serial_function(x, *params)`."""
    chunks = _threads(x.size)
    if not chunks or x.dtype not in serial._FLOATS:
        return serial_function(x, *params)
    return serial._unary(parallel, None, x, *params, chunks)  # the twin (None) is never reached


def _binary(parallel, serial_function, g, a, *params):
    """`parallel(flat g, flat a, *params, chunks)` on large same-shape float operands, else serial."""
    chunks = _threads(g.size)
    dtype = g.dtype
    if not chunks or dtype not in serial._FLOATS or a.dtype != dtype or g.shape != a.shape:
        return serial_function(g, a, *params)
    return serial._binary(parallel, None, g, a, *params, chunks)


def relu_forward(x):
    """max(x, 0)"""
    return _unary(_relu_forward, serial.relu_forward, x)


def relu_backward(g, y):
    """g where the saved output y > 0, else 0."""
    return _binary(_relu_backward, serial.relu_backward, g, y)


def leaky_relu_forward(x, negative_slope):
    """x if x > 0 else negative_slope * x"""
    return _unary(_leaky_relu_forward, serial.leaky_relu_forward, x, negative_slope)


def leaky_relu_backward(g, x, negative_slope):
    """g if x > 0 else negative_slope * g"""
    return _binary(_leaky_relu_backward, serial.leaky_relu_backward,
                   g, x, negative_slope)


def elu_forward(x, alpha):
    """x if x > 0 else alpha (e^x - 1)"""
    return _unary(_elu_forward, serial.elu_forward, x, alpha)


def elu_backward(g, x, alpha):
    """g if x > 0 else g alpha e^x"""
    return _binary(_elu_backward, serial.elu_backward, g, x, alpha)


def sigmoid_forward(x):
    """1 / (1 + e^-x)"""
    return _unary(_sigmoid_forward, serial.sigmoid_forward, x)


def sigmoid_backward(g, y):
    """g y (1 - y), y the saved output"""
    return _binary(_sigmoid_backward, serial.sigmoid_backward, g, y)


def tanh_backward(g, y):
    """g (1 - y^2) = g (1 - y)(1 + y), y the saved output"""
    return _binary(_tanh_backward, serial.tanh_backward, g, y)


def gelu_forward(x, approximate="none"):
    """x Phi(x); approximate='tanh' (and bad values) go to the serial function"""
    if approximate != "none":
        return serial.gelu_forward(x, approximate)
    return _unary(_gelu_erf_forward, serial.gelu_forward, x)


def gelu_backward(g, x, approximate="none"):
    """g (Phi(x) + x phi(x)); approximate='tanh' (and bad values) go to the serial function"""
    if approximate != "none":
        return serial.gelu_backward(g, x, approximate)
    return _binary(_gelu_erf_backward, serial.gelu_backward, g, x)
