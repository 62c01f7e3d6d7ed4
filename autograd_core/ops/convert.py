"""Conversions: `clone`, `to` (dtype casts), `float()`, `double()`, `long()`, `cpu()`, ...

A cast between float dtypes is differentiable (the gradient is cast back to the
input's dtype by the engine); a cast to an integer or bool dtype gives a tensor
that never requires grad.  As in torch, a cast to the dtype a tensor already has
returns the tensor itself, not a copy.

Only `clone` is a top-level function (``autograd_core.clone``); ``float``,
``int``, ``bool``... would shadow the dtype aliases and builtins there, so the
other conversions are Tensor methods only (listed in `TENSOR_METHODS`).
"""
import builtins

import numpy as np

from .. import dtypes
from .op import Op, linear_jvp

__all__ = ["clone"]


class Clone(Op):
    """A copy with its own memory;  d/dx = 1"""

    @staticmethod
    def forward(ctx, x, order="K"):
        return np.array(x, copy=True, order=order)  # "K" keeps the layout, as torch's clone

    @staticmethod
    def backward(ctx, g):
        return g

    jvp = staticmethod(linear_jvp)


class Cast(Op):
    """The values in another dtype;  the gradient passes through (cast back by the engine)"""
    name = "to"

    @staticmethod
    def forward(ctx, x, dtype=None):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g

    jvp = staticmethod(linear_jvp)


def clone(input, memory_format=None):
    """A differentiable copy of `input` that shares no memory with it."""
    return Clone.apply(input)


def _cast(input, dtype, copy=False):
    """`input` in `dtype` (itself when it already has it, unless `copy`)."""
    if input._data.dtype == dtype:
        return Clone.apply(input) if copy else input
    return Cast.apply(input, dtype=dtype)


def _is_dtype_like(value):
    # This module defines functions named float/int/bool/type: the builtins are meant here.
    if isinstance(value, np.dtype) or value in (builtins.bool, builtins.int, builtins.float):
        return True
    return isinstance(value, builtins.type) and issubclass(value, np.generic)


def to(input, *args, dtype=None, device=None, copy=False, non_blocking=False, memory_format=None):
    """Cast to a dtype and/or move to a device, as ``torch.Tensor.to``.

    Accepts ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``
    and the keywords ``dtype=``, ``device=``, ``copy=``.  Only the CPU exists:
    ``"cpu"`` is accepted, any other device is a clear error.
    """
    from ..tensor import Tensor

    if len(args) > 2:
        raise TypeError(f"to() takes at most 2 positional arguments (device, dtype), got {len(args)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, (str, dtypes.device)):
            device = arg
        elif _is_dtype_like(arg):
            dtype = arg
        elif arg is not None:
            raise TypeError(
                f"to(): expected a dtype, a device or a Tensor, got {builtins.type(arg).__name__} ({arg!r})"
            )
    dtypes.check_device(device)
    if dtype is None:
        return Clone.apply(input) if copy else input
    return _cast(input, dtypes.as_dtype(dtype), copy)


def float(input, memory_format=None):  # noqa: A001  (torch's method name)
    """``to(float32)``"""
    return _cast(input, dtypes.float32)


def double(input, memory_format=None):
    """``to(float64)``"""
    return _cast(input, dtypes.float64)


def long(input, memory_format=None):
    """``to(int64)`` (never requires grad)"""
    return _cast(input, dtypes.int64)


def int(input, memory_format=None):  # noqa: A001  (torch's method name)
    """``to(int32)`` (never requires grad)"""
    return _cast(input, dtypes.int32)


def bool(input, memory_format=None):  # noqa: A001  (torch's method name)
    """``to(bool)`` (never requires grad)"""
    return _cast(input, dtypes.bool_)


def half(input, memory_format=None):
    """float16 is not supported: a clear error rather than a silent float32."""
    raise TypeError("half(): float16 is not supported by autograd_core; use float() (float32) or double()")


def bfloat16(input, memory_format=None):
    """bfloat16 is not supported: a clear error rather than a silent float32."""
    raise TypeError("bfloat16(): bfloat16 is not supported by autograd_core; use float() (float32) or double()")


def cpu(input, memory_format=None):
    """The tensor itself: everything already lives on the CPU."""
    return input


def cuda(input, device=None, non_blocking=False):
    """Always an error: there is no GPU here (``cuda.is_available()`` is False)."""
    raise RuntimeError("cuda(): autograd_core runs on the CPU only; use .cpu() or .to('cpu')")


def type_as(input, other):
    """`input` cast to `other`'s dtype."""
    return _cast(input, other.dtype)


def contiguous(input, memory_format=None):
    """The tensor itself if its memory is C-contiguous, else a contiguous (differentiable) copy."""
    if input._data.flags.c_contiguous:
        return input
    return Clone.apply(input, order="C")


def is_contiguous(input, memory_format=None):
    """True when the tensor's memory is C-contiguous."""
    return input._data.flags.c_contiguous


# torch's type strings, for ``x.type()`` and ``x.type('torch.DoubleTensor')``.
_TYPE_NAMES = {
    dtypes.float32: "torch.FloatTensor",
    dtypes.float64: "torch.DoubleTensor",
    dtypes.int64: "torch.LongTensor",
    dtypes.int32: "torch.IntTensor",
    dtypes.bool_: "torch.BoolTensor",
}
_TYPES_BY_NAME = {name: dtype for dtype, name in _TYPE_NAMES.items()}


def type(input, dtype=None, non_blocking=False):  # noqa: A001  (torch's method name)
    """With no argument, torch's type string (``'torch.FloatTensor'``); else a cast to `dtype`."""
    if dtype is None:
        return _TYPE_NAMES[input.dtype]
    if isinstance(dtype, str) and dtype in _TYPES_BY_NAME:
        dtype = _TYPES_BY_NAME[dtype]
    return _cast(input, dtypes.as_dtype(dtype))


#: Tensor methods defined here (attached by `tensor_methods`).
TENSOR_METHODS = ("clone", "to", "float", "double", "long", "int", "bool", "half", "bfloat16", "cpu",
                  "cuda", "type_as", "contiguous", "is_contiguous", "type")
