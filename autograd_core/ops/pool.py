"""Pooling (torch's max_pool1d/2d, avg_pool1d, adaptive_avg_pool1d), without per-element Python loops.

  * Max pooling: the windows are a strided view of the (-inf padded) input; one argmax
    over each window picks the element (the first maximum, as torch).  The VJP sends g
    back to the picked positions (`MaxPoolScatter`: an assignment, or np.add.at where
    windows overlap); its own VJP reads them again (`MaxPoolGather`) and so on: the
    second derivative goes through the same selection.
  * Average pooling is a convolution of every channel with a constant kernel (`Conv` of
    ops/conv.py on (N*C, 1, *S)), divided by torch's divisor (the window size, or the
    part of it inside the input with count_include_pad=False; clipped windows with
    ceil_mode).  It is linear, so its derivatives of any order come from Conv's.
  * Adaptive average pooling is a product with a constant averaging matrix (window i
    of L -> O is [floor(i L / O), ceil((i + 1) L / O))): one matmul, any order.

`avg_pool2d` and `adaptive_avg_pool2d` are not torch top-level names; ``nn.functional``
builds them from `conv2d` and `matmul` the same way.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..kernels import convolution, max_pool
from .conv import Conv, Geometry
from .conv import _expand as conv_expand
from .linalg import MatMul
from .op import Op, linear_jvp
from .shape import Reshape

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d"]


def _expand(value, dims, what, name):
    return conv_expand(value, dims, what, name, operation="pooling")


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """torch's pooling output length (a last window that would start in the right padding is dropped)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + padding:
            out -= 1
        return out
    return span // stride + 1


class PoolShape:
    """The checked arguments of one pooling call on an input (N, C, *S)."""

    __slots__ = ("input_shape", "kernel", "stride", "padding", "dilation", "out_sizes", "right")

    def __init__(self, name, input_shape, kernel_size, stride, padding, dilation, ceil_mode):
        dims = len(input_shape) - 2
        kernel = _expand(kernel_size, dims, "kernel_size", name)
        stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
            else _expand(stride, dims, "stride", name)
        padding = _expand(padding, dims, "padding", name)
        dilation = _expand(dilation, dims, "dilation", name)
        if any(k <= 0 for k in kernel):
            raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got {list(kernel)}")
        if any(s <= 0 for s in stride):
            raise RuntimeError(f"{name}: stride must be greater than zero, but got {list(stride)}")
        if any(d <= 0 for d in dilation):
            raise RuntimeError(f"{name}: dilation must be greater than zero, but got {list(dilation)}")
        for k, p, d in zip(kernel, padding, dilation):
            if p < 0 or p > (d * (k - 1) + 1) // 2:
                raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but got "
                                   f"pad={p}, kernel_size={k} and dilation={d}")
        spatial = input_shape[2:]
        out_sizes = tuple(pool_output_size(s, k, st, p, d, ceil_mode)
                          for s, k, st, p, d in zip(spatial, kernel, stride, padding, dilation))
        if any(o < 1 for o in out_sizes):
            raise RuntimeError(f"{name}: given input size {tuple(input_shape[1:])}, calculated output size "
                               f"{(input_shape[1],) + out_sizes} is too small (kernel_size {kernel}, "
                               f"padding {padding}, dilation {dilation})")
        self.input_shape = tuple(input_shape)
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        self.out_sizes = out_sizes
        # The right padding that makes the last window fit (ceil_mode windows may overhang).
        self.right = tuple(max(p, (o - 1) * st + d * (k - 1) + 1 - s - p)
                           for s, k, st, p, d, o in zip(spatial, kernel, stride, padding, dilation, out_sizes))


def _batched(name, dims, input):
    shape = tuple(input.shape)
    if len(shape) == dims + 1:
        return (1,) + shape, True
    if len(shape) != dims + 2:
        raise RuntimeError(f"{name}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, "
                           f"got input of shape {shape}")
    return shape, False


# ---------------------------------------------------------------------------
# max pooling
# ---------------------------------------------------------------------------
class MaxPool(Op):
    """y = the largest element of each window;  dx = g sent back to where each maximum was"""
    name = "max_pool"

    @staticmethod
    def forward(ctx, x, shape=None, indices_out=None):
        spatial = x.shape[2:]
        ctx.input_shape = x.shape
        if len(spatial) <= 2 and convolution.use_kernels(x.size):
            # The loop writes each maximum's position in the flattened x: the backward's index as is.
            out, flat = max_pool_kernel(x, shape, flat=True)
            ctx.flat_index = flat.reshape(-1)
            plane = None
        else:
            out, plane = max_pool_numpy(x, shape)
            ctx.plane = plane
        ctx.disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(shape.stride, shape.dilation, shape.kernel))
        if indices_out is not None:
            indices_out.append(_plane_of(flat, x.shape) if plane is None else plane.astype(np.int64))
        return out

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.call(MaxPoolScatter, g, index=_flat_index(ctx), shape=ctx.input_shape, disjoint=ctx.disjoint)

    @staticmethod
    def jvp(ctx, t):
        # The tangent at each window's maximum.
        return MaxPoolGather.apply(t, index=_flat_index(ctx.forward_ctx), shape=ctx.output.shape,
                                   disjoint=ctx.disjoint)


def _plane_of(flat, input_shape):
    """Positions in the flattened input (N, C, *S) as positions in each (N, C) plane (torch's indices)."""
    return flat % math.prod(input_shape[2:])


def max_pool_kernel(x, shape, flat=False):
    """(the window maxima, where each is in its (N, C) plane -- or with ``flat=True`` in the flattened
    x): one pass of kernels/max_pool.py's loop."""
    n, c = x.shape[:2]
    if x.ndim == 3:  # 1-D as 2-D with height 1
        kh, sh, ph, dh = 1, 1, 0, 1
        (kw,), (sw,), (pw,), (dw,) = shape.kernel, shape.stride, shape.padding, shape.dilation
        x4, out_sizes = x[:, :, None, :], (1,) + shape.out_sizes
    else:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = shape.kernel, shape.stride, shape.padding, shape.dilation
        x4, out_sizes = x, shape.out_sizes
    out = np.empty((n, c) + out_sizes, x.dtype)
    plane = np.empty((n, c) + out_sizes, np.int64)
    max_pool.max_pool_2d(x4, kh, kw, sh, sw, ph, pw, dh, dw, out, plane, flat)
    final = (n, c) + shape.out_sizes
    return out.reshape(final), plane.reshape(final)


def max_pool_numpy(x, shape):
    """`max_pool_kernel` in numpy: one argmax over a strided view of the windows of the -inf padded input."""
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    dims = len(spatial)
    padded = x
    if any(shape.padding) or any(r for r in shape.right):
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        padded = np.full((n, c) + tuple(s + p + r for s, p, r in zip(spatial, shape.padding, shape.right)),
                         low, x.dtype)
        padded[(slice(None), slice(None)) + tuple(slice(p, p + s) for s, p in zip(spatial, shape.padding))] = x
    strides = padded.strides
    windows = as_strided(
        padded, (n, c) + shape.out_sizes + shape.kernel,
        strides[:2] + tuple(st * s for st, s in zip(strides[2:], shape.stride))
        + tuple(st * d for st, d in zip(strides[2:], shape.dilation)), writeable=False)
    rows = np.reshape(windows, (n, c) + shape.out_sizes + (-1,))
    choice = np.argmax(rows, axis=-1)
    out = np.take_along_axis(rows, choice[..., None], axis=-1)[..., 0]
    # Where each maximum is, as a position in its (N, C) plane of the input (torch's indices).
    plane = None
    offsets = np.unravel_index(choice, shape.kernel) if dims > 1 else (choice,)
    for i in range(dims):
        grid = np.arange(shape.out_sizes[i]).reshape((-1,) + (1,) * (dims - 1 - i))
        position = grid * shape.stride[i] - shape.padding[i] + offsets[i] * shape.dilation[i]
        plane = position if plane is None else plane * spatial[i] + position
    return out, plane


def _flat_index(ctx):
    """Each output's maximum as a position in the flattened input (built once, on the first backward)."""
    index = getattr(ctx, "flat_index", None)
    if index is None:
        n, c = ctx.input_shape[:2]
        size = math.prod(ctx.input_shape[2:])
        planes = np.arange(n * c, dtype=np.intp).reshape((n, c) + (1,) * (len(ctx.input_shape) - 2)) * size
        index = ctx.flat_index = (planes + ctx.plane).reshape(-1)
    return index


class MaxPoolScatter(Op):
    """zeros(shape) with g put at the selected positions (added where windows overlap);  the VJP reads them back"""
    name = "max_pool_backward"

    @staticmethod
    def forward(ctx, g, index=None, shape=None, disjoint=False):
        ctx.index, ctx.out_shape, ctx.disjoint = index, g.shape, disjoint
        out = np.zeros(math.prod(shape), g.dtype)
        if disjoint:
            out[index] = g.reshape(-1)  # disjoint windows: every position is picked at most once
        else:
            np.add.at(out, index, g.reshape(-1))
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, h):
        return ctx.xp.call(MaxPoolGather, h, index=ctx.index, shape=ctx.out_shape, disjoint=ctx.disjoint)

    jvp = staticmethod(linear_jvp)


class MaxPoolGather(Op):
    """h at the selected positions;  the VJP puts g back there (MaxPoolScatter)"""
    name = "max_pool_gather"

    @staticmethod
    def forward(ctx, h, index=None, shape=None, disjoint=False):
        ctx.index, ctx.in_shape, ctx.disjoint = index, h.shape, disjoint
        return h.reshape(-1)[index].reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.call(MaxPoolScatter, g, index=ctx.index, shape=ctx.in_shape, disjoint=ctx.disjoint)

    jvp = staticmethod(linear_jvp)


def _max_pool(name, dims, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    shape, unbatched = _batched(name, dims, input)
    pool = PoolShape(name, shape, kernel_size, stride, padding, dilation, ceil_mode)
    holder = [] if return_indices else None
    x = Reshape.apply(input, shape=shape) if unbatched else input
    out = MaxPool.apply(x, shape=pool, indices_out=holder)
    if unbatched:
        out = Reshape.apply(out, shape=out.shape[1:])
    if not return_indices:
        return out
    from ..tensor import make_tensor

    indices = holder[0]
    return out, make_tensor(indices[0] if unbatched else indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window of `kernel_size` along the last dim of (N, C, L) or (C, L), padded with -inf;
    `stride` defaults to `kernel_size`.  ``return_indices=True`` also returns where each maximum is (in L)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each (kH, kW) window of (N, C, H, W) or (C, H, W), padded with -inf; `stride`
    defaults to `kernel_size`.  ``return_indices=True`` also returns where each maximum is (in H * W)."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


# ---------------------------------------------------------------------------
# average pooling
# ---------------------------------------------------------------------------
def pool_divisor(size, kernel, stride, padding, out_size, count_include_pad):
    """torch's divisor of each output along one dim: the window inside input + padding (clipped at
    the right end, where ceil_mode overhangs), or inside the input alone (count_include_pad=False)."""
    starts = np.arange(out_size) * stride - padding
    ends = np.minimum(starts + kernel, size + padding)
    if count_include_pad:
        return (ends - starts).astype(np.float64)
    return (np.minimum(ends, size) - np.maximum(starts, 0)).astype(np.float64)


def _avg_pool(name, dims, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    shape, unbatched = _batched(name, dims, input)
    dtype = input.dtype
    if np.dtype(dtype).kind != "f":
        raise RuntimeError(f"{name}: expected a floating point input, got dtype {dtype}")
    pool = PoolShape(name, shape, kernel_size, stride, padding, 1, ceil_mode)
    n, c = shape[:2]
    spatial = shape[2:]
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError(f"{name}: divisor must be not zero")
        divisor = np.full(pool.out_sizes, float(divisor_override))
    else:
        divisor = np.ones(())
        for i in range(dims):
            along = pool_divisor(spatial[i], pool.kernel[i], pool.stride[i], pool.padding[i], pool.out_sizes[i],
                                 count_include_pad)
            divisor = np.multiply.outer(divisor, along)
    constant = divisor.size and np.all(divisor == divisor.flat[0])
    weight = np.full((1, 1) + pool.kernel, 1 / divisor.flat[0] if constant else 1.0, dtype)
    geometry = Geometry((n * c, 1) + spatial, weight.shape, pool.stride,
                        tuple(zip(pool.padding, pool.right)), (1,) * dims, 1)
    out = Conv.apply(Reshape.apply(input, shape=(n * c, 1) + spatial), weight, None, geometry=geometry)
    out = Reshape.apply(out, shape=((c,) if unbatched else (n, c)) + pool.out_sizes)
    if not constant:
        out = out * (1 / divisor).astype(dtype)
    return out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window along the last dim of (N, C, L) or (C, L); `stride` defaults to
    `kernel_size`; zero padding counts in the mean unless ``count_include_pad=False``."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


# ---------------------------------------------------------------------------
# adaptive average pooling
# ---------------------------------------------------------------------------
def adaptive_matrix(size, out_size, dtype):
    """The (out_size, size) averaging matrix: row i averages [floor(i L / O), ceil((i + 1) L / O))."""
    matrix = np.zeros((out_size, size), np.float64)
    for i in range(out_size):  # one row per output position, not per element
        start, end = (i * size) // out_size, -(-((i + 1) * size) // out_size)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix.astype(dtype)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) to `output_size` positions (windows as torch's)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d: expected a 2-D or 3-D input, got input of shape {tuple(input.shape)}")
    size = _expand(output_size, 1, "output_size", "adaptive_avg_pool1d")[0]
    if size <= 0 or input.shape[-1] == 0:
        raise RuntimeError(f"adaptive_avg_pool1d: output_size must be positive and the input non-empty, got "
                           f"output_size={output_size} for input of shape {tuple(input.shape)}")
    if np.dtype(input.dtype).kind != "f":
        raise RuntimeError(f"adaptive_avg_pool1d: expected a floating point input, got dtype {input.dtype}")
    return MatMul.apply(input, adaptive_matrix(input.shape[-1], size, input.dtype).T)
