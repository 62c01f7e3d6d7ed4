"""Activation kernels (kernels/activations.py) against their numpy twins and float64 truth.

Every kernel runs over the layouts of `kernel_testing.layouts` (0-d, empty, one element, (10,),
(1000, 37), strided, transposed, 3-d views) in float32 and float64.  Kernels doing the same
arithmetic as their twin must match it bit for bit; the others are bounded in ulps against the
exact function evaluated in float64 (bounds measured, see tests/kernels/test_scalar_math.py),
and against the twin within the sum of both errors.
"""
import math

import numpy as np
import pytest

from autograd_core.kernels import activations, reference
from kernel_testing import DTYPES, assert_ulp, layouts

LAYOUTS = layouts()
LAYOUT_IDS = [label for label, _ in LAYOUTS]


def _inputs(make, dtype):
    x = make(dtype)
    g = np.asarray(np.cos(np.asarray(x, dtype=np.float64) * 7.3) + 0.1, dtype=dtype)
    if x.ndim == 2 and not x.flags.c_contiguous:
        g = np.ascontiguousarray(g.T).T if x.flags.f_contiguous else g  # same layout kind as x
    return x, g


def _check_same(result, twin):
    assert result.dtype == twin.dtype and result.shape == twin.shape
    np.testing.assert_array_equal(result, twin)


# -- kernels whose arithmetic is the twin's, operation for operation ---------------------------
EXACT = [
    ("relu_forward", lambda x, g: (x,)),
    ("relu_backward", lambda x, g: (g, reference.relu_forward(x))),
    ("leaky_relu_forward", lambda x, g: (x, 0.01)),
    ("leaky_relu_backward", lambda x, g: (g, x, 0.2)),
    ("sigmoid_backward", lambda x, g: (g, reference.sigmoid_forward(x))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label, make", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("name, arguments", EXACT, ids=[name for name, _ in EXACT])
def test_same_arithmetic_matches_twin_exactly(name, arguments, label, make, dtype):
    x, g = _inputs(make, dtype)
    args = arguments(x, g)
    _check_same(getattr(activations, name)(*args), getattr(reference, name)(*args))


# -- kernels with approximated transcendentals: ulp bounds against float64 truth ------------------
def _sigmoid64(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _phi64(x):
    cdf = np.vectorize(lambda v: 0.5 * math.erfc(-v / math.sqrt(2)), otypes=[np.float64])(x)
    return cdf, np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


_C = math.sqrt(2 / math.pi)


def _gelu_tanh_parts(x):
    """u, gelu(x), d gelu / dx and the size of the derivative's two terms (it cancels near x = -1.5)."""
    u = _C * (x + 0.044715 * x ** 3)
    s = _sigmoid64(2 * u)
    slope = 2 * x * s * (1 - s) * _C * (1 + 3 * 0.044715 * x * x)
    return u, x * s, s + slope, s + np.abs(slope)


def _truth(name, x, g, params, single):
    """(exact value, allowed error in ulps, scale whose ulp is the unit) at float64 x and g.

    The scale is the value itself, except where the result is a difference of larger terms
    (gelu's derivative), where it is the size of those terms.  Bounds are measured maxima,
    rounded up (float32, float64); for gelu they grow where the argument's own rounding is
    amplified: by x^2 in erfc(-x/sqrt2) (float64) and by |2u| in sigmoid(2u) (tanh form)."""
    def bound(for_single, for_double):
        return for_single if single else for_double

    if name == "elu_forward":
        value = np.where(x > 0, x, params[0] * np.expm1(x))
        return value, bound(2.0, 3.0), value
    if name == "elu_backward":
        value = g * np.where(x > 0, 1, params[0] * np.exp(x))
        return value, bound(2.5, 3.0), value
    if name == "sigmoid_forward":
        value = _sigmoid64(x)
        return value, bound(2.5, 3.5), value
    if name == "tanh_forward":
        value = np.tanh(x)
        return value, bound(2.5, 3.5), value
    if name == "softplus_forward":
        beta, threshold = params
        z = x * beta
        value = np.where(z > threshold, x, (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta)
        return value, bound(3.5, 5.0), value
    if name == "softplus_backward":
        beta, threshold = params
        value = g * np.where(x * beta > threshold, 1, _sigmoid64(x * beta))
        return value, bound(3.0, 4.0), value
    if name == "gelu_forward" and params[0] == "tanh":
        u, value, _, _ = _gelu_tanh_parts(x)
        return value, bound(6, 10) * (1 + np.abs(u)), value
    if name == "gelu_backward" and params[0] == "tanh":
        u, _, derivative, size = _gelu_tanh_parts(x)
        return g * derivative, bound(6, 10) * (1 + np.abs(u)), np.abs(g) * size
    cdf, pdf = _phi64(x)
    if name == "gelu_forward":
        value = x * cdf
        return value, bound(np.where(x >= -12.5, 7.5, 10.0), 2.5 * (1 + x * x)), value
    if name == "gelu_backward":
        return g * (cdf + x * pdf), bound(13.0, 2.5 * (1 + x * x)), np.abs(g) * (cdf + np.abs(x) * pdf)
    raise KeyError(name)


APPROXIMATE = [
    ("elu_forward", (1.3,)), ("elu_backward", (1.3,)),
    ("sigmoid_forward", ()), ("tanh_forward", ()),
    ("softplus_forward", (1.0, 20.0)), ("softplus_forward", (2.0, 5.0)),
    ("softplus_backward", (1.0, 20.0)), ("softplus_backward", (2.0, 5.0)),
    ("gelu_forward", ("none",)), ("gelu_forward", ("tanh",)),
    ("gelu_backward", ("none",)), ("gelu_backward", ("tanh",)),
]
APPROXIMATE_IDS = [f"{name}{list(params)}" for name, params in APPROXIMATE]


def _call(module, name, x, g, params):
    function = getattr(module, name)
    return function(x, *params) if name.endswith("forward") else function(g, x, *params)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label, make", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("name, params", APPROXIMATE, ids=APPROXIMATE_IDS)
def test_approximations_within_ulps_of_truth(name, params, label, make, dtype):
    x, g = _inputs(make, dtype)
    result = _call(activations, name, x, g, params)
    twin = _call(reference, name, x, g, params)
    assert result.dtype == twin.dtype == dtype and result.shape == twin.shape == x.shape
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    # numeric parameters act at the input's precision (as in torch): alpha = 1.3 is 1.29999995 in float32
    rounded = tuple(float(dtype(p)) if isinstance(p, float) else p for p in params)
    truth, ulps, scale = _truth(name, x64, g64, rounded, dtype == np.float32)
    unit = np.spacing(np.maximum(np.abs(scale), np.finfo(dtype).tiny).astype(dtype)).astype(np.float64)
    error = np.where(result == truth, 0, np.abs(result - truth)) / unit
    assert np.all(error <= ulps), f"{name}{params}: {np.max(error / ulps):.3g} x the bound"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, params", APPROXIMATE, ids=APPROXIMATE_IDS)
def test_approximations_match_twin_to_float_tolerance(name, params, dtype):
    x, g = _inputs(LAYOUTS[5][1], dtype)  # (1000, 37), values up to ~15
    result = _call(activations, name, x, g, params)
    twin = _call(reference, name, x, g, params)
    eps = float(np.finfo(dtype).eps)
    # Both sides are within a few ulp of the truth; the twin's gelu computes 0.5 x (1 + erf/tanh),
    # which cancels for negative x (absolute error ~eps |x|), as torch does.
    atol = 4 * eps * np.maximum(np.abs(x), 1) * np.abs(g) if name.startswith("gelu") else 0
    np.testing.assert_allclose(result, twin, rtol=8 * eps, atol=np.max(atol, initial=0) * (1 if name.startswith("gelu") else 0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label, make", LAYOUTS, ids=LAYOUT_IDS)
def test_tanh_backward_within_ulps_of_truth(label, make, dtype):
    # computed as g (1 - y)(1 + y): accurate even where y is near +-1 (the twin's 1 - y*y is not)
    x, g = _inputs(make, dtype)
    y = reference.tanh_forward(x)
    result = activations.tanh_backward(g, y)
    assert result.dtype == dtype and result.shape == x.shape
    # truth: 1 - y and 1 + y are exact in long double (80-bit on x86), so is most of the product
    wide = y.astype(np.longdouble)
    truth = (g.astype(np.longdouble) * ((1 - wide) * (1 + wide))).astype(np.float64)
    assert_ulp(result, truth, 2.0, dtype, "tanh_backward")


# -- special values -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values_as_torch(dtype):
    x = np.array([-0.0, np.nan, -np.inf, np.inf, 0.0], dtype=dtype)
    with np.errstate(all="ignore"):
        relu = activations.relu_forward(x)
        np.testing.assert_array_equal(relu, [0, np.nan, 0, np.inf, 0])
        assert np.signbit(relu[0])  # -0.0 stays -0.0, as torch.relu and torch.nn.functional.elu
        assert np.signbit(activations.elu_forward(x[:1], 1.0)[0])
        np.testing.assert_array_equal(activations.leaky_relu_forward(x, 0.1), [0, np.nan, -np.inf, np.inf, 0])
        np.testing.assert_array_equal(activations.elu_forward(x, 1.0), [0, np.nan, -1, np.inf, 0])
        np.testing.assert_array_equal(activations.sigmoid_forward(x), [0.5, np.nan, 0, 1, 0.5])
        np.testing.assert_array_equal(activations.tanh_forward(x), [0, np.nan, -1, 1, 0])
        np.testing.assert_array_equal(activations.softplus_forward(x[1:4], 1.0, 20.0), [np.nan, 0, np.inf])
        np.testing.assert_array_equal(activations.gelu_forward(x[[0, 1, 3, 4]]), [0, np.nan, np.inf, 0])
        # NaN inputs give NaN gradients (no select that drops them), as the twins (leaky_relu gives
        # g * slope there, as torch)
        g = np.ones(5, dtype)
        for name, params in (("elu", (1.0,)), ("softplus", (1.0, 20.0)), ("gelu", ("none",)),
                             ("gelu", ("tanh",))):
            assert np.isnan(getattr(activations, name + "_backward")(g, x, *params)[1]), name


@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_keeps_relative_accuracy_in_the_negative_tail(dtype):
    # x Phi(x) for x = -8: -4.9e-15; the twin's 0.5 x (1 + erf) loses it entirely in float32.
    x = np.array([-5.0, -8.0, -10.0], dtype=dtype)
    truth = x.astype(np.float64) * _phi64(x.astype(np.float64))[0]
    assert_ulp(activations.gelu_forward(x), truth, 5, dtype, "gelu tail")


# -- dispatch: anything the kernels do not take goes to the numpy twin --------------------------
def test_other_dtypes_and_mismatched_operands_use_the_twin():
    integers = np.arange(-3, 4)
    _check_same(activations.relu_forward(integers), reference.relu_forward(integers))
    half = np.linspace(-2, 2, 7).astype(np.float16)
    _check_same(activations.sigmoid_forward(half), reference.sigmoid_forward(half))
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    broadcast_g = np.broadcast_to(np.float32(2), x.shape)  # read-only, zero strides
    _check_same(activations.relu_backward(broadcast_g, x), reference.relu_backward(broadcast_g, x))
    row_g = np.ones(4, np.float32)  # a different shape: numpy broadcasting decides
    _check_same(activations.tanh_backward(row_g, x), reference.tanh_backward(row_g, x))
    g64 = np.ones((3, 4))
    _check_same(activations.sigmoid_backward(g64, x), reference.sigmoid_backward(g64, x))


def test_transposed_input_gives_transposed_layout_without_copy_semantics_change():
    x = np.random.default_rng(3).standard_normal((5, 7)).astype(np.float32)
    y = activations.elu_forward(x.T, 1.0)
    assert y.shape == (7, 5) and y.flags.f_contiguous
    np.testing.assert_array_equal(y, activations.elu_forward(np.ascontiguousarray(x.T), 1.0))


def test_read_only_input():
    x = np.linspace(-3, 3, 10, dtype=np.float32)
    x.flags.writeable = False
    _check_same(activations.relu_forward(x), reference.relu_forward(x))


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        activations.gelu_forward(np.zeros(3, np.float32), "fast")


# -- the upstream gradient in the layouts the engine hands over ---------------------------------
BACKWARDS = [
    ("relu_backward", ()), ("leaky_relu_backward", (0.2,)), ("elu_backward", (1.3,)),
    ("sigmoid_backward", ()), ("tanh_backward", ()), ("gelu_backward", ("none",)),
    ("gelu_backward", ("tanh",)), ("softplus_backward", (1.5, 20.0)),
]


def _gradient_layouts(shape, dtype):
    """Upstream gradients of `shape`: the gradient of sum() (a broadcast of one number), of a
    sum over dim 0 (a broadcast row), transposed, sliced, and reversed memory."""
    rng = np.random.default_rng(3)
    rows, cols = shape
    wide = rng.standard_normal((2 * cols, 2 * rows)).astype(dtype)
    return [
        ("one-number", np.broadcast_to(np.asarray(0.75, dtype=dtype), shape)),
        ("row", np.broadcast_to(rng.standard_normal(cols).astype(dtype), shape)),
        ("transposed", np.ascontiguousarray(wide[:cols, :rows]).T),
        ("sliced", wide.T[::2, ::2][:rows, :cols]),
        ("reversed", np.ascontiguousarray(wide[:rows, :cols])[::-1, ::-1]),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("name, params", BACKWARDS, ids=[f"{n}{p}" for n, p in BACKWARDS])
def test_backward_kernels_take_any_gradient_layout(name, params, x_layout, dtype):
    """Bit for bit what the same kernel gives on a contiguous copy of the gradient (a broadcast of one
    number is passed as that number: the arithmetic is unchanged), and the twin's where its arithmetic is."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((37, 50)) * 3).astype(dtype)
    x = np.ascontiguousarray(x.T).T if x_layout == "transposed" else x
    saved = activations.sigmoid_forward(x) if name == "sigmoid_backward" else (
        reference.tanh_forward(x) if name == "tanh_backward" else (
            reference.relu_forward(x) if name == "relu_backward" else x))
    kernel, twin = getattr(activations, name), getattr(reference, name)
    for label, g in _gradient_layouts(x.shape, dtype):
        result = kernel(g, saved, *params)
        expected = kernel(np.ascontiguousarray(g), saved, *params)
        assert result.shape == x.shape and result.dtype == x.dtype, label
        np.testing.assert_array_equal(result, expected, err_msg=label)
        if name in ("relu_backward", "leaky_relu_backward", "sigmoid_backward"):  # the twin's arithmetic
            np.testing.assert_array_equal(result, twin(np.ascontiguousarray(g), saved, *params), err_msg=label)
        # (the others' accuracy on contiguous operands is bounded above, against truth and the twin)


def test_gradient_of_sum_is_read_as_one_number(monkeypatch):
    """The broadcast gradient of sum() reaches the Numba kernel as a scalar, not as memory."""
    seen = []
    kernel = activations._relu_backward

    def spy(out, g, y):
        seen.append(np.ndim(g))
        return kernel(out, g, y)

    monkeypatch.setattr(activations, "_relu_backward", spy)
    y = np.abs(np.random.default_rng(0).standard_normal((300, 40))).astype(np.float32)
    g = np.broadcast_to(np.float32(2.0), y.shape)
    np.testing.assert_array_equal(activations.relu_backward(g, y), np.where(y > 0, 2.0, 0.0).astype(np.float32))
    assert seen == [0]
