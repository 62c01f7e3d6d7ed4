"""`Optimizer`: the base of every optimizer (parameter groups, state, the step loop, checkpoints).

An optimizer holds ``param_groups`` (a list of dicts: ``'params'`` plus every
hyper-parameter, so groups can differ, e.g. in ``lr``) and ``state`` (a dict
keyed by parameter, holding buffers such as ``'exp_avg'``).  The formats of
``state_dict()`` and of ``repr`` are torch's.

``step()`` is written once, here (a template method): it runs the closure, then
under ``no_grad()`` visits every parameter that has a gradient, negates the
gradient for ``maximize``, adds coupled weight decay, and hands the rest to the
algorithm's ``_update(param, grad, state, group)``.  An algorithm is therefore
its defaults, its option checks (``_validate_group``) and that one method.

Updates change parameters and state in place, through public tensor methods
and `autograd_core.fused`; each bumps the version counter of the tensor it
changes, as torch's in-place ops do.  Refusing a graph that saved a parameter
before the update is backward's job (comparing those counters), not the optimizer's.
"""
import copy
import math
import numbers
from collections import defaultdict

import numpy as np

import autograd_core as ag
from autograd_core.fused import add_scaled


class _RequiredParameter:
    """Marks a hyper-parameter that has no default and must be given."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_SET_MESSAGE = ("{name}: parameters must be given as an ordered collection (a list), not a set, "
                "so that their order is the same on every run")


class Optimizer:
    """Base class of all optimizers.

    `params` is an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts
    (parameter groups: ``{'params': [...], 'lr': 0.1}``) whose missing options are
    taken from `defaults`.  A subclass passes its `defaults`, checks them in
    `_validate_group` and writes `_update`; `step` is shared.
    """

    #: How a group's ``weight_decay`` enters the update.  False (coupled, torch's default):
    #: `step` adds ``weight_decay * p`` to the gradient, an L2 penalty.  True (decoupled,
    #: AdamW): the gradient is left alone and `_update` shrinks the parameter itself.
    #: A group's own ``'decoupled_weight_decay'`` option (Adam has one) takes precedence.
    decoupled_weight_decay = False

    def __init__(self, params, defaults):
        self.defaults = defaults
        if not any(value is required for value in defaults.values()):
            self._validate_group(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, ag.Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, "
                "but got a single Tensor (wrap it in a list: [tensor])"
            )
        if isinstance(params, dict):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE.format(name=type(self).__name__))
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- parameter groups -------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``'params'`` and optional per-group options).

        Nothing changes if the group is invalid.
        """
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{type(self).__name__}.add_param_group: expected a dict with a 'params' entry, "
                f"got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{type(self).__name__}.add_param_group: the group has no 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, ag.Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE.format(name=type(self).__name__))
        params = list(params)
        names = [item[0] for item in params if isinstance(item, tuple)]
        params = [item[1] if isinstance(item, tuple) else item for item in params]
        if names and len(names) != len(params):
            raise ValueError(
                f"{type(self).__name__}: give either all parameters with names or none of them"
            )
        for position, param in enumerate(params):
            if not isinstance(param, ag.Tensor):
                raise TypeError(
                    f"{type(self).__name__} can only optimize Tensors, but parameter {position} "
                    f"of the group is a {type(param).__name__}"
                )
            if not param.is_leaf:
                raise ValueError(
                    f"{type(self).__name__}: can't optimize a non-leaf Tensor (parameter {position} "
                    "was made by an operation; optimize the leaf tensors it came from)"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(
                f"{type(self).__name__}: a parameter group lists the same parameter more than once"
            )
        taken = {id(p) for existing in self.param_groups for p in existing["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(
                f"{type(self).__name__}: some parameters appear in more than one parameter group"
            )
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(
                    f"{type(self).__name__}: parameter group didn't specify a value of required "
                    f"optimization parameter {key}"
                )
            group.setdefault(key, default)
        self._validate_group(group)
        group["params"] = params
        if names:
            group["param_names"] = names
        self.param_groups.append(group)

    def _validate_group(self, group):
        """Raise ValueError for an out-of-range option (subclasses check their own)."""

    # -- the training-loop API --------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients: to None (default, as torch), or to zeros in place."""
        for group in self.param_groups:
            ag.zero_grad_(group["params"], set_to_none)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None).

        `closure` (optional) re-computes the loss and its gradients; it runs first, with
        recording on.  Then, under ``no_grad()``, for each parameter p whose gradient g
        is not None: ``g = -g`` if the group maximizes; ``g = g + weight_decay * p`` if the
        decay is coupled; then ``_update(p, g, state[p], group)``.
        """
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        with ag.no_grad():
            for group in self.param_groups:
                maximize = group.get("maximize", False)
                decoupled = group.get("decoupled_weight_decay", self.decoupled_weight_decay)
                weight_decay = 0 if decoupled else group.get("weight_decay", 0)
                for param in group["params"]:
                    grad = param.grad
                    if grad is None:
                        continue
                    if maximize:
                        grad = -grad
                    if weight_decay != 0:
                        grad = add_scaled(grad, param, weight_decay)  # one pass, no wd * p temporary
                    state = self.state.get(param)
                    if state is None:
                        # First update: keep the dict only if the algorithm fills it (SGD without
                        # momentum keeps nothing, and torch then has no entry for the parameter).
                        state = {}
                        self._update(param, grad, state, group)
                        if state:
                            self.state[param] = state
                    else:
                        self._update(param, grad, state, group)
        return loss

    def _update(self, param, grad, state, group):
        """Update `param` in place from `grad` (already negated for maximize, coupled weight decay
        added), keeping its buffers in `state` (this parameter's dict, empty on its first step)."""
        raise NotImplementedError(f"{type(self).__name__} implements neither _update() nor step()")

    # -- checkpoints --------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state in torch's format.

        ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``,
        where parameters are numbered in group order from 0.  State tensors are not
        copied (as torch): save them or ``copy.deepcopy`` the result to keep a snapshot.
        """
        index_of = {}
        packed_groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            packed["params"] = [index_of[id(param)] for param in group["params"]]
            packed_groups.append(packed)
        packed_state = {}
        for param, param_state in self.state.items():
            key = index_of.get(id(param), param) if isinstance(param, ag.Tensor) else param
            packed_state[key] = dict(param_state)
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict):
        """Load a `state_dict()`: hyper-parameters of every group and copies of the state tensors.

        The groups must match this optimizer's in number and size; on any error
        the optimizer is left exactly as it was.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' "
                "(as made by state_dict())"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has {len(saved_groups)} parameter groups, "
                f"but the optimizer has {len(self.param_groups)}"
            )
        param_of = {}
        for position, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded parameter group {position} has "
                    f"{len(saved['params'])} parameters, but the optimizer's group has "
                    f"{len(group['params'])}"
                )
            for index, param in zip(saved["params"], group["params"]):
                param_of[index] = param

        new_state = defaultdict(dict)
        for index, saved_state in state_dict["state"].items():
            if index not in param_of:
                raise ValueError(
                    f"{name}.load_state_dict: the loaded state has an entry for parameter {index!r}, "
                    "which is in none of the loaded parameter groups"
                )
            param = param_of[index]
            new_state[param] = {key: _copy_state_value(name, index, key, value, param)
                                for key, value in saved_state.items()}

        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = {key: copy.deepcopy(value) for key, value in saved.items() if key != "params"}
            for key, default in self.defaults.items():
                new_group.setdefault(key, default)
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        for group in new_groups:
            self._validate_group(group)
        self.state = new_state
        self.param_groups = new_groups

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for position, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {position}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)


def _copy_state_value(optimizer_name, index, key, value, param):
    """A copy of one loaded state entry: float tensors take the parameter's dtype ('step' stays float32)."""
    if isinstance(value, numbers.Number) and key == "step":
        return ag.tensor(float(value), dtype=ag.float32)
    if isinstance(value, ag.Tensor) or isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        array = np.asarray(value)
        if key == "step":
            return ag.tensor(array)
        if array.shape != tuple(param.shape):
            raise ValueError(
                f"{optimizer_name}.load_state_dict: state '{key}' of parameter {index} has shape "
                f"{tuple(array.shape)}, but the parameter has shape {tuple(param.shape)}"
            )
        dtype = param.dtype if array.dtype.kind == "f" else None
        return ag.tensor(array, dtype=dtype)
    return copy.deepcopy(value)


# -- option checks shared by the optimizers ----------------------------------------------
def check_non_negative(optimizer_name, option, value, description=None):
    """Raise ValueError unless `value` is a real number >= 0."""
    description = description or option
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or math.isnan(value) or value < 0:
        raise ValueError(f"{optimizer_name}: invalid {description} value: {value!r} (expected {option} >= 0)")


def check_betas(optimizer_name, betas):
    """Raise ValueError unless `betas` is a pair of numbers in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{optimizer_name}: betas must be a pair (beta1, beta2), got {betas!r}")
    for position, beta in enumerate(betas):
        if not isinstance(beta, numbers.Real) or not 0.0 <= beta < 1.0:
            raise ValueError(
                f"{optimizer_name}: invalid beta parameter at index {position}: {beta!r} "
                "(expected 0 <= beta < 1)"
            )


def new_step_counter():
    """The per-parameter step count, a 0-d float32 tensor as torch keeps it."""
    return ag.tensor(0.0, dtype=ag.float32)
