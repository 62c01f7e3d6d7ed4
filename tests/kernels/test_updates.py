"""The fused in-place update kernels (`kernels/updates.py`) and the in-place methods that use them:
exactly the numpy twins' values, on every layout they accept; everything else goes to numpy."""
import numpy as np
import pytest

import autograd_core as ag
from autograd_core.kernels import reference_updates, updates

SHAPES = [(), (1,), (7,), (1, 5), (3, 1), (4, 6), (2, 3, 5)]
KERNELS = [
    ("axpy_", lambda x, z: (x, -0.37)),
    ("scale_add_", lambda x, z: (0.9, x, 0.25)),
    ("addcmul_", lambda x, z: (x, z, 0.3)),
    ("addcdiv_", lambda x, z: (x, z, -0.7)),
    ("lerp_", lambda x, z: (x, 0.1)),
    ("lerp_", lambda x, z: (x, 0.5)),
    ("lerp_", lambda x, z: (x, 0.9)),
    ("lerp_", lambda x, z: (x, 1.0)),
]


def _operands(shape, dtype, order="C", seed=0):
    rng = np.random.default_rng(seed)
    y, x = (np.asarray(rng.standard_normal(shape), dtype=dtype, order=order) for _ in range(2))
    z = np.asarray(rng.uniform(0.5, 2.0, shape), dtype=dtype, order=order)
    return y, x, z


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, arguments", KERNELS)
def test_kernels_equal_the_numpy_twins(name, arguments, shape, dtype):
    y, x, z = _operands(shape, dtype)
    args = arguments(x, z)
    assert updates.fusable(y, *[a for a in args if isinstance(a, np.ndarray)])
    fused, twin = y.copy(), y.copy()
    getattr(updates, name)(fused, *args)
    getattr(reference_updates, name)(twin, *args)
    assert fused.dtype == dtype
    np.testing.assert_array_equal(fused, twin)


@pytest.mark.parametrize("name, arguments", KERNELS)
def test_fortran_order_operands(name, arguments):
    y, x, z = _operands((5, 4), np.float32, order="F")
    args = arguments(x, z)
    assert updates.fusable(y, *[a for a in args if isinstance(a, np.ndarray)])
    fused, twin = y.copy(order="F"), y.copy(order="F")
    getattr(updates, name)(fused, *args)
    getattr(reference_updates, name)(twin, *args)
    np.testing.assert_array_equal(fused, twin)


def test_lerp_at_weight_one_is_exactly_the_end():
    y, x, _ = _operands((50,), np.float32)
    updates.lerp_(y, x, 1.0)
    np.testing.assert_array_equal(y, x)


def test_what_the_kernels_refuse():
    y = np.zeros((3, 4), np.float32)
    assert updates.fusable(y, np.ones((3, 4), np.float32))
    assert updates.fusable(y, y)  # the target itself, elementwise: fine
    assert not updates.fusable(y, np.ones((3, 4)))  # another dtype
    assert not updates.fusable(y, np.ones((1, 4), np.float32))  # broadcasting
    assert not updates.fusable(y, 2.0)
    assert not updates.fusable(y, np.ones((4, 3), np.float32).T)  # another memory order
    assert not updates.fusable(np.zeros((3, 4), np.int64), np.ones((3, 4), np.int64))
    assert not updates.fusable(np.zeros((6, 4), np.float32)[::2], np.ones((3, 4), np.float32))  # strided
    read_only = np.zeros(3, np.float32)
    read_only.flags.writeable = False
    assert not updates.fusable(read_only, np.ones(3, np.float32))
    base = np.arange(10, dtype=np.float32)
    assert not updates.fusable(base[1:], base[:-1])  # overlapping views: numpy buffers them
    assert updates.fusable(base[:5], base[5:])  # views of one array that do not overlap


# -- the in-place methods on top ---------------------------------------------------------
METHODS = [
    ("add_", lambda t, a, b: t.add_(a, alpha=-0.5), lambda y, a, b: y + -0.5 * a),
    ("sub_", lambda t, a, b: t.sub_(a, alpha=0.25), lambda y, a, b: y - 0.25 * a),
    ("addcmul_", lambda t, a, b: t.addcmul_(a, b, value=0.3), lambda y, a, b: y + 0.3 * a * b),
    ("addcdiv_", lambda t, a, b: t.addcdiv_(a, b, value=-2), lambda y, a, b: y + -2 * (a / b)),
    ("addcdiv_ value 1", lambda t, a, b: t.addcdiv_(a, b), lambda y, a, b: y + a / b),
    ("lerp_ low", lambda t, a, b: t.lerp_(a, 0.2), lambda y, a, b: y + 0.2 * (a - y)),
    ("lerp_ high", lambda t, a, b: t.lerp_(a, 0.75), lambda y, a, b: a - (a - y) * 0.25),
]


@pytest.mark.parametrize("shape", [(), (6,), (3, 4)])
@pytest.mark.parametrize("label, method, expected", METHODS)
def test_in_place_methods_without_recording(label, method, expected, shape):
    y, a, b = _operands(shape, np.float64, seed=1)
    tensor = ag.tensor(y)
    version = tensor._version[0]
    result = method(tensor, ag.tensor(a), ag.tensor(b))
    assert result is tensor and tensor._version[0] == version + 1
    np.testing.assert_allclose(tensor.numpy(), expected(y, a, b), rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("label, method, expected", METHODS)
def test_in_place_methods_on_operands_the_kernels_refuse(label, method, expected):
    # broadcast operands, float64 operands into float32, and a view: numpy does these
    y, a, b = _operands((3, 4), np.float32, seed=2)
    tensor = ag.tensor(y)
    method(tensor, ag.tensor(a[:1].astype(np.float64)), ag.tensor(b[:, :1]))
    np.testing.assert_allclose(tensor.numpy(), expected(y, a[:1].astype(np.float64), b[:, :1]), rtol=1e-6)
    assert tensor.dtype == np.float32
    base = ag.tensor(np.arange(8.0))
    view = base[2:6]
    method(view, ag.tensor(np.ones(4)), ag.tensor(np.full(4, 2.0)))
    np.testing.assert_allclose(base.numpy()[2:6], expected(np.arange(2.0, 6.0), np.ones(4), np.full(4, 2.0)))
    np.testing.assert_array_equal(base.numpy()[[0, 1, 6, 7]], [0, 1, 6, 7])


def test_in_place_updates_keep_float32():
    p = ag.randn(5, 3)
    g = ag.randn(5, 3)
    with ag.no_grad():
        p.add_(g, alpha=-0.1).addcmul_(g, g, value=0.5).addcdiv_(g, g.abs() + 1, value=0.1).lerp_(g, 0.3)
    assert p.dtype == np.float32


def test_integer_tensors_still_use_numpy():
    t = ag.tensor([1, 2, 3])
    t.add_(ag.tensor([1, 1, 1]), alpha=2)
    np.testing.assert_array_equal(t.numpy(), [3, 4, 5])


def test_a_leaf_that_requires_grad_is_still_refused():
    w = ag.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.add_(ag.randn(3), alpha=2)


# -- out of place: x + alpha * y ------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_add_scaled_equals_the_twin(shape, dtype):
    x, y, _ = _operands(shape, dtype, seed=3)
    assert updates.same_layout(x, y)
    out = updates.add_scaled(x, y, 0.37)
    np.testing.assert_array_equal(out, reference_updates.add_scaled(x, y, 0.37))
    assert out.dtype == dtype and out.shape == x.shape and not np.shares_memory(out, x)


def test_add_scaled_keeps_fortran_order_and_reads_read_only_inputs():
    x, y, _ = _operands((4, 6), np.float32, order="F", seed=4)
    x.flags.writeable = False
    out = updates.add_scaled(x, y, -2.0)
    assert out.flags.f_contiguous
    np.testing.assert_array_equal(out, reference_updates.add_scaled(x, y, -2.0))


@pytest.mark.parametrize("method", ["add", "sub"])
def test_out_of_place_add_with_alpha_unrecorded(method):
    x, y, _ = _operands((5, 3), np.float32, seed=5)
    sign = 1 if method == "add" else -1
    with ag.no_grad():
        result = getattr(ag.tensor(x, requires_grad=True), method)(ag.tensor(y), alpha=0.3)
    assert result.grad_fn is None and not result.requires_grad and result.dtype == np.float32
    np.testing.assert_array_equal(result.numpy(), x + np.float32(sign * 0.3) * y)
    # broadcasting and mixed dtypes still take the ops
    wide = getattr(ag.tensor(x), method)(ag.tensor(y[:1].astype(np.float64)), alpha=2)
    np.testing.assert_allclose(wide.numpy(), x + sign * 2 * y[:1].astype(np.float64), rtol=1e-6)
    assert wide.dtype == np.float64


def test_out_of_place_add_with_alpha_recorded():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0], requires_grad=True)
    out = a.add(b, alpha=0.5)
    assert out.grad_fn is not None
    out.sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.5])


# -- fused SGD with momentum --------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (7,), (4, 6)])
@pytest.mark.parametrize("dampening, nesterov", [(0.0, False), (0.2, False), (0.0, True)])
def test_sgd_momentum_kernel_equals_the_twin(shape, dtype, dampening, nesterov):
    p, b, g = _operands(shape, dtype, seed=6)
    fused_p, fused_b, twin_p, twin_b = p.copy(), b.copy(), p.copy(), b.copy()
    updates.sgd_momentum_(fused_p, fused_b, g, 0.05, 0.9, dampening, nesterov)
    reference_updates.sgd_momentum_(twin_p, twin_b, g, 0.05, 0.9, dampening, nesterov)
    np.testing.assert_array_equal(fused_p, twin_p)
    np.testing.assert_array_equal(fused_b, twin_b)


@pytest.mark.parametrize("dampening, nesterov", [(0.0, False), (0.3, False), (0.0, True)])
def test_fused_sgd_equals_the_chain_of_in_place_methods(dampening, nesterov):
    from autograd_core.fused import sgd_momentum_

    p, b, g = _operands((5, 7), np.float32, seed=7)
    param, buffer, grad = ag.tensor(p), ag.tensor(b), ag.tensor(g)
    versions = param._version[0], buffer._version[0]
    with ag.no_grad():
        assert sgd_momentum_(param, grad, buffer, 0.1, 0.9, dampening, nesterov) is param
        chain_param, chain_buffer = ag.tensor(p), ag.tensor(b)
        chain_buffer.mul_(0.9).add_(grad, alpha=1 - dampening)
        step = grad.add(chain_buffer, alpha=0.9) if nesterov else chain_buffer
        chain_param.add_(step, alpha=-0.1)
    np.testing.assert_array_equal(param.numpy(), chain_param.numpy())  # bit for bit
    np.testing.assert_array_equal(buffer.numpy(), chain_buffer.numpy())
    assert (param._version[0], buffer._version[0]) == (versions[0] + 1, versions[1] + 1)
    np.testing.assert_array_equal(grad.numpy(), g)


def test_fused_sgd_falls_back_to_the_methods():
    from autograd_core.fused import sgd_momentum_

    # a broadcast gradient: not fusable, the in-place methods do it
    param, buffer = ag.zeros(3, 2), ag.ones(3, 2)
    with ag.no_grad():
        sgd_momentum_(param, ag.tensor([1.0, 2.0]), buffer, 0.5, 0.5)
    np.testing.assert_allclose(buffer.numpy(), [[1.5, 2.5]] * 3)
    np.testing.assert_allclose(param.numpy(), [[-0.75, -1.25]] * 3)
    # in grad mode, a leaf that requires grad is refused, as by the methods
    weight = ag.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        sgd_momentum_(weight, ag.ones(2), ag.ones(2), 0.1, 0.9)
