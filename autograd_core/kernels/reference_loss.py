"""numpy reference twin of the fused softmax cross-entropy kernel (`cross_entropy.py`).

Built from the reference log_softmax and a gather, exactly as an unfused
implementation would compute it.
"""
import numpy as np

from .reference import log_softmax_forward


def check_targets(logits, targets, ignore_index):
    """Raise a clear error unless logits is (N, C) float with C >= 1 and targets are N class indices."""
    if logits.ndim != 2 or logits.shape[1] == 0:
        raise ValueError(f"cross_entropy: expected logits of shape (N, C) with C >= 1, got {logits.shape}")
    if targets.shape != (logits.shape[0],) or targets.dtype.kind not in "iu":
        raise ValueError(
            f"cross_entropy: expected integer targets of shape ({logits.shape[0]},) for logits of shape "
            f"{logits.shape}, got {targets.dtype} targets of shape {targets.shape}")
    classes = logits.shape[1]
    bad = (targets != ignore_index) & ((targets < 0) | (targets >= classes))
    if bad.any():
        raise IndexError(f"cross_entropy: target {int(targets[bad][0])} is out of bounds for {classes} classes")


def cross_entropy_forward(logits, targets, ignore_index=-100):
    """(loss, probs): loss[n] = -log_softmax(logits)[n, targets[n]] (0 where targets[n] == ignore_index),
    probs = softmax(logits) along the last axis, saved for the backward."""
    check_targets(logits, targets, ignore_index)
    log_probs = log_softmax_forward(logits, 1)
    kept = targets != ignore_index
    picked = np.take_along_axis(log_probs, np.where(kept, targets, 0)[:, None], axis=1)[:, 0]
    loss = np.where(kept, -picked, 0).astype(logits.dtype, copy=False)
    return loss, np.exp(log_probs)


def cross_entropy_backward(g, probs, targets, ignore_index=-100):
    """d loss[n] / d logits[n] * g[n] = (probs[n] - onehot(targets[n])) g[n]; 0 for ignored rows."""
    kept = targets != ignore_index
    onehot = np.zeros_like(probs)
    rows = np.flatnonzero(kept)
    onehot[rows, targets[rows]] = 1
    scale = np.where(kept, np.asarray(g, dtype=probs.dtype), 0).astype(probs.dtype, copy=False)
    return (probs - onehot) * scale[:, None]
