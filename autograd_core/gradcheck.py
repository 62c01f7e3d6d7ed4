"""`gradcheck` / `gradgradcheck`: compare the engine's Jacobians with finite differences.

For every input that requires grad and every output, the analytic Jacobian
(one backward per output element, through `autograd_core.grad`) is compared
with central differences ``(f(x + eps) - f(x - eps)) / (2 eps)``, element by
element, with ``|analytic - numerical| <= atol + rtol * |numerical|`` (torch's rule).
Use float64 inputs: in float32 the differences are mostly rounding noise.
"""
import warnings

import numpy as np

from . import grad_mode
from .engine import grad
from .tensor import Tensor, make_tensor


class GradcheckError(RuntimeError):
    """Raised by `gradcheck` / `gradgradcheck` when analytic and numerical gradients disagree."""


def _as_tuple(value):
    if isinstance(value, tuple):
        return value
    if isinstance(value, list):
        return tuple(value)
    return (value,)


def _float_outputs(outputs, caller):
    """The outputs whose Jacobian is checked: float Tensors (integer outputs have no gradient)."""
    for position, value in enumerate(outputs):
        if not isinstance(value, Tensor):
            raise TypeError(f"{caller}: the function must return Tensors, but output {position} is "
                            f"a {type(value).__name__}")
    return [position for position, value in enumerate(outputs) if value.dtype.kind == "f"]


def _differentiable_inputs(inputs, caller):
    positions = [i for i, value in enumerate(inputs) if isinstance(value, Tensor) and value.requires_grad]
    if not positions:
        raise ValueError(f"{caller}: expected at least one input tensor with requires_grad=True")
    for i in positions:
        if inputs[i].dtype != np.float64:
            warnings.warn(
                f"{caller}: input {i} requires grad and is {inputs[i].dtype}, not float64; finite "
                "differences in single precision are inaccurate and the check will likely fail",
                stacklevel=3,
            )
    return positions


def _numerical_jacobians(func, inputs, positions, output_positions, eps):
    """{(input, output): array of shape input.shape + output.shape} by central differences."""
    jacobians = {}
    for i in positions:
        data = inputs[i]._data
        for o, shape in output_positions.items():
            jacobians[i, o] = np.zeros(data.shape + shape)
        for index in np.ndindex(data.shape):
            original = data[index]
            # Perturb the input's own memory (then restore it exactly), as torch's gradcheck does.
            data[index] = original + eps
            plus = _evaluate(func, inputs, output_positions)
            data[index] = original - eps
            minus = _evaluate(func, inputs, output_positions)
            data[index] = original
            for o in output_positions:
                jacobians[i, o][index] = (plus[o] - minus[o]) / (2 * eps)
    return jacobians


def _evaluate(func, inputs, output_positions):
    # Grad mode stays on: gradgradcheck's function needs it to compute its gradients.
    outputs = _as_tuple(func(*inputs))
    return {o: np.array(outputs[o]._data, dtype=np.float64) for o in output_positions}


def _analytic_jacobians(outputs, inputs, positions, output_positions):
    """{(input, output): array of shape input.shape + output.shape}, one backward per output element."""
    tensors = [inputs[i] for i in positions]
    jacobians = {}
    for o, shape in output_positions.items():
        output = outputs[o]
        for i in positions:
            jacobians[i, o] = np.zeros(inputs[i].shape + shape)
        if not output.requires_grad:
            continue  # does not depend on any input: its Jacobian is zero
        for out_index in np.ndindex(shape):
            seed = np.zeros(shape, output.dtype)
            seed[out_index] = 1
            grads = grad(output, tensors, grad_outputs=make_tensor(seed), retain_graph=True, allow_unused=True)
            for i, value in zip(positions, grads):
                if value is not None:
                    if value.shape != inputs[i].shape:
                        raise GradcheckError(
                            f"gradcheck: the gradient for input {i} has shape {tuple(value.shape)}, "
                            f"expected {tuple(inputs[i].shape)}"
                        )
                    jacobians[i, o][(Ellipsis,) + out_index] = value._data
    return jacobians


def _compare(analytic, numerical, atol, rtol):
    """None if all close, else a message about the worst element."""
    for (i, o), expected in numerical.items():
        actual = analytic[i, o]
        excess = np.abs(actual - expected) - (atol + rtol * np.abs(expected))
        excess = np.where(np.isnan(excess), np.inf, excess)  # a NaN on either side is a mismatch
        if excess.size and excess.max() > 0:
            worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
            count = int(np.count_nonzero(excess > 0))
            return worst, i, o, actual, expected, count
    return None


def _mismatch_message(caller, mismatch, input_shapes, atol, rtol):
    worst, i, o, actual, expected, count = mismatch
    input_ndim = len(input_shapes[i])
    input_index, output_index = worst[:input_ndim], worst[input_ndim:]
    return (
        f"{caller}: Jacobian mismatch for output {o} with respect to input {i}: at input element "
        f"{tuple(int(k) for k in input_index)} and output element {tuple(int(k) for k in output_index)}, "
        f"analytical {float(actual[worst]):.10g} vs numerical {float(expected[worst]):.10g} "
        f"(atol={atol}, rtol={rtol}; {count} of {actual.size} Jacobian entries differ)"
    )


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check the gradients of ``func(*inputs)`` against central finite differences.

    Returns True if, for every input with ``requires_grad=True`` and every float
    output, ``|analytic - numerical| <= atol + rtol * |numerical|`` elementwise.
    Otherwise raises `GradcheckError` naming the input, its element, the output
    element and both values (or returns False with ``raise_exception=False``).
    """
    inputs = _as_tuple(inputs)
    positions = _differentiable_inputs(inputs, "gradcheck")
    with grad_mode.enable_grad():
        outputs = _as_tuple(func(*inputs))
        output_positions = {o: outputs[o].shape for o in _float_outputs(outputs, "gradcheck")}
        analytic = _analytic_jacobians(outputs, inputs, positions, output_positions)
        numerical = _numerical_jacobians(func, inputs, positions, output_positions, eps)
    mismatch = _compare(analytic, numerical, atol, rtol)
    if mismatch is None:
        return True
    if raise_exception:
        raise GradcheckError(_mismatch_message("gradcheck", mismatch, [getattr(x, "shape", ()) for x in inputs],
                                               atol, rtol))
    return False


def gradgradcheck(func, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  seed=0):
    """Check second derivatives: `gradcheck` of ``(inputs, v) -> grad(func(inputs), inputs, v, create_graph=True)``.

    `grad_outputs` (the vectors v, one per float output) are random, from a
    generator seeded with `seed`, when not given; gradients with respect to them
    are checked too.
    """
    inputs = _as_tuple(inputs)
    positions = _differentiable_inputs(inputs, "gradgradcheck")
    with grad_mode.enable_grad():
        outputs = _as_tuple(func(*inputs))
    output_positions = [o for o in _float_outputs(outputs, "gradgradcheck") if outputs[o].requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(
            Tensor(rng.standard_normal(outputs[o].shape), dtype=outputs[o].dtype, requires_grad=True)
            for o in output_positions
        )
    else:
        grad_outputs = _as_tuple(grad_outputs)
        if len(grad_outputs) != len(output_positions):
            raise ValueError(
                f"gradgradcheck: got {len(grad_outputs)} grad_outputs for {len(output_positions)} "
                "differentiable outputs"
            )
    count = len(inputs)

    def first_derivatives(*values):
        originals, vectors = values[:count], values[count:]
        results = _as_tuple(func(*originals))
        grads = grad([results[o] for o in output_positions], [originals[i] for i in positions],
                     grad_outputs=list(vectors), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
