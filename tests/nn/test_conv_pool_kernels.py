"""The Numba loops of autograd_core/kernels/convolution.py against their numpy twins.

im2col / col2im (ops/conv.py's `im2col_numpy`, `col2im_numpy`) and max pooling
(ops/pool.py's `max_pool_numpy`) on 1-D and 2-D problems with stride, padding, dilation,
groups, ceil_mode, non-contiguous inputs, NaN and -inf, float32 and float64 (and ints for
max pooling).  The layers' own value, gradient and torch tests run whichever path the
size picks; these hold the two paths to each other directly.
"""
import numpy as np
import pytest

from autograd_core.kernels import convolution, jit
from autograd_core.ops import conv, pool

CONV_CASES = [  # input shape, weight shape, stride, padding, dilation, groups
    ((2, 3, 9), (4, 3, 3), 2, 1, 1, 1),
    ((2, 3, 9), (4, 3, 2), 1, "same", 2, 1),
    ((1, 1, 40), (25, 1, 5), 2, 1, 1, 1),  # the MNIST-1D paper's first layer
    ((3, 4, 7, 6), (6, 2, 3, 2), (2, 1), (1, 0), (1, 2), 2),
    ((1, 1, 5, 5), (2, 1, 5, 5), 1, 0, 1, 1),
    ((2, 2, 6, 7), (2, 2, 3, 3), 3, 2, 1, 1),
    ((4, 16, 4, 4), (32, 16, 3, 3), 1, 1, 1, 1),  # the digits CNN's second layer
]


@pytest.fixture(scope="module", autouse=True)
def numba_loaded():
    jit.load()


def geometry_of(case):
    x_shape, w_shape, stride, padding, dilation, groups = case
    as_key = lambda v: v if isinstance(v, (int, str)) else tuple(v)  # noqa: E731
    return conv._geometry("conv", len(x_shape) - 2, x_shape, w_shape, as_key(stride), as_key(padding),
                          as_key(dilation), groups)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_im2col_and_col2im_loops_equal_the_numpy_twins(case, dtype):
    rng = np.random.default_rng(0)
    geometry = geometry_of(case)
    x = rng.standard_normal(case[0]).astype(dtype)
    x[(0,) * x.ndim] = np.nan  # carried through as any value
    assert conv._fast(geometry)
    ours, twin = conv.im2col(x, geometry), conv.im2col_numpy(x, geometry)
    assert ours.shape == twin.shape and ours.dtype == twin.dtype
    np.testing.assert_array_equal(ours, twin)
    cols = rng.standard_normal(twin.shape).astype(dtype)
    ours, twin = conv.col2im(cols, geometry, dtype), conv.col2im_numpy(cols, geometry, dtype)
    assert ours.shape == twin.shape == case[0] and ours.dtype == dtype
    # the same sums, possibly in another order
    np.testing.assert_allclose(ours, twin, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_im2col_of_a_non_contiguous_input():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5, 8, 6)).transpose(0, 1, 3, 2)  # (3, 5, 6, 8), strided
    geometry = geometry_of(((3, 5, 6, 8), (2, 5, 3, 3), 2, 1, 1, 1))
    np.testing.assert_array_equal(conv.im2col(x, geometry), conv.im2col_numpy(np.ascontiguousarray(x), geometry))


def test_small_problems_take_the_numpy_path_until_numba_is_loaded(monkeypatch):
    geometry = geometry_of(((1, 1, 9), (2, 1, 3), 1, 0, 1, 1))
    monkeypatch.setattr(convolution, "is_loaded", lambda: False)
    assert not conv._fast(geometry)
    assert conv._fast(geometry_of(((64, 16, 8, 8), (32, 16, 3, 3), 1, 1, 1, 1)))  # 64*16*9*64 >= 2**15
    monkeypatch.setattr(convolution, "is_loaded", lambda: True)
    assert conv._fast(geometry)


POOL_CASES = [  # input shape, kernel, stride, padding, dilation, ceil_mode
    ((2, 3, 10), 2, None, 0, 1, False),
    ((2, 3, 11), 3, 2, 1, 1, True),
    ((2, 3, 11), 3, 1, 1, 2, False),  # overlapping, dilated
    ((4, 16, 8, 8), 2, None, 0, 1, False),  # the digits CNN's pool
    ((2, 3, 7, 9), (3, 2), (2, 1), (1, 1), (1, 2), True),
    ((1, 2, 5, 5), 3, 3, 1, 1, True),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_max_pool_loop_equals_the_numpy_twin(case, dtype):
    x_shape, kernel, stride, padding, dilation, ceil_mode = case
    rng = np.random.default_rng(2)
    if dtype == np.int32:
        x = rng.integers(-3, 3, x_shape).astype(dtype)  # many ties: the first maximum must win in both
    else:
        x = rng.standard_normal(x_shape).astype(dtype)
        x.reshape(-1)[::7] = np.nan
        x.reshape(-1)[3::11] = -np.inf
        x.reshape(-1)[5::13] = np.inf
    shape = pool.PoolShape("max_pool", x_shape, kernel, stride, padding, dilation, ceil_mode)
    out, plane = pool.max_pool_kernel(x, shape)
    out_twin, plane_twin = pool.max_pool_numpy(x, shape)
    assert out.shape == out_twin.shape and out.dtype == x.dtype
    np.testing.assert_array_equal(out, out_twin)  # NaN where the twin has NaN
    np.testing.assert_array_equal(plane, plane_twin)


def test_max_pool_loop_of_a_transposed_input():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 8)).swapaxes(2, 3)
    shape = pool.PoolShape("max_pool2d", x.shape, 2, None, 0, 1, False)
    for got, want in zip(pool.max_pool_kernel(x, shape), pool.max_pool_numpy(np.ascontiguousarray(x), shape)):
        np.testing.assert_array_equal(got, want)
