"""Convolutions (torch's conv1d, conv2d): one GEMM per layer through an im2col of strided views.

For an input x of shape (N, C, *S) and a weight w of shape (Cout, C/groups, *k):

    cols = im2col(pad(x))        (groups, C/groups * prod(k), N * prod(O))   one copy of a strided view
    y    = w2 @ cols + b         w2: (groups, Cout/groups, C/groups * prod(k)) one GEMM (per group)

The VJPs are GEMMs too, and the input's needs a col2im: the columns' gradient is added
back into the padded input with one strided slice per kernel offset (prod(k) numpy adds,
no per-element Python loop).

Second order: ``y = conv(x, w)`` is bilinear, so with ``T(x, w, g) = <g, conv(x, w)>`` its
two VJPs are  ``dx = A(g, w)`` (`ConvInputGrad`, the transposed convolution) and
``dw = B(x, g)`` (`ConvWeightGrad`), and the VJPs of A and B are again conv, A and B:

    A(g, w) with upstream h:  d/dg = conv(h, w),  d/dw = B(h, g)
    B(x, g) with upstream h:  d/dx = A(g, h),     d/dg = conv(x, h)

so every rule is an ``xp.call`` of one of the three ops and gradients of any order follow.
A plain backward (`Conv.plain_backward`) reuses the forward's columns instead of
building them again for the weight's gradient.
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..kernels import convolution
from .op import Op, bilinear_jvp, sum_of

__all__ = ["conv1d", "conv2d"]


class Geometry:
    """The shapes of one convolution: input (N, C, *S), kernel k, stride, (lo, hi) padding per
    dim, dilation, groups, output sizes O.  Cached per call signature (they are small)."""

    __slots__ = ("input_shape", "weight_shape", "kernel", "stride", "padding", "dilation", "groups",
                 "out_sizes", "padded_shape", "padded", "inner")

    def __init__(self, input_shape, weight_shape, stride, padding, dilation, groups):
        self.input_shape = input_shape
        self.weight_shape = weight_shape
        self.kernel = weight_shape[2:]
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        spatial = input_shape[2:]
        padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial, padding))
        self.padded_shape = input_shape[:2] + padded
        self.padded = any(lo or hi for lo, hi in padding)
        self.inner = (slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, padding))
        self.out_sizes = tuple((p - d * (k - 1) - 1) // s + 1
                               for p, k, s, d in zip(padded, self.kernel, stride, dilation))


def _pad(x, geometry):
    """x with zero padding (a fresh array), or x itself when there is none."""
    if not geometry.padded:
        return x
    out = np.zeros(geometry.padded_shape, x.dtype)
    out[geometry.inner] = x
    return out


def _windows(padded, geometry):
    """The read-only strided view (N, C, *k, *O) of every kernel window of the padded input."""
    strides = padded.strides
    spatial = strides[2:]
    shape = padded.shape[:2] + geometry.kernel + geometry.out_sizes
    view_strides = (strides[:2] + tuple(st * d for st, d in zip(spatial, geometry.dilation))
                    + tuple(st * s for st, s in zip(spatial, geometry.stride)))
    return as_strided(padded, shape, view_strides, writeable=False)


def _as_2d(geometry):
    """(stride, low padding, dilation) per dim of a 1-D or 2-D problem, as 2-D (height 1 for 1-D)."""
    lead = ((1, 0, 1),) if len(geometry.kernel) == 1 else ()
    return lead + tuple((s, lo, d) for s, (lo, _), d in zip(geometry.stride, geometry.padding, geometry.dilation))


def _kernel_layout(geometry):
    """The (C, kh, kw, N, Oh, Ow) shape of the columns as the 2-D loops see them."""
    n, c = geometry.input_shape[:2]
    kernel, out_sizes = geometry.kernel, geometry.out_sizes
    if len(kernel) == 1:
        kernel, out_sizes = (1,) + kernel, (1,) + out_sizes
    return (c,) + kernel + (n,) + out_sizes


def _fast(geometry):
    """Whether the Numba loops of kernels/convolution.py run this problem (1-D and 2-D, not tiny)."""
    return len(geometry.kernel) <= 2 and convolution.use_kernels(
        geometry.input_shape[0] * geometry.input_shape[1] * int(np.prod(geometry.kernel))
        * int(np.prod(geometry.out_sizes)))


def im2col(x, geometry):
    """The columns (groups, C/groups * prod(k), N * prod(O)) of x: one pass of a Numba loop
    (kernels/convolution.py), or for N-d and tiny problems `im2col_numpy`."""
    if not _fast(geometry):
        return im2col_numpy(x, geometry)
    (sh, ph, dh), (sw, pw, dw) = _as_2d(geometry)
    cols = convolution.recycled(_kernel_layout(geometry), x.dtype)  # given back by `_release` when used up
    convolution.im2col_2d(x if x.ndim == 4 else x[:, :, None, :], cols, sh, sw, ph, pw, dh, dw)
    n, c = geometry.input_shape[:2]
    groups = geometry.groups
    return np.reshape(cols, (groups, c // groups * int(np.prod(geometry.kernel)), -1))


def im2col_numpy(x, geometry):
    """The columns (groups, C/groups * prod(k), N * prod(O)) of x: one copy of a strided view."""
    windows = _windows(_pad(x, geometry), geometry)
    d = len(geometry.kernel)
    axes = (1,) + tuple(range(2, 2 + d)) + (0,) + tuple(range(2 + d, 2 + 2 * d))  # (C, *k, N, *O)
    n, c = geometry.input_shape[:2]
    groups = geometry.groups
    rows = c // groups * int(np.prod(geometry.kernel))
    return np.reshape(windows.transpose(axes), (groups, rows, n * int(np.prod(geometry.out_sizes))))


def col2im(cols, geometry, dtype):
    """The adjoint of `im2col`: each column entry added back where it was read from, the padding
    dropped; one pass of a Numba loop, or for N-d and tiny problems `col2im_numpy`."""
    if not _fast(geometry):
        return col2im_numpy(cols, geometry, dtype)
    (sh, ph, dh), (sw, pw, dw) = _as_2d(geometry)
    out = np.zeros(geometry.input_shape, dtype)
    convolution.col2im_2d(np.reshape(cols, _kernel_layout(geometry)), out if out.ndim == 4 else out[:, :, None, :],
                          sh, sw, ph, pw, dh, dw)
    return out


def col2im_numpy(cols, geometry, dtype):
    """`col2im` in numpy: one strided add into the padded input per kernel offset, then the padding dropped."""
    n, c = geometry.input_shape[:2]
    kernel, out_sizes = geometry.kernel, geometry.out_sizes
    cols = np.reshape(cols, (c,) + kernel + (n,) + out_sizes)
    padded = np.zeros(geometry.padded_shape, dtype)
    by_channel = padded.swapaxes(0, 1)  # (C, N, *Sp): the columns' own order
    for offset in itertools.product(*(range(k) for k in kernel)):
        target = (slice(None), slice(None)) + tuple(
            slice(o * d, o * d + s * (size - 1) + 1, s)
            for o, d, s, size in zip(offset, geometry.dilation, geometry.stride, out_sizes))
        by_channel[target] += cols[(slice(None),) + offset]
    return padded[geometry.inner] if geometry.padded else padded


def _grad_rows(g, geometry):
    """g (N, Cout, *O) as (groups, Cout/groups, N * prod(O)), the layout of the GEMMs (one copy: a
    Numba loop, ~3x numpy's strided copy on the benchmark's layers, or numpy for tiny problems)."""
    n, cout = g.shape[:2]
    if _fast(geometry) and g.size >= LAYOUT_LOOP_AT:
        length = int(np.prod(geometry.out_sizes))
        rows = convolution.scratch("rows", (cout, n, length), g.dtype)  # used up by the caller's GEMMs
        convolution.by_channel(np.reshape(g, (n, cout, length)), rows)
    else:
        rows = np.swapaxes(g, 0, 1)
    return np.reshape(rows, (geometry.groups, cout // geometry.groups, -1))


_NO_BIAS = np.empty(0, np.float32)  # `by_sample`'s "no bias"

#: From this many elements the layout copies run as Numba loops (`by_sample`, `by_channel`); below it
#: numpy's copy costs less than a Numba call (~3-5 us with the chunking: batch 1 and 32 of the benchmark).
LAYOUT_LOOP_AT = 1 << 14


def _output(product, geometry, bias):
    """(groups, Cout/groups, N * prod(O)) -> (N, Cout, *O), contiguous, with the bias added in the same pass."""
    n = geometry.input_shape[0]
    cout = geometry.weight_shape[0]
    by_channel = np.reshape(product, (cout, n) + geometry.out_sizes)
    out = np.empty((n, cout) + geometry.out_sizes, product.dtype)
    if _fast(geometry) and out.size >= LAYOUT_LOOP_AT:  # a Numba loop: ~3x numpy's strided add (kernels/convolution.py)
        length = int(np.prod(geometry.out_sizes))
        convolution.by_sample(np.reshape(product, (cout, n, length)), _NO_BIAS if bias is None else bias,
                              np.reshape(out, (n, cout, length)))
    elif bias is None:
        np.copyto(out, np.swapaxes(by_channel, 0, 1))
    else:
        np.add(np.swapaxes(by_channel, 0, 1), np.reshape(bias, (cout,) + (1,) * len(geometry.out_sizes)), out=out)
    return out


def _release(cols, geometry):
    """The columns are used up: give their buffer back for the next im2col of this size (Numba path)."""
    if _fast(geometry):
        convolution.recycle(cols)


def _col_slot(geometry):
    """The scratch slot of the columns' gradient, which col2im's Numba loop uses up at once (the numpy
    col2im of small problems reshapes it, so it gets a fresh array)."""
    return "col_grad" if _fast(geometry) else None


def _weight_rows(weight, geometry):
    groups = geometry.groups
    return np.reshape(weight, (groups, weight.shape[0] // groups, -1))


def _matmul(a, b, slot=None):
    """The per-group GEMM; one group is a plain 2-D GEMM, written into the `slot` scratch array when
    given (a temporary the caller uses up at once: kernels/convolution.py's `scratch`)."""
    if a.shape[0] == 1:
        if slot is None:
            return np.matmul(a[0], b[0])[None]
        out = convolution.scratch(slot, (1, a.shape[1], b.shape[2]), np.result_type(a, b))
        np.matmul(a[0], b[0], out=out[0])
        return out
    return np.matmul(a, b)


class Conv(Op):
    """y = conv(x, w) + b;  dx = A(g, w) (transposed conv),  dw = B(x, g),  db = g summed over N and space"""
    name = "conv"

    @staticmethod
    def forward(ctx, x, weight, bias, geometry=None):
        cols = im2col(x, geometry)
        edges = getattr(ctx, "edges", None)
        keep = edges is not None and edges[1] is not None  # recording a weight that needs a gradient: keep the columns for dw
        if keep:
            ctx.cols = cols
        ctx.geometry = geometry
        ctx.save_for_backward(x, weight)
        product = _matmul(_weight_rows(weight, geometry), cols, "product" if _fast(geometry) else None)
        if not keep:
            _release(cols, geometry)
        return _output(product, geometry, bias)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        xp = ctx.xp
        geometry = ctx.geometry
        want_x, want_weight, want_bias = ctx.needs_input_grad
        grad_x = xp.call(ConvInputGrad, g, weight, geometry=geometry) if want_x else None
        grad_w = xp.call(ConvWeightGrad, x, g, geometry=geometry) if want_weight else None
        grad_b = xp.sum(g, axis=(0,) + tuple(range(2, g.ndim))) if want_bias else None
        return grad_x, grad_w, grad_b

    @staticmethod
    def jvp(ctx, t_x, t_weight, t_bias):
        # conv(t_x, w) + conv(x, t_w) + t_b (one value per output channel, broadcast over N and space)
        x, weight, _ = ctx.inputs
        geometry = ctx.geometry
        if t_bias is not None:
            t_bias = t_bias.reshape((1, -1) + (1,) * (ctx.output.ndim - 2))
        return sum_of(None if t_x is None else Conv.apply(t_x, weight, None, geometry=geometry),
                      None if t_weight is None else Conv.apply(x, t_weight, None, geometry=geometry), t_bias)

    @staticmethod
    def plain_backward(ctx, g):
        """The same rule on arrays, sharing one regrouped g between the GEMMs and the forward's columns."""
        x, weight = ctx.saved_tensors
        geometry = ctx.geometry
        want_x, want_weight, want_bias = ctx.needs_input_grad
        rows = _grad_rows(g, geometry)
        grad_x = grad_w = grad_b = None
        if want_x:
            w2 = _weight_rows(weight, geometry)
            grad_x = col2im(_matmul(np.swapaxes(w2, 1, 2), rows, _col_slot(geometry)), geometry, g.dtype)
        if want_weight:
            cols = getattr(ctx, "cols", None)
            if cols is None:
                cols = im2col(x, geometry)
            grad_w = np.reshape(_matmul(rows, np.swapaxes(cols, 1, 2)), geometry.weight_shape)
            _release(cols, geometry)
        if want_bias:
            grad_b = np.sum(rows, axis=2).reshape(-1)
        ctx.cols = None
        return grad_x, grad_w, grad_b


class ConvInputGrad(Op):
    """A(g, w) = col2im(w2^T @ g): the gradient of conv with respect to its input (a transposed
    convolution);  with upstream h: dg = conv(h, w),  dw = B(h, g)"""
    name = "conv_input_grad"

    @staticmethod
    def forward(ctx, g, weight, geometry=None):
        ctx.geometry = geometry
        ctx.save_for_backward(g, weight)
        w2 = _weight_rows(weight, geometry)
        return col2im(_matmul(np.swapaxes(w2, 1, 2), _grad_rows(g, geometry), _col_slot(geometry)), geometry, g.dtype)

    @staticmethod
    def backward(ctx, h):
        g, weight = ctx.saved_tensors
        xp = ctx.xp
        want_g, want_weight = ctx.needs_input_grad
        grad_g = xp.call(Conv, h, weight, None, geometry=ctx.geometry) if want_g else None
        grad_w = xp.call(ConvWeightGrad, h, g, geometry=ctx.geometry) if want_weight else None
        return grad_g, grad_w

    jvp = staticmethod(bilinear_jvp)  # A(t_g, w) + A(g, t_w)


class ConvWeightGrad(Op):
    """B(x, g) = g @ im2col(x)^T: the gradient of conv with respect to its weight;
    with upstream h: dx = A(g, h),  dg = conv(x, h)"""
    name = "conv_weight_grad"

    @staticmethod
    def forward(ctx, x, g, geometry=None):
        ctx.geometry = geometry
        ctx.save_for_backward(x, g)
        cols = im2col(x, geometry)
        grad_w = np.reshape(_matmul(_grad_rows(g, geometry), np.swapaxes(cols, 1, 2)), geometry.weight_shape)
        _release(cols, geometry)
        return grad_w

    @staticmethod
    def backward(ctx, h):
        x, g = ctx.saved_tensors
        xp = ctx.xp
        want_x, want_g = ctx.needs_input_grad
        grad_x = xp.call(ConvInputGrad, g, h, geometry=ctx.geometry) if want_x else None
        grad_g = xp.call(Conv, x, h, None, geometry=ctx.geometry) if want_g else None
        return grad_x, grad_g

    jvp = staticmethod(bilinear_jvp)  # B(t_x, g) + B(x, t_g)


# -- the public functions -----------------------------------------------------------
def _expand(value, dims, what, name, operation="convolution"):
    """An int or a tuple of `dims` ints (torch's _single / _pair); ops/pool.py's arguments too."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * dims
    try:
        values = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{name}: {what} must be an int or a tuple of {dims} ints, got {value!r}") from None
    if len(values) == 1:
        values = values * dims
    if len(values) != dims:
        raise RuntimeError(f"{name}: expected {what} to be a single integer value or a list of {dims} values "
                           f"to match the {operation} dimensions, but got {what}={list(values)}")
    return values


def _padding_pairs(padding, kernel, dilation, stride, dims, name):
    """torch's padding argument as (lo, hi) per spatial dim: an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * dims
        if padding != "same":
            raise RuntimeError(f"{name}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
        if any(s != 1 for s in stride):
            raise RuntimeError(f"{name}: padding='same' is not supported for strided convolutions")
        pairs = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pairs.append((total // 2, total - total // 2))  # torch puts the odd one on the right
        return tuple(pairs)
    values = _expand(padding, dims, "padding", name)
    if any(p < 0 for p in values):
        raise RuntimeError(f"{name}: negative padding is not supported, got padding={list(values)}")
    return tuple((p, p) for p in values)


_GEOMETRIES = {}


def _geometry(name, dims, x_shape, w_shape, stride, padding, dilation, groups):
    key = (name, x_shape, w_shape, stride, padding, dilation, groups)
    geometry = _GEOMETRIES.get(key)
    if geometry is not None:
        return geometry
    if len(w_shape) != dims + 2:
        raise RuntimeError(f"{name}: expected a {dims + 2}-D weight (out_channels, in_channels/groups, "
                           f"{', '.join('k' * dims)}), got weight of shape {tuple(w_shape)}")
    if len(x_shape) != dims + 2:
        raise RuntimeError(f"{name}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, "
                           f"got input of shape {tuple(x_shape)}")
    stride_t = _expand(stride, dims, "stride", name)
    dilation_t = _expand(dilation, dims, "dilation", name)
    if any(s <= 0 for s in stride_t):
        raise RuntimeError(f"{name}: non-positive stride is not supported, got stride={list(stride_t)}")
    if any(d <= 0 for d in dilation_t):
        raise RuntimeError(f"{name}: dilation should be greater than zero, got dilation={list(dilation_t)}")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise RuntimeError(f"{name}: non-positive groups is not supported, got groups={groups!r}")
    kernel = tuple(w_shape[2:])
    pairs = _padding_pairs(padding, kernel, dilation_t, stride_t, dims, name)
    cout, cin_group = w_shape[:2]
    if x_shape[1] != cin_group * groups:
        raise RuntimeError(
            f"{name}: given groups={groups}, weight of size {list(w_shape)}, expected input{list(x_shape)} to have "
            f"{cin_group * groups} channels, but got {x_shape[1]} channels instead")
    if cout % groups:
        raise RuntimeError(f"{name}: given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size {list(w_shape)} instead")
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x_shape[2:], pairs))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation_t))
    if any(p < r for p, r in zip(padded, reach)):
        raise RuntimeError(
            f"{name}: calculated padded input size per channel: {padded} (input of shape {tuple(x_shape)}, "
            f"padding {list(pairs)}). Kernel size: {kernel} (dilated: {reach}). "
            "Kernel size can't be greater than actual input size")
    geometry = Geometry(tuple(x_shape), tuple(w_shape), stride_t, pairs, dilation_t, int(groups))
    if len(_GEOMETRIES) > 4096:
        _GEOMETRIES.clear()
    _GEOMETRIES[key] = geometry
    return geometry


def _convolution(name, dims, input, weight, bias, stride, padding, dilation, groups):
    x_shape = tuple(np.shape(input))
    w_shape = tuple(np.shape(weight))
    unbatched = len(x_shape) == dims + 1
    if unbatched:
        x_shape = (1,) + x_shape
    if not isinstance(padding, (str, int)):
        padding = tuple(padding)
    for label, value in (("input", input), ("weight", weight), ("bias", bias)):
        dtype = getattr(value, "dtype", None)
        if value is not None and (dtype is None or np.dtype(dtype).kind != "f"):
            raise RuntimeError(f"{name}: expected a floating point {label}, got "
                               f"{'dtype ' + str(dtype) if dtype is not None else type(value).__name__}")
    if weight.dtype != input.dtype or (bias is not None and bias.dtype != input.dtype):
        raise RuntimeError(f"{name}: input ({input.dtype}), weight ({weight.dtype})"
                           f"{'' if bias is None else f' and bias ({bias.dtype})'} should have the same dtype")
    if bias is not None and tuple(bias.shape) != (w_shape[0],):
        raise RuntimeError(f"{name}: expected bias of shape ({w_shape[0]},) for weight of shape {list(w_shape)}, "
                           f"got bias of shape {tuple(bias.shape)}")
    geometry = _geometry(name, dims, x_shape, w_shape, stride if isinstance(stride, int) else tuple(stride),
                         padding, dilation if isinstance(dilation, int) else tuple(dilation), groups)
    if unbatched:
        from .shape import reshape

        out = Conv.apply(reshape(input, x_shape), weight, bias, geometry=geometry)
        return reshape(out, out.shape[1:])
    return Conv.apply(input, weight, bias, geometry=geometry)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation, as torch): input (N, C_in, L) or (C_in, L), weight
    (C_out, C_in/groups, k), bias (C_out,) or None.  `padding`: an int, a 1-tuple, 'valid' (none) or
    'same' (output length = input length; stride 1 only).  Output (N, C_out, L_out) with
    L_out = (L + 2 padding - dilation (k - 1) - 1) // stride + 1."""
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as torch): input (N, C_in, H, W) or (C_in, H, W), weight
    (C_out, C_in/groups, kH, kW), bias (C_out,) or None; stride, padding and dilation an int or a
    pair; `padding` also 'valid' or 'same'.  Output (N, C_out, H_out, W_out)."""
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)
