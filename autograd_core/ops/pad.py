"""pad with torch's F.pad semantics (re-exported by `shape`)."""
import math

import numpy as np

from .op import Op
from .shape import Reshape

__all__ = ["pad"]


# ---------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------
def _pad_widths(shape, pad):
    """((before, after), ...) for every dim of `shape` from F.pad's flat last-dim-first `pad`."""
    widths = [(0, 0)] * len(shape)
    for i in range(len(pad) // 2):
        widths[len(shape) - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return widths


def _pad_array(x, pad, value):
    """Constant padding on an ndarray; negative amounts crop."""
    widths = _pad_widths(x.shape, pad)
    crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, widths))
    out_shape = tuple(n + b + a for n, (b, a) in zip(x.shape, widths))
    if any(n < 0 for n in out_shape):
        raise RuntimeError(f"pad: padding {tuple(pad)} would give a negative size for input of shape {x.shape}")
    if all(b <= 0 and a <= 0 for b, a in widths):
        return x[crop]  # only cropping: a view
    inner = tuple(slice(max(b, 0), max(b, 0) + s.stop - s.start) for (b, _), s in zip(widths, crop))
    out = np.full(out_shape, value, dtype=x.dtype)
    out[inner] = x[crop]
    return out


class Pad(Op):
    """Constant padding (negative amounts crop);  the gradient is g padded by the negated amounts"""

    @staticmethod
    def forward(ctx, x, pad=(), value=0.0):
        ctx.pad = pad
        return _pad_array(x, pad, value)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.call(Pad, g, pad=tuple(-p for p in ctx.pad), value=0)

    @staticmethod
    def jvp(ctx, t):
        return Pad.apply(t, pad=ctx.pad, value=0)  # the padding value is a constant: tangent 0 there


def _source_positions(size, before, after, mode):
    """For reflect/replicate/circular padding: which input position each output position copies."""
    positions = np.arange(-before, size + after)
    if mode == "reflect":
        period = 2 * (size - 1)
        positions = np.abs(positions) % period if period else positions * 0
        return np.where(positions >= size, period - positions, positions)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    return positions % size  # circular


def pad(input, pad, mode="constant", value=None):
    """torch's F.pad: `pad` = (left, right) pairs starting from the LAST dim, e.g. (1, 1, 2, 0) pads
    the last dim by 1 on each side and the one before it by 2 on top.  Negative amounts crop.

    Modes: 'constant' (with `value`, default 0), 'reflect' (mirror without the edge),
    'replicate' (repeat the edge), 'circular' (wrap around).
    """
    shape = tuple(np.shape(input))
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)} values {pad}")
    if len(pad) // 2 > len(shape):
        raise RuntimeError(
            f"pad: padding length {len(pad)} is more than two times the number of dims of the input shape {shape}"
        )
    if mode == "constant":
        return Pad.apply(input, pad=pad, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode {mode!r} is not one of 'constant', 'reflect', 'replicate', 'circular'")
    if value is not None and value != 0:
        raise RuntimeError(f"pad: padding mode {mode!r} doesn't take in a value argument")
    # Each padded dim is an index_select of computed source positions: differentiable to any order.
    from .index import index_select

    out = input
    for dim, (before, after) in enumerate(_pad_widths(shape, pad)):
        if before == 0 and after == 0:
            continue
        size = shape[dim]
        limit = {"reflect": size - 1, "replicate": math.inf if size else -1, "circular": size}[mode]
        if max(before, after) > limit:
            raise RuntimeError(
                f"pad: padding {(before, after)} is too large for dimension {dim} of size {size} in mode {mode!r}"
            )
        out = index_select(out, dim, _source_positions(size, before, after, mode))
    return out if out is not input else Reshape.apply(input, shape=shape)
