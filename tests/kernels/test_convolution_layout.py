"""The chunked loops of kernels/convolution.py and kernels/max_pool.py: the layout copies against
their numpy twins (kernels/reference_convolution.py), and every loop's bits independent of how
many threads run its chunks.

(im2col, col2im and max pooling against their numpy twins: tests/nn/test_conv_pool_kernels.py.)
"""
import numpy as np
import pytest

import autograd_core as ag
from autograd_core.kernels import convolution, max_pool, parallel
from autograd_core.kernels import reference_convolution as twin
from autograd_core.ops import conv, pool

from kernel_testing import DTYPES


def layouts(shape, dtype, rng):
    """The array of `shape` as C-contiguous, a strided slice and a transposed copy's view."""
    base = rng.standard_normal(shape).astype(dtype)
    wide = rng.standard_normal(shape[:-1] + (2 * shape[-1] + 1,)).astype(dtype)
    flipped = np.ascontiguousarray(np.swapaxes(base, 0, 2)).swapaxes(0, 2) if len(shape) == 3 else base
    return [("contiguous", base), ("strided", wide[..., 1::2]), ("transposed", flipped)]


SHAPES = [(1, 1, 1), (3, 5, 7), (25, 33, 19), (4, 0, 3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("with_bias", [True, False])
def test_by_sample_equals_the_twin(shape, dtype, with_bias):
    rng = np.random.default_rng(0)
    for label, product in layouts(shape, dtype, rng):
        product = product.copy() if label == "contiguous" else product
        if product.size:
            product.reshape(-1)[0] = -0.0  # kept as -0.0 without a bias
        bias = rng.standard_normal(shape[0]).astype(dtype) if with_bias else np.empty(0, dtype)
        ours = np.empty((shape[1], shape[0], shape[2]), dtype)
        theirs = np.empty_like(ours)
        convolution.by_sample(product, bias, ours)
        twin.by_sample(product, bias, theirs)
        np.testing.assert_array_equal(ours, theirs, err_msg=label)
        assert np.array_equal(np.signbit(ours), np.signbit(theirs)), label


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_by_channel_equals_the_twin(shape, dtype):
    rng = np.random.default_rng(1)
    for label, g in layouts(shape, dtype, rng):
        ours = np.empty((shape[1], shape[0], shape[2]), dtype)
        theirs = np.empty_like(ours)
        convolution.by_channel(g, ours)
        twin.by_channel(g, theirs)
        np.testing.assert_array_equal(ours, theirs, err_msg=label)


@pytest.fixture
def many_chunks(monkeypatch):
    """Every loop cut into as many chunks as it has samples (up to 4 per thread), on 1 or 2 threads."""
    monkeypatch.setattr(convolution, "GRAIN", 1)
    monkeypatch.setattr(convolution, "COPY_GRAIN", 1)
    monkeypatch.setattr(max_pool, "GRAIN", 1)
    before = parallel._num_threads
    yield
    parallel._num_threads = before


def _run_on(threads, function):
    ag.set_num_threads(threads)
    return function()


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_loops_give_the_same_bits_on_one_and_two_threads(many_chunks, dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((9, 4, 7, 6)).astype(dtype)
    geometry = conv._geometry("conv", 2, x.shape, (5, 4, 3, 2), (2, 1), (1, 1), (1, 2), 1)
    cols_shape = conv.im2col(x, geometry).shape
    cols = rng.standard_normal(cols_shape).astype(dtype)
    product = rng.standard_normal((5, 9, 13)).astype(dtype)
    bias = rng.standard_normal(5).astype(dtype)
    shape = pool.PoolShape("max_pool2d", x.shape, 3, 2, 1, 1, True)

    def everything():
        sample_major = np.empty((9, 5, 13), dtype)
        convolution.by_sample(product, bias, sample_major)
        channel_major = np.empty((5, 9, 13), dtype)
        convolution.by_channel(sample_major, channel_major)
        return (conv.im2col(x, geometry), conv.col2im(cols, geometry, dtype), sample_major, channel_major,
                *pool.max_pool_kernel(x, shape))

    assert len(_run_on(2, lambda: convolution.sample_chunks(9, 1))) > 1  # the fixture's grains do cut the work
    for one, two in zip(_run_on(1, everything), _run_on(2, everything)):
        assert one.dtype == two.dtype
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape", [(3, 4, 9, 7), (2, 5, 11)], ids=str)
def test_max_pool_flat_positions_are_the_plane_positions_offset_by_plane(x_shape, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape).astype(dtype)
    x.reshape(-1)[::5] = np.nan
    shape = pool.PoolShape("max_pool", x_shape, 2, None, 0, 1, True)
    out, flat = pool.max_pool_kernel(x, shape, flat=True)
    out_twin, plane_twin = pool.max_pool_numpy(x, shape)
    planes = np.arange(x_shape[0] * x_shape[1]).reshape(x_shape[:2] + (1,) * (len(x_shape) - 2))
    np.testing.assert_array_equal(out, out_twin)
    np.testing.assert_array_equal(flat, plane_twin + planes * int(np.prod(x_shape[2:])))
    np.testing.assert_array_equal(x.reshape(-1)[flat], out_twin)


def test_scratch_and_recycled_buffers():
    a = convolution.scratch("test", (3, 4), np.float32)
    assert a.shape == (3, 4) and a.dtype == np.float32 and a.flags.c_contiguous
    b = convolution.scratch("test", (2, 5), np.float32)
    assert np.shares_memory(a, b)  # one buffer per slot and dtype, reused
    assert not np.shares_memory(b, convolution.scratch("test", (2, 5), np.float64))
    assert not np.shares_memory(b, convolution.scratch("other", (2, 5), np.float32))
    c = convolution.recycled((6, 7), np.float64)
    c_view = c.reshape(42)[::1].reshape(7, 6)
    convolution.recycle(c_view)
    again = convolution.recycled((7, 6), np.float64)
    assert np.shares_memory(again, c)  # the buffer came back
    assert not np.shares_memory(convolution.recycled((7, 6), np.float64), c)  # and only once
    convolution.recycle(np.empty((3, 3))[:, ::2])  # not one of its buffers: ignored
    assert convolution.recycled((3, 3), np.float64).shape == (3, 3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_layers_of_one_shape_keep_their_own_columns(dtype):
    """Two convolutions of the same shapes in one graph: each backward reads its own forward's columns,
    though the buffers are recycled from step to step."""
    rng = np.random.default_rng(4)
    x = [rng.standard_normal((8, 3, 17)).astype(dtype) for _ in range(2)]
    w = [rng.standard_normal((5, 3, 3)).astype(dtype) for _ in range(2)]

    def grads(pairs):
        xs = [ag.tensor(a, requires_grad=True) for a, _ in pairs]
        ws = [ag.tensor(b, requires_grad=True) for _, b in pairs]
        total = sum((ag.conv1d(xi, wi, stride=2, padding=1) ** 2).sum() for xi, wi in zip(xs, ws))
        total.backward()
        return [t.grad.numpy() for t in xs + ws]

    alone = [grads([pair]) for pair in zip(x, w)]
    for _ in range(3):  # the second and third steps run on recycled buffers
        together = grads(list(zip(x, w)))
        for got, want in zip(together, [alone[0][0], alone[1][0], alone[0][1], alone[1][1]]):
            np.testing.assert_array_equal(got, want)
