"""Elementwise ops: arithmetic, math functions and piecewise selections (activations: activation.py).

Each op: a forward on ndarrays and its VJP, side by side (see `op.py`).
Broadcasting is undone by the engine, so a binary op's VJP returns gradients
of the broadcast shape.
"""
import math

import numpy as np

from .. import dtypes, kernels
from ..tensor import Tensor, make_tensor
from .op import Op, bilinear_jvp, linear_jvp, sum_of

__all__ = ["abs", "add", "ceil", "clamp", "clip", "cos", "div", "erf", "exp", "expm1", "floor", "log", "log1p", "maximum", "minimum", "mul", "neg", "pow", "round", "rsqrt", "sign", "sin", "sqrt", "square", "sub", "tan", "trunc", "where"]


# -- arithmetic -----------------------------------------------------------------
class Add(Op):
    """a + b;  d/da = 1, d/db = 1"""
    promote = True

    @staticmethod
    def forward(ctx, a, b):
        return np.add(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, g

    @staticmethod
    def jvp(ctx, t_a, t_b):
        return sum_of(t_a, t_b)  # the engine broadcasts a lone input's tangent to the output


class Sub(Op):
    """a - b;  d/da = 1, d/db = -1"""
    promote = True

    @staticmethod
    def forward(ctx, a, b):
        return np.subtract(a, b)

    @staticmethod
    def backward(ctx, g):
        return g, -g

    @staticmethod
    def jvp(ctx, t_a, t_b):
        return sum_of(t_a, None if t_b is None else -t_b)


class Mul(Op):
    """a * b;  d/da = b, d/db = a"""
    promote = True

    @staticmethod
    def forward(ctx, a, b):
        # Only what a gradient needs (as torch): x * 2 keeps nothing of x, so changing x in place is fine.
        needs = ctx.needs_input_grad
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        return np.multiply(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if b is not None else None), (g * a if a is not None else None)

    jvp = staticmethod(bilinear_jvp)  # t_a * b + a * t_b


class Div(Op):
    """a / b (true division);  d/da = 1/b, d/db = -a/b^2"""
    promote = True
    float_only = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # a only for d/db (as torch)
        return np.true_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        grad_a = g / b
        return grad_a, (-grad_a * a / b if a is not None else None)

    @staticmethod
    def jvp(ctx, t_a, t_b):
        # (t_a - t_b * a / b) / b, with a / b the output
        b = ctx.inputs[1]
        return sum_of(None if t_a is None else t_a / b, None if t_b is None else -t_b * ctx.output / b)


class Neg(Op):
    """-x;  d/dx = -1"""

    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, g):
        return -g

    jvp = staticmethod(linear_jvp)


class Pow(Op):
    """a ** b;  d/da = b a^(b-1),  d/db = a^b log(a)  (taken as 0 where a == 0)"""
    promote = True

    @staticmethod
    def forward(ctx, a, b):
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        xp = ctx.xp
        needs_grad = ctx.needs_input_grad
        grad_a = None
        if needs_grad[0]:
            grad_a = g * b * _power_below(xp, a, b)
        grad_b = None
        if needs_grad[1]:
            # d/db a^b = a^b log(a), whose limit at a == 0 is 0 (for b > 0): avoid log(0) there.
            grad_b = g * out * _log_of_base(xp, a)
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx, t_a, t_b):
        # The VJP's two partial derivatives, each times its tangent (the same guards at a == 0, b == 0).
        a, b = ctx.inputs
        xp, out = ctx.xp, ctx.output
        term_a = term_b = None
        if t_a is not None:
            term_a = t_a * b * _power_below(xp, a, b)
        if t_b is not None:
            term_b = t_b * out * _log_of_base(xp, a)
        return sum_of(term_a, term_b)


def _power_below(xp, a, b):
    """a^(b-1), the factor of d/da a^b = b a^(b-1), with the base taken as 1 where b == 0.

    d/da a^0 = 0 everywhere, also at a == 0, where b a^(b-1) would be 0 * inf = NaN.  Replacing
    the result afterwards (where(b == 0, 0, ...)) would leave the inf inside the recorded graph,
    and a higher derivative would multiply the zero gradient the `where` sends it by that inf
    (NaN again).  With the base replaced first nothing infinite is ever computed for b == 0.
    """
    exponent_zero = np.asarray(xp.value(b)) == 0
    if exponent_zero.any():
        a = xp.where(exponent_zero, 1, a)
    with np.errstate(divide="ignore"):  # 0 ** negative: inf, as torch (d/da a^0.5 at a == 0)
        return a ** (b - 1)


def _log_of_base(xp, a):
    """log(a) where a > 0, else 0 (the limit of a^b log(a) at a == 0 is 0 for b > 0): recorded for a
    Tensor base; for a number or array base a constant in its own precision (a Tensor `where` of two
    Python numbers would be float32, which rounded 2.0 ** x's derivatives in float64)."""
    positive = np.asarray(xp.value(a)) > 0
    if isinstance(a, Tensor):
        return xp.log(xp.where(positive, a, 1))
    return np.log(np.where(positive, a, 1))


# -- math functions -----------------------------------------------------------
class Exp(Op):
    """e^x;  d/dx = e^x"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y

    @staticmethod
    def jvp(ctx, t):
        return t * ctx.output


class Log(Op):
    """natural log;  d/dx = 1/x"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x

    @staticmethod
    def jvp(ctx, t):
        return t / ctx.inputs[0]


class Sqrt(Op):
    """sqrt(x);  d/dx = 1 / (2 sqrt(x))"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g / (2 * y)

    @staticmethod
    def jvp(ctx, t):
        return t / (2 * ctx.output)


class Tan(Op):
    """tan(x);  d/dx = 1 + tan(x)^2"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        y = np.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 + y * y)

    @staticmethod
    def jvp(ctx, t):
        y = ctx.output
        return t * (1 + y * y)


class Sin(Op):
    """sin(x);  d/dx = cos(x)"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.cos(x)

    @staticmethod
    def jvp(ctx, t):
        return t * ctx.xp.cos(ctx.inputs[0])


class Cos(Op):
    """cos(x);  d/dx = -sin(x)"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * ctx.xp.sin(x)

    @staticmethod
    def jvp(ctx, t):
        return -t * ctx.xp.sin(ctx.inputs[0])


class Abs(Op):
    """|x|;  d/dx = sign(x)  (0 at x == 0, as torch)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.xp.sign(x)

    @staticmethod
    def jvp(ctx, t):
        return t * ctx.xp.sign(ctx.inputs[0])


class Sign(Op):
    """sign(x);  derivative 0 everywhere it exists"""

    @staticmethod
    def forward(ctx, x):
        return np.sign(x)

    @staticmethod
    def backward(ctx, g):
        return g * 0

    @staticmethod
    def jvp(ctx, t):
        return t * 0


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)  # a Python float: numpy float64 scalars would upcast float32


class Erf(Op):
    """The error function;  d/dx erf(x) = 2/sqrt(pi) e^(-x^2)"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return kernels.erf(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _TWO_OVER_SQRT_PI * ctx.xp.exp(-(x * x))

    @staticmethod
    def jvp(ctx, t):
        x = ctx.inputs[0]
        return t * _TWO_OVER_SQRT_PI * ctx.xp.exp(-(x * x))


class Log1p(Op):
    """log(1 + x), accurate for small x;  d/dx = 1 / (1 + x)"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x)

    @staticmethod
    def jvp(ctx, t):
        return t / (1 + ctx.inputs[0])


class Expm1(Op):
    """e^x - 1, accurate for small x;  d/dx = e^x = y + 1"""
    float_only = True

    @staticmethod
    def forward(ctx, x):
        y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y + 1)

    @staticmethod
    def jvp(ctx, t):
        return t * (ctx.output + 1)


class Rounding(Op):
    """round / floor / ceil / trunc: piecewise constant, so the gradient is zero (as torch's)."""
    function = None

    @classmethod
    def forward(cls, ctx, x, decimals=0):
        if x.dtype.kind not in "fc":
            return x.copy()  # integers are already whole (torch returns them unchanged)
        if decimals:
            return np.round(x, decimals)
        return cls.function(x)

    @staticmethod
    def backward(ctx, g):
        return g * 0

    @staticmethod
    def jvp(ctx, t):
        return t * 0


class Round(Rounding):
    """round half to even (numpy's and torch's rule), to `decimals` places"""
    function = staticmethod(np.round)


class Floor(Rounding):
    function = staticmethod(np.floor)


class Ceil(Rounding):
    function = staticmethod(np.ceil)


class Trunc(Rounding):
    function = staticmethod(np.trunc)


# -- piecewise selections ------------------------------------------------------
class Clamp(Op):
    """min(max(x, low), high), bounds numbers or tensors (broadcast);  the gradient goes to whichever
    was picked: x where low <= x <= high, low where x < low, high where the result is high (as torch)"""
    promote = True

    @staticmethod
    def forward(ctx, x, low, high):
        if low is None and high is None:
            raise ValueError("clamp: at least one of min and max must be given")
        raised, from_low, from_high = _clamp_selection(x, low, high)
        out = raised if high is None else np.minimum(raised, high)
        ctx.save_for_backward(~from_high & ~from_low, from_low, from_high)  # constants: the selection
        return np.asarray(out)

    @staticmethod
    def backward(ctx, g):
        from_x, from_low, from_high = ctx.saved_tensors
        want_x, want_low, want_high = ctx.needs_input_grad
        return (g * from_x if want_x else None, g * from_low if want_low else None,
                g * from_high if want_high else None)

    @staticmethod
    def jvp(ctx, t_x, t_low, t_high):
        values = [ctx.xp.value(v) for v in ctx.inputs]
        _, from_low, from_high = _clamp_selection(*values)
        from_x = ~from_high & ~from_low
        return sum_of(None if t_x is None else t_x * from_x, None if t_low is None else t_low * from_low,
                      None if t_high is None else t_high * from_high)


def _clamp_selection(x, low, high):
    """max(x, low), and where the result came from low and from high (bool arrays)."""
    raised = x if low is None else np.maximum(x, low)
    from_high = np.zeros(np.shape(raised), bool) if high is None else raised > high
    from_low = np.zeros(np.shape(x), bool) if low is None else (x < low) & ~from_high
    return raised, from_low, from_high


class Maximum(Op):
    """max(a, b) elementwise;  the gradient goes to the larger input, split evenly on ties (torch)"""
    promote = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(_selection_weight(a, b))
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        (weight_a,) = ctx.saved_tensors
        return g * weight_a, g * (1 - weight_a)

    @staticmethod
    def jvp(ctx, t_a, t_b):
        a, b = (ctx.xp.value(v) for v in ctx.inputs)
        return _selected_tangent(_selection_weight(a, b), t_a, t_b)


class Minimum(Op):
    """min(a, b) elementwise;  the gradient goes to the smaller input, split evenly on ties (torch)"""
    promote = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(_selection_weight(b, a))
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        (weight_a,) = ctx.saved_tensors
        return g * weight_a, g * (1 - weight_a)

    @staticmethod
    def jvp(ctx, t_a, t_b):
        a, b = (ctx.xp.value(v) for v in ctx.inputs)
        return _selected_tangent(_selection_weight(b, a), t_a, t_b)


def _selection_weight(a, b):
    """1 where a wins (a > b), 0.5 on ties, 0 where b wins -- in the result dtype."""
    dtype = np.result_type(a, b)
    return ((np.greater(a, b)) + 0.5 * np.equal(a, b)).astype(dtype)


def _selected_tangent(weight_a, t_a, t_b):
    """The tangent of a selection between a and b: t_a where a was picked, t_b where b (half each on ties)."""
    return sum_of(None if t_a is None else t_a * weight_a, None if t_b is None else t_b * (1 - weight_a))


class Where(Op):
    """condition ? a : b;  the gradient goes to whichever input was picked"""
    promote = True

    @staticmethod
    def forward(ctx, a, b, condition=None):
        ctx.save_for_backward(condition)
        out = np.where(condition, a, b)
        if a.__class__ is not np.ndarray and b.__class__ is not np.ndarray:
            out = out.astype(dtypes.result_type((), (a, b)))  # two Python numbers: torch's dtype (1.0 -> float32)
        return out

    @staticmethod
    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        zero = g * 0
        xp = ctx.xp
        return xp.where(condition, g, zero), xp.where(condition, zero, g)

    jvp = staticmethod(linear_jvp)  # where(condition, t_a, t_b)


# -- public functions -------------------------------------------------------------
def add(input, other, alpha=1):
    """input + alpha * other"""
    if alpha == 1:
        return Add.apply(input, other)
    return Add.apply(input, mul(other, alpha))


def sub(input, other, alpha=1):
    """input - alpha * other"""
    for operand in (input, other):
        if getattr(operand, "dtype", None) == np.bool_:
            raise RuntimeError(
                "sub: subtraction with a bool tensor is not supported (as in torch); "
                "to invert a mask use ~mask or logical_not()"
            )
    if alpha == 1:
        return Sub.apply(input, other)
    return Sub.apply(input, mul(other, alpha))


def mul(input, other):
    return Mul.apply(input, other)


def div(input, other, rounding_mode=None):
    """True division (``rounding_mode='floor'`` or ``'trunc'`` give non-differentiable integer-valued results)."""
    if rounding_mode is None:
        return Div.apply(input, other)
    a, b = np.asarray(input), np.asarray(other)
    if rounding_mode == "floor":
        return make_tensor(np.asarray(np.floor_divide(a, b)))
    if rounding_mode == "trunc":
        return make_tensor(np.asarray(np.trunc(a / b)).astype(np.result_type(a, b)))
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")


def neg(input):
    return Neg.apply(input)


def pow(input, exponent):
    return Pow.apply(input, exponent)


def exp(input):
    return Exp.apply(input)


def log(input):
    return Log.apply(input)


def sqrt(input):
    return Sqrt.apply(input)


def rsqrt(input):
    return div(1.0, sqrt(input))


def tan(input):
    return Tan.apply(input)


def sin(input):
    return Sin.apply(input)


def cos(input):
    return Cos.apply(input)


def abs(input):
    return Abs.apply(input)


def sign(input):
    return Sign.apply(input)


def erf(input):
    return Erf.apply(input)


def clamp(input, min=None, max=None):
    """Limit values to [min, max] (numbers or tensors); the gradient goes to x inside, to a bound where it
    was picked.  An integer tensor with a float bound gives a float result, as in torch."""
    return Clamp.apply(input, min, max)


clip = clamp


def maximum(input, other):
    return Maximum.apply(input, other)


def minimum(input, other):
    return Minimum.apply(input, other)


def where(condition, input, other):
    """Pick `input` where `condition` is true, else `other` (broadcast together)."""
    condition = np.asarray(getattr(condition, "_data", condition))
    if condition.dtype != bool:  # torch refuses an integer or float mask rather than guess
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{condition.dtype} (compare it first, e.g. `mask != 0`)")
    return Where.apply(input, other, condition=condition)


def square(input):
    return Mul.apply(input, input)


def log1p(input):
    """log(1 + x), accurate near 0."""
    return Log1p.apply(input)


def expm1(input):
    """e^x - 1, accurate near 0."""
    return Expm1.apply(input)


def round(input, decimals=0):
    """Round to the nearest integer (halves to even), or to `decimals` places; gradient zero."""
    return Round.apply(input, decimals=decimals)


def floor(input):
    """The largest integer <= x; gradient zero."""
    return Floor.apply(input)


def ceil(input):
    """The smallest integer >= x; gradient zero."""
    return Ceil.apply(input)


def trunc(input):
    """x rounded toward zero; gradient zero."""
    return Trunc.apply(input)
