"""Adam (Kingma & Ba), with torch's bias correction, AMSGrad and optional decoupled weight decay."""
import autograd_core as ag

from .optimizer import Optimizer, check_betas, check_non_negative, new_step_counter


class Adam(Optimizer):
    """Adam.

    Per parameter at step t, with g its gradient (negated if `maximize`):
    ``g += weight_decay * p`` (or, if `decoupled_weight_decay`, ``p *= 1 - lr * weight_decay``),
    ``m = beta1 * m + (1 - beta1) * g``, ``v = beta2 * v + (1 - beta2) * g^2``
    (``v_max = max(v_max, v)`` and v_max used below with `amsgrad`),
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``.
    State: ``'step'``, ``'exp_avg'``, ``'exp_avg_sq'`` and ``'max_exp_avg_sq'`` (amsgrad).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        name = type(self).__name__
        check_non_negative(name, "lr", group["lr"], "learning rate")
        check_non_negative(name, "eps", group["eps"], "epsilon")
        check_betas(name, group["betas"])
        check_non_negative(name, "weight_decay", group["weight_decay"])

    def _update(self, param, grad, state, group):
        """``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``; m, v: averages of g, g^2."""
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        if not state:
            state["step"] = new_step_counter()
            state["exp_avg"] = ag.zeros_like(param)
            state["exp_avg_sq"] = ag.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = ag.zeros_like(param)
        step = state["step"].add_(1).item()
        weight_decay = group["weight_decay"]
        if group["decoupled_weight_decay"] and weight_decay != 0:
            # Decoupled (AdamW): shrink the parameter; step() left the gradient alone.
            param.mul_(1 - lr * weight_decay)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        if group["amsgrad"]:
            max_exp_avg_sq = state.get("max_exp_avg_sq")
            if max_exp_avg_sq is None:  # amsgrad switched on after the first step
                max_exp_avg_sq = state["max_exp_avg_sq"] = ag.zeros_like(param)
            max_exp_avg_sq.copy_(ag.maximum(max_exp_avg_sq, exp_avg_sq))
            denom = max_exp_avg_sq.sqrt()
        else:
            denom = exp_avg_sq.sqrt()
        # denom is a fresh temporary, so finishing it in place saves two arrays.
        denom.div_(bias_correction2_sqrt).add_(eps)
        param.addcdiv_(exp_avg, denom, value=-step_size)
