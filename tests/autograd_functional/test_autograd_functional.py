"""autograd_core.autograd.functional against central finite differences in float64.

Each derivative is rebuilt from function values alone: a Jacobian column is
(f(x + eps e_j) - f(x - eps e_j)) / 2 eps, a Hessian is the Jacobian of the
gradient (itself checked first), a jvp is a directional derivative.  The torch
comparison (values and error messages) is in test_autograd_functional_torch.py.
"""
import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import functional as F

EPS = 1e-6


def _t(array, requires_grad=False):
    return ag.tensor(np.array(array, dtype=np.float64), requires_grad=requires_grad)


def _rand(shape, seed):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)


def numeric_jacobian(func, arrays):
    """[output i][input k] blocks of shape out_i.shape + in_k.shape, by central differences."""
    def call(values):
        out = func(*[_t(v) for v in values])
        return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]

    outputs = call(arrays)
    blocks = [[np.zeros(o.shape + a.shape) for a in arrays] for o in outputs]
    for k, array in enumerate(arrays):
        for j in range(array.size):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[k].reshape(-1)[j] += EPS
            minus[k].reshape(-1)[j] -= EPS
            for i, (p, m) in enumerate(zip(call(plus), call(minus))):
                blocks[i][k].reshape(outputs[i].shape + (-1,))[..., j] = (p - m) / (2 * EPS)
    return blocks


# (function, input shapes, whether it returns a tuple); every function is smooth at the test points.
FUNCTIONS = {
    "elementwise": (lambda x: x.exp() * x.sin(), [(3,)]),
    "scalar_in": (lambda x: (x * x).tanh(), [()]),
    "scalar_out": (lambda x: (x ** 2).sum(), [(2, 3)]),
    "matmul": (lambda a, b: a @ b, [(2, 3), (3, 2)]),
    "two_outputs": (lambda x, y: ((x * y).sum(1).exp(), (x.sin() * y).tanh()), [(3,), (2, 3)]),
    "reduce_reshape": (lambda x: x.reshape(3, 2).softmax(dim=1) * x.sum(), [(2, 3)]),
}


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def _blocks(result, out_tuple, in_tuple):
    """Undo the tuple levels jacobian() drops for single tensors, for comparison."""
    rows = result if out_tuple else (result,)
    return [[block.numpy() for block in (row if in_tuple else (row,))] for row in rows]


def _out_is_tuple(func, arrays):
    return isinstance(func(*[_t(a) for a in arrays]), tuple)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("strategy,vectorize", [("reverse-mode", False), ("reverse-mode", True),
                                                ("forward-mode", True)])
def test_jacobian_matches_finite_differences(name, strategy, vectorize):
    func, shapes = FUNCTIONS[name]
    arrays = [_rand(shape, seed) for seed, shape in enumerate(shapes)]
    inputs = tuple(_t(a) for a in arrays)
    in_tuple = len(inputs) > 1
    result = F.jacobian(func, inputs if in_tuple else inputs[0], vectorize=vectorize, strategy=strategy)
    got = _blocks(result, _out_is_tuple(func, arrays), in_tuple)
    expected = numeric_jacobian(func, arrays)
    for row_got, row_expected in zip(got, expected):
        for block_got, block_expected in zip(row_got, row_expected):
            assert block_got.shape == block_expected.shape
            np.testing.assert_allclose(block_got, block_expected, rtol=1e-6, atol=1e-8)


def test_jacobian_of_unused_input_is_zeros_and_results_carry_no_history():
    x, y = _t(_rand((3,), 0), requires_grad=True), _t(_rand((2,), 1), requires_grad=True)
    jx, jy = F.jacobian(lambda a, b: a.exp(), (x, y))
    np.testing.assert_array_equal(jy.numpy(), np.zeros((3, 2)))
    np.testing.assert_allclose(jx.numpy(), np.diag(np.exp(x.detach().numpy())))
    assert not jx.requires_grad and not jy.requires_grad


def test_jacobian_create_graph_is_differentiable_wrt_the_original_input():
    # d/dx sum(J) for f = x^3 (J = diag(3x^2)) is 6x.
    x = _t(_rand((4,), 2), requires_grad=True)
    jac = F.jacobian(lambda v: v ** 3, x, create_graph=True)
    assert jac.requires_grad
    (gx,) = ag.grad(jac.sum(), x)
    np.testing.assert_allclose(gx.numpy(), 6 * x.detach().numpy(), rtol=1e-12)


def _scalar_loss(x, w):
    return ((x @ w).tanh() ** 2).sum() + (x * x).sum() * w.sum()


def _gradient_fn():
    """The gradient of _scalar_loss by one plain backward pass: its finite-difference Jacobian is the Hessian."""
    def grad_fn(*tensors):
        tensors = [t.detach().requires_grad_(True) for t in tensors]
        grads = ag.grad(_scalar_loss(*tensors), tensors)
        return tuple(grads)
    return grad_fn


def test_gradient_then_hessian_match_finite_differences():
    arrays = [_rand((2, 3), 3), _rand((3,), 4)]
    inputs = tuple(_t(a) for a in arrays)
    # The gradient (one row of jacobian) first, so a Hessian error cannot hide behind a gradient error.
    gradient = F.jacobian(_scalar_loss, inputs)
    for got, expected in zip(gradient, numeric_jacobian(_scalar_loss, arrays)[0]):
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-8)
    expected_h = numeric_jacobian(_gradient_fn(), arrays)
    for strategy, vectorize in [("reverse-mode", False), ("forward-mode", True)]:
        hess = F.hessian(_scalar_loss, inputs, vectorize=vectorize, outer_jacobian_strategy=strategy)
        for i in range(2):
            for k in range(2):
                np.testing.assert_allclose(hess[i][k].numpy(), expected_h[i][k], rtol=1e-6, atol=1e-8)


def test_hessian_of_a_single_input_and_a_0d_input():
    x = _t(_rand((3,), 5))
    hess = F.hessian(lambda v: (v.exp() * v).sum(), x)
    np.testing.assert_allclose(hess.numpy(), np.diag(np.exp(x.numpy()) * (x.numpy() + 2)), rtol=1e-12)
    h0 = F.hessian(lambda v: v ** 4, _t(1.5))
    assert h0.shape == ()
    np.testing.assert_allclose(h0.item(), 12 * 1.5 ** 2, rtol=1e-12)


def test_vjp_and_jvp_are_products_with_the_finite_difference_jacobian():
    func, shapes = FUNCTIONS["two_outputs"]
    arrays = [_rand(shape, seed) for seed, shape in enumerate(shapes)]
    inputs = tuple(_t(a) for a in arrays)
    jac = numeric_jacobian(func, arrays)
    u = (_t(_rand((2,), 7)), _t(_rand((2, 3), 8)))   # cotangents, shaped like the outputs
    v = (_t(_rand((3,), 9)), _t(_rand((2, 3), 10)))  # tangents, shaped like the inputs
    outputs, vjp = F.vjp(func, inputs, u)
    for out, expected in zip(outputs, func(*inputs)):
        np.testing.assert_allclose(out.numpy(), expected.numpy())
    for k in range(2):
        expected = sum(np.tensordot(u[i].numpy(), jac[i][k], axes=u[i].ndim) for i in range(2))
        np.testing.assert_allclose(vjp[k].numpy(), expected, rtol=1e-6, atol=1e-8)
    _, jvp = F.jvp(func, inputs, v)
    for i in range(2):
        expected = sum(np.tensordot(jac[i][k], v[k].numpy(), axes=v[k].ndim) for k in range(2))
        np.testing.assert_allclose(jvp[i].numpy(), expected, rtol=1e-6, atol=1e-8)


def test_hvp_and_vhp_are_products_with_the_finite_difference_hessian():
    arrays = [_rand((2, 3), 11), _rand((3,), 12)]
    inputs = tuple(_t(a) for a in arrays)
    hess = numeric_jacobian(_gradient_fn(), arrays)
    v = (_t(_rand((2, 3), 13)), _t(_rand((3,), 14)))
    value, hv = F.hvp(_scalar_loss, inputs, v)
    np.testing.assert_allclose(value.numpy(), _scalar_loss(*inputs).numpy())
    _, vh = F.vhp(_scalar_loss, inputs, v)
    for k in range(2):
        expected_hv = sum(np.tensordot(hess[k][m], v[m].numpy(), axes=v[m].ndim) for m in range(2))
        expected_vh = sum(np.tensordot(v[m].numpy(), hess[m][k], axes=v[m].ndim) for m in range(2))
        np.testing.assert_allclose(hv[k].numpy(), expected_hv, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(vh[k].numpy(), expected_vh, rtol=1e-6, atol=1e-8)


def test_v_may_be_omitted_only_for_one_element():
    x = _t(2.0)
    out, g = F.vjp(lambda v: v ** 3, x)
    assert out.item() == 8.0 and g.item() == pytest.approx(12.0)
    _, t = F.jvp(lambda v: v ** 3, x)
    assert t.item() == pytest.approx(12.0)
    with pytest.raises(RuntimeError, match="can only be None"):
        F.vjp(lambda v: v * 2, _t([1.0, 2.0]))


def test_inputs_that_already_require_grad_get_no_grad_and_the_caller_graph_is_untouched():
    x = _t(_rand((3,), 15), requires_grad=True)
    F.jacobian(lambda v: v.exp(), x)
    F.hessian(lambda v: (v ** 3).sum(), x)
    F.vjp(lambda v: v.exp(), x, _t(np.ones(3)))
    assert x.grad is None


def test_zero_element_inputs_and_outputs_give_empty_blocks():
    empty = F.jacobian(lambda v: v * 2, _t(np.zeros(0)))
    assert empty.shape == (0, 0)
    to_scalar = F.jacobian(lambda v: v.sum(), _t(np.zeros(0)))
    assert to_scalar.shape == (0,)
    forward = F.jacobian(lambda v: v * 2, _t(np.zeros(0)), vectorize=True, strategy="forward-mode")
    assert forward.shape == (0, 0)
