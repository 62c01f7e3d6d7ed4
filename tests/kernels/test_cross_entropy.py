"""The fused softmax cross-entropy kernel against its numpy twin (log_softmax + gather)."""
import numpy as np
import pytest

from autograd_core.kernels import cross_entropy, reference_loss
from kernel_testing import DTYPES


def _problem(rows, classes, dtype, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((rows, classes)) * scale).astype(dtype)
    targets = rng.integers(0, classes, rows)
    return logits, targets, rng.standard_normal(rows).astype(dtype)


def _compare(logits, targets, g, ignore_index=-100):
    """Forward and backward of the kernel against the twin evaluated in float64 (the truth)."""
    dtype = logits.dtype
    eps = float(np.finfo(dtype).eps)
    loss, probs = cross_entropy.cross_entropy_forward(logits, targets, ignore_index)
    true_loss, true_probs = reference_loss.cross_entropy_forward(logits.astype(np.float64), targets, ignore_index)
    assert loss.dtype == probs.dtype == dtype
    assert loss.shape == targets.shape and probs.shape == logits.shape
    # the loss is log(sum) - (x_t - max): a difference of terms up to |x_t - max| + log(sum)
    np.testing.assert_allclose(loss, true_loss, rtol=0, atol=8 * eps * np.max(np.abs(true_loss) + 1, initial=0))
    np.testing.assert_allclose(probs, true_probs, rtol=0, atol=4 * eps)
    grad = cross_entropy.cross_entropy_backward(g, probs, targets, ignore_index)
    true_grad = reference_loss.cross_entropy_backward(g.astype(np.float64), true_probs, targets, ignore_index)
    assert grad.dtype == dtype and grad.shape == logits.shape
    np.testing.assert_allclose(grad, true_grad, rtol=0, atol=8 * eps * np.max(np.abs(g), initial=0))
    return loss, grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, classes", [(1, 1), (1, 10), (7, 3), (512, 1000), (1000, 37)])
def test_matches_log_softmax_and_gather(rows, classes, dtype):
    _compare(*_problem(rows, classes, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_ignore_index_rows_have_zero_loss_and_gradient(dtype):
    logits, targets, g = _problem(20, 5, dtype)
    targets[::3] = -100
    loss, grad = _compare(logits, targets, g)
    assert np.all(loss[::3] == 0) and np.all(grad[::3] == 0)
    assert np.all(loss[1::3] > 0)
    # a custom ignore_index, and every row ignored
    targets[:] = 4
    loss, grad = _compare(logits, targets, g, ignore_index=4)
    assert not loss.any() and not grad.any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4], [-1e4, -1e4, -1e4], [1e4, 1e4 - 1, 0.0]], dtype)
    targets = np.array([1, 2, 0, 1])
    loss, grad = _compare(logits, targets, np.ones(4, dtype))
    np.testing.assert_allclose(loss, [2e4, np.log(2), np.log(3), 1 + np.log1p(np.exp(-1))], rtol=4e-7)
    assert np.all(np.isfinite(grad))


def test_layouts_and_target_dtypes():
    logits, targets, g = _problem(30, 8, np.float32)
    wide = np.zeros((30, 16), np.float32)
    wide[:, ::2] = logits
    expected = _compare(logits, targets, g)
    for strided, integer_targets in ((wide[:, ::2], targets.astype(np.int32)), (np.asfortranarray(logits), targets)):
        loss, probs = cross_entropy.cross_entropy_forward(strided, integer_targets)
        np.testing.assert_array_equal(loss, expected[0])
        np.testing.assert_array_equal(cross_entropy.cross_entropy_backward(g, probs, integer_targets), expected[1])


def test_scalar_upstream_gradient_applies_to_every_row():
    logits, targets, _ = _problem(6, 4, np.float32)
    _, probs = cross_entropy.cross_entropy_forward(logits, targets)
    np.testing.assert_array_equal(cross_entropy.cross_entropy_backward(np.float32(0.25), probs, targets),
                                  cross_entropy.cross_entropy_backward(np.full(6, 0.25, np.float32), probs, targets))


def test_no_rows():
    loss, probs = cross_entropy.cross_entropy_forward(np.zeros((0, 5), np.float32), np.zeros(0, np.int64))
    assert loss.shape == (0,) and probs.shape == (0, 5)
    assert cross_entropy.cross_entropy_backward(np.zeros(0, np.float32), probs, np.zeros(0, np.int64)).shape == (0, 5)


@pytest.mark.parametrize("module", [cross_entropy, reference_loss], ids=["kernel", "twin"])
def test_clear_errors(module):
    logits = np.zeros((3, 5), np.float32)
    with pytest.raises(IndexError, match="cross_entropy: target 7 is out of bounds for 5 classes"):
        module.cross_entropy_forward(logits, np.array([0, 7, 1]))
    with pytest.raises(IndexError, match="cross_entropy: target -3 is out of bounds for 5 classes"):
        module.cross_entropy_forward(logits, np.array([0, -3, 1]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected integer targets of shape \(3,\)"):
        module.cross_entropy_forward(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected integer targets of shape \(3,\)"):
        module.cross_entropy_forward(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected logits of shape \(N, C\) with C >= 1"):
        module.cross_entropy_forward(np.zeros((3, 0), np.float32), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected logits of shape \(N, C\)"):
        module.cross_entropy_forward(np.zeros(5, np.float32), np.array([0]))
