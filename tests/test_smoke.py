import numpy as np

import autograd_core as ag
from helpers import check_gradients, random_array


def test_tanh_chain_gradient():
    check_gradients(lambda x: (x * 1.5 + 0.1).tanh(), random_array((3, 4)))


def test_broadcast_mul_gradient():
    check_gradients(lambda a, b: a * b, random_array((2, 3)), random_array((3,), seed=1))


def test_second_derivative_of_tanh():
    x = ag.tensor([0.3, -0.7], dtype=ag.float64, requires_grad=True)
    (g,) = ag.grad(x.tanh().sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    t = np.tanh(x.detach().numpy())
    np.testing.assert_allclose(h.numpy(), -2 * t * (1 - t * t))
