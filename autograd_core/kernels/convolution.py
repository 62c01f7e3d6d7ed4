"""Numba loops for convolution (ops/conv.py), 1-D and 2-D, cut over the batch for the thread pool.

  * im2col / col2im.  numpy reaches every element of these through strided views: im2col is
    one copy of a 6-D view (N, C, kh, kw, Oh, Ow) whose innermost run is a few elements long,
    col2im kh * kw strided adds, and numpy's per-inner-loop overhead dominates.  These loops
    touch every element once, the padding handled by a bounds test instead of a padded copy.
  * `by_sample` / `by_channel`: the GEMM's (C_out, N, L) result as (N, C_out, L) with the bias
    added, and a gradient (N, C_out, L) as (C_out, N, L) for the GEMMs: numpy's strided copy
    with an inner run of L = 5 to 64 took ~3x as long (MNIST-1D CNN, batch 512: 130 vs 47 us).

Each call is cut into chunks of whole samples ``[n0, n1)`` for kernels/parallel.py's pool.
Every output element is written by exactly one chunk, and col2im adds the contributions to
one element in the same (c, a, b, y, x') order whatever the chunks are, so the bits do not
depend on the thread count (tests/kernels/test_convolution_layout.py).

What did not help (measured on the MNIST-1D CNN's second layer at batch 512, im2col 384K
elements, ~430 us, AMD EPYC): splitting each row into the padding and a bounds-free strided
copy (three short loops: ~620 us; LLVM's vectorized loop with its alias checks costs more
than the 10 elements it copies), walking the batch in L1-sized blocks (no change), and 1-D
row views inside the loop (~750 us: each view costs a reference-count update).  Even a
bounds-free copy of the same elements took ~310 us: short stride-2 rows cost ~0.8 ns per
element here; a chunk per thread is what is left to gain.

A 1-D problem is the 2-D one with height 1 (callers pass ``x[:, :, None, :]``).  The numpy
twins are the strided-view paths kept in ops/conv.py (`im2col_numpy`, `col2im_numpy`;
tests/nn/test_conv_pool_kernels.py) and kernels/reference_convolution.py.  Max pooling is
in kernels/max_pool.py.
"""
import threading

import numpy as np

from . import parallel
from .jit import is_loaded, njit

__all__ = ["im2col_2d", "col2im_2d", "by_sample", "by_channel", "use_kernels", "sample_chunks", "scratch",
           "recycled", "recycle"]

_scratch = threading.local()


def scratch(slot, shape, dtype):
    """A reusable C-contiguous array of `shape` and `dtype` for a temporary that never leaves the
    call that asks for it (a GEMM's result before `by_sample`, the gradient's rows, the columns'
    gradient before col2im), one per `slot` and dtype and per thread (threads may train models side
    by side).  Above ~128 KiB a fresh array is a fresh mmap whose pages fault in on every step: with
    the benchmark's seven models in one process that cost the MNIST-1D CNN at batch 512 ~2.5 ms of
    a ~8 ms step (malloc told not to mmap: 5.3 ms)."""
    buffers = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    size = 1
    for extent in shape:
        size *= extent
    key = (slot, np.dtype(dtype))
    buffer = buffers.get(key)
    if buffer is None or buffer.size < size:
        buffer = buffers[key] = np.empty(size, dtype)
    return buffer[:size].reshape(shape)


#: Released buffers kept per (size, dtype) and thread, at most (the columns of a few layers of one shape).
KEEP = 4


def recycled(shape, dtype):
    """An uninitialised C-contiguous array of `shape`: a buffer given back by `recycle` on this thread
    if one of that size and dtype is free, else a new one.  For the columns, which live from a
    forward to its backward (so `scratch` cannot hold them): their pages then fault in once, not
    on every step (1.5 MiB for the MNIST-1D CNN's second layer at batch 512)."""
    size = 1
    for extent in shape:
        size *= extent
    free = getattr(_scratch, "free", None)
    if free is not None:
        buffers = free.get((size, np.dtype(dtype)))
        if buffers:
            return buffers.pop().reshape(shape)
    return np.empty(size, dtype).reshape(shape)


def recycle(array):
    """Give back an array made by `recycled` (or any view of it) that nothing will read again."""
    root = array
    while root.base is not None and isinstance(root.base, np.ndarray):
        root = root.base
    if root.ndim != 1 or not root.flags.c_contiguous or not root.flags.writeable:
        return
    free = getattr(_scratch, "free", None)
    if free is None:
        free = _scratch.free = {}
    buffers = free.setdefault((root.size, root.dtype), [])
    if len(buffers) < KEEP and not any(b is root for b in buffers):
        buffers.append(root)

_JIT = dict(cache=True, nogil=True, error_model="numpy")

#: Below this many elements, and while Numba is not loaded, the numpy paths run (as kernels/numpy_paths.py:
#: a small program should not pay Numba's import and memory for a few tiny convolutions).
SMALL = 1 << 15

#: Samples per block inside a chunk (a block of the digits CNN's second layer input: 16 x 16 x 4 x 4 floats).
BLOCK = 16

#: Elements per chunk at least, ~50 us of serial work each (the pool's grain): im2col and col2im
#: spend ~0.8-1.5 ns per element (short strided rows, a bounds test each), the layout copies
#: ~0.2 ns (measured at the benchmark's sizes, AMD EPYC).
GRAIN = 1 << 16
COPY_GRAIN = 1 << 18


def use_kernels(size):
    """Whether a problem of `size` elements runs the Numba loops (always, once Numba is loaded)."""
    return is_loaded() or size >= SMALL


def sample_chunks(samples, per_sample, grain=None):
    """[n0, n1) bounds cutting `samples` of `per_sample` elements of work each into the chunks the
    pool runs (one chunk when small; `grain`: elements per chunk at least, default `GRAIN`)."""
    parts = parallel.chunk_count(samples * per_sample, GRAIN if grain is None else grain)
    bounds = parallel.split(samples, min(parts, max(samples, 1)))
    return list(zip(bounds[:-1], bounds[1:]))


@njit(**_JIT)
def inside(offset, step, size, count):
    """The outputs [lo, hi) of `count` whose position ``j * step + offset`` lies in [0, size)."""
    lo = 0
    if offset < 0:
        lo = (-offset + step - 1) // step
    hi = 0
    if size - offset > 0:
        hi = (size - offset - 1) // step + 1
    if hi > count:
        hi = count
    if lo > hi:
        lo = hi
    return lo, hi


@njit(**_JIT)
def _im2col_chunk(x, cols, n0, n1, sh, sw, ph, pw, dh, dw):
    c_, kh, kw, _, oh, ow = cols.shape
    height, width = x.shape[2], x.shape[3]
    for c in range(c_):
        for a in range(kh):
            for b in range(kw):
                for n in range(n0, n1):
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


def im2col_2d(x, cols, sh, sw, ph, pw, dh, dw):
    """cols[c, a, b, n, y, x'] = x[n, c, y sh + a dh - ph, x' sw + b dw - pw], 0 outside x.

    x (N, C, H, W) of any strides; cols (C, kh, kw, N, Oh, Ow), written in full, in chunks of
    whole samples."""
    chunks = sample_chunks(x.shape[0], cols.size // max(x.shape[0], 1))
    parallel.run_chunks(_im2col_chunk, [(x, cols, n0, n1, sh, sw, ph, pw, dh, dw) for n0, n1 in chunks])


@njit(**_JIT)
def _col2im_chunk(cols, out, n0, n1, sh, sw, ph, pw, dh, dw):
    c_, kh, kw, _, oh, ow = cols.shape
    height, width = out.shape[2], out.shape[3]
    for n in range(n0, n1):
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


def col2im_2d(cols, out, sh, sw, ph, pw, dh, dw):
    """The adjoint of `im2col_2d`: out[n, c, y sh + a dh - ph, x' sw + b dw - pw] += cols[c, a, b, n, y, x'].

    out (N, C, H, W) must be zeros on entry; entries that fall in the padding are dropped.  The
    contributions to one element are added in (c, a, b, y, x') order, whatever the chunks."""
    chunks = sample_chunks(out.shape[0], cols.size // max(out.shape[0], 1))
    parallel.run_chunks(_col2im_chunk, [(cols, out, n0, n1, sh, sw, ph, pw, dh, dw) for n0, n1 in chunks])


@njit(**_JIT)
def _by_sample_chunk(product, bias, out, n0, n1):
    cout, _, length = product.shape
    for n in range(n0, n1):
        for o in range(cout):
            if bias.size:
                shift = bias[o]
                for j in range(length):
                    out[n, o, j] = product[o, n, j] + shift
            else:
                for j in range(length):
                    out[n, o, j] = product[o, n, j]


def by_sample(product, bias, out):
    """out[n, o, :] = product[o, n, :] (+ bias[o]): a GEMM's (C_out, N, L) result as (N, C_out, L).

    `bias` is a (C_out,) array or an empty one for none (then the values are copied as they are,
    -0.0 included); any strides."""
    chunks = sample_chunks(out.shape[0], out.size // max(out.shape[0], 1), COPY_GRAIN)
    parallel.run_chunks(_by_sample_chunk, [(product, bias, out, n0, n1) for n0, n1 in chunks])


@njit(**_JIT)
def _by_channel_chunk(g, out, n0, n1):
    _, cout, length = g.shape
    for o in range(cout):
        for n in range(n0, n1):
            for j in range(length):
                out[o, n, j] = g[n, o, j]


def by_channel(g, out):
    """out[o, n, :] = g[n, o, :]: a gradient (N, C_out, L) in the (C_out, N, L) layout of the GEMMs."""
    chunks = sample_chunks(g.shape[0], g.size // max(g.shape[0], 1), COPY_GRAIN)
    parallel.run_chunks(_by_channel_chunk, [(g, out, n0, n1) for n0, n1 in chunks])
