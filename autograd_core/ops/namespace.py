"""The small numpy-like vocabulary that VJP rules are written in (``ctx.xp``).

A rule such as ``g * (1 - y * y)`` needs only operators, which ndarrays and
Tensors both understand.  Rules that need more (a sum over axes, a reshape, a
where) call ``ctx.xp.<name>``: `ARRAY` does it with numpy, at numpy speed, for a
plain backward; `TENSOR` does it with the engine's own differentiable ops, so
that under ``create_graph=True`` the backward pass is itself recorded.

Both namespaces take numpy-style arguments (``axis``, ``keepdims``).  Two names
let a rule say what only the engine could otherwise say:

  ``xp.value(t)``          the values behind a saved value, as a constant ndarray
                           (a mask such as ``xp.value(x) > 0`` does not move with x);
  ``xp.call(Op, *args)``   the op itself: its forward on arrays in a plain backward,
                           ``Op.apply`` (recorded) under create_graph -- for a VJP
                           that is another op, such as cumsum's reversed cumsum.

This file sits above the op families (it calls them); the assembly step hands both
namespaces to the tape (`graph.use_namespaces`).
"""
import numpy as np

from ..kernels import sigmoid_forward
from ..tensor import make_tensor
from .elementwise import where
from .index import IndexAdd, ScatterAdd, index_add_array
from .join import cat, stack


def _normalize_axes(axes, ndim):
    return tuple(sorted(a % ndim for a in axes))


def sum_to_axes(shape_from, shape_to):
    """The axes to sum over so that an array of `shape_from` becomes `shape_to` (broadcasting undone)."""
    lead = len(shape_from) - len(shape_to)
    axes = list(range(lead))
    for i, size in enumerate(shape_to):
        if size == 1 and shape_from[lead + i] != 1:
            axes.append(lead + i)
    return tuple(axes)


class ARRAY:
    """numpy implementations, for a plain (first-order) backward."""

    @staticmethod
    def value(x):
        return x

    @staticmethod
    def call(op, *arrays, **params):
        return op.compute(*arrays, **params)

    @staticmethod
    def sum_to(x, shape):
        """Sum `x` down to `shape`: the adjoint of broadcasting `shape` up to ``x.shape``."""
        axes = sum_to_axes(x.shape, shape)
        if axes:
            x = np.sum(x, axis=axes, keepdims=True)
        return np.reshape(x, shape)

    @staticmethod
    def astype(x, dtype):
        return np.asarray(x).astype(dtype, copy=False)

    @staticmethod
    def zeros(shape, dtype):
        return np.zeros(shape, dtype)

    @staticmethod
    def zeros_like(x):
        return np.zeros_like(x)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def broadcast_to(x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def reshape(x, shape):
        return np.reshape(x, shape)

    @staticmethod
    def expand_dims(x, axes):
        return np.expand_dims(x, axes)

    @staticmethod
    def transpose(x, axes):
        return np.transpose(x, axes)

    @staticmethod
    def swapaxes(x, a, b):
        return np.swapaxes(x, a, b)

    @staticmethod
    def matmul(a, b):
        if a.ndim == 2 and b.ndim == 2 and a.shape[1] == 1:
            # An outer product (a batch-1 weight gradient): numpy's matmul does not use BLAS
            # for an inner dimension of 1 and is ~7x slower than dot there.
            return np.dot(a, b)
        return np.matmul(a, b)

    @staticmethod
    def where(condition, a, b):
        return np.where(condition, a, b)

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sign = staticmethod(np.sign)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)

    sigmoid = staticmethod(sigmoid_forward)

    @staticmethod
    def index_add(shape, dtype, index, values, unique=False):
        """zeros(shape) with `values` added at `index` (repeated indices accumulate;
        `unique`: the caller knows no position repeats)."""
        return index_add_array(shape, dtype, index, values, unique)

    @staticmethod
    def scatter_add(shape, dim, index, values):
        """zeros(shape) with ``out[..., index[i], ...] += values[i]`` along `dim` (gather's adjoint)."""
        out = np.zeros(shape, values.dtype)
        np.add.at(out, _scatter_index(index, dim), values)
        return out

    @staticmethod
    def concatenate(arrays, axis):
        return np.concatenate(arrays, axis)

    @staticmethod
    def stack(arrays, axis):
        return np.stack(arrays, axis)


def _scatter_index(index, dim):
    """Full index tuple for ``out[i0, ..., index[...], ..., in]`` along `dim`."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


class TENSOR:
    """Tensor implementations (recorded on the tape), for ``create_graph=True``."""

    @staticmethod
    def value(x):
        return x._data if hasattr(x, "_data") else x

    @staticmethod
    def call(op, *inputs, **params):
        return op.apply(*inputs, **params)

    @staticmethod
    def sum_to(x, shape):
        axes = sum_to_axes(x.shape, shape)
        if axes:
            x = x.sum(dim=axes, keepdim=True)
        return x.reshape(shape)

    @staticmethod
    def astype(x, dtype):
        return x.to(dtype)

    @staticmethod
    def zeros(shape, dtype):
        return make_tensor(np.zeros(shape, dtype))

    @staticmethod
    def zeros_like(x):
        return make_tensor(np.zeros(x.shape, x.dtype))

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        if axis == ():
            return x  # numpy's meaning (no axes); torch's sum(dim=()) would reduce them all
        return x.sum(dim=axis, keepdim=keepdims)

    @staticmethod
    def broadcast_to(x, shape):
        return x.expand(*shape) if shape else x.reshape(())

    @staticmethod
    def reshape(x, shape):
        return x.reshape(shape)

    @staticmethod
    def expand_dims(x, axes):
        if isinstance(axes, int):
            axes = (axes,)
        ndim = x.ndim + len(axes)
        shape = list(x.shape)
        for axis in _normalize_axes(axes, ndim):
            shape.insert(axis, 1)
        return x.reshape(tuple(shape))

    @staticmethod
    def transpose(x, axes):
        return x.permute(*axes)

    @staticmethod
    def swapaxes(x, a, b):
        return x.transpose(a, b)

    @staticmethod
    def matmul(a, b):
        return a @ b

    where = staticmethod(where)

    @staticmethod
    def exp(x):
        return x.exp()

    @staticmethod
    def log(x):
        return x.log()

    @staticmethod
    def sqrt(x):
        return x.sqrt()

    @staticmethod
    def sign(x):
        return x.sign()

    @staticmethod
    def sin(x):
        return x.sin()

    @staticmethod
    def cos(x):
        return x.cos()

    @staticmethod
    def tanh(x):
        return x.tanh()

    @staticmethod
    def abs(x):
        return x.abs()

    @staticmethod
    def sigmoid(x):
        return x.sigmoid()

    @staticmethod
    def index_add(shape, dtype, index, values, unique=False):
        return IndexAdd.apply(values, shape=shape, index=index)

    @staticmethod
    def scatter_add(shape, dim, index, values):
        return ScatterAdd.apply(values, shape=shape, dim=dim, index=index)

    @staticmethod
    def concatenate(tensors, axis):
        return cat(tensors, axis)

    @staticmethod
    def stack(tensors, axis):
        return stack(tensors, axis)
