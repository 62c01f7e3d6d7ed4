"""Reductions, the softmax family, var/std/norm, prod, cumsum, max/min, argmax, all/any.

Values are checked against numpy or hand-computed results; gradients against
central finite differences (float64) over several shapes and every dim form;
second derivatives (create_graph=True) against finite differences of the
engine's first derivative.
"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_core as ag
from autograd_core.ops.reduce import normalize_dims
from helpers import check_gradients, random_array

# (shape, dim) pairs: 0-d, size-1 dims, int / negative / tuple / None / () dims.
SHAPES_AND_DIMS = [
    ((), None), ((), 0), ((), -1), ((1,), 0), ((4,), None), ((4,), -1), ((2, 3), 0), ((2, 3), 1),
    ((2, 3), -1), ((2, 3), (0, 1)), ((2, 3), ()), ((2, 1, 4), 1), ((2, 1, 4), (0, 2)), ((2, 1, 4), (-1, 0)),
    ((3, 2, 2), None),
]
# Single-dim forms for softmax, cumsum and max(dim).
SHAPES_AND_ONE_DIM = [((), 0), ((1,), 0), ((4,), -1), ((2, 3), 0), ((2, 3), 1), ((2, 1, 4), 1), ((2, 1, 4), -1)]


def numpy_axes(shape, dim):
    """What torch's dim means, in numpy's terms (None and () both mean every axis)."""
    if dim is None or dim == ():
        return None
    return tuple(d % max(len(shape), 1) for d in ((dim,) if isinstance(dim, int) else dim)) if shape else None


def derivative(fn, seed=1):
    """x -> d sum(w * fn(x)) / dx, differentiable again (create_graph) when x requires grad."""

    def first(x):
        with ag.no_grad():
            shape = fn(x).shape
        weights = ag.tensor(np.random.default_rng(seed).uniform(0.5, 1.5, size=shape))
        if x.requires_grad:
            (grad,) = ag.grad((fn(x) * weights).sum(), x, create_graph=True)
            return grad
        with ag.enable_grad():
            x = x.detach().requires_grad_()
            (grad,) = ag.grad((fn(x) * weights).sum(), x)
        return grad

    return first


def check_second_derivative(fn, array):
    """The Hessian (times random weights) of `fn` at `array` matches finite differences of its gradient."""
    check_gradients(derivative(fn), array)


# -- the dim helper ---------------------------------------------------------------
def test_normalize_dims_forms():
    assert normalize_dims(1, 3) == (1,)
    assert normalize_dims(-1, 3) == (2,)
    assert normalize_dims((2, -3), 3) == (0, 2)
    assert normalize_dims(None, 3) == (0, 1, 2)
    assert normalize_dims((), 3) == (0, 1, 2)
    assert normalize_dims(0, 0) == () and normalize_dims(-1, 0) == ()


def test_normalize_dims_errors_name_the_op_and_range():
    with pytest.raises(IndexError, match=r"sum: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        normalize_dims(2, 2, "sum")
    with pytest.raises(ValueError, match="appears more than once"):
        normalize_dims((0, -2), 2, "sum")
    with pytest.raises(TypeError, match="dim must be an int"):
        normalize_dims(1.5, 2, "sum")


# -- values ------------------------------------------------------------------------
@pytest.mark.parametrize("shape, dim", SHAPES_AND_DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction_values_match_numpy(shape, dim, keepdim):
    x = random_array(shape, low=0.5, high=2.0)
    t = ag.tensor(x)
    axes = numpy_axes(shape, dim)
    cases = [
        (ag.sum, np.sum), (ag.mean, np.mean), (ag.prod, np.prod), (ag.amax, np.max), (ag.amin, np.min),
        (ag.logsumexp, lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))),
        (lambda t, dim, keepdim: ag.var(t, dim, correction=0, keepdim=keepdim),
         lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims)),
        (lambda t, dim, keepdim: ag.std(t, dim, unbiased=False, keepdim=keepdim),
         lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims)),
        (lambda t, dim, keepdim: ag.norm(t, 2, dim, keepdim),
         lambda a, axis, keepdims: np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))),
        (lambda t, dim, keepdim: ag.norm(t, 3, dim, keepdim),
         lambda a, axis, keepdims: np.sum(np.abs(a) ** 3, axis=axis, keepdims=keepdims) ** (1 / 3)),
    ]
    for ours, reference in cases:
        expected = np.asarray(reference(x, axis=axes, keepdims=keepdim))
        if keepdim and shape and axes is None:
            expected = expected.reshape((1,) * len(shape))
        result = ours(t, dim, keepdim=keepdim)
        assert result.shape == expected.shape, (ours, result.shape, expected.shape)
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-12)


def test_unbiased_var_and_std():
    x = np.array([[1.0, 2.0, 4.0], [0.0, 0.0, 3.0]])
    t = ag.tensor(x)
    np.testing.assert_allclose(ag.var(t).numpy(), np.var(x, ddof=1))
    np.testing.assert_allclose(t.var(1).numpy(), np.var(x, axis=1, ddof=1))
    np.testing.assert_allclose(t.std(0, keepdim=True).numpy(), np.std(x, axis=0, ddof=1, keepdims=True))
    np.testing.assert_allclose(ag.var(t, False).numpy(), np.var(x))  # torch's var(x, unbiased) overload
    np.testing.assert_allclose(ag.var(t, 1, correction=2).numpy(), np.var(x, axis=1, ddof=2))


def test_var_with_no_degrees_of_freedom_is_nan_with_a_warning():
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert math.isnan(ag.var(ag.tensor(2.0)).item())


def test_sum_dtypes():
    ints = ag.tensor([[1, 2], [3, 4]])
    assert ints.sum().dtype == ag.int64 and ints.sum().item() == 10
    assert ag.tensor([True, True, False]).sum().item() == 2
    assert ag.sum(ints, 0, dtype=ag.float64).dtype == ag.float64
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    total = ag.sum(x, dtype=ag.float64)
    assert total.dtype == ag.float64
    total.backward()
    assert x.grad.dtype == ag.float32
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    assert ag.mean(ints, dtype=ag.float64).item() == 2.5
    assert ag.prod(ints).dtype == ag.int64 and ag.prod(ints).item() == 24


def test_float32_stays_float32():
    x = ag.tensor(random_array((3, 4)).astype(np.float32), requires_grad=True)
    outputs = [x.sum(1), x.mean(), x.prod(0), x.amax(1), x.max(), x.max(1).values, x.var(1), x.std(),
               x.norm(), x.norm(3, 1), x.logsumexp(1), x.softmax(1), x.log_softmax(0), x.cumsum(1)]
    for out in outputs:
        assert out.dtype == np.float32, out
        (grad,) = ag.grad(out.sum(), x)
        assert grad.dtype == np.float32, out


def test_empty_dim_tuple_reduces_everything():
    x = ag.tensor(random_array((2, 3)))
    assert x.sum(()).shape == () and x.amax(()).shape == () and x.mean(dim=()).shape == ()
    np.testing.assert_allclose(x.sum(()).numpy(), x.numpy().sum())
    assert x.sum((), keepdim=True).shape == (1, 1)
    # ... except for all/any, where torch reads () as "no dims".
    assert ag.all(x, ()).shape == (2, 3)


def test_negative_dims_and_keepdim_shapes():
    x = ag.tensor(random_array((2, 3, 4)))
    assert x.sum(-1).shape == (2, 3)
    assert x.mean((-1, 0), keepdim=True).shape == (1, 3, 1)
    assert x.amax(-2).shape == (2, 4)
    assert x.max(-1).values.shape == (2, 3) and x.max(-1, keepdim=True).indices.shape == (2, 3, 1)
    assert x.logsumexp((0, -1)).shape == (3,)


# -- max / min --------------------------------------------------------------------
def test_full_max_and_min_split_the_gradient_among_ties():
    x = ag.tensor([[1.0, 3.0, 3.0], [2.0, 3.0, 0.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1 / 3, 1 / 3], [0, 1 / 3, 0]], rtol=1e-6)
    x.grad = None
    x.min().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [0, 0, 1]])


def test_amax_amin_split_ties_per_slice():
    x = ag.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    ag.amax(x, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    x.grad = None
    ag.amin(x, 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 0], [0, 1, 1]])


def test_max_with_dim_returns_values_and_indices_and_grads_the_index():
    x = ag.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    result = x.max(1)
    values, indices = result
    assert result.values is values and result.indices is indices
    np.testing.assert_array_equal(values.numpy(force=True), [3.0, 2.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])  # the first of tied maxima
    assert indices.dtype == ag.int64 and not indices.requires_grad
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    values, indices = ag.min(x, 0, keepdim=True)
    assert values.shape == (1, 3)
    np.testing.assert_array_equal(indices.numpy(), [[0, 1, 1]])


def test_max_of_two_tensors_is_maximum():
    a, b = ag.tensor([1.0, 5.0]), ag.tensor([3.0, 2.0])
    np.testing.assert_array_equal(ag.max(a, b).numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(a.min(b).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(ag.max(a, other=b).numpy(), [3.0, 5.0])


def test_max_of_0d_tensor_along_dim():
    values, indices = ag.tensor(3.0).max(0)
    assert values.item() == 3.0 and indices.item() == 0 and indices.shape == ()


def test_max_propagates_nan():
    x = ag.tensor([1.0, float("nan"), 3.0])
    assert math.isnan(x.max().item()) and math.isnan(x.amin().item())
    assert x.max(0).indices.item() == 1 and x.argmax().item() == 1


def test_max_errors():
    x = ag.tensor(random_array((2, 3)))
    with pytest.raises(TypeError, match=r"max\(\): dim must be an int"):
        x.max((0, 1))
    with pytest.raises(RuntimeError, match=r"max\(\).*numel\(\) == 0"):
        ag.zeros(0).max()
    with pytest.raises(IndexError, match=r"min\(\): Expected reduction dim 0 to have non-zero size"):
        ag.zeros(0, 3).min(0)
    with pytest.raises(IndexError, match=r"amax.*reduction dim 1 to have non-zero size"):
        ag.zeros(2, 0).amax(1)


# -- argmax, all, any -----------------------------------------------------------------
def test_argmax_argmin():
    x = ag.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 0.0]])
    assert x.argmax().item() == 3 and x.argmax().dtype == ag.int64 and x.argmax().shape == ()
    np.testing.assert_array_equal(x.argmax(1).numpy(), [1, 0])
    np.testing.assert_array_equal(x.argmin(1).numpy(), [0, 1])
    np.testing.assert_array_equal(ag.argmin(x, 0, keepdim=True).numpy(), [[0, 1, 1]])
    assert x.argmax(keepdim=True).shape == (1, 1)
    assert ag.tensor(2.0).argmax(0).item() == 0
    with pytest.raises(IndexError, match=r"argmax: dimension out of range \(expected to be in range of \[-2, 1\]"):
        x.argmax(2)
    with pytest.raises(RuntimeError, match="argmin"):
        ag.zeros(0).argmin()


def test_argmax_is_not_differentiable():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert not x.argmax().requires_grad


def test_all_any():
    x = ag.tensor([[1.0, 0.0], [2.0, 3.0]])
    assert not x.all().item() and x.any().item() and x.all().dtype == ag.bool
    np.testing.assert_array_equal(x.all(1).numpy(), [False, True])
    np.testing.assert_array_equal(ag.any(x == 0, dim=0, keepdim=True).numpy(), [[False, True]])
    np.testing.assert_array_equal(ag.all(x, (0, 1)).numpy(), False)
    assert ag.zeros(0).all().item() and not ag.zeros(0).any().item()


# -- prod and cumsum --------------------------------------------------------------------
@pytest.mark.parametrize("values, expected", [
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
    ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),     # one zero: only it gets the product of the others
    ([0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),     # two zeros: every gradient is 0
    ([0.0], [1.0]),
])
def test_prod_gradient_with_zeros(values, expected):
    x = ag.tensor(values, dtype=ag.float64, requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_prod_gradient_with_zeros_along_a_dim():
    x = np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0], [2.0, 2.0, 2.0]])
    t = ag.tensor(x, requires_grad=True)
    t.prod(1).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [[0, 3, 0], [0, 0, 0], [4, 4, 4]])
    check_gradients(lambda a: a.prod(1), x)
    check_gradients(lambda a: a.prod(0, keepdim=True), x)


def test_cumsum():
    x = random_array((2, 3))
    np.testing.assert_allclose(ag.cumsum(ag.tensor(x), 1).numpy(), np.cumsum(x, 1))
    np.testing.assert_allclose(ag.tensor(x).cumsum(-2).numpy(), np.cumsum(x, 0))
    assert ag.tensor([True, True]).cumsum(0).dtype == ag.int64
    t = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t.cumsum(0).backward(ag.tensor([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(t.grad.numpy(), [111.0, 110.0, 100.0])  # reversed running sum


# -- the softmax family --------------------------------------------------------------
def test_softmax_family_is_stable_for_huge_logits():
    for dtype in (ag.float32, ag.float64):
        x = ag.tensor([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4]], dtype=dtype)
        np.testing.assert_allclose(x.softmax(1).numpy(), [[1, 0, 0], [0.5, 0.5, 0]])
        log_probs = x.log_softmax(1).numpy()
        assert np.all(np.isfinite(log_probs))
        np.testing.assert_allclose(log_probs, [[0, -2e4, -1e4], [-math.log(2), -math.log(2), -2e4 - math.log(2)]], rtol=1e-6)
        np.testing.assert_allclose(x.logsumexp(1).numpy(), [1e4, 1e4 + math.log(2)], rtol=1e-7)
        assert np.all(np.isfinite(ag.logsumexp(-x, 1).numpy()))


def test_logsumexp_of_infinities_and_empty_dims():
    x = ag.tensor([[-math.inf, -math.inf], [math.inf, 0.0]])
    np.testing.assert_array_equal(x.logsumexp(1).numpy(), [-math.inf, math.inf])
    np.testing.assert_array_equal(ag.zeros(0, 2).logsumexp(0).numpy(), [-math.inf, -math.inf])


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-50, 50)))
def test_softmax_matches_the_definition(x):
    dim = x.ndim - 1
    expected = np.exp(x) / np.exp(x).sum(dim, keepdims=True)
    np.testing.assert_allclose(ag.softmax(ag.tensor(x), dim).numpy(), expected, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(ag.log_softmax(ag.tensor(x), dim).numpy(), np.log(expected), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ag.logsumexp(ag.tensor(x), dim).numpy(), np.log(np.exp(x).sum(dim)), rtol=1e-12,
                               atol=1e-12)


def test_softmax_of_0d_and_implicit_dim():
    assert ag.tensor(5.0).softmax(0).item() == 1.0 and ag.tensor(5.0).log_softmax(-1).item() == 0.0
    x = ag.tensor(random_array((2, 3)))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        implicit = ag.softmax(x)
    np.testing.assert_array_equal(implicit.numpy(), x.softmax(1).numpy())


def test_softmax_dtype_argument_and_int_input():
    x = ag.tensor([[1.0, 2.0]], requires_grad=True)
    y = ag.softmax(x, 1, dtype=ag.float64)
    assert y.dtype == ag.float64
    (grad,) = ag.grad((y * ag.tensor([[1.0, 0.0]], dtype=ag.float64)).sum(), x)
    assert grad.dtype == ag.float32
    assert ag.log_softmax(ag.tensor([1, 2]), 0).dtype == ag.float32


# -- gradients (finite differences, float64) -------------------------------------------------
@pytest.mark.parametrize("shape, dim", SHAPES_AND_DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction_gradients(shape, dim, keepdim):
    x = random_array(shape, seed=len(shape) + 3)
    check_gradients(lambda t: ag.sum(t, dim, keepdim), x)
    check_gradients(lambda t: ag.mean(t, dim, keepdim), x)
    check_gradients(lambda t: ag.prod(t, dim, keepdim), x)
    check_gradients(lambda t: ag.amax(t, dim, keepdim), x)
    check_gradients(lambda t: ag.amin(t, dim, keepdim), x)
    check_gradients(lambda t: ag.logsumexp(t, dim, keepdim), x)
    check_gradients(lambda t: ag.norm(t, 2, dim, keepdim), x)
    check_gradients(lambda t: ag.norm(t, 1, dim, keepdim), x)
    check_gradients(lambda t: ag.norm(t, 3, dim, keepdim), x)
    check_gradients(lambda t: ag.norm(t, 1.5, dim, keepdim), x)
    check_gradients(lambda t: ag.norm(t, math.inf, dim, keepdim), x)
    check_gradients(lambda t: ag.var(t, dim, keepdim=keepdim, correction=0), x)
    check_gradients(lambda t: ag.std(t, dim, keepdim=keepdim, correction=0), x)


@pytest.mark.parametrize("shape, dim", [((4,), None), ((2, 3), 1), ((2, 3), (0, 1)), ((3, 1, 2), -1), ((3, 2), 0)])
def test_unbiased_var_std_gradients(shape, dim):
    x = random_array(shape, seed=7)
    check_gradients(lambda t: ag.var(t, dim), x)
    check_gradients(lambda t: ag.std(t, dim, keepdim=True), x)


@pytest.mark.parametrize("shape, dim", SHAPES_AND_ONE_DIM)
def test_single_dim_gradients(shape, dim):
    x = random_array(shape, seed=5)
    check_gradients(lambda t: ag.softmax(t, dim), x)
    check_gradients(lambda t: ag.log_softmax(t, dim), x)
    check_gradients(lambda t: ag.cumsum(t, dim), x)
    check_gradients(lambda t: ag.max(t, dim).values, x)
    check_gradients(lambda t: ag.min(t, dim, keepdim=True)[0], x)
    check_gradients(lambda t: t.max(), x)
    check_gradients(lambda t: t.min(), x)


def test_gradients_through_broadcasting_into_a_reduction():
    a, b = random_array((2, 3)), random_array((3,), seed=1)
    check_gradients(lambda s, t: (s * t).softmax(1) * t, a, b)
    check_gradients(lambda s, t: (s + t).var(0) + (s * t).logsumexp(1).sum(), a, b)


def test_std_and_norm_gradient_at_zero_is_zero():
    x = ag.zeros(3, dtype=ag.float64, requires_grad=True)
    x.std().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0])
    x.grad = None
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0])
    x.grad = None
    ag.norm(x, 3).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0])
    rows = ag.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    rows.norm(dim=1).sum().backward()
    np.testing.assert_allclose(rows.grad.numpy(), [[0, 0], [0.6, 0.8]], rtol=1e-6)


def test_norm_special_orders():
    x = ag.tensor([[3.0, -4.0], [0.0, 1.0]], requires_grad=True)
    np.testing.assert_allclose(x.norm().item(), math.sqrt(26), rtol=1e-6)
    np.testing.assert_array_equal(ag.norm(x, 1, 1).numpy(force=True), [7.0, 1.0])
    np.testing.assert_array_equal(ag.norm(x, math.inf, 1).numpy(force=True), [4.0, 1.0])
    np.testing.assert_array_equal(ag.norm(x, -math.inf, 1).numpy(force=True), [3.0, 0.0])
    np.testing.assert_array_equal(ag.norm(x, 0, 1).numpy(force=True), [2.0, 1.0])
    ag.norm(x, 0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="norm"):
        ag.norm(x, "nuc")
    with pytest.raises(RuntimeError, match="norm only supports floating point"):
        ag.norm(ag.tensor([1, 2]))


# -- second derivatives (create_graph=True) -------------------------------------------------
@pytest.mark.parametrize("shape, dim", [((4,), 0), ((2, 3), 1), ((2, 3), -2), ((3, 1, 2), 2), ((), 0)])
def test_softmax_family_second_derivatives(shape, dim):
    x = random_array(shape, seed=11)
    check_second_derivative(lambda t: ag.softmax(t, dim), x)
    check_second_derivative(lambda t: ag.log_softmax(t, dim), x)
    check_second_derivative(lambda t: ag.logsumexp(t, dim), x)
    check_second_derivative(lambda t: ag.logsumexp(t, dim, keepdim=True), x)


@pytest.mark.parametrize("shape, dim", [((4,), None), ((2, 3), 1), ((2, 3), (0, 1)), ((3, 1, 2), -1)])
def test_var_std_norm_prod_second_derivatives(shape, dim):
    x = random_array(shape, seed=13, low=0.3, high=2.0) * np.where(random_array(shape, seed=2) > 0, 1, -1)
    check_second_derivative(lambda t: ag.var(t, dim), x)
    check_second_derivative(lambda t: ag.var(t, dim, keepdim=True, correction=0), x)
    check_second_derivative(lambda t: ag.std(t, dim), x)
    check_second_derivative(lambda t: ag.prod(t, dim), x)
    check_second_derivative(lambda t: ag.prod(t, dim, keepdim=True), x)
    check_second_derivative(lambda t: ag.norm(t, 2, dim), x)
    check_second_derivative(lambda t: ag.norm(t, 3, dim), x)
    check_second_derivative(lambda t: ag.mean(t, dim) * ag.sum(t * t, dim), x)
    check_second_derivative(lambda t: ag.cumsum(t * t, -1), x)
    check_second_derivative(lambda t: ag.amax(t * t, dim), x)
    check_second_derivative(lambda t: ag.max(t * t, -1).values, x)


def test_prod_second_derivative_with_one_zero():
    x = np.array([[2.0, 0.0, 3.0], [1.5, -2.0, 0.5]])
    check_second_derivative(lambda t: ag.prod(t, 1), x)
    check_second_derivative(lambda t: ag.prod(t), np.array([0.0, 2.0, -3.0, 0.5]))


# -- errors --------------------------------------------------------------------------
@pytest.mark.parametrize("name, call", [
    ("sum", lambda t: t.sum(3)), ("mean", lambda t: t.mean((0, 5))), ("prod", lambda t: t.prod(-4)),
    ("amax", lambda t: t.amax(3)), ("amin", lambda t: t.amin(3)), ("max", lambda t: t.max(3)),
    ("min", lambda t: t.min(-4)), ("argmin", lambda t: t.argmin(3)), ("var", lambda t: t.var(3)),
    ("std", lambda t: t.std(3)), ("norm", lambda t: t.norm(dim=3)), ("logsumexp", lambda t: t.logsumexp(3)),
    ("softmax", lambda t: t.softmax(3)), ("log_softmax", lambda t: t.log_softmax(3)),
    ("cumsum", lambda t: t.cumsum(3)), ("all", lambda t: t.all(3)), ("any", lambda t: t.any(3)),
])
def test_dim_out_of_range_names_the_op_and_the_range(name, call):
    x = ag.tensor(random_array((2, 3, 4)))
    with pytest.raises(IndexError, match=rf"^{name}\W.*expected to be in range of \[-3, 2\], but got"):
        call(x)


def test_float_only_reductions_reject_integers():
    with pytest.raises(RuntimeError, match="mean.*floating point"):  # torch's class
        ag.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="var.*floating point"):
        ag.tensor([1, 2]).var()
    with pytest.raises(TypeError, match=r"softmax\(\): dim must be an int"):
        ag.tensor([1.0]).softmax((0,))


def test_second_backward_through_freed_reduction_raises():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.softmax(0).max()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_reductions_do_not_warn_on_ordinary_input():
    x = ag.tensor(random_array((3, 4)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for out in (x.prod(1), x.std(0), x.norm(dim=1), x.logsumexp(0), x.max(), x.amin(1)):
            out.sum().backward()
