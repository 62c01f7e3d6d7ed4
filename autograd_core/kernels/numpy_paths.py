"""numpy implementations used while Numba is not loaded (kernels/__init__.py says when).

Loading Numba costs ~140 MiB of resident memory (57 MiB for ``import numba``, ~60 MiB more for
LLVM's code generator on the first kernel call, even from the on-disk cache, ~15 MiB for a few
more kernels) -- three times a whole small training run.  So a program whose arrays stay small
runs these numpy versions and never loads it.  They compute what the kernels compute (same
semantics as the reference twins, which the tests hold them to), in fewer passes than the
twins where the twins are slow: np.where with a random sign pattern is a branchy scalar loop
here (relu_backward's twin: 295 us on 64K float32 against 55 us for a masked multiply).
"""
import threading

import numpy as np

from . import reference, reference_loss

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_SAME_SIZE_INT = {4: np.int32, 8: np.int64}


def relu_forward(x):
    """max(x, 0), NaN kept (the twin)."""
    return reference.relu_forward(x)


def relu_backward(g, y):
    """g where y > 0, else +0.0 (even where g is inf or NaN: as torch, unlike g * (y > 0)).
    A bitwise AND of g's bits with an all-ones or all-zeros mask: three vectorized passes."""
    dtype = g.dtype
    if dtype not in _FLOATS or y.dtype != dtype or g.shape != y.shape:
        return reference.relu_backward(g, y)
    integer = _SAME_SIZE_INT[dtype.itemsize]
    mask = np.negative((y > 0).view(np.int8), dtype=integer)  # -1: all bits set
    return np.bitwise_and(g.view(integer), mask).view(dtype)


def cross_entropy_forward(logits, targets, ignore_index=-100):
    """(loss, probs) as the kernel: float64 sums of e^(x - max), loss = log(sum) - (x[t] - max)."""
    dtype = logits.dtype
    if dtype not in _FLOATS or logits.ndim != 2 or logits.shape[1] == 0 \
            or targets.shape != (logits.shape[0],) or targets.dtype.kind not in "iu":
        return reference_loss.cross_entropy_forward(logits, targets, ignore_index)
    classes = logits.shape[1]
    kept = targets != ignore_index
    bad = kept & ((targets < 0) | (targets >= classes))
    if bad.any():
        raise IndexError(f"cross_entropy: target {int(targets[bad][0])} is out of bounds for {classes} classes")
    peak = logits.max(axis=1, keepdims=True)
    shifted = logits - peak
    probs = np.exp(shifted)
    total = probs.sum(axis=1, dtype=np.float64)
    probs /= total.astype(dtype)[:, None]
    picked = np.take_along_axis(shifted, np.where(kept, targets, 0)[:, None], axis=1)[:, 0]
    loss = np.log(total) - picked
    loss[~kept] = 0
    return loss.astype(dtype), probs


def cross_entropy_backward(g, probs, targets, ignore_index=-100):
    """(probs - onehot(targets)) * g per row, zero rows where targets == ignore_index."""
    dtype = probs.dtype
    if dtype not in _FLOATS or probs.ndim != 2:
        return reference_loss.cross_entropy_backward(g, probs, targets, ignore_index)
    kept = targets != ignore_index
    scale = np.where(kept, np.broadcast_to(np.asarray(g, dtype=dtype), kept.shape), 0).astype(dtype, copy=False)
    out = probs * scale[:, None]
    rows = np.flatnonzero(kept)
    out[rows, targets[rows]] -= scale[rows]
    return out


# -- optimizer updates ----------------------------------------------------------------------
# The twins allocate a temporary per term (``alpha * x``): above ~128 KiB each is a fresh mmap
# whose pages fault in on every step.  These versions compute the same products, in the same
# order (so the same bits), into one scratch buffer per thread that is reused step after step.
_scratch = threading.local()


def _scratch_like(y):
    """A reusable flat buffer of y's size and dtype, private to this thread (threads may train
    models side by side)."""
    buffers = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    buffer = buffers.get(y.dtype)
    if buffer is None or buffer.size < y.size:
        buffer = buffers[y.dtype] = np.empty(y.size, y.dtype)
    return buffer[:y.size]


def flat_contiguous(array):
    """A 1-d view of a contiguous array (C or F order), in memory order: no copy (the updates' operands)."""
    return array.reshape(-1, order="A")



def axpy_(y, x, alpha):
    """y += alpha * x (the twin's bits, no temporary)."""
    y, x = flat_contiguous(y), flat_contiguous(x)
    term = _scratch_like(y)
    np.multiply(x, y.dtype.type(alpha), out=term)
    y += term


def scale_add_(y, beta, x, alpha):
    """y = beta * y + alpha * x (the twin's bits, no temporary)."""
    y, x = flat_contiguous(y), flat_contiguous(x)
    y *= y.dtype.type(beta)
    term = _scratch_like(y)
    np.multiply(x, y.dtype.type(alpha), out=term)
    y += term


def sgd_momentum_(p, b, g, lr, momentum, dampening, nesterov):
    """b = momentum * b + (1 - dampening) * g;  p += -lr * (g + momentum * b if nesterov else b),
    the twin's bits without its temporaries."""
    p, b, g = flat_contiguous(p), flat_contiguous(b), flat_contiguous(g)
    kind = p.dtype.type
    b *= kind(momentum)
    if dampening == 0:
        b += g  # (1 - 0) * g is g exactly
    else:
        term = _scratch_like(b)
        np.multiply(g, kind(1 - dampening), out=term)
        b += term
    step = _scratch_like(p)
    if nesterov:
        np.multiply(b, kind(momentum), out=step)
        step += g  # g + momentum * b: addition commutes exactly
        step *= kind(-lr)
    else:
        np.multiply(b, kind(-lr), out=step)
    p += step


def addcmul_(y, first, second, value):
    """y += value * first * second (the twin's bits, no temporary)."""
    y, first, second = flat_contiguous(y), flat_contiguous(first), flat_contiguous(second)
    term = _scratch_like(y)
    np.multiply(first, y.dtype.type(value), out=term)
    term *= second
    y += term


def addcdiv_(y, first, second, value):
    """y += value * (first / second) (the twin's bits, no temporary)."""
    y, first, second = flat_contiguous(y), flat_contiguous(first), flat_contiguous(second)
    term = _scratch_like(y)
    np.divide(first, second, out=term)
    term *= y.dtype.type(value)
    y += term


def lerp_(y, end, weight):
    """y += weight * (end - y) for weight < 0.5, else y = end - (end - y) * (1 - weight): the twin's
    bits, no temporary."""
    y, end = flat_contiguous(y), flat_contiguous(end)
    term = _scratch_like(y)
    np.subtract(end, y, out=term)
    if weight < 0.5:
        term *= y.dtype.type(weight)
        y += term
    else:
        term *= y.dtype.type(1 - weight)
        np.subtract(end, term, out=y)
