"""The bookkeeping `functional` shares: tuples in and out, fresh leaves, strict-mode checks.

Every function of ``autograd_core.autograd.functional`` accepts a Tensor or a tuple
of Tensors and answers in the same form; the messages are torch.autograd.functional's.
"""
from ..creation import zeros_like
from ..engine import grad as engine_grad
from ..tensor import Tensor


def as_tuple(value, arg_name, fn_name):
    """``(was_tuple, tuple_of_tensors)``; anything but Tensors is a TypeError (torch's words)."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for index, element in enumerate(values):
        if not isinstance(element, Tensor):
            where = f"value at index {index}" if is_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the"
                f" {where} has type {type(element)}."
            )
    return is_tuple, values


def untuple(result, to_unpack):
    """Undo `as_tuple`: `to_unpack` is one flag, or (outer flag, inner flag) for nested results."""
    if isinstance(to_unpack, tuple):
        outer, inner = to_unpack
        if not inner:
            result = tuple(element[0] for element in result)
        return result if outer else result[0]
    return result if to_unpack else result[0]


def fresh_inputs(inputs, create_graph, need_graph):
    """New Tensor objects for the user function, so captured originals are told apart (torch #32576).

    With `create_graph` an input that requires grad is aliased differentiably (gradients
    reach the original); otherwise it is detached and requires grad only if `need_graph`.
    """
    return tuple(value.view_as(value) if create_graph and value.requires_grad
                 else value.detach().requires_grad_(need_graph) for value in inputs)


def detach_all(values, create_graph):
    """Results without history unless the caller asked for a graph (nested tuples too)."""
    if create_graph:
        return values
    return tuple(detach_all(value, False) if isinstance(value, tuple) else value.detach() for value in values)


def validate_v(v, other, is_other_tuple):
    """`v` has one tensor per entry of `other`, each of its shape."""
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for index, (element, reference) in enumerate(zip(v, other)):
        if element.shape != reference.shape:
            prefix = f"Entry {index} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {tuple(reference.shape)} but got {tuple(element.shape)}."
            )


_INDEPENDENT = {
    "hessian": "The hessian of the user-provided function with respect to input {i} is independent of the "
               "input. This is not allowed in strict mode. You should ensure that your function is thrice "
               "differentiable and that the hessian depends on the inputs.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with "
                "respect to input {i} is independent of the input. This is not allowed in strict mode. You "
                "should ensure that your function is twice differentiable and that the jacobian depends on "
                "the inputs (this would be violated by a linear function for example).",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
                   "function. This is not allowed in strict mode.",
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be "
               "computed in a differentiable manner from the input when running in strict mode.",
}


def check_requires_grad(values, kind, strict):
    """In strict mode, every one of `values` must exist and require grad (`kind` picks the message)."""
    if not strict:
        return
    for index, value in enumerate(values):
        if value is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {index}. "
                               "This is not allowed in strict mode.")
        if not value.requires_grad:
            raise RuntimeError(_INDEPENDENT[kind].format(i=index))


def autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """`grad` that skips outputs without history and answers None for unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs) if out is not None and out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    kept_outputs, kept_grads = zip(*pairs)
    return engine_grad(list(kept_outputs), list(inputs), list(kept_grads), retain_graph=retain_graph,
                       create_graph=create_graph, allow_unused=True)


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in "
            "strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in "
                  "strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not "
                   "allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the "
                         "double backward trick to replace forward mode AD.",
}


def fill_in_zeros(grads, refs, strict, create_graph, stage):
    """None gradients become zeros shaped like `refs` (an error in strict mode, worded per `stage`)."""
    result = []
    for index, value in enumerate(grads):
        if value is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=index))
            value = zeros_like(refs[index])
        elif strict and create_graph and not value.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {index}. "
                               "This is not allowed in strict mode when create_graph=True.")
        result.append(value)
    return tuple(result)
