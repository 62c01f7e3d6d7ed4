"""How deep the current call sits inside torch.func-style transforms, and the fresh leaves they differentiate.

A transform called inside another (``grad(grad(f))``, ``jacrev(grad(f))``) must build
its derivative on the tape, so that the outer one can differentiate it again; one
called at the top level on inputs that need no gradient answers plain tensors.
"""
import threading
from contextlib import contextmanager

from ..forward_ad_state import tangent_of
from ..tensor import Tensor

_state = threading.local()


def depth():
    """How many transforms are running the user's function right now (this thread)."""
    return getattr(_state, "depth", 0)


@contextmanager
def inside_transform():
    """Mark the user's function as running inside a transform, so nested transforms keep their graphs."""
    _state.depth = depth() + 1
    try:
        yield
    finally:
        _state.depth -= 1


def needs_graph(leaves):
    """True where the derivative must itself be differentiable: nested, or an input on someone's tape
    or carrying a forward-mode tangent (forward-over-reverse: ``jacfwd(jacrev(f))``)."""
    return depth() > 0 or any(isinstance(leaf, Tensor) and (leaf.requires_grad or tangent_of(leaf) is not None)
                              for leaf in leaves)


def keep_tangent(tensor):
    """`tensor`, or where it carries a forward-mode tangent but needs no grad, an alias that requires grad.

    Reverse mode detaches an input that needs no grad, and detaching drops the tangent;
    the alias (a view, whose forward-mode rule passes the tangent on) is kept instead,
    as torch's hessian does with ``requires_grad_`` on its dual inputs.
    """
    if isinstance(tensor, Tensor) and not tensor.requires_grad and tangent_of(tensor) is not None:
        return tensor.view_as(tensor).requires_grad_(True)
    return tensor


def fresh_leaf(tensor, create_graph):
    """A new Tensor to differentiate with respect to.

    With `create_graph` a tensor that requires grad (or carries a tangent) is aliased
    differentiably, so the derivative stays a function of the caller's tensor;
    otherwise it is detached.
    """
    if create_graph:
        tensor = keep_tangent(tensor)
        if tensor.requires_grad:
            return tensor.view_as(tensor)
    return tensor.detach().requires_grad_(True)


def check_tensors(leaves):
    """torch.func's words for a non-Tensor where a transform differentiates."""
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(leaf)}")


def detach_tree_leaves(leaves, create_graph):
    """The leaves without history unless a graph was asked for (non-Tensors pass through)."""
    if create_graph:
        return list(leaves)
    return [leaf.detach() if isinstance(leaf, Tensor) else leaf for leaf in leaves]
