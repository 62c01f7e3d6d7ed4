"""Fused optimizer updates: a chain of tensor operations done in one pass over memory.

An optimizer's update is a short chain of tensor operations on large tensors
(``buf.mul_(m).add_(g)`` then ``p.add_(buf, alpha=-lr)``; ``g + wd * p``), each a
full pass over memory.  The functions here give exactly the chain's results (the
same operations in the same order, so float32 rounds the same way) in one pass,
like torch's fused optimizer kernels, and fall back to the chain itself for
tensors the kernels do not take (other dtypes or layouts, or while grad mode
records).  Like the in-place methods, they bump the version counters of what
they change.
"""
import numpy as np

from . import grad_mode
from .kernels import updates
from .tensor import Tensor, make_tensor


def add_scaled(input, other, alpha):
    """``input + alpha * other`` as a new tensor, the very values of ``input.add(other, alpha=alpha)``.

    One pass and one new array (no ``alpha * other`` temporary) when nothing is recorded
    and both are float tensors of one shape, dtype and memory order: an optimizer's
    weight decay (``g + weight_decay * p``) or Nesterov step (``g + momentum * b``).
    Anything else (broadcasting, mixed dtypes, a graph being recorded) takes the ops.
    """
    if isinstance(other, Tensor) and _is_number(alpha):
        x, y = input._data, other._data
        recording = grad_mode._state.enabled and (input._requires_grad or other._requires_grad)
        if not recording and updates.same_layout(x, y):
            return make_tensor(updates.add_scaled(x, y, alpha), None)
    return input.add(other, alpha=alpha)


def sgd_momentum_(param, grad, momentum_buffer, lr, momentum, dampening=0.0, nesterov=False):
    """SGD with momentum, in place on `param` and `momentum_buffer`:
    ``b = momentum * b + (1 - dampening) * grad``, then
    ``param -= lr * (grad + momentum * b if nesterov else b)``.  Returns `param`."""
    p, b, g = param._data, momentum_buffer._data, grad._data
    if not grad_mode._state.enabled and updates.fusable(p, b, g) and updates.fusable(b, g):
        updates.sgd_momentum_(p, b, g, lr, momentum, dampening, nesterov)
        param._version[0] += 1
        momentum_buffer._version[0] += 1
        return param
    momentum_buffer.mul_(momentum).add_(grad, alpha=1 - dampening)
    step = add_scaled(grad, momentum_buffer, momentum) if nesterov else momentum_buffer
    return param.add_(step, alpha=-lr)


def _is_number(value):
    # What the kernels take as a scalar (a bool, a Tensor or an array goes to the ops).
    return isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
