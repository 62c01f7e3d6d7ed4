"""Numba kernels for the softmax family along one axis, and a fused softmax cross-entropy.

An array reduced along axis `a` is viewed (without copying, if C-contiguous) as
(outer, n, inner): n the reduced length, outer/inner the sizes before/after it.
The common case, the last axis (inner == 1), runs row by row: a max pass, an
exp pass, a sum and a scaling pass, each a loop that LLVM vectorizes.  Other
axes run "column-wise", vectorized along `inner`.

Semantics follow torch and the numpy twins in `reference.py`: the maximum is
subtracted before exp (finite results for logits of magnitude 1e4); softmax and
log_softmax of a row containing +inf or only -inf give NaN; logsumexp does not
subtract an infinite maximum (all -inf gives -inf, any +inf gives +inf).
Results keep the input dtype; the sums of exponentials accumulate in float64.
"""
import math

import numpy as np
from .jit import njit

from . import parallel, reference
from .reductions import _row_sum
from . import scalar_math as sm

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_JIT = dict(cache=True, error_model="numpy", nogil=True)


# -- building blocks (inlined by LLVM) ---------------------------------------------------
@njit(**_JIT)
def _row_max(row):
    """max(row) for len(row) >= 1.  Eight independent running maxima, because LLVM does not
    vectorize a single compare-and-select chain (numpy's SIMD max is still ~2x faster)."""
    n = row.size
    body = n - n % 8
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = row[0]
    for s in range(0, body, 8):
        v = row[s]
        m0 = v if v > m0 else m0
        v = row[s + 1]
        m1 = v if v > m1 else m1
        v = row[s + 2]
        m2 = v if v > m2 else m2
        v = row[s + 3]
        m3 = v if v > m3 else m3
        v = row[s + 4]
        m4 = v if v > m4 else m4
        v = row[s + 5]
        m5 = v if v > m5 else m5
        v = row[s + 6]
        m6 = v if v > m6 else m6
        v = row[s + 7]
        m7 = v if v > m7 else m7
    for i in range(body, n):
        v = row[i]
        m0 = v if v > m0 else m0
    return max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))


@njit(**_JIT)
def _exp_sum(row, shift, out):
    """sum(e^(row - shift)) as a float64 (reductions._row_sum: blocks in row's dtype), storing the
    terms in `out` (the exp loop vectorizes only when it carries no reduction, hence two loops)."""
    for i in range(row.size):
        out[i] = sm.exp(row[i] - shift)
    return _row_sum(out[:row.size])


# -- last axis: rows of a 2-D (outer, n) array ---------------------------------------------
@njit(**_JIT)
def _softmax_rows(out, x):
    if x.shape[1] == 0:
        return
    for r in range(x.shape[0]):
        row, out_row = x[r], out[r]
        total = x.dtype.type(_exp_sum(row, _row_max(row), out_row))
        for i in range(row.size):
            out_row[i] = out_row[i] / total


@njit(**_JIT)
def _log_softmax_rows(out, x):
    if x.shape[1] == 0:
        return
    for r in range(x.shape[0]):
        row, out_row = x[r], out[r]
        peak = _row_max(row)
        log_total = x.dtype.type(math.log(_exp_sum(row, peak, out_row)))
        for i in range(row.size):
            out_row[i] = (row[i] - peak) - log_total


@njit(**_JIT)
def _logsumexp_rows(out, x):
    scratch = np.empty(x.shape[1], x.dtype)
    if x.shape[1] == 0:
        out[:] = -np.inf
        return
    zero = x.dtype.type(0)
    for r in range(x.shape[0]):
        row = x[r]
        peak = _row_max(row)
        if not math.isfinite(peak):
            peak = zero
        out[r] = math.log(_exp_sum(row, peak, scratch)) + peak  # one rounding, at the store


# Rows per chunk: at least ROW_GRAIN elements (an exp each, ~0.8 ns on a Zen 5 EPYC, ~1.7 ns on a
# first-generation Zen: 25-55 us) for a chunk to pay for a pool thread (see activations._COSTLY).
# 2**15 rather than 2**16: W4's (512, 1000) log_softmax then gets 8 chunks, 4 per thread, instead
# of 7 (2 threads: 929 -> 840 us on the first-generation Zen, 232 -> ~215 us on the Zen 5).  Each
# row is computed as the serial loop computes it: same bits on any number of threads.
ROW_GRAIN = 1 << 15


def run_rows(kernel, out, operands, classes, params=()):
    """kernel(out, *operands, *params) over row ranges of the (rows, ...) arrays `out` and
    `operands` (scalar operands passed whole), on up to get_num_threads() threads; the kernel
    returns nothing (its chunks are claimed in native code: parallel.run_split)."""
    rows = out.shape[0]
    parts = parallel.chunk_count(rows, max(1, ROW_GRAIN // max(classes, 1)))
    if parts == 1:
        kernel(out, *operands, *params)
        return
    parallel.run_split(kernel, out, operands, params, parallel.split(rows, parts))


# -- other axes: (outer, n, inner), vectorized along inner ------------------------------
@njit(**_JIT)
def _columns_exp_sum(block, peak, total, out_block, mask_infinite):
    """For each column k of the (n, inner) block: peak[k] = max_i block[i, k] (0 if infinite and
    `mask_infinite`), out_block[i, k] = e^(block[i, k] - peak[k]), total[k] = sum_i of those
    (float64, and compensated for float64 terms: these sums run down the columns one term at
    a time, vectorized across columns, so they cannot be split into partial sums)."""
    inner = peak.size
    peak[:] = block[0]
    for i in range(1, block.shape[0]):
        for k in range(inner):
            v = block[i, k]
            peak[k] = v if v > peak[k] else peak[k]
    if mask_infinite:
        for k in range(inner):
            if not math.isfinite(peak[k]):
                peak[k] = 0
    total[:] = 0
    if block.itemsize == 4:  # float32 terms: float64 sums are exact enough
        for i in range(block.shape[0]):
            for k in range(inner):
                e = sm.exp(block[i, k] - peak[k])
                out_block[i, k] = e
                total[k] += e
        return
    lost = np.zeros(inner)  # float64 terms: Kahan summation, `lost` is what each addition dropped
    for i in range(block.shape[0]):
        for k in range(inner):
            e = sm.exp(block[i, k] - peak[k])
            out_block[i, k] = e
            term = e - lost[k]
            updated = total[k] + term
            lost[k] = (updated - total[k]) - term
            total[k] = updated


@njit(**_JIT)
def _softmax_columns(x):
    out = np.empty_like(x)
    inner = x.shape[2]
    peak, total, norm = np.empty(inner, x.dtype), np.empty(inner), np.empty(inner, x.dtype)
    if x.shape[1] == 0:
        return out
    for o in range(x.shape[0]):
        out_block = out[o]
        _columns_exp_sum(x[o], peak, total, out_block, False)
        norm[:] = total
        for i in range(out_block.shape[0]):
            for k in range(inner):
                out_block[i, k] = out_block[i, k] / norm[k]
    return out


@njit(**_JIT)
def _log_softmax_columns(x):
    out = np.empty_like(x)
    inner = x.shape[2]
    peak, total, log_total = np.empty(inner, x.dtype), np.empty(inner), np.empty(inner, x.dtype)
    if x.shape[1] == 0:
        return out
    for o in range(x.shape[0]):
        block, out_block = x[o], out[o]
        _columns_exp_sum(block, peak, total, out_block, False)
        for k in range(inner):
            log_total[k] = math.log(total[k])
        for i in range(block.shape[0]):
            for k in range(inner):
                out_block[i, k] = (block[i, k] - peak[k]) - log_total[k]
    return out


@njit(**_JIT)
def _logsumexp_columns(x):
    inner = x.shape[2]
    out = np.empty((x.shape[0], inner), x.dtype)
    if x.shape[1] == 0:
        out[:] = -np.inf
        return out
    peak, total = np.empty(inner, x.dtype), np.empty(inner)
    scratch = np.empty(x.shape[1:], x.dtype)
    for o in range(x.shape[0]):
        _columns_exp_sum(x[o], peak, total, scratch, True)
        for k in range(inner):
            out[o, k] = math.log(total[k]) + peak[k]
    return out


# -- dispatch ------------------------------------------------------------------------
def _as_blocks(x, first, last):
    """x (C-contiguous) as (outer, n, inner) where axes first..last are reduced (a view)."""
    shape = x.shape
    outer = math.prod(shape[:first])
    inner = math.prod(shape[last + 1:])
    return x.reshape(outer, math.prod(shape[first:last + 1]), inner)


def _fast(x):
    dtype = x.dtype
    return dtype in (_F32, _F64) and x.ndim > 0  # by value: Numba's outputs have equal, not identical, dtypes


def softmax_forward(x, axis):
    """e^(x - max) / sum(e^(x - max)) along `axis` (an int)."""
    if not _fast(x):
        return reference.softmax_forward(x, axis)
    axis = axis % x.ndim
    blocks = _as_blocks(np.ascontiguousarray(x), axis, axis)
    if blocks.shape[2] == 1:
        rows = blocks.reshape(blocks.shape[:2])
        out = np.empty_like(rows)
        run_rows(_softmax_rows, out, (rows,), rows.shape[1])
        return out.reshape(x.shape)
    return _softmax_columns(blocks).reshape(x.shape)


def log_softmax_forward(x, axis):
    """(x - max) - log(sum(e^(x - max))) along `axis` (an int)."""
    if not _fast(x):
        return reference.log_softmax_forward(x, axis)
    axis = axis % x.ndim
    blocks = _as_blocks(np.ascontiguousarray(x), axis, axis)
    if blocks.shape[2] == 1:
        rows = blocks.reshape(blocks.shape[:2])
        out = np.empty_like(rows)
        run_rows(_log_softmax_rows, out, (rows,), rows.shape[1])
        return out.reshape(x.shape)
    return _log_softmax_columns(blocks).reshape(x.shape)


def logsumexp_forward(x, axes, keepdims):
    """log(sum(e^x)) over `axes` (a tuple of axes, or None for all); torch's handling of infinities."""
    if axes is None:
        axes = tuple(range(np.ndim(x)))
    ndim = np.ndim(x)
    axes = sorted(a % ndim for a in axes) if ndim else []
    # The kernels reduce one run of adjacent axes; anything else goes to numpy.
    if not _fast(x) or not axes or axes != list(range(axes[0], axes[-1] + 1)):
        return reference.logsumexp_forward(x, tuple(axes), keepdims)
    blocks = _as_blocks(np.ascontiguousarray(x), axes[0], axes[-1])
    if blocks.shape[2] == 1:
        rows = blocks.reshape(blocks.shape[:2])
        out = np.empty(rows.shape[0], rows.dtype)
        run_rows(_logsumexp_rows, out, (rows,), rows.shape[1])
    else:
        out = _logsumexp_columns(blocks)
    kept = tuple(1 if i in axes else size for i, size in enumerate(x.shape))
    out = out.reshape(kept)
    return out if keepdims else out.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axes))
