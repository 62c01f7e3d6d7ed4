"""`Op`: how every differentiable operation is written.

An op is a class with two static methods side by side:

    class Tanh(Op):
        '''y = tanh(x);  dy/dx = 1 - y^2'''
        @staticmethod
        def forward(ctx, x):
            y = np.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * (1 - y * y)

`forward` receives ndarrays (and Python scalars) and returns an ndarray.
`backward` receives the gradient of the output and returns one gradient per
positional input (None where there is none).  It is written with operators and
`ctx.xp` (a tiny numpy-like namespace), so the very same rule runs on raw arrays
in a plain backward and on Tensors, recorded on the tape, under
``create_graph=True`` -- which is what makes second derivatives work.

What a rule needs beyond operators also comes from ``ctx.xp``: ``xp.value(t)``
for a constant such as a mask, ``xp.call(Op, ...)`` for a VJP that is itself an
op (`namespace.py`).  No rule reads ``._data`` or asks whether a graph is being
built.  An op with a fast compiled VJP names it as ``plain_backward`` beside the
rule (the activations, cross-entropy); the plain backward then runs the kernel
and ``create_graph=True`` still runs the rule.

Positional arguments of ``apply`` are the op's inputs (Tensors, arrays or
scalars); keyword arguments are its parameters (``dim=``, ``keepdim=``...).
Broadcasting is undone by the engine, not by each op.
"""
import numpy as np

from .. import dtypes, forward_ad_state, grad_mode
from ..graph import OUTPUT, SAVED_CONSTANT, Node, edge_of, output_ref
from ..tensor import Tensor, make_tensor
from ..views import ViewInfo, current, is_stale

_grad_state = grad_mode._state  # the per-thread recording flag, looked up once per op
_forward = forward_ad_state.state  # forward mode: ``active`` only while a dual level holds tangents


class Op:
    """Base class of the built-in differentiable operations (see the module docstring)."""

    #: Apply torch's type promotion to the inputs before forward (binary elementwise ops).
    promote = False
    #: Integer and bool inputs are first converted to the default float dtype (exp, log, / ...).
    float_only = False
    #: The output is a view of input 0 and shares its version counter (reshape, transpose, ...).
    is_view = False
    #: Printed in errors and as ``grad_fn``; defaults to the class name.
    name = None

    @staticmethod
    def forward(ctx, *inputs, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    #: None, or a fast kernel call that computes `backward`'s rule on ndarrays in one pass
    #: (activations, cross-entropy): what a plain (first-order) backward then runs instead.
    #: Under create_graph the engine always runs `backward`, the rule written in ``xp``.
    plain_backward = None

    #: The JVP rule (forward mode, `autograd_core.autograd.forward_ad`): ``jvp(ctx, *tangents)``
    #: returns the output's tangent, one tangent (or None) per positional input in, written in
    #: Tensor ops so that forward-over-reverse works (`forward_ad_state.JvpContext` is its ctx).
    #: None: no rule, and an op on a dual tensor is a clear NotImplementedError.
    jvp = None

    @classmethod
    def apply(cls, *inputs, **params):
        """Run forward on the inputs' arrays and, if any input needs a gradient, record a Node.

        This is the hot path of the whole engine (once per op), hence one flat loop.
        """
        recording = _grad_state.enabled
        arrays = []
        edges = []
        needs_grad = False
        common_dtype = None
        mixed_dtypes = False
        for value in inputs:
            if isinstance(value, Tensor):
                if value._view_info is not None and recording and is_stale(value):
                    current(value)  # a view made before an in-place change of its base
                data = value._data
                if recording and value._requires_grad:
                    needs_grad = True
                    edges.append(edge_of(value))
                else:
                    edges.append(None)
                value = data
            else:
                edges.append(None)
                if isinstance(value, np.generic):
                    value = value.item()
            if value.__class__ is np.ndarray:
                dtype = value.dtype
                if common_dtype is None:
                    common_dtype = dtype
                elif dtype is not common_dtype and dtype != common_dtype:
                    mixed_dtypes = True
            arrays.append(value)
        if (cls.promote or cls.float_only) and (mixed_dtypes or common_dtype is None or common_dtype.kind != "f"):
            arrays = _cast_inputs(cls, arrays)
        ctx = Node(cls, tuple(edges)) if needs_grad else _NotRecording()
        try:
            out = cls.forward(ctx, *arrays, **params)
        except (ValueError, IndexError, TypeError) as error:
            raise _explain(cls, arrays, error) from error
        if out.__class__ is not np.ndarray:
            out = _as_output_array(ctx, out)
        base = inputs[0] if cls.is_view and isinstance(inputs[0], Tensor) else None
        if base is not None and (out.base is None or not np.may_share_memory(out, base._data)):
            base = None  # numpy had to copy (a reshape of a transposed array, a 0-d element): not a view
        if not needs_grad or out.dtype.kind != "f":
            result = make_tensor(out, view_of=base)
            if base is not None:
                result._view_info = ViewInfo(base, cls, ctx, params, base._version[0])
            if _forward.active:
                forward_ad_state.propagate(cls, ctx, inputs, arrays, result, params)
            return result
        if ctx.saved_arrays is not None:
            ctx.saved = _saved_sources(ctx, inputs, arrays, out)
        result = make_tensor(out, ctx, view_of=base)
        if base is not None:
            # So that in-place changes through the view or its base are followed (views.py).
            result._view_info = ViewInfo(base, cls, ctx, params, base._version[0])
        if ctx.output_arrays is not None:
            # The output is saved: an in-place change of it before backward must be refused.
            counter = result._version
            entry, versions = (counter, counter[0], OUTPUT), ctx.saved_versions
            ctx.saved_versions = (entry,) if versions is None else (entry,) + versions
        if _forward.active:
            forward_ad_state.propagate(cls, ctx, inputs, arrays, result, params)
        return result

    @classmethod
    def compute(cls, *arrays, **params):
        """The forward alone, on ndarrays, recording nothing: what ``xp.call(op, ...)`` runs in a
        plain backward, where ``Op.apply`` would wrap and record."""
        return cls.forward(_NotRecording(), *arrays, **params)

    @staticmethod
    def base_rebuilder(ctx):
        """For a view op (``is_view``): a function ``(old_base, new_view) -> new base`` that says how the
        base's history follows an in-place change made through the view; None: no such change is
        supported (see inplace_views.py)."""
        return None


def linear_jvp(ctx, *tangents):
    """The JVP of an op linear in its inputs (reshape, sum, indexing, cat, ...): the op itself
    applied to the tangents, zeros standing in for inputs without one (0 for a number)."""
    arguments = []
    for value, tangent in zip(ctx.inputs, tangents):
        if tangent is not None:
            arguments.append(tangent)
        elif value is None:
            arguments.append(None)
        elif isinstance(value, (Tensor, np.ndarray)):
            arguments.append(np.zeros(np.shape(value), getattr(value, "dtype", None)))
        else:
            arguments.append(0)
    return ctx.op.apply(*arguments, **ctx.params)


def bilinear_jvp(ctx, *tangents):
    """The JVP of an op linear in each of its first two inputs (a * b, a @ b, the conv gradients):
    op(t_a, b) + op(a, t_b), further inputs and parameters as given."""
    a, b, *rest = ctx.inputs
    t_a, t_b = tangents[0], tangents[1]
    apply = ctx.op.apply
    return sum_of(apply(t_a, b, *rest, **ctx.params) if t_a is not None else None,
                  apply(a, t_b, *rest, **ctx.params) if t_b is not None else None)


def sum_of(*terms):
    """The sum of the terms that are not None (a JVP's contributions), or None."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    return total


class _NoInputNeedsGrad:
    def __getitem__(self, position):
        return False


class _NotRecording:
    """The ctx handed to forward when nothing is recorded: saving is a no-op, no input needs a gradient."""

    saved_arrays = None
    needs_input_grad = _NoInputNeedsGrad()

    def save_for_backward(self, *values):
        pass


def _as_output_array(ctx, out):
    """Wrap a numpy scalar output (full reductions return one) as a 0-d array, and let a
    saved reference to the scalar follow it, so it is still recognised as the output."""
    array = np.asarray(out)
    saved = ctx.saved_arrays
    if saved is not None and any(value is out for value in saved):
        ctx.saved_arrays = tuple(array if value is out else value for value in saved)
    return array


_JUST_THE_OUTPUT = (output_ref(0),)
_INTERNED = {_JUST_THE_OUTPUT: _JUST_THE_OUTPUT}  # one tuple per pattern: nodes add no objects for it


def _saved_sources(ctx, inputs, arrays, out):
    """What each saved value is: the output, an input (its position), or a constant.

    An input is recognised only by its own array (not a dtype-cast copy of it), so a
    saved input is always exactly what the user passed in.  Under create_graph the
    node turns these back into Tensors (`Node.saved_tensors`).
    """
    saved = ctx.saved_arrays
    if len(saved) == 1 and saved[0] is out:  # most activations keep just their output
        ctx.output_arrays = (out,)
        return _JUST_THE_OUTPUT
    sources = []
    versions = None
    for value in saved:
        if value.__class__ is not np.ndarray:
            sources.append(SAVED_CONSTANT)  # a Python number or None
        elif value is out:
            sources.append(_JUST_THE_OUTPUT[0])
            ctx.output_arrays = (out,)
        else:
            for position, array in enumerate(arrays):
                if value is array:  # an input as forward saw it (maybe a dtype-cast copy of it)
                    sources.append(position)
                    tensor = inputs[position]
                    if isinstance(tensor, Tensor):
                        counter = tensor._version
                        entry = (counter, counter[0], position)
                        versions = (entry,) if versions is None else versions + (entry,)
                    break
            else:
                sources.append(SAVED_CONSTANT)  # an array made in forward (a mask)
    if versions is not None:
        ctx.saved_versions = versions
    sources = tuple(sources)
    return _INTERNED.setdefault(sources, sources)


def _cast_inputs(cls, arrays):
    """torch's dtype rules on the way in: promotion for binary ops, int -> float where needed."""
    tensors = [a for a in arrays if isinstance(a, np.ndarray)]
    if not tensors:
        return arrays
    first = tensors[0].dtype
    same_dtype = all(a.dtype == first for a in tensors)
    if same_dtype and first.kind == "f":
        return arrays  # the common case: float tensors (and Python scalars) need no cast
    if cls.promote:
        scalars = [a for a in arrays if isinstance(a, (bool, int, float))]
        target = dtypes.result_type(tensors, scalars)
        if cls.float_only and target.kind != "f":
            target = dtypes.get_default_dtype()
        if same_dtype and target == first:
            return arrays
    else:
        target = dtypes.get_default_dtype()  # float_only: only int and bool inputs are converted
    return [a.astype(target) if isinstance(a, np.ndarray) and a.dtype != target
            and (cls.promote or a.dtype.kind != "f") else a
            for a in arrays]


def _explain(cls, arrays, error):
    """Turn a bare numpy error into one that names the op and the input shapes."""
    shapes = ", ".join(  # (None: an optional input left out, such as clamp's missing bound)
        str(tuple(a.shape)) if isinstance(a, np.ndarray) else repr(a) for a in arrays if a is not None
    )
    name = cls.name or cls.__name__.lower()
    text = str(error).strip()
    if not text.startswith(name):  # the op's own messages already name it
        text = f"{name}: {text}"
    if "with shapes" not in text and "input shapes" not in text:  # numpy's broadcast message lists them
        text += f" (input shapes: {shapes})"
    if isinstance(error, ValueError) and "could not be broadcast" in text:
        return RuntimeError(text)  # torch's class for shapes that do not broadcast
    return type(error)(text) if type(error) in (ValueError, IndexError, TypeError) else error
