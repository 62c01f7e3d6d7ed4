"""Custom differentiable functions, as ``torch.autograd.Function``.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_y):
            (y,) = ctx.saved_tensors
            return grad_y * y          # d/dx e^x = e^x

    y = Exp.apply(x)

`forward` gets the arguments as passed (Tensors stay Tensors) and runs with
recording off; it returns a Tensor or a tuple.  `backward` gets one gradient per
output and returns one gradient per forward argument (None where there is none).
Both always see Tensors: under ``backward(create_graph=True)`` the saved tensors
are the original inputs and outputs, so a backward written in tensor ops is itself
differentiated (second derivatives).
"""
from . import forward_ad_state, grad_mode
from .graph import OUTPUT, SAVED_CONSTANT, Node, OutputRef, check_versions, edge_of, namespace, output_ref, raise_freed
from .tensor import Tensor, make_tensor


class FunctionCtx:
    """The ``ctx`` a custom Function's forward and backward receive.

    Set any attribute on it to pass non-tensor values to backward (``ctx.dim = dim``);
    pass tensors with `save_for_backward`.
    """

    def __init__(self, needs_input_grad):
        #: One bool per forward argument: does a gradient flow to it?
        self.needs_input_grad = needs_input_grad
        self._to_save = ()
        self._saved_for_forward = None  # set by save_for_forward; what saved_tensors gives inside jvp
        self._non_differentiable = ()
        self._dirty = ()
        self._materialize_grads = True
        self._node = None  # set only while the node's backward runs

    def save_for_backward(self, *tensors):
        """Keep these tensors (inputs, outputs or None) for backward; read them as ``ctx.saved_tensors``."""
        for position, value in enumerate(tensors):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"save_for_backward can only save Tensors or None, but argument {position} is a "
                    f"{type(value).__name__}; keep other values as ctx attributes (ctx.name = value)"
                )
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        """Keep these tensors (or None) for forward mode's `Function.jvp`, which reads them as
        ``ctx.saved_tensors`` (torch's name)."""
        for position, value in enumerate(tensors):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"save_for_forward can only save Tensors or None, but argument {position} is a "
                                f"{type(value).__name__}")
        self._saved_for_forward = tensors

    @property
    def saved_tensors(self):
        """The tensors given to `save_for_backward` (an error once a backward freed them);
        inside `Function.jvp`, those given to `save_for_forward`."""
        if self._saved_for_forward is not None and getattr(self, "_in_jvp", False):
            return tuple(self._saved_for_forward)
        node = self._node
        if node is None:
            return tuple(self._to_save or ())
        saved = node.saved_arrays
        if saved is None:
            if node.released:
                raise_freed(node)
            return ()
        if node.saved_versions is not None:
            check_versions(node)
        return tuple(node.output_tensor(source.index) if source.__class__ is OutputRef else value
                     for source, value in zip(node.saved, saved))

    def mark_non_differentiable(self, *tensors):
        """These outputs never require grad (their gradient passed to backward is zeros)."""
        self._non_differentiable = self._non_differentiable + tuple(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        """These inputs were modified in place by forward and are returned as outputs."""
        self._dirty = self._dirty + tuple(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        """With False, backward gets None (not zeros) for outputs that received no gradient."""
        self._materialize_grads = bool(value)


class _BackwardAdapter:
    """The op the engine sees for a custom Function's node.

    The engine calls ``op.backward(node, *grads)`` with ndarrays in a plain
    backward and Tensors under create_graph; this wraps them so the user's
    backward always sees Tensors, and checks what it returns.
    """

    def __init__(self, function):
        self.function = function
        self.name = function.__name__
        self.plain_backward = None  # the user's backward is the only rule

    def backward(self, node, *grads):
        ctx = node.function_ctx
        create_graph = node.create_graph
        grads = self._prepare_grads(node, ctx, grads, create_graph)
        ctx._node = node
        try:
            result = self.function.backward(ctx, *grads)
        finally:
            ctx._node = None
        return self._check_result(node, ctx, result, create_graph)

    @staticmethod
    def _prepare_grads(node, ctx, grads, create_graph):
        xp = namespace(create_graph)
        prepared = []
        for grad, meta in zip(grads, node.output_shapes or ((None, None),)):
            if grad is None and meta is not None and meta[0] is not None and ctx._materialize_grads:
                grad = xp.zeros(*meta)  # an output nobody used: zeros, as torch
            if grad is not None and not create_graph:
                grad = make_tensor(grad)
            prepared.append(grad)
        return prepared

    def _check_result(self, node, ctx, result, create_graph):
        if not isinstance(result, tuple):
            result = tuple(result) if isinstance(result, list) else (result,)
        expected = len(node.edges)
        # torch allows surplus trailing Nones (e.g. for keyword-like trailing arguments).
        if len(result) < expected or any(g is not None for g in result[expected:]):
            raise RuntimeError(
                f"function {self.name}Backward returned an incorrect number of gradients "
                f"(expected {expected}, got {len(result)}): return one gradient per forward argument, "
                "None for arguments without one"
            )
        grads = []
        for position, (edge, grad) in enumerate(zip(node.edges, result)):
            if grad is None:
                grads.append(None)
                continue
            if not isinstance(grad, Tensor):
                if not ctx._tensor_inputs[position]:
                    raise RuntimeError(
                        f"function {self.name}Backward returned a gradient different than None at "
                        f"position {position}, but the corresponding forward input was not a Tensor"
                    )
                raise TypeError(
                    f"function {self.name}Backward returned a {type(grad).__name__} at position "
                    f"{position}; gradients must be Tensors or None"
                )
            if edge is None:
                grads.append(None)  # that input needs no gradient: ignore what was computed
                continue
            shape = edge[2]
            if grad.shape != shape and not _expandable(shape, grad.shape):
                raise RuntimeError(
                    f"function {self.name}Backward returned an invalid gradient at index {position} - "
                    f"got shape {tuple(grad.shape)} but expected shape compatible with {tuple(shape)}"
                )
            grads.append(grad if create_graph else grad._data)
        return tuple(grads)


def _expandable(shape, target):
    """Can `shape` be broadcast to `target`?  (Then the engine sums a `target` gradient back.)"""
    if len(shape) > len(target):
        return False
    lead = len(target) - len(shape)
    return all(size == 1 or size == target[lead + i] for i, size in enumerate(shape))


class Function:
    """Base class of user-defined differentiable functions (see the module docstring).

    Subclasses define static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``
    (or torch 2's ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``)
    and are called as ``MyFunction.apply(*args)``.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """The computation, on Tensors, with recording off; returns a Tensor or a tuple."""
        raise NotImplementedError("a Function subclass must define a static forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """One gradient per output in; one gradient (Tensor or None) per forward argument out."""
        raise NotImplementedError("a Function subclass must define a static backward(ctx, *grads)")

    @staticmethod
    def jvp(ctx, *tangents):
        """Optional, for forward mode (`autograd_core.autograd.forward_ad`): one tangent per forward
        argument in (zeros for a Tensor without one, None for a non-Tensor), one tangent per output
        out, in Tensor ops.  What forward kept with ``ctx.save_for_forward`` is ``ctx.saved_tensors``."""
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Optional (torch 2 style): fill `ctx` from the inputs and output of a ``forward(*args)``."""
        raise NotImplementedError

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            f"{type(self).__name__}: custom Functions are not instantiated; call {type(self).__name__}.apply(...)"
        )

    @classmethod
    def _adapter(cls):
        adapter = cls.__dict__.get("_backward_adapter")
        if adapter is None:
            adapter = _BackwardAdapter(cls)
            cls._backward_adapter = adapter
        return adapter

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on `args` (recording nothing) and record one node whose VJP is ``cls.backward``."""
        state = grad_mode._state
        recording = state.enabled
        edges = []
        for value in args:
            recorded = isinstance(value, Tensor) and value._requires_grad and recording
            edges.append(edge_of(value) if recorded else None)
        ctx = FunctionCtx(tuple(edge is not None for edge in edges))
        forward_mode = _forward.active
        state.enabled = False  # forward records nothing (a bare flag flip: cheaper than no_grad())
        _forward.active = False  # nor passes tangents on: forward mode uses cls.jvp
        try:
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = recording
            _forward.active = forward_mode
        if forward_mode:
            _forward_tangents(cls, ctx, args, output)
        if not any(ctx.needs_input_grad):
            return output
        return _record(cls, ctx, args, edges, output)


_forward = forward_ad_state.state


def _forward_tangents(cls, ctx, args, output):
    """Forward mode: when an argument carries a tangent, give the outputs ``cls.jvp``'s tangents."""
    tangents = [forward_ad_state.tangent_of(value) if isinstance(value, Tensor) else None for value in args]
    if all(tangent is None for tangent in tangents):
        return
    if cls.jvp is Function.jvp:
        raise NotImplementedError(
            f"forward-mode AD is not implemented for '{cls.__name__}': you must implement the jvp function for "
            "custom autograd.Function to use it with forward mode AD.")
    tangents = [make_tensor(value._data * 0) if tangent is None and isinstance(value, Tensor) else tangent
                for value, tangent in zip(args, tangents)]
    ctx._in_jvp = True
    try:
        result = forward_ad_state.run_rule(cls.jvp, ctx, tangents)
    finally:
        ctx._in_jvp = False
    outputs = (output,) if isinstance(output, Tensor) else tuple(output) if isinstance(output, tuple) else ()
    results = (result,) if not isinstance(result, (tuple, list)) else tuple(result)
    if len(results) != len(outputs):
        raise RuntimeError(f"function {cls.__name__}.jvp returned {len(results)} tangents for {len(outputs)} "
                           "outputs: return one tangent per output of forward")
    for value, tangent in zip(outputs, results):
        if isinstance(value, Tensor) and value._data.dtype.kind == "f" and tangent is not None:
            if not isinstance(tangent, Tensor) or tangent.shape != value.shape:
                raise RuntimeError(
                    f"function {cls.__name__}.jvp returned an invalid tangent for an output of shape "
                    f"{tuple(value.shape)}: expected a Tensor of that shape")
            forward_ad_state.set_tangent(value, forward_ad_state.fit(tangent, value))


def _record(cls, ctx, args, edges, output):
    """Attach a node to the differentiable outputs of `output` and keep what backward needs."""
    single = isinstance(output, Tensor)
    outputs = (output,) if single else output if isinstance(output, tuple) else ()
    if not single and not any(isinstance(value, Tensor) for value in outputs):
        return output
    node = Node(cls._adapter(), tuple(edges))
    node.function_ctx = ctx
    node.materialize_grads = False  # the adapter fills in zeros itself (it knows non-tensor outputs)
    ctx._tensor_inputs = [isinstance(value, Tensor) for value in args]
    if not single:
        node.output_count = len(outputs)
    node.output_shapes = [(value._data.shape, value._data.dtype) if isinstance(value, Tensor) else None
                          for value in outputs]

    results = []
    positions = {}  # id of a differentiable output -> its index
    for index, value in enumerate(outputs):
        if not isinstance(value, Tensor):
            results.append(value)
        elif value._data.dtype.kind != "f" or id(value) in ctx._non_differentiable:
            results.append(make_tensor(value._data, view_of=value) if value._requires_grad else value)
        elif id(value) in ctx._dirty:
            _check_dirty(cls, value)
            # Modified in place by forward: the input object itself now comes from this node.
            value._node, value._output_index, value._requires_grad = node, index, True
            value._version[0] += 1
            results.append(value)
            positions[id(value)] = index
        else:
            # A new handle (sharing memory and version counter), so that returning an input unchanged
            # does not rewrite the input's own history.
            results.append(make_tensor(value._data, node, output_index=index, view_of=value))
            positions[id(value)] = index

    # A saved input stays that Tensor (so create_graph differentiates through it); a saved
    # differentiable output is recorded as an OutputRef to this node's output (its array is
    # kept, not its Tensor: no reference cycle) -- the same encoding as Op.apply's.
    if ctx._to_save:
        input_positions = {id(value): position for position, value in enumerate(args)}
        sources = []
        for value in ctx._to_save:
            if id(value) in input_positions:
                sources.append(input_positions[id(value)])
            elif id(value) in positions:
                sources.append(output_ref(positions[id(value)]))
            else:
                sources.append(SAVED_CONSTANT)  # None, or a tensor made inside forward
        node.saved = tuple(sources)
        node.saved_arrays = tuple(None if source.__class__ is OutputRef else value
                                  for source, value in zip(sources, ctx._to_save))
        # An in-place change of a saved tensor before backward is refused (as for built-in ops).
        node.saved_versions = tuple(
            (results[source.index]._version, results[source.index]._version[0], OUTPUT)
            if source.__class__ is OutputRef else (value._version, value._version[0], f"saved tensor {position}")
            for position, (source, value) in enumerate(zip(sources, ctx._to_save))
            if isinstance(value, Tensor)) or None
        if any(source.__class__ is OutputRef for source in sources):
            node.output_arrays = tuple(getattr(value, "_data", None) for value in outputs)
    ctx._to_save = None
    return results[0] if single else tuple(results)


def _check_dirty(cls, tensor):
    if tensor._node is None and tensor._requires_grad:
        raise RuntimeError(
            f"{cls.__name__}: a leaf Variable that requires grad has been used in an in-place operation "
            "(mark_dirty) inside forward."
        )
