"""The same programs in autograd_core and torch give the same values and gradients.

Covers the engine semantics around the ops: in-place ops (recorded and not), item
assignment, custom Functions, hooks, retain_grad, casts, and gradcheck verdicts.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402
from helpers import random_array  # noqa: E402


def run_both(program, *arrays):
    """Run ``program(lib, *leaves)`` with each library; return (ours, theirs) as
    (output values, gradients of the leaves) in float64 numpy."""
    results = []
    for lib, make in ((ag, lambda a: ag.tensor(a, requires_grad=True)),
                      (torch, lambda a: torch.tensor(a, requires_grad=True))):
        leaves = [make(a.copy()) for a in arrays]
        out = program(lib, *leaves)
        weights = random_array(tuple(out.shape), seed=7)
        (out * lib.tensor(weights)).sum().backward()
        grads = [np.zeros(a.shape) if leaf.grad is None else np.asarray(leaf.grad.detach().numpy(), np.float64)
                 for a, leaf in zip(arrays, leaves)]
        results.append((np.asarray(out.detach().numpy(), np.float64), grads))
    return results


def assert_same(program, *arrays):
    (ours, our_grads), (theirs, their_grads) = run_both(program, *arrays)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    for position, (a, b) in enumerate(zip(our_grads, their_grads)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"gradient of leaf {position}")


def test_recorded_in_place_chain():
    def program(lib, x, z):
        y = x * 2
        y += z
        y.mul_(z)
        y.sub_(x, alpha=0.5)
        y /= z * z + 1
        y.clamp_(-1.0, 1.5)
        y.addcmul_(x, z, value=0.25)
        y.addcdiv_(x, z * z + 1, value=2)
        y.lerp_(z, 0.3)
        return y

    assert_same(program, random_array((2, 3)), random_array((2, 3), seed=1))


def test_broadcast_operands_in_place():
    def program(lib, x, row, scalar):
        y = x.exp()
        y = y * 1
        y.add_(row)
        y.mul_(scalar)
        y.pow_(2)
        return y

    assert_same(program, random_array((3, 4)), random_array((4,), seed=1), random_array((), seed=2))


def test_item_assignment():
    def program(lib, x, v):
        y = x * 1
        y[0] = v * 3
        y[:, 1] = 0.5
        y[y > 1.0] = -1.0
        y[1:, ::2] += v[:2]
        return y

    assert_same(program, random_array((3, 4)), random_array((4,), seed=1))


def test_copy_fill_zero_on_non_leaves():
    def program(lib, x, v, s):
        y = x * 2
        y[0].copy_(v)
        y[:, 1:].mul_(s)
        y.view(-1).add_(1.0)
        z = (x + 1) * 1
        z.fill_(s)
        w = (x * 3)
        w.zero_()
        u = x * 1
        u.copy_(v)
        return y + z + w + u

    assert_same(program, random_array((2, 3)), random_array((3,), seed=1), random_array((), seed=2))


def test_unrecorded_updates():
    results = []
    for lib in (ag, torch):
        w = lib.tensor(random_array((3,)), requires_grad=True)
        (w * w).sum().backward()
        with lib.no_grad():
            w -= 0.1 * w.grad
            w.mul_(0.9)
        w.grad.zero_()
        w.data.add_(lib.tensor(random_array((3,), seed=1)), alpha=0.5)
        (w ** 3).sum().backward()
        results.append((w.detach().numpy().copy(), w.grad.numpy().copy(), w._version if lib is torch else None))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_leaf_rule_matches_torch():
    for lib in (ag, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
            w.add_(1)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            w[0:1].mul_(2)


def test_version_counter_matches_torch():
    counts = []
    for lib in (ag, torch):
        x = lib.zeros(3)
        v = x[1:]
        x.add_(1)
        v.mul_(2)
        x[0] = 5.0
        y = x.detach()
        y.zero_()
        counts.append(x._version if lib is torch else x._version[0])
    assert counts[0] == counts[1]


def make_cube(lib):
    class Cube(lib.autograd.Function if lib is torch else ag.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x * x * x * scale, x.exp()

        @staticmethod
        def backward(ctx, grad_cube, grad_exp):
            (x,) = ctx.saved_tensors
            return grad_cube * 3 * x * x * ctx.scale + grad_exp * x.exp(), None

    return Cube


def test_custom_function_first_and_second_derivatives():
    results = []
    for lib in (ag, torch):
        x = lib.tensor(random_array((4,)), requires_grad=True)
        cube, exp = make_cube(lib).apply(x, 0.5)
        out = (cube * 2 + exp).sum()
        grad_fn = lib.autograd.grad if lib is torch else ag.grad
        (g,) = grad_fn(out, x, create_graph=True)
        (h,) = grad_fn((g * g).sum(), x)
        results.append((g.detach().numpy().copy(), h.numpy().copy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_hooks_and_retain_grad_order():
    results = []
    for lib in (ag, torch):
        x = lib.tensor(random_array((3,)), requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 3)
        handle = y.register_hook(lambda g: g + 1)
        x.register_hook(lambda g: g * 0.5)
        (y * y).sum().backward(retain_graph=True)
        first = (y.grad.numpy().copy(), x.grad.numpy().copy())
        handle.remove()
        (y * y).sum().backward()
        results.append(first + (y.grad.numpy().copy(), x.grad.numpy().copy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_casts_and_clone():
    def program(lib, x):
        y = x.float() * 3
        z = y.double().clone() + x.to(lib.float32).to(lib.float64)
        return z.contiguous() * x.type_as(z)

    (ours, our_grads), (theirs, their_grads) = run_both(program, random_array((2, 3)))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose(our_grads[0], their_grads[0], rtol=1e-6)


def test_gradcheck_verdicts_match_torch():
    def wrong(lib):
        class Wrong(lib.autograd.Function if lib is torch else ag.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.sin()

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * x.cos() * 1.01

        return Wrong

    for lib, check in ((ag, ag.gradcheck), (torch, torch.autograd.gradcheck)):
        x = lib.tensor(random_array((3,)), requires_grad=True)
        assert check(lambda t: t.sin() * t, (x,), eps=1e-6, atol=1e-5, rtol=1e-3)
        assert check(wrong(lib).apply, (x,), eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=False) is False
