"""The sequence ops of nn's recurrent layers (autograd_core/ops/recurrent_sequence.py).

Against the same recurrence composed step by step of public ops: values, first derivatives
(the plain backward: BPTT with the kernels), derivatives under create_graph (the xp rule) and
a second-order quantity through it.  Then central finite differences (gradcheck) and
gradgradcheck in float64 over several shapes (T = 1, B = 1, H = 1, both directions, GRU with
and without b_hn), backward twice, long sequences, float32, and the errors.  Forward mode is
in tests/forward_ad/test_jvp_table.py, torch in tests/nn/test_rnn_sequence_torch.py.
"""
import sys

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.ops import recurrent_sequence as rs

rng = np.random.default_rng(5)


# -- the recurrence composed of public ops, one step at a time ---------------------------------------
def composed(kind, projected, h0, c0, weight_hh, bias_hn=None, reverse=False):
    steps, size = projected.shape[0], h0.shape[-1]
    h, c = h0, c0
    hs, cs = [None] * steps, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        if kind == "lstm":
            i, f, g, o = ag.chunk(ag.linear(h, weight_hh, projected[t]), 4, dim=-1)
            c = ag.sigmoid(f) * c + ag.sigmoid(i) * ag.tanh(g)
            h = ag.sigmoid(o) * ag.tanh(c)
        elif kind == "gru":
            hh = ag.linear(h, weight_hh)
            hn = hh[:, 2 * size:] if bias_hn is None else hh[:, 2 * size:] + bias_hn
            r, z = ag.chunk(ag.sigmoid(projected[t][:, :2 * size] + hh[:, :2 * size]), 2, dim=-1)
            n = ag.tanh(projected[t][:, 2 * size:] + r * hn)
            h = (1 - z) * n + z * h
        else:
            pre = ag.linear(h, weight_hh, projected[t])
            h = ag.tanh(pre) if kind == "tanh" else ag.relu(pre)
        hs[t], cs[t] = h, c
    if kind == "lstm":
        return ag.stack([ag.stack(hs, 0), ag.stack(cs, 0)], 0)
    return ag.stack(hs, 0)


def fused(kind, projected, h0, c0, weight_hh, bias_hn=None, reverse=False):
    if kind == "lstm":
        return rs.lstm_sequence(projected, h0, c0, weight_hh, reverse=reverse)
    if kind == "gru":
        return rs.gru_sequence(projected, h0, weight_hh, bias_hn, reverse=reverse)
    return rs.rnn_sequence(projected, h0, weight_hh, kind, reverse=reverse)


BLOCKS = {"lstm": 4, "gru": 3, "tanh": 1, "relu": 1}


def make_inputs(kind, steps, batch, size, bias=True, dtype=np.float64, scale=1.0):
    """(projected, h0, c0 or None, weight_hh, bias_hn or None) as arrays; relu inputs kept off 0."""
    gates = BLOCKS[kind] * size
    projected = rng.uniform(-1.5, 1.5, (steps, batch, gates)) * scale
    if kind == "relu":
        projected = np.where(np.abs(projected) < 0.2, 0.6, projected) + 0.3  # mostly positive, away from the kink
    arrays = [projected, rng.uniform(-0.8, 0.8, (batch, size)),
              rng.uniform(-0.8, 0.8, (batch, size)) if kind == "lstm" else None,
              rng.uniform(-0.6, 0.6, (gates, size)) / np.sqrt(size),
              rng.uniform(-0.5, 0.5, size) if kind == "gru" and bias else None]
    return [None if a is None else a.astype(dtype) for a in arrays]


def tensors(arrays):
    return [None if a is None else ag.tensor(a, requires_grad=True) for a in arrays]


SHAPES = [(4, 3, 2), (1, 2, 3), (3, 1, 2), (3, 2, 1)]  # (T, B, H): T = 1, B = 1, H = 1
CASES = [pytest.param(kind, shape, reverse, bias, id=f"{kind}-{'x'.join(map(str, shape))}"
                      f"{'-reverse' if reverse else ''}{'' if bias else '-no_bias'}")
         for kind in ("lstm", "gru", "tanh", "relu") for shape in SHAPES for reverse in (False, True)
         for bias in ((True, False) if kind == "gru" else (True,))]


def _differentiable(inputs):
    return [x for x in inputs if x is not None]


@pytest.mark.parametrize("kind, shape, reverse, bias", CASES)
def test_values_and_gradients_equal_the_step_by_step_composition(kind, shape, reverse, bias):
    arrays = make_inputs(kind, *shape, bias=bias)
    weights = rng.standard_normal(fused(kind, *[None if a is None else ag.tensor(a) for a in arrays],
                                        reverse=reverse).shape)
    results = []
    for function in (fused, composed):
        inputs = tensors(arrays)
        leaves = _differentiable(inputs)
        out = function(kind, *inputs, reverse=reverse)
        loss = (out * ag.tensor(weights)).sum()
        plain = ag.autograd.grad(loss, leaves, retain_graph=True)  # the plain backward (BPTT kernels)
        grads = ag.autograd.grad(loss, leaves, create_graph=True)  # the xp rule
        # (relu with T = 1: the gradient of projected is a constant, so allow_unused)
        second = ag.autograd.grad(sum((g * g).sum() for g in grads), leaves, allow_unused=True)
        results.append((out.detach().numpy(), [g.numpy() for g in plain], [g.detach().numpy() for g in grads],
                        [np.zeros(x.shape) if g is None else g.numpy() for g, x in zip(second, leaves)]))
    (out, plain, grads, second), (out_c, plain_c, grads_c, second_c) = results
    np.testing.assert_allclose(out, out_c, rtol=1e-13, atol=1e-14)
    for mine, theirs in zip(plain + grads + second, plain_c + grads_c + second_c):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


GRADCHECK_CASES = [pytest.param(kind, shape, reverse, id=f"{kind}-{'x'.join(map(str, shape))}"
                                f"{'-reverse' if reverse else ''}")
                   for kind in ("lstm", "gru", "tanh", "relu") for shape in [(3, 2, 2), (1, 1, 1), (2, 1, 3)]
                   for reverse in (False, True)]


@pytest.mark.parametrize("kind, shape, reverse", GRADCHECK_CASES)
def test_gradients_match_finite_differences(kind, shape, reverse):
    inputs = _differentiable(tensors(make_inputs(kind, *shape)))
    assert ag.gradcheck(lambda *xs: _call(kind, xs, reverse), inputs)


@pytest.mark.parametrize("kind, shape, reverse", GRADCHECK_CASES)
def test_second_derivatives_match_finite_differences(kind, shape, reverse):
    inputs = _differentiable(tensors(make_inputs(kind, *shape)))
    assert ag.gradgradcheck(lambda *xs: _call(kind, xs, reverse), inputs)


def _call(kind, inputs, reverse):
    """The op on a list without the Nones (c0 only for LSTM, bias_hn for GRU)."""
    if kind == "lstm":
        return rs.lstm_sequence(*inputs, reverse=reverse)
    if kind == "gru":
        return rs.gru_sequence(*inputs, reverse=reverse)
    return rs.rnn_sequence(*inputs, nonlinearity=kind, reverse=reverse)


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh", "relu"])
def test_backward_twice_with_retain_graph_recomputes_the_freed_activations(kind):
    inputs = _differentiable(tensors(make_inputs(kind, 3, 2, 2)))
    loss = (_call(kind, inputs, False) ** 2).sum()
    loss.backward(retain_graph=True)
    first = [x.grad.numpy().copy() for x in inputs]
    for x in inputs:
        x.grad = None
    loss.backward()
    for x, expected in zip(inputs, first):
        np.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh", "relu"])
def test_float32_matches_float64(kind):
    arrays = make_inputs(kind, 6, 3, 5)
    results = []
    for dtype in (np.float32, np.float64):
        inputs = _differentiable(tensors([None if a is None else a.astype(dtype) for a in arrays]))
        out = _call(kind, inputs, False)
        out.sum().backward()
        assert out.dtype == (ag.float32 if dtype == np.float32 else ag.float64)
        assert all(x.grad.dtype == out.dtype for x in inputs)
        results.append([out.detach().numpy()] + [x.grad.numpy() for x in inputs])
    for single, double in zip(*results):
        np.testing.assert_allclose(single, double, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh", "relu"])
@pytest.mark.parametrize("steps, create_graph", [(2000, False), (100, True)])
def test_long_sequence_backward_does_not_recurse(kind, steps, create_graph):
    """BPTT is a loop: 2000 steps (plain backward), and 100 steps of the recorded rule (~4000 ops)."""
    inputs = _differentiable(tensors(make_inputs(kind, steps, 2, 3, scale=0.5)))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(250)  # far below the depth of any recursion over the steps
    try:
        out = _call(kind, inputs, False)
        (grad,) = ag.autograd.grad(out[-1].sum() if kind != "lstm" else out[:, -1].sum(), [inputs[0]],
                                   create_graph=create_graph)
        if create_graph:
            (grad * grad).sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    values = grad.detach().numpy()
    assert values.shape == inputs[0].shape and np.all(np.isfinite(values))
    assert np.any(values[-1] != 0)


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh"])
def test_saturated_float32_gates_give_no_warning_and_finite_gradients(kind):
    import warnings

    arrays = make_inputs(kind, 5, 2, 3, dtype=np.float32, scale=200.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inputs = _differentiable(tensors(arrays))
        _call(kind, inputs, False).sum().backward()
    assert all(np.all(np.isfinite(x.grad.numpy())) for x in inputs)


def test_errors_name_the_op_and_the_shapes():
    projected, h0, c0, weight, _ = (ag.tensor(a) if a is not None else None for a in make_inputs("lstm", 3, 2, 4))
    with pytest.raises(ValueError, match=r"lstm_sequence: expected projected \(T >= 1, B, 4H\).*h0 \(2, 3\)"):
        rs.lstm_sequence(projected, ag.zeros(2, 3, dtype=ag.float64), c0, weight)
    with pytest.raises(ValueError, match=r"lstm_sequence: .*weight_hh \(16, 3\)"):
        rs.lstm_sequence(projected, h0, c0, weight[:, :3])
    with pytest.raises(ValueError, match=r"lstm_sequence: .*projected \(0, 2, 16\)"):
        rs.lstm_sequence(projected[:0], h0, c0, weight)
    with pytest.raises(TypeError, match=r"lstm_sequence: all inputs must have one floating dtype.*c0 float32"):
        rs.lstm_sequence(projected, h0, c0.float(), weight)
    gru = [ag.tensor(a) if a is not None else None for a in make_inputs("gru", 3, 2, 4)]
    with pytest.raises(ValueError, match=r"gru_sequence: .*bias_hn \(3,\)"):
        rs.gru_sequence(gru[0], gru[1], gru[3], gru[4][:3])
    elman = [ag.tensor(a) if a is not None else None for a in make_inputs("tanh", 3, 2, 4)]
    with pytest.raises(ValueError, match="rnn_sequence: nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        rs.rnn_sequence(elman[0], elman[1], elman[3], "gelu")
    with pytest.raises(ValueError, match=r"rnn_sequence: expected .*got projected \(2, 4\)"):
        rs.rnn_sequence(elman[0][0], elman[1], elman[3])


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh", "relu"])
def test_inputs_without_grad_leave_the_others_unchanged(kind):
    """The plain backward skips the products that only feed an input needing no gradient (h0, W_hh)."""
    arrays = make_inputs(kind, 4, 2, 3)
    all_inputs = _differentiable(tensors(arrays))
    (_call(kind, all_inputs, True) ** 2).sum().backward()
    some = [ag.tensor(a, requires_grad=position == 0) for position, a in enumerate(_differentiable(arrays))]
    (_call(kind, some, True) ** 2).sum().backward()
    np.testing.assert_array_equal(some[0].grad.numpy(), all_inputs[0].grad.numpy())
    assert all(x.grad is None for x in some[1:])
