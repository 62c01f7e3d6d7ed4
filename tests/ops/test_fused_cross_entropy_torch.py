"""The fused softmax cross-entropy against torch.nn.functional.cross_entropy: values, gradients,
second derivatives (float64) and float32 results."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402
from helpers import random_array  # noqa: E402


def _case(shape, seed, ignore_index=-100, ignored=()):
    x = random_array(shape, seed=seed, low=-4, high=4)
    targets = np.random.default_rng(seed + 1).integers(0, shape[1], shape[0])
    for row in ignored:
        targets[row] = ignore_index
    return x, targets


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 1), (9, 4)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index, ignored", [(-100, ()), (-100, (0,)), (2, (0,))])
def test_values_and_gradients(shape, reduction, ignore_index, ignored):
    if ignore_index >= shape[1]:
        ignored = ()
    x, targets = _case(shape, seed=shape[0] * 10 + shape[1], ignore_index=ignore_index, ignored=ignored)
    ours_x, torch_x = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = ag.softmax_cross_entropy(ours_x, ag.tensor(targets), ignore_index=ignore_index, reduction=reduction)
    theirs = torch.nn.functional.cross_entropy(torch_x, torch.tensor(targets), ignore_index=ignore_index,
                                               reduction=reduction)
    np.testing.assert_allclose(ours.numpy(force=True), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = random_array(tuple(theirs.shape), seed=3, low=0.5, high=1.5)
    (ours * ag.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours_x.grad.numpy(), torch_x.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_hessian_vector_products(reduction):
    x, targets = _case((6, 5), seed=4, ignored=(2,))
    direction = random_array((6, 5), seed=5)
    ours_x, torch_x = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = ag.softmax_cross_entropy(ours_x, ag.tensor(targets), reduction=reduction).sum()
    theirs = torch.nn.functional.cross_entropy(torch_x, torch.tensor(targets), reduction=reduction).sum()
    (ours_grad,) = ag.grad(ours, ours_x, create_graph=True)
    (torch_grad,) = torch.autograd.grad(theirs, torch_x, create_graph=True)
    (ours_hv,) = ag.grad((ours_grad * ag.tensor(direction)).sum(), ours_x)
    (torch_hv,) = torch.autograd.grad((torch_grad * torch.tensor(direction)).sum(), torch_x)
    np.testing.assert_allclose(ours_hv.numpy(), torch_hv.numpy(), rtol=1e-10, atol=1e-14)


def test_float32_training_sizes():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((512, 1000)).astype(np.float32) * 3
    targets = rng.integers(0, 1000, 512)
    targets[::7] = -100
    ours_x, torch_x = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = ag.softmax_cross_entropy(ours_x, ag.tensor(targets))
    theirs = torch.nn.functional.cross_entropy(torch_x, torch.tensor(targets))
    ours.backward()
    theirs.backward()
    assert ours.dtype == np.float32 and ours_x.grad.dtype == np.float32
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-5)
    np.testing.assert_allclose(ours_x.grad.numpy(), torch_x.grad.numpy(), rtol=1e-4, atol=1e-8)
