"""``autograd_core.utils``: torch.utils's names.  ``utils.data`` is `autograd_core.data` itself."""
import sys

from .. import data
from . import checkpoint

# So that ``import autograd_core.utils.data`` and ``from autograd_core.utils.data import DataLoader``
# find the same module object.
sys.modules[__name__ + ".data"] = data

__all__ = ["checkpoint", "data"]
