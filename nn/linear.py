"""`Linear`, `Identity`, `Flatten`, `Unflatten`."""

import autograd_core as ag

from . import functional as F
from . import init
from ._input_checks import require_tensor
from .module import Module
from .parameter import Parameter


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored, as in torch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        """y = x"""
        return input


class Linear(Module):
    """y = x @ W^T + b, with W of shape (out_features, in_features) and b of shape (out_features,).

    torch's default init: W ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)),
    and b ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(ag.empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(ag.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw fresh weights with torch's default initialisation."""
        init._reset_affine_(self.weight, self.bias)

    def forward(self, input):
        """y = x W^T + b over the last dimension of `input`."""
        require_tensor(input, "linear")  # torch refuses lists and arrays too
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            rows = input.numel() // input.shape[-1] if input.ndim and input.shape[-1] else 1
            last = input.shape[-1] if input.ndim else 1
            raise RuntimeError(
                f"Linear: mat1 and mat2 shapes cannot be multiplied ({rows}x{last} and "
                f"{self.in_features}x{self.out_features}): the input's last dimension is {last}, "
                f"expected in_features={self.in_features} (input shape {tuple(input.shape)})")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Flattens dimensions start_dim..end_dim into one: (N, C, L) -> (N, C*L) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        require_tensor(input, "flatten")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dimension `dim` into `unflattened_size`: (N, 12) -> (N, 3, 4) with Unflatten(1, (3, 4))."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        require_tensor(input, "unflatten")
        if not -input.ndim <= self.dim < input.ndim:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for an input of shape {tuple(input.shape)}")
        dim = self.dim % input.ndim
        shape = tuple(input.shape[:dim]) + self.unflattened_size + tuple(input.shape[dim + 1:])
        return input.reshape(shape)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
