"""Whole derivatives of a function, as ``torch.autograd.functional``: vjp, jvp, jacobian, hessian, vhp, hvp.

    from autograd_core.autograd.functional import jacobian, hessian
    J = jacobian(lambda x: x.exp() * x, x)          # shape out.shape + x.shape
    H = hessian(lambda x: (x ** 3).sum(), x)        # shape x.shape + x.shape

`inputs` is a Tensor or a tuple of Tensors and the function is called as
``func(*inputs)``; it returns a Tensor or a tuple of Tensors.  Each result keeps
that structure (a Jacobian is indexed ``[output][input]``, a tuple level dropped
where the caller gave a single Tensor).  The function runs on fresh leaves, so
results carry no history unless ``create_graph=True``, and then they are
differentiable with respect to the caller's original inputs.

``strict=True`` refuses (with torch's messages) an output or input that the
derivative does not depend on, instead of answering zeros.  ``vectorize=True``
gives the same values as the loop (here it runs the loop: one backward pass per
output element for reverse mode, one forward pass per input element for forward
mode).  Forward-mode products use `forward_ad`'s dual tensors when that module is
present, else the double-backward trick (the vjp of the vjp), whose values are equal.
"""
import importlib.util

from ..creation import zeros, zeros_like
from ..grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from ..ops import stack
from ._functional_utils import (
    as_tuple, autograd_grad, check_requires_grad, detach_all, fill_in_zeros, fresh_inputs, untuple, validate_v,
)

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _prepare_v(v, reference, is_reference_tuple, create_graph, fn_name, v_none_message):
    if v is None:
        if len(reference) != 1 or reference[0].numel() != 1:
            raise RuntimeError(v_none_message)
        return None
    _, v = as_tuple(v, "v", fn_name)
    v = fresh_inputs(v, create_graph=create_graph, need_graph=False)
    validate_v(v, reference, is_reference_tuple)
    return v


_V_NONE_INPUT = ("The vector v can only be None if the input to the user-provided function is a single Tensor "
                 "with a single element.")


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product (one backward pass).

    `v` has the outputs' structure and shapes; None only for a single one-element output.
    """
    with enable_grad():
        is_inputs_tuple, inputs = as_tuple(inputs, "inputs", "vjp")
        inputs = fresh_inputs(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = as_tuple(outputs, "outputs of the user-provided function", "vjp")
        check_requires_grad(outputs, "outputs", strict)
        v = _prepare_v(v, outputs, is_outputs_tuple, create_graph, "vjp",
                       "The vector v can only be None if the user-provided function returns a single Tensor "
                       "with a single element.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (untuple(detach_all(outputs, create_graph), is_outputs_tuple),
            untuple(detach_all(result, create_graph), is_inputs_tuple))


def _forward_ad_module():
    """`autograd_core.autograd.forward_ad` when it exists, else None (then the double-backward trick)."""
    if importlib.util.find_spec(__package__ + ".forward_ad") is None:
        return None
    from . import forward_ad
    return forward_ad


def _jvp_by_dual_numbers(forward_ad, func, inputs, v, with_structure=False):
    """(outputs, J v) as tuples by one forward pass on dual tensors (and, `with_structure`,
    whether func returned a tuple); an output that carries no tangent gets zeros."""
    with forward_ad.dual_level():
        duals = tuple(forward_ad.make_dual(x, t) for x, t in zip(inputs, v))
        is_outputs_tuple, outputs = as_tuple(func(*duals), "outputs of the user-provided function", "jvp")
        unpacked = [forward_ad.unpack_dual(out) for out in outputs]
    primals = tuple(primal for primal, _ in unpacked)
    tangents = tuple(zeros_like(p) if t is None else t for p, t in unpacked)
    if with_structure:
        return is_outputs_tuple, primals, tangents
    return primals, tangents


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product; `v` has the inputs' structure and shapes.

    One forward pass on `forward_ad`'s dual tensors.  With ``strict=True`` (whose checks
    read the graph), as torch.autograd.functional does, by the double-backward trick:
    with u a dummy cotangent, ``J v = d/du <u^T J, v>`` (two backward passes).  Values are equal.
    """
    with enable_grad():
        is_inputs_tuple, inputs = as_tuple(inputs, "inputs", "jvp")
        inputs = fresh_inputs(inputs, create_graph=create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "jvp",
                       "The vector v can only be None if the input to the user-provided function is a single "
                       "Tensor with a single element.")
        forward_ad = None if strict else _forward_ad_module()
        if forward_ad is not None:
            if v is None:  # a single one-element input: v = 1
                v = (zeros_like(inputs[0]) + 1,)
            is_outputs_tuple, outputs, result = _jvp_by_dual_numbers(forward_ad, func, inputs, v, True)
            return (untuple(detach_all(outputs, create_graph), is_outputs_tuple),
                    untuple(detach_all(result, create_graph), is_outputs_tuple))
        outputs = func(*inputs)
        is_outputs_tuple, outputs = as_tuple(outputs, "outputs of the user-provided function", "jvp")
        check_requires_grad(outputs, "outputs", strict)
        # The vjp is linear in u, so u's value never reaches the result: zeros are safe (no inf/nan).
        dummy = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = autograd_grad(outputs, inputs, dummy, create_graph=True)
        check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = autograd_grad(grad_inputs, dummy, v, create_graph=create_graph)
        result = fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    return (untuple(detach_all(outputs, create_graph), is_outputs_tuple),
            untuple(detach_all(result, create_graph), is_outputs_tuple))


def _reverse_jacobian(outputs, inputs, create_graph, strict):
    """One backward pass per output element: row j of output i's Jacobian is grad(out_i.flat[j])."""
    jacobian = []
    for i, out in enumerate(outputs):
        rows = [[] for _ in inputs]
        flat = out.reshape(-1)
        for j in range(out.numel()):
            grads = autograd_grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph)
            for k, (value, x) in enumerate(zip(grads, inputs)):
                if value is None:
                    if strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                           f"{k}. This is not allowed in strict mode.")
                    value = zeros_like(x)
                elif strict and create_graph and not value.requires_grad:
                    raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                       "This is not allowed in strict mode when create_graph=True.")
                rows[k].append(value)
        jacobian.append(tuple(_stack_rows(rows_k, out.shape + x.shape, x) for rows_k, x in zip(rows, inputs)))
    return tuple(jacobian)


def _stack_rows(rows, shape, like, dim=0):
    """The rows (or columns, dim=-1) of one Jacobian block, shaped `shape`."""
    if not rows:  # a zero-size output or input: an empty block
        return zeros(shape, dtype=like.dtype)
    return stack(rows, dim=dim).reshape(shape)


def _jvp_tuple(func, inputs, v):
    """(outputs, J v) as tuples: dual numbers when `forward_ad` exists, else the double-backward trick."""
    forward_ad = _forward_ad_module()
    if forward_ad is not None:
        return _jvp_by_dual_numbers(forward_ad, func, inputs, v)
    outputs, tangents = jvp(func, inputs, v)
    return as_tuple(outputs, "outputs", "jvp")[1], as_tuple(tangents, "outputs", "jvp")[1]


def _forward_jacobian(func, inputs, outputs):
    """One Jacobian-vector product per input element: column j of input k's block is J e_j."""
    blocks = []
    for k, x in enumerate(inputs):
        columns = []
        for j in range(x.numel()):
            basis = tuple(_basis_vector(y, j if m == k else None) for m, y in enumerate(inputs))
            columns.append(_jvp_tuple(func, inputs, basis)[1])
        blocks.append([_stack_rows([column[i] for column in columns], out.shape + x.shape, x, dim=-1)
                       for i, out in enumerate(outputs)])
    return tuple(tuple(blocks[k][i] for k in range(len(inputs))) for i in range(len(outputs)))


def _basis_vector(like, index):
    """zeros shaped like `like`, with a one at flat position `index` (None: all zeros)."""
    values = zeros_like(like).reshape(-1)
    if index is not None:
        values[index] = 1
    return values.reshape(like.shape)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of `func` at `inputs`: entry ``[i][k]`` has shape ``outputs[i].shape + inputs[k].shape``.

    ``strategy="reverse-mode"`` costs one backward pass per output element,
    ``"forward-mode"`` (requires ``vectorize=True``, as in torch) one forward-mode
    product per input element: prefer forward mode when outputs outnumber inputs.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` '
                               'are not supported together (yet). Please either set `strict=False` or '
                               '`strategy="reverse-mode"`.')
        is_inputs_tuple, inputs = as_tuple(inputs, "inputs", "jacobian")
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                      "only implemented for `vectorize=True`.")
        with enable_grad():
            outputs = func(*fresh_inputs(inputs, create_graph=False, need_graph=False))
        is_outputs_tuple, outputs = as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        result = _forward_jacobian(func, inputs, outputs)
        return untuple(detach_all(result, False), (is_outputs_tuple, is_inputs_tuple))

    with enable_grad():
        is_inputs_tuple, inputs = as_tuple(inputs, "inputs", "jacobian")
        inputs = fresh_inputs(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        result = _reverse_jacobian(outputs, inputs, create_graph, strict)
        return untuple(detach_all(result, create_graph), (is_outputs_tuple, is_inputs_tuple))


def _scalar_output(func, inputs, strict, fn_name):
    """func(*inputs), checked to be one Tensor with one element (torch's messages)."""
    outputs = func(*inputs)
    is_tuple, outputs = as_tuple(outputs, "outputs of the user-provided function", fn_name)
    check_requires_grad(outputs, "outputs", strict)
    if is_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")
    return outputs


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar `func`: entry ``[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``.

    The Jacobian of the gradient; ``outer_jacobian_strategy="forward-mode"`` takes the
    outer Jacobian by forward mode (forward-over-reverse; needs ``vectorize=True``).
    """
    is_inputs_tuple, inputs = as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single_output(*values):
        return _scalar_output(func, values, strict, "hessian")[0].squeeze()

    def gradient(*values):
        if outer_jacobian_strategy == "forward-mode":
            values = tuple(value.requires_grad_(True) for value in values)  # so create_graph keeps them
        jac = jacobian(single_output, values, create_graph=True)
        check_requires_grad(jac if isinstance(jac, tuple) else (jac,), "jacobian", strict)
        return jac

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)
    return untuple(result, (is_inputs_tuple, is_inputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar `func` (two backward passes)."""
    with enable_grad():
        is_inputs_tuple, inputs = as_tuple(inputs, "inputs", "vhp")
        inputs = fresh_inputs(inputs, create_graph=create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "vhp", _V_NONE_INPUT)
        outputs = _scalar_output(func, inputs, strict, "vhp")
        jac = autograd_grad(outputs, inputs, create_graph=True)
        check_requires_grad(jac, "jacobian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return untuple(detach_all(outputs, create_graph), False), untuple(detach_all(result, create_graph),
                                                                      is_inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar `func`, by the double-backward trick (as torch; equals vhp's
    transpose, H being symmetric)."""
    with enable_grad():
        is_inputs_tuple, inputs = as_tuple(inputs, "inputs", "hvp")
        inputs = fresh_inputs(inputs, create_graph=create_graph, need_graph=True)
        v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "hvp", _V_NONE_INPUT)
        outputs = _scalar_output(func, inputs, strict, "hvp")
        jac = autograd_grad(outputs, inputs, create_graph=True)
        check_requires_grad(jac, "jacobian", strict)
        dummy = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        double_back = autograd_grad(jac, inputs, dummy, create_graph=True)
        check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = autograd_grad(double_back, dummy, v, create_graph=create_graph)
        result = fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
    return untuple(detach_all(outputs, create_graph), False), untuple(detach_all(result, create_graph),
                                                                      is_inputs_tuple)
