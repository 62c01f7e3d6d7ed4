"""Loss modules: each stores its settings and calls the function of the same name in `nn.functional`.

As in torch, class weights (``weight``, ``pos_weight``) are buffers: they appear
in ``state_dict()`` and follow ``.to(dtype)``, but are not trained.  The
deprecated ``size_average``/``reduce`` flags are folded into `reduction` once,
in the constructor.
"""
from . import _losses_functional as losses
from .module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss",
           "BCELoss", "BCEWithLogitsLoss"]


class _Loss(Module):
    """Base of the losses: holds `reduction` and shows it in the repr when it is not 'mean'."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = losses._get_reduction(reduction, size_average, reduce, type(self).__name__)

    def extra_repr(self):
        # Only settings that differ from torch's defaults, so MSELoss() prints as in torch.
        shown = [f"{name}={value!r}" for name, value, default in self._settings() if value != default]
        for name in ("weight", "pos_weight"):
            value = getattr(self, name, None)
            if value is not None:
                shown.append(f"{name}=<tensor of shape {tuple(value.shape)}>")
        return ", ".join(shown)

    def _settings(self):
        """(name, value, torch's default) of each hyper-parameter, for the repr."""
        return [("reduction", self.reduction, "mean")]


class _WeightedLoss(_Loss):
    """A loss with an optional per-class `weight`, kept as a buffer."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: (x - y)^2 per element, then reduced."""

    def forward(self, input, target):
        return losses.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: |x - y| per element, then reduced."""

    def forward(self, input, target):
        return losses.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta/2), with d = x - y."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return losses.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def _settings(self):
        return super()._settings() + [("delta", self.delta, 1.0)]


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta/2, with d = x - y."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return losses.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def _settings(self):
        return super()._settings() + [("beta", self.beta, 1.0)]


class CrossEntropyLoss(_WeightedLoss):
    """log_softmax of the logits, then the negative log-likelihood of the target classes
    (class indices, or class probabilities shaped like the input)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return losses.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                                    reduction=self.reduction, label_smoothing=self.label_smoothing)

    def _settings(self):
        return super()._settings() + [("ignore_index", self.ignore_index, -100),
                                      ("label_smoothing", self.label_smoothing, 0.0)]


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of the target classes, from log-probabilities (e.g. log_softmax)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return losses.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction)

    def _settings(self):
        return super()._settings() + [("ignore_index", self.ignore_index, -100)]


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities in [0, 1]: -w [y log x + (1 - y) log(1 - x)]."""

    def forward(self, input, target):
        return losses.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits (sigmoid built in, numerically stable), with optional pos_weight."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return losses.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                       reduction=self.reduction, pos_weight=self.pos_weight)
