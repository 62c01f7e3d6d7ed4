"""Derives the polynomial behind the float32 normal CDF in `scalar_math.py` (not imported at run time).

The fast float32 GELU needs erfc(z) for 0 <= z <= 10.25 (|x| <= 14.5, beyond
which x Phi(x) rounds to 0 or x in float32) to a relative error well below
float32 round-off (~6e-8).  We write

    erfc(z) = t * Q(s) * exp(-z^2),   t = 2 / (2 + z),   s = A t + B in [-1, 1]

where erfc(z) exp(z^2) / t is smooth and slowly varying in t, so a degree-10
polynomial Q fits it to ~4e-9 relative error.  (As A + B = 1, the kernel
computes s as t (1 + z B/2), which does not cancel where s is small.)  Q has
positive leading coefficients over all of [-1, 1], so it evaluates without
cancellation in float32 (fitting erfc(z) exp(z^2) itself, without the factor t,
would save one multiplication but cancels near s = -1, the far tail).  The fit is a weighted
least-squares Chebyshev fit at Chebyshev nodes (close to minimax), against
Python's ``math.erfc`` (accurate to double precision).

Run ``python -m autograd_core.kernels.fit_erfc`` to print the coefficients
(lowest power first) and the maximum relative error on a fine grid.
"""
import math

import numpy as np
from numpy.polynomial import chebyshev

Z_MAX = 10.25
DEGREE = 10
T_MIN = 2 / (2 + Z_MAX)
# s = A t + B maps t in [T_MIN, 1] onto [-1, 1].
A = 2 / (1 - T_MIN)
B = -1 - T_MIN * A


def target(t):
    """erfc(z) exp(z^2) / t at z = 2/t - 2, the function Q approximates."""
    z = 2 / t - 2
    return np.array([math.erfc(v) * math.exp(v * v) for v in z]) / t


def fit(degree=DEGREE, nodes=4000):
    """Monomial coefficients of Q in s (lowest power first)."""
    k = np.arange(nodes)
    s = np.cos(np.pi * (k + 0.5) / nodes)
    t = (s - B) / A
    values = target(t)
    cheb = chebyshev.chebfit(s, values, degree, w=1 / values)  # relative-error weights
    return chebyshev.cheb2poly(cheb)


def max_relative_error(coefficients, points=200001):
    z = np.linspace(0, Z_MAX, points)
    t = 2 / (2 + z)
    q = np.polynomial.polynomial.polyval(A * t + B, coefficients)
    approx = t * q * np.exp(-z * z)
    truth = np.array([math.erfc(v) for v in z])
    return float(np.max(np.abs(approx / truth - 1)))


if __name__ == "__main__":
    coefficients = fit()
    print(f"A = {A!r}\nB = {B!r}")
    print("coefficients (s^0 first):")
    for c in coefficients:
        print(f"    {float(c)!r},")
    print("max relative error on [0, %g]: %.3g" % (Z_MAX, max_relative_error(coefficients)))
