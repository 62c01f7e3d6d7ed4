"""How deep the current call sits inside torch.func-style transforms, and the fresh leaves they differentiate.

A transform called inside another (``grad(grad(f))``, ``jacrev(grad(f))``) must build
its derivative on the tape, so that the outer one can differentiate it again; one
called at the top level on inputs that need no gradient answers plain tensors.
"""
import threading
from contextlib import contextmanager

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
    """True where the derivative must itself be differentiable: nested, or an input on someone's tape."""
    return depth() > 0 or any(isinstance(leaf, Tensor) and leaf.requires_grad for leaf in leaves)


def fresh_leaf(tensor, create_graph):
    """A new Tensor to differentiate with respect to.

    With `create_graph` a tensor that requires grad is aliased differentiably (so the
    derivative stays a function of the caller's tensor); otherwise it is detached.
    """
    if create_graph and tensor.requires_grad:
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
