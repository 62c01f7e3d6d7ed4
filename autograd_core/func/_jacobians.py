"""``jvp``, ``jacrev``, ``jacfwd`` and ``hessian``: torch.func's names over `autograd.functional`.

The arguments and outputs may be nested tuples, lists and dicts of tensors: each
transform flattens them to a tuple of tensors, asks `autograd_core.autograd.functional`
for the derivative of that flat function, and rebuilds the structure torch.func answers:
a Jacobian has the output's structure, each output leaf holding the argument's
structure of blocks shaped ``output.shape + input.shape``.
"""
import functools

from ..autograd import functional
from ..creation import zeros, zeros_like
from ..grad_mode import enable_grad
from ..ops import stack
from ..tensor import Tensor
from ._grad import normalize_argnums, replace_args, split_aux
from ._levels import check_tensors, detach_tree_leaves, inside_transform, keep_tangent, needs_graph
from ._pytree import tree_flatten, tree_unflatten

__all__ = ["hessian", "jacfwd", "jacrev", "jvp"]


class _FlatFunction:
    """`func` as a function of a flat tuple of tensors returning a flat tuple; remembers output structure and aux."""

    def __init__(self, func, args, positions, spec, has_aux, api, kwargs=None):
        self.func, self.args, self.positions, self.spec = func, args, positions, spec
        self.has_aux, self.api, self.kwargs = has_aux, api, kwargs or {}
        self.out_spec = self.aux = None

    def __call__(self, *leaves):
        new_args = replace_args(self.args, self.positions, tree_unflatten(list(leaves), self.spec))
        with inside_transform():
            output = self.func(*new_args, **self.kwargs)
        output, self.aux = split_aux(output, self.has_aux, self.api)
        out_leaves, self.out_spec = tree_flatten(output)
        for leaf in out_leaves:
            if not isinstance(leaf, Tensor):
                raise RuntimeError(f"{self.api}: Expected f to return only tensors, got unsupported type {type(leaf)}")
        return tuple(out_leaves)

    def finish_aux(self, create_graph):
        aux_leaves, aux_spec = tree_flatten(self.aux)
        return tree_unflatten(detach_tree_leaves(aux_leaves, create_graph), aux_spec)


def jvp(func, primals, tangents, has_aux=False):
    """``(func(*primals), J tangents)``: the Jacobian-vector product (torch.func.jvp).

    `primals` and `tangents` are tuples of the same structure; with `has_aux`:
    ``(output, jvp_out, aux)``.
    """
    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, tuple):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected {name} to be a tuple. E.g. it should be valid "
                               "to call f(*primals).")
    leaves, spec = tree_flatten(primals)
    tangent_leaves, tangent_spec = tree_flatten(tangents)
    if tangent_spec != spec:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           "structure.")
    check_tensors(leaves)
    check_tensors(tangent_leaves)
    for primal, tangent in zip(leaves, tangent_leaves):
        if tuple(primal.shape) != tuple(tangent.shape):
            raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same shape. "
                               f"Got {tuple(primal.shape)} and {tuple(tangent.shape)}.")
    create_graph = needs_graph(leaves + tangent_leaves)
    if create_graph:
        leaves = [keep_tangent(leaf) for leaf in leaves]
    flat = _FlatFunction(func, primals, tuple(range(len(primals))), spec, has_aux, "jvp")
    with enable_grad():
        outputs, products = functional.jvp(flat, tuple(leaves), tuple(tangent_leaves), create_graph=create_graph)
    outputs = tree_unflatten(list(outputs), flat.out_spec)
    products = tree_unflatten(list(products), flat.out_spec)
    return (outputs, products, flat.finish_aux(create_graph)) if has_aux else (outputs, products)


def _jacobian_transform(func, argnums, has_aux, api, compute):
    """The wrapper shared by jacrev and jacfwd: `compute(flat, leaves, create_graph)` gives [output][input] blocks."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        positions = normalize_argnums(argnums, len(args))
        leaves, spec = tree_flatten(tuple(args[p] for p in positions))
        check_tensors(leaves)
        create_graph = needs_graph(leaves)
        if create_graph:
            leaves = [keep_tangent(leaf) for leaf in leaves]
        flat = _FlatFunction(func, args, positions, spec, has_aux, api, kwargs)
        with enable_grad():
            blocks = compute(flat, tuple(leaves), create_graph)
        per_output = []
        for row in blocks:
            tree = tree_unflatten(detach_tree_leaves(row, create_graph), spec)
            per_output.append(tree[0] if isinstance(argnums, int) else tree)
        result = tree_unflatten(per_output, flat.out_spec)
        return (result, flat.finish_aux(create_graph)) if has_aux else result

    return wrapper


def _reverse_blocks(flat, leaves, create_graph):
    """One backward pass per output element (functional.jacobian's reverse mode)."""
    return functional.jacobian(flat, leaves, create_graph=create_graph)


def _forward_blocks(flat, leaves, create_graph):
    """One Jacobian-vector product per input element.

    functional.jacobian's forward mode refuses create_graph (as torch's), so inside
    another transform the columns come from functional.jvp with create_graph=True.
    """
    if not create_graph:
        return functional.jacobian(flat, leaves, vectorize=True, strategy="forward-mode")
    columns = []  # columns[k][j]: the tuple of output tangents for input k's element j
    for k, x in enumerate(leaves):
        columns.append([])
        for j in range(x.numel()):
            basis = tuple(_basis(y, j if m == k else None) for m, y in enumerate(leaves))
            columns[k].append(functional.jvp(flat, leaves, basis, create_graph=True)[1])
    outputs = flat(*leaves)
    return tuple(tuple(_columns_to_block([c[i] for c in columns[k]], out, x) for k, x in enumerate(leaves))
                 for i, out in enumerate(outputs))


def _basis(like, index):
    values = zeros_like(like).detach().reshape(-1)
    if index is not None:
        values[index] = 1
    return values.reshape(like.shape)


def _columns_to_block(columns, out, x):
    """The block d out / d x from its columns (an empty block where x has no elements)."""
    if not columns:
        return zeros(out.shape + x.shape, dtype=x.dtype)
    return stack(columns, dim=-1).reshape(out.shape + x.shape)


def jacrev(func, argnums=0, has_aux=False):
    """The Jacobian of `func` with respect to ``args[argnums]`` by reverse mode (one pass per output element)."""
    return _jacobian_transform(func, argnums, has_aux, "jacrev", _reverse_blocks)


def jacfwd(func, argnums=0, has_aux=False, randomness="error"):
    """The Jacobian of `func` with respect to ``args[argnums]`` by forward mode (one pass per input element).

    `randomness` is accepted for torch's signature; the columns are separate calls of
    `func`, so a random `func` gets fresh draws in each (torch's 'different').
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    return _jacobian_transform(func, argnums, has_aux, "jacfwd", _forward_blocks)


def hessian(func, argnums=0):
    """The Hessian of scalar `func` with respect to ``args[argnums]``: ``jacfwd(jacrev(func))``, as torch.func."""
    return jacfwd(jacrev(func, argnums), argnums)
