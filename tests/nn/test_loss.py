"""Losses (nn.functional and the loss modules): values against hand-written numpy for every
reduction, gradients against finite differences, class weights, ignore_index, label smoothing,
stability for huge logits, and clear errors."""
import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from helpers import check_gradients, random_array
from nn import loss as losses

REDUCTIONS = ["mean", "sum", "none"]


def _reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](loss)


def _assert_close(tensor, expected, rtol=1e-10):
    np.testing.assert_allclose(tensor.detach().numpy(), expected, rtol=rtol, atol=1e-12)


# -- elementwise regression losses -------------------------------------------------------------
def _huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


REGRESSION = {
    "mse_loss": (F.mse_loss, lambda d: d * d),
    "l1_loss": (F.l1_loss, np.abs),
    "huber_loss": (F.huber_loss, lambda d: _huber(d, 1.0)),
    "huber_loss_delta": (lambda x, y, **kw: F.huber_loss(x, y, delta=0.6, **kw), lambda d: _huber(d, 0.6)),
    "smooth_l1_loss": (F.smooth_l1_loss, lambda d: _huber(d, 1.0)),
    "smooth_l1_loss_beta": (lambda x, y, **kw: F.smooth_l1_loss(x, y, beta=0.5, **kw), lambda d: _huber(d, 0.5) / 0.5),
    "smooth_l1_loss_beta0": (lambda x, y, **kw: F.smooth_l1_loss(x, y, beta=0.0, **kw), np.abs),
}


@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (1,), (6,), (3, 1), (2, 3, 2)])
def test_regression_losses(name, reduction, shape):
    function, twin = REGRESSION[name]
    x, y = random_array(shape, 1), random_array(shape, 2)
    # Keep |x - y| away from the kinks at 0, 0.5, 0.6 and 1 (finite differences straddling them lie).
    for kink in (0.0, 0.5, 0.6, 1.0):
        x = np.where(np.abs(np.abs(x - y) - kink) < 0.03, y + kink + 0.1, x)
    out = function(ag.tensor(x), ag.tensor(y), reduction=reduction)
    _assert_close(out, _reduce(twin(x - y), reduction))
    check_gradients(lambda a, b: function(a, b, reduction=reduction), x, y)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_with_elementwise_weight(name, reduction):
    function, twin = REGRESSION[name]
    x, y, w = random_array((3, 4), 3), random_array((3, 4), 4), random_array((3, 4), 5, low=0.1, high=2)
    loss = twin(x - y) * w
    # torch: mse and l1 divide the weighted sum by sum(weight); huber takes the plain mean.
    expected = loss.sum() / w.sum() if reduction == "mean" and name != "huber_loss" else _reduce(loss, reduction)
    _assert_close(function(ag.tensor(x), ag.tensor(y), reduction=reduction, weight=ag.tensor(w)), expected)


def test_regression_gradients_at_the_kinks_match_torch_conventions():
    x = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([1.0, 1.0, 1.0], dtype=ag.float64)
    F.l1_loss(x, y, reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0])  # sign(0) = 0
    x.grad = None
    F.huber_loss(x, y, reduction="sum", delta=1.0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0])  # |d| == delta: slope delta


def test_legacy_size_average_and_reduce_flags():
    x, y = ag.tensor([1.0, 2.0]), ag.tensor([0.0, 0.0])
    assert F.mse_loss(x, y, size_average=False).item() == 5.0
    assert F.mse_loss(x, y, reduce=False).shape == (2,)
    assert F.l1_loss(x, y, size_average=True, reduce=True).item() == 1.5


def test_float32_stays_float32():
    x, y = ag.tensor([0.2, 0.7]), ag.tensor([0.0, 1.0])
    for loss in (F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss, F.binary_cross_entropy,
                 F.binary_cross_entropy_with_logits):
        assert loss(x, y).dtype == ag.float32, loss.__name__
    logits = ag.tensor([[0.1, 0.2, 0.3]])
    assert F.cross_entropy(logits, ag.tensor([1])).dtype == ag.float32
    assert F.cross_entropy(logits, ag.tensor([1]), weight=ag.tensor([1.0, 2.0, 3.0]),
                           label_smoothing=0.1).dtype == ag.float32


# -- binary cross-entropy ------------------------------------------------------------------------
def _np_bce(x, y, w=1.0):
    with np.errstate(divide="ignore"):
        return -w * (y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_binary_cross_entropy(reduction, shape):
    x = random_array(shape, 6, low=0.05, high=0.95)
    y = random_array(shape, 7, low=0, high=1)
    _assert_close(F.binary_cross_entropy(ag.tensor(x), ag.tensor(y), reduction=reduction),
                  _reduce(_np_bce(x, y), reduction))
    check_gradients(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), x, y)


def test_binary_cross_entropy_weight_broadcasts_over_the_batch():
    x, y = random_array((4, 3), 8, low=0.1, high=0.9), (random_array((4, 3), 9) > 0).astype(float)
    w = random_array((3,), 10, low=0.5, high=2)
    _assert_close(F.binary_cross_entropy(ag.tensor(x), ag.tensor(y), weight=ag.tensor(w)), np.mean(_np_bce(x, y, w)))
    check_gradients(lambda a: F.binary_cross_entropy(a, ag.tensor(y), weight=ag.tensor(w), reduction="sum"), x)


def test_binary_cross_entropy_clamps_the_log_at_minus_100_with_torch_gradient():
    x = ag.tensor([0.0, 1.0, 0.0, 0.5], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([1.0, 0.0, 0.0, 1.0], dtype=ag.float64)
    loss = F.binary_cross_entropy(x, y, reduction="none")
    _assert_close(loss, [100.0, 100.0, 0.0, np.log(2)])
    loss.sum().backward()
    # torch's rule: (x - y) / max(x (1 - x), 1e-12)
    np.testing.assert_allclose(x.grad.numpy(), [-1e12, 1e12, 0.0, -2.0])


def test_binary_cross_entropy_second_derivative():
    x = ag.tensor([0.3, 0.8], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([1.0, 0.0], dtype=ag.float64)
    (g,) = ag.grad(F.binary_cross_entropy(x, y, reduction="sum"), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    xv, yv = x.detach().numpy(), y.numpy()
    np.testing.assert_allclose(h.numpy(), yv / xv ** 2 + (1 - yv) / (1 - xv) ** 2, rtol=1e-10)


def _np_bce_logits(x, y, pos_weight=1.0, w=1.0):
    log_sigmoid, log_one_minus = -np.logaddexp(0, -x), -np.logaddexp(0, x)
    return -w * (pos_weight * y * log_sigmoid + (1 - y) * log_one_minus)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_binary_cross_entropy_with_logits(reduction, shape):
    x, y = random_array(shape, 11, low=-4, high=4), random_array(shape, 12, low=0, high=1)
    _assert_close(F.binary_cross_entropy_with_logits(ag.tensor(x), ag.tensor(y), reduction=reduction),
                  _reduce(_np_bce_logits(x, y), reduction))
    check_gradients(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction), x, y)


def test_binary_cross_entropy_with_logits_weight_and_pos_weight():
    x, y = random_array((4, 3), 13, low=-3, high=3), random_array((4, 3), 14, low=0, high=1)
    w, p = random_array((4, 3), 15, low=0.5, high=2), random_array((3,), 16, low=0.5, high=3)
    out = F.binary_cross_entropy_with_logits(ag.tensor(x), ag.tensor(y), weight=ag.tensor(w), pos_weight=ag.tensor(p))
    _assert_close(out, np.mean(_np_bce_logits(x, y, p, w)))
    check_gradients(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=ag.tensor(p)), x, y)


def test_binary_cross_entropy_with_logits_is_exact_for_huge_logits():
    x = ag.tensor([1e4, -1e4, 1e4, -1e4, 30.0], requires_grad=True)
    y = ag.tensor([1.0, 0.0, 0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, 0.0, 1e4, 1e4, np.exp(-30.0)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -1.0, -np.exp(-30.0)], rtol=1e-6)
    assert np.isfinite(x.grad.numpy()).all()


# -- cross-entropy and nll -------------------------------------------------------------------------
def _np_log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _np_nll(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """Straight from the definition, one target at a time."""
    class_dim = 0 if logp.ndim == 1 else 1
    logp = np.moveaxis(logp, class_dim, -1).reshape(-1, logp.shape[class_dim])
    flat = target.reshape(-1)
    losses, weights = np.zeros(len(flat)), np.zeros(len(flat))
    for i, t in enumerate(flat):
        if t != ignore_index:
            weights[i] = 1.0 if weight is None else weight[t]
            losses[i] = -weights[i] * logp[i, t]
    if reduction == "mean":
        return losses.sum() / weights.sum()
    return losses.sum() if reduction == "sum" else losses.reshape(target.shape)


CLASS_SHAPES = [((5,), ()), ((4, 5), (4,)), ((1, 3), (1,)), ((3, 4, 2), (3, 2)), ((2, 3, 2, 2), (2, 2, 2))]


def _targets(target_shape, classes, seed, ignore_index=None):
    target = np.random.default_rng(seed).integers(0, classes, size=target_shape)
    if ignore_index is not None and target.size > 1:
        target.reshape(-1)[::3] = ignore_index
    return target


@pytest.mark.parametrize("shapes", CLASS_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_and_nll_loss(shapes, reduction, weighted):
    input_shape, target_shape = shapes
    classes = input_shape[0 if len(input_shape) == 1 else 1]
    x = random_array(input_shape, 17, low=-3, high=3)
    target = _targets(target_shape, classes, 18)
    weight = random_array((classes,), 19, low=0.2, high=2) if weighted else None
    w = None if weight is None else ag.tensor(weight)
    class_dim = 0 if x.ndim == 1 else 1
    expected = _np_nll(_np_log_softmax(x, class_dim), target, weight, reduction=reduction)
    _assert_close(F.cross_entropy(ag.tensor(x), ag.tensor(target), weight=w, reduction=reduction), expected)
    _assert_close(F.nll_loss(ag.tensor(_np_log_softmax(x, class_dim)), ag.tensor(target), weight=w,
                             reduction=reduction), expected)
    check_gradients(lambda a: F.cross_entropy(a, ag.tensor(target), weight=w, reduction=reduction), x)
    check_gradients(lambda a: F.nll_loss(a, ag.tensor(target), weight=w, reduction=reduction), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_cross_entropy_ignore_index(reduction, weighted, ignore_index):
    x = random_array((7, 4), 20)
    target = _targets((7,), 4, 21, ignore_index=ignore_index)
    weight = random_array((4,), 22, low=0.2, high=2) if weighted else None
    w = None if weight is None else ag.tensor(weight)
    expected = _np_nll(_np_log_softmax(x, 1), target, weight, ignore_index, reduction)
    out = F.cross_entropy(ag.tensor(x), ag.tensor(target), weight=w, ignore_index=ignore_index, reduction=reduction)
    _assert_close(out, expected)
    check_gradients(lambda a: F.cross_entropy(a, ag.tensor(target), weight=w, ignore_index=ignore_index,
                                              reduction=reduction), x)
    # Rows whose target is ignored get no gradient at all.
    xt = ag.tensor(x, requires_grad=True)
    F.cross_entropy(xt, ag.tensor(target), weight=w, ignore_index=ignore_index, reduction=reduction).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy()[target == ignore_index], 0.0)


def test_cross_entropy_all_targets_ignored_gives_nan_mean_and_zero_sum():
    x, target = ag.tensor(random_array((3, 4))), ag.tensor([-100, -100, -100])
    assert np.isnan(F.cross_entropy(x, target).item())
    assert F.cross_entropy(x, target, reduction="sum").item() == 0.0


def _np_smoothed_cross_entropy(x, target, smoothing, weight=None, ignore_index=-100, reduction="mean"):
    """torch's definition: (1 - e) nll + (e / C) * (-sum_c w_c log p_c), ignored targets dropped."""
    class_dim = 0 if x.ndim == 1 else 1
    classes = x.shape[class_dim]
    logp = _np_log_softmax(x, class_dim)
    nll = _np_nll(logp, target, weight, ignore_index, reduction)
    w = np.ones(classes) if weight is None else weight
    shape = [1] * x.ndim
    shape[class_dim] = classes
    smooth = -(logp * w.reshape(shape)).sum(axis=class_dim) * (target != ignore_index)
    if reduction == "mean":
        kept = target[target != ignore_index]
        smooth = smooth.sum() / (w[kept].sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - smoothing) * nll + smoothing / classes * smooth


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shapes,ignore", [(((6, 4), (6,)), -100), (((6, 4), (6,)), 2), (((3, 4, 2), (3, 2)), 0)])
def test_cross_entropy_label_smoothing(reduction, weighted, shapes, ignore):
    input_shape, target_shape = shapes
    x = random_array(input_shape, 23)
    target = _targets(target_shape, 4, 24, ignore_index=ignore if ignore >= 0 else None)
    weight = random_array((4,), 25, low=0.2, high=2) if weighted else None
    w = None if weight is None else ag.tensor(weight)
    expected = _np_smoothed_cross_entropy(x, target, 0.2, weight, ignore, reduction)
    call = lambda a: F.cross_entropy(a, ag.tensor(target), weight=w, ignore_index=ignore,  # noqa: E731
                                     reduction=reduction, label_smoothing=0.2)
    _assert_close(call(ag.tensor(x)), expected)
    check_gradients(call, x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 5, 3)])
def test_cross_entropy_with_class_probabilities(reduction, smoothing, weighted, shape):
    x = random_array(shape, 26)
    class_dim = 0 if len(shape) == 1 else 1
    probs = np.exp(_np_log_softmax(random_array(shape, 27), class_dim))
    weight = random_array((5,), 28, low=0.2, high=2) if weighted else None
    w = None if weight is None else ag.tensor(weight)
    wshape = [1] * len(shape)
    wshape[class_dim] = 5
    smoothed = probs * (1 - smoothing) + smoothing / 5
    per_sample = -(_np_log_softmax(x, class_dim) * smoothed * (1 if weight is None else weight.reshape(wshape))).sum(class_dim)
    expected = {"mean": per_sample.sum() / (x.size / 5), "sum": per_sample.sum(), "none": per_sample}[reduction]
    call = lambda a, t: F.cross_entropy(a, t, weight=w, reduction=reduction, label_smoothing=smoothing)  # noqa: E731
    _assert_close(call(ag.tensor(x), ag.tensor(probs)), expected)
    check_gradients(call, x, probs)  # probabilities are differentiable too


def test_cross_entropy_is_stable_for_huge_logits():
    x = ag.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], requires_grad=True)
    loss = F.cross_entropy(x, ag.tensor([1, 1]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [2e4, 0.0], rtol=1e-6)
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)


def test_cross_entropy_second_derivative_is_the_softmax_jacobian():
    x = ag.tensor(random_array((1, 3)), requires_grad=True)
    (g,) = ag.grad(F.cross_entropy(x, ag.tensor([2])), x, create_graph=True)
    (h,) = ag.grad(g[0, 0], x)
    p = np.exp(_np_log_softmax(x.detach().numpy(), 1))[0]
    np.testing.assert_allclose(h.numpy()[0], p[0] * (np.eye(3)[0] - p), rtol=1e-10)


# -- errors ------------------------------------------------------------------------------------------
def test_reduction_must_be_known():
    x = ag.zeros(2, 3)
    for call in (lambda r: F.mse_loss(x, x, reduction=r), lambda r: F.l1_loss(x, x, reduction=r),
                 lambda r: F.huber_loss(x, x, reduction=r), lambda r: F.smooth_l1_loss(x, x, reduction=r),
                 lambda r: F.binary_cross_entropy(x, x, reduction=r),
                 lambda r: F.binary_cross_entropy_with_logits(x, x, reduction=r),
                 lambda r: F.cross_entropy(x, ag.tensor([0, 1]), reduction=r),
                 lambda r: F.nll_loss(x, ag.tensor([0, 1]), reduction=r)):
        with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
            call("avg")
    with pytest.raises(ValueError, match="MSELoss: reduction"):
        nn.MSELoss(reduction="elementwise_mean")


def test_shape_mismatch_names_both_shapes():
    # torch's classes: RuntimeError for the regression losses, ValueError for the binary ones
    with pytest.raises(RuntimeError, match=r"mse_loss: target shape \(4, 1\) must match input shape \(4,\)"):
        F.mse_loss(ag.zeros(4), ag.zeros(4, 1))
    for loss in (F.l1_loss, F.huber_loss, F.smooth_l1_loss):
        with pytest.raises(RuntimeError, match=loss.__name__):
            loss(ag.zeros(3), ag.zeros(1))
    for loss in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=loss.__name__):
            loss(ag.zeros(3), ag.zeros(1))


def test_integer_targets_for_regression_losses_are_rejected():
    with pytest.raises(TypeError, match="mse_loss: expected floating-point input and target.*int64"):
        F.mse_loss(ag.zeros(3), ag.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy_with_logits(ag.zeros(2), ag.tensor([0, 1]))
    with pytest.raises(TypeError, match=r"mse_loss\(\): argument 'target' \(position 2\) must be Tensor, not list"):
        F.mse_loss(ag.zeros(3), [1.0, 2.0, 3.0])


def test_cross_entropy_target_errors():
    logits = ag.zeros(4, 5)
    with pytest.raises(IndexError, match="cross_entropy: target 7 is out of bounds for 5 classes"):
        F.cross_entropy(logits, ag.tensor([0, 1, 7, 2]))
    with pytest.raises(IndexError, match="nll_loss: target -3 is out of bounds for 5 classes"):
        F.nll_loss(logits, ag.tensor([0, 1, -3, 2]))
    with pytest.raises(RuntimeError, match=r"cross_entropy: expected class-index targets of an integer dtype.*float32"):
        F.cross_entropy(logits, ag.tensor([0.0, 1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected target of shape \(4,\).*got \(3,\)"):
        F.cross_entropy(logits, ag.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match=r"weight must have shape \(5,\)"):
        F.cross_entropy(logits, ag.tensor([0, 1, 2, 3]), weight=ag.ones(4))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(logits, ag.tensor([0, 1, 2, 3]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="floating-point input"):
        F.cross_entropy(ag.tensor([[1, 2]]), ag.tensor([0]))
    with pytest.raises(ValueError, match="0-d"):
        F.cross_entropy(ag.tensor(1.0), ag.tensor(0))
    # An ignored target may hold any value, even outside [0, C).
    assert np.isfinite(F.cross_entropy(logits, ag.tensor([0, -100, 1, 2])).item())


def test_binary_cross_entropy_range_errors():
    with pytest.raises(RuntimeError, match="binary_cross_entropy: all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(ag.tensor([0.5, 0.5]), ag.tensor([0.0, 2.0]))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(ag.tensor([1.5, 0.5]), ag.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="input should be between 0 and 1"):
        F.binary_cross_entropy(ag.tensor([float("nan"), 0.5]), ag.tensor([0.0, 1.0]))


# -- modules -----------------------------------------------------------------------------------------
MODULES = [
    (losses.MSELoss(), F.mse_loss, "float"),
    (losses.L1Loss(reduction="sum"), lambda x, y: F.l1_loss(x, y, reduction="sum"), "float"),
    (losses.HuberLoss(delta=0.5), lambda x, y: F.huber_loss(x, y, delta=0.5), "float"),
    (losses.SmoothL1Loss(beta=0.3, reduction="none"), lambda x, y: F.smooth_l1_loss(x, y, reduction="none", beta=0.3), "float"),
    (losses.BCELoss(), F.binary_cross_entropy, "prob"),
    (losses.BCEWithLogitsLoss(pos_weight=ag.tensor([2.0, 1.0, 0.5])),
     lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=ag.tensor([2.0, 1.0, 0.5])), "float"),
    (losses.CrossEntropyLoss(weight=ag.tensor([1.0, 2.0, 0.5]), ignore_index=0, label_smoothing=0.1),
     lambda x, y: F.cross_entropy(x, y, weight=ag.tensor([1.0, 2.0, 0.5]), ignore_index=0, label_smoothing=0.1), "index"),
    (losses.NLLLoss(reduction="sum"), lambda x, y: F.nll_loss(x, y, reduction="sum"), "index"),
]


@pytest.mark.parametrize("module,function,kind", MODULES, ids=lambda v: type(v).__name__)
def test_loss_modules_call_their_function(module, function, kind):
    x = ag.tensor(random_array((4, 3), 29, low=0.05, high=0.95))
    if kind == "index":
        y = ag.tensor([0, 2, 1, 2])
    else:
        y = ag.tensor(random_array((4, 3), 30, low=0, high=1))
    np.testing.assert_array_equal(module(x, y).numpy(), function(x, y).numpy())
    assert isinstance(module, nn.Module)


def test_loss_modules_keep_weights_as_buffers_and_print_like_torch():
    loss = losses.CrossEntropyLoss(weight=ag.tensor([1.0, 2.0]))
    assert list(loss.state_dict()) == ["weight"] and list(loss.parameters()) == []
    assert list(losses.BCEWithLogitsLoss(pos_weight=ag.ones(3)).state_dict()) == ["pos_weight"]
    assert list(losses.CrossEntropyLoss().state_dict()) == []
    assert repr(losses.MSELoss()) == "MSELoss()"
    assert repr(losses.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(losses.HuberLoss(reduction="sum", delta=2.0)) == "HuberLoss(reduction='sum', delta=2.0)"
    assert repr(loss) == "CrossEntropyLoss(weight=<tensor of shape (2,)>)"
    assert losses.MSELoss(size_average=False).reduction == "sum"


def test_loss_modules_are_exported_from_nn():
    for name in losses.__all__:
        assert getattr(nn, name) is getattr(losses, name)
