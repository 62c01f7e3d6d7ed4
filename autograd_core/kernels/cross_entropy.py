"""Fused softmax cross-entropy on (N, C) logits and N integer class indices (Numba).

Forward, one pass per row: the max, e^(x - max) and its sum, the softmax
(saved for the backward) and the loss  log(sum) - (x[target] - max), which
stays exact for logits of magnitude 1e4.  Backward: (softmax - onehot) * g
per row.  Rows whose target equals `ignore_index` get zero loss and zero
gradient.  The numpy twin is in `reference_loss.py`.
"""
import math

import numpy as np
from .jit import njit

from . import reference_loss
from .rows import _exp_sum, _row_max, run_rows

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_FLOATS = (_F32, _F64)
_I64 = np.dtype(np.int64)
_JIT = dict(cache=True, error_model="numpy", nogil=True)


@njit(**_JIT)
def _forward(loss, probs, logits, targets, bad, ignore_index):
    """Fills loss and probs; at a row whose target is out of range sets bad[row] and stops (the
    caller raises: what else was filled does not matter)."""
    rows, classes = logits.shape
    for r in range(rows):
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
            bad[r] = True
            return
        else:
            loss[r] = math.log(total) - (row[target] - peak)


@njit(**_JIT)
def _backward(out, g, probs, targets, ignore_index):
    for r in range(probs.shape[0]):
        target = targets[r]
        if target == ignore_index:
            out[r] = 0
            continue
        scale = g[r]
        p, o = probs[r], out[r]
        for i in range(p.size):
            o[i] = p[i] * scale
        o[target] -= scale


def cross_entropy_forward(logits, targets, ignore_index=-100):
    """(loss, probs): loss[n] = -log softmax(logits[n])[targets[n]] (0 where targets[n] == ignore_index)
    and probs = softmax(logits) along the last axis, which the backward takes."""
    dtype = logits.dtype
    if dtype not in _FLOATS or logits.ndim != 2 or logits.shape[1] == 0 \
            or targets.shape != (logits.shape[0],) or targets.dtype.kind not in "iu":
        reference_loss.check_targets(logits, targets, ignore_index)  # raises the clear error
        return reference_loss.cross_entropy_forward(logits, targets, ignore_index)
    if targets.dtype != _I64:
        targets = targets.astype(np.int64)
    logits = np.ascontiguousarray(logits)
    loss = np.empty(logits.shape[0], logits.dtype)
    probs = np.empty_like(logits)
    bad_rows = np.zeros(logits.shape[0], np.bool_)
    run_rows(_forward, loss, (probs, logits, np.ascontiguousarray(targets), bad_rows), logits.shape[1],
             (ignore_index,))
    if bad_rows.any():  # each chunk marks its first bad row: the first marked is the first of all
        bad = int(np.argmax(bad_rows))
        raise IndexError(f"cross_entropy: target {int(targets[bad])} is out of bounds for {logits.shape[1]} classes")
    return loss, probs


def cross_entropy_backward(g, probs, targets, ignore_index=-100):
    """(probs - onehot(targets)) * g[:, None] with zero rows where targets == ignore_index;
    `g` is the gradient of the per-row loss (shape (N,), or a scalar for every row)."""
    dtype = probs.dtype
    if dtype not in _FLOATS or probs.ndim != 2:  # (probs come from Numba: equal, not identical, dtypes)
        return reference_loss.cross_entropy_backward(g, probs, targets, ignore_index)
    g = np.ascontiguousarray(np.broadcast_to(np.asarray(g, dtype=dtype), (probs.shape[0],)))
    if targets.dtype != _I64:
        targets = targets.astype(np.int64)
    probs = np.ascontiguousarray(probs)
    out = np.empty_like(probs)
    run_rows(_backward, out, (g, probs, np.ascontiguousarray(targets), ignore_index), probs.shape[1])
    return out
