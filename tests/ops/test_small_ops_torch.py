"""t, round/floor/ceil/trunc, log1p/expm1, sort/argsort/topk and silu against numpy and torch
(the torch half skipped without torch): values, gradients, finite differences."""
import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from helpers import check_gradients, random_array

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (1, 4)])
def test_t(shape):
    x = random_array(shape)
    out = ag.tensor(x).t()
    np.testing.assert_array_equal(out.numpy(), torch.tensor(x).t().numpy())
    assert ag.t(ag.tensor(x)).shape == out.shape
    check_gradients(lambda x: x.t() * 2, x)


def test_t_refuses_more_than_two_dims():
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        ag.randn(2, 3, 4).t()


@pytest.mark.parametrize("name", ["round", "floor", "ceil", "trunc"])
def test_rounding_values_and_zero_gradient(name):
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.7, 0.2, 3.9])
    xa, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = getattr(xa, name)(), getattr(torch, name)(xt)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(xa.grad.numpy(), xt.grad.numpy())
    ints = ag.tensor([1, -2, 3])
    assert getattr(ag, name)(ints).tolist() == [1, -2, 3] and getattr(ag, name)(ints).dtype == np.int64


def test_round_decimals():
    x = np.array([1.2345, -2.5551, 0.125])
    np.testing.assert_allclose(ag.round(ag.tensor(x), decimals=2).numpy(), torch.round(torch.tensor(x), decimals=2))


@pytest.mark.parametrize("name, low", [("log1p", -0.9), ("expm1", -3.0)])
def test_log1p_expm1(name, low):
    x = np.random.default_rng(0).uniform(low, 3.0, size=(3, 4))
    xa, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = getattr(ag, name)(xa), getattr(torch, name)(xt)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-14)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-14)
    check_gradients(getattr(ag, name), x)
    assert getattr(ag.tensor([1e-10], dtype=ag.float32), name)().dtype == np.float32
    assert ag.gradgradcheck(getattr(ag, name), (ag.tensor(x, requires_grad=True),))


SORT_INPUTS = [np.array([[3.0, 1.0, 2.0, 1.0], [0.0, 5.0, 5.0, -1.0]]), np.array([2, 7, 7, 1, 0]),
               np.array([True, False, True])]


@pytest.mark.parametrize("x", SORT_INPUTS)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_argsort_match_torch_stable(x, descending):
    ours = ag.sort(ag.tensor(x), dim=-1, descending=descending, stable=True)
    theirs = torch.sort(torch.tensor(x), dim=-1, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    values, indices = ours  # a (values, indices) pair, as torch.return_types.sort
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(ag.argsort(ag.tensor(x), descending=descending, stable=True).numpy(),
                                  torch.argsort(torch.tensor(x), descending=descending, stable=True).numpy())


def test_sort_gradient_goes_to_the_source_elements():
    x = random_array((3, 5))
    xa, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = random_array((3, 5), seed=1)
    (ag.sort(xa, dim=0, descending=True).values * ag.tensor(w)).sum().backward()
    (torch.sort(xt, dim=0, descending=True).values * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy())
    check_gradients(lambda x: x.sort(dim=1)[0] ** 2, x)
    assert ag.gradgradcheck(lambda x: ag.sort(x * x).values ** 2, (ag.tensor(x, requires_grad=True),))


@pytest.mark.parametrize("k, dim, largest", [(2, -1, True), (1, 0, False), (5, 1, True), (0, 1, True)])
def test_topk_matches_torch(k, dim, largest):
    x = random_array((3, 5))
    xa, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = ag.topk(xa, k, dim=dim, largest=largest), torch.topk(xt, k, dim=dim, largest=largest)
    np.testing.assert_array_equal(ours.values.detach().numpy(), theirs.values.detach().numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    if k:
        (ours.values ** 2).sum().backward()
        (theirs.values ** 2).sum().backward()
        np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy())
    assert xa.topk(k, dim, largest).values.shape == tuple(theirs.values.shape)
    with pytest.raises(RuntimeError, match="topk: selected index k=9 out of range"):
        ag.topk(xa, 9)


def test_silu_module_and_function():
    x = random_array((2, 3))
    xa, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    nn.SiLU()(xa).sum().backward()
    torch.nn.SiLU()(xt).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.silu(ag.tensor(x)).numpy(), torch.nn.functional.silu(torch.tensor(x)).numpy())
    assert repr(nn.SiLU()) == repr(torch.nn.SiLU()) and repr(nn.SiLU(True)) == repr(torch.nn.SiLU(True))
