"""Custom autograd Functions (torch.autograd.Function semantics)."""
import gc
import weakref

import numpy as np
import pytest

import autograd_core as ag
from helpers import check_gradients, random_array


class Cube(ag.Function):
    """x^3, saving the input;  d/dx = 3 x^2"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class Exp(ag.Function):
    """e^x, saving the output;  d/dx = e^x"""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class ScaledAdd(ag.Function):
    """a + alpha * b, with a non-tensor argument in the middle;  broadcasting a and b"""

    @staticmethod
    def forward(ctx, a, alpha, b):
        ctx.alpha = alpha
        return a + b * alpha

    @staticmethod
    def backward(ctx, grad):
        return grad, None, grad * ctx.alpha  # broadcast-shaped gradients: the engine sums them down


class SplitSigns(ag.Function):
    """Two outputs: relu(x) and relu(-x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.relu(), (-x).relu()

    @staticmethod
    def backward(ctx, grad_positive, grad_negative):
        (x,) = ctx.saved_tensors
        positive = (x > 0).float() if x.dtype == np.float32 else (x > 0).double()
        return grad_positive * positive - grad_negative * (1 - positive)


@pytest.mark.parametrize("shape", [(), (1,), (4,), (2, 3)])
def test_saved_input_value_and_gradient(shape):
    x = random_array(shape)
    np.testing.assert_allclose(Cube.apply(ag.tensor(x)).numpy(), x ** 3)
    check_gradients(Cube.apply, x)


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
def test_saved_output_value_and_gradient(shape):
    x = random_array(shape)
    np.testing.assert_allclose(Exp.apply(ag.tensor(x)).numpy(), np.exp(x))
    check_gradients(Exp.apply, x)


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,))])
def test_non_tensor_argument_and_broadcast_gradients(shapes):
    a, b = random_array(shapes[0]), random_array(shapes[1], seed=1)
    check_gradients(lambda u, v: ScaledAdd.apply(u, 2.5, v), a, b)


def test_multiple_outputs():
    x = random_array((5,))
    check_gradients(lambda t: SplitSigns.apply(t)[0] * 2 + SplitSigns.apply(t)[1] * 3, x)
    positive, negative = SplitSigns.apply(ag.tensor(x))
    np.testing.assert_allclose(positive.numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(negative.numpy(), np.maximum(-x, 0))


def test_unused_output_gets_zero_gradient():
    x = ag.tensor([1.0, -2.0], requires_grad=True)
    positive, _ = SplitSigns.apply(x)
    positive.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0])


def test_set_materialize_grads_false_gives_none():
    seen = []

    class Pair(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            return g1 * 2 if g1 is not None else g2 * 3

    x = ag.tensor([1.0], requires_grad=True)
    Pair.apply(x)[1].sum().backward()
    assert seen == [(True, False)]
    np.testing.assert_array_equal(x.grad.numpy(), [3.0])


def test_backward_sees_tensors_and_grad_fn_is_named():
    seen = {}

    class Probe(ag.Function):
        @staticmethod
        def forward(ctx, x):
            seen["forward_recording"] = ag.is_grad_enabled()
            seen["forward_input"] = x
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            seen["grad"] = grad
            return grad * 2

    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = Probe.apply(x)
    assert seen["forward_recording"] is False and seen["forward_input"] is x
    assert y.requires_grad and not y.is_leaf
    assert "ProbeBackward" in repr(y.grad_fn)
    y.sum().backward()
    assert isinstance(seen["grad"], ag.Tensor)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_needs_input_grad():
    recorded = []

    class Mul(ag.Function):
        @staticmethod
        def forward(ctx, a, b, scale):
            recorded.append(ctx.needs_input_grad)
            ctx.save_for_backward(a, b)
            return a * b * scale

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return (grad * b if ctx.needs_input_grad[0] else None,
                    grad * a if ctx.needs_input_grad[1] else None, None)

    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0])
    Mul.apply(a, b, 2.0).sum().backward()
    assert recorded == [(True, False, False)]
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    with ag.no_grad():
        Mul.apply(a, b, 2.0)
    assert recorded[-1] == (False, False, False)


def test_no_grad_inputs_give_untracked_output():
    out = Cube.apply(ag.tensor([2.0]))
    assert not out.requires_grad and out.grad_fn is None
    with ag.no_grad():
        out = Cube.apply(ag.tensor([2.0], requires_grad=True))
    assert not out.requires_grad


def test_second_derivative_through_saved_input():
    # backward(create_graph=True) runs the user's backward on the original input tensors.
    x = ag.tensor([0.5, -1.5, 2.0], dtype=ag.float64, requires_grad=True)
    (g,) = ag.grad(Cube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * x.detach().numpy())


def test_second_derivative_through_saved_output():
    x = ag.tensor([0.5, -1.0], dtype=ag.float64, requires_grad=True)
    (g,) = ag.grad(Exp.apply(x).sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), np.exp(x.detach().numpy()))
    assert ag.gradgradcheck(Cube.apply, (ag.tensor(random_array((3,)), requires_grad=True),))


def test_gradcheck_on_a_custom_function():
    assert ag.gradcheck(Exp.apply, (ag.tensor(random_array((2, 2)), requires_grad=True),))


def test_setup_context_style():
    class Square(ag.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    check_gradients(Square.apply, random_array((3,)))


def test_returning_an_input_unchanged_does_not_rewrite_its_history():
    class Identity(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 5

    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and not y.is_leaf
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_mark_non_differentiable():
    class SortWithIndices(ag.Function):
        @staticmethod
        def forward(ctx, x):
            order = np.argsort(x.detach().numpy())
            values = ag.tensor(x.detach().numpy()[order])
            positions = ag.tensor(order.astype(np.float32))  # a float output that has no gradient
            ctx.mark_non_differentiable(positions)
            ctx.order = order
            return values, positions

        @staticmethod
        def backward(ctx, grad_values, grad_positions):
            np.testing.assert_array_equal(grad_positions.numpy(), 0)  # materialised zeros
            grad = np.zeros_like(grad_values.numpy())
            grad[ctx.order] = grad_values.numpy()
            return ag.tensor(grad)

    x = ag.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, positions = SortWithIndices.apply(x.detach().requires_grad_())
    assert values.requires_grad and not positions.requires_grad
    x = ag.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, _ = SortWithIndices.apply(x)
    (values * ag.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [100.0, 1.0, 10.0])


def test_wrong_number_of_gradients_is_a_clear_error():
    class TooFew(ag.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad

    a = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"TooFewBackward returned an incorrect number of gradients \(expected 2, got 1\)"):
        TooFew.apply(a, a).sum().backward()


def test_surplus_none_gradients_are_allowed():
    class Extra(ag.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2, None, None

    a = ag.tensor([1.0], requires_grad=True)
    Extra.apply(a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0])


def test_wrong_gradient_shape_is_a_clear_error():
    class BadShape(ag.Function):
        @staticmethod
        def forward(ctx, a):
            return a.sum()

        @staticmethod
        def backward(ctx, grad):
            return ag.ones(4)

    a = ag.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"BadShapeBackward returned an invalid gradient at index 0 - got shape \(4,\) but expected shape compatible with \(1, 3\)"):
        BadShape.apply(a).backward()


def test_non_tensor_gradient_is_a_clear_error():
    class ReturnsArray(ag.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, grad):
            return np.ones(2)

    a = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="ReturnsArrayBackward returned a ndarray at position 0"):
        ReturnsArray.apply(a).sum().backward()


def test_save_for_backward_rejects_non_tensors():
    class SavesNumber(ag.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a, 3.0)
            return a

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(TypeError, match="save_for_backward can only save Tensors or None"):
        SavesNumber.apply(ag.tensor([1.0], requires_grad=True))


def test_second_backward_needs_retain_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 3 * x.detach().numpy() ** 2)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_saved_output_does_not_keep_itself_alive():
    # The saved output is a reference into the node (no Tensor -> node -> Tensor cycle),
    # so dropping the output frees it without the cyclic garbage collector.
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    gc.disable()
    try:
        y = Exp.apply(x)
        probe = weakref.ref(y)
        del y
        assert probe() is None
    finally:
        gc.enable()


def test_function_cannot_be_instantiated():
    with pytest.raises(RuntimeError, match="call Cube.apply"):
        Cube()


def test_hooks_and_retain_grad_on_function_output():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [10.0, 10.0])  # after the hook, as torch 2
    np.testing.assert_allclose(x.grad.numpy(), 10 * 3 * x.detach().numpy() ** 2)
