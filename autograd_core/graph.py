"""The tape: recorded nodes and the reverse pass over them.

Every differentiable operation run while grad mode is on records one `Node`.  A
node knows its op, an increasing sequence number, the values its vector-Jacobian
product (VJP) needs, and one *edge* per input: where the gradient for that input
goes (the input's own node, or the input itself if it is a leaf).

`backward_pass` walks the nodes reachable from the outputs in *decreasing*
sequence order.  An op is always recorded after the ops that produced its inputs,
so this is a valid reverse topological order, found without recursion.  A node's
incoming gradients are summed before its VJP runs: a value used k times receives
the sum of k contributions (the "sum over all paths" of the chain rule).
"""
import itertools
import sys
import weakref

import numpy as np

from . import anomaly_mode, grad_mode
from .tensor import Tensor, make_tensor

_anomaly = anomaly_mode._state  # the per-thread anomaly flags (anomaly_mode.py)
_anomaly_somewhere = False     # anomaly mode is on in some thread (a global: cheap to test per node)


def _anomaly_changed(on):
    global _anomaly_somewhere
    _anomaly_somewhere = on


anomaly_mode.on_change(_anomaly_changed)

_sequence = itertools.count()


def edge_of(tensor):
    """Where the gradient for `tensor` goes: ``(target, output index, shape, dtype)``.

    The target is the node that made it, or the tensor itself for a leaf; shape and
    dtype are what the gradient is reduced and cast to (broadcasting undone, once).
    """
    node = tensor._node
    data = tensor._data
    return (tensor if node is None else node, tensor._output_index, data.shape, data.dtype)


# ---------------------------------------------------------------------------
# What a saved value is (``Node.saved`` holds one entry per saved value)
# ---------------------------------------------------------------------------
class OutputRef:
    """A saved value that is the node's own output `index`.  The node keeps the output's
    array, not its Tensor, so that an output does not keep itself alive through its node."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index

    def __repr__(self):
        return f"OutputRef({self.index})"


_OUTPUT_REFS = [OutputRef(0)]


def output_ref(index):
    """The (shared) marker for output `index`: nodes add no objects for it."""
    while len(_OUTPUT_REFS) <= index:
        _OUTPUT_REFS.append(OutputRef(len(_OUTPUT_REFS)))
    return _OUTPUT_REFS[index]


#: A saved value that is neither an input nor an output (a mask, a Python number): kept as it is.
SAVED_CONSTANT = None
# Any other entry is an int: the position of the input the saved value is.

#: In ``Node.saved_versions``: the version counter belongs to the node's output (else: an input position).
OUTPUT = "output"


# ---------------------------------------------------------------------------
# The namespaces a VJP's ``ctx.xp`` can be.  They are written in the engine's ops,
# which sit above this file, so the assembly step (autograd_core/__init__.py)
# hands them in; the tape itself never imports an op.
# ---------------------------------------------------------------------------
_namespaces = {}


def use_namespaces(array_namespace, tensor_namespace):
    """Set ``ctx.xp`` for a plain backward (`array_namespace`) and under create_graph (`tensor_namespace`)."""
    _namespaces[False] = array_namespace
    _namespaces[True] = tensor_namespace


#: Forward mode's hook, set by `forward_ad_state` when it is imported (the tape imports no
#: higher layer): ``follow_tangent(saved_array, handle)`` gives a handle built on a copy of a saved
#: array (the dtype-cast case of `Node._saved_as_tensor`) that array's tangent.
follow_tangent = None


def namespace(create_graph):
    """The ``xp`` a VJP runs in: numpy arrays in a plain backward, Tensors under create_graph."""
    return _namespaces[create_graph]


class Node:
    """One recorded operation.  It is also the ``ctx`` that an op's forward and backward see.

    Attributes an op may use:
      ``save_for_backward(*values)`` in forward, ``saved_tensors`` in backward,
      ``xp`` in backward (numpy-like namespace: arrays in a plain backward,
      Tensors under ``create_graph=True``), ``needs_input_grad[i]``, and any
      attribute it sets itself (``ctx.dim = dim``) for non-array parameters.
    """

    __slots__ = ("op", "seq", "edges", "saved_arrays", "saved", "create_graph", "xp", "released", "__dict__")

    # Rarely set, so class-level defaults (an instance only pays when it sets one).
    output_count = 1          # more only for a custom Function with several outputs
    output_shapes = None      # ((shape, dtype), ...) of the outputs, for multi-output nodes
    output_arrays = None      # the output array(s), kept only if backward needs them
    hooks = None              # {output index: [hook, ...]} from Tensor.register_hook
    retained = None           # {output index: weakref to Tensor} from Tensor.retain_grad
    materialize_grads = True  # False: a multi-output op's backward gets None for unused outputs
    saved_versions = None     # ((version counter, its value when saved, input position, OUTPUT or a name), ...)

    def __init__(self, op, edges):
        self.op = op
        self.seq = next(_sequence)
        self.edges = edges
        self.saved_arrays = None
        self.saved = None
        self.released = False  # saved values were freed by a backward without retain_graph
        if _anomaly_somewhere and _anomaly.enabled:  # detect_anomaly(): where the user's code recorded it
            self.forward_trace = anomaly_mode.forward_stack()

    # -- used by forward -------------------------------------------------------
    def save_for_backward(self, *values):
        """Keep these values for the VJP.  Inputs and outputs are recognised by identity
        so that ``create_graph=True`` differentiates through them; anything else is a constant."""
        self.saved_arrays = values

    # -- used by backward ------------------------------------------------------
    @property
    def saved_tensors(self):
        """What forward saved: arrays in a plain backward, Tensors under create_graph=True."""
        if self.saved_arrays is None:
            if self.released:
                raise_freed(self)
            return ()
        if self.saved_versions is not None:
            check_versions(self)
        if not self.create_graph:
            return self.saved_arrays
        return tuple(self._saved_as_tensor(source, value) for source, value in zip(self.saved, self.saved_arrays))

    def _saved_as_tensor(self, source, value):
        """The Tensor that a saved value stands for under create_graph.  `source` (from Op.apply)
        is an OutputRef, SAVED_CONSTANT or the position of the input the value is."""
        if source is SAVED_CONSTANT:
            return value
        if source.__class__ is OutputRef:
            return self.output_tensor(source.index)
        edge = self.edges[source]
        if edge is None:
            return make_tensor(value)  # an input that needs no gradient: a constant
        target, index, _, dtype = edge
        # Forward may have seen the input cast to a common dtype (type promotion): then the handle
        # holds the input's own values and the cast is recorded too, so that second derivatives
        # flow back through it to the input itself.
        cast = value.dtype != dtype
        if target.__class__ is Node:
            handle = make_tensor(value.astype(dtype) if cast else value, target, output_index=index)
            if cast and follow_tangent is not None:
                follow_tangent(value, handle)  # forward mode: the new array stands for values with a tangent
        else:
            handle = target  # the leaf itself
        return self.xp.astype(handle, value.dtype) if cast else handle

    def output_tensor(self, index):
        """A new handle on this node's output `index` (its saved array), at its place on the tape."""
        return make_tensor(self.output_arrays[index], self, output_index=index)

    @property
    def needs_input_grad(self):
        """One bool per input: does a gradient flow to it?"""
        edges = self.edges
        if len(edges) == 2:  # binary ops ask on every call: spelt out, 6x cheaper than a generator
            return (edges[0] is not None, edges[1] is not None)
        return tuple([edge is not None for edge in edges])

    @property
    def name(self):
        """The op's name, as torch prints it in ``grad_fn``."""
        return getattr(self.op, "name", None) or self.op.__name__

    @property
    def next_functions(self):
        """The nodes (or leaf tensors) each input's gradient flows to, as in torch."""
        return tuple(None if edge is None else (edge[0], edge[1]) for edge in self.edges)

    def release(self):
        """Drop saved arrays (after backward without retain_graph)."""
        if self.saved_arrays is not None:
            self.saved_arrays = None
            self.saved = None
            if self.output_arrays is not None:
                self.output_arrays = None
            self.released = True

    def register_hook(self, index, hook):
        if self.hooks is None:
            self.hooks = {}
        self.hooks.setdefault(index, []).append(hook)

    def __repr__(self):
        return f"<{self.name}Backward object at {hex(id(self))}>"


def check_versions(node):
    """Refuse to run a VJP on saved values that an in-place operation has changed since (as torch)."""
    for counter, saved, what in node.saved_versions:
        if counter[0] != saved:
            described = "output" if what == OUTPUT else f"input {what}" if isinstance(what, int) else what
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: the {described} that '{node.name}' saved is at version {counter[0]}; expected "
                f"version {saved} instead. Hint: the in-place change came after '{node.name}' used the "
                "tensor; use an out-of-place op (y = y + 1, not y += 1) or clone() the tensor first."
            )


def raise_freed(node):
    raise RuntimeError(
        f"Trying to backward through the graph a second time (op '{node.name}'): its saved "
        "values were freed by the first backward. Pass retain_graph=True to the first "
        "backward() or grad() call if you need to backward through the graph again."
    )


# ---------------------------------------------------------------------------
# The reverse pass
# ---------------------------------------------------------------------------
def _accumulate(existing, new):
    """Sum two gradient contributions without touching either (they may be shared)."""
    return new if existing is None else existing + new


def _collect_nodes(roots):
    """All nodes reachable from `roots`, in decreasing sequence order.  Iterative, no recursion."""
    seen = set(roots)
    stack = list(roots)
    order = []
    while stack:
        node = stack.pop()
        order.append(node)
        for edge in node.edges:
            if edge is not None:
                target = edge[0]
                if target.__class__ is Node and target not in seen:
                    seen.add(target)
                    stack.append(target)
    order.sort(key=_sequence_of, reverse=True)
    return order


def _sequence_of(node):
    return node.seq


def _run_hooks(hooks, grad, create_graph):
    for hook in hooks:
        wrapped = grad if create_graph else make_tensor(grad)
        result = hook(wrapped)
        if result is not None:
            if not isinstance(result, Tensor):
                raise TypeError(f"a gradient hook must return a Tensor or None, got {type(result).__name__}")
            if result.shape != grad.shape:
                raise RuntimeError(
                    f"hook returned a gradient of shape {result.shape}, expected {tuple(grad.shape)}"
                )
            grad = result if create_graph else result._data
    return grad


def backward_pass(outputs, output_grads, retain_graph, create_graph, inputs=None):
    """Propagate `output_grads` from `outputs` back through the tape.

    With ``inputs=None`` (``Tensor.backward``) the gradients of leaves are added to
    their ``.grad``.  With a list of ``inputs`` (``autograd_core.grad``) nothing is
    written to ``.grad``; the gradient reaching each input is returned instead.
    Gradients are ndarrays in a plain pass and Tensors (recorded on the tape) under
    ``create_graph=True``.
    """
    xp = _namespaces[create_graph]
    # Anomaly mode is read once per backward: off, the loop below pays one local test per node.
    anomaly = _anomaly_somewhere and _anomaly.enabled and _anomaly.check_nan
    if anomaly:
        for position, grad in enumerate(output_grads):
            anomaly_mode.check_seed(grad, f"the gradient given for output {position}")
    node_grads = {}     # node -> list with one summed gradient per output
    leaf_grads = {}     # leaf tensor -> summed gradient
    for output, grad in zip(outputs, output_grads):
        node = output._node
        if node is None:
            leaf_grads[output] = _accumulate(leaf_grads.get(output), grad)
        else:
            slots = node_grads.setdefault(node, [None] * node.output_count)
            slots[output._output_index] = _accumulate(slots[output._output_index], grad)

    captured = None
    wanted = {}
    if inputs is not None:
        captured = [None] * len(inputs)
        for position, tensor in enumerate(inputs):
            key = tensor if tensor._node is None else (tensor._node, tensor._output_index)
            wanted.setdefault(key, []).append(position)

    with grad_mode.set_grad_enabled(create_graph):
        for node in _collect_nodes(list(node_grads)):
            grads = node_grads.pop(node, None)
            if grads is None:
                continue  # no gradient reached this node (e.g. only through unused outputs)
            if node.hooks is not None:
                for index, hooks in node.hooks.items():
                    if grads[index] is not None:
                        grads[index] = _run_hooks(hooks, grads[index], create_graph)
                        if anomaly:
                            anomaly_mode.check_seed(grads[index], f"the gradient a hook on an output of "
                                                                  f"'{anomaly_mode.function_name(node)}' returned")
            if node.retained is not None and inputs is None:
                _retain_grads(node, grads, create_graph)
            if wanted:
                for index, grad in enumerate(grads):
                    for position in wanted.get((node, index), ()):
                        captured[position] = grad
            # Run the VJP, inline: this loop body runs once per recorded op.
            if node.released or node.output_count > 1:
                grads = _prepare_call(node, grads, xp)
            node.create_graph = create_graph
            node.xp = xp
            op = node.op
            vjp = op.backward if create_graph or op.plain_backward is None else op.plain_backward
            try:
                input_grads = vjp(node, *grads)
            except Exception as error:  # (free when nothing is raised)
                if _anomaly.enabled:
                    anomaly_mode.annotate(error, node)
                raise
            edges = node.edges
            if input_grads.__class__ is not tuple:
                input_grads = (input_grads,)
            if len(input_grads) != len(edges):
                _raise_gradient_count(node, input_grads)
            if anomaly:
                anomaly_mode.check_gradients(node, input_grads)
            for edge, grad in zip(edges, input_grads):
                if edge is None or grad is None:
                    continue
                target, index, shape, dtype = edge
                # Undo broadcasting and match the input's dtype -- in this one place for all ops.
                if grad.shape != shape:
                    grad = xp.sum_to(grad, shape)
                    if anomaly:  # a sum can overflow
                        anomaly_mode.check_gradients(node, _at(edges, edge, grad))
                if grad.dtype is not dtype and grad.dtype != dtype:
                    grad = xp.astype(grad, dtype)
                    if anomaly:  # so can a cast to a narrower dtype
                        anomaly_mode.check_gradients(node, _at(edges, edge, grad))
                if target.__class__ is Node:
                    slots = node_grads.get(target)
                    if slots is None:
                        node_grads[target] = [grad] if target.output_count == 1 else _first_slot(target, index, grad)
                    elif slots[index] is None:
                        slots[index] = grad
                    else:
                        slots[index] = slots[index] + grad
                else:
                    existing = leaf_grads.get(target)
                    leaf_grads[target] = grad if existing is None else existing + grad
            if not retain_graph and node.saved_arrays is not None:
                node.release()

        # Drop the loop's last references, and take each gradient out of the dict before
        # handing it on: a gradient array that nothing else refers to then becomes the
        # leaf's .grad as it is, without a copy (see _owned_array).
        grads = input_grads = grad = None
        handed_out = set() if create_graph else None  # ids of the gradient Tensors given to leaves
        for leaf in list(leaf_grads):
            grad = leaf_grads.pop(leaf)
            if leaf._hooks:
                grad = _run_hooks(leaf._hooks, grad, create_graph)
            if inputs is None:
                if create_graph:
                    grad = _unshared(grad, handed_out)
                _accumulate_into_leaf(leaf, grad, create_graph)
            else:
                for position in wanted.get(leaf, ()):
                    captured[position] = grad
    return captured


def _at(edges, edge, grad):
    """`grad` at the position of `edge` among `edges` (Nones elsewhere): for an anomaly message's index."""
    return [grad if other is edge else None for other in edges]


def _prepare_call(node, grads, xp):
    """Before a VJP runs: refuse a freed node; give a multi-output node zeros for unused outputs."""
    if node.released:
        raise_freed(node)
    if node.output_count > 1 and node.materialize_grads and any(g is None for g in grads):
        # (`None in grads` would compare arrays with == and fail on any multi-element gradient.)
        # An output nobody used still needs a (zero) gradient for the op's VJP.
        grads = [xp.zeros(shape, dtype) if g is None else g
                 for g, (shape, dtype) in zip(grads, node.output_shapes)]
    return grads


def _first_slot(node, index, grad):
    """The gradient slots of a multi-output node that has just received its first gradient."""
    slots = [None] * node.output_count
    slots[index] = grad
    return slots


def _raise_gradient_count(node, input_grads):
    raise RuntimeError(
        f"{node.name}.backward returned {len(input_grads)} gradients, expected {len(node.edges)} "
        "(one per forward input, None for inputs without a gradient)"
    )


def _retain_grads(node, grads, create_graph):
    for index, tensor_ref in node.retained.items():
        tensor = tensor_ref()
        grad = grads[index]
        if tensor is None or grad is None:
            continue
        grad = grad if create_graph else make_tensor(np.array(grad, copy=True))
        tensor._grad = grad if tensor._grad is None else tensor._grad + grad


def _unshared(grad, handed_out):
    """Under create_graph: a gradient Tensor that no other ``.grad`` is, and that is not the caller's
    own ``gradient=`` tensor (a later backward or ``zero_()`` must never change another leaf's grad)."""
    if grad._node is None or id(grad) in handed_out:
        grad = make_tensor(grad._data.copy(), grad._node, output_index=grad._output_index)
    handed_out.add(id(grad))
    return grad


def _accumulate_into_leaf(leaf, grad, create_graph):
    """Add one backward's gradient to ``leaf.grad``, as torch's AccumulateGrad does."""
    if create_graph:
        leaf._grad = grad if leaf._grad is None else leaf._grad + grad
        return
    existing = leaf._grad
    if existing is None:
        leaf._grad = make_tensor(_owned_array(grad))
    elif existing._node is None and not existing._requires_grad and existing._data.flags.writeable:
        np.add(existing._data, grad, out=existing._data, casting="unsafe")
        existing._version[0] += 1
    else:
        leaf._grad = make_tensor(np.asarray(existing._data + grad))


def _owned_array(grad):
    """Use the gradient array itself as ``.grad`` when nothing else can see it, else a copy.

    A VJP may hand the same array to two inputs (``a + b``), or a read-only
    broadcast view; a ``.grad`` must never alias anything.  The reference count
    tells whether anyone else holds the array: here, backward_pass's variable,
    _accumulate_into_leaf's argument, ours, and getrefcount's own argument.
    """
    if (type(grad) is np.ndarray and grad.flags.writeable and sys.getrefcount(grad) <= 4
            and (grad.base is None or _sole_view(grad))):
        return grad
    return np.array(grad, copy=True, order="C")


def _sole_view(array):
    """True if `array` is the only way to its memory: a chain of whole-array views (reshapes),
    each held only by the next, down to an owner held only by the chain -- as the arrays
    that Numba kernels return are (their memory belongs to a Numba MemInfo object, and
    the kernels here never return two arrays over one allocation)."""
    nbytes = array.nbytes
    base = array.base
    while base is not None:
        if sys.getrefcount(base) > 3:  # the view's reference, `base`, getrefcount's argument
            return False
        if base.__class__ is not np.ndarray:
            return True
        if base.nbytes != nbytes:
            return False  # a part of a bigger array: copy, rather than keep all of it alive
        base = base.base
    return True
