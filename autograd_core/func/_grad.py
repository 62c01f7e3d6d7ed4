"""``grad``, ``grad_and_value`` and ``vjp``: torch.func's reverse-mode transforms, on the engine's tape.

Each call differentiates with respect to fresh leaves made from the chosen arguments
(so those arguments need not require grad), one backward pass, and answers
gradients shaped like the arguments (nested tuples, lists and dicts too).
"""
import functools

from ..creation import zeros_like
from ..autograd._functional_utils import autograd_grad
from ..grad_mode import enable_grad
from ..tensor import Tensor
from ._levels import check_tensors, detach_tree_leaves, fresh_leaf, inside_transform, needs_graph
from ._pytree import tree_flatten, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp"]


def normalize_argnums(argnums, num_args):
    """`argnums` as a tuple of non-negative positions, checked with torch.func's messages."""
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        positions = (argnums,)
    elif isinstance(argnums, tuple) and all(isinstance(a, int) and not isinstance(a, bool) for a in argnums):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        positions = argnums
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    for position in positions:
        if not -num_args <= position < num_args:
            raise RuntimeError(f"Got argnum={position}, but only {num_args} positional inputs")
    positions = tuple(p % num_args for p in positions)
    if len(set(positions)) != len(positions):
        raise RuntimeError(f"argnums must be unique, got {argnums}")
    return positions


def replace_args(args, positions, fresh_tree):
    """`args` with the arguments at `positions` replaced by the entries of `fresh_tree` (a tuple)."""
    new_args = list(args)
    for position, value in zip(positions, fresh_tree):
        new_args[position] = value
    return new_args


def split_aux(output, has_aux, api):
    """``(output, aux)``; with has_aux the function must have returned a pair (torch's message)."""
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}(f)(*args): output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    return output


def differentiable_leaves(args, argnums):
    """``(positions, spec, create_graph, fresh leaves)`` for the arguments a transform differentiates."""
    positions = normalize_argnums(argnums, len(args))
    leaves, spec = tree_flatten(tuple(args[p] for p in positions))
    check_tensors(leaves)
    create_graph = needs_graph(leaves)
    fresh = [fresh_leaf(leaf, create_graph) for leaf in leaves]
    return positions, spec, create_graph, fresh


def gradients(outputs, inputs, grad_outputs, create_graph, retain_graph=None):
    """d(outputs)/d(inputs) contracted with `grad_outputs`; zeros for an input the outputs do not use."""
    grads = autograd_grad(outputs, inputs, grad_outputs, create_graph=create_graph, retain_graph=retain_graph)
    return [zeros_like(x) if g is None else g for g, x in zip(grads, inputs)]


def grad_and_value(func, argnums=0, has_aux=False):
    """A function answering ``(gradient, value)`` of scalar `func` with respect to ``args[argnums]``.

    The gradient has the structure of that argument (a tuple of them when `argnums`
    is a tuple); with `has_aux`, `func` returns ``(value, aux)`` and the answer is
    ``(gradient, (value, aux))``.  Nested use (``grad(grad(f))``) works: inside another
    transform the gradient is built with ``create_graph=True``.
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with enable_grad():  # a transform ignores an outer no_grad, as torch.func's
            positions, spec, create_graph, fresh = differentiable_leaves(args, argnums)
            with inside_transform():
                output = func(*replace_args(args, positions, tree_unflatten(fresh, spec)), **kwargs)
            value, aux = split_aux(output, has_aux, "grad_and_value")
            if not isinstance(value, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(value)}")
            if value.ndim != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {value.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?")
            grads = gradients([value], fresh, [None], create_graph)
        grads = tree_unflatten(detach_tree_leaves(grads, create_graph), spec)
        grads = grads[0] if isinstance(argnums, int) else grads
        value = value if create_graph else value.detach()
        if has_aux:
            aux_leaves, aux_spec = tree_flatten(aux)
            return grads, (value, tree_unflatten(detach_tree_leaves(aux_leaves, create_graph), aux_spec))
        return grads, value

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of scalar `func` with respect to ``args[argnums]`` (torch.func.grad).

    ``grad(f)(x)`` equals ``autograd_core.grad(f(x), x)`` with `x` a fresh leaf; with
    `has_aux` it answers ``(gradient, aux)``.
    """
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``, where ``vjp_fn(cotangents)`` is the tuple ``v^T J`` per primal.

    The forward runs once; each call of `vjp_fn` is one backward pass (the graph is
    kept, so `vjp_fn` may be called again).  With `has_aux`: ``(output, vjp_fn, aux)``.
    """
    with enable_grad():
        leaves, spec = tree_flatten(primals)
        check_tensors(leaves)
        create_graph = needs_graph(leaves)
        fresh = [fresh_leaf(leaf, create_graph) for leaf in leaves]
        with inside_transform():
            output = func(*tree_unflatten(fresh, spec))
        output, aux = split_aux(output, has_aux, "vjp")
        out_leaves, out_spec = tree_flatten(output)
        for leaf in out_leaves:
            if not isinstance(leaf, Tensor):
                raise RuntimeError(f"vjp(f, *primals): Expected f(*primals) to return only tensors, got "
                                   f"unsupported type {type(leaf)}")

    def vjp_fn(cotangents):
        """``v^T J`` for cotangents shaped like the output: a tuple with one entry per primal."""
        ct_leaves, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               "outputs to the function.")
        for index, (ct, out) in enumerate(zip(ct_leaves, out_leaves)):
            if tuple(ct.shape) != tuple(out.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{index}] has a shape of {tuple(ct.shape)} and "
                                   f"output[{index}] has a shape of {tuple(out.shape)}.")
        graph = create_graph or needs_graph(ct_leaves)
        with enable_grad():
            grads = gradients(out_leaves, fresh, ct_leaves, graph, retain_graph=True)
        return tree_unflatten(detach_tree_leaves(grads, graph), spec)

    output = tree_unflatten(detach_tree_leaves(out_leaves, create_graph), out_spec)
    if has_aux:
        aux_leaves, aux_spec = tree_flatten(aux)
        return output, vjp_fn, tree_unflatten(detach_tree_leaves(aux_leaves, create_graph), aux_spec)
    return output, vjp_fn
