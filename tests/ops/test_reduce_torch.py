"""Reductions and the softmax family against torch: values and gradients on random inputs."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402

DIMS = [None, 0, -1, (0, 2), (1,), (-1, -3)]


def run_both(ours, theirs, x, weights_seed=3):
    """Value and gradient of ``sum(w * f(x))`` in autograd_core and in torch (float64)."""
    mine = ag.tensor(x, requires_grad=True)
    reference = torch.tensor(x, requires_grad=True)
    out_mine, out_ref = ours(mine), theirs(reference)
    assert tuple(out_mine.shape) == tuple(out_ref.shape)
    np.testing.assert_allclose(out_mine.detach().numpy(), out_ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(weights_seed).uniform(0.5, 1.5, size=tuple(out_ref.shape))
    (out_mine * ag.tensor(w)).sum().backward()
    (out_ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-12)


def rand(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_multi_dim_reductions_match_torch(dim, keepdim):
    x = rand((2, 3, 4))
    tdim = dim if dim is not None else tuple(range(3))
    run_both(lambda t: t.sum(dim, keepdim=keepdim), lambda t: t.sum(tdim, keepdim=keepdim), x)
    run_both(lambda t: t.mean(dim, keepdim=keepdim), lambda t: t.mean(tdim, keepdim=keepdim), x)
    run_both(lambda t: t.amax(dim, keepdim=keepdim), lambda t: t.amax(tdim, keepdim=keepdim), x)
    run_both(lambda t: t.amin(dim, keepdim=keepdim), lambda t: t.amin(tdim, keepdim=keepdim), x)
    run_both(lambda t: t.logsumexp(dim, keepdim=keepdim), lambda t: t.logsumexp(tdim, keepdim=keepdim), x)
    run_both(lambda t: t.var(dim, keepdim=keepdim), lambda t: t.var(tdim, keepdim=keepdim), x)
    run_both(lambda t: t.std(dim, keepdim=keepdim, correction=0),
             lambda t: t.std(tdim, keepdim=keepdim, correction=0), x)
    for p in (2, 1, 3, 0.5, math.inf, -math.inf, "fro"):
        run_both(lambda t: t.norm(p, dim, keepdim), lambda t: t.norm(p, dim, keepdim), x)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_single_dim_reductions_match_torch(dim, keepdim):
    x = rand((3, 4, 2), seed=1)
    run_both(lambda t: t.prod(dim, keepdim), lambda t: t.prod(dim, keepdim), x)
    run_both(lambda t: t.max(dim, keepdim).values, lambda t: t.max(dim, keepdim).values, x)
    run_both(lambda t: t.min(dim, keepdim)[0], lambda t: t.min(dim, keepdim)[0], x)
    run_both(lambda t: t.softmax(dim), lambda t: t.softmax(dim), x)
    run_both(lambda t: t.log_softmax(dim), lambda t: t.log_softmax(dim), x)
    run_both(lambda t: t.cumsum(dim), lambda t: t.cumsum(dim), x)
    ours, theirs = ag.tensor(x), torch.tensor(x)
    np.testing.assert_array_equal(ours.max(dim, keepdim).indices.numpy(), theirs.max(dim, keepdim).indices.numpy())
    np.testing.assert_array_equal(ours.argmin(dim, keepdim).numpy(), theirs.argmin(dim, keepdim).numpy())
    np.testing.assert_array_equal((ours > 0).any(dim, keepdim).numpy(), (theirs > 0).any(dim, keepdim).numpy())


def test_full_reductions_and_ties_match_torch():
    x = np.array([[1.0, 3.0, 3.0], [3.0, 0.0, -2.0]])
    run_both(lambda t: t.max(), lambda t: t.max(), x)
    run_both(lambda t: t.min(), lambda t: t.min(), x)
    run_both(lambda t: t.amax(1), lambda t: t.amax(1), x)
    run_both(lambda t: t.max(1).values, lambda t: t.max(1).values, x)
    run_both(lambda t: t.norm(math.inf), lambda t: t.norm(math.inf), x)
    run_both(lambda t: t.prod(), lambda t: t.prod(), x)
    assert ag.tensor(x).argmax().item() == torch.tensor(x).argmax().item()


@pytest.mark.parametrize("values", [[2.0, 0.0, 4.0, 5.0], [0.0, 3.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
def test_prod_with_zeros_matches_torch(values):
    x = np.array(values)
    run_both(lambda t: t.prod(), lambda t: t.prod(), x)
    run_both(lambda t: t.reshape(2, 2).prod(1), lambda t: t.reshape(2, 2).prod(1), x)


def test_zero_variance_and_zero_norm_gradients_match_torch():
    x = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    run_both(lambda t: t.std(1), lambda t: t.std(1), x)
    run_both(lambda t: t.norm(dim=1), lambda t: t.norm(dim=1), x)
    run_both(lambda t: t.norm(3, 1), lambda t: t.norm(3, 1), x)


def test_huge_logits_match_torch():
    x = np.array([[1e4, -1e4, 0.0, 5.0], [-1e4, -1e4, -1e4, 1e4]])
    for dtype in (np.float32, np.float64):
        ours, theirs = ag.tensor(x.astype(dtype)), torch.tensor(x.astype(dtype))
        np.testing.assert_allclose(ours.softmax(1).numpy(), theirs.softmax(1).numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours.log_softmax(1).numpy(), theirs.log_softmax(1).numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours.logsumexp(1).numpy(), theirs.logsumexp(1).numpy(), rtol=1e-6)
    run_both(lambda t: t.log_softmax(1), lambda t: t.log_softmax(1), x)
    run_both(lambda t: t.softmax(0), lambda t: t.softmax(0), x)


def test_float32_values_match_torch():
    x = rand((5, 7), seed=4).astype(np.float32)
    ours, theirs = ag.tensor(x), torch.tensor(x)
    for name, args in [("sum", (1,)), ("mean", (0,)), ("var", (1,)), ("std", ()), ("norm", ()),
                       ("logsumexp", (1,)), ("softmax", (1,)), ("log_softmax", (0,)), ("prod", (1,)),
                       ("cumsum", (1,)), ("amax", (0,))]:
        mine, reference = getattr(ours, name)(*args), getattr(theirs, name)(*args)
        assert mine.dtype == np.float32
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=2e-6, atol=1e-6, err_msg=name)


def test_second_derivatives_match_torch():
    x = rand((3, 4), seed=6)
    v = np.random.default_rng(7).normal(size=(3, 4))
    functions = [
        lambda t: t.softmax(1), lambda t: t.log_softmax(0), lambda t: t.logsumexp(1), lambda t: t.var(1),
        lambda t: t.std(0), lambda t: t.prod(1), lambda t: t.norm(dim=1), lambda t: t.norm(3, 0),
    ]
    for fn in functions:
        mine = ag.tensor(x, requires_grad=True)
        (grad,) = ag.grad(fn(mine).sum(), mine, create_graph=True)
        (hessian_v,) = ag.grad((grad * ag.tensor(v)).sum(), mine)
        reference = torch.tensor(x, requires_grad=True)
        (grad,) = torch.autograd.grad(fn(reference).sum(), reference, create_graph=True)
        (expected,) = torch.autograd.grad((grad * torch.tensor(v)).sum(), reference)
        np.testing.assert_allclose(hessian_v.numpy(), expected.numpy(), rtol=1e-9, atol=1e-12)
