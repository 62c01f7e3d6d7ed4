"""The Tensor methods and operators, bound to the class by the assembly step (`bind`).

Every op function takes the tensor first, so ``x.exp()`` is ``ops.exp(x)`` and
``x.sum(dim=1)`` is ``ops.sum(x, dim=1)``: each public op becomes a method of the
same name unless it is listed in `FUNCTION_ONLY`.  Operators call the same
functions.  A name listed here that does not exist is an error at import, never
a silently missing method.
"""
from . import engine, inplace, ops
from .ops import convert
from .ops._dims import wrap_dim

#: Public ops that are functions only, as in torch (``torch.cat``, not ``x.cat``).
FUNCTION_ONLY = frozenset({"adaptive_avg_pool1d", "avg_pool1d", "cat", "concat", "conv1d", "conv2d", "stack", "getitem", "linear", "max_pool1d", "max_pool2d", "pad", "softmax_cross_entropy", "where"})


def size(self, dim=None):
    """The shape, or the size of one dimension."""
    if dim is None:
        return self._data.shape
    return self._data.shape[wrap_dim(dim, self._data.ndim, "size")]


def where(self, condition, other):
    """``self`` where `condition` holds, else `other` (torch's method order: ``x.where(cond, y)``)."""
    return ops.where(condition, self, other)


def _reflected(function):
    def method(self, other):
        return function(other, self)

    method.__name__ = "__r" + function.__name__ + "__"
    return method


OPERATORS = {
    "__add__": ops.add, "__sub__": ops.sub, "__mul__": ops.mul, "__truediv__": ops.div, "__pow__": ops.pow,
    "__matmul__": ops.matmul, "__neg__": ops.neg, "__abs__": ops.abs, "__pos__": lambda self: self,
    "__eq__": ops.eq, "__ne__": ops.ne, "__lt__": ops.lt, "__le__": ops.le, "__gt__": ops.gt, "__ge__": ops.ge,
    "__getitem__": ops.getitem, "__invert__": ops.bitwise_not, "__and__": ops.bitwise_and,
    "__or__": ops.bitwise_or, "__xor__": ops.bitwise_xor,
}
REFLECTED_OPERATORS = {
    "__radd__": ops.add, "__rsub__": ops.sub, "__rmul__": ops.mul, "__rtruediv__": ops.div, "__rpow__": ops.pow,
    "__rmatmul__": ops.matmul, "__rand__": ops.bitwise_and, "__ror__": ops.bitwise_or,
    "__rxor__": ops.bitwise_xor,
}


def bind(tensor_class):
    """Give `tensor_class` its op methods, conversions, in-place methods, operators and ``backward``."""
    for name in ops.__all__:
        if name not in FUNCTION_ONLY:
            setattr(tensor_class, name, getattr(ops, name))
    for name in convert.TENSOR_METHODS:  # conversions named like builtins (float, int, bool, type)
        setattr(tensor_class, name, getattr(convert, name))
    for name, method in inplace.METHODS.items():
        setattr(tensor_class, name, method)
    for name, function in OPERATORS.items():
        setattr(tensor_class, name, function)
    for name, function in REFLECTED_OPERATORS.items():
        setattr(tensor_class, name, _reflected(function))
    tensor_class.size = size
    tensor_class.where = where
    tensor_class.backward = engine.tensor_backward
