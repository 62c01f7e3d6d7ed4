"""Adagrad (Duchi et al.), with torch's learning-rate decay and accumulator start value."""
import autograd_core as ag

from .optimizer import Optimizer, check_non_negative, new_step_counter


class Adagrad(Optimizer):
    """Adagrad.

    Per parameter at step t, with g its gradient (negated if `maximize`):
    ``g += weight_decay * p``, ``s += g^2``,
    ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)``.
    State (created at construction, as torch): ``'step'`` and ``'sum'``
    (starting at `initial_accumulator_value`).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def add_param_group(self, param_group):
        """Add a parameter group and create its state (torch creates Adagrad's state up front)."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for param in group["params"]:
            _init_state(self.state[param], param, group)

    def _validate_group(self, group):
        check_non_negative("Adagrad", "lr", group["lr"], "learning rate")
        check_non_negative("Adagrad", "lr_decay", group["lr_decay"])
        check_non_negative("Adagrad", "weight_decay", group["weight_decay"])
        check_non_negative("Adagrad", "initial_accumulator_value", group["initial_accumulator_value"])
        check_non_negative("Adagrad", "eps", group["eps"], "epsilon")

    def _update(self, param, grad, state, group):
        """``s += g^2``;  ``p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)``."""
        if not state:  # e.g. after load_state_dict from a checkpoint without it
            _init_state(state, param, group)
        step = state["step"].add_(1).item()
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state_sum = state["sum"]
        state_sum.addcmul_(grad, grad, value=1)
        std = state_sum.sqrt().add_(group["eps"])
        param.addcdiv_(grad, std, value=-clr)


def _init_state(state, param, group):
    """Fill the empty `state` of `param`: step 0 and the accumulator at its start value."""
    state["step"] = new_step_counter()
    state["sum"] = ag.full_like(param, group["initial_accumulator_value"])
