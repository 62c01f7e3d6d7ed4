"""`Conv1d`, `Conv2d`: torch's convolution layers (names, defaults, init, state_dict keys).

The weight has shape (out_channels, in_channels // groups, *kernel_size) and the bias
(out_channels,); both are initialised as torch's ``_ConvNd.reset_parameters``:
``kaiming_uniform_(weight, a=sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
fan_in = in_channels // groups * prod(kernel_size), and the bias from the same bound.
``padding_mode`` other than 'zeros' pads with ``F.pad`` first, as torch does.
"""

import autograd_core as ag

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, dims, what, layer):
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * dims
    values = tuple(value)
    if len(values) != dims or not all(isinstance(v, int) for v in values):
        raise ValueError(f"{layer}: {what} must be an int or a tuple of {dims} ints, got {value!r}")
    return values


class _ConvNd(Module):
    _dims = None
    _function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        dims = self._dims
        layer = type(self).__name__
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{layer}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups != 0:
            raise ValueError(f"{layer}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups != 0:
            raise ValueError(f"{layer}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        kernel_size = _ntuple(kernel_size, dims, "kernel_size", layer)
        stride = _ntuple(stride, dims, "stride", layer)
        dilation = _ntuple(dilation, dims, "dilation", layer)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{layer}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError(f"{layer}: padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, dims, "padding", layer)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{layer}: padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = False
        self.output_padding = (0,) * dims
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's (left, right) pairs, last dim first (torch's _reversed_padding_repeated_twice).
        if padding == "valid":
            pairs = [(0, 0)] * dims
        elif padding == "same":
            pairs = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel_size, dilation)]
        else:
            pairs = [(p, p) for p in padding]
        reversed_pairs = [p for pair in reversed(pairs) for p in pair]
        # (a list for a padding string, a tuple otherwise, as torch keeps it)
        self._reversed_padding_repeated_twice = reversed_pairs if isinstance(padding, str) else tuple(reversed_pairs)
        self.weight = Parameter(ag.empty(out_channels, in_channels // groups, *kernel_size,
                                         dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(ag.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's default: kaiming_uniform_(a=sqrt(5)) for the weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
        init._reset_affine_(self.weight, self.bias)

    def _conv_forward(self, input, weight, bias):
        try:
            if self.padding_mode != "zeros":
                padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
                return type(self)._function(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
            return type(self)._function(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)
        except RuntimeError as error:
            raise RuntimeError(f"{self!r}: {error}") from None

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) or (C_in, L) inputs: ``F.conv1d(x, weight, bias, ...)``."""
    _dims = 1
    _function = staticmethod(F.conv1d)  # F's, which checks its arguments are Tensors


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W) inputs: ``F.conv2d(x, weight, bias, ...)``."""
    _dims = 2
    _function = staticmethod(F.conv2d)
