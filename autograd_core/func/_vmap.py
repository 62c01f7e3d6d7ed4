"""``vmap``: torch.func.vmap's semantics as a loop over the batch.

``vmap(f, in_dims, out_dims)(*args)`` slices every batched input along its in_dim,
calls `f` once per sample, and stacks each output along its out_dim.  That is by
definition what a Python loop gives (the contract), for any `f`, including ones
that call other transforms (``vmap(grad(loss))`` gives per-sample gradients).  The
slicing and stacking are ordinary differentiable ops, so gradients flow through.
The cost is one call of `f` per sample: there is no batching rule to fuse them.
"""
import functools

import numpy as np

from ..ops import stack
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor
from ._pytree import broadcast_prefix, describe, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


def _name(func):
    return getattr(func, "__name__", repr(func))


def vmap(func, in_dims=0, out_dims=0, randomness="error", chunk_size=None):
    """`func` mapped over a batch dimension of its inputs (torch.func.vmap).

    `in_dims`: an int for every input, or a tuple with one entry per positional argument,
    each an int, None (not batched) or a nested structure matching that argument.
    `out_dims`: the same for the outputs.  `randomness`: 'error' refuses a `func` that
    draws random numbers, 'different' gives each sample its own draws (the loop's own
    behaviour), 'same' gives every sample the draws of the first.  `chunk_size` is
    checked and accepted: the loop already runs one sample at a time.
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        leaves, spec, dims, batch_size = _batched_inputs(func, in_dims, args)
        start = get_rng_state()
        outputs = []
        for index in range(batch_size):
            if randomness == "same":
                set_rng_state(start)
            before = get_rng_state() if randomness == "error" else None
            sample = [leaf if dim is None else _select(leaf, dim, index) for leaf, dim in zip(leaves, dims)]
            outputs.append(func(*tree_unflatten(sample, spec), **kwargs))
            if before is not None and not np.array_equal(before.numpy(), get_rng_state().numpy()):
                set_rng_state(before)
                raise RuntimeError("vmap: called random operation while in randomness error mode. Please either "
                                   "use the 'same' or 'different' randomness flags on vmap or perform the "
                                   "randomness operation out of vmap")
        return _stack_outputs(func, outputs, out_dims)

    return wrapped


def _batched_inputs(func, in_dims, args):
    """``(leaves, spec, per-leaf in_dim, batch size)``, checked with torch.func's messages."""
    name = _name(func)
    if isinstance(in_dims, bool) or not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
                         f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
                         "to vmap over a function with no inputs. The latter is unsupported.")
    leaves, spec = tree_flatten(args)
    dims = broadcast_prefix(in_dims, args)
    if dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                         f"structure of `inputs`. in_dims has structure {describe(tree_flatten(in_dims)[1])} but "
                         f"inputs has structure {describe(spec)}.")
    sizes, normalized = [], []
    for leaf, dim in zip(leaves, dims):
        if dim is None:
            normalized.append(None)
            continue
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={dim} for an input but "
                             "in_dim must be either an integer dimension or None.")
        if not isinstance(leaf, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={dim} for an input but "
                             f"the input is of type {type(leaf)}. We cannot vmap over non-Tensor arguments, please "
                             "use None as the respective in_dim")
        if not -leaf.ndim <= dim < leaf.ndim:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={dim} for some input, but "
                             f"that input is a Tensor of dimensionality {leaf.ndim} so expected in_dim to satisfy "
                             f"-{leaf.ndim} <= in_dim < {leaf.ndim}.")
        normalized.append(dim % leaf.ndim)
        sizes.append(leaf.shape[dim])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if len(set(sizes)) != 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    if sizes[0] == 0:
        # A loop learns the outputs' shapes from the samples; with none there is nothing to stack.
        raise ValueError("vmap: the batch is empty (size 0 in the mapped dimension); this vmap runs the function "
                         "once per sample and cannot infer the outputs of zero samples")
    return leaves, spec, normalized, sizes[0]


def _select(tensor, dim, index):
    """`tensor` at position `index` of dimension `dim` (that dimension removed), differentiably."""
    return tensor[(slice(None),) * dim + (index,)]


def _stack_outputs(func, outputs, out_dims):
    """Each output leaf stacked over the samples along its out_dim (None: the same value for every sample)."""
    name = _name(func)
    first_leaves, spec = tree_flatten(outputs[0])
    per_sample = [first_leaves]
    for output in outputs[1:]:
        leaves, other = tree_flatten(output)
        if other != spec:
            raise ValueError(f"vmap({name}, ...): `{name}` returned outputs of different structures for different "
                             "samples")
        per_sample.append(leaves)
    dims = [out_dims] * len(first_leaves) if isinstance(out_dims, int) or out_dims is None \
        else broadcast_prefix(out_dims, outputs[0])
    if dims is None:
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                         f"structure of `outputs`. out_dims has structure {describe(tree_flatten(out_dims)[1])} "
                         f"but outputs has structure {describe(spec)}.")
    stacked = []
    for position, dim in enumerate(dims):
        values = [leaves[position] for leaves in per_sample]
        if dim is None:
            stacked.append(_unbatched(name, values))
            continue
        if not all(isinstance(value, Tensor) for value in values):
            bad = next(type(value) for value in values if not isinstance(value, Tensor))
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {bad}. Did you mean to "
                             "set out_dims= to None for output?")
        stacked.append(stack(values, dim=dim))
    return tree_unflatten(stacked, spec)


def _unbatched(name, values):
    """An output with out_dim None: it must not vary over the batch (torch refuses a batched one)."""
    first = values[0]
    for value in values[1:]:
        same = (np.array_equal(np.asarray(value.detach()), np.asarray(first.detach()))
                if isinstance(first, Tensor) and isinstance(value, Tensor) else value == first)
        if not same:
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
    return first
