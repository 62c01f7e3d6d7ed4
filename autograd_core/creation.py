"""Creating tensors: `tensor`, `from_numpy`, `zeros`, `ones`, `full`, `arange`, ...

Python floats become the default dtype (float32), Python ints int64 and bools
bool, as in torch; a numpy array keeps its own dtype.
"""
import numpy as np

from . import dtypes
from .arrays import as_array, infer_dtype
from .tensor import Tensor, make_tensor


def _new(array, requires_grad, device):
    dtypes.check_device(device)
    tensor = make_tensor(array)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor holding a copy of `data` (nested lists, numbers, arrays or tensors)."""
    array = np.array(as_array(data, dtype), copy=True)
    return _new(array, requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a numpy array of the right dtype."""
    from .tensor import Tensor

    if isinstance(data, Tensor) and dtype is None:
        return data
    return _new(as_array(data, dtype), False, device)


def from_numpy(array):
    """A tensor sharing memory with `array` (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return _new(as_array(array), False, None)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:  # torch's classes: TypeError for a non-int size, RuntimeError for a negative one
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"sizes must be non-negative integers, got {tuple(size)}: size must be tuple of "
                            f"ints, not {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"sizes must be non-negative integers, got {tuple(size)}: trying to create "
                               f"tensor with negative dimension {s}")
    return tuple(int(s) for s in size)


def _float_dtype(dtype):
    return dtypes.as_dtype(dtype) or dtypes.get_default_dtype()


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _new(np.zeros(_shape(size), _float_dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _new(np.ones(_shape(size), _float_dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _new(np.empty(_shape(size), _float_dtype(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of shape `size` filled with `fill_value` (its dtype inferred as torch does)."""
    dtype = dtypes.as_dtype(dtype) or infer_dtype(fill_value)
    return _new(np.full(_shape((size,) if isinstance(size, int) else (tuple(size),)), fill_value, dtype),
                requires_grad, device)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    return _new(np.zeros(input.shape, dtypes.as_dtype(dtype) or input.dtype), requires_grad, device)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    return _new(np.ones(input.shape, dtypes.as_dtype(dtype) or input.dtype), requires_grad, device)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    return _new(np.full(input.shape, fill_value, dtypes.as_dtype(dtype) or input.dtype), requires_grad, device)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    return _new(np.empty(input.shape, dtypes.as_dtype(dtype) or input.dtype), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from `start` up to (not including) `end`; int64 if all arguments are ints."""
    if end is None:
        start, end = 0, start
    args = (start, end, step)
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    inferred = dtypes.int64 if all(isinstance(a, (int, np.integer)) for a in args) else dtypes.get_default_dtype()
    dtype = dtypes.as_dtype(dtype) or inferred
    # Count in float64, as torch does, then cast: arange(0, 1, 0.1) has 10 elements.
    count = int(np.ceil((end - start) / step))
    values = start + step * np.arange(max(count, 0), dtype=np.float64)
    return _new(values.astype(dtype), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    return _new(np.linspace(start, end, int(steps)).astype(dtype), requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _new(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


def FloatTensor(*args):  # noqa: N802  (torch's name)
    """torch's old-style float32 constructor: a float32 copy of `data` (``FloatTensor([1, 2])``), or
    zeros of the given sizes (``FloatTensor(2, 3)``; torch's are uninitialised)."""
    return Tensor(*args, dtype=dtypes.float32)


def LongTensor(*args):  # noqa: N802
    """torch's old-style int64 constructor: an int64 copy of `data` (floats truncated toward zero,
    as torch), or zeros of the given sizes."""
    return Tensor(*args, dtype=dtypes.int64)
