"""sum/mean kernels (kernels/reductions.py) against exact sums (math.fsum) and numpy's np.sum/np.mean."""
import itertools
import math
import warnings

import numpy as np
import pytest

import autograd_core.kernels as kernels
from autograd_core.kernels import reductions
from kernel_testing import DTYPES

SHAPES = [(1,), (10,), (1000, 37), (3, 4, 5), (2, 0, 3)]


def _exact(x, axes, keepdims, mean):
    """float64 sums of the (exactly representable) inputs, correctly rounded, via math.fsum."""
    kept = [a for a in range(x.ndim) if a not in axes]
    out_shape = tuple(x.shape[a] for a in kept)
    count = math.prod(x.shape[a] for a in axes)
    moved = np.transpose(x.astype(np.float64), kept + list(axes)).reshape(out_shape + (count,))
    if count:
        total = np.array([math.fsum(v) for v in moved.reshape(-1, count)]).reshape(out_shape)
    else:
        total = np.zeros(out_shape)
    if mean:
        total = total / count if count else np.full(out_shape, np.nan)
    if keepdims:
        total = total.reshape(tuple(1 if i in axes else size for i, size in enumerate(x.shape)))
    return total


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("mean", [False, True], ids=["sum", "mean"])
def test_every_set_of_axes(shape, mean, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    kernel = reductions.mean_forward if mean else reductions.sum_forward
    twin = np.mean if mean else np.sum
    for count in range(1, x.ndim + 1):
        for axes in itertools.combinations(range(x.ndim), count):  # adjacent or not (numpy then)
            for keepdims in (False, True):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # numpy: mean of an empty slice
                    result = kernel(x, axes, keepdims)
                    expected = np.asarray(twin(x, axis=axes, keepdims=keepdims))
                assert result.shape == expected.shape and result.dtype == expected.dtype == dtype
                truth = _exact(x, axes, keepdims, mean)
                # float64 accumulation: within one rounding of the exact value (float32); float64
                # partial sums: within a few eps of the sum of magnitudes
                magnitude = np.sum(np.abs(x.astype(np.float64)), axis=axes, keepdims=keepdims)
                if mean and x.size:
                    magnitude = magnitude / math.prod(x.shape[a] for a in axes)
                unit = np.spacing(np.abs(truth).astype(dtype)).astype(np.float64)
                bound = unit if dtype == np.float32 else unit + 8 * np.finfo(dtype).eps * magnitude
                with np.errstate(invalid="ignore"):
                    ok = (np.abs(result - truth) <= bound) | (np.isnan(result) & np.isnan(truth))
                assert np.all(ok), (axes, keepdims)


@pytest.mark.parametrize("dtype", DTYPES)
def test_layouts_and_axis_forms(dtype):
    x = np.random.default_rng(1).standard_normal((40, 60)).astype(dtype)
    for view in (x.T, x[::2, ::3]):
        for axis in (0, 1, -1, (0, 1), None):
            np.testing.assert_allclose(reductions.sum_forward(view, axis), np.sum(view.astype(np.float64), axis=axis),
                                       rtol=1e-6 if dtype == np.float32 else 1e-13, atol=1e-5)
    assert reductions.sum_forward(x, None).shape == ()
    with pytest.raises(np.exceptions.AxisError):
        reductions.sum_forward(x, 2)


def test_exported_functions_switch_by_size_and_agree():
    for size in (100, 20000):
        x = np.random.default_rng(size).standard_normal((size // 100, 100)).astype(np.float32)
        for axis in (0, 1, None):
            np.testing.assert_allclose(kernels.sum_forward(x, axis), np.sum(x, axis=axis), rtol=1e-5, atol=1e-4)
            np.testing.assert_allclose(kernels.mean_forward(x, axis, True), np.mean(x, axis=axis, keepdims=True),
                                       rtol=1e-5, atol=1e-6)
    integers = np.arange(30000).reshape(300, 100)
    np.testing.assert_array_equal(kernels.sum_forward(integers, 0), np.sum(integers, axis=0))  # numpy path


def test_arrays_made_by_numba_take_the_kernel_path(monkeypatch):
    # Numba-made arrays carry dtype objects equal to, not identical with, numpy's float32.
    from autograd_core.kernels import activations
    x = activations.relu_forward(np.random.default_rng(2).standard_normal((200, 100)).astype(np.float32))
    calls = []
    monkeypatch.setattr(reductions, "_sum_rows", lambda *a, original=reductions._sum_rows: calls.append(1) or original(*a))
    reductions.sum_forward(x, 1)
    assert calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 7), (3, 4, 6), (2, 3, 4, 5)])
def test_transposed_arrays_are_reduced_without_a_copy_and_match_numpy(shape, dtype, monkeypatch):
    """An F-contiguous array (x.T of a C array) is reduced as its transpose over mirrored axes."""
    x = np.asfortranarray(np.random.default_rng(0).standard_normal(shape).astype(dtype))
    copies = []
    original = np.ascontiguousarray

    def counting(a, *args, **kwargs):
        result = original(a, *args, **kwargs)
        if result.size and not np.shares_memory(result, a):
            copies.append(a.shape)
        return result

    monkeypatch.setattr(np, "ascontiguousarray", counting)
    ndim = len(shape)
    for axis in [None, 0, ndim - 1, -1, (0, 1), tuple(range(1, ndim))]:
        for keepdims in (False, True):
            for reduce, twin in ((reductions.sum_forward, np.sum), (reductions.mean_forward, np.mean)):
                result = reduce(x, axis, keepdims)
                expected = twin(x.astype(np.float64), axis=axis, keepdims=keepdims)
                assert result.shape == expected.shape and result.dtype == dtype, (axis, keepdims)
                np.testing.assert_allclose(result, expected, rtol=2e-6 if dtype == np.float32 else 1e-13)
    assert copies == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [127, 128, 129, 1000, 65536 + 77, 1_000_003])
def test_block_sums_keep_their_stated_error_bound(n, dtype):
    # Blocks of SUM_BLOCK summed in the input's dtype, then in float64: within ~9 ulps of each
    # block's sum of magnitudes (the docstring's bound), and for float32, with mixed signs and
    # magnitudes (cancellation), not worse than numpy's pairwise sum beyond the final rounding.
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * np.exp(rng.uniform(-8, 8, n))).astype(dtype)
    exact = math.fsum(x.astype(np.float64))
    ours = float(reductions._row_sum(x))
    bound = 9 * np.finfo(dtype).eps * float(np.sum(np.abs(x), dtype=np.float64)) + abs(exact) * 1e-15
    assert abs(ours - exact) <= bound
    if dtype == np.float32:  # float64 totals of float32 blocks: numpy's float32 pairwise sum is coarser
        total = float(kernels.sum_forward(x))
        assert abs(total - exact) <= abs(float(np.sum(x)) - exact) + abs(np.spacing(np.float32(exact))), (total, exact)
