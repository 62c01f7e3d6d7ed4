"""Numba kernels for sum and mean along one run of adjacent axes; numpy twins are np.sum/np.mean.

Measured against numpy on float32 (benchmarks/kernels.py): a row sum of a
(1000, 1000) array takes ~45 us against numpy's ~170 us (numpy's pairwise
summation does not use SIMD across a row), a column sum ~60 us against ~100 us,
and small arrays skip numpy's ~2 us of reduction setup.  (A max did not win at
1M elements -- numpy's is SIMD -- so there is none here.)

Sums accumulate in float64 and round once, each float64 term being the sum of a block of
SUM_BLOCK consecutive elements in the input's own precision (vectorized: for float32 the
float64 conversions were the loop's cost, 190 us per 1M elements against 75 us in blocks, torch
77 us, on a first-generation Zen EPYC).  A block's error is at most ~9 float32 ulps of its sum
of magnitudes (LLVM's 32 partial sums of 4 terms, then 5 levels of adds), below the ~20 of
numpy's pairwise float32 sum of 1M elements; so float32 results are at least as accurate as
numpy's (they may differ in the last bit).
Other dtypes, and sets of axes that are not adjacent, go to numpy.  A transposed
(F-contiguous) array is reduced as its C-contiguous transpose; other strided or
broadcast arrays are copied once into C order.
"""
import math

import numpy as np
from .jit import njit

from . import parallel

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_FLOATS = (_F32, _F64)
_JIT = dict(cache=True, error_model="numpy", nogil=True)


SUM_BLOCK = 128


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc"})
def _row_sum(row):
    """sum(row) in float64, over blocks of SUM_BLOCK elements summed in row's own dtype;
    reassociation (this function only) lets LLVM keep SIMD partial sums."""
    total = 0.0
    n = row.size
    body = n - n % SUM_BLOCK
    zero = row.dtype.type(0)
    for start in range(0, body, SUM_BLOCK):
        block = zero
        for i in range(start, start + SUM_BLOCK):
            block += row[i]
        total += block
    for i in range(body, n):
        total += row[i]
    return total


@njit(**_JIT)
def _sum_rows(out, x, scale):
    """out[r] = scale * sum over the last axis of row r of the 2-D array x."""
    for r in range(x.shape[0]):
        out[r] = _row_sum(x[r]) * scale


@njit(**_JIT)
def _sum_columns(out, x, scale, first, last):
    """out[o, k] = scale * sum over the middle axis of the (outer, n, inner) array x, for the
    columns first <= k < last; vectorized along inner."""
    outer, n, inner = x.shape
    width = last - first
    total = np.empty(width)
    for o in range(outer):
        total[:] = 0
        block = x[o]
        for i in range(n):
            # A 1-D row indexed from 0: with block[i, k] for k from `first` (which Numba cannot
            # prove non-negative) each index got a wraparound test and the loop loaded its
            # elements one at a time (9x slower than torch on a (1000, 1000) float32 column sum).
            row = block[i, first:last]
            for k in range(width):
                total[k] += row[k]
        row = out[o, first:last]
        for k in range(width):
            row[k] = total[k] * scale


# Parallel sums (parallel.py).  Rows and columns are independent sums, so chunking them changes
# no bit.  One long row (sum() or mean() of everything) is summed as fixed PIECE-element pieces
# whose float64 partial sums are then added in order: the pieces do not depend on the thread
# count, so neither does the result.
#
# Row sums and long rows are cut into chunks claimed natively (parallel.run_split) from
# SPLIT_GRAIN elements per chunk.  Measured on an AMD EPYC Zen 1 (2 vCPUs, 8 MiB L3; a sum of 1M
# float32 after a relu that wrote its input, as in ``relu(x).sum().backward()``): 285 us serial
# against 205 us on 2 threads, and the relu and its backward around it ran 10-20% faster too,
# with the pool's thread kept polling.  With the input in cache, 2 threads were ~15% slower
# (146 against 129 us; a sum of 4M float32: 0.73-0.93 against 1.10-1.16 ms).
# The earlier measurement that kept sums serial up to 2**24 elements (2 threads / serial 1.85 at
# 2**20) was of chunks claimed under the GIL, with a woken thread each call.  Column sums cut
# along their columns still claim under the GIL (run_chunks), from GRAIN elements.
SPLIT_GRAIN = 1 << 17
GRAIN = 1 << 24
PIECE = 1 << 16


def _sum_2d(rows, scale):
    """scale * the row sums of the C-contiguous 2-D array `rows`."""
    count, n = rows.shape
    out = np.empty(count, rows.dtype)
    if count == 1 and n >= 2 * PIECE:
        values = rows.reshape(-1)
        # The whole pieces as the rows of a 2-D view (their float64 sums, scale 1), the shorter
        # last piece apart.
        pieces, tail = divmod(n, PIECE)
        body = pieces * PIECE
        whole = values[:body].reshape(pieces, PIECE)
        partial = np.empty(pieces + (1 if tail else 0))
        parts = parallel.chunk_count(n, SPLIT_GRAIN)
        if parts == 1:
            _sum_rows(partial[:pieces], whole, 1.0)
        else:
            parallel.run_split(_sum_rows, partial[:pieces], (whole,), (1.0,), parallel.split(pieces, min(parts, pieces)))
        if tail:
            partial[pieces] = _row_sum(values[body:])
        out[0] = float(np.sum(partial)) * scale
        return out
    parts = min(parallel.chunk_count(count * n, SPLIT_GRAIN), count)
    if parts <= 1:
        _sum_rows(out, rows, scale)
        return out
    return parallel.run_split(_sum_rows, out, (rows,), (scale,), parallel.split(count, parts))


def _sum_3d(blocks, scale):
    """scale * the sums over the middle axis of the C-contiguous (outer, n, inner) array."""
    outer, n, inner = blocks.shape
    out = np.empty((outer, inner), blocks.dtype)
    parts = parallel.chunk_count(outer * n * inner, GRAIN)
    if parts == 1:
        _sum_columns(out, blocks, scale, 0, inner)
    elif outer >= parts:
        bounds = parallel.split(outer, parts)
        parallel.run_chunks(_sum_columns, [(out[a:b], blocks[a:b], scale, 0, inner)
                                           for a, b in zip(bounds[:-1], bounds[1:])])
    else:
        bounds = parallel.split(inner, min(parts, inner), 16)
        parallel.run_chunks(_sum_columns, [(out, blocks, scale, a, b)
                                           for a, b in zip(bounds[:-1], bounds[1:]) if b > a])
    return out


def _reduce(x, axis, keepdims, mean, twin):
    """The common path of sum and mean: normalise the axes, view x as blocks, pick a kernel."""
    dtype = x.dtype
    ndim = x.ndim
    if dtype not in _FLOATS or not ndim:  # by value: arrays made by Numba have equal, not identical, dtypes
        return twin(x, axis=axis, keepdims=keepdims)
    if axis is None:
        axes = list(range(ndim))
    elif isinstance(axis, (int, np.integer)):
        axes = [int(axis) % ndim] if -ndim <= axis < ndim else None
    else:
        axes = sorted(a % ndim for a in axis) if all(-ndim <= a < ndim for a in axis) else None
    if not axes or axes != list(range(axes[0], axes[-1] + 1)):
        return twin(x, axis=axis, keepdims=keepdims)  # empty, not adjacent, or out of range (numpy's error)
    if ndim > 1 and x.flags.f_contiguous and not x.flags.c_contiguous:
        # A transposed array: the same reduction over the mirrored axes of x.T, which is
        # C-contiguous (no copy), transposed back (a copy here cost 9 ms of a 1M-element step).
        mirrored = [ndim - 1 - a for a in reversed(axes)]
        return _reduce(x.T, mirrored, keepdims, mean, twin).T
    shape = x.shape
    count = math.prod(shape[axes[0]:axes[-1] + 1])
    blocks = np.ascontiguousarray(x).reshape(math.prod(shape[:axes[0]]), count, math.prod(shape[axes[-1] + 1:]))
    scale = (1.0 / count if count else math.nan) if mean else 1.0
    if blocks.shape[2] == 1:
        out = _sum_2d(blocks.reshape(blocks.shape[:2]), scale)
    else:
        out = _sum_3d(blocks, scale)
    if keepdims:
        return out.reshape(tuple(1 if i in axes else size for i, size in enumerate(shape)))
    return out.reshape(tuple(size for i, size in enumerate(shape) if i not in axes))


def _numpy_sum(x, axis, keepdims):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _numpy_mean(x, axis, keepdims):
    return np.mean(x, axis=axis, keepdims=keepdims)


def sum_forward(x, axis=None, keepdims=False):
    """sum of x over `axis` (an int, a tuple of adjacent axes, or None for all), as np.sum."""
    return _reduce(x, axis, keepdims, False, _numpy_sum)


def mean_forward(x, axis=None, keepdims=False):
    """mean of x over `axis` (an int, a tuple of adjacent axes, or None for all), as np.mean."""
    return _reduce(x, axis, keepdims, True, _numpy_mean)
