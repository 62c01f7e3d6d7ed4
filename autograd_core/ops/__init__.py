"""The differentiable operations, one file per family (see `op.py` for how an op is written).

Every public function here is also a Tensor method (``x.exp()``) and, through
``autograd_core``, a top-level function (``autograd_core.exp(x)``).
"""
from .elementwise import (  # noqa: F401
    abs, add, clamp, clip, cos, div, elu, exp, gelu, leaky_relu, log, maximum, minimum, mul,
    neg, pow, relu, rsqrt, sigmoid, sign, sin, softplus, sqrt, square, sub, tanh, where,
)
from .reduce import mean, sum  # noqa: F401
from .shape import expand, permute, reshape, transpose, view  # noqa: F401
