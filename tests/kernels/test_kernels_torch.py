"""The exported kernels against torch (CPU): values and gradients of each activation, the
softmax family and cross-entropy, in float32 and float64."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import autograd_core.kernels as kernels  # noqa: E402

ACTIVATIONS = [  # name, our parameters, torch function, backward takes the output
    ("relu", (), torch.relu, True),
    ("leaky_relu", (0.01,), lambda t: F.leaky_relu(t, 0.01), False),
    ("elu", (1.3,), lambda t: F.elu(t, 1.3), False),
    ("sigmoid", (), torch.sigmoid, True),
    ("tanh", (), torch.tanh, True),
    ("gelu", ("none",), F.gelu, False),
    ("gelu", ("tanh",), lambda t: F.gelu(t, approximate="tanh"), False),
    ("softplus", (1.0, 20.0), F.softplus, False),
    ("softplus", (2.0, 5.0), lambda t: F.softplus(t, 2.0, 5.0), False),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, params, torch_fn, from_output", ACTIVATIONS,
                         ids=[f"{a[0]}{list(a[1])}" for a in ACTIVATIONS])
def test_activation_value_and_gradient_match_torch(name, params, torch_fn, from_output, dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((300, 40)) * 4).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    tx = torch.from_numpy(x.copy()).requires_grad_()
    ty = torch_fn(tx)
    ty.backward(torch.from_numpy(g))
    y = getattr(kernels, name + "_forward")(x, *params)
    # A backward from the saved output gets torch's output: 1 - y (sigmoid) or 1 - y^2 (tanh) cancel
    # and would amplify the ulp-level differences between two forward results.
    saved = ty.detach().numpy() if from_output else x
    dx = getattr(kernels, name + "_backward")(g, saved, *params)
    eps = float(np.finfo(dtype).eps)
    # torch's gelu computes 0.5 x (1 + erf/tanh), which cancels for negative x: absolute error ~eps |x|
    atol = 4 * eps * np.abs(x) * (np.abs(g) + 1) if name == "gelu" else 0
    for what, ours, theirs in (("value", y, ty.detach().numpy()), ("gradient", dx, tx.grad.numpy())):
        assert ours.dtype == theirs.dtype
        excess = np.abs(ours - theirs) / (16 * eps * np.abs(theirs) + atol + np.finfo(dtype).tiny)
        worst = np.unravel_index(np.argmax(excess), excess.shape)
        assert excess[worst] <= 1, f"{what} at x={x[worst]!r}: ours {ours[worst]!r}, torch {theirs[worst]!r}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_family_matches_torch(dtype):
    x = (np.random.default_rng(1).standard_normal((4, 50, 3)) * 5).astype(dtype)
    x[0, 0, 0] = 1e4
    tx = torch.from_numpy(x)
    eps = float(np.finfo(dtype).eps)
    for dim in (0, 1, 2, -1):
        np.testing.assert_allclose(kernels.softmax_forward(x, dim), torch.softmax(tx, dim).numpy(), rtol=64 * eps, atol=eps)
        np.testing.assert_allclose(kernels.log_softmax_forward(x, dim), torch.log_softmax(tx, dim).numpy(),
                                   rtol=16 * eps, atol=16 * eps)
    for dims in ((1,), (0, 1), (1, 2), (0, 1, 2)):
        np.testing.assert_allclose(kernels.logsumexp_forward(x, dims, False), torch.logsumexp(tx, dims).numpy(),
                                   rtol=16 * eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_matches_torch(dtype):
    rng = np.random.default_rng(2)
    logits = (rng.standard_normal((64, 10)) * 3).astype(dtype)
    logits[0] = [1e4, -1e4] + [0] * 8
    targets = rng.integers(0, 10, 64)
    targets[::5] = -100
    tl = torch.from_numpy(logits.copy()).requires_grad_()
    per_row = F.cross_entropy(tl, torch.from_numpy(targets), reduction="none", ignore_index=-100)
    weights = rng.standard_normal(64).astype(dtype)
    per_row.backward(torch.from_numpy(weights))
    loss, probs = kernels.cross_entropy_forward(logits, targets)
    grad = kernels.cross_entropy_backward(weights, probs, targets)
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(loss, per_row.detach().numpy(), rtol=16 * eps, atol=16 * eps)
    np.testing.assert_allclose(grad, tl.grad.numpy(), rtol=16 * eps, atol=16 * eps)
