"""Fused optimizer updates: several in-place tensor updates done in one pass over memory.

An optimizer's update is a short chain of in-place methods on large tensors
(``buf.mul_(m).add_(g)`` then ``p.add_(buf, alpha=-lr)``), each a full pass over
memory.  The functions here give exactly the chain's results (the same
operations in the same order, so float32 rounds the same way) in one pass, like
torch's fused optimizer kernels, and fall back to the chain itself for tensors
the kernels do not take (other dtypes or layouts, or while grad mode records).
Like the in-place methods, they bump the version counters of what they change.
"""
from . import grad_mode
from .kernels import updates


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
    step = grad.add(momentum_buffer, alpha=momentum) if nesterov else momentum_buffer
    return param.add_(step, alpha=-lr)
