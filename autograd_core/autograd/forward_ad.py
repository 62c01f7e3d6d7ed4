"""Forward-mode automatic differentiation with dual tensors, as ``torch.autograd.forward_ad``.

    import autograd_core.autograd.forward_ad as fwAD
    with fwAD.dual_level():
        x = fwAD.make_dual(primal, tangent)       # a dual tensor: primal + tangent * eps
        y = f(x)                                  # every op carries the tangent along
        value, jvp = fwAD.unpack_dual(y)          # f(primal) and J_f(primal) @ tangent

One forward pass gives one Jacobian-vector product J v, however many outputs f has
(reverse mode gives one vector-Jacobian product u^T J per backward pass).  Each op
passes tangents on by its JVP rule, written beside its VJP in ``autograd_core/ops``
in the engine's own ops, so ``grad(..., create_graph=True)`` inside a dual level
carries tangents too: the tangent of a gradient is a Hessian-vector product
(forward-over-reverse).  An op without a rule raises NotImplementedError naming it;
a custom `Function` takes part through its optional ``jvp(ctx, *tangents)``.

As in torch there is one level at a time (nesting is an error), and leaving it drops
every tangent.  Unlike torch, a float tangent of another dtype is cast to the primal's.
"""
from collections import namedtuple

from .. import forward_ad_state as _state_module
from ..grad_mode import no_grad
from ..ops.shape import Reshape
from ..tensor import Tensor

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]

_state = _state_module.state


def enter_dual_level():
    """Open the dual level (torch's function); returns its index, 0.  A second, nested one is an error."""
    if _state.level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _state.level = 0
    _state.active = True
    return _state.level


def exit_dual_level(*, level=None):
    """Close the dual level: every tangent made in it is dropped."""
    if level is None:
        level = _state.level
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != _state.level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    _state_module.drop_tangents()
    _state.level = -1
    _state.active = False


class dual_level:
    """Context manager for a dual level: dual tensors live only inside it.

        with dual_level():
            ...
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc_info):
        exit_dual_level()


def _check_level(level):
    if level is None:
        level = _state.level
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if level != _state.level:
        raise RuntimeError("Trying to access a forward AD level with an invalid index. This index was either not "
                           "created or is already deleted.")


def make_dual(tensor, tangent, *, level=None):
    """A view of `tensor` (gradients flow back to it) that carries `tangent` as its forward derivative.

    `tangent` must have tensor's shape; both must be floating point (torch's errors).
    """
    if level is None and _state.level < 0:
        _check_level(level)
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError(f"make_dual(): expected Tensors, got {type(tensor).__name__} and {type(tangent).__name__}")
    if tensor.dtype.kind not in "fc":
        raise ValueError(f"Expected primal to be floating point or complex, but got: {_torch_dtype(tensor.dtype)}")
    if tangent.dtype.kind not in "fc":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {_torch_dtype(tangent.dtype)}")
    _check_level(level)
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is "
            f"not supported. Tensor is of size {list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}."
        )
    if _state_module.tangent_of(tensor) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {_state.level} is not supported.")
    dual = _alias(tensor)
    if tangent.dtype != tensor.dtype:
        with no_grad():
            tangent = tangent.to(tensor.dtype)
    _state_module.set_tangent(dual, tangent)
    return dual


#: What `unpack_dual` returns: ``primal, tangent = unpack_dual(x)`` (tangent None where there is none).
UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of `tensor`: the primal a view without tangent (gradients flow through it),
    the tangent a Tensor, or None outside a level or for a tensor that carries none."""
    if level is None:
        level = _state.level
    if level < 0 or not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    tangent = _state_module.tangent_of(tensor)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_alias(tensor), tangent)


def _alias(tensor):
    """A view of `tensor` on a new ndarray object (so it has a tangent entry of its own), made
    with propagation off, and recorded on the tape when `tensor` needs a gradient."""
    active = _state.active
    _state.active = False
    try:
        view = Reshape.apply(tensor, shape=tuple(tensor.shape))
    finally:
        _state.active = active
    if view._data is tensor._data:  # numpy returned the very array: give the view an object of its own
        view._data = tensor._data.view()
    return view


def _torch_dtype(dtype):
    return f"torch.{dtype.name}" if dtype.name != "bool" else "torch.bool"
