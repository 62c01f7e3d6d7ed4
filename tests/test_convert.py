"""Conversions: clone, to, float/double/long/int/bool, cpu, type_as, contiguous, type."""
import numpy as np
import pytest

import autograd_core as ag
from helpers import check_gradients, random_array

SHAPES = [(), (1,), (3,), (2, 1, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_clone_value_memory_and_gradient(shape):
    x = ag.tensor(random_array(shape))
    y = x.clone()
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    assert not np.shares_memory(y.numpy(), x.numpy())
    check_gradients(lambda a: a.clone() * 3, random_array(shape))


def test_clone_top_level_function_and_grad_fn():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.clone(x)
    assert not y.is_leaf and y.requires_grad
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("shape", SHAPES)
def test_float_double_round_trip_gradient(shape):
    # float64 -> float32 -> float64 (finite differences would only see float32 rounding here,
    # so the exact gradient of this linear function is checked instead).
    x = ag.tensor(random_array(shape), requires_grad=True)
    y = (x.float() * 2).double()
    assert y.dtype == np.float64
    weights = random_array(shape, seed=1)
    (y * ag.tensor(weights)).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.shape == shape
    np.testing.assert_allclose(x.grad.numpy(), 2 * weights, rtol=1e-7)


def test_cast_gradient_dtype_follows_input():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    y = x.to(ag.float32)
    assert y.dtype == np.float32 and y.requires_grad
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_same_dtype_returns_self_like_torch():
    x = ag.tensor([1.0, 2.0])
    assert x.to(ag.float32) is x
    assert x.float() is x
    assert x.cpu() is x
    assert x.to("cpu") is x
    assert x.to(ag.device("cpu")) is x
    assert x.type_as(ag.zeros(1)) is x
    assert x.contiguous() is x
    assert x.to(ag.float32, copy=True) is not x


def test_integer_and_bool_casts_never_require_grad():
    x = ag.tensor([1.7, -2.2, 0.0], requires_grad=True)
    for y, dtype in ((x.long(), np.int64), (x.int(), np.int32), (x.bool(), np.bool_)):
        assert y.dtype == dtype
        assert not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(x.long().numpy(), [1, -2, 0])  # truncation, as torch
    np.testing.assert_array_equal(x.bool().numpy(), [True, True, False])


def test_int_to_float_values():
    x = ag.tensor([1, 2, 3])
    assert x.float().dtype == np.float32
    assert x.double().dtype == np.float64
    np.testing.assert_array_equal(x.double().numpy(), [1.0, 2.0, 3.0])


def test_to_forms():
    x = ag.tensor([1, 2])
    assert x.to(dtype=ag.float64).dtype == np.float64
    assert x.to("cpu", ag.float32).dtype == np.float32
    assert x.to(ag.zeros(1, dtype=ag.float64)).dtype == np.float64
    assert x.to(float).dtype == np.float64  # Python float means float64, as in torch
    assert x.to(np.float32).dtype == np.float32
    assert x.type_as(ag.zeros(1)).dtype == np.float32


def test_to_other_device_is_a_clear_error():
    x = ag.tensor([1.0])
    with pytest.raises(RuntimeError, match="device 'cuda'.*CPU only"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()
    with pytest.raises(TypeError, match="to\\(\\): expected a dtype"):
        x.to(3.5)


def test_half_is_a_clear_error():
    with pytest.raises(TypeError, match="float16 is not supported"):
        ag.tensor([1.0]).half()


def test_contiguous_copies_a_transposed_tensor_and_keeps_gradient():
    x = ag.tensor(random_array((2, 3)), requires_grad=True)
    t = x.T
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c is not t
    np.testing.assert_array_equal(c.detach().numpy(), x.detach().numpy().T)
    (c * ag.tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(6.0, dtype=np.float32).reshape(3, 2).T)


def test_type_strings():
    assert ag.tensor([1.0]).type() == "torch.FloatTensor"
    assert ag.tensor([1]).type() == "torch.LongTensor"
    assert ag.tensor([1.0]).type("torch.DoubleTensor").dtype == np.float64
    assert ag.tensor([1.0]).type(ag.int64).dtype == np.int64


def test_cast_second_derivative():
    x = ag.tensor([0.3, -0.4], dtype=ag.float64, requires_grad=True)
    y = (x.float() ** 3).sum()
    (g,) = ag.grad(y, x, create_graph=True)
    assert g.dtype == np.float64
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * x.detach().numpy(), rtol=1e-6)
