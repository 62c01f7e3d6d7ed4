"""sort, argsort, topk (torch's signatures).  The values are differentiable: they are a gather of
the input along `dim` at the sorted indices (`index.gather`), so the gradient of each value goes
back to the element it came from, to any order; the indices are int64 and carry none."""
import collections

import numpy as np

from ..tensor import make_tensor
from ._dims import wrap_dim
from .index import gather

__all__ = ["sort", "argsort", "topk"]

#: torch.return_types.sort / topk: named (values, indices) pairs.
SortResult = collections.namedtuple("sort", ["values", "indices"])
TopkResult = collections.namedtuple("topk", ["values", "indices"])


def _order(array, dim, descending, stable):
    """Indices that sort `array` along `dim` (ascending, or descending with equal elements in their
    original order when stable); NaN counts as the largest value, as in torch (in a descending
    sort a NaN ties with +inf and keeps its original place among them)."""
    if array.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(array, axis=dim, kind="stable" if stable else None).astype(np.int64, copy=False)
    if array.dtype == np.bool_:
        keys = ~array
    elif array.dtype.kind == "f":
        keys = np.where(np.isnan(array), -np.inf, -array)  # NaN first, as the largest (tied with +inf)
    else:
        keys = -array.astype(np.int64)
    return np.argsort(keys, axis=dim, kind="stable").astype(np.int64, copy=False)


def _values(input, dim, indices):
    if np.ndim(input) == 0:
        return input + 0 if hasattr(input, "_data") else make_tensor(np.asarray(input).copy())
    return gather(input, dim, make_tensor(indices))


def argsort(input, dim=-1, descending=False, stable=False):
    """The int64 indices that sort `input` along `dim` (not differentiable)."""
    array = np.asarray(input)
    dim = wrap_dim(dim, array.ndim, "argsort")
    return make_tensor(_order(array, dim, descending, stable))


def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` of `input` sorted along `dim`; the values carry the gradient back to
    the elements they came from."""
    array = np.asarray(input)
    dim = wrap_dim(dim, array.ndim, "sort")
    indices = _order(array, dim, descending, stable)
    return SortResult(_values(input, dim, indices), make_tensor(indices))


def topk(input, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the `k` largest (or smallest) elements along `dim`, largest first
    (smallest first with ``largest=False``); differentiable in the values."""
    array = np.asarray(input)
    dim = wrap_dim(dim, array.ndim, "topk")
    size = array.shape[dim] if array.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k={k} out of range for dimension {dim} of size {size} "
                           f"(input of shape {array.shape})")
    indices = _order(array, dim, largest, True)
    if array.ndim:
        indices = np.take(indices, np.arange(k), axis=dim)
    return TopkResult(_values(input, dim, indices), make_tensor(indices))
