"""autograd_core.autograd.forward_ad: dual levels, make_dual/unpack_dual, errors, custom Functions,
in-place changes, forward-over-reverse Hessian-vector products and the functional API on top.

The per-op JVP rules are checked in test_jvp_table.py; torch comparisons in test_forward_ad_torch.py.
"""
import numpy as np
import pytest

import autograd_core as ag
import autograd_core.autograd.forward_ad as fwAD
from autograd_core.autograd import functional
from autograd_core.ops.op import Op

rng = np.random.default_rng(5)


def randn(*shape, requires_grad=False):
    return ag.tensor(rng.standard_normal(shape), requires_grad=requires_grad)


# -- levels, make_dual, unpack_dual --------------------------------------------------------------
def test_make_dual_and_unpack_dual():
    x, v = randn(2, 3), randn(2, 3)
    with fwAD.dual_level() as level:
        assert level == 0
        dual = fwAD.make_dual(x, v)
        unpacked = fwAD.unpack_dual(dual)
        assert isinstance(unpacked, fwAD.UnpackedDualTensor)
        primal, tangent = unpacked
        assert tangent is v and unpacked.tangent is v
        np.testing.assert_array_equal(primal.numpy(), x.numpy())
        assert fwAD.unpack_dual(primal).tangent is None  # the primal is a view without tangent
        assert fwAD.unpack_dual(x).tangent is None  # make_dual leaves its argument alone
        assert fwAD.unpack_dual(x * 2).tangent is None


def test_leaving_the_level_drops_every_tangent():
    x, v = randn(3), randn(3)
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, v)
        y = dual.exp()
    assert fwAD.unpack_dual(dual).tangent is None and fwAD.unpack_dual(y).tangent is None
    with fwAD.dual_level():  # a new level knows nothing of the old one's tangents
        assert fwAD.unpack_dual(y).tangent is None
        assert fwAD.unpack_dual(y.sin()).tangent is None


def test_enter_and_exit_by_hand():
    assert fwAD.enter_dual_level() == 0
    try:
        dual = fwAD.make_dual(randn(2), randn(2))
        assert fwAD.unpack_dual(dual * 3).tangent is not None
    finally:
        fwAD.exit_dual_level()
    assert fwAD.unpack_dual(dual).tangent is None


def test_make_dual_is_a_view_that_gradients_flow_through():
    x, v = randn(3, requires_grad=True), randn(3)
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, v)
        (dual * dual).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())


def test_a_float32_tangent_is_cast_to_the_primal_dtype():
    x = randn(3)
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(fwAD.make_dual(x, ag.ones(3))).tangent
    assert tangent.dtype == ag.float64


def test_cast_between_float_dtypes_casts_the_tangent():
    x, v = randn(4), randn(4)
    with fwAD.dual_level():
        y = fwAD.make_dual(x, v).float()
        tangent = fwAD.unpack_dual(y).tangent
    assert tangent.dtype == ag.float32
    np.testing.assert_array_equal(tangent.numpy(), v.numpy().astype(np.float32))


def test_detach_drops_the_tangent():
    with fwAD.dual_level():
        dual = fwAD.make_dual(randn(2), randn(2))
        assert fwAD.unpack_dual(dual.detach()).tangent is None
        assert fwAD.unpack_dual(dual.detach() * dual).tangent is not None


def test_integer_results_carry_no_tangent():
    with fwAD.dual_level():
        dual = fwAD.make_dual(randn(4), randn(4))
        assert fwAD.unpack_dual(dual.argmax()).tangent is None
        assert fwAD.unpack_dual(dual > 0).tangent is None


# -- errors (torch's messages) ---------------------------------------------------------------
def test_make_dual_outside_a_level():
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(randn(2), randn(2))


def test_unpack_dual_outside_a_level_has_no_tangent():
    x = randn(2)
    assert fwAD.unpack_dual(x) == (x, None)


def test_tangent_of_the_wrong_shape():
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[3\] while the given forward gradient is of size \[4\]"):
            fwAD.make_dual(randn(3), randn(4))
        with pytest.raises(RuntimeError, match="different size"):
            fwAD.make_dual(randn(3), randn(3, 1))


def test_non_float_primal_or_tangent():
    with fwAD.dual_level():
        with pytest.raises(ValueError, match="Expected primal to be floating point or complex, but got: torch.int64"):
            fwAD.make_dual(ag.arange(3), randn(3))
        with pytest.raises(ValueError, match="Expected tangent to be floating point or complex, but got: torch.int64"):
            fwAD.make_dual(randn(3), ag.arange(3))


def test_nested_levels_and_bad_exits():
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
        dual = fwAD.make_dual(randn(2), randn(2))
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same level 0"):
            fwAD.make_dual(dual, randn(2))
        with pytest.raises(RuntimeError, match="invalid index"):
            fwAD.make_dual(randn(2), randn(2), level=1)
    with pytest.raises(RuntimeError, match="Dual level must be a positive number"):
        fwAD.exit_dual_level()


class _NoRule(Op):
    """An op without a JVP rule (the engine's own ops all have one: see test_jvp_table)."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_an_op_without_a_rule_names_itself():
    x = randn(3)
    np.testing.assert_array_equal(_NoRule.apply(x).numpy(), 2 * x.numpy())  # fine outside a level
    with fwAD.dual_level():
        _NoRule.apply(x)  # and on a tensor without tangent
        with pytest.raises(NotImplementedError, match="forward-mode AD is not implemented for '_norule'"):
            _NoRule.apply(fwAD.make_dual(x, randn(3)))


# -- custom Functions ------------------------------------------------------------------------
class ScaledProduct(ag.Function):
    """x * y * k for tensors x, y and a number k."""

    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_forward(x, y)
        ctx.k = k
        return x * y * k

    @staticmethod
    def backward(ctx, g):
        raise AssertionError("not used")

    @staticmethod
    def jvp(ctx, t_x, t_y, t_k):
        assert t_k is None  # a number has no tangent
        x, y = ctx.saved_tensors
        return (t_x * y + x * t_y) * ctx.k


class NoJvp(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_function_jvp_with_save_for_forward():
    x, y, v = randn(3), randn(3), randn(3)
    with fwAD.dual_level():
        out = ScaledProduct.apply(fwAD.make_dual(x, v), y, 1.5)  # y has no tangent: jvp gets zeros
        tangent = fwAD.unpack_dual(out).tangent
    np.testing.assert_allclose(tangent.numpy(), v.numpy() * y.numpy() * 1.5)


def test_function_without_jvp():
    with fwAD.dual_level():
        NoJvp.apply(randn(2))  # no dual input: no rule needed
        with pytest.raises(NotImplementedError, match="'NoJvp'.*must implement the jvp function"):
            NoJvp.apply(fwAD.make_dual(randn(2), randn(2)))


# -- in-place changes -------------------------------------------------------------------------
def test_in_place_changes_pass_tangents_on():
    x, v, w = randn(3), randn(3), randn(3)
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, v)
        copy = dual.clone()
        copy.mul_(3)
        copy += dual * w
        target = ag.zeros(3, dtype=ag.float64)
        target[1] = dual[0]
        with ag.no_grad():
            plain = ag.zeros(3, dtype=ag.float64)
            plain.add_(dual)
        tangents = [fwAD.unpack_dual(t).tangent.numpy() for t in (copy, target, plain)]
    np.testing.assert_allclose(tangents[0], 3 * v.numpy() + v.numpy() * w.numpy())
    np.testing.assert_array_equal(tangents[1], [0.0, v.numpy()[0], 0.0])
    np.testing.assert_array_equal(tangents[2], v.numpy())


def test_in_place_through_a_view_of_a_dual_is_refused():
    with fwAD.dual_level():
        dual = fwAD.make_dual(randn(3), randn(3))
        with pytest.raises(NotImplementedError, match="'mul_' on a view of a dual tensor"):
            dual[1:].mul_(2)


# -- forward-over-reverse, reverse-over-forward ------------------------------------------------
def _loss(x, w):
    return (ag.tanh(x @ w).softmax(dim=1) * ag.log_softmax(x @ w, dim=1)).sum() + (w ** 4).sum() * 0.1


def test_forward_over_reverse_gives_the_hessian_vector_product():
    x, w = randn(4, 3, requires_grad=True), randn(3, 2, requires_grad=True)
    vx, vw = randn(4, 3), randn(3, 2)
    with fwAD.dual_level():
        dx, dw = fwAD.make_dual(x, vx), fwAD.make_dual(w, vw)
        grads = ag.grad(_loss(dx, dw), (dx, dw), create_graph=True)
        hvp = [fwAD.unpack_dual(g).tangent.detach().numpy() for g in grads]
    _, expected = functional.hvp(_loss, (x.detach(), w.detach()), (vx, vw))
    for mine, theirs in zip(hvp, expected):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_reverse_over_forward_differentiates_the_tangent():
    """d/dx <grad f(x), v> = H v: the gradient of the tangent of a scalar function."""
    x, v = randn(5, requires_grad=True), randn(5)
    f = lambda x: (x.sin() * x.exp()).sum() + x.norm() ** 3  # noqa: E731
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(f(fwAD.make_dual(x, v))).tangent
    (gradient,) = ag.grad(tangent, x)
    _, expected = functional.hvp(f, x.detach(), v)
    np.testing.assert_allclose(gradient.numpy(), expected.numpy(), rtol=1e-10)


# -- the functional API on top -----------------------------------------------------------------
def test_functional_jvp_equals_the_double_backward_trick():
    f = lambda a, b: (a @ b, (a.exp() * 2).sum(dim=0))  # noqa: E731
    inputs, v = (randn(2, 3), randn(3, 2)), (randn(2, 3), randn(3, 2))
    out_dual, jvp_dual = functional.jvp(f, inputs, v)
    out_trick, jvp_trick = functional.jvp(f, inputs, v, strict=True)  # strict keeps the trick
    for a, b in zip(out_dual + jvp_dual, out_trick + jvp_trick):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    assert all(not t.requires_grad for t in jvp_dual)


def test_functional_jvp_create_graph_is_differentiable():
    x, v = randn(3, requires_grad=True), randn(3)
    _, tangent = functional.jvp(lambda x: (x ** 3).sum(), x, v, create_graph=True)
    (gradient,) = ag.grad(tangent, x)
    np.testing.assert_allclose(gradient.numpy(), 6 * x.detach().numpy() * v.numpy())


def test_forward_mode_jacobian_equals_reverse_mode():
    f = lambda x, y: (x.tanh() * y, (x @ y.unsqueeze(1)).squeeze(1))  # noqa: E731
    inputs = (randn(2, 3), randn(3))
    forward = functional.jacobian(f, inputs, vectorize=True, strategy="forward-mode")
    reverse = functional.jacobian(f, inputs)
    for rows_f, rows_r in zip(forward, reverse):
        for a, b in zip(rows_f, rows_r):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)


def test_forward_over_reverse_through_type_promotion():
    """A float32 dual times a float64 tensor: the node saves a float64 copy of the dual, and the
    tangent follows that copy into the create_graph backward."""
    x = ag.tensor(np.array([0.5, -1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = randn(3, requires_grad=True)
    v = ag.tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, v)
        loss = ((dual * 1.0).exp() * y * y).sum()
        grad_x, grad_y = ag.grad(loss, (dual, y), create_graph=True)
        tangent_x, tangent_y = (fwAD.unpack_dual(g).tangent.detach().numpy() for g in (grad_x, grad_y))
    xs, ys, vs = x.detach().numpy().astype(np.float64), y.detach().numpy(), v.numpy().astype(np.float64)
    np.testing.assert_allclose(tangent_y, 2 * ys * np.exp(xs) * vs, rtol=1e-6)  # d/dx (2 y e^x) v
    np.testing.assert_allclose(tangent_x, ys * ys * np.exp(xs) * vs, rtol=1e-6)  # float32 result
