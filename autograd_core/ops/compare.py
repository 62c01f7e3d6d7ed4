"""Comparisons and logical ops: eq ne lt le gt ge, logical_* and bitwise_*, isnan/isinf/isfinite,
isclose, allclose, equal.

None of these has a gradient, so they are plain functions rather than `Op`s: they
return new Tensors that never require grad.  Operands may be Tensors, ndarrays or
Python numbers on either side; two operands are first brought to torch's common
dtype (so ``int_tensor < 0.5`` compares as floats, and ``float32 == float64 0-d``
compares in float32, as torch does).
"""
import numpy as np

from .. import dtypes
from ..tensor import Tensor, make_tensor

__all__ = [
    "allclose", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "eq", "equal", "ge", "gt",
    "isclose", "isfinite", "isinf", "isnan", "le", "logical_and", "logical_not", "logical_or",
    "logical_xor", "lt", "ne",
]

def _wrap(values):
    """A comparison's result as a Tensor (numpy gives a scalar for 0-d inputs)."""
    return make_tensor(np.asarray(values))


def _operand(value, name):
    """The ndarray of a Tensor or array, or a Python number as it is (a weak scalar)."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return np.asarray(value)
    raise TypeError(f"{name}(): expected a Tensor or a number, got {type(value).__name__}")


def _promoted(a, b):
    """`a` and `b` cast to torch's common dtype (a Python number stays a weak scalar)."""
    a_is_array, b_is_array = a.__class__ is np.ndarray, b.__class__ is np.ndarray
    if a_is_array and b_is_array:
        if a.dtype == b.dtype:
            return a, b
        target = dtypes.result_type([a, b])
    elif a_is_array:
        if a.dtype.kind == "f":  # the common case: a float tensor against a number
            return a, b
        target = dtypes.result_type([a], [b])
    elif b_is_array:
        if b.dtype.kind == "f":
            return a, b
        target = dtypes.result_type([b], [a])
    else:
        return np.asarray(a), b
    return _cast(a, target), _cast(b, target)


def _cast(value, dtype):
    if value.__class__ is np.ndarray and value.dtype != dtype:
        return value.astype(dtype)
    return value


def _shape(value):
    return tuple(np.shape(value))


def _binary(ufunc, input, other, name, promote=True):
    a, b = _operand(input, name), _operand(other, name)
    if promote:
        a, b = _promoted(a, b)
    try:
        result = ufunc(a, b)
    except ValueError:
        raise ValueError(
            f"{name}(): the shapes {_shape(a)} and {_shape(b)} cannot be broadcast together"
        ) from None
    return _wrap(np.asarray(result))


# -- comparisons ------------------------------------------------------------------
def eq(input, other):
    """input == other, elementwise (bool).  ``t == None`` is False, as in torch."""
    if other is None:
        return False
    return _binary(np.equal, input, other, "eq")


def ne(input, other):
    """input != other, elementwise (bool).  ``t != None`` is True, as in torch."""
    if other is None:
        return True
    return _binary(np.not_equal, input, other, "ne")


def lt(input, other):
    """input < other, elementwise (bool)."""
    return _binary(np.less, input, other, "lt")


def le(input, other):
    """input <= other, elementwise (bool)."""
    return _binary(np.less_equal, input, other, "le")


def gt(input, other):
    """input > other, elementwise (bool)."""
    return _binary(np.greater, input, other, "gt")


def ge(input, other):
    """input >= other, elementwise (bool)."""
    return _binary(np.greater_equal, input, other, "ge")


# -- logical (any dtype; nonzero is true) and bitwise (bool and int) ------------------------
def logical_not(input):
    """True where input is zero (bool)."""
    return _wrap(np.logical_not(_operand(input, "logical_not")))


def logical_and(input, other):
    """Both nonzero (bool)."""
    return _binary(np.logical_and, input, other, "logical_and", promote=False)


def logical_or(input, other):
    """Either nonzero (bool)."""
    return _binary(np.logical_or, input, other, "logical_or", promote=False)


def logical_xor(input, other):
    """Exactly one nonzero (bool)."""
    return _binary(np.logical_xor, input, other, "logical_xor", promote=False)


def _check_integral(value, name):
    dtype = value.dtype if value.__class__ is np.ndarray else np.asarray(value).dtype
    if dtype.kind not in "biu":
        raise TypeError(f"{name}(): only bool and integer tensors are supported, got {dtype}")


def bitwise_not(input):
    """~input: logical not for bool tensors, two's complement not for integers (the ``~`` operator)."""
    data = _operand(input, "bitwise_not")
    _check_integral(data, "bitwise_not")
    return _wrap(np.invert(data))


def _bitwise(ufunc, input, other, name):
    a, b = _promoted(_operand(input, name), _operand(other, name))
    _check_integral(a, name)
    _check_integral(b, name)
    return _binary(ufunc, a, b, name, promote=False)


def bitwise_and(input, other):
    """input & other: elementwise and of bool or integer tensors (the ``&`` operator)."""
    return _bitwise(np.bitwise_and, input, other, "bitwise_and")


def bitwise_or(input, other):
    """input | other: elementwise or of bool or integer tensors (the ``|`` operator)."""
    return _bitwise(np.bitwise_or, input, other, "bitwise_or")


def bitwise_xor(input, other):
    """input ^ other: elementwise xor of bool or integer tensors (the ``^`` operator)."""
    return _bitwise(np.bitwise_xor, input, other, "bitwise_xor")


# -- special values ------------------------------------------------------------------
def _float_test(ufunc, input, name, integer_answer):
    data = _operand(input, name)
    data = data if data.__class__ is np.ndarray else np.asarray(data)
    if data.dtype.kind != "f":  # integers and bools are never nan or inf
        return _wrap(np.full(data.shape, integer_answer))
    return _wrap(ufunc(data))


def isnan(input):
    """True where input is NaN."""
    return _float_test(np.isnan, input, "isnan", False)


def isinf(input):
    """True where input is +inf or -inf."""
    return _float_test(np.isinf, input, "isinf", False)


def isfinite(input):
    """True where input is neither NaN nor infinite."""
    return _float_test(np.isfinite, input, "isfinite", True)


# -- closeness and equality -----------------------------------------------------------
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise (bool)."""
    a, b = _promoted(_operand(input, "isclose"), _operand(other, "isclose"))
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose(): rtol and atol must be non-negative, got rtol={rtol}, atol={atol}")
    try:
        return _wrap(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))
    except ValueError:
        raise ValueError(
            f"isclose(): the shapes {_shape(a)} and {_shape(b)} cannot be broadcast together"
        ) from None


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if every element of `input` is close to `other` (see `isclose`); a Python bool."""
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan)._data))


def equal(input, other):
    """True if both have the same shape and the same values; a Python bool (NaN is never equal)."""
    a, b = _promoted(_operand(input, "equal"), _operand(other, "equal"))
    if _shape(a) != _shape(b):
        return False
    return bool(np.array_equal(a, b))
