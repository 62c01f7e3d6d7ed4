"""Pooling: finite-difference gradients, second order, unbatched inputs, int inputs and errors."""
import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from helpers import check_gradients, random_array


def distinct(shape, seed=0):
    """Values with no ties (so a finite difference never moves the maximum)."""
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape)
    return values * 0.1 - 1.0


@pytest.mark.parametrize("function, shape, args, kwargs", [
    (ag.max_pool1d, (2, 3, 10), (2,), {}),
    (ag.max_pool1d, (2, 2, 10), (3, 2, 1), {"ceil_mode": True}),
    (ag.max_pool1d, (3, 11), (2, 1, 1), {"dilation": 2}),
    (ag.max_pool2d, (2, 2, 5, 6), (2,), {}),
    (ag.max_pool2d, (1, 2, 5, 6), ((3, 2), 1, (1, 0)), {}),
    (ag.avg_pool1d, (2, 2, 9), (3, 2, 1), {"count_include_pad": False, "ceil_mode": True}),
    (ag.avg_pool1d, (2, 9), (2,), {}),
    (F.avg_pool2d, (1, 2, 5, 6), (3, 2, 1), {"count_include_pad": False}),
    (F.avg_pool2d, (2, 5, 6), (2,), {"ceil_mode": True}),
    (ag.adaptive_avg_pool1d, (2, 2, 9), (4,), {}),
    (F.adaptive_avg_pool2d, (1, 2, 5, 7), ((2, 3),), {}),
])
def test_pool_gradients_finite_differences(function, shape, args, kwargs):
    check_gradients(lambda x: function(x, *args, **kwargs), distinct(shape))


@pytest.mark.parametrize("function, shape, args, kwargs", [
    (ag.max_pool1d, (2, 2, 8), (3, 2, 1), {}),   # overlapping windows
    (ag.max_pool2d, (1, 2, 4, 5), (2,), {"ceil_mode": True}),
    (ag.avg_pool1d, (2, 2, 8), (3, 2, 1), {"count_include_pad": False}),
    (F.avg_pool2d, (1, 2, 5, 5), (2, 1), {}),
    (ag.adaptive_avg_pool1d, (2, 2, 7), (3,), {}),
    (F.adaptive_avg_pool2d, (1, 1, 5, 4), ((2, 3),), {}),
])
def test_pool_second_order(function, shape, args, kwargs):
    x = ag.tensor(distinct(shape), requires_grad=True)
    # squared before and after: the second derivative runs through the pooling's own backward
    assert ag.gradgradcheck(lambda x: function(x * x, *args, **kwargs) ** 2, (x,))


def test_max_pool_second_derivative_follows_the_selection():
    x = ag.tensor(np.array([[[1.0, 3.0, 2.0, 5.0]]]), requires_grad=True)
    (g,) = ag.grad((ag.max_pool1d(x, 2) ** 2).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [[[0, 6, 0, 10]]])
    (h,) = ag.grad(g.sum(), [x])
    np.testing.assert_allclose(h.numpy(), [[[0, 2, 0, 2]]])


def test_max_pool_of_integers_and_infinities():
    x = ag.tensor(np.array([[[3, 1, -7, 2, 9]]]))
    assert ag.max_pool1d(x, 2, 2, 1).tolist() == [[[3, 1, 9]]]
    y = ag.tensor(np.array([[[-np.inf, -np.inf, 1.0, np.nan]]]))
    assert ag.max_pool1d(y, 2).detach().numpy()[0, 0, 0] == -np.inf
    assert np.isnan(ag.max_pool1d(y, 2).detach().numpy()[0, 0, 1])


def test_float32_stays_float32():
    x = ag.tensor(random_array((2, 3, 8)).astype(np.float32), requires_grad=True)
    for out in (ag.max_pool1d(x, 2), ag.avg_pool1d(x, 3, 1, 1, count_include_pad=False),
                ag.adaptive_avg_pool1d(x, 3), F.avg_pool2d(x, 2), F.adaptive_avg_pool2d(x, 2)):
        assert out.dtype == np.float32
        out.sum().backward()
        assert x.grad.dtype == np.float32


def test_errors_name_the_op_and_the_shapes():
    x = ag.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="max_pool1d: pad should be at most half"):
        ag.max_pool1d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match=r"max_pool1d: given input size \(3, 4\).*too small"):
        ag.max_pool1d(x, 5)
    with pytest.raises(RuntimeError, match="max_pool2d: expected a 3-D .* or 4-D"):
        ag.max_pool2d(ag.randn(4), 2)
    with pytest.raises(RuntimeError, match="avg_pool1d: expected a floating point"):
        ag.avg_pool1d(ag.ones(1, 1, 4, dtype=ag.int64), 2)
    with pytest.raises(RuntimeError, match="avg_pool2d: pad should be at most half"):
        F.avg_pool2d(ag.randn(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="avg_pool2d: given input size"):
        F.avg_pool2d(ag.randn(1, 1, 4, 4), 5)
    with pytest.raises(RuntimeError, match="adaptive_avg_pool1d: output_size must be positive"):
        ag.adaptive_avg_pool1d(x, 0)
    with pytest.raises(RuntimeError, match="kernel_size must be greater than zero"):
        ag.max_pool1d(x, 0)


def test_not_methods():
    x = ag.randn(1, 2, 4)
    for name in ("max_pool1d", "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d"):
        assert hasattr(ag, name) and not hasattr(x, name)
    assert not hasattr(ag, "avg_pool2d") and not hasattr(ag, "adaptive_avg_pool2d")  # as torch
