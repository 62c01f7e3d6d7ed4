"""`Parameter`: a Tensor that a Module registers as one of its learnable weights."""
import autograd_core as ag


class Parameter(ag.Tensor):
    """A leaf Tensor that requires grad by default and is registered by `Module.__setattr__`.

    ``Parameter(data, requires_grad=True)`` shares memory with `data` (as torch's
    Parameter does) and keeps its dtype.  Results of operations on a Parameter are
    plain Tensors; only the Parameter itself is what ``module.parameters()`` yields.
    """

    __slots__ = ()  # ag.Tensor uses __slots__; a subclass must not add an instance __dict__

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = ag.empty(0)
        elif not isinstance(data, ag.Tensor):
            raise TypeError(
                f"Parameter: expected a Tensor as data, got {type(data).__name__} "
                "(wrap arrays or lists with autograd_core.tensor(...) first)"
            )
        super().__init__(data, dtype=data.dtype)  # the data's own dtype and memory, as torch's Parameter
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        # Rebuild as a Parameter around the (copied) values, keeping requires_grad.
        return (_rebuild_parameter, (type(self), self.detach(), self.requires_grad))

    def __deepcopy__(self, memo):
        # As torch: a copy of the values and requires_grad, but not of .grad.
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result


def _rebuild_parameter(cls, data, requires_grad):
    return cls(data, requires_grad)
