"""Activation checkpointing, as ``torch.utils.checkpoint``: trade compute for memory.

``y = checkpoint(block, x)`` keeps only ``x`` (and ``y``) for the backward pass
instead of every intermediate of ``block``; the backward pass runs ``block`` again
with recording on and backpropagates through that fresh copy.  A deep network
checkpointed every layer holds one layer's intermediates at a time (plus the layer
boundaries) at the price of a second forward pass.

How it is built: the forward pass records ``block`` once, only to find which
tensors outside the block it uses that need gradients (a model's parameters,
captured by the closure or the module), then drops that record, so the
intermediates are freed as soon as the block has run.  One custom `Function` node
stands for the block: its inputs are the block's tensor arguments and those
outside tensors, so gradients reach both (through ``backward()`` and
``autograd_core.grad`` alike, torch's ``use_reentrant=False`` behaviour).  Dropout
draws the same mask when recomputed: the random state at the forward pass is
restored around the recomputation.
"""
from .. import graph as _graph
from ..engine import grad as engine_grad
from ..function import Function
from ..grad_mode import enable_grad, is_grad_enabled, no_grad
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, recomputed in the backward pass instead of keeping its intermediates.

    `function` returns a Tensor or a tuple (Tensors and other values).  Arguments that do
    not require grad, non-Tensor arguments and keyword arguments are fine; tensors the
    function uses that require grad but are neither arguments nor leaves (an
    intermediate captured by a closure) are refused: pass them as arguments.
    `use_reentrant` is accepted for torch's signature (None, False or True); every
    value gives the ``use_reentrant=False`` semantics above.
    `preserve_rng_state=True` makes the recomputation draw the same random numbers.
    """
    if use_reentrant not in (None, False, True):
        raise TypeError(f"checkpoint: use_reentrant must be None, False or True, got {use_reentrant!r}")
    if not is_grad_enabled():
        return function(*args, **kwargs)  # nothing will be differentiated: nothing to save or recompute
    run = _Segment(function, args, kwargs, preserve_rng_state)
    tensor_args = [value for value in args if isinstance(value, Tensor)]
    outputs = run.first_forward(tensor_args)
    if not run.captured and not any(t.requires_grad for t in tensor_args):
        return outputs
    return _Checkpoint.apply(run, len(tensor_args), *tensor_args, *run.captured)


class _Segment:
    """One checkpointed call: what it needs to run again, and the outside tensors its gradients go to.

    The tensor arguments are not held here: the node saves them (`save_for_backward`), so
    the engine frees them after the backward pass like any saved activation.
    """

    def __init__(self, function, args, kwargs, preserve_rng_state):
        self.function, self.kwargs = function, kwargs
        self.tensor_positions = [i for i, value in enumerate(args) if isinstance(value, Tensor)]
        self.other_args = [None if isinstance(value, Tensor) else value for value in args]
        self.rng_state = get_rng_state() if preserve_rng_state else None
        self.captured = []
        self.outputs = None

    def _call(self, leaves):
        args = list(self.other_args)
        for position, leaf in zip(self.tensor_positions, leaves):
            args[position] = leaf
        return self.function(*args, **self.kwargs)

    def first_forward(self, tensor_args):
        """Run the function recorded, note the outside leaves its graph reaches, keep only the outputs."""
        fresh = [t.detach().requires_grad_(t.requires_grad) for t in tensor_args]
        start = next(_graph._sequence)  # every node of this call gets a larger sequence number
        outputs = self._call(fresh)
        self.captured = _outside_leaves(outputs, start, {id(leaf) for leaf in fresh})
        # The outputs without their record: the intermediates are freed now, not at backward.
        self.outputs = _map_tensors(outputs, lambda t: t.detach())
        return self.outputs

    def recompute_gradients(self, inputs, needs_grad, grads):
        """Run the function again on `inputs` with recording on; backpropagate `grads` from its outputs."""
        fresh = [t.detach().requires_grad_(needs) for t, needs in zip(inputs, needs_grad)]
        current = get_rng_state() if self.rng_state is not None else None
        if current is not None:
            set_rng_state(self.rng_state)
        try:
            with enable_grad():
                outputs = self._call(fresh)
        finally:
            if current is not None:
                set_rng_state(current)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(out, g) for out, g in zip(outputs, grads)
                 if isinstance(out, Tensor) and out.requires_grad and g is not None]
        targets = [leaf for leaf in fresh if leaf.requires_grad] + list(self.captured)
        if not pairs or not targets:
            found = [None] * len(targets)
        else:
            found = list(engine_grad([out for out, _ in pairs], targets, [g for _, g in pairs], allow_unused=True))
        by_id = {id(leaf): value for leaf, value in zip(targets, found)}
        return [by_id.get(id(leaf)) for leaf in fresh] + [by_id.get(id(leaf)) for leaf in self.captured]


def _outside_leaves(outputs, start, own_ids):
    """Leaves requiring grad that the record of this call reaches, other than its own argument copies."""
    roots = [t._node for t in _tensors_of(outputs) if t._node is not None and t._node.seq > start]
    seen, stack, leaves, leaf_ids = set(roots), list(roots), [], set()
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if edge is None:
                continue
            target = edge[0]
            if isinstance(target, Tensor):
                if id(target) not in own_ids and id(target) not in leaf_ids:
                    leaf_ids.add(id(target))
                    leaves.append(target)
            elif target.seq < start:
                raise RuntimeError(
                    "checkpoint: the function uses a tensor that requires grad, is not one of its arguments and "
                    "is not a leaf (an intermediate result captured by a closure?); pass it as an argument so "
                    "that its gradient can be computed")
            elif target not in seen:
                seen.add(target)
                stack.append(target)
    return leaves


def _tensors_of(outputs):
    return [outputs] if isinstance(outputs, Tensor) else [v for v in outputs if isinstance(v, Tensor)] \
        if isinstance(outputs, tuple) else []


def _map_tensors(outputs, function):
    if isinstance(outputs, Tensor):
        return function(outputs)
    if isinstance(outputs, tuple):
        return tuple(function(v) if isinstance(v, Tensor) else v for v in outputs)
    raise TypeError(f"checkpoint: the function must return a Tensor or a tuple, got {type(outputs).__name__}")


class _Checkpoint(Function):
    """The node standing for a checkpointed call: forward hands out the outputs, backward recomputes."""

    @staticmethod
    def forward(ctx, run, count, *tensors):
        ctx.run, ctx.count = run, count
        ctx.save_for_backward(*tensors[:count])  # the arguments; the captured leaves live anyway
        outputs, run.outputs = run.outputs, None  # the node's outputs are the only reference kept
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        if is_grad_enabled():
            # create_graph=True: the recomputed graph starts at detached copies of the inputs, so a
            # second derivative would not reach them.
            raise RuntimeError("checkpoint: backward with create_graph=True through a checkpointed function "
                               "is not supported")
        inputs = list(ctx.saved_tensors)  # an error if a backward already freed them (retain_graph=False)
        needs_grad = ctx.needs_input_grad[2:2 + ctx.count]
        with no_grad():
            return (None, None, *ctx.run.recompute_gradients(inputs, needs_grad, grads))


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run the layers of `functions` (an ``nn.Sequential`` or a list) in `segments` checkpointed chunks.

    As torch: every chunk but the last is checkpointed (the last one's intermediates
    are needed at once by the backward pass).  `kwargs` (e.g. ``preserve_rng_state``)
    go to `checkpoint`.
    """
    layers = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be at least 1, got {segments}")

    def run_layers(start, end):
        def forward(value):
            for layer in layers[start:end + 1]:
                value = layer(value)
            return value
        return forward

    segment_size = len(layers) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_layers(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run_layers(end + 1, len(layers) - 1)(input)
