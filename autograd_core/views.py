"""Views on the tape: what a view op's output remembers of its base.

``w = y[:, 0]`` shares y's memory.  Two things follow, as in torch:

* an in-place change through the view (``w.mul_(2)``) changes y too, so y's history
  must change (`inplace_views.rebase`, which uses the view op's ``base_rebuilder``);
* a view made *before* an in-place change of its base (``w = y[:, 0]; y.mul_(2)``)
  must, when used afterwards, be a view of the base's new history: `current` replays
  the view op on the base (torch regenerates the view's ``grad_fn``).

Each view's Tensor keeps a `ViewInfo` (``tensor._view_info``); the version counter it
shares with its base tells whether the base changed since the view's history was set.
"""


class ViewInfo:
    """How a view was made: ``op.apply(base, **params)``; `ctx` is that call's node (or unrecorded ctx),
    `version` the shared version counter's value when the view's history was last set.
    ``op`` is None for the pieces of split/chunk/unbind, which may not be changed in place."""

    __slots__ = ("base", "op", "ctx", "params", "version")

    def __init__(self, base, op, ctx, params, version):
        self.base = base
        self.op = op
        self.ctx = ctx
        self.params = params
        self.version = version


def is_stale(tensor):
    """Has the memory under this view changed (in place, elsewhere) since its history was set?"""
    info = tensor._view_info
    return info is not None and info.version != tensor._version[0]


def current(tensor):
    """`tensor` itself, its history first brought up to date if it is a stale view (see the module doc).

    Bases first: a view of a view replays from the oldest stale one down, iteratively.
    """
    stale = []
    view = tensor
    while is_stale(view):
        stale.append(view)
        view = view._view_info.base
    for view in reversed(stale):
        info = view._view_info
        if info.op is not None:
            fresh = info.op.apply(info.base, **info.params)
            view._node, view._output_index = fresh._node, fresh._output_index
            view._requires_grad = fresh._requires_grad
            info.ctx = fresh._view_info.ctx
        info.version = view._version[0]
    return tensor


def mark_current(tensor):
    """After an in-place change made through `tensor` (and its bases), their histories are current."""
    while tensor is not None and tensor._view_info is not None:
        tensor._view_info.version = tensor._version[0]
        tensor = tensor._view_info.base
