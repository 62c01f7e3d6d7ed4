"""Attach the operators and op methods to `Tensor`.

Every op function takes the tensor first, so ``x.exp()`` is ``ops.exp(x)`` and
``x.sum(dim=1)`` is ``ops.sum(x, dim=1)``.  Operators call the same functions.
"""
from . import ops
from .tensor import Tensor

# Methods that are exactly the function of the same name with the tensor first.
_METHOD_NAMES = """
abs add clamp clip cos div elu exp gelu leaky_relu log maximum minimum mul neg pow relu
rsqrt sigmoid sign sin softplus sqrt square sub tanh where
sum mean max min var std logsumexp softmax log_softmax prod argmax argmin all any
reshape view flatten transpose permute squeeze unsqueeze expand expand_as reshape_as view_as
split chunk gather masked_fill matmul mm dot unbind
swapaxes movedim broadcast_to index_select index_put bmm outer
eq ne lt le gt ge logical_not isnan isfinite
amax amin norm cumsum logical_and logical_or logical_xor isinf isclose allclose equal
bitwise_not bitwise_and bitwise_or bitwise_xor
clone to float double long int bool cpu type_as contiguous
""".split()

for _name in _METHOD_NAMES:
    if hasattr(ops, _name):
        setattr(Tensor, _name, getattr(ops, _name))

# Conversions named like builtins/dtype aliases (float, int, bool, type) are methods only.
for _name in ops.convert.TENSOR_METHODS:
    setattr(Tensor, _name, getattr(ops.convert, _name))


def _reflected(function):
    def method(self, other):
        return function(other, self)

    method.__name__ = "__r" + function.__name__ + "__"
    return method


Tensor.__add__ = ops.add
Tensor.__radd__ = _reflected(ops.add)
Tensor.__sub__ = ops.sub
Tensor.__rsub__ = _reflected(ops.sub)
Tensor.__mul__ = ops.mul
Tensor.__rmul__ = _reflected(ops.mul)
Tensor.__truediv__ = ops.div
Tensor.__rtruediv__ = _reflected(ops.div)
Tensor.__pow__ = ops.pow
Tensor.__rpow__ = _reflected(ops.pow)
Tensor.__neg__ = ops.neg
Tensor.__abs__ = ops.abs
Tensor.__pos__ = lambda self: self
if hasattr(ops, "matmul"):
    Tensor.__matmul__ = ops.matmul
    Tensor.__rmatmul__ = _reflected(ops.matmul)
for _dunder, _name in (("__eq__", "eq"), ("__ne__", "ne"), ("__lt__", "lt"), ("__le__", "le"),
                       ("__gt__", "gt"), ("__ge__", "ge"), ("__getitem__", "getitem"),
                       ("__invert__", "bitwise_not"), ("__and__", "bitwise_and"),
                       ("__or__", "bitwise_or"), ("__xor__", "bitwise_xor")):
    if hasattr(ops, _name):
        setattr(Tensor, _dunder, getattr(ops, _name))
for _dunder, _name in (("__rand__", "bitwise_and"), ("__ror__", "bitwise_or"), ("__rxor__", "bitwise_xor")):
    if hasattr(ops, _name):
        setattr(Tensor, _dunder, _reflected(getattr(ops, _name)))
