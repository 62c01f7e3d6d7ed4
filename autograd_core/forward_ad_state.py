"""Forward mode's state: the live dual level, the tangents it holds, and how an op passes them on.

A dual tensor is an ordinary Tensor whose values (its ndarray) have a *tangent*
registered in the live dual level.  The table is keyed by the ndarray object, held
weakly: every handle on the same array sees the same tangent, which is what lets
the handles the tape makes for saved values under ``create_graph=True`` (they wrap
the very arrays the forward saw) carry their tangents into a backward pass, so
forward-over-reverse gives Hessian-vector products with no help from the tape.
Leaving the level drops the whole table.

`propagate` is what `Op.apply` calls after an op while a level holds tangents:
output tangent = the op's ``jvp(ctx, *tangents)`` rule, written in Tensor ops.
When no level is live, `Op.apply` pays one attribute check (``state.active``).

This file sits below the op families (op.py imports it); the rules it calls are
written in the op files, and their ``xp`` namespace comes from the tape.
"""
import weakref

import numpy as np

from . import graph
from .graph import namespace
from .tensor import Tensor, make_tensor


class _State:
    """Module-wide forward-mode flags (forward mode is one global level, as torch's)."""

    #: torch's numbering: 0 while a dual level is live, -1 when none is.
    level = -1
    #: True while a level is live and ops must pass tangents on; False outside a level and
    #: while a JVP rule itself runs (the rule's own ops carry no tangent of a tangent).
    active = False


state = _State()

#: id(ndarray) -> (weak reference to the ndarray, its tangent Tensor), for the live level only.
_tangents = {}


def tangent_of(tensor):
    """The tangent of `tensor` in the live level, or None."""
    entry = _tangents.get(id(tensor._data))
    return None if entry is None else entry[1]


def set_tangent(tensor, tangent):
    """Register `tangent` (a Tensor of tensor's shape and dtype) for `tensor`'s values."""
    _register(tensor._data, tangent)


def _register(array, tangent):
    key = id(array)

    def forget(reference, key=key):
        # The array died: drop its entry (unless a newer array already reuses the id).
        entry = _tangents.get(key)
        if entry is not None and entry[0] is reference:
            del _tangents[key]

    _tangents[key] = (weakref.ref(array, forget), tangent)


def _follow_tangent(array, handle):
    """The tape's hook (`graph.follow_tangent`): `handle` wraps a copy of the saved `array`."""
    entry = _tangents.get(id(array))
    if entry is not None:
        set_tangent(handle, fit(entry[1], handle))


graph.follow_tangent = _follow_tangent


def drop_tangents():
    """Forget every tangent (leaving the dual level)."""
    _tangents.clear()


def missing_rule(name):
    """The error for an op without a JVP rule called on a dual tensor."""
    return NotImplementedError(
        f"forward-mode AD is not implemented for '{name}' (it has no jvp rule); "
        "compute this derivative in reverse mode (autograd_core.grad) instead"
    )


class JvpContext:
    """The ``ctx`` a JVP rule receives.

    ``ctx.inputs`` are the op's positional inputs as passed (Tensors, arrays or numbers),
    ``ctx.output`` the output Tensor, ``ctx.params`` the keyword parameters, ``ctx.xp``
    the Tensor namespace VJP rules use under create_graph; any attribute forward set on
    its own ctx (``ctx.dims``, ``ctx.index``...) is read through.
    """

    __slots__ = ("op", "inputs", "output", "params", "forward_ctx", "xp")

    def __init__(self, op, forward_ctx, inputs, output, params):
        self.op = op
        self.forward_ctx = forward_ctx
        self.inputs = inputs
        self.output = output
        self.params = params
        self.xp = namespace(True)

    def __getattr__(self, name):
        return getattr(self.forward_ctx, name)


def propagate(op, forward_ctx, inputs, arrays, result, params):
    """Give `result` the tangent ``sum_i J_i t_i`` when an input of `op` has a tangent
    (`arrays`: the inputs as forward saw them, maybe dtype-cast copies)."""
    tangents = None
    for position, value in enumerate(inputs):
        if isinstance(value, Tensor):
            entry = _tangents.get(id(value._data))
            if entry is not None:
                if tangents is None:
                    tangents = [None] * len(inputs)
                tangents[position] = entry[1]
    if tangents is None or result._data.dtype.kind != "f":
        return  # no dual input, or an integer/bool output (not differentiable)
    rule = op.jvp
    if rule is None:
        raise missing_rule(op.name or op.__name__.lower())
    tangent = run_rule(rule, JvpContext(op, forward_ctx, inputs, result, params), tangents)
    set_tangent(result, fit(tangent, result))
    for position, input_tangent in enumerate(tangents):
        array = arrays[position]
        if input_tangent is not None and array is not inputs[position]._data:
            # Forward saw a dtype-cast copy, which the node may save: it carries the tangent too,
            # so that a create_graph backward through the saved copy passes it on.
            _register(array, fit(input_tangent, make_tensor(array)))


def run_rule(rule, ctx, tangents):
    """Run a JVP rule with propagation off (its ops compute a tangent; they carry none themselves)."""
    state.active = False
    try:
        return rule(ctx, *tangents)
    finally:
        state.active = state.level >= 0


def fit(tangent, like):
    """`tangent` as a Tensor of `like`'s shape and dtype: rules may return a broadcastable
    tangent (an input's, for ``a + b``), a number 0, or another float dtype (type promotion)."""
    state.active = False
    try:
        if not isinstance(tangent, Tensor):
            return make_tensor(_zeros_plus(tangent, like))
        if tangent.dtype != like.dtype:
            tangent = tangent.to(like.dtype)
        if tangent.shape != like.shape:
            tangent = tangent.expand(*like.shape) if like.shape else tangent.reshape(())
        return tangent
    finally:
        state.active = state.level >= 0


def _zeros_plus(value, like):
    array = np.zeros(like.shape, like.dtype)
    if value is not None:
        array += value
    return array


def propagate_pieces(input, outputs, rule):
    """For an op with several outputs made outside `Op.apply` (split, chunk, unbind): give each
    output its tangent, ``rule(tangent of input)`` returning one tangent per output."""
    tangent = tangent_of(input) if isinstance(input, Tensor) else None
    if tangent is None:
        return
    pieces = run_rule(lambda ctx, t: rule(t), None, [tangent])
    for output, piece in zip(outputs, pieces):
        set_tangent(output, fit(piece, output))


def replace_tangent(tensor, tangent):
    """After an in-place change: `tensor`'s values now have `tangent` (None: no tangent any more)."""
    if tangent is None:
        _tangents.pop(id(tensor._data), None)
    else:
        set_tangent(tensor, fit(tangent, tensor))


def has_tangent(values):
    """Does any of `values` (Tensors or not) carry a tangent in the live level?"""
    return any(isinstance(value, Tensor) and id(value._data) in _tangents for value in values)
