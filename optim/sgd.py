"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay (torch's rules)."""
from autograd_core.fused import add_scaled, sgd_momentum_

from .optimizer import Optimizer, check_non_negative


class SGD(Optimizer):
    """Stochastic gradient descent.

    Per parameter, with g its gradient (negated if `maximize`):
    ``g += weight_decay * p``; with momentum, ``b = g`` on the first step and
    ``b = momentum * b + (1 - dampening) * g`` after it, then ``g = g + momentum * b``
    (Nesterov) or ``g = b``; finally ``p -= lr * g``.
    State: ``'momentum_buffer'`` (only when momentum != 0).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        check_non_negative("SGD", "lr", group["lr"], "learning rate")
        check_non_negative("SGD", "momentum", group["momentum"])
        check_non_negative("SGD", "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum and zero dampening, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(self, param, grad, state, group):
        """``b = momentum * b + (1 - dampening) * g`` (b = g at first), ``p -= lr * b`` (or Nesterov's)."""
        lr, momentum = group["lr"], group["momentum"]
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is not None:
                # The buffer update and the parameter update in one pass over memory.
                sgd_momentum_(param, grad, buffer, lr, momentum, group["dampening"], group["nesterov"])
                return
            # A copy: the buffer must not alias param.grad, which the user may zero in place.
            buffer = state["momentum_buffer"] = grad.clone()
            grad = add_scaled(grad, buffer, momentum) if group["nesterov"] else buffer
        param.add_(grad, alpha=-lr)
