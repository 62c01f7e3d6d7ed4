"""RMSprop (Hinton), with torch's placement of eps, optional momentum and centering."""
import autograd_core as ag

from .optimizer import Optimizer, check_non_negative, new_step_counter


class RMSprop(Optimizer):
    """RMSprop.

    Per parameter, with g its gradient (negated if `maximize`): ``g += weight_decay * p``,
    ``s = alpha * s + (1 - alpha) * g^2``, ``avg = sqrt(s) + eps`` (centered:
    ``a = alpha * a + (1 - alpha) * g``, ``avg = sqrt(s - a^2) + eps``); then
    ``b = momentum * b + g / avg``, ``p -= lr * b`` with momentum, else ``p -= lr * g / avg``.
    State: ``'step'``, ``'square_avg'``, ``'momentum_buffer'`` (momentum > 0), ``'grad_avg'`` (centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        check_non_negative("RMSprop", "lr", group["lr"], "learning rate")
        check_non_negative("RMSprop", "eps", group["eps"], "epsilon")
        check_non_negative("RMSprop", "momentum", group["momentum"])
        check_non_negative("RMSprop", "weight_decay", group["weight_decay"])
        check_non_negative("RMSprop", "alpha", group["alpha"])

    def _update(self, param, grad, state, group):
        """``s = alpha * s + (1 - alpha) * g^2``, ``p -= lr * g / (sqrt(s) + eps)`` (or through b)."""
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        if not state:
            state["step"] = new_step_counter()
            state["square_avg"] = ag.zeros_like(param)
        state["step"].add_(1)
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = _buffer(state, "grad_avg", param)
            grad_avg.lerp_(grad, 1 - alpha)
            avg = square_avg.clone().addcmul_(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg.add_(eps)
        if momentum > 0:
            buffer = _buffer(state, "momentum_buffer", param)
            buffer.mul_(momentum).addcdiv_(grad, avg)
            param.add_(buffer, alpha=-lr)
        else:
            param.addcdiv_(grad, avg, value=-lr)


def _buffer(state, key, param):
    """``state[key]``, created as zeros the first time it is needed."""
    buffer = state.get(key)
    if buffer is None:
        buffer = state[key] = ag.zeros_like(param)
    return buffer
