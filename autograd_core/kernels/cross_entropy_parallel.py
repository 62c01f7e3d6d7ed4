"""The fused softmax cross-entropy of `cross_entropy.py` with its rows spread over threads.

torch runs a (512, 1000) cross-entropy on all of its intra-op threads; these
kernels do the same through Numba's ``prange`` (``numba.set_num_threads`` sets
how many).  Rows are independent and each is computed exactly as the serial
kernel computes it, so the results are the same, bit for bit.  Below
`PARALLEL_MIN_ELEMENTS` elements, or on one thread, starting the threads costs
more than it saves and the serial kernels run.
"""
import math

import numba
import numpy as np
from numba import njit, prange

from . import cross_entropy as serial
from .rows import _exp_sum, _row_max

#: Below this many logits the serial kernels run.  Two threads win from a few thousand logits
#: ((512, 10): 32 -> 17 us forward), but a training step's small cross-entropy would then leave
#: Numba's OpenMP threads spinning while the next matrix product wants the cores; (512, 1000)
#: goes from 470 to 250 us.
PARALLEL_MIN_ELEMENTS = 1 << 15

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_I64 = np.dtype(np.int64)
_JIT = dict(cache=True, error_model="numpy", nogil=True, parallel=True)


@njit(**_JIT)
def _forward(logits, targets, ignore_index, bad):
    rows, classes = logits.shape
    loss = np.empty(rows, logits.dtype)
    probs = np.empty_like(logits)
    for r in prange(rows):
        row, p = logits[r], probs[r]
        peak = _row_max(row)
        total = _exp_sum(row, peak, p)  # float64
        norm = logits.dtype.type(total)
        for i in range(classes):
            p[i] = p[i] / norm
        target = targets[r]
        if target == ignore_index:
            loss[r] = 0
        elif target < 0 or target >= classes:
            bad[r] = True  # a prange loop cannot stop early: the caller raises
            loss[r] = 0
        else:
            loss[r] = math.log(total) - (row[target] - peak)
    return loss, probs


@njit(**_JIT)
def _backward(g, probs, targets, ignore_index):
    out = np.empty_like(probs)
    for r in prange(probs.shape[0]):
        target = targets[r]
        o = out[r]
        if target == ignore_index:
            o[:] = 0
            continue
        scale = g[r]
        p = probs[r]
        for i in range(p.size):
            o[i] = p[i] * scale
        o[target] -= scale
    return out


def _parallel(array):
    return (array.size >= PARALLEL_MIN_ELEMENTS and array.ndim == 2 and array.dtype in _FLOATS
            and array.shape[0] > 1 and numba.get_num_threads() > 1)


def cross_entropy_forward(logits, targets, ignore_index=-100):
    """(loss, probs) as `cross_entropy.cross_entropy_forward`, rows spread over threads when large."""
    if not _parallel(logits) or targets.shape != logits.shape[:1] or targets.dtype.kind not in "iu":
        return serial.cross_entropy_forward(logits, targets, ignore_index)
    targets = np.ascontiguousarray(targets, dtype=_I64)
    bad = np.zeros(targets.shape, np.bool_)
    loss, probs = _forward(np.ascontiguousarray(logits), targets, ignore_index, bad)
    if bad.any():
        first = int(np.argmax(bad))
        raise IndexError(
            f"cross_entropy: target {int(targets[first])} is out of bounds for {logits.shape[1]} classes")
    return loss, probs


def cross_entropy_backward(g, probs, targets, ignore_index=-100):
    """(probs - onehot(targets)) * g[:, None] as `cross_entropy.cross_entropy_backward`, rows spread
    over threads when large."""
    if not _parallel(probs):
        return serial.cross_entropy_backward(g, probs, targets, ignore_index)
    g = np.ascontiguousarray(np.broadcast_to(np.asarray(g, dtype=probs.dtype), probs.shape[:1]))
    targets = np.ascontiguousarray(targets, dtype=_I64)
    return _backward(g, np.ascontiguousarray(probs), targets, ignore_index)
