"""Gradient clipping and parameter <-> vector conversion (torch.nn.utils), and `GradientMonitor`.

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)
    opt.step()
"""
import math

import numpy as np

import autograd_core as ag

from .monitor import GradientMonitor  # noqa: F401  (gradient flow: monitor.py)


def _as_list(parameters):
    """A list of tensors from one Tensor or an iterable of them (generators are consumed once)."""
    if isinstance(parameters, ag.Tensor):
        return [parameters]
    return list(parameters)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The `norm_type`-norm of all `tensors` together, as if concatenated into one vector (a 0-d Tensor).

    ||v||_p = (sum_i |v_i|^p)^(1/p);  p = inf: max_i |v_i|.
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return ag.tensor(0.0)
    # Each tensor's norm in its own dtype, then the norm of those norms -- torch's two-stage order.
    dtype = np.result_type(*[t.dtype for t in tensors])
    norms = np.array([_vector_norm(np.asarray(t), norm_type) for t in tensors], dtype=dtype)
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot "
            "be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return ag.tensor(np.asarray(total, dtype=dtype))


def _vector_norm(array, norm_type):
    values = np.abs(array.reshape(-1))
    if values.size == 0:
        return values.dtype.type(0)
    if norm_type == math.inf:
        return values.max()
    if norm_type == -math.inf:
        return values.min()
    if norm_type == 0:
        return values.dtype.type(np.count_nonzero(values))
    if norm_type == 1:
        return values.sum()
    if norm_type == 2:
        return np.sqrt(np.dot(values, values))
    return np.sum(values ** norm_type) ** (1.0 / norm_type)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)), in place."""
    parameters = _as_list(parameters)
    coefficient = float(max_norm) / (float(total_norm) + 1e-6)
    # torch clamps the coefficient at 1, so gradients are only ever shrunk; a NaN norm
    # (not >= 1) still propagates into the gradients, as in torch.
    if coefficient >= 1.0:
        return
    with ag.no_grad():
        for param in parameters:
            if param.grad is not None:
                param.grad.mul_(coefficient)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale gradients so that their total `norm_type`-norm is at most `max_norm`; return that norm.

    total = ||(g_1, ..., g_n)||_p over all gradients; if total > max_norm every g is
    multiplied by max_norm / (total + 1e-6).  Parameters without a gradient are skipped.
    """
    parameters = _as_list(parameters)
    grads = [param.grad for param in parameters if param.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with ag.no_grad():
        for param in _as_list(parameters):
            if param.grad is not None:
                param.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    parameters = _as_list(parameters)
    if not parameters:
        raise ValueError("parameters_to_vector: expected at least one parameter")
    return ag.cat([param.reshape(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D tensor `vec` into `parameters` (the inverse of parameters_to_vector).

    As in torch, each parameter's ``.data`` becomes a view of `vec`.
    """
    if not isinstance(vec, ag.Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, but got {type(vec).__name__}")
    parameters = _as_list(parameters)
    total = sum(param.numel() for param in parameters)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: expected a 1-D vector of {total} elements (the parameters' total size), "
            f"got shape {tuple(vec.shape)}"
        )
    offset = 0
    for param in parameters:
        count = param.numel()
        param.data = vec[offset:offset + count].view_as(param).data
        offset += count
