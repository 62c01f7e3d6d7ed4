"""Scalar math for Numba kernels: exp, expm1, tanh, sigmoid, softplus and the normal CDF.

Why not ``math.exp``?  PyPI's llvmlite has no SVML, so ``math.exp``/``math.tanh``
inside a Numba loop are scalar libm calls that stop the loop from vectorizing
(about 10x slower than numpy's SIMD ufuncs).  The functions here are written
with only +, *, /, comparisons and bit tricks, so LLVM vectorizes loops that
call them.  Each is specialised by argument type at compile time (a Numba
``overload``): float32 code runs entirely in float32 with polynomials sized for
float32, float64 code in float64 with polynomials sized for float64 (the one
exception: the float64 normal CDF calls libm's erfc).  The tests bound the
error against float64/libm truth in ulps (tests/kernels/test_scalar_math.py).

Multiply-adds may be fused (LLVM's ``contract`` flag, FUSED): where the CPU has FMA a fused
``a * b + c`` rounds once instead of twice, so it is at least as accurate, and it is one
instruction instead of two (a float32 sigmoid over 1M elements: 2.73 -> 2.00 ms on one core of
a first-generation Zen EPYC).  The scalar and vector forms of a loop fuse alike, so results do
not depend on how a loop is chunked.  The normal CDF's exact square (a^2 = h + l) is one
fused multiply-add where the CPU has FMA and Veltkamp's split elsewhere, compiled apart and
unfused, since the split needs each product rounded on its own.

The stubs below are only callable from inside ``@numba.njit`` code.  Numba's
on-disk cache keys a kernel on its own file only; `numba_cache` extends that key
to every file of this package, so edits here do recompile the kernels.
"""
import math

import numpy as np
from .jit import njit, overload


def exp(x):
    """e^x for a float32/float64 scalar (inf above the overflow point, 0 below underflow, NaN kept)."""
    raise NotImplementedError("scalar_math.exp is only callable inside Numba kernels")


def expm1(x):
    """e^x - 1, accurate near 0 where ``exp(x) - 1`` would cancel."""
    raise NotImplementedError("scalar_math.expm1 is only callable inside Numba kernels")


def tanh(x):
    """tanh(x) = expm1(2x) / (expm1(2x) + 2), odd-symmetric, exactly +-1 for large |x|."""
    raise NotImplementedError("scalar_math.tanh is only callable inside Numba kernels")


def sigmoid(x):
    """1 / (1 + e^-x), computed as e^-|x| based ratios so that it never overflows."""
    raise NotImplementedError("scalar_math.sigmoid is only callable inside Numba kernels")


def softplus(z):
    """log(1 + e^z) = max(z, 0) + log1p(e^-|z|), stable for any z."""
    raise NotImplementedError("scalar_math.softplus is only callable inside Numba kernels")


def normal_cdf_pdf(x):
    """(Phi(x), phi(x)): the standard normal CDF and density, Phi accurate in both tails."""
    raise NotImplementedError("scalar_math.normal_cdf_pdf is only callable inside Numba kernels")


def _float_kind(numba_type):
    """np.float32 or np.float64 for the matching Numba scalar type, else None (no overload)."""
    from numba import types  # at compile time: Numba is loaded by then (jit.py)

    if numba_type == types.float32:
        return np.float32
    if numba_type == types.float64:
        return np.float64
    return None


#: The jit options of the functions here and of the kernels that use them: multiply-adds fused.
FUSED = {"fastmath": {"contract"}}


def _horner(poly, r):
    """sum_k c_k r^(n-1-k) for a polynomial ``poly = _polynomial(c)`` of 1 to 20 coefficients."""
    raise NotImplementedError


def _polynomial(coefficients):
    """Coefficients (highest power first) as _horner takes them: (head, body), the first 1 to 4
    coefficients that start the chain and the rest, a multiple of 4.  (Starting at the first
    coefficient, not at 0 * r + c, saves a step LLVM may not fold away: r could be inf or NaN.)"""
    c = tuple(coefficients)
    head = (len(c) - 1) % 4 + 1
    return c[:head], c[head:]


# Explicit steps and no loops: a loop over a constant tuple is unrolled by LLVM only while the
# caller's loop body is small, and an inner loop left rolled stops the caller's loop from
# vectorizing.
@njit(**FUSED)
def _start1(c, r):
    return c[0]


@njit(**FUSED)
def _start2(c, r):
    return c[0] * r + c[1]


@njit(**FUSED)
def _start3(c, r):
    return (c[0] * r + c[1]) * r + c[2]


@njit(**FUSED)
def _start4(c, r):
    return ((c[0] * r + c[1]) * r + c[2]) * r + c[3]


@njit(**FUSED)
def _horner4(p, c, r):
    p = p * r + c[0]
    p = p * r + c[1]
    p = p * r + c[2]
    p = p * r + c[3]
    return p


@overload(_horner, jit_options=FUSED)
def _horner_impl(poly, r):
    head, body = len(poly.types[0]), len(poly.types[1])
    start = {1: _start1, 2: _start2, 3: _start3, 4: _start4}[head]
    if body == 0:
        return lambda poly, r: start(poly[0], r)
    if body == 4:
        return lambda poly, r: _horner4(start(poly[0], r), poly[1], r)
    if body == 8:
        return lambda poly, r: _horner4(_horner4(start(poly[0], r), poly[1][:4], r), poly[1][4:], r)
    if body == 12:
        return lambda poly, r: _horner4(_horner4(_horner4(
            start(poly[0], r), poly[1][:4], r), poly[1][4:8], r), poly[1][8:], r)
    if body == 16:
        return lambda poly, r: _horner4(_horner4(_horner4(_horner4(
            start(poly[0], r), poly[1][:4], r), poly[1][4:8], r), poly[1][8:12], r), poly[1][12:], r)
    raise TypeError(f"_horner takes 1 to 20 coefficients, got {head + body}")


class _Constants:
    """Per-precision constants for the exp family (range reduction x = n ln2 + r, |r| <= ln2/2)."""

    def __init__(self, kind):
        f = self.f = kind
        single = kind is np.float32
        self.int = np.int32 if single else np.int64
        self.mantissa_bits = 23 if single else 52
        self.bias = 127 if single else 1023
        self.log2e = f(1 / math.log(2))
        # Adding 1.5 * 2^mantissa_bits rounds to an integer, which then sits in the low bits.
        self.round_magic = f(1.5 * 2.0 ** self.mantissa_bits)
        self.round_magic_bits = int(np.array(self.round_magic).view(self.int))
        # Cody-Waite split of ln 2: n * ln2_hi is exact for the n we meet.
        self.ln2_hi = f(0.693359375) if single else f(6.93147180369123816490e-01)
        self.ln2_lo = f(-2.12194440e-4) if single else f(1.90821492927058770002e-10)
        # Beyond these, e^x is inf or 0 anyway; clamping keeps the exponent tricks in range.
        self.exp_high = f(89.0) if single else f(710.0)
        self.exp_low = f(-105.0) if single else f(-746.0)
        # Below these, e^x - 1 rounds to -1.
        self.expm1_low = f(-30.0) if single else f(-40.0)
        # Taylor coefficients 1/k!, highest power first: degree 7 (float32) or 13 (float64)
        # leaves a truncation error < 0.1 ulp for |r| <= ln2/2.
        degree = 7 if single else 13
        self.exp_poly = _polynomial(f(1 / math.factorial(k)) for k in range(degree, -1, -1))
        # expm1(r) = r + r^2 * q(r): q's coefficients 1/k! for k = degree+1 .. 2.
        self.expm1_poly = _polynomial(f(1 / math.factorial(k)) for k in range(degree + 1, 1, -1))
        # tanh(x) rounds to +-1 beyond this.
        self.tanh_high = f(10.0) if single else f(20.0)
        # log1p(e) = 2u (1 + w/3 + w^2/5 + ...), u = e / (2 + e) <= 1/3, w = u^2.
        terms = 8 if single else 18
        self.atanh_poly = _polynomial(f(1 / (2 * k + 1)) for k in range(terms - 1, -1, -1))


_CONSTANTS = {np.float32: _Constants(np.float32), np.float64: _Constants(np.float64)}


@overload(exp, jit_options=FUSED)
def _exp_impl(x):
    kind = _float_kind(x)
    return None if kind is None else _exp_with(_CONSTANTS[kind])


def _exp_with(c):
    """The exp implementation for one set of constants."""
    f, to_int = c.f, c.int
    high, low, log2e, magic, magic_bits = c.exp_high, c.exp_low, c.log2e, c.round_magic, c.round_magic_bits
    ln2_hi, ln2_lo, poly, bias, shift = c.ln2_hi, c.ln2_lo, c.exp_poly, c.bias, c.mantissa_bits

    def impl(x):
        # Written so that NaN passes every comparison as False and so flows through.
        x = high if x > high else x
        x = low if x < low else x
        t = x * log2e + magic
        n = to_int(f(t).view(to_int) - magic_bits)
        n_float = t - magic
        r = x - n_float * ln2_hi - n_float * ln2_lo
        p = _horner(poly, r)
        # 2^n as two factors so that results in the subnormal range come out right.
        half = n >> 1
        scale_a = to_int((half + bias) << shift).view(f)
        scale_b = to_int((n - half + bias) << shift).view(f)
        return p * scale_a * scale_b

    return impl


@overload(expm1, jit_options=FUSED)
def _expm1_impl(x):
    kind = _float_kind(x)
    if kind is None:
        return None
    c = _CONSTANTS[kind]
    f, to_int = c.f, c.int
    high, low, log2e, magic, magic_bits = c.exp_high, c.expm1_low, c.log2e, c.round_magic, c.round_magic_bits
    ln2_hi, ln2_lo, poly, bias, shift = c.ln2_hi, c.ln2_lo, c.expm1_poly, c.bias, c.mantissa_bits

    def impl(x):
        x = high if x > high else x
        x = low if x < low else x
        t = x * log2e + magic
        n = to_int(f(t).view(to_int) - magic_bits)
        n_float = t - magic
        r = x - n_float * ln2_hi - n_float * ln2_lo
        m = r + r * r * _horner(poly, r)  # expm1(r), no cancellation
        # e^x - 1 = 2^n (m + 1) - 1 = a (b m + (b - 1/a)) with 2^n = a b; exact m when n == 0,
        # and no intermediate overflow near the top of the range.
        half = n >> 1
        a = to_int((half + bias) << shift).view(f)
        inverse_a = to_int((bias - half) << shift).view(f)
        b = to_int((n - half + bias) << shift).view(f)
        # (expm1(-0.0) comes out as +0.0: restoring the sign, by a select or copysign, stops
        # LLVM from vectorizing the float64 loops that use this.)
        return a * (b * m + (b - inverse_a))

    return impl


@overload(tanh, jit_options=FUSED)
def _tanh_impl(x):
    kind = _float_kind(x)
    if kind is None:
        return None
    high, two = _CONSTANTS[kind].tanh_high, kind(2)

    def impl(x):
        a = abs(x)
        a = high if a > high else a
        t = expm1(a + a)
        return math.copysign(t / (t + two), x)

    return impl


@overload(sigmoid, jit_options=FUSED)
def _sigmoid_impl(x):
    kind = _float_kind(x)
    if kind is None:
        return None
    one, zero = kind(1), kind(0)

    def impl(x):
        e = exp(-abs(x))
        # x >= 0: 1 / (1 + e^-x);  x < 0: e^x / (1 + e^x).  One division either way.
        numerator = one if x >= zero else e
        return numerator / (one + e)

    return impl


@overload(softplus, inline="always")  # fused where the calling kernel is (FUSED)
def _softplus_impl(z):
    kind = _float_kind(z)
    if kind is None:
        return None
    zero, two, poly = kind(0), kind(2), _CONSTANTS[kind].atanh_poly

    def impl(z):
        e = exp(-abs(z))  # in (0, 1]
        u = e / (two + e)
        log1p_e = two * u * _horner(poly, u * u)
        return (z if z > zero else zero) + log1p_e

    return impl


# erfc(z) = t * Q(A t + B) * exp(-z^2) with t = 2 / (2 + z), for 0 <= z <= 10.25;
# coefficients from `fit_erfc.py` (relative error 3.7e-9), highest power first.
_ERFC_POLY = _polynomial(np.float32(c) for c in (
    5.950912345798157e-06, 6.662614304900103e-06, -6.972169327697995e-05, 7.129547077926882e-06,
    0.0006118576620711377, -0.0006473633458560478, -0.006242642957776369, 0.006137750407994158,
    0.10279020122607672, 0.32671802554597756, 0.5706821536656237,
))
_ERFC_HALF_B = np.float32(-1.3902439024390243 / 2)  # s = A t + B with A = 2.3902439024390243
_CDF_X_MAX = np.float32(14.5)  # = 10.25 sqrt(2): beyond it x Phi(x) rounds to 0 or x in float32
_INV_SQRT2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_F32 = np.float32


def host_has_fma():
    """Whether this CPU has fused multiply-add instructions (LLVM's view of the host)."""
    import llvmlite.binding as llvm

    return bool(llvm.get_host_cpu_features().get("fma"))


def _fma_intrinsic():
    """A Numba intrinsic ``fma(a, b, c)``: a * b + c rounded once (llvm.fma, one instruction
    where the CPU has FMA); made at compile time (Numba is loaded by then)."""
    from numba.extending import intrinsic

    @intrinsic
    def fused(typingctx, a, b, c):
        def codegen(context, builder, signature, args):
            return builder.fma(*args)
        return a(a, b, c), codegen

    return fused


def _square_low_part():
    """A jitted ``(a, h) -> l`` with h + l = a^2 exactly for h = a * a rounded (float32): one
    fused multiply-add where the CPU has FMA, else Veltkamp's split of a.  A function of its own,
    compiled without fused multiply-adds, so that the split's products are each rounded even
    when the kernel that calls it fuses (made at compile time: Numba is loaded by then)."""
    from numba import njit as numba_njit

    if host_has_fma():
        fma = _fma_intrinsic()
        return numba_njit(lambda a, h: fma(a, a, -h))
    split, two = _F32(4097), _F32(2)

    def veltkamp(a, h):
        p = a * split
        a_high = p - (p - a)
        a_low = a - a_high
        return ((a_high * a_high - h) + two * a_high * a_low) + a_low * a_low

    return numba_njit(veltkamp)


@overload(normal_cdf_pdf, inline="always")
def _normal_cdf_pdf_impl(x):
    from numba import types

    if x == types.float64:
        def impl_double(x):
            # libm's erfc is exact to double precision; there is no float64 polynomial here.
            return 0.5 * math.erfc(-x * _INV_SQRT2), math.exp(-0.5 * x * x) * _INV_SQRT_2PI

        return impl_double
    if x != types.float32:
        return None
    inv_sqrt2, inv_sqrt_2pi = _F32(_INV_SQRT2), _F32(_INV_SQRT_2PI)
    half, one, two = _F32(0.5), _F32(1), _F32(2)
    square_low_part = _square_low_part()

    def impl_single(x):
        # Phi(x) = erfc(-x/sqrt2)/2, and erfc(-z) = 2 - erfc(z): the tail x < 0 keeps its
        # relative accuracy instead of cancelling in 1 + erf(x/sqrt2) (as torch's does).
        a = abs(x)
        a = _CDF_X_MAX if a > _CDF_X_MAX else a
        z = a * inv_sqrt2
        t = two / (two + z)
        # s = A t + B, rewritten as t (1 + z B/2) (A + B = 1): A t + B would cancel to a small s
        # and lose its relative accuracy.
        q = _horner(_ERFC_POLY, t * (one + z * _ERFC_HALF_B))
        # exp(-a^2/2) needs a^2 to more than float32 precision (its rounding error, times a^2/2,
        # would be amplified in the exponent): a^2 = h + l exactly.
        h = a * a
        l = square_low_part(a, h)
        gauss = exp(-half * h) * (one - half * l)
        if abs(x) > _CDF_X_MAX:
            gauss = _F32(0)
        half_erfc = half * t * q * gauss
        # Each factor above carries about 1 ulp, so Phi is within ~5 ulp (tests/kernels). (A Taylor
        # series for |x| < 1, selected per element, gets 3 ulp near 0 but costs 27% more time.)
        cdf = half_erfc if x < 0 else one - half_erfc
        return cdf, gauss * inv_sqrt_2pi

    return impl_single
