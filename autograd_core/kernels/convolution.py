"""Numba loops for convolution and max pooling (ops/conv.py, ops/pool.py), 1-D and 2-D.

numpy reaches every element of these through strided views: im2col is one copy of a
6-D view (N, C, kh, kw, Oh, Ow) whose innermost run is a few elements long, col2im
is kh * kw strided adds, and max pooling an argmax over a tiny last axis.  numpy's
per-inner-loop overhead then dominates: on (128, 16, 8, 8) float32 a 2x2 max pool took
~11 ms and the col2im of a 3x3 convolution ~18 ms on this 2-core AMD EPYC under load,
each a few hundred thousand elements.  These loops touch every element once, with the
padding handled by bounds checks instead of a padded copy.

A 1-D problem is the 2-D one with height 1 (callers pass ``x[:, :, None, :]``).
The numpy twins are the strided-view paths kept in ops/conv.py (`im2col_numpy`,
`col2im_numpy`) and ops/pool.py (`max_pool_numpy`); tests/nn/test_conv_pool_kernels.py
holds the loops to them.
"""
from .jit import is_loaded, njit

__all__ = ["im2col_2d", "col2im_2d", "max_pool_2d", "use_kernels"]

_JIT = dict(cache=True, nogil=True, error_model="numpy")

#: Below this many elements, and while Numba is not loaded, the numpy paths run (as kernels/numpy_paths.py:
#: a small program should not pay Numba's import and memory for a few tiny convolutions).
SMALL = 1 << 15


def use_kernels(size):
    """Whether a problem of `size` elements runs the Numba loops (always, once Numba is loaded)."""
    return is_loaded() or size >= SMALL


@njit(**_JIT)
def im2col_2d(x, cols, sh, sw, ph, pw, dh, dw):
    """cols[c, a, b, n, y, x'] = x[n, c, y sh + a dh - ph, x' sw + b dw - pw], 0 outside x.

    x (N, C, H, W); cols (C, kh, kw, N, Oh, Ow), written in full."""
    c_, kh, kw, n_, oh, ow = cols.shape
    height, width = x.shape[2], x.shape[3]
    for c in range(c_):
        for a in range(kh):
            for b in range(kw):
                for n in range(n_):
                    for y in range(oh):
                        row = y * sh + a * dh - ph
                        if row < 0 or row >= height:
                            for j in range(ow):
                                cols[c, a, b, n, y, j] = 0
                            continue
                        for j in range(ow):
                            column = j * sw + b * dw - pw
                            if 0 <= column < width:
                                cols[c, a, b, n, y, j] = x[n, c, row, column]
                            else:
                                cols[c, a, b, n, y, j] = 0


@njit(**_JIT)
def col2im_2d(cols, out, sh, sw, ph, pw, dh, dw):
    """The adjoint of `im2col_2d`: out[n, c, y sh + a dh - ph, x' sw + b dw - pw] += cols[c, a, b, n, y, x'].

    out (N, C, H, W) must be zeros on entry; entries that fall in the padding are dropped."""
    c_, kh, kw, n_, oh, ow = cols.shape
    height, width = out.shape[2], out.shape[3]
    for n in range(n_):
        for c in range(c_):
            for a in range(kh):
                for b in range(kw):
                    for y in range(oh):
                        row = y * sh + a * dh - ph
                        if row < 0 or row >= height:
                            continue
                        for j in range(ow):
                            column = j * sw + b * dw - pw
                            if 0 <= column < width:
                                out[n, c, row, column] += cols[c, a, b, n, y, j]


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
def max_pool_2d(x, kh, kw, sh, sw, ph, pw, dh, dw, out, plane):
    """The maximum of each window of x (N, C, H, W), padding as -inf, into out (N, C, Oh, Ow), and
    where it is, row * W + column in its (H, W) plane, into plane (int64, same shape as out).

    The first maximum wins, and the first NaN (NaN beats every number), as numpy's argmax.
    Every window holds at least one element of x (torch's padding <= kernel / 2 rule); the
    offsets that fall in the padding are cut from the loop bounds, and the update is written
    as selects (no data-dependent branch: random data mispredicted half of them)."""
    n_, c_, oh, ow = out.shape
    height, width = x.shape[2], x.shape[3]
    for n in range(n_):
        for c in range(c_):
            for y in range(oh):
                top = y * sh - ph
                a_lo, a_hi = _window_range(top, kh, dh, height)
                for j in range(ow):
                    left = j * sw - pw
                    b_lo, b_hi = _window_range(left, kw, dw, width)
                    row, column = top + a_lo * dh, left + b_lo * dw
                    best = x[n, c, row, column]
                    where = row * width + column
                    for a in range(a_lo, a_hi):
                        row = top + a * dh
                        for b in range(b_lo, b_hi):
                            column = left + b * dw
                            value = x[n, c, row, column]
                            take = (value > best) | ((value != value) & (best == best))
                            best = value if take else best
                            where = row * width + column if take else where
                    out[n, c, y, j] = best
                    plane[n, c, y, j] = where
