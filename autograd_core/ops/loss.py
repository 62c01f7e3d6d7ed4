"""Fused losses: the softmax cross-entropy of (N, C) logits and N class indices, as one op.

``log_softmax`` followed by a gather costs two recorded ops and, in the backward,
``g - e^y * sum(g)`` plus a scatter into zeros: four passes over the logits where
one suffices.  Fused, the forward is one kernel call (row max, e^(x - max) and its
sum, the softmax saved for the backward) and the backward another:
``(softmax - onehot) * g`` per row.  ``nn.functional.cross_entropy`` calls this on
its common path (2-D logits, integer targets, no class weights, no label smoothing).
"""
import numpy as np

from .. import kernels
from .op import Op
from .softmax import Softmax

__all__ = ["softmax_cross_entropy"]

_REDUCTIONS = ("mean", "sum", "none")


class SoftmaxCrossEntropy(Op):
    """loss_n = logsumexp(x_n) - x_n[t_n]  (0 where t_n == ignore_index), then reduced;
    d loss_n / d x_n = softmax(x_n) - onehot(t_n)"""
    name = "cross_entropy"

    @staticmethod
    def forward(ctx, logits, target=None, ignore_index=-100, reduction="mean"):
        losses, probs = kernels.cross_entropy_forward(logits, target, ignore_index)
        ctx.target, ctx.ignore_index, ctx.reduction = target, ignore_index, reduction
        # The logits (an input) let create_graph=True recompute the softmax as a recorded op;
        # the softmax itself is a constant that only the plain backward reads.
        ctx.save_for_backward(logits, probs)
        if reduction == "none":
            return losses
        total = losses.sum()  # stays in the logits' dtype
        if reduction == "sum":
            return np.asarray(total)
        count = int(target.size - np.count_nonzero(target == ignore_index))  # a Python int keeps float32
        # The mean is over the targets that count; with none (all ignored, or an empty batch)
        # it is nan and the gradient 0, as torch.  Dividing by 1 then keeps the backward finite.
        ctx.count = count if count else 1
        return np.asarray(total / count if count else total * np.nan)

    @staticmethod
    def backward(ctx, g):
        logits, _ = ctx.saved_tensors
        target, dtype, xp = ctx.target, logits.dtype, ctx.xp
        kept = target != ctx.ignore_index
        rows = np.flatnonzero(kept)
        onehot = np.zeros(logits.shape, dtype)
        onehot[rows, target[rows]] = 1
        scale = _scale(ctx, g)
        if ctx.reduction == "none":
            scale = xp.reshape(scale, (-1, 1))
        # The softmax is recomputed from the logits so that create_graph=True differentiates it.
        return (xp.call(Softmax, logits, axis=1) - onehot) * (scale * kept.astype(dtype).reshape(-1, 1))

    @staticmethod
    def jvp(ctx, t):
        # d loss_n = sum_c (softmax(x_n) - onehot(t_n))_c t_nc (0 where ignored), then reduced
        logits = ctx.inputs[0]
        target = ctx.target
        kept = target != ctx.ignore_index
        rows = np.flatnonzero(kept)
        onehot = np.zeros(logits.shape, logits.dtype)
        onehot[rows, target[rows]] = 1
        per_row = ((Softmax.apply(logits, axis=1) - onehot) * t).sum(dim=1) * kept.astype(logits.dtype)
        if ctx.reduction == "none":
            return per_row
        total = per_row.sum()
        return total / ctx.count if ctx.reduction == "mean" else total

    @staticmethod
    def plain_backward(ctx, g):
        # The rule above in one pass over the softmax that forward saved.
        _, probs = ctx.saved_tensors
        return kernels.cross_entropy_backward(_scale(ctx, g), probs, ctx.target, ctx.ignore_index)


def _scale(ctx, g):
    """What each row's ``softmax - onehot`` is multiplied by: 0-d, or (N,) for reduction='none'."""
    return g / ctx.count if ctx.reduction == "mean" else g


def softmax_cross_entropy(input, target, ignore_index=-100, reduction="mean"):
    """-log softmax(input)[n, target[n]] for (N, C) logits and N integer class indices, fused in one op.

    Targets equal to `ignore_index` give 0 and are left out of the mean (all of them
    ignored: nan, as torch).  `reduction` is 'mean', 'sum' or 'none' (the N losses).
    This is ``nn.functional.cross_entropy``'s fast path; that function handles the rest.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    shape = np.shape(input)
    target = np.asarray(getattr(target, "_data", target))
    if len(shape) != 2 or target.shape != shape[:1] or target.dtype.kind not in "iu":
        raise ValueError(
            f"cross_entropy: expected (N, C) logits and N integer class indices, got logits of shape "
            f"{tuple(shape)} and a {target.dtype} target of shape {target.shape}"
        )
    return SoftmaxCrossEntropy.apply(input, target=target, ignore_index=int(ignore_index), reduction=reduction)
