"""Pooling against torch.nn.functional: values, indices and gradients (skipped without torch)."""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402
import nn.functional as F  # noqa: E402

TF = torch.nn.functional

MAX_CASES = [
    ("max_pool1d", (2, 3, 10), (2,), {}),
    ("max_pool1d", (2, 3, 10), (3, 2, 1), {}),
    ("max_pool1d", (2, 3, 10), (3, 2, 1), {"ceil_mode": True}),
    ("max_pool1d", (3, 11), (2, 1, 1), {"dilation": 2}),
    ("max_pool1d", (1, 2, 9), (4, 3, 2), {"ceil_mode": True}),
    ("max_pool2d", (2, 3, 7, 8), (2,), {}),
    ("max_pool2d", (2, 3, 7, 8), ((3, 2), (2, 1), (1, 1)), {"dilation": (1, 2), "ceil_mode": True}),
    ("max_pool2d", (3, 7, 8), (3, 2, 1), {}),
    ("max_pool2d", (1, 1, 8, 8), (3, 1), {}),  # overlapping windows: gradients add up
]


def _compare(ours_fn, torch_fn, x, args, kwargs, dtype=np.float64, rtol=1e-12):
    x = x.astype(dtype)
    xa, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours_fn(xa, *args, **kwargs), torch_fn(xt, *args, **kwargs)
    if isinstance(out, tuple):
        assert out[1].dtype == np.int64
        np.testing.assert_array_equal(out[1].numpy(), expected[1].numpy())
        out, expected = out[0], expected[0]
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=rtol)
    g = np.random.default_rng(5).standard_normal(out.shape).astype(dtype)
    (out * ag.tensor(g)).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-6)])
@pytest.mark.parametrize("name, shape, args, kwargs", MAX_CASES)
def test_max_pool_matches_torch(name, shape, args, kwargs, dtype, rtol):
    x = np.random.default_rng(0).standard_normal(shape)
    for ours_fn in (getattr(ag, name), getattr(F, name)):
        _compare(ours_fn, getattr(TF, name), x, args, kwargs, dtype, rtol)
        _compare(ours_fn, getattr(TF, name), x, args, dict(kwargs, return_indices=True), dtype, rtol)


def test_max_pool_ties_pick_the_first_maximum_as_torch():
    x = np.array([[[1.0, 3.0, 3.0, 0.0, 2.0, 2.0, 2.0, -1.0]]])
    _compare(ag.max_pool1d, TF.max_pool1d, x, (3, 1), {"return_indices": True})
    _compare(ag.max_pool2d, TF.max_pool2d, np.ones((1, 2, 4, 4)), (2,), {"return_indices": True})


AVG_1D = [((2, 3, 10), (3, 2, 1)), ((3, 11), (4, 3, 2)), ((2, 3, 10), (2,)), ((1, 1, 5), (5,)), ((2, 2, 9), (3, 1, 1))]


@pytest.mark.parametrize("ceil_mode, count_include_pad", itertools.product([False, True], [False, True]))
@pytest.mark.parametrize("shape, args", AVG_1D)
def test_avg_pool1d_matches_torch(shape, args, ceil_mode, count_include_pad):
    x = np.random.default_rng(1).standard_normal(shape)
    kwargs = {"ceil_mode": ceil_mode, "count_include_pad": count_include_pad}
    for ours_fn in (ag.avg_pool1d, F.avg_pool1d):
        _compare(ours_fn, TF.avg_pool1d, x, args, kwargs)
    _compare(ag.avg_pool1d, TF.avg_pool1d, x, args, kwargs, np.float32, 1e-6)


AVG_2D = [((2, 3, 7, 8), (2,)), ((2, 3, 7, 8), ((3, 2), (2, 1), (1, 1))), ((3, 7, 8), (3, 2, 1)), ((1, 2, 8, 8), (4,)),
          ((1, 1, 9, 7), (3, (2, 3), 1))]


@pytest.mark.parametrize("ceil_mode, count_include_pad", itertools.product([False, True], [False, True]))
@pytest.mark.parametrize("shape, args", AVG_2D)
def test_avg_pool2d_matches_torch(shape, args, ceil_mode, count_include_pad):
    x = np.random.default_rng(2).standard_normal(shape)
    kwargs = {"ceil_mode": ceil_mode, "count_include_pad": count_include_pad}
    _compare(F.avg_pool2d, TF.avg_pool2d, x, args, kwargs)
    _compare(F.avg_pool2d, TF.avg_pool2d, x, args, dict(kwargs, divisor_override=3))
    _compare(F.avg_pool2d, TF.avg_pool2d, x, args, kwargs, np.float32, 1e-6)


@pytest.mark.parametrize("length, size", [(10, 1), (10, 3), (10, 4), (10, 7), (10, 10), (10, 13), (5, 2)])
def test_adaptive_avg_pool1d_matches_torch(length, size):
    x = np.random.default_rng(3).standard_normal((2, 3, length))
    for ours_fn in (ag.adaptive_avg_pool1d, F.adaptive_avg_pool1d):
        _compare(ours_fn, TF.adaptive_avg_pool1d, x, (size,), {})
        _compare(ours_fn, TF.adaptive_avg_pool1d, x[0], (size,), {})
    _compare(ag.adaptive_avg_pool1d, TF.adaptive_avg_pool1d, x, (size,), {}, np.float32, 1e-6)


@pytest.mark.parametrize("shape, size", [((2, 3, 7, 8), 1), ((2, 3, 7, 8), (3, 5)), ((3, 7, 8), (None, 3)),
                                         ((1, 2, 6, 6), (6, None)), ((1, 1, 5, 9), (2, 4)), ((1, 1, 4, 4), 4)])
def test_adaptive_avg_pool2d_matches_torch(shape, size):
    x = np.random.default_rng(4).standard_normal(shape)
    _compare(F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, x, (size,), {})
    _compare(F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, x, (size,), {}, np.float32, 1e-6)
