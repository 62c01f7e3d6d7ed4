"""The differentiable operations, one file per family (see `op.py` for how an op is written).

Every public function here is also a Tensor method (``x.exp()``) and, through
``autograd_core``, a top-level function (``autograd_core.exp(x)``).  Each family
module lists its public functions in ``__all__``.
"""
from .activation import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .convert import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
