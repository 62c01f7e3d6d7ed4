"""Off the happy path: each case here once gave a wrong value or gradient without a word.

Expected values are torch's (worked out by hand in the comments); the torch comparisons of
the same programs are in test_no_silent_wrong_gradient_torch.py.
"""
import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F

VERSION_ERROR = r"modified by an inplace operation: the .* that '{}' saved is at version 1; expected version 0"


# -- in-place change of a value the tape saved ------------------------------------------------
def test_in_place_on_a_saved_output_raises():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match=VERSION_ERROR.format("Exp")):
        y.sum().backward()


def test_augmented_assignment_on_a_saved_output_raises():
    z = ag.tensor([1.0, 2.0], requires_grad=True)
    h = z.tanh()
    h += 1
    with pytest.raises(RuntimeError, match=VERSION_ERROR.format("Tanh")):
        h.sum().backward()


def test_a_saved_constant_changed_later_raises():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    c = ag.ones(2)
    y = x * c
    c.add_(1)
    with pytest.raises(RuntimeError, match=r"the input 1 that 'Mul' saved is at version 1; expected version 0"):
        y.sum().backward()


def test_a_leaf_changed_under_no_grad_after_use_raises():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with ag.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match=r"the input 0 that 'Mul' saved is at version 1"):
        loss.backward()


def test_a_custom_function_saved_tensor_changed_later_raises():
    class Square(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = ag.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = Square.apply(a)
    a.add_(1)
    with pytest.raises(RuntimeError, match=r"the saved tensor 0 that 'Square' saved is at version 1"):
        y.sum().backward()


def test_in_place_changes_nobody_saved_are_fine():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2          # Mul saves x and the number 2, not y
    y += x             # so changing y is fine
    y.mul_(3)
    y.sum().backward()
    assert x.grad.tolist() == [9.0, 9.0]  # d/dx 3 (2x + x)


# -- second order through dtype promotion ---------------------------------------------------
def test_second_derivative_flows_through_a_promoted_input():
    # y = (x w)^3 with x float32 and w a float64 0-d tensor: x is cast to float64 inside Mul.
    # penalty = sum_i (dy/dx_i)^2 = sum_i (3 x_i^2 w^3)^2 = 9 w^6 sum x^4; d/dw = 54 w^5 sum x^4.
    x = ag.tensor(np.array([1.5, -2.0, 3.0], np.float32), requires_grad=True)
    w = ag.tensor(np.array(2.0), requires_grad=True)
    (g,) = ag.grad(((x * w) ** 3).sum(), [x], create_graph=True)
    (g_w,) = ag.grad((g * g).sum(), [w])
    sum_x4 = 1.5 ** 4 + 2.0 ** 4 + 3.0 ** 4
    assert g_w.item() == pytest.approx(54 * 2.0 ** 5 * sum_x4)  # 176364; 117576 before the fix


# -- backward(create_graph=True) never shares a .grad ---------------------------------------------
def test_create_graph_gives_each_leaf_its_own_grad():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward(create_graph=True)  # Add's VJP hands one gradient to both
    assert a.grad is not b.grad
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]


def test_create_graph_does_not_make_the_callers_gradient_a_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    seed = ag.tensor([1.0, 1.0])
    x.backward(seed, create_graph=True)
    x.backward(seed)  # a plain backward accumulates in place into x.grad
    assert seed.tolist() == [1.0, 1.0] and x.grad.tolist() == [2.0, 2.0]


# -- edge points ------------------------------------------------------------------------------
def test_pow_gradient_at_zero_to_the_zero_is_zero():
    a = ag.tensor([0.0, 0.0, 2.0], requires_grad=True)
    b = ag.tensor([0.0, 1.0, 0.0], requires_grad=True)
    (a ** b).sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 0.0]  # d/da a^0 = 0; d/da a^1 = 1
    assert b.grad.tolist() == pytest.approx([0.0, 0.0, np.log(2.0)])


def test_pow_with_a_zero_exponent_number():
    a = ag.tensor([0.0, 3.0], requires_grad=True)
    (a ** 0).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0]



def test_higher_derivatives_of_a_square_at_zero_have_no_nan_inside():
    # d/dx x^2 = 2 x^1, d^2 = 2 x^0, d^3 = 0 x^-1: the third step's rule once computed
    # 0 * 0^-1 = 0 * inf and masked it with a where(); recorded (create_graph), the fourth step
    # then multiplied the zero gradient that where() sends back by that inf: a NaN inside.
    x = ag.tensor([0.0, 1.5, -2.0], dtype=ag.float64, requires_grad=True)
    with np.errstate(all="raise"):
        (first,) = ag.grad((x ** 2).sum(), x, create_graph=True)
        (second,) = ag.grad(first.sum(), x, create_graph=True)
        (third,) = ag.grad(second.sum(), x, create_graph=True)
        (fourth,) = ag.grad(third.sum(), x, allow_unused=True)
    assert first.tolist() == [0.0, 3.0, -4.0] and second.tolist() == [2.0, 2.0, 2.0]
    assert third.tolist() == [0.0, 0.0, 0.0]
    assert fourth is None or fourth.tolist() == [0.0, 0.0, 0.0]

@pytest.mark.parametrize("function, points, expected", [
    (F.relu6, [0.0, 6.0, -1.0, 3.0], [0.0, 0.0, 0.0, 1.0]),
    (F.hardtanh, [-1.0, 1.0, 0.0, 2.0], [0.0, 0.0, 1.0, 0.0]),
])
def test_hardtanh_family_gradient_is_zero_at_the_boundaries(function, points, expected):
    x = ag.tensor(points, requires_grad=True)
    function(x).sum().backward()
    assert x.grad.tolist() == expected


def test_clamp_at_its_bounds_passes_the_gradient_as_torch():
    x = ag.tensor([0.0, 2.0, 1.0, 3.0], requires_grad=True)
    x.clamp(0.0, 2.0).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 0.0]  # torch.clamp: 1 on [min, max], ends included


def test_clamp_with_tensor_bounds_sends_gradient_to_the_bound_it_picked():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    low = ag.tensor([2.0, 2.0, 2.0], requires_grad=True)
    high = ag.tensor(2.5, requires_grad=True)  # broadcast
    x.clamp(min=low, max=high).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    assert low.grad.tolist() == [1.0, 0.0, 0.0]
    assert high.grad.item() == 1.0


def test_clamp_with_min_above_max_gives_max_everywhere():
    x = ag.tensor([0.0, 5.0], requires_grad=True)
    high = ag.tensor([1.0, 1.0], requires_grad=True)
    out = ag.clamp(x, min=2.0, max=high)
    out.sum().backward()
    assert out.tolist() == [1.0, 1.0] and high.grad.tolist() == [1.0, 1.0] and x.grad.tolist() == [0.0, 0.0]


# -- API drift -------------------------------------------------------------------------------------
def test_where_of_two_python_floats_is_the_default_float():
    condition = ag.tensor([True, False])
    assert ag.where(condition, 1.0, 0.0).dtype == ag.float32
    assert ag.where(condition, 1, 0).dtype == ag.int64


def test_clamp_of_an_int_tensor_with_a_float_bound_is_float():
    out = ag.clamp(ag.tensor([1, 2, 3]), min=1.5)
    assert out.dtype == ag.float32 and out.tolist() == [1.5, 2.0, 3.0]


def test_where_method_argument_order():
    x, y = ag.tensor([1.0, 2.0]), ag.tensor([5.0, 6.0])
    assert x.where(ag.tensor([True, False]), y).tolist() == [1.0, 6.0]


# -- views and in-place ---------------------------------------------------------------------------
def test_writing_through_a_view_gives_a_base_without_history_its_history():
    x = ag.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    out = ag.zeros(3, 4)
    out[0].copy_(x * 2)
    assert out.requires_grad and not out.is_leaf
    (out * out).sum().backward()
    assert x.grad.tolist() == [8.0, 16.0, 24.0, 32.0]  # d/dx (2x)^2


def test_item_assignment_through_a_view_of_a_view():
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = ag.zeros(3, 3)
    for i in range(3):
        for j in range(3):
            out[i][j] = w[i] * j
    out.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0, 3.0]  # 0 + 1 + 2 for each w_i


def test_a_view_taken_before_an_in_place_change_of_its_base_sees_the_new_history():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    w = y[:, 0]
    y.mul_(2)
    (w * w).sum().backward()
    assert x.grad.tolist() == [[8.0, 0.0], [24.0, 0.0]]  # w = 2 x[:, 0]: d/dx (2x)^2 = 8x; was [4, 12]


def test_a_view_of_a_view_made_before_the_change_replays_both():
    x = ag.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    w = y.reshape(2, 2)[1]
    y.add_(x)  # y = 2x
    w.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 2.0, 2.0]


def test_a_transposed_view_written_in_place_updates_the_base_and_other_views():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    v, row = y.T, y[0]
    v[0, 1] = 10.0  # y[1, 0] = 10: its gradient to x is cut
    (row * y).sum().backward()
    assert x.grad.tolist() == [[12.0, 8.0], [0.0, 2.0]]  # torch's values


@pytest.mark.parametrize("pieces", [
    lambda y: y.split(2), lambda y: y.chunk(2), lambda y: y.reshape(2, 2).unbind(0),
])
def test_in_place_on_a_piece_of_split_chunk_unbind_is_refused(pieces):
    x = ag.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    first, _ = pieces(x * 1)
    with pytest.raises(RuntimeError, match="views that split/chunk/unbind returned"):
        first.mul_(2)


def test_pieces_of_a_tensor_without_grad_may_be_changed_in_place():
    first, second = ag.arange(4.0).split(2)
    first.mul_(2)
    assert first.tolist() == [0.0, 2.0]


def test_a_reshape_that_copies_is_not_a_view():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    base = x * 1
    y = base.T.reshape(4)  # numpy copies here: y does not share base's memory or version counter
    z = y * y
    base.add_(1)  # changes base only: what Mul saved (y) is intact
    z.sum().backward()
    assert x.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]  # 2 x (torch: the same)


# -- indexing: integers mixed with arrays follow torch, not numpy --------------------------------------
@pytest.mark.parametrize("index, expected", [
    ((0, slice(None), [1, 2]), lambda a: a[0][:, [1, 2]]),                 # (3, 2); numpy: (2, 3)
    ((slice(None), 0, [1, 2]), lambda a: a[:, 0][:, [1, 2]]),
    ((0, [0, 1], slice(None)), lambda a: a[0][[0, 1], :]),
    ((Ellipsis, 0, [1, 2]), lambda a: a[:, 0][:, [1, 2]]),                 # the Ellipsis covers dim 0
    ((1, slice(None), [[0], [2]]), lambda a: a[1][:, [[0], [2]]]),          # (3, 2, 1); numpy: (2, 1, 3)
])
def test_integers_mixed_with_arrays_index_in_torchs_order(index, expected):
    # torch applies the integers first, then the arrays to what is left
    values = np.arange(24.0).reshape(2, 3, 4)
    out = ag.tensor(values)[index]
    assert out.shape == expected(values).shape and np.array_equal(out.numpy(), expected(values))


def test_setitem_and_its_gradient_with_integers_mixed_with_arrays():
    y = ag.zeros(2, 3, 4)
    y[0, :, [1, 2]] = ag.arange(6.0).reshape(3, 2)
    assert y[0].tolist() == [[0.0, 0.0, 1.0, 0.0], [0.0, 2.0, 3.0, 0.0], [0.0, 4.0, 5.0, 0.0]]
    w = ag.ones(2, 3, 4, requires_grad=True)
    z = w * 1
    z[1, :, [0, 3]] = ag.arange(6.0).reshape(3, 2) * w[0, :, :2]
    (z * z).sum().backward()
    assert w.grad[0].tolist() == [[2.0, 4.0, 2.0, 2.0], [10.0, 20.0, 2.0, 2.0], [34.0, 52.0, 2.0, 2.0]]  # torch


# -- zero-size dimensions and 0-d assignment ------------------------------------------------------------
@pytest.mark.parametrize("shape_a, shape_b", [((3, 0), (0,)), ((2, 0, 3), (3, 2)), ((2, 3, 0), (0, 2)), ((0, 3), (3, 4))])
def test_matmul_backward_with_a_zero_size_dimension(shape_a, shape_b):
    a, b = ag.ones(*shape_a, requires_grad=True), ag.ones(*shape_b, requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    assert not a.grad.numpy().any() and not b.grad.numpy().any()


@pytest.mark.parametrize("in_features, out_features, batch", [(3, 20, 0), (0, 4, 2), (3, 0, 2)])
def test_linear_backward_with_a_zero_size_dimension(in_features, out_features, batch):
    x = ag.ones(batch, in_features, requires_grad=True)
    weight = ag.ones(out_features, in_features, requires_grad=True)
    bias = ag.ones(out_features, requires_grad=True)
    ag.linear(x, weight, bias).sum().backward()
    assert weight.grad.shape == (out_features, in_features) and x.grad.shape == (batch, in_features)
    assert bias.grad.tolist() == [float(batch)] * out_features


def test_assigning_into_a_zero_dimensional_non_leaf():
    x = ag.tensor(2.0, requires_grad=True)
    y = x * 3
    y[...] = 5.0
    y.backward()
    assert y.item() == 5.0 and x.grad.item() == 0.0
