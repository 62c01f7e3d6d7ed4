"""Graph semantics of the tape: fan-out, diamonds, accumulation, hooks, release, deep chains."""
import gc
import sys
import weakref

import numpy as np
import pytest

import autograd_core as ag


def leaf(values, dtype=ag.float64):
    return ag.tensor(values, dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_fan_out_sums_over_uses(k):
    x = leaf([1.0, -2.0])
    total = x * 0
    for _ in range(k):
        total = total + x * 3
    total.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0 * k, 3.0 * k])


def test_value_used_twice_in_one_op():
    x = leaf([3.0])
    (x * x).backward()
    assert x.grad.item() == 6.0
    y = leaf([2.0])
    (y + y + y).backward()
    assert y.grad.item() == 3.0


def test_diamond():
    # x -> a = 2x, b = x^2 -> out = a * b = 2 x^3;  d/dx = 6 x^2
    x = leaf([1.5, -0.5])
    a = x * 2
    b = x * x
    (a * b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([1.5, -0.5]) ** 2)


def test_nested_diamonds_across_a_shared_intermediate():
    x = leaf([0.7])
    h = x.tanh()
    out = (h * h + h.exp()) * h
    out.backward()
    t = np.tanh(0.7)
    expected = (3 * t * t + np.exp(t) * (1 + t)) * (1 - t * t)
    np.testing.assert_allclose(x.grad.numpy(), [expected])


def test_shared_subgraph_two_outputs_with_retain_graph():
    x = leaf([1.0, 2.0])
    shared = (x * 3).exp()
    first = shared.sum()
    second = (shared * x).sum()
    first.backward(retain_graph=True)
    grad_first = x.grad.numpy().copy()
    second.backward()
    e = np.exp(3 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(grad_first, 3 * e)
    np.testing.assert_allclose(x.grad.numpy(), 3 * e + e + 3 * e * np.array([1.0, 2.0]))


def test_grad_accumulates_across_backward_calls():
    x = leaf([1.0, 2.0])
    for step in range(1, 4):
        (x * x).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), step * 2 * np.array([1.0, 2.0]))
    grad_object = x.grad
    (x * 1).sum().backward()
    assert x.grad is grad_object  # accumulated in place, as torch's AccumulateGrad
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_grad_never_aliases_the_gradient_flowing_elsewhere():
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()
    a.grad.add_(10)
    assert b.grad.item() == 1.0


def test_no_grad_records_nothing():
    x = leaf([1.0])
    with ag.no_grad():
        y = x * 2 + 1
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_detach_cuts_the_graph_and_shares_memory():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    (x * d).sum().backward()  # d is a constant
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_leaf_hook_sees_and_replaces_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    assert len(seen) == 1


def test_non_leaf_hook_replaces_the_gradient_flowing_on():
    x = leaf([1.0, 2.0])
    y = x * x
    calls = []
    y.register_hook(lambda g: calls.append(1))  # returns None: the gradient is unchanged
    y.register_hook(lambda g: g * 0 + 1.5)      # replaces it
    (y * 4).sum().backward()
    assert calls == [1]
    np.testing.assert_array_equal(x.grad.numpy(), 1.5 * 2 * np.array([1.0, 2.0]))


def test_hook_returning_the_wrong_shape_is_an_error():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: ag.ones(3))
    with pytest.raises(RuntimeError, match=r"hook returned a gradient of shape \(3,\), expected \(2,\)"):
        y.sum().backward()


def test_hook_on_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ag.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 3
    z = y * y
    y.retain_grad()
    assert y.retains_grad
    z.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), 2 * 3 * np.array([1.0, 2.0]))
    assert z.grad is None  # not retained


def test_200000_op_chain_without_recursion_error():
    limit = sys.getrecursionlimit()
    x = leaf([1.0], dtype=ag.float32)
    y = x
    for _ in range(200_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    assert sys.getrecursionlimit() == limit


def test_second_backward_through_a_released_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()  # allowed: the first one retained the graph
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()
    expected = 2 * (np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_graph_without_saved_values_can_be_walked_twice():
    x = leaf([1.0])
    y = (x + 1).sum()  # add saves nothing, so there is nothing to free
    y.backward()
    y.backward()
    assert x.grad.item() == 2.0


def test_saved_arrays_are_released_after_backward():
    x = leaf(np.ones(1000))
    y = x.exp()
    node = y.grad_fn
    big = weakref.ref(node.output_arrays[0]) if node.output_arrays else None
    out = (y * x).sum()
    mul_node = out.grad_fn.next_functions[0][0]
    assert mul_node.saved_arrays is not None
    out.backward()
    assert node.saved_arrays is None and node.released
    assert mul_node.saved_arrays is None and mul_node.released
    del y
    gc.collect()
    if big is not None:
        assert big() is None


def test_retain_graph_keeps_saved_arrays():
    x = leaf([1.0, 2.0])
    y = x.exp()
    y.sum().backward(retain_graph=True)
    assert y.grad_fn.saved_arrays is not None and not y.grad_fn.released


def test_grad_does_not_touch_dot_grad():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    (gx,) = ag.grad((x * w).sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [3.0, 4.0])
    assert x.grad is None and w.grad is None


def test_grad_of_an_intermediate_and_unused_inputs():
    x = leaf([1.0, 2.0])
    unused = leaf([5.0])
    h = x * 2
    out = (h * h).sum()
    gh, gu = ag.grad(out, [h, unused], retain_graph=True, allow_unused=True)
    np.testing.assert_array_equal(gh.numpy(), [4.0, 8.0])
    assert gu is None
    with pytest.raises(RuntimeError, match="input 1 .* was not used"):
        ag.grad(out, [h, unused])


def test_hessian_vector_product_matches_hand_computed_hessian():
    # f(x) = sum(x^3) + x0 * x1 * x2 ;  H = diag(6 x) + off-diagonals x_k for (i, j) != k
    values = np.array([0.5, -1.0, 2.0])
    x = leaf(values)
    f = (x ** 3).sum() + x[0] * x[1] * x[2]
    (g,) = ag.grad(f, x, create_graph=True)
    assert g.requires_grad
    v = np.array([1.0, -2.0, 0.5])
    (hv,) = ag.grad((g * ag.tensor(v)).sum(), x)
    a, b, c = values
    hessian = np.array([[6 * a, c, b], [c, 6 * b, a], [b, a, 6 * c]])
    np.testing.assert_allclose(hv.numpy(), hessian @ v, rtol=1e-12)


def test_backward_with_create_graph_gives_differentiable_grad():
    x = leaf([0.3, 0.8])
    (x.sin() * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    grad_of_grad = ag.grad(x.grad.sum(), x)[0]
    xv = np.array([0.3, 0.8])
    np.testing.assert_allclose(grad_of_grad.numpy(), 2 * np.cos(xv) - xv * np.sin(xv))


def test_backward_inputs_argument_limits_accumulation():
    a, b = leaf([1.0]), leaf([2.0])
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


def test_next_functions_and_grad_fn_names():
    x = leaf([1.0])
    y = (x * 2).exp()
    assert "Exp" in repr(y.grad_fn)
    mul_node, _ = y.grad_fn.next_functions[0]
    assert "Mul" in repr(mul_node)
    assert mul_node.next_functions[0][0] is x  # the leaf itself is where its gradient goes
