"""In-place changes through views (torch's "rebase").

``y[0].mul_(2)`` writes into y's memory, so y's history must change too: after the
view itself is re-pointed at its in-place op (`inplace._record`), each base up the
chain of views gets a new history that the view op itself describes
(``Op.base_rebuilder``): ``index_put(old base, index, new view)`` for an indexing
view, the new view reshaped or permuted back for a reshape or permute view.  View
ops record their base on their node (``ctx.view_of``, set by `Op.apply`); a view of
a leaf that requires grad is refused, as torch does.
"""
import numpy as np

from .tensor import make_tensor

_NOT_A_VIEW = ("not a view",)  # marks a rebased base's node, whose op may look like a view op


def _view_relation(tensor):
    """(base, rebuild, op name) if `tensor` is a recorded view sharing its base's memory.

    ``rebuild(old_base, new_view)`` gives the base's new value on the tape (None: unsupported).
    """
    node = tensor._node
    if node is None:
        return None
    extra = node.__dict__
    relation = extra.get("view_relation")  # set on the node of an earlier in-place op on this view
    if relation is _NOT_A_VIEW:
        return None
    if relation is None:
        base = extra.get("view_of")  # set by Op.apply for view ops
        if base is None:
            return None
        relation = (base, node.op.base_rebuilder(node), node.name)
    if not np.may_share_memory(tensor._data, relation[0]._data):
        return None  # the "view" was a copy (reshape of a non-contiguous tensor): nothing to rebase
    return relation


def view_chain(tensor, name):
    """[(view, relation), ...] from `tensor` up through its bases; refuses views of leaves (as torch)."""
    chain = []
    current = tensor
    seen = {id(tensor)}
    while True:
        relation = _view_relation(current)
        if relation is None or id(relation[0]) in seen:  # (bases are always older: no loop expected)
            return chain
        seen.add(id(relation[0]))
        base = relation[0]
        if base._node is None:
            if base._requires_grad:
                raise RuntimeError(
                    f"{name}: a view of a leaf Variable that requires grad is being used in an in-place operation."
                )
            return chain
        if relation[1] is None:
            raise RuntimeError(
                f"{name}: an in-place change through a view made by '{relation[2]}' is not supported while its "
                "base requires grad; use an out-of-place op, or assign through the base (base[index] = value)"
            )
        chain.append((current, relation))
        current = base


def at_place_of(tensor, data=None):
    """A new Tensor at `tensor`'s place on the tape (its node and output index), holding `data`."""
    return make_tensor(tensor._data if data is None else data, tensor._node, output_index=tensor._output_index)


def rebase(chain):
    """After the first view in `chain` was re-pointed, give every base up the chain its new history."""
    for position, (view, relation) in enumerate(chain):
        base, rebuild, _ = relation
        new_base = rebuild(at_place_of(base), at_place_of(view))
        # A view keeps its relation for later in-place changes.  (It and the view node's
        # reference to its base form a reference cycle with the base's new history: the
        # cyclic garbage collector frees it.)
        view._node.view_relation = relation
        # The base's memory already holds the new values (the view wrote into it): only its
        # place on the tape changes.  Its new node is a view of the base's own base, if any --
        # never of the new view (a reshape/permute back is a view op, but not of anything real).
        base._node = new_base._node
        base._output_index = new_base._output_index
        base._requires_grad = True
        base._node.view_relation = chain[position + 1][1] if position + 1 < len(chain) else _NOT_A_VIEW
