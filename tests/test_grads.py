"""`zero_grad_`, the one gradient reset behind `Module.zero_grad` and `Optimizer.zero_grad`."""
import numpy as np
import pytest

import autograd_core as ag
import nn
import optim


def _params_with_grads():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([[3.0]], requires_grad=True)
    untouched = ag.tensor([5.0], requires_grad=True)  # never got a gradient
    (a * a).sum().backward()
    (b * 3).sum().backward()
    return a, b, untouched


def test_set_to_none_drops_the_gradients():
    a, b, untouched = _params_with_grads()
    ag.zero_grad_([a, b, untouched])
    assert a.grad is None and b.grad is None and untouched.grad is None


def test_zeroing_in_place_keeps_each_gradient_object_and_its_memory():
    a, b, untouched = _params_with_grads()
    grad_a, memory_a = a.grad, a.grad.numpy()
    ag.zero_grad_(iter([a, b, untouched]), set_to_none=False)  # any iterable, e.g. a generator
    assert a.grad is grad_a and np.shares_memory(a.grad.numpy(), memory_a)
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [[0.0]])
    assert untouched.grad is None  # nothing to zero: no gradient is made


def test_zeroing_in_place_detaches_a_gradient_that_is_on_a_graph():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None
    grad = x.grad
    ag.zero_grad_([x], set_to_none=False)
    assert x.grad is grad and grad.grad_fn is None and not grad.requires_grad
    np.testing.assert_array_equal(grad.numpy(), [0.0, 0.0])


@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("owner", ["module", "optimizer"])
def test_module_and_optimizer_zero_grad_reset_as_the_helper(owner, set_to_none):
    model = nn.Linear(3, 2)
    model(ag.randn(4, 3)).sum().backward()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    grads = [param.grad for param in model.parameters()]
    zero_grad = model.zero_grad if owner == "module" else optimizer.zero_grad
    zero_grad(set_to_none=set_to_none)
    for param, grad in zip(model.parameters(), grads):
        if set_to_none:
            assert param.grad is None
        else:
            assert param.grad is grad
            np.testing.assert_array_equal(grad.numpy(), np.zeros(param.shape))


def test_zero_grad_default_is_set_to_none():
    model = nn.Linear(2, 1)
    model(ag.randn(1, 2)).sum().backward()
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None
