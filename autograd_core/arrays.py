"""User data to ndarrays, with torch's dtype rules: `as_array` (below `tensor.py`, which uses it).

Python floats become the default dtype (float32), Python ints int64 and bools
bool, as in torch; a numpy array keeps its own dtype (narrowed to a supported one).
"""
import numbers

import numpy as np

from . import dtypes


def infer_dtype(data):
    """torch's dtype for nested Python data: bool < int64 < default float."""
    kinds = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif hasattr(item, "_data"):
            kinds.add(item._data.dtype.kind)
        elif isinstance(item, (bool, np.bool_)):
            kinds.add("b")
        elif isinstance(item, numbers.Integral):
            kinds.add("i")
        elif isinstance(item, numbers.Real):
            kinds.add("f")
        else:
            raise TypeError(f"tensor(): cannot make a tensor from an element of type {type(item).__name__}")
    if "f" in kinds:
        return dtypes.get_default_dtype()
    if "i" in kinds or "u" in kinds:
        return dtypes.int64
    if "b" in kinds:
        return dtypes.bool_
    return dtypes.get_default_dtype()  # an empty list


def _unwrap_nested(data):
    if hasattr(data, "_data"):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(item) for item in data]
    return data


def as_array(data, dtype=None):
    """An ndarray of `data` with torch's dtype rules (a copy of lists; arrays keep their dtype)."""
    dtype = dtypes.as_dtype(dtype)
    if hasattr(data, "_data"):
        data = data._data
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        array = np.asarray(data)
        if array.dtype not in dtypes.SUPPORTED_DTYPES and dtype is None:
            array = array.astype(_nearest_supported(array.dtype))
        return array if dtype is None else array.astype(dtype, copy=False)
    inferred = infer_dtype(data)
    try:
        array = np.array(_unwrap_nested(data), dtype=dtype or inferred)
    except ValueError as error:
        raise ValueError(f"tensor(): the nested sequence is ragged or invalid: {error}") from None
    return array


def _nearest_supported(dtype):
    if dtype.kind == "f":
        return dtypes.float64 if dtype.itemsize > 4 else dtypes.float32
    if dtype.kind in "iu":
        return dtypes.int64
    if dtype.kind == "b":
        return dtypes.bool_
    raise TypeError(f"unsupported array dtype {dtype}; expected a float, int or bool array")
