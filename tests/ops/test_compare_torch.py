"""Comparisons and logical ops against torch, including torch's dtype promotion between operands."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402

OPERANDS = [
    (np.array([0.1, 0.5, 2.0], np.float32), 0.5),
    (np.array([0, 1, 2]), 0.5),
    (np.array([0, 1, 2]), 1),
    (np.array([True, False, True]), 1),
    (np.array([0.1, 0.2], np.float32), np.array(0.1)),             # 0-d float64 against float32
    (np.array([0.1, 0.2], np.float32), np.array([0.1, 0.2])),       # dimensioned float64
    (np.array([[1, 2], [3, 4]]), np.array([1.5, 3.0], np.float32)),
    (np.array([1.0, math.nan, math.inf]), np.array([1.0, math.nan, math.inf])),
]


def as_pair(value):
    if isinstance(value, np.ndarray):
        return ag.tensor(value), torch.from_numpy(value.copy())
    return value, value


@pytest.mark.parametrize("left, right", OPERANDS)
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
                                  "isclose"])
def test_binary_ops_match_torch(name, left, right):
    mine_left, torch_left = as_pair(left)
    mine_right, torch_right = as_pair(right)
    if not isinstance(right, np.ndarray):
        torch_right = torch.tensor(right)  # torch's logical ops and isclose want tensors on both sides
    if name == "isclose":  # torch's isclose also wants one dtype: give it the promoted one
        common = torch.result_type(torch_left, right if not isinstance(right, np.ndarray) else torch_right)
        torch_left, torch_right = torch_left.to(common), torch_right.to(common)
    expected = getattr(torch, name)(torch_left, torch_right).numpy()
    result = getattr(ag, name)(mine_left, mine_right)
    assert result.dtype == ag.bool
    np.testing.assert_array_equal(result.numpy(), expected)


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "logical_not"])
def test_unary_ops_match_torch(name):
    for values in (np.array([1.0, math.nan, -math.inf, 0.0]), np.array([0, 3]), np.array([True, False])):
        np.testing.assert_array_equal(getattr(ag, name)(ag.tensor(values)).numpy(),
                                      getattr(torch, name)(torch.from_numpy(values)).numpy())


def test_bitwise_and_equal_match_torch():
    a, b = np.array([0, 5, -3]), np.array([True, False, True])
    assert np.array_equal((~ag.tensor(a)).numpy(), (~torch.from_numpy(a)).numpy())
    assert np.array_equal((ag.tensor(a) & ag.tensor(b)).numpy(), (torch.from_numpy(a) & torch.from_numpy(b)).numpy())
    assert np.array_equal((ag.tensor(b) ^ True).numpy(), (torch.from_numpy(b) ^ True).numpy())
    pairs = [(np.array([1, 2]), np.array([1.0, 2.0])), (np.array([1.0, 2.0]), np.array([[1.0, 2.0]])),
             (np.array([math.nan]), np.array([math.nan]))]
    for x, y in pairs:
        assert ag.equal(ag.tensor(x), ag.tensor(y)) == torch.equal(torch.from_numpy(x), torch.from_numpy(y))
