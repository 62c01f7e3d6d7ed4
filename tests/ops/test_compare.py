"""Comparisons, logical and bitwise ops, special-value tests, isclose/allclose/equal."""
import math

import numpy as np
import pytest

import autograd_core as ag
from helpers import random_array

COMPARISONS = [
    ("eq", np.equal, "__eq__"), ("ne", np.not_equal, "__ne__"), ("lt", np.less, "__lt__"),
    ("le", np.less_equal, "__le__"), ("gt", np.greater, "__gt__"), ("ge", np.greater_equal, "__ge__"),
]


@pytest.mark.parametrize("name, reference, dunder", COMPARISONS)
def test_comparisons_match_numpy(name, reference, dunder):
    a = np.round(random_array((3, 4)), 0)
    b = np.round(random_array((4,), seed=1), 0)  # broadcast, with some equal elements
    ta, tb = ag.tensor(a), ag.tensor(b)
    expected = reference(a.astype(np.float32), b.astype(np.float32))
    for result in (getattr(ag, name)(ta, tb), getattr(ta, name)(tb), getattr(ta, dunder)(tb),
                   getattr(ag, name)(ta, b.astype(np.float32))):
        assert result.dtype == ag.bool and result.shape == (3, 4)
        np.testing.assert_array_equal(result.numpy(), expected)
    np.testing.assert_array_equal(getattr(ag, name)(ta, 0.0).numpy(), reference(a, 0.0))
    np.testing.assert_array_equal(getattr(ag, name)(1.0, ta).numpy(), reference(1.0, a))


def test_operators_with_numbers_on_either_side():
    t = ag.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal((t < 2).numpy(), [True, False, False])
    np.testing.assert_array_equal((2 < t).numpy(), [False, False, True])
    np.testing.assert_array_equal((2.0 >= t).numpy(), [True, True, False])
    np.testing.assert_array_equal((t == 2).numpy(), [False, True, False])
    np.testing.assert_array_equal((2 != t).numpy(), [True, False, True])
    np.testing.assert_array_equal((np.array([3.0, 2.0, 1.0]) > t).numpy(), [True, False, False])


def test_results_never_require_grad():
    x = ag.tensor([1.0, -2.0], requires_grad=True)
    for result in (x > 0, x == x, ag.isnan(x), ag.isclose(x, x), ~(x > 0), (x > 0) & (x < 1)):
        assert not result.requires_grad and result.grad_fn is None


def test_torch_type_promotion():
    ints = ag.tensor([0, 1, 2])
    np.testing.assert_array_equal((ints < 0.5).numpy(), [True, False, False])
    np.testing.assert_array_equal((ints == 1.0).numpy(), [False, True, False])
    np.testing.assert_array_equal((ag.tensor([True, False]) == 1).numpy(), [True, False])
    # A 0-d float64 tensor does not upcast a float32 tensor: both are compared in float32.
    x32 = ag.tensor([0.1], dtype=ag.float32)
    assert (x32 == ag.tensor(0.1, dtype=ag.float64)).item()
    assert not (x32 == ag.tensor([0.1], dtype=ag.float64)).item()  # a dimensioned float64 does
    np.testing.assert_array_equal((ints > ag.tensor([0.5, 0.5, 2.5], dtype=ag.float64)).numpy(),
                                  [False, True, False])


def test_comparison_errors_are_clear():
    with pytest.raises(ValueError, match=r"lt\(\): the shapes \(2,\) and \(3,\) cannot be broadcast"):
        ag.tensor([1.0, 2.0]) < ag.tensor([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"gt\(\): expected a Tensor or a number, got str"):
        ag.gt(ag.tensor([1.0]), "a")


def test_comparing_with_none():
    t = ag.tensor([1.0])
    assert (t == None) is False  # noqa: E711  (what torch gives)
    assert (t != None) is True  # noqa: E711


def test_logical_ops():
    a = ag.tensor([0.0, 1.0, 2.0, 0.0])
    b = ag.tensor([0, 0, 3, 5])
    np.testing.assert_array_equal(ag.logical_not(a).numpy(), [True, False, False, True])
    np.testing.assert_array_equal(ag.logical_and(a, b).numpy(), [False, False, True, False])
    np.testing.assert_array_equal(a.logical_or(b).numpy(), [False, True, True, True])
    np.testing.assert_array_equal(ag.logical_xor(a, b).numpy(), [False, True, False, True])
    np.testing.assert_array_equal(ag.logical_and(a, True).numpy(), [False, True, True, False])


def test_bitwise_operators_on_masks_and_integers():
    x = ag.tensor([-1.0, 0.5, 2.0])
    mask = (x > 0) & (x < 1)
    np.testing.assert_array_equal(mask.numpy(), [False, True, False])
    np.testing.assert_array_equal(((x < 0) | (x > 1)).numpy(), [True, False, True])
    np.testing.assert_array_equal(((x > 0) ^ (x > 1)).numpy(), [False, True, False])
    np.testing.assert_array_equal((~(x > 0)).numpy(), [True, False, False])
    np.testing.assert_array_equal((True & (x > 0)).numpy(), [False, True, True])
    ints = ag.tensor([0, 5, -3])
    np.testing.assert_array_equal((~ints).numpy(), [-1, -6, 2])  # ~ on integers is bitwise, as torch
    np.testing.assert_array_equal((ints & 1).numpy(), [0, 1, 1])
    np.testing.assert_array_equal(ag.bitwise_or(ints, ag.tensor([1, 2, 0])).numpy(), [1, 7, -3])
    with pytest.raises(TypeError, match=r"bitwise_not\(\): only bool and integer tensors.*float32"):
        ~x
    with pytest.raises(TypeError, match=r"bitwise_and\(\)"):
        x & x


def test_special_values():
    x = ag.tensor([1.0, math.nan, math.inf, -math.inf, 0.0])
    np.testing.assert_array_equal(ag.isnan(x).numpy(), [False, True, False, False, False])
    np.testing.assert_array_equal(x.isinf().numpy(), [False, False, True, True, False])
    np.testing.assert_array_equal(x.isfinite().numpy(), [True, False, False, False, True])
    ints = ag.tensor([[1, 2]])
    assert ag.isnan(ints).shape == (1, 2) and not ag.isnan(ints).any().item()
    assert ag.isfinite(ints).all().item() and not ag.isinf(ag.tensor(True)).item()
    assert (x != x).numpy().tolist() == [False, True, False, False, False]  # NaN is unequal to itself


def test_isclose_allclose_equal():
    a = ag.tensor([1.0, 2.0, math.nan])
    b = ag.tensor([1.0 + 1e-6, 2.1, math.nan])
    np.testing.assert_array_equal(ag.isclose(a, b).numpy(), [True, False, False])
    np.testing.assert_array_equal(a.isclose(b, equal_nan=True).numpy(), [True, False, True])
    np.testing.assert_array_equal(ag.isclose(a, b, atol=0.2).numpy(), [True, True, False])
    assert not ag.allclose(a, b) and ag.allclose(ag.tensor([1.0]), ag.tensor([1.0 + 1e-6]))
    assert ag.allclose(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0 + 1e-5]), rtol=1e-5)
    assert ag.tensor([1.0, 2.0]).allclose(ag.tensor([1.0, 2.0]))
    assert isinstance(ag.allclose(a, a, equal_nan=True), bool) and ag.allclose(a, a, equal_nan=True)
    assert ag.equal(ag.tensor([1, 2]), ag.tensor([1.0, 2.0])) is True
    assert ag.equal(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.5])) is False
    assert ag.equal(ag.tensor([1.0, 2.0]), ag.tensor([[1.0, 2.0]])) is False  # shapes differ
    assert ag.equal(a, a) is False  # NaN != NaN
    with pytest.raises(ValueError, match="isclose"):
        ag.isclose(a, ag.tensor([1.0, 2.0]), rtol=-1)
