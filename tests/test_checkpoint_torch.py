"""autograd_core.utils.checkpoint against torch.utils.checkpoint: the same MLP, float64, equal gradients.

Dropout is left out here (the two libraries' generators draw different masks); the
dropout case is checked against our own un-checkpointed run in test_checkpoint.py.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.utils.checkpoint as torch_checkpoint  # noqa: E402

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402
from autograd_core.utils.checkpoint import checkpoint, checkpoint_sequential  # noqa: E402


def _models(depth=5, width=12):
    ag.manual_seed(3)
    ours = nn.Sequential(*[m for _ in range(depth) for m in (nn.Linear(width, width), nn.GELU())]).double()
    theirs = torch.nn.Sequential(*[m for _ in range(depth) for m in (torch.nn.Linear(width, width),
                                                                     torch.nn.GELU())]).double()
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))
    return ours, theirs


X = np.random.default_rng(1).standard_normal((6, 12))


def _grads(model, x, run):
    x = x.detach().requires_grad_(True)
    (run(model, x) ** 2).sum().backward()
    return [p.grad.detach().numpy() for p in model.parameters()] + [x.grad.detach().numpy()]


@pytest.mark.parametrize("how", ["each_layer", "sequential_3"])
def test_checkpointed_gradients_equal_torch(how):
    ours, theirs = _models()
    if how == "each_layer":
        def run_ours(m, v):
            for layer in m:
                v = checkpoint(layer, v, use_reentrant=False)
            return v

        def run_theirs(m, v):
            for layer in m:
                v = torch_checkpoint.checkpoint(layer, v, use_reentrant=False)
            return v
    else:
        def run_ours(m, v):
            return checkpoint_sequential(m, 3, v, use_reentrant=False)

        def run_theirs(m, v):
            return torch_checkpoint.checkpoint_sequential(m, 3, v, use_reentrant=False)

    for a, b in zip(_grads(ours, ag.tensor(X), run_ours), _grads(theirs, torch.tensor(X), run_theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
