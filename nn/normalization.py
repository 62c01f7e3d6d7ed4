"""`BatchNorm1d` and `LayerNorm`."""
import numbers

import autograd_core as ag

from . import functional as F
from . import init
from ._input_checks import require_tensor
from .module import Module
from .parameter import Parameter


class BatchNorm1d(Module):
    """Batch normalisation over (N, C) or (N, C, L) inputs, per channel C.

    y = (x - mean) / sqrt(var + eps) * weight + bias.  In training, mean and the
    biased variance come from the batch, and the running statistics are updated
    with the *unbiased* variance:  running = (1 - momentum) * running + momentum * batch_stat
    (``momentum=None``: a cumulative average over all batches seen).  In eval mode
    the running statistics are used instead.  ``bias=False`` (keyword-only, as in
    torch 2.x) keeps the learnable scale but drops the shift.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        if not isinstance(num_features, int) or isinstance(num_features, bool) or num_features <= 0:
            raise ValueError(f"BatchNorm1d: num_features must be a positive int, got {num_features!r}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(ag.empty(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(ag.empty(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", ag.zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ag.ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", ag.tensor(0, dtype=ag.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self):
        """Reset the running statistics and set weight = 1, bias = 0."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input(self, input):
        require_tensor(input, "batch_norm")
        if input.ndim not in (2, 3):
            raise ValueError(
                f"BatchNorm1d: expected 2D (N, C) or 3D (N, C, L) input (got {input.ndim}D input "
                f"of shape {tuple(input.shape)})"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d: expected {self.num_features} channels in dimension 1, got input of "
                f"shape {tuple(input.shape)}"
            )

    def forward(self, input):
        self._check_input(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with ag.no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.item())
        # Batch statistics in training, or whenever there are no running statistics to use.
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    """Normalise over the last len(normalized_shape) dimensions of each sample.

    y = (x - mean) / sqrt(var + eps) * weight + bias, mean and (biased) var taken over
    those dimensions; weight = 1 and bias = 0 initially, of shape `normalized_shape`.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(size) for size in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ag.empty(self.normalized_shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(ag.empty(self.normalized_shape, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """weight = 1, bias = 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
