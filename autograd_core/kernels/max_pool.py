"""The Numba loop of max pooling (ops/pool.py), 1-D and 2-D, cut over the batch for the thread pool.

numpy's path is an argmax over a strided view of the windows: its per-inner-loop overhead on a
window of 2 or 4 elements dominates (~11 ms for a 2x2 pool of (128, 16, 8, 8) float32 under
load).  This loop reads every element of each window once, the padding cut from the loop
bounds.  The running maximum and its position are selects on ``value > best`` alone; a NaN
only sets a flag, and a window that held one is searched again for its first NaN.  The
first version tested for NaN inside the select, ``(value > best) | ((value != value) &
(best == best))``, and cost ~15-18 ns per 2x2 window here (~590 us on that input); this one
~7 ns (~240 us), and with a whole 2x2 window unrolled (`_max_of_2x2`: a loop of runtime
bounds is not) ~5 ns (160-200 us; AMD EPYC, 1 thread, load ~1.7).  With the batch innermost
(to vectorize across planes) it was no faster.

A call is cut into chunks of whole samples for kernels/parallel.py's pool; each output depends
only on its own window, so the bits do not depend on the thread count.  The numpy twin is
ops/pool.py's `max_pool_numpy` (tests/nn/test_conv_pool_kernels.py).
"""
from . import parallel
from .convolution import sample_chunks
from .jit import njit

__all__ = ["max_pool_2d"]

_JIT = dict(cache=True, nogil=True, error_model="numpy")

#: Window elements read per chunk at least (~1.8 ns each here: ~50 us).
GRAIN = 1 << 15


@njit(**_JIT)
def _window_range(start, k, d, size):
    """The kernel offsets [lo, hi) whose positions start + a d fall inside [0, size)."""
    lo = 0
    if start < 0:
        lo = (-start + d - 1) // d
    hi = k
    last = start + (k - 1) * d
    if last >= size:
        hi = k - ((last - size) // d + 1)
    return lo, hi


@njit(**_JIT)
def _first_nan(plane, top, left, a_lo, a_hi, b_lo, b_hi, dh, dw):
    """(the first NaN of a window, row * W + column of it), in the window's row-major order."""
    width = plane.shape[1]
    for a in range(a_lo, a_hi):
        row = top + a * dh
        for b in range(b_lo, b_hi):
            column = left + b * dw
            value = plane[row, column]
            if value != value:
                return value, row * width + column
    return plane[top + a_lo * dh, left + b_lo * dw], (top + a_lo * dh) * width + left + b_lo * dw


@njit(**_JIT)
def _max_of_2x2(x, n, c, row, column, width):
    """(the maximum of x[n, c, row:row + 2, column:column + 2], row * W + column of it), by the loop's rule."""
    best, where = x[n, c, row, column], row * width + column
    nan = best != best
    for a, b in ((0, 1), (1, 0), (1, 1)):
        value = x[n, c, row + a, column + b]
        nan |= value != value
        take = value > best
        best = value if take else best
        where = (row + a) * width + column + b if take else where
    if nan and best == best:
        for a, b in ((0, 1), (1, 0), (1, 1)):
            value = x[n, c, row + a, column + b]
            if value != value:
                return value, (row + a) * width + column + b
    return best, where


@njit(**_JIT)
def _max_pool_chunk(x, kh, kw, sh, sw, ph, pw, dh, dw, out, plane, flat, n0, n1):
    _, c_, oh, ow = out.shape
    height, width = x.shape[2], x.shape[3]
    for n in range(n0, n1):
        for c in range(c_):
            base = (n * c_ + c) * height * width if flat else 0
            for y in range(oh):
                top = y * sh - ph
                a_lo, a_hi = _window_range(top, kh, dh, height)
                for j in range(ow):
                    left = j * sw - pw
                    b_lo, b_hi = _window_range(left, kw, dw, width)
                    row, column = top + a_lo * dh, left + b_lo * dw
                    best = x[n, c, row, column]
                    where = row * width + column
                    if a_hi - a_lo == 2 and b_hi - b_lo == 2 and dh == 1 and dw == 1:
                        # a whole 2x2 window, the common pool: unrolled (a loop of runtime bounds is not)
                        best, where = _max_of_2x2(x, n, c, row, column, width)
                        out[n, c, y, j] = best
                        plane[n, c, y, j] = base + where
                        continue
                    nan = False
                    for a in range(a_lo, a_hi):
                        row = top + a * dh
                        for b in range(b_lo, b_hi):
                            column = left + b * dw
                            value = x[n, c, row, column]
                            nan |= value != value
                            take = value > best  # selects, not branches: random data mispredicts them
                            best = value if take else best
                            where = row * width + column if take else where
                    if nan and best == best:  # NaN beats every number: the window's first NaN wins
                        best, where = _first_nan(x[n, c], top, left, a_lo, a_hi, b_lo, b_hi, dh, dw)
                    out[n, c, y, j] = best
                    plane[n, c, y, j] = base + where


def max_pool_2d(x, kh, kw, sh, sw, ph, pw, dh, dw, out, plane, flat=False):
    """The maximum of each window of x (N, C, H, W), padding as -inf, into out (N, C, Oh, Ow), and
    where it is, row * W + column in its (H, W) plane, into plane (int64, same shape as out); with
    ``flat=True`` its position in the flattened x instead ((n C + c) H W more: what the backward
    scatters to, so that it is not a separate pass over the indices).

    The first maximum wins, and the first NaN (NaN beats every number), as numpy's argmax.
    Every window holds at least one element of x (torch's padding <= kernel / 2 rule)."""
    samples = x.shape[0]
    chunks = sample_chunks(samples, out.size // max(samples, 1) * kh * kw, GRAIN)
    parallel.run_chunks(_max_pool_chunk, [(x, kh, kw, sh, sw, ph, pw, dh, dw, out, plane, bool(flat), n0, n1)
                                          for n0, n1 in chunks])
