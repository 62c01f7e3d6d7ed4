"""Argument checks and reductions shared by the losses of `nn._losses_functional`.

Each error uses torch's exception class; the message names the loss, the argument
and the shapes or values, and what was expected.
"""
import numpy as np

from ._input_checks import require_tensor

_REDUCTIONS = ("mean", "sum", "none")


def _get_reduction(reduction, size_average, reduce, name):
    """The reduction to apply; the deprecated flags win when given (torch's legacy rule)."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


_POSITIONS = {"input": 1, "target": 2, "weight": 3, "pos_weight": 8}


def _check_tensor(value, name, what):
    """torch's TypeError for a list or array: ``mse_loss(): argument 'input' (position 1) must be Tensor, not list``."""
    require_tensor(value, name, what, _POSITIONS[what])


def _check_pair(input, target, name, mismatch=RuntimeError):
    """input and target: float Tensors of the same shape (the elementwise losses).

    A shape mismatch is a `mismatch` error: RuntimeError for the regression losses (torch's
    class when the shapes do not broadcast), ValueError for the binary ones (torch's there).
    """
    _check_tensor(input, name, "input")
    _check_tensor(target, name, "target")
    if input.dtype.kind != "f" or target.dtype.kind != "f":
        raise TypeError(f"{name}: expected floating-point input and target, got {input.dtype} and "
                        f"{target.dtype} (convert with .float())")
    if input.shape != target.shape:
        raise mismatch(f"{name}: target shape {tuple(target.shape)} must match input shape "
                       f"{tuple(input.shape)} (no broadcasting; reshape one of them)")


def _check_broadcasts(value, shape, name, what):
    """A Tensor `what` that broadcasts to the input's `shape` (BCE's weight and pos_weight), as torch."""
    _check_tensor(value, name, what)
    for dim in range(1, value.ndim + 1):
        size, expected = value.shape[-dim], shape[-dim] if dim <= len(shape) else 1
        if size not in (1, expected):
            raise RuntimeError(f"{name}: {what} of shape {tuple(value.shape)} does not broadcast to the input's "
                               f"shape {tuple(shape)}: the size of tensor a ({size}) must match the size of "
                               f"tensor b ({expected}) at non-singleton dimension {len(shape) - dim}")


def _weighted(loss, weight, reduction, name, mean_over_weights):
    """Multiply by elementwise `weight` (same shape as the input) and reduce, as torch does."""
    _check_tensor(weight, name, "weight")
    if tuple(weight.shape) != tuple(loss.shape):
        raise RuntimeError(f"{name}: weight shape {tuple(weight.shape)} must match input shape {tuple(loss.shape)}")
    loss = loss * weight
    if reduction == "mean" and mean_over_weights:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _check_in_unit_interval(value, name, what):
    array = np.asarray(value)
    if array.size and not (array.min() >= 0 and array.max() <= 1):  # also rejects nan
        raise RuntimeError(f"{name}: all elements of {what} should be between 0 and 1, "
                         f"got values in [{array.min()}, {array.max()}]")
