"""The vectorizable scalar approximations in kernels/scalar_math.py, against libm in float64.

Stated bounds (ulp of the correctly rounded result), measured on the samples below:
float32: exp 1.2, expm1 1.4, tanh 2.3, sigmoid 2.1, softplus 2.9, normal CDF 4.8 (all x), pdf 3.2;
float64 (against libm, itself within ~1 ulp): exp 1, expm1 2, tanh 3, sigmoid 3, softplus 4.
"""
import math

import numpy as np
import pytest
from numba import njit

from autograd_core.kernels import jit
from autograd_core.kernels import scalar_math as sm
from kernel_testing import assert_ulp

jit.load()  # registers scalar_math's overloads with Numba: the kernels below call its stubs


@njit(error_model="numpy")  # not cached: the cache would not see edits to scalar_math.py
def _exp(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = sm.exp(x[i])
    return out


@njit(error_model="numpy")  # not cached: the cache would not see edits to scalar_math.py
def _expm1(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = sm.expm1(x[i])
    return out


@njit(error_model="numpy")  # not cached: the cache would not see edits to scalar_math.py
def _tanh(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = sm.tanh(x[i])
    return out


@njit(error_model="numpy")  # not cached: the cache would not see edits to scalar_math.py
def _sigmoid(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = sm.sigmoid(x[i])
    return out


@njit(error_model="numpy")  # not cached: the cache would not see edits to scalar_math.py
def _softplus(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = sm.softplus(x[i])
    return out


@njit(error_model="numpy")  # not cached: the cache would not see edits to scalar_math.py
def _normal_cdf_pdf(x):
    cdf, pdf = np.empty_like(x), np.empty_like(x)
    for i in range(x.size):
        cdf[i], pdf[i] = sm.normal_cdf_pdf(x[i])
    return cdf, pdf


def _sigmoid_truth(v):
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


def _softplus_truth(v):
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


def _samples(low, high, dtype, seed=0):
    rng = np.random.default_rng(seed)
    parts = [rng.uniform(low, high, 30000), rng.uniform(-1, 1, 10000), rng.standard_normal(5000) * 1e-3,
             rng.standard_normal(2000) * 1e-20, np.linspace(low, high, 3001)]
    return np.clip(np.concatenate(parts), low, high).astype(dtype)


CASES = [  # name, kernel, truth, range, ulp bound float32, ulp bound float64
    ("exp", _exp, math.exp, (-103.0, 88.7), 1.5, 1.5),
    ("expm1", _expm1, math.expm1, (-40.0, 88.0), 1.5, 2.5),
    ("tanh", _tanh, math.tanh, (-12.0, 12.0), 2.5, 3.5),
    ("sigmoid", _sigmoid, _sigmoid_truth, (-100.0, 100.0), 2.5, 3.5),
    ("softplus", _softplus, _softplus_truth, (-100.0, 100.0), 3.0, 4.5),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kernel, truth, bounds, ulps32, ulps64", CASES, ids=[c[0] for c in CASES])
def test_within_ulp_bound(name, kernel, truth, bounds, ulps32, ulps64, dtype):
    x = _samples(*bounds, dtype)
    expected = np.array([truth(float(v)) for v in x])
    result = kernel(x)
    assert result.dtype == dtype
    assert_ulp(result, expected, ulps32 if dtype == np.float32 else ulps64, dtype, f"{name} {dtype.__name__}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values(dtype):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 1000.0, -1000.0], dtype=dtype)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(_exp(x), np.exp(x))
        np.testing.assert_array_equal(_expm1(x), np.expm1(x))  # (== does not see the sign of zero)
        np.testing.assert_array_equal(_tanh(x), np.tanh(x))
        np.testing.assert_array_equal(_sigmoid(x), [0.5, 0.5, 1, 0, np.nan, 0.5, 0.5, 1, 0])
        np.testing.assert_array_equal(_softplus(x[2:5]), [np.inf, 0, np.nan])
    assert_ulp(_softplus(x[:2]), [math.log(2)] * 2, 1, dtype, "softplus(+-0)")
    # tanh(-0.0) keeps its sign, as in numpy (expm1(-0.0) gives +0.0: see scalar_math.expm1)
    assert np.signbit(_tanh(x[1:2]))[0]


def test_exp_subnormal_results_float32():
    # Results below float32's smallest normal number (1.2e-38) come out as correctly scaled subnormals.
    x = np.linspace(-103.9, -87.4, 2001).astype(np.float32)
    assert_ulp(_exp(x), np.exp(x.astype(np.float64)), 1.5, np.float32, "exp subnormal")


def test_normal_cdf_pdf_float32():
    # Both tails keep relative accuracy: Phi(-13) ~ 6e-39 is not lost to 1 + erf() cancellation.
    x = np.concatenate([np.linspace(-14.5, 6, 20001), np.random.default_rng(1).standard_normal(20000)]).astype(np.float32)
    wide = x.astype(np.float64)
    cdf, pdf = _normal_cdf_pdf(x)
    truth_cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in wide])
    truth_pdf = np.exp(-0.5 * wide * wide) / math.sqrt(2 * math.pi)
    assert_ulp(cdf, truth_cdf, 5.0, np.float32, "normal cdf")
    assert_ulp(pdf, truth_pdf, 3.5, np.float32, "normal pdf")
    big = np.array([-np.inf, -20, 20, np.inf, np.nan], np.float32)
    cdf, pdf = _normal_cdf_pdf(big)
    np.testing.assert_array_equal(cdf, [0, 0, 1, 1, np.nan])
    np.testing.assert_array_equal(pdf[:4], [0, 0, 0, 0])


def test_normal_cdf_pdf_float64_is_libm():
    x = np.linspace(-30, 10, 4001)
    cdf, pdf = _normal_cdf_pdf(x)
    truth = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    # libm's erfc; only the rounding of x / sqrt(2) (about 1 ulp either way) is amplified,
    # by |d log erfc(z) / d log z| ~ 2 z^2 = x^2 in the tail.
    relative = np.abs(cdf - truth) / truth / np.finfo(np.float64).eps
    assert np.all(relative <= 2 * (x * x + 4)), float(np.max(relative / (x * x + 4)))
    np.testing.assert_allclose(pdf, np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi), rtol=1e-15, atol=0)


@pytest.mark.parametrize("fma", [True, False], ids=["fused", "veltkamp"])
def test_the_normal_cdf_square_is_exact_on_either_path(monkeypatch, fma):
    # h + l = a^2 exactly (h = a * a rounded to float32): one fused multiply-add where the CPU has
    # FMA, Veltkamp's split where it has not; both paths are compiled here, whatever this CPU has.
    from autograd_core.kernels import jit, scalar_math

    jit.load()
    if fma and not scalar_math.host_has_fma():
        pytest.skip("this CPU has no FMA instructions")
    monkeypatch.setattr(scalar_math, "host_has_fma", lambda: fma)
    square_low_part = scalar_math._square_low_part()
    a = np.abs(np.random.default_rng(7).standard_normal(2000).astype(np.float32)) * np.float32(5)
    a = np.concatenate([a, np.float32([0, 1e-10, 14.5, 3.0000002])])  # a^2 not subnormal
    for value in a:
        h = value * value
        low = square_low_part(value, h)
        assert float(h) + float(low) == float(value) ** 2  # exact in float64: 48 bits suffice
