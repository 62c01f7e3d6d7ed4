"""The engine's entry points: `backward()` (into ``.grad``) and `grad()` (returned, ``.grad`` untouched)."""
import numpy as np

from .graph import backward_pass
from .tensor import Tensor, make_tensor


def check_output(output, caller):
    """An output we can differentiate: a Tensor that requires grad."""
    if not isinstance(output, Tensor):
        raise TypeError(f"{caller}: outputs must be Tensors, got {type(output).__name__}")
    if not output._requires_grad:
        raise RuntimeError(
            f"{caller}: element 0 of tensors does not require grad and does not have a grad_fn "
            "(the tensor was computed without any input that has requires_grad=True, or under no_grad())"
        )


def seed_gradient(output, gradient, create_graph, caller):
    """The starting gradient dL/d(output): ones for a one-element output, else `gradient`, checked."""
    if gradient is None:
        if output._data.size != 1:
            raise RuntimeError(
                f"{caller}: grad can be implicitly created only for scalar outputs; this output has "
                f"shape {tuple(output.shape)}: pass gradient= (a tensor of that shape)"
            )
        seed = np.ones(output.shape, output.dtype)
        return make_tensor(seed) if create_graph else seed
    if isinstance(gradient, Tensor):
        values = gradient._data
    else:
        values = np.asarray(gradient)
    if values.shape != output.shape:
        raise RuntimeError(
            f"{caller}: gradient has shape {tuple(values.shape)}, but the output has shape "
            f"{tuple(output.shape)}; they must match"
        )
    if create_graph:
        return gradient if isinstance(gradient, Tensor) else make_tensor(values.astype(output.dtype))
    # No copy: the engine never writes into a gradient it was handed, and a leaf whose
    # .grad would be this very array gets a copy there (the caller still holds it).
    return values if values.dtype == output.dtype else values.astype(output.dtype)


def _seeds(outputs, gradients, create_graph, caller):
    """One checked starting gradient per output (`gradients`: None, one, or a sequence with None entries)."""
    if gradients is None:
        gradients = [None] * len(outputs)
    elif not isinstance(gradients, (list, tuple)):
        gradients = [gradients]
    if len(gradients) != len(outputs):
        raise RuntimeError(f"{caller}: got {len(outputs)} tensors and {len(gradients)} gradients")
    for output in outputs:
        check_output(output, caller)
    return [seed_gradient(o, g, create_graph, caller) for o, g in zip(outputs, gradients)]


def _as_list(value):
    if isinstance(value, Tensor):
        return [value]
    return list(value)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False,
         materialize_grads=False):
    """Return d(outputs)/d(inputs) (a tuple, one entry per input); ``.grad`` is left alone.

    With ``create_graph=True`` the returned gradients are themselves on the tape,
    so they can be differentiated again (Hessian-vector products, gradient penalties).
    """
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    for position, tensor in enumerate(inputs):
        if not tensor._requires_grad:
            raise RuntimeError(f"grad: input {position} does not require grad")
    seeds = _seeds(outputs, grad_outputs, create_graph, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    captured = backward_pass(outputs, seeds, retain_graph, create_graph, inputs=inputs)
    results = []
    for position, (tensor, value) in enumerate(zip(inputs, captured)):
        if value is None:
            if materialize_grads:
                value = np.zeros(tensor.shape, tensor.dtype)
            elif not allow_unused:
                raise RuntimeError(
                    f"grad: input {position} (shape {tuple(tensor.shape)}) was not used to compute the "
                    "outputs; pass allow_unused=True to get None for it"
                )
            else:
                results.append(None)
                continue
        results.append(value if isinstance(value, Tensor) else make_tensor(np.array(value, copy=True)))
    return tuple(results)



def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad``, summed over all paths (torch.autograd.backward).

    `grad_tensors` holds one starting gradient per tensor (None: ones, for a
    one-element tensor).  Saved values are freed afterwards unless
    ``retain_graph=True`` (default: `create_graph`).  With `inputs`, only those
    tensors' ``.grad`` receive the gradient.
    """
    outputs = _as_list(tensors)
    seeds = _seeds(outputs, grad_tensors, create_graph, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_list(inputs)
        grads = grad(outputs, inputs, seeds, retain_graph=retain_graph, create_graph=create_graph,
                      allow_unused=True)
        for input, value in zip(inputs, grads):
            if value is not None:
                input._grad = value if input._grad is None else input._grad + value
        return
    backward_pass(outputs, seeds, retain_graph, create_graph)


def tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """``tensor.backward()``: accumulate d(tensor)/d(leaf) into every leaf's ``.grad`` (summed over all paths).

    `gradient` may be omitted when the tensor has one element; otherwise it must
    have the tensor's shape.  Saved values are freed afterwards unless
    ``retain_graph=True`` (default: `create_graph`).
    """
    backward([self], [gradient], retain_graph, create_graph, inputs)
