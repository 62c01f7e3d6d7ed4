"""In-place changes through views (torch's "rebase").

``y[0].mul_(2)`` writes into y's memory, so y's history must change too: after the
view itself is re-pointed at its in-place op (`inplace._record`), each base up the
chain of views gets a new history that the view op itself describes
(``Op.base_rebuilder``): ``index_put(old base, index, new view)`` for an indexing
view, the new view reshaped or permuted back for a reshape or permute view.  A base
that had no history (``out = zeros(3, 4); out[0].copy_(x * 2)``) gets one, as in torch.
A view of a leaf that requires grad, and a piece of split/chunk/unbind, are refused.
"""
import numpy as np

from .tensor import make_tensor


def view_chain(tensor, name):
    """[(view, base, rebuild), ...] from `tensor` up through its bases, checked before anything changes.

    ``rebuild(old_base, new_view)`` is the base's new value on the tape.
    """
    chain = []
    view = tensor
    while True:
        info = view._view_info
        if info is None or not np.may_share_memory(view._data, info.base._data):
            return chain  # not a view, or a "view" that numpy had to copy (reshape of a transposed array)
        if info.op is None:
            raise RuntimeError(
                f"{name}: this tensor is one of the views that split/chunk/unbind returned, and is being "
                "modified in place. Functions that return several views do not allow modifying them in "
                "place (as in torch); replace the in-place op by an out-of-place one, or clone() the piece."
            )
        base = info.base
        if base._node is None and base._requires_grad:
            raise RuntimeError(
                f"{name}: a view of a leaf Variable that requires grad is being used in an in-place operation."
            )
        rebuild = info.op.base_rebuilder(info.ctx)
        if rebuild is None:
            raise RuntimeError(
                f"{name}: an in-place change through a view made by '{info.op.name or info.op.__name__}' is "
                "not supported while its base takes part in autograd; use an out-of-place op, or assign "
                "through the base (base[index] = value)"
            )
        chain.append((view, base, rebuild))
        view = base


def at_place_of(tensor, data=None):
    """A new Tensor at `tensor`'s place on the tape (its node and output index), holding `data`."""
    return make_tensor(tensor._data if data is None else data, tensor._node, output_index=tensor._output_index)


def rebase(chain):
    """After the first view in `chain` was re-pointed, give every base up the chain its new history."""
    for view, base, rebuild in chain:
        # The base's memory already holds the new values (the view wrote into it): only its
        # place on the tape changes.
        new_base = rebuild(at_place_of(base), at_place_of(view))
        base._node = new_base._node
        base._output_index = new_base._output_index
        base._requires_grad = new_base._requires_grad
