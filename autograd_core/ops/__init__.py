"""The differentiable operations, one file per family (see `op.py` for how an op is written).

Every public function here is a top-level function (``autograd_core.exp(x)``) and,
unless `tensor_methods.FUNCTION_ONLY` says otherwise, a Tensor method (``x.exp()``),
bound by the assembly step in ``autograd_core/__init__.py``.  Each family module
lists its public functions in ``__all__``; this package lists them all.
"""
import sys as _sys

from .activation import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .convert import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .join import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .pad import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .softmax import *  # noqa: F401,F403
from .sort import *  # noqa: F401,F403
from .statistics import *  # noqa: F401,F403

# (Looked up in sys.modules: `pad`, `softmax`... are also the names of the functions imported above.)
FAMILIES = tuple(_sys.modules[f"{__name__}.{family}"] for family in (
    "activation", "compare", "conv", "convert", "elementwise", "index", "join", "linalg", "loss", "pad", "pool", "reduce",
    "shape", "softmax", "sort", "statistics"))
__all__ = sorted({name for family in FAMILIES for name in family.__all__})
