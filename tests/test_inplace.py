"""In-place ops: values, version counters, the leaf rule, recorded gradients and errors."""
import numpy as np
import pytest

import autograd_core as ag
from helpers import check_gradients, random_array

# (name, call on a Tensor, numpy reference) for ops with one tensor operand `o`.
BINARY = [
    ("add_", lambda t, o: t.add_(o), lambda a, b: a + b),
    ("add_alpha", lambda t, o: t.add_(o, alpha=0.5), lambda a, b: a + 0.5 * b),
    ("sub_", lambda t, o: t.sub_(o), lambda a, b: a - b),
    ("sub_alpha", lambda t, o: t.sub_(o, alpha=2), lambda a, b: a - 2 * b),
    ("mul_", lambda t, o: t.mul_(o), lambda a, b: a * b),
    ("div_", lambda t, o: t.div_(o), lambda a, b: a / b),
    ("iadd", lambda t, o: t.__iadd__(o), lambda a, b: a + b),
    ("isub", lambda t, o: t.__isub__(o), lambda a, b: a - b),
    ("imul", lambda t, o: t.__imul__(o), lambda a, b: a * b),
    ("itruediv", lambda t, o: t.__itruediv__(o), lambda a, b: a / b),
    ("lerp_", lambda t, o: t.lerp_(o, 0.3), lambda a, b: a + 0.3 * (b - a)),
    ("copy_", lambda t, o: t.copy_(o), lambda a, b: np.broadcast_to(b, a.shape)),
]
UNARY = [
    ("neg_", lambda t: t.neg_(), lambda a: -a),
    ("exp_", lambda t: t.exp_(), np.exp),
    ("clamp_", lambda t: t.clamp_(-0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7)),
    ("clamp_min", lambda t: t.clamp_(min=0.1), lambda a: np.maximum(a, 0.1)),
    ("pow_", lambda t: t.pow_(2), lambda a: a ** 2),
    ("mul_scalar", lambda t: t.mul_(2.5), lambda a: a * 2.5),
    ("add_scalar", lambda t: t.add_(1.5, alpha=2), lambda a: a + 3.0),
    ("fill_", lambda t: t.fill_(3.25), lambda a: np.full_like(a, 3.25)),
    ("zero_", lambda t: t.zero_(), np.zeros_like),
]
SHAPE_PAIRS = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 1), ())]


# ---------------------------------------------------------------------------
# Off the tape: numpy writes in place
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name,call,reference", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", SHAPE_PAIRS)
def test_binary_values_in_place(name, call, reference, shapes):
    a, b = random_array(shapes[0]), random_array(shapes[1], seed=1) + 3.0
    t = ag.tensor(a)
    memory = t.numpy()
    result = call(t, ag.tensor(b))
    assert result is t and t.numpy() is memory  # same object, same memory
    np.testing.assert_allclose(t.numpy(), reference(a, b))
    assert t._version[0] == 1


@pytest.mark.parametrize("name,call,reference", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", [(), (1,), (2, 3)])
def test_unary_values_in_place(name, call, reference, shape):
    a = random_array(shape)
    t = ag.tensor(a, dtype=ag.float32)
    assert call(t) is t
    assert t.dtype == np.float32  # Python scalars never upcast
    np.testing.assert_allclose(t.numpy(), reference(a.astype(np.float32)), rtol=1e-6)
    assert t._version[0] == 1


def test_sqrt_addcmul_addcdiv_values():
    a, b, c = random_array((3,)) + 3, random_array((3,), seed=1), random_array((3,), seed=2) + 3
    t = ag.tensor(a)
    t.sqrt_()
    np.testing.assert_allclose(t.numpy(), np.sqrt(a))
    t = ag.tensor(a).addcmul_(ag.tensor(b), ag.tensor(c), value=0.5)
    np.testing.assert_allclose(t.numpy(), a + 0.5 * b * c)
    t = ag.tensor(a).addcdiv_(ag.tensor(b), ag.tensor(c), value=2)
    np.testing.assert_allclose(t.numpy(), a + 2 * b / c)


def test_augmented_assignment_keeps_identity():
    t = ag.tensor([1.0, 2.0])
    alias = t
    t += 1
    t *= 3
    t -= ag.tensor([1.0, 1.0])
    t /= 2
    assert t is alias
    np.testing.assert_allclose(t.numpy(), [2.5, 4.0])


def test_no_grad_update_of_a_parameter():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with ag.no_grad():
        w -= 0.1 * w.grad
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])


def test_grad_zero_and_data_updates_need_no_no_grad():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    w.grad.zero_()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    w.data.add_(ag.tensor([1.0, 1.0]), alpha=-0.5)
    np.testing.assert_allclose(w.detach().numpy(), [0.5, 1.5])
    w.data.mul_(2)
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 3.0])
    assert w.is_leaf and w.requires_grad


def test_views_share_the_version_counter_and_memory():
    base = ag.tensor([1.0, 2.0, 3.0])
    view = base[1:]
    view.add_(10)
    np.testing.assert_array_equal(base.numpy(), [1.0, 12.0, 13.0])
    assert base._version[0] == 1 and view._version is base._version
    detached = base.detach()
    detached.zero_()
    assert base._version[0] == 2
    np.testing.assert_array_equal(base.numpy(), [0.0, 0.0, 0.0])


def test_float32_tensor_with_float64_operand_stays_float32():
    t = ag.tensor([1.0, 2.0])
    t.add_(ag.tensor([0.5, 0.25], dtype=ag.float64))
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), [1.5, 2.25])


def test_integer_tensor_in_place():
    t = ag.tensor([1, 2, 3])
    t += 2
    t *= ag.tensor([1, 2, 3])
    assert t.dtype == np.int64
    np.testing.assert_array_equal(t.numpy(), [3, 8, 15])
    t.copy_(ag.tensor([1.7, -2.2, 0.5]))  # copy_ casts any dtype, truncating as torch
    np.testing.assert_array_equal(t.numpy(), [1, -2, 0])
    t.fill_(7)
    np.testing.assert_array_equal(t.numpy(), [7, 7, 7])
    t.clamp_(max=5)
    np.testing.assert_array_equal(t.numpy(), [5, 5, 5])


def test_copy_broadcasts_source():
    t = ag.zeros(2, 3)
    t.copy_(ag.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(t.numpy(), [[1, 2, 3], [1, 2, 3]])
    t.copy_(np.ones((2, 3)))
    np.testing.assert_array_equal(t.numpy(), np.ones((2, 3)))


def test_random_fills_use_the_seeded_generator():
    ag.manual_seed(3)
    a = ag.empty(1000).uniform_(-2, 5)
    b = ag.empty(1000).normal_(10, 0.5)
    ag.manual_seed(3)
    np.testing.assert_array_equal(ag.empty(1000).uniform_(-2, 5).numpy(), a.numpy())
    np.testing.assert_array_equal(ag.empty(1000).normal_(10, 0.5).numpy(), b.numpy())
    assert a.dtype == np.float32 and -2 <= a.numpy().min() and a.numpy().max() < 5
    assert abs(b.numpy().mean() - 10) < 0.1 and abs(b.numpy().std() - 0.5) < 0.05
    assert ag.empty(4, dtype=ag.float64).normal_().dtype == np.float64
    with pytest.raises(TypeError, match="uniform_: random floats need a float tensor"):
        ag.zeros(3, dtype=ag.int64).uniform_()


# ---------------------------------------------------------------------------
# The leaf rule
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda w: w.add_(1), lambda w: w.mul_(2), lambda w: w.zero_(), lambda w: w.fill_(1.0),
    lambda w: w.uniform_(), lambda w: w.copy_(ag.ones(2)), lambda w: w.__iadd__(1),
    lambda w: w.__setitem__(0, 5.0), lambda w: w.exp_(),
])
def test_leaf_that_requires_grad_refuses_in_grad_mode(call):
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        call(w)
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])  # untouched
    assert w._version[0] == 0


def test_view_of_leaf_refuses():
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[1:].mul_(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w.reshape(3, 1).transpose(0, 1).add_(1)
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------
# Recorded on the tape
# ---------------------------------------------------------------------------
def test_documented_example():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = ag.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x * 2
    y += z
    assert not y.is_leaf and y.requires_grad
    y *= z
    y.sum().backward()
    zn = z.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * zn)
    np.testing.assert_allclose(z.grad.numpy(), 2 * x.detach().numpy() + 2 * zn)


def _through_inplace(call):
    """fn(a, b) that applies `call` in place to a non-leaf copy of a."""
    def fn(a, b):
        t = a * 1.0
        out = call(t, b)
        assert out is t
        return t
    return fn


@pytest.mark.parametrize("name,call,reference", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", SHAPE_PAIRS)
def test_binary_recorded_gradients(name, call, reference, shapes):
    a, b = random_array(shapes[0]), random_array(shapes[1], seed=1) + 3.0
    check_gradients(_through_inplace(call), a, b)


@pytest.mark.parametrize("name,call,reference", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", [(), (1,), (2, 3)])
def test_unary_recorded_gradients(name, call, reference, shape):
    a = random_array(shape, seed=4)
    check_gradients(lambda x: call(x * 1.0), a)
    x = ag.tensor(a, requires_grad=True)
    y = x * 1.0
    call(y)
    np.testing.assert_allclose(y.detach().numpy(), reference(a))


@pytest.mark.parametrize("shapes", [((3,), (3,), (3,)), ((2, 3), (3,), (2, 1))])
def test_addcmul_addcdiv_recorded_gradients(shapes):
    a, b, c = (random_array(s, seed=i) for i, s in enumerate(shapes))
    c = c + 3.0
    check_gradients(lambda x, u, v: (x * 1.0).addcmul_(u, v, value=0.5), a, b, c)
    check_gradients(lambda x, u, v: (x * 1.0).addcdiv_(u, v, value=2.0), a, b, c)
    check_gradients(lambda x: (x * 1.0).sqrt_(), a * a + 1)


def test_plain_tensor_absorbs_operand_that_requires_grad():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    buffer = ag.zeros(2)
    buffer += w * 3
    assert buffer.requires_grad and not buffer.is_leaf
    buffer.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


def test_snapshot_keeps_values_saved_by_the_recorded_op():
    # mul_ saves both operands; the old value of y must be what d/dz sees.
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    z = ag.tensor([3.0, 4.0], requires_grad=True)
    y = x + 0
    y.mul_(z)
    y.mul_(z)
    y.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * x.detach().numpy() * z.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), z.detach().numpy() ** 2)


def test_recorded_dtype_stays_float32_and_grad_matches_operand_dtype():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    z = ag.tensor([[0.5, 0.25]], dtype=ag.float64, requires_grad=True)
    y = x * 1
    y.copy_(z[0])
    assert y.dtype == np.float32
    y.sum().backward()
    assert z.grad.dtype == np.float64
    np.testing.assert_array_equal(z.grad.numpy(), [[1.0, 1.0]])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])  # copy_ overwrote x's contribution


def test_fill_with_a_tensor_value_is_differentiable():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = ag.tensor(2.0, requires_grad=True)
    y = x * 2
    y.fill_(v)
    (y * ag.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.item() == 6.0
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_in_place_on_a_view_of_a_non_leaf_updates_the_base_values():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y[1:] += 5  # getitem, iadd on the view, then setitem on y
    np.testing.assert_array_equal(y.detach().numpy(), [2.0, 9.0, 11.0])
    (y * ag.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 20.0, 200.0])


def test_in_place_through_a_view_rebases_the_base():
    # torch: y's history becomes "y with y[0] multiplied by 3"
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 2
    y[0].mul_(3)
    np.testing.assert_array_equal(y.detach().numpy(), [[6.0, 12.0], [6.0, 8.0]])
    (y * ag.tensor([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0, 60.0], [200.0, 2000.0]])


def test_in_place_through_a_view_gradients():
    def fn(x, v):
        y = x * 1.0
        y[:, 1:].mul_(v)          # basic-index view, broadcast operand
        y.reshape(-1).add_(1.0)   # whole-tensor view
        y.T[0].copy_(v[0] * 2)    # view of a (temporary) view
        y[1].clamp_(-0.5, 0.5)
        return y

    check_gradients(fn, random_array((3, 3)), random_array((2,), seed=1))


def test_repeated_in_place_on_the_same_view():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    head = y[:2]
    head.mul_(2)
    head.add_(x[:2])  # x[:2] is a view of a leaf, used (not written): fine
    head.mul_(3)
    np.testing.assert_array_equal(y.detach().numpy(), [9.0, 18.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [9.0, 9.0, 1.0])


def test_setitem_on_a_view():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    y[1][0] = 0.0  # __getitem__ then __setitem__ on the view
    np.testing.assert_array_equal(y.detach().numpy(), [[1.0, 2.0], [0.0, 4.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0], [0.0, 1.0]])


def test_a_reshape_copy_is_not_a_view():
    x = ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x * 1
    flat = y.T.reshape(6)  # a copy: y.T is not contiguous
    flat.mul_(2)
    np.testing.assert_array_equal(y.detach().numpy(), np.arange(6.0).reshape(2, 3))
    (flat.sum() + y.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))


def test_in_place_through_an_unknown_view_op_is_refused():
    from autograd_core.ops.op import Op

    class Diagonal(Op):
        is_view = True

        @staticmethod
        def forward(ctx, x):
            return np.lib.stride_tricks.as_strided(x, (x.shape[0],), (x.strides[0] + x.strides[1],))

        @staticmethod
        def backward(ctx, g):
            raise NotImplementedError

    y = ag.ones(2, 2, requires_grad=True) * 1
    with pytest.raises(RuntimeError, match="mul_: an in-place change through a view made by 'Diagonal' is not supported"):
        Diagonal.apply(y).mul_(2)


def test_version_counter_bumps_on_recorded_ops():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    y.mul_(x)
    assert y._version[0] == 2


# ---------------------------------------------------------------------------
# __setitem__
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("index", [
    1, -1, slice(0, 2), (0, 1), (slice(None), 0), (Ellipsis, 2), [1, 0],
    np.array([True, False]), (np.array([1, 0]), np.array([2, 2])),
], ids=repr)
def test_setitem_values_match_numpy(index):
    a = random_array((2, 3))
    t = ag.tensor(a)
    expected = a.copy()
    expected[index] = 7.5
    t[index] = 7.5
    np.testing.assert_allclose(t.numpy(), expected)
    assert t._version[0] == 1


def test_setitem_with_tensor_index_mask_and_value():
    t = ag.zeros(2, 3)
    t[ag.tensor([1])] = ag.tensor([1.0, 2.0, 3.0])
    t[t > 1.5] = -1.0
    np.testing.assert_array_equal(t.numpy(), [[0, 0, 0], [1, -1, -1]])
    t[:, ag.tensor(0)] = ag.tensor(9.0)
    np.testing.assert_array_equal(t.numpy()[:, 0], [9, 9])


def test_setitem_recorded_gradients():
    def fn(x, v):
        y = x * 1.0
        y[0, 1:] = v * 2
        y[y > 1.0] = 0.0
        return y

    check_gradients(fn, random_array((2, 3)), random_array((2,), seed=1))


def test_setitem_on_plain_tensor_with_value_that_requires_grad():
    v = ag.tensor([1.0, 2.0], requires_grad=True)
    out = ag.zeros(4)
    out[1:3] = v
    assert out.requires_grad
    (out * ag.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 3.0])


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
def test_float_into_integer_tensor_is_an_error():
    t = ag.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="add_: result type float.* can't be cast to the desired output type int64"):
        t += 0.5
    with pytest.raises(RuntimeError, match="div_: result type float.* can't be cast"):
        t /= 2
    with pytest.raises(RuntimeError, match="sqrt_: result type"):
        t.sqrt_()
    np.testing.assert_array_equal(t.numpy(), [1, 2, 3])


def test_broadcast_to_a_bigger_shape_is_an_error():
    t = ag.zeros(3)
    with pytest.raises(RuntimeError, match=r"add_: output with shape \(3,\) doesn't match the broadcast shape \(2, 3\)"):
        t.add_(ag.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"mul_: operands could not be broadcast together with shapes \(3,\) \(2,\)"):
        t.mul_(ag.ones(2))
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    with pytest.raises(RuntimeError, match=r"add_: output with shape \(3,\) doesn't match the broadcast shape \(2, 3\)"):
        y.add_(ag.ones(2, 3))


def test_copy_from_an_incompatible_shape_is_an_error():
    with pytest.raises(RuntimeError, match=r"copy_: the source of shape \(4,\) cannot be broadcast to the tensor's shape \(3,\)"):
        ag.zeros(3).copy_(ag.ones(4))


def test_writing_into_an_expanded_view_is_an_error():
    t = ag.tensor([1.0, 2.0]).expand(3, 2)
    with pytest.raises(RuntimeError, match="add_: this tensor's memory is read-only"):
        t.add_(1)


def test_setitem_errors():
    t = ag.zeros(2, 3)
    with pytest.raises(IndexError, match="setitem: index 5 is out of bounds for dimension 1 with size 3"):
        t[0, 5] = 1.0
    with pytest.raises(RuntimeError, match=r"setitem: shape mismatch: value tensor of shape \(2,\) cannot be broadcast to indexing result of shape \(3,\)"):
        t[0] = ag.tensor([1.0, 2.0])


def test_fill_with_a_multi_element_tensor_is_an_error():
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        ag.zeros(3).fill_(ag.ones(3))


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp_: at least one of min and max"):
        ag.zeros(3).clamp_()
