"""Fused in-place updates (Numba): what optimizers do to every parameter on every step.

``p += alpha * x`` costs numpy two passes and a temporary array (``alpha * x``,
then the add); ``p += value * a / b`` three passes and two temporaries.  Each
kernel here is one pass that reads its operands once and writes the target once,
with no temporary.  The arithmetic is torch's, in the same order, in the
target's dtype (float32 stays float32):

    axpy_      y = y + alpha * x                      (add_/sub_ with alpha)
    scale_add_ y = beta * y + alpha * x                (SGD's momentum buffer)
    addcmul_   y = y + value * a * b
    addcdiv_   y = y + value * (a / b)
    lerp_      y = y + w * (x - y) if w < 0.5, else x - (x - y) * (1 - w)
    add_scaled x + alpha * y, as a new array            (out of place: weight decay, Nesterov)
    sgd_momentum_  b = momentum * b + (1 - dampening) * g;  p = p - lr * (b, or g + momentum * b)

They run only on operands that `fusable` (in place) or `same_layout` (out of
place) accepts: float32/float64 arrays of one shape, dtype and memory order (all
C- or all F-contiguous); in place, also a writeable target and no partial overlap
between target and operands.  Callers keep numpy for everything else
(broadcasting, mixed dtypes, scalars), so the kernels never need to handle
those.  numpy twins are in `reference_updates.py`.
"""
import numpy as np
from .jit import is_loaded, njit

from . import numpy_paths
from . import reference_updates as _twins

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# error_model="numpy": x / 0 gives inf/nan as numpy and torch do, with no check in the loop.
_JIT = dict(cache=True, error_model="numpy", nogil=True)


def same_layout(first, *others):
    """True when ndarrays `first` and `others` are float32/float64 of one shape, dtype and memory order."""
    dtype = first.dtype
    if dtype not in _FLOATS:
        return False
    contiguous = first.flags.c_contiguous
    if not contiguous and not first.flags.f_contiguous:
        return False
    shape = first.shape
    for x in others:
        if x.__class__ is not np.ndarray or x.dtype != dtype or x.shape != shape:
            return False
        if not (x.flags.c_contiguous if contiguous else x.flags.f_contiguous):
            return False
    return True


def fusable(y, *operands):
    """True when the kernels here can update ndarray `y` in place from same-layout `operands`."""
    if y.__class__ is not np.ndarray or not y.flags.writeable or not same_layout(y, *operands):
        return False
    for x in operands:
        # An operand that overlaps the target without being it would be read after it was written.
        if x is not y and (x.base is not None or y.base is not None) and np.may_share_memory(x, y):
            return False
    return True


# Memory (see kernels/__init__.py): until Numba is loaded, arrays below LOAD_NUMBA_AT elements
# take the numpy twins (same arithmetic, same bits, 2-5 passes instead of one).  Higher than the
# activations' threshold: a 784x512 weight (401,408 elements, W1/W6) must not load Numba by itself.
LOAD_NUMBA_AT = 1 << 19


def _numpy(size):
    return size < LOAD_NUMBA_AT and not is_loaded()


_flat = numpy_paths.flat_contiguous  # 1-d views of the C/F-contiguous operands the kernels take


@njit(**_JIT)
def _axpy(y, x, alpha):
    a = y.dtype.type(alpha)
    for i in range(y.size):
        y[i] = y[i] + a * x[i]


@njit(**_JIT)
def _scale_add(y, beta, x, alpha):
    b = y.dtype.type(beta)
    a = y.dtype.type(alpha)
    for i in range(y.size):
        y[i] = y[i] * b + a * x[i]


@njit(**_JIT)
def _addcmul(y, first, second, value):
    v = y.dtype.type(value)
    for i in range(y.size):
        y[i] = y[i] + v * first[i] * second[i]


@njit(**_JIT)
def _addcdiv(y, first, second, value):
    v = y.dtype.type(value)
    for i in range(y.size):
        y[i] = y[i] + v * (first[i] / second[i])


@njit(**_JIT)
def _add_scaled(x, y, alpha, out):
    a = x.dtype.type(alpha)
    for i in range(x.size):
        out[i] = x[i] + a * y[i]


@njit(**_JIT)
def _sgd_momentum(p, b, g, lr, momentum, dampening, nesterov):
    # The very operations of mul_, add_(alpha), [add(alpha)] and add_(alpha=-lr), in their order.
    m = p.dtype.type(momentum)
    d = p.dtype.type(1 - dampening)
    a = p.dtype.type(-lr)
    if nesterov:
        for i in range(p.size):
            v = b[i] * m + d * g[i]
            b[i] = v
            p[i] = p[i] + a * (g[i] + m * v)
    else:
        for i in range(p.size):
            v = b[i] * m + d * g[i]
            b[i] = v
            p[i] = p[i] + a * v


@njit(**_JIT)
def _lerp_low(y, end, weight):
    w = y.dtype.type(weight)
    for i in range(y.size):
        y[i] = y[i] + w * (end[i] - y[i])


@njit(**_JIT)
def _lerp_high(y, end, weight):
    # torch's second form, exact at weight == 1 (it returns end itself).
    rest = y.dtype.type(1 - weight)
    for i in range(y.size):
        y[i] = end[i] - (end[i] - y[i]) * rest


def axpy_(y, x, alpha):
    """y += alpha * x, in place (`fusable(y, x)` must hold)."""
    if _numpy(y.size):
        return numpy_paths.axpy_(y, x, alpha)
    _axpy(_flat(y), _flat(x), alpha)


def scale_add_(y, beta, x, alpha):
    """y = beta * y + alpha * x, in place (`fusable(y, x)` must hold)."""
    if _numpy(y.size):
        return numpy_paths.scale_add_(y, beta, x, alpha)
    _scale_add(_flat(y), beta, _flat(x), alpha)


def addcmul_(y, first, second, value):
    """y += value * first * second, in place (`fusable(y, first, second)` must hold)."""
    if _numpy(y.size):
        return numpy_paths.addcmul_(y, first, second, value)
    _addcmul(_flat(y), _flat(first), _flat(second), value)


def addcdiv_(y, first, second, value):
    """y += value * first / second, in place (`fusable(y, first, second)` must hold)."""
    if _numpy(y.size):
        return numpy_paths.addcdiv_(y, first, second, value)
    _addcdiv(_flat(y), _flat(first), _flat(second), value)


def lerp_(y, end, weight):
    """y += weight * (end - y), in place, with torch's two formulas (`fusable(y, end)` must hold)."""
    if _numpy(y.size):
        return numpy_paths.lerp_(y, end, weight)
    if weight < 0.5:
        _lerp_low(_flat(y), _flat(end), weight)
    else:
        _lerp_high(_flat(y), _flat(end), weight)


def add_scaled(x, y, alpha):
    """x + alpha * y as a new array, laid out as x (`same_layout(x, y)` must hold)."""
    if _numpy(x.size):
        return _twins.add_scaled(x, y, alpha)
    out = np.empty_like(x)
    _add_scaled(_flat(x), _flat(y), alpha, _flat(out))
    return out


def sgd_momentum_(p, b, g, lr, momentum, dampening, nesterov):
    """One SGD-with-momentum step in place on p and b (`fusable(p, b, g)` and `fusable(b, g)` must hold)."""
    if _numpy(p.size):
        return numpy_paths.sgd_momentum_(p, b, g, lr, momentum, dampening, nesterov)
    _sgd_momentum(_flat(p), _flat(b), _flat(g), lr, momentum, dampening, nesterov)
