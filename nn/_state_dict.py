"""`state_dict` and `load_state_dict` of a Module (torch's keys, order and messages)."""
import collections

import autograd_core as ag

from .parameter import Parameter

_IncompatibleKeysBase = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class IncompatibleKeys(_IncompatibleKeysBase):
    """What `load_state_dict` returns: the keys it did not find and the keys it did not use."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def state_entries(root, prefix=""):
    """``(key, tensor, owner, registry, name)`` for every state_dict entry of `root`, in torch's order.

    Torch's order: a module's own parameters, then its persistent buffers, then
    each child's entries under ``child_name + '.'``.  A shared module is listed
    under every name, as in torch.  Iterative (an explicit stack), never recursive.
    """
    stack = [(prefix, root)]
    while stack:
        module_prefix, module = stack.pop()
        for name, param in module._parameters.items():
            if param is not None:
                yield module_prefix + name, param, module, "_parameters", name
        for name, buffer in module._buffers.items():
            if buffer is not None and name not in module._non_persistent_buffers_set:
                yield module_prefix + name, buffer, module, "_buffers", name
        for child_name, child in reversed(list(module._modules.items())):
            if child is not None:
                stack.append((module_prefix + child_name + ".", child))


def state_dict(root, destination=None, prefix="", keep_vars=False):
    """See `Module.state_dict`."""
    if destination is None:
        destination = collections.OrderedDict()
    for key, value, _, _, _ in state_entries(root, prefix):
        destination[key] = value if keep_vars else value.detach()
    return destination


def _quoted(keys):
    return ", ".join(f'"{key}"' for key in keys)


def _checkpoint_tensor(value):
    """`value` as one of our Tensors: ours as is, a torch tensor converted (torch is never imported:
    it is recognised by its module and its numpy()), anything else None (torch refuses lists and arrays too)."""
    if isinstance(value, ag.Tensor):
        return value
    if type(value).__module__.split(".")[0] == "torch" and hasattr(value, "numpy") and hasattr(value, "detach"):
        return ag.from_numpy(value.detach().cpu().numpy().copy())
    return None


def load_state_dict(root, state, strict=True, assign=False):
    """See `Module.load_state_dict`: validate every entry first, then copy (all or nothing)."""
    if not hasattr(state, "keys") or not hasattr(state, "__getitem__"):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state).__name__}.")
    entries = list(state_entries(root))
    expected = {entry[0] for entry in entries}
    missing = [entry[0] for entry in entries if entry[0] not in state]
    unexpected = [key for key in state.keys() if key not in expected]
    errors = []
    if strict and missing:
        errors.append(f"Missing key(s) in state_dict: {_quoted(missing)}. ")
    if strict and unexpected:
        errors.append(f"Unexpected key(s) in state_dict: {_quoted(unexpected)}. ")
    to_copy = []
    for key, target, owner, registry, name in entries:
        if key not in state:
            continue
        value = _checkpoint_tensor(state[key])
        if value is None:
            errors.append(f'While copying the parameter named "{key}", expected a Tensor (of autograd_core or '
                          f"torch) from the checkpoint but received {type(state[key]).__name__}")
            continue
        if tuple(value.shape) != tuple(target.shape):
            # As torch: a wrong shape is an error even with strict=False.
            errors.append(f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} from "
                          f"checkpoint, the shape in current model is {tuple(target.shape)}.")
            continue
        to_copy.append((target, value, owner, registry, name))
    if errors:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(root).__name__}:\n\t" + "\n\t".join(errors))
    with ag.no_grad():
        for target, value, owner, registry, name in to_copy:
            if not assign:
                target.copy_(value)  # in place: optimizers and views keep seeing the same tensors
            elif registry == "_parameters":
                getattr(owner, registry)[name] = Parameter(value, requires_grad=target.requires_grad)
            else:
                getattr(owner, registry)[name] = value
    return IncompatibleKeys(missing, unexpected)
