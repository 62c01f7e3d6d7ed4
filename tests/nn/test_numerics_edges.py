"""Every loss and activation at the edges, without torch: finite, warning-free, and exact where
the answer has a closed form.

The cases (logits at +-1e4, probabilities exactly 0 and 1, in float32 and float64) are in
`numerics_edge_cases.py`; `test_numerics_edges_torch.py` compares the same calls with torch.
A numpy RuntimeWarning (overflow in exp, log of 0, 0/0) is an error here: a user would see it
printed, and it usually means an inf or nan was computed and then discarded, or kept.
"""
import math

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from numerics_edge_cases import CASES, DTYPES, differentiated, ours_inputs, output_weights

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_values_and_first_and_second_derivatives_are_finite(case, dtype):
    tensors = ours_inputs(case, dtype)
    out = case.ours(*tensors)
    assert out.dtype == np.dtype(dtype), f"{case.name}: {out.dtype} out of {dtype} in"
    assert np.isfinite(out.detach().numpy()).all(), f"{case.name}: value {out}"
    objective = (out * ag.tensor(output_weights(tuple(out.shape), dtype))).sum()
    leaves = differentiated(case, tensors)
    # The plain backward (the kernels) and the rules under create_graph, then their derivative.
    plain = ag.grad(objective, leaves, retain_graph=True)
    recorded = ag.grad(objective, leaves, create_graph=True)
    for position, (fast, rule) in enumerate(zip(plain, recorded)):
        assert np.isfinite(fast.numpy()).all(), f"{case.name}: gradient {position} {fast}"
        assert np.isfinite(rule.detach().numpy()).all(), f"{case.name}: create_graph gradient {position} {rule}"
    differentiable = [g for g in recorded if g.requires_grad]
    if differentiable:
        total = sum(g.sum() for g in differentiable)
        second = ag.grad(total, leaves, allow_unused=True)
        for position, grad in enumerate(second):
            if grad is not None:
                assert np.isfinite(grad.numpy()).all(), f"{case.name}: second derivative {position} {grad}"


# -- closed forms: the digits that the old formulas lost ----------------------------------
def test_binary_cross_entropy_keeps_the_digits_of_log1p_near_zero():
    """-log(1 - p) for small p in float32: computed as log(1 - p) it was 1.3e-5 relative off at 1e-3."""
    p = np.array([1e-3, 3e-4, 1e-5, 1e-7], np.float32)
    loss = F.binary_cross_entropy(ag.tensor(p), ag.zeros(4), reduction="none").numpy()
    exact = -np.log1p(-p.astype(np.float64))
    np.testing.assert_allclose(loss, exact, rtol=2e-7)


def test_binary_cross_entropy_clamps_the_logs_at_minus_100_as_torch():
    p = ag.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    y = ag.tensor([1.0, 0.0, 0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(loss.detach().numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    # d/dp = (p - y) / max(p (1 - p), 1e-12), torch's formula.
    np.testing.assert_allclose(p.grad.numpy(), [-1e12, 1e12, 0.0, 0.0], rtol=1e-6)
    # d/dy = log(1 - p) - log(p) with the same clamps: +-100, where torch's -logit(p) is +-inf.
    np.testing.assert_array_equal(y.grad.numpy(), [100.0, -100.0, 100.0, -100.0])


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_with_logits_gradient_keeps_small_values(dtype):
    """d/dx = (1 - y) sigmoid(x) - p y sigmoid(-x): ~1e-9 far from the target's side, not 0.

    The old composition (1 - y) - l sigmoid(-x) gave 0 for y = 0, x = -20 in float32; torch's
    sigmoid(x) - y gives 0 for y = 1, x = 20.  Both are sigmoid(-20) = 2.06e-9 in size.
    """
    x = ag.tensor(np.array([-20.0, 20.0, -30.0, 30.0], dtype), requires_grad=True)
    y = ag.tensor(np.array([0.0, 1.0, 0.0, 1.0], dtype))
    F.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    exact = [_sigmoid(-20.0), -_sigmoid(-20.0), _sigmoid(-30.0), -_sigmoid(-30.0)]
    np.testing.assert_allclose(x.grad.numpy(), exact, rtol=1e-6)
    weighted = ag.tensor(np.array([-20.0, 20.0], dtype), requires_grad=True)
    F.binary_cross_entropy_with_logits(weighted, ag.tensor(np.array([0.0, 1.0], dtype)), reduction="sum",
                                       pos_weight=ag.tensor(np.array([3.0], dtype))).backward()
    np.testing.assert_allclose(weighted.grad.numpy(), [_sigmoid(-20.0), -3 * _sigmoid(-20.0)], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softsign_gradient_does_not_cancel_far_out(dtype):
    """d/dx x / (1 + |x|) = 1 / (1 + |x|)^2; composed, 1/(1+|x|) - |x|/(1+|x|)^2 kept 3 digits at 1e4."""
    values = np.array([-1e4, -1e3, 1e3, 1e4], dtype)
    x = ag.tensor(values, requires_grad=True)
    F.softsign(x).sum().backward()
    exact = 1.0 / (1.0 + np.abs(values.astype(np.float64))) ** 2
    np.testing.assert_allclose(x.grad.numpy(), exact, rtol=4 * np.finfo(dtype).eps)
    (second,) = ag.grad(ag.grad(F.softsign(x).sum(), x, create_graph=True)[0].sum(), x)
    exact_second = -2 * np.sign(values) / (1.0 + np.abs(values.astype(np.float64))) ** 3
    np.testing.assert_allclose(second.numpy(), exact_second, rtol=8 * np.finfo(dtype).eps)


def test_elu_rule_under_create_graph_does_not_overflow_for_large_inputs():
    """The rule's e^x was evaluated (and discarded) for x = 1e4 too: an overflow warning."""
    x = ag.tensor([1e4, 100.0, -1e4], requires_grad=True)
    (grad,) = ag.grad(F.elu(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(grad.detach().numpy(), [1.0, 1.0, 0.0])
    (second,) = ag.grad(grad.sum(), x)
    np.testing.assert_array_equal(second.numpy(), [0.0, 0.0, 0.0])
