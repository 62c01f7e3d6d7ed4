"""gradcheck / gradgradcheck: pass on correct gradients, and name the element when one is wrong."""
import re
import warnings

import numpy as np
import pytest

import autograd_core as ag
from helpers import random_array


def leaf(shape, seed=0):
    return ag.tensor(random_array(shape, seed=seed), requires_grad=True)


class WrongScale(ag.Function):
    """x^2 with a backward that is off by a factor 2 at one element (index 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        scale = np.full(x.shape, 2.0)
        scale.reshape(-1)[1] = 4.0
        return grad * x * ag.tensor(scale)


class WrongSecondDerivative(ag.Function):
    """x^3 whose backward is right in value but not differentiable (uses a constant copy of x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        constant = x.detach()
        return grad * 3 * constant * constant


@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3)])
def test_passes_on_correct_ops(shape):
    assert ag.gradcheck(lambda x: (x * 1.5).tanh(), (leaf(shape),))
    assert ag.gradcheck(lambda a, b: a * b + a / (b * b + 1), (leaf(shape), leaf(shape, seed=1)))


def test_broadcasting_several_outputs_and_non_tensor_inputs():
    def fn(a, scale, b):
        return a * b * scale, (a - b).exp()

    assert ag.gradcheck(fn, (leaf((2, 3)), 0.5, leaf((3,), seed=1)))


def test_single_tensor_input_need_not_be_a_tuple():
    assert ag.gradcheck(lambda x: x.sin(), leaf((3,)))


def test_inputs_without_requires_grad_are_not_checked():
    constant = ag.tensor(random_array((3,), seed=1))
    assert ag.gradcheck(lambda x, c: x * c, (leaf((3,)), constant))


def test_output_independent_of_input_has_zero_jacobian():
    constant = ag.tensor([1.0, 2.0], dtype=ag.float64)
    assert ag.gradcheck(lambda x: (x.sum(), constant * 2), (leaf((2,)),))


def test_integer_outputs_are_ignored():
    assert ag.gradcheck(lambda x: (x * 2, (x > 0).long()), (leaf((3,)),))


def test_wrong_gradient_raises_with_input_element_and_values():
    x = leaf((2, 3))
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(WrongScale.apply, (x,))
    message = str(info.value)
    assert "output 0 with respect to input 0" in message
    assert "input element (0, 1)" in message and "output element (0, 1)" in message
    value = x.detach().numpy()[0, 1]
    analytical = float(re.search(r"analytical (\S+)", message).group(1))
    numerical = float(re.search(r"numerical (\S+)", message).group(1))
    np.testing.assert_allclose(analytical, 4 * value, rtol=1e-6)
    np.testing.assert_allclose(numerical, 2 * value, rtol=1e-6)
    assert isinstance(info.value, RuntimeError)


def test_error_names_the_right_input():
    a, b = leaf((3,)), leaf((3,), seed=1)
    with pytest.raises(ag.GradcheckError, match="with respect to input 1"):
        ag.gradcheck(lambda u, v: u + WrongScale.apply(v), (a, b))


def test_raise_exception_false_returns_false():
    assert ag.gradcheck(WrongScale.apply, (leaf((3,)),), raise_exception=False) is False


def test_tolerances_are_used():
    # A 1e-4 relative error passes at rtol=1e-3 and fails at rtol=1e-6.
    class SlightlyOff(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2 * (1 + 1e-4)

    x = leaf((3,))
    assert ag.gradcheck(SlightlyOff.apply, (x,))
    assert not ag.gradcheck(SlightlyOff.apply, (x,), atol=0, rtol=1e-6, raise_exception=False)


def test_inputs_are_restored():
    x = leaf((2, 2))
    before = x.detach().numpy().copy()
    ag.gradcheck(lambda t: t.exp(), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_float32_inputs_warn():
    x = ag.tensor([0.5, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="input 0 requires grad and is float32, not float64"):
        # (eps=1e-6 is below float32 resolution at 1.0, so the check itself may fail: hence the warning)
        ag.gradcheck(lambda t: t * 2, (x,), raise_exception=False)


def test_float64_inputs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.gradcheck(lambda t: t * 2, (leaf((2,)),))


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="at least one input tensor with requires_grad=True"):
        ag.gradcheck(lambda t: t * 2, (ag.tensor([1.0], dtype=ag.float64),))


def test_gradgradcheck_passes_on_smooth_ops():
    assert ag.gradgradcheck(lambda x: (x * x).tanh(), (leaf((3,)),))
    assert ag.gradgradcheck(lambda a, b: (a * b).sin(), (leaf((2, 3)), leaf((3,), seed=1)))


def test_gradgradcheck_with_given_grad_outputs():
    x = leaf((3,))
    v = ag.tensor(random_array((3,), seed=2), requires_grad=True)
    assert ag.gradgradcheck(lambda t: t.exp(), (x,), grad_outputs=(v,))


def test_gradgradcheck_finds_a_non_differentiable_backward():
    x = leaf((3,))
    assert ag.gradcheck(WrongSecondDerivative.apply, (x,))  # first derivatives are right
    with pytest.raises(ag.GradcheckError, match="Jacobian mismatch"):
        ag.gradgradcheck(WrongSecondDerivative.apply, (x,))
    assert ag.gradgradcheck(WrongSecondDerivative.apply, (x,), raise_exception=False) is False
