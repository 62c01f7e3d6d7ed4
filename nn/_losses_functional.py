"""The loss functions of nn.functional (re-exported there: ``F.cross_entropy``, ...).

Every loss takes ``reduction='mean'|'sum'|'none'`` (torch's legacy
``size_average``/``reduce`` flags, where torch has them, override it as in torch).
Class weights, class indices and masks are constants computed with numpy; the
differentiable part is a handful of tensor ops, so a loss costs a few passes.

Unlike torch, which only warns, a target whose shape differs from the input's
is an error for the elementwise losses: broadcasting there is almost always a
bug (``(N, 1)`` predictions against ``(N,)`` targets give an ``(N, N)`` loss).
"""
import math

import numpy as np

import autograd_core as ag

from ._loss_checks import (
    _check_broadcasts, _check_in_unit_interval, _check_pair, _check_tensor, _get_reduction, _reduce, _weighted,
)

# -- regression losses ------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(x - y)^2 per element, then reduced.  A weighted mean divides by sum(weight), as torch.

    input and target must have the same shape: torch only warns when they differ
    and broadcasts; here that is a ValueError naming both shapes.
    """
    reduction = _get_reduction(reduction, size_average, reduce, "mse_loss")
    _check_pair(input, target, "mse_loss")
    difference = input - target
    loss = difference * difference
    if weight is not None:
        return _weighted(loss, weight, reduction, "mse_loss", mean_over_weights=True)
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|x - y| per element, then reduced (gradient sign(x - y), 0 where equal)."""
    reduction = _get_reduction(reduction, size_average, reduce, "l1_loss")
    _check_pair(input, target, "l1_loss")
    loss = ag.abs(input - target)
    if weight is not None:
        return _weighted(loss, weight, reduction, "l1_loss", mean_over_weights=True)
    return _reduce(loss, reduction)


def _quadratic_then_linear(difference, limit, quadratic_scale):
    """quadratic_scale * d^2 / 2 where |d| < limit, else limit * quadratic_scale * (|d| - limit / 2)."""
    magnitude = ag.abs(difference)
    small = np.asarray(magnitude) < limit
    quadratic = difference * difference * (0.5 * quadratic_scale)
    linear = (magnitude - 0.5 * limit) * (limit * quadratic_scale)
    return ag.where(small, quadratic, linear)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta/2), with d = x - y."""
    reduction = _get_reduction(reduction, None, None, "huber_loss")
    _check_pair(input, target, "huber_loss")
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    loss = _quadratic_then_linear(input - target, delta, 1.0)
    if weight is not None:
        return _weighted(loss, weight, reduction, "huber_loss", mean_over_weights=False)
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta/2 (= huber_loss / beta; l1_loss at beta = 0)."""
    reduction = _get_reduction(reduction, size_average, reduce, "smooth_l1_loss")
    _check_pair(input, target, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return _reduce(ag.abs(input - target), reduction)
    return _reduce(_quadratic_then_linear(input - target, beta, 1.0 / beta), reduction)


# -- binary classification ------------------------------------------------------------
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w [y log(x) + (1 - y) log(1 - x)], each log clamped at -100 as torch (so x = 0 or 1 stays finite).

    The gradient is torch's: w (x - y) / max(x (1 - x), 1e-12) (not quite the true derivative at 0 and 1).
    """
    reduction = _get_reduction(reduction, size_average, reduce, "binary_cross_entropy")
    _check_pair(input, target, "binary_cross_entropy", mismatch=ValueError)
    if weight is not None:
        _check_broadcasts(weight, input.shape, "binary_cross_entropy", "weight")
    _check_in_unit_interval(input, "binary_cross_entropy", "input")
    _check_in_unit_interval(target, "binary_cross_entropy", "target")
    loss = _BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """-w [p y log(sigmoid(x)) + (1 - y) log(1 - sigmoid(x))], computed stably from the logits x.

    With l = 1 + (p - 1) y:  loss = (1 - y) x + l log(1 + e^-x), and log(1 + e^-x)
    = max(-x, 0) + log(1 + e^-|x|) never overflows, so logits of any size give
    finite values and gradients:  d/dx = l sigmoid(x) - p y = (1 - y) sigmoid(x) - p y sigmoid(-x).
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _get_reduction(reduction, size_average, reduce, name)
    _check_pair(input, target, name, mismatch=ValueError)
    for what, value in (("weight", weight), ("pos_weight", pos_weight)):
        if value is not None:
            _check_broadcasts(value, input.shape, name, what)
    loss = _BinaryCrossEntropyWithLogits.apply(input, target, pos_weight)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


class _BinaryCrossEntropyWithLogits(ag.Function):
    """Elementwise BCE on logits, with torch's gradient formulas (one recorded node).

    Written by hand rather than composed from softplus, for the gradient: the composition's
    (1 - y) - l sigmoid(-x) cancels to 0 in float32 for y = 0 and x < -17 (torch's
    sigmoid(x) ~ 1e-8 there), and torch's own l sigmoid(x) - p y cancels for y = 1 and x > 17.
    Split as (1 - y) sigmoid(x) - p y sigmoid(-x), no term cancels for a 0/1 target: the
    gradient keeps its relative accuracy at every logit (torch's, where torch's is not 0).
    """

    @staticmethod
    def forward(ctx, input, target, pos_weight):
        ctx.save_for_backward(input, target, pos_weight)
        ctx.save_for_forward(input, target, pos_weight)
        x, y = np.asarray(input), np.asarray(target)
        # log(1 + e^-x) = max(-x, 0) + log1p(e^-|x|): no overflow for any x.
        softplus_negative = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        if pos_weight is not None:
            softplus_negative = softplus_negative * ((np.asarray(pos_weight) - 1) * y + 1)
        return ag.from_numpy(np.asarray((1 - y) * x + softplus_negative))

    @staticmethod
    def backward(ctx, grad):
        input, target, pos_weight = ctx.saved_tensors
        grad_input = grad_target = grad_pos_weight = None
        if ctx.needs_input_grad[0]:
            weighted_target = target if pos_weight is None else pos_weight * target
            grad_input = grad * ((1 - target) * ag.sigmoid(input) - weighted_target * ag.sigmoid(-input))
        if ctx.needs_input_grad[1] or (len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]):
            # log(1 + e^-x) = -logsigmoid(x), overflow-free (an infinite softplus threshold).
            softplus_negative = ag.softplus(-input, 1.0, math.inf)
            if ctx.needs_input_grad[1]:
                # d/dy = -x + (p - 1) log(1 + e^-x)
                grad_target = -input if pos_weight is None else (pos_weight - 1) * softplus_negative - input
                grad_target = grad * grad_target
            if pos_weight is not None and ctx.needs_input_grad[2]:
                # torch refuses a pos_weight that requires grad; the derivative is y log(1 + e^-x).
                grad_pos_weight = grad * target * softplus_negative
        return grad_input, grad_target, grad_pos_weight

    @staticmethod
    def jvp(ctx, t_input, t_target, t_pos_weight):
        # Elementwise: each partial derivative of backward times its tangent (None: no such input).
        input, target, pos_weight = ctx.saved_tensors
        weighted_target = target if pos_weight is None else pos_weight * target
        softplus_negative = ag.softplus(-input, 1.0, math.inf)
        tangent = t_input * ((1 - target) * ag.sigmoid(input) - weighted_target * ag.sigmoid(-input))
        if t_target is not None:
            tangent = tangent + t_target * (-input if pos_weight is None else (pos_weight - 1) * softplus_negative - input)
        if t_pos_weight is not None:
            tangent = tangent + t_pos_weight * target * softplus_negative
        return tangent


# torch keeps this epsilon as a C float, so its value is float32's nearest to 1e-12.
_BCE_EPSILON = float(np.float32(1e-12))


class _BinaryCrossEntropy(ag.Function):
    """Elementwise BCE with torch's clamped logs and gradients (one recorded node)."""

    @staticmethod
    def forward(ctx, input, target):
        ctx.save_for_backward(input, target)
        ctx.save_for_forward(input, target)
        x, y = np.asarray(input), np.asarray(target)
        with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped to -100 as torch
            log_x = np.maximum(np.log(x), -100)
            # log1p(-x), not log(1 - x): for small x, 1 - x rounds away most of x's digits
            # (at x = 1e-3 in float32 the loss would be ~1e-5 relative off; torch uses log1p).
            log_1mx = np.maximum(np.log1p(-x), -100)
        # torch's order of operations: (y - 1) log(1 - x) - y log(x).
        return ag.from_numpy(np.asarray((y - 1) * log_1mx - y * log_x))

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = grad * (input - target) / ag.clamp(input * (1 - input), min=_BCE_EPSILON)
        if ctx.needs_input_grad[1]:
            # d/dy = log(1 - x) - log(x), with the same clamps as the forward, so it stays finite
            # (+-100) at x = 0 or 1, where torch's -logit(x) is +-inf.
            grad_target = grad * (_clamped_log(1 - input) - _clamped_log(input))
        return grad_input, grad_target

    @staticmethod
    def jvp(ctx, t_input, t_target):
        # Elementwise: each partial derivative of backward times its tangent.
        input, target = ctx.saved_tensors
        tangent = t_input * (input - target) / ag.clamp(input * (1 - input), min=_BCE_EPSILON)
        if t_target is not None:
            tangent = tangent + t_target * (_clamped_log(1 - input) - _clamped_log(input))
        return tangent


def _clamped_log(x):
    """max(log(x), -100) for x in [0, 1], differentiable, without computing log(0) (no numpy warning)."""
    positive = np.asarray(x) > 0
    return ag.clamp(ag.where(positive, ag.log(ag.where(positive, x, 1.0)), -100.0), min=-100)


# -- multi-class classification ---------------------------------------------------------
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax over the classes (dim 1, or dim 0 for a (C,) input), then the negative log-likelihood.

    `target` holds class indices (an integer tensor shaped like the input without
    its class dim) or class probabilities (a float tensor shaped like the input).
    With ``label_smoothing = e`` the target becomes (1 - e) one_hot + e / C, as in torch.
    """
    name = "cross_entropy"
    reduction = _get_reduction(reduction, size_average, reduce, name)
    class_dim = _check_classification_input(input, target, name)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if (input.ndim == 2 and weight is None and label_smoothing == 0.0 and target.dtype.kind in "iu"
            and target.shape == input.shape[:1]):
        # The common case, fused into one op: one pass forward, one backward.
        return ag.softmax_cross_entropy(input, target, ignore_index, reduction)
    classes = input.shape[class_dim]
    weight = _class_weight(weight, classes, input.dtype, name)
    if target.dtype.kind == "f" and target.shape == input.shape:
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing, class_dim)
    indices, valid = _class_targets(input, target, class_dim, ignore_index, name)
    log_probs = ag.log_softmax(input, class_dim)
    factor, denominator = _target_weights(indices, valid, weight, input.dtype)
    loss = _nll(log_probs, indices, factor, denominator, reduction, class_dim)
    if label_smoothing == 0.0:
        return loss
    # The uniform part of the smoothed target: -(1/C) sum_c w_c log p_c, zero for ignored targets.
    if weight is not None:
        log_probs = log_probs * ag.from_numpy(weight.reshape(_class_shape(input.ndim, class_dim, classes)))
    smooth = -log_probs.sum(dim=class_dim)
    if valid is not None:
        smooth = smooth * ag.from_numpy(valid.astype(input.dtype))
    if reduction != "none":
        smooth = smooth.sum()
        if reduction == "mean":
            smooth = _divide(smooth, denominator)
    return loss * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-w[y] * input[y] per target (input holds log-probabilities; class dim 1, or 0 for a (C,) input).

    Targets equal to `ignore_index` contribute 0; the mean divides by the summed
    weights of the other targets (their count when unweighted), as torch.
    """
    name = "nll_loss"
    reduction = _get_reduction(reduction, size_average, reduce, name)
    class_dim = _check_classification_input(input, target, name)
    weight = _class_weight(weight, input.shape[class_dim], input.dtype, name)
    indices, valid = _class_targets(input, target, class_dim, ignore_index, name)
    factor, denominator = _target_weights(indices, valid, weight, input.dtype)
    return _nll(input, indices, factor, denominator, reduction, class_dim)


def _nll(log_probs, indices, factor, denominator, reduction, class_dim):
    """Pick each target's log-probability (one gather), scale by -factor and reduce."""
    index_shape = indices.shape[:class_dim] + (1,) + indices.shape[class_dim:]
    picked = log_probs.gather(class_dim, indices.reshape(index_shape))
    if factor is None:  # the common case: no class weights, nothing ignored
        if reduction == "mean" and denominator:
            return picked.sum() / -denominator  # = -mean, in one op less
        if reduction == "mean":
            return _divide(picked.sum(), 0)  # an empty batch: nan, as torch
        if reduction == "sum":
            return -picked.sum()
        return -picked.reshape(indices.shape)
    loss = picked * ag.from_numpy(-factor.reshape(index_shape))
    if reduction == "none":
        return loss.reshape(indices.shape)
    total = loss.sum()
    return total if reduction == "sum" else _divide(total, denominator)


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing, class_dim):
    """-sum_c w_c t_c log softmax(x)_c per sample; the mean divides by the number of samples."""
    classes = input.shape[class_dim]
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / classes
    product = ag.log_softmax(input, class_dim) * target
    if weight is not None:
        product = product * ag.from_numpy(weight.reshape(_class_shape(input.ndim, class_dim, classes)))
    if reduction == "none":
        return -product.sum(dim=class_dim)
    total = -product.sum()
    if reduction == "sum":
        return total
    return _divide(total, input.numel() // classes if classes else 0)


def _check_classification_input(input, target, name):
    """Float input of shape (C,), (N, C) or (N, C, d1, ...); returns the class dim."""
    _check_tensor(input, name, "input")
    _check_tensor(target, name, "target")
    if input.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point input, got {input.dtype}")
    if input.ndim == 0:
        raise ValueError(f"{name}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    return 0 if input.ndim == 1 else 1


def _class_targets(input, target, class_dim, ignore_index, name):
    """Check class-index targets; return (indices, valid) where ignored targets are replaced
    by class 0 and `valid` marks the kept ones (None when nothing is ignored)."""
    expected = tuple(input.shape[:class_dim] + input.shape[class_dim + 1:])
    indices = np.asarray(target)
    if indices.dtype.kind not in "iu":  # torch: RuntimeError 'expected target dtype to be Long'
        raise RuntimeError(f"{name}: expected class-index targets of an integer dtype (int64) with shape "
                        f"{expected}, or class probabilities with the input's shape {tuple(input.shape)}; "
                        f"got a {indices.dtype} target of shape {indices.shape}")
    if indices.shape != expected:
        batch = (f" (expected input batch_size ({expected[0]}) to match target batch_size ({indices.shape[0]}))"
                 if expected and indices.ndim and expected[0] != indices.shape[0] else "")
        raise ValueError(f"{name}: expected target of shape {expected} for input of shape "
                         f"{tuple(input.shape)}, got {indices.shape}{batch}")
    classes = input.shape[class_dim]
    in_range = indices.size == 0 or (indices.min() >= 0 and indices.max() < classes)
    if in_range and not 0 <= ignore_index < classes:
        return indices, None  # the common case: all valid, and ignore_index (-100) cannot occur
    valid = indices != ignore_index
    if valid.all():
        valid = None
    else:
        indices = np.where(valid, indices, 0)
    if not in_range:
        kept = indices if valid is None else indices[valid]
        bad = kept[(kept < 0) | (kept >= classes)]
        if bad.size:
            raise IndexError(f"{name}: target {bad[0]} is out of bounds for {classes} classes")
    return indices, valid


def _class_weight(weight, classes, dtype, name):
    """The per-class weight as a constant ndarray of the input's dtype (torch gives it no gradient)."""
    if weight is None:
        return None
    _check_tensor(weight, name, "weight")
    array = np.asarray(weight)
    if array.shape != (classes,):  # torch's class and words: 'weight tensor should be defined either for all ...'
        raise RuntimeError(f"{name}: weight must have shape ({classes},), one entry per class: weight tensor "
                           f"should be defined either for all {classes} classes or no classes but got weight "
                           f"tensor of shape: {list(array.shape)}")
    return array.astype(dtype, copy=False)


def _target_weights(indices, valid, weight, dtype):
    """Each target's weight (0 when ignored) and their sum, the divisor of the mean.

    Returns (None, count) when every target has weight 1 (the fast path of `_nll`).
    """
    if weight is None and valid is None:
        return None, indices.size
    factor = np.ones(indices.shape, dtype) if weight is None else weight[indices]
    if valid is not None:
        factor = factor * valid
    return factor, factor.sum()


def _divide(total, denominator):
    """total / denominator, giving nan (as torch) rather than an error when nothing counted."""
    if denominator == 0:
        return total * math.nan
    return total / float(denominator)


def _class_shape(ndim, class_dim, classes):
    """Shape that broadcasts a per-class vector along the class dim."""
    shape = [1] * ndim
    shape[class_dim] = classes
    return tuple(shape)
