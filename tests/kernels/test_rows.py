"""Softmax family kernels (kernels/rows.py) against the numpy twins, over axes, layouts and extremes.

Values are compared with float64 truth (sums by math.fsum: numpy's own float64 sums along a
strided axis are sequential and off by tens of ulp): softmax within 8 ulp in float64 and
(3 + |x - max|) ulp in float32 (the rounding of x - max is amplified by exp; the truth's is
exact), log_softmax and logsumexp within 8 eps * max(1, |value|) absolutely (they are
differences of terms of that size).
"""
import itertools
import math

import numpy as np
import pytest

from autograd_core.kernels import reference, rows
from kernel_testing import DTYPES, assert_ulp

SHAPES = [(1,), (10,), (1000, 37), (3, 4, 5), (2, 1, 3, 1)]


def _arrays(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    yield "contiguous", x
    if x.ndim >= 2:
        yield "transposed", x.T
        wide = (rng.standard_normal(tuple(2 * s for s in shape)) * 4).astype(dtype)
        yield "strided", wide[(slice(None, None, 2),) * x.ndim]


def _exact_sums(e, axis):
    """Sums of e along `axis`, correctly rounded (math.fsum), keeping the axis."""
    return np.expand_dims(np.apply_along_axis(math.fsum, axis, e), axis)


def _softmax_truth(x, axis):
    x = x.astype(np.float64)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / _exact_sums(e, axis), shifted - np.log(_exact_sums(e, axis))


def _close(result, truth, dtype, what):
    eps = float(np.finfo(dtype).eps)
    with np.errstate(invalid="ignore"):
        error = np.abs(result.astype(np.float64) - truth) / np.maximum(1, np.abs(truth))
    error = np.where(result == truth, 0, error)  # equal infinities
    assert np.all(error <= 8 * eps), f"{what}: {np.max(error) / eps:.3g} eps"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_softmax_and_log_softmax_every_axis(shape, dtype):
    for layout, x in _arrays(shape, dtype):
        for axis in range(-x.ndim, x.ndim):
            what = f"{layout} {x.shape} axis {axis}"
            soft = rows.softmax_forward(x, axis)
            assert soft.dtype == dtype and soft.shape == x.shape
            # e^(x - max) with x - max rounded to the input precision: that rounding (half an ulp
            # of |x - max|, absolute) becomes a relative error of the result, as in any
            # implementation, so the bound grows with |x - max|.
            truth, log_truth = _softmax_truth(x, axis)
            # In float32 the truth's x - max is exact, ours rounded: bound grows with |x - max|.
            shift = np.abs(x - np.max(x, axis=axis, keepdims=True)).astype(np.float64)
            bound = 3 + shift if dtype == np.float32 else 8  # exp 1, sum 2, division 0.5: x2 across a binade
            assert_ulp(soft, truth, bound, dtype, "softmax " + what)
            log_soft = rows.log_softmax_forward(x, axis)
            assert log_soft.dtype == dtype and log_soft.shape == x.shape
            _close(log_soft, log_truth, dtype, "log_softmax " + what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES + [(2, 3, 0, 2)], ids=str)
def test_logsumexp_every_set_of_axes(shape, dtype):
    for layout, x in _arrays(shape, dtype):
        for count in range(x.ndim + 1):
            for axes in itertools.combinations(range(x.ndim), count):  # adjacent or not (numpy then)
                for keepdims in (False, True):
                    result = rows.logsumexp_forward(x, axes, keepdims)
                    truth = reference.logsumexp_forward(x.astype(np.float64), axes, keepdims)
                    assert result.dtype == dtype and result.shape == truth.shape
                    _close(result, truth, dtype, f"logsumexp {layout} {x.shape} axes {axes} keepdims {keepdims}")
    x = next(_arrays(shape, dtype))[1]
    np.testing.assert_array_equal(rows.logsumexp_forward(x, None, False),
                                  rows.logsumexp_forward(x, tuple(range(x.ndim)), False))


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits_and_infinities_follow_the_twin(dtype):
    x = np.array([[1e4, -1e4, 0, 5e3], [np.inf, 0, 1, 2], [-np.inf] * 4, [np.nan, 1, 2, 3],
                  [-np.inf, 0, -np.inf, 1], [-1e4, -1e4, -1e4, -1e4]], dtype=dtype)
    with np.errstate(invalid="ignore", over="ignore"):  # the twin's exp(inf - 0)
        for axis in (1, 0):  # same NaN/inf pattern as the twin (in float64), values within 3 ulp
            truth = x.astype(np.float64)
            assert_ulp(rows.softmax_forward(x, axis), reference.softmax_forward(truth, axis), 3, dtype, "softmax")
            assert_ulp(rows.log_softmax_forward(x, axis), reference.log_softmax_forward(truth, axis), 3, dtype,
                       "log_softmax")
            assert_ulp(rows.logsumexp_forward(x, (axis,), False), reference.logsumexp_forward(truth, (axis,), False),
                       3, dtype, "logsumexp")
    np.testing.assert_array_equal(rows.log_softmax_forward(x[:1], 1), [[0, -2e4, -1e4, -5e3]])
    # logsumexp does not subtract an infinite maximum: all -inf -> -inf, any +inf -> +inf
    np.testing.assert_array_equal(rows.logsumexp_forward(x[1:3], (1,), False), [np.inf, -np.inf])


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_reductions(dtype):
    empty_rows = np.zeros((4, 0), dtype)
    assert rows.softmax_forward(empty_rows, 1).shape == (4, 0)
    assert rows.log_softmax_forward(empty_rows, 1).shape == (4, 0)
    np.testing.assert_array_equal(rows.logsumexp_forward(empty_rows, (1,), False), [-np.inf] * 4)
    no_rows = np.zeros((0, 5), dtype)
    assert rows.softmax_forward(no_rows, 1).shape == (0, 5)
    assert rows.logsumexp_forward(no_rows, (1,), True).shape == (0, 1)
    np.testing.assert_array_equal(rows.logsumexp_forward(np.zeros((3, 0, 2), dtype), (1,), False), np.full((3, 2), -np.inf))


def test_other_dtypes_and_0d_use_the_twin():
    half = np.linspace(-2, 2, 6).astype(np.float16).reshape(2, 3)
    np.testing.assert_array_equal(rows.softmax_forward(half, 1), reference.softmax_forward(half, 1))
    scalar = np.array(3.0, np.float32)
    np.testing.assert_array_equal(rows.logsumexp_forward(scalar, (), False), reference.logsumexp_forward(scalar, (), False))


def test_softmax_rows_sum_to_one():
    x = (np.random.default_rng(5).standard_normal((64, 1000)) * 10).astype(np.float32)
    np.testing.assert_allclose(rows.softmax_forward(x, 1).sum(axis=1, dtype=np.float64), 1, rtol=2e-6)
