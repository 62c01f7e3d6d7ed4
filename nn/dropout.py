"""`Dropout`: inverted dropout in training mode, the identity in evaluation mode."""
from . import functional as F
from .module import Module


class Dropout(Module):
    """During training, zero each element with probability p and scale the rest by 1 / (1 - p).

    In eval mode (``model.eval()``) it returns its input unchanged, so the expected
    value of every activation is the same in both modes.  ``inplace=True`` writes the result into
    the input (training mode only), as torch.
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: dropout probability has to be between 0 and 1, but got {p!r}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
