"""autograd_core.utils.checkpoint: the same gradients as without checkpointing, in float64.

An MLP with dropout (the recomputation must draw the same masks), parameters reached
through the module (not passed as arguments), inputs that do not require grad,
keyword arguments, tuple outputs, autograd_core.grad, and checkpoint_sequential.
The torch comparison is test_checkpoint_torch.py.
"""
import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.utils.checkpoint import checkpoint, checkpoint_sequential


def _mlp(depth=6, width=16, p=0.3):
    ag.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh(), nn.Dropout(p)]
    return nn.Sequential(*layers, nn.Linear(width, 1)).double()


def _gradients(model, x, run):
    """Parameter and input gradients of sum(run(model, x)^2), with the random state fixed first."""
    model.zero_grad()
    x = x.detach().requires_grad_(True)
    ag.manual_seed(42)
    (run(model, x) ** 2).sum().backward()
    return [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]


def _assert_same(a, b):
    assert len(a) == len(b)
    for left, right in zip(a, b):
        np.testing.assert_allclose(left, right, rtol=1e-13, atol=1e-15)


X = np.random.default_rng(0).standard_normal((8, 16))


def test_checkpoint_every_layer_gives_the_plain_gradients_with_dropout():
    model = _mlp()
    x = ag.tensor(X)
    plain = _gradients(model, x, lambda m, v: m(v))

    def checkpointed(m, v):
        for layer in m:
            v = checkpoint(layer, v, use_reentrant=False)
        return v

    _assert_same(_gradients(model, x, checkpointed), plain)


@pytest.mark.parametrize("segments", [1, 2, 3, 19])
def test_checkpoint_sequential_gives_the_plain_gradients(segments):
    model = _mlp()
    x = ag.tensor(X)
    plain = _gradients(model, x, lambda m, v: m(v))
    _assert_same(_gradients(model, x, lambda m, v: checkpoint_sequential(m, segments, v, use_reentrant=False)), plain)


def test_without_preserved_rng_state_the_recomputed_mask_differs():
    model = _mlp(depth=1, p=0.5)
    x = ag.tensor(X)
    plain = _gradients(model, x, lambda m, v: m(v))
    other = _gradients(model, x, lambda m, v: checkpoint(m, v, preserve_rng_state=False))
    assert any(not np.allclose(a, b) for a, b in zip(plain, other))


def test_parameters_reach_autograd_grad_and_inputs_need_not_require_grad():
    model = _mlp(depth=2, p=0.0)
    x = ag.tensor(X)  # does not require grad: the gradients still reach the parameters
    params = list(model.parameters())
    plain = ag.grad((model(x) ** 2).sum(), params)
    through = ag.grad((checkpoint(model, x) ** 2).sum(), params)
    _assert_same([g.numpy() for g in through], [g.numpy() for g in plain])


def test_keyword_arguments_non_tensor_arguments_and_tuple_outputs():
    a, b = ag.tensor(X[:2, :3], requires_grad=True), ag.tensor(X[2:4, :3], requires_grad=True)
    w = ag.tensor(X[4, :3], requires_grad=True)  # captured by the closure

    def f(u, power, v, scale=1.0):
        return (u * v * w) ** power * scale, "label", (u + v).exp()

    def loss(outputs):
        return outputs[0].sum() + outputs[2].sum()

    plain = ag.grad(loss(f(a, 3, b, scale=2.0)), [a, b, w])
    first, label, _ = outputs = checkpoint(f, a, 3, b, scale=2.0)
    assert label == "label"
    through = ag.grad(loss(outputs), [a, b, w])
    _assert_same([g.numpy() for g in through], [g.numpy() for g in plain])
    assert first.grad_fn is not None


def test_intermediates_are_not_kept_and_the_result_is_on_the_tape():
    x = ag.tensor(X[:2, :3], requires_grad=True)
    y = checkpoint(lambda v: v.exp().sin(), x)
    assert y.requires_grad
    # one node (the checkpoint) between y and x: the exp and sin of the first run were dropped
    assert [pair[0] for pair in y.grad_fn.next_functions if pair is not None] == [x]


def test_under_no_grad_it_is_a_plain_call():
    with ag.no_grad():
        y = checkpoint(lambda v: v * 2, ag.tensor([1.0], requires_grad=True))
    assert not y.requires_grad


def test_refusals():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3  # an intermediate captured by the closure
    with pytest.raises(RuntimeError, match="pass it as an argument"):
        checkpoint(lambda v: v * hidden, ag.tensor([1.0, 1.0], requires_grad=True))
    y = checkpoint(lambda v: v ** 3, x)
    (g,) = ag.grad(y.sum(), x, create_graph=False)
    np.testing.assert_allclose(g.numpy(), 3 * np.array([1.0, 4.0]))
    with pytest.raises(RuntimeError, match="create_graph=True"):
        ag.grad(checkpoint(lambda v: v ** 3, x).sum(), x, create_graph=True)
    with pytest.raises(ValueError, match="segments must be at least 1"):
        checkpoint_sequential([nn.Tanh()], 0, x)


def test_saved_inputs_are_freed_by_backward_unless_the_graph_is_retained():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = checkpoint(lambda v: (v ** 3).sum(), x)
    loss.backward(retain_graph=True)
    loss.backward()  # the retained graph runs again: gradients add up
    np.testing.assert_allclose(x.grad.numpy(), 2 * 3 * np.array([1.0, 4.0]))
    with pytest.raises(RuntimeError):
        loss.backward()  # now freed, as any saved activation
