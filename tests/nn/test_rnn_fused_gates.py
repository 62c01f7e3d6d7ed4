"""The fused GRU/LSTM gate ops (autograd_core/ops/recurrent.py) against the same step composed of public ops.

Values, first derivatives (plain backward, which reuses the forward's gates) and derivatives
under create_graph (the xp rule) must equal the composition's; finite differences and
gradgradcheck are in tests/test_second_order_all_ops.py, torch in tests/nn/test_rnn_torch.py.
"""
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.ops import recurrent

rng = np.random.default_rng(11)
H = 3


def composed_gru(prz, pn, hh, h):
    r, z = ag.chunk(ag.sigmoid(prz + hh[:, :2 * H]), 2, dim=-1)
    n = ag.tanh(pn + r * hh[:, 2 * H:])
    return n + z * (h - n)


def composed_lstm_state(gates, c):
    i, f, g, _ = ag.chunk(gates, 4, dim=-1)
    return ag.sigmoid(f) * c + ag.sigmoid(i) * ag.tanh(g)


def composed_lstm_output(gates, c_new):
    return ag.sigmoid(gates[:, 3 * H:]) * ag.tanh(c_new)


CASES = [
    (recurrent.gru_cell_update, composed_gru, [(4, 2 * H), (4, H), (4, 3 * H), (4, H)]),
    (recurrent.lstm_cell_state, composed_lstm_state, [(4, 4 * H), (4, H)]),
    (recurrent.lstm_cell_output, composed_lstm_output, [(4, 4 * H), (4, H)]),
]


@pytest.mark.parametrize("fused, composed, shapes", CASES, ids=["gru", "lstm_state", "lstm_output"])
def test_fused_gates_equal_the_composition(fused, composed, shapes):
    arrays = [rng.standard_normal(shape) * 2 for shape in shapes]
    weights = rng.standard_normal(shapes[-1])
    results = []
    for function in (fused, composed):
        inputs = [ag.tensor(a, requires_grad=True) for a in arrays]
        out = function(*inputs)
        loss = (out * ag.tensor(weights)).sum()
        grads = ag.autograd.grad(loss, inputs, create_graph=True)
        # a second-order quantity through the create_graph rule: d/dinputs of sum(grad^2)
        second = ag.autograd.grad(sum((g * g).sum() for g in grads), inputs)
        plain = ag.autograd.grad((function(*inputs) * ag.tensor(weights)).sum(), inputs)  # the plain backward
        results.append((out.detach().numpy(), [g.detach().numpy() for g in grads],
                        [g.numpy() for g in second], [g.numpy() for g in plain]))
    (out, grads, second, plain), (out_c, grads_c, second_c, plain_c) = results
    np.testing.assert_allclose(out, out_c, rtol=1e-12, atol=1e-14)
    for mine, theirs in zip(grads + second + plain, grads_c + second_c + plain_c):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


def test_backward_twice_with_retain_graph_recomputes_the_freed_gates():
    gates, c = (ag.tensor(rng.standard_normal(s), requires_grad=True) for s in [(2, 4 * H), (2, H)])
    c_new = recurrent.lstm_cell_state(gates, c)
    out = recurrent.lstm_cell_output(gates, c_new).sum()
    out.backward(retain_graph=True)
    first = gates.grad.numpy().copy()
    gates.grad = None
    out.backward()
    np.testing.assert_allclose(gates.grad.numpy(), first, rtol=1e-12)


def test_float32_saturated_gates_give_no_overflow_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gates = ag.tensor((rng.standard_normal((2, 4 * H)) * 200).astype(np.float32), requires_grad=True)
        c = ag.tensor(rng.standard_normal((2, H)).astype(np.float32), requires_grad=True)
        h = recurrent.lstm_cell_output(gates, recurrent.lstm_cell_state(gates, c))
        h.sum().backward()
    assert h.dtype == ag.float32 and np.all(np.isfinite(gates.grad.numpy()))
