"""nn.RNN / GRU / LSTM, now one sequence op per layer-direction (autograd_core/ops/recurrent_sequence.py),
against torch: the smallest shapes (T = 1, B = 1, H = 1) in every layout, second derivatives
(a gradient penalty differentiated again, torch's double backward), and float32 at the
benchmark's size.  The broad layer comparisons are in test_rnn_torch.py."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402
from tests.nn.test_rnn_torch import compare, pair, random  # noqa: E402

MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("GRU", {}), ("GRU", {"bias": False}), ("LSTM", {})]
MODE_IDS = [f"{cls}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for cls, kw in MODES]


@pytest.mark.parametrize("cls, kwargs", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("steps, batch, hidden", [(1, 1, 1), (1, 3, 2), (5, 1, 1), (4, 2, 3)])
@pytest.mark.parametrize("layout", ["plain", "bidirectional-2-layers", "batch_first", "unbatched"])
def test_small_shapes_match_torch(cls, kwargs, steps, batch, hidden, layout):
    options = dict(kwargs)
    if layout == "bidirectional-2-layers":
        options.update(bidirectional=True, num_layers=2)
    if layout == "batch_first":
        options.update(batch_first=True)
    ours, theirs = pair(cls, 2, hidden, **options)
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    if layout == "unbatched":
        x, state_shape = random((steps, 2), 1), (layers, hidden)
    else:
        x = random((batch, steps, 2) if options.get("batch_first") else (steps, batch, 2), 1)
        state_shape = (layers, batch, hidden)
    state = (random(state_shape, 2), random(state_shape, 3)) if cls == "LSTM" else random(state_shape, 2)
    compare(ours, theirs, [x, state])
    compare(ours, theirs, [x])


def _penalty_gradients(module, library, x, weights):
    """Gradients of sum(grad^2) (grad: of sum(output * weights) w.r.t. input and parameters)."""
    grad = ag.autograd.grad if library is ag else torch.autograd.grad
    output = module(x)[0]
    leaves = [x] + list(module.parameters())
    first = grad((output * weights).sum(), leaves, create_graph=True)
    penalty = sum((g * g).sum() for g in first)
    return [g.detach().numpy() for g in grad(penalty, leaves)]


@pytest.mark.parametrize("cls, kwargs", MODES, ids=MODE_IDS)
def test_double_backward_matches_torch(cls, kwargs):
    ours, theirs = pair(cls, 2, 3, bidirectional=True, **kwargs)
    x = random((4, 2, 2), 4)
    weights = random((4, 2, 6), 5)
    mine = _penalty_gradients(ours, ag, ag.tensor(x, requires_grad=True), ag.tensor(weights))
    expected = _penalty_gradients(theirs, torch, torch.tensor(x, requires_grad=True), torch.from_numpy(weights))
    for position, (a, b) in enumerate(zip(mine, expected)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11, err_msg=f"second-order gradient {position}")


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
def test_float32_at_the_benchmark_size_matches_torch(cls):
    """Hidden 64 over 40 steps in float32 (the fused kernels' sigmoid/tanh against torch's)."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls)(1, 64, bidirectional=True)
    ours = getattr(nn, cls)(1, 64, bidirectional=True)
    ours.load_state_dict({key: ag.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()})
    x = random((40, 8, 1), 6).astype(np.float32)
    mine, expected = ours(ag.tensor(x))[0], theirs(torch.from_numpy(x))[0]
    np.testing.assert_allclose(mine.detach().numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    mine.sum().backward()
    expected.sum().backward()
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        scale = float(np.abs(theirs_params[name].grad.numpy()).max())
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-4, atol=1e-5 * scale,
                                   err_msg=name)
