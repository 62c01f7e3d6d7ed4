"""The fused softmax cross-entropy op: values, gradients (first and second order), ignore_index,
reductions, dtypes and errors; checked against numpy, finite differences and the unfused
log_softmax + gather composition."""
import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from helpers import check_gradients, random_array

SHAPES = [(1, 1), (1, 5), (4, 1), (3, 5), (6, 7)]


def _targets(shape, seed=0, ignore=()):
    rows, classes = shape
    targets = np.random.default_rng(seed).integers(0, classes, rows)
    for row in ignore:
        if row < rows:
            targets[row] = -100
    return targets


def _numpy_losses(x, targets, ignore_index=-100):
    """-log softmax(x)[n, t_n], 0 for ignored rows (float64 reference)."""
    x = x.astype(np.float64)
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    kept = targets != ignore_index
    safe = np.where(kept, targets, 0)
    return np.where(kept, -log_probs[np.arange(len(targets)), safe], 0.0), kept


def _unfused(x, targets, ignore_index=-100, reduction="mean"):
    """The same loss from log_softmax and a gather (the path the fused op replaces)."""
    kept = targets != ignore_index
    safe = np.where(kept, targets, 0)
    picked = ag.log_softmax(x, 1).gather(1, ag.tensor(safe.reshape(-1, 1))).reshape(-1)
    losses = -picked * ag.tensor(kept.astype(x.dtype))
    if reduction == "none":
        return losses
    total = losses.sum()
    return total if reduction == "sum" else total / float(kept.sum())


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_values_against_numpy(shape, reduction):
    x = random_array(shape, seed=1, low=-5, high=5)
    targets = _targets(shape, ignore=(1,) if shape[0] > 2 else ())
    out = ag.softmax_cross_entropy(ag.tensor(x), ag.tensor(targets), reduction=reduction)
    losses, kept = _numpy_losses(x, targets)
    expected = {"none": losses, "sum": losses.sum(), "mean": losses.sum() / kept.sum()}[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradients_against_finite_differences(shape, reduction):
    targets = _targets(shape, seed=2, ignore=(0,) if shape[0] > 1 else ())
    check_gradients(lambda x: ag.softmax_cross_entropy(x, ag.tensor(targets), reduction=reduction),
                    random_array(shape, seed=3))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_the_unfused_composition(reduction):
    x = random_array((8, 6), seed=4)
    targets = _targets((8, 6), seed=5, ignore=(2, 5))
    fused_x, unfused_x = ag.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
    fused = ag.softmax_cross_entropy(fused_x, ag.tensor(targets), reduction=reduction)
    unfused = _unfused(unfused_x, targets, reduction=reduction)
    np.testing.assert_allclose(fused.numpy(force=True), unfused.numpy(force=True), rtol=1e-12)
    upstream = random_array(fused.shape, seed=6)
    fused.backward(ag.tensor(upstream))
    unfused.backward(ag.tensor(upstream))
    np.testing.assert_allclose(fused_x.grad.numpy(), unfused_x.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_second_derivatives(reduction):
    targets = _targets((4, 5), seed=7, ignore=(1,))

    def first_derivative(x):
        loss = ag.softmax_cross_entropy(x, ag.tensor(targets), reduction=reduction)
        weights = ag.tensor(random_array(loss.shape, seed=8))
        (grad,) = ag.grad((loss * weights).sum(), x, create_graph=True)
        return grad

    check_gradients(first_derivative, random_array((4, 5), seed=9))


def test_second_derivative_matches_the_unfused_composition():
    x0 = random_array((5, 4), seed=10)
    targets = _targets((5, 4), seed=11, ignore=(3,))
    direction = ag.tensor(random_array((5, 4), seed=12))
    results = []
    for loss_fn in (lambda x: ag.softmax_cross_entropy(x, ag.tensor(targets)), lambda x: _unfused(x, targets)):
        x = ag.tensor(x0, requires_grad=True)
        (grad,) = ag.grad(loss_fn(x), x, create_graph=True)
        (hessian_vector,) = ag.grad((grad * direction).sum(), x)
        results.append(hessian_vector.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-14)


def test_ignore_index_inside_the_class_range():
    x = random_array((4, 3), seed=13)
    targets = np.array([0, 1, 2, 1])
    out = ag.softmax_cross_entropy(ag.tensor(x), ag.tensor(targets), ignore_index=1, reduction="none")
    losses, _ = _numpy_losses(x, targets, ignore_index=1)
    np.testing.assert_allclose(out.numpy(), losses, rtol=1e-12)
    assert out.numpy()[1] == 0 and out.numpy()[3] == 0
    check_gradients(lambda t: ag.softmax_cross_entropy(t, ag.tensor(targets), ignore_index=1), x)


def test_all_targets_ignored_gives_nan_and_zero_gradient():
    x = ag.tensor(random_array((3, 4)), requires_grad=True)
    loss = ag.softmax_cross_entropy(x, ag.tensor([-100, -100, -100]))
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))


def test_empty_batch():
    x = ag.zeros(0, 5, requires_grad=True)
    loss = ag.softmax_cross_entropy(x, ag.tensor(np.zeros(0, np.int64)))
    assert np.isnan(loss.item())
    loss.backward()
    assert x.grad.shape == (0, 5)
    assert ag.softmax_cross_entropy(x, ag.tensor(np.zeros(0, np.int64)), reduction="sum").item() == 0


def test_float32_stays_float32():
    x = ag.randn(6, 5, requires_grad=True)
    targets = ag.tensor([0, 1, 2, 3, 4, -100])
    for reduction in ("mean", "sum", "none"):
        loss = ag.softmax_cross_entropy(x, targets, reduction=reduction)
        assert loss.dtype == np.float32
    loss.sum().backward()
    assert x.grad.dtype == np.float32


def test_large_logits_stay_finite():
    x = ag.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]], requires_grad=True)
    loss = ag.softmax_cross_entropy(x, ag.tensor([1, 2]), reduction="none")
    np.testing.assert_allclose(loss.numpy(force=True), [1e4, np.log(3)], rtol=1e-6)
    loss.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_int32_targets():
    x = random_array((3, 4), seed=14)
    targets = np.array([3, 0, 2], dtype=np.int32)
    out = ag.softmax_cross_entropy(ag.tensor(x), ag.tensor(targets), reduction="none")
    np.testing.assert_allclose(out.numpy(), _numpy_losses(x, targets)[0], rtol=1e-12)


def test_errors_name_the_op_and_the_shapes():
    x = ag.randn(3, 4, requires_grad=True)
    with pytest.raises(IndexError, match=r"cross_entropy: target 4 is out of bounds for 4 classes"):
        ag.softmax_cross_entropy(x, ag.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match=r"target -1 is out of bounds"):
        ag.softmax_cross_entropy(x, ag.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected \(N, C\) logits and N integer class indices, "
                                         r"got logits of shape \(3, 4\) and a int64 target of shape \(2,\)"):
        ag.softmax_cross_entropy(x, ag.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"float32 target"):
        ag.softmax_cross_entropy(x, ag.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"logits of shape \(4,\)"):
        ag.softmax_cross_entropy(ag.randn(4), ag.tensor(1))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        ag.softmax_cross_entropy(x, ag.tensor([0, 1, 2]), reduction="avg")


def test_functional_cross_entropy_takes_the_fused_path():
    x = ag.randn(4, 3, requires_grad=True)
    assert F.cross_entropy(x, ag.tensor([0, 1, 2, 1])).grad_fn.op.__name__ == "SoftmaxCrossEntropy"
    # ... and the general path for what the fused op does not cover
    weight = ag.tensor([1.0, 2.0, 3.0])
    assert F.cross_entropy(x, ag.tensor([0, 1, 2, 1]), weight=weight).grad_fn.op.__name__ != "SoftmaxCrossEntropy"
    assert F.cross_entropy(x, ag.tensor([0, 1, 2, 1]), label_smoothing=0.1).grad_fn.op.__name__ != \
        "SoftmaxCrossEntropy"
