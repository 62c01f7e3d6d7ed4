"""autograd_core: a tape-based reverse-mode automatic differentiation engine.

    import autograd_core as ag
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([2., 4.])

Layers (a file imports only from the layers below it; `tests/test_import_layers.py`
fails on an import cycle):

  1. ``dtypes``, ``grad_mode``, ``anomaly_mode``, ``kernels/``  numpy and Numba only; no Tensor in sight.
  2. ``arrays``, ``tensor_str``, ``tensor``   the Tensor handle: an ndarray, its grad, its node.
  3. ``graph``                                the tape: Node, edges, the reverse pass.
  4. ``ops/op.py``, ``ops/_dims.py``          how an op is written and recorded.
  5. ``ops/<family>.py``, ``ops/namespace``   the differentiable ops; ``xp`` for their VJPs.
  6. ``creation``, ``random``, ``function``, ``engine``, ``inplace``, ``fused``, ``gradcheck``,
     ``serialization``, ``data``, ...        what users call, built on the ops.
  7. this file                                the assembly step (below).

The tape and the Tensor know nothing of the ops above them: the assembly step
binds the Tensor methods (``x.exp()``, ``x + y``, ``x.add_()``, ``x.backward()``) and
hands the ``xp`` namespaces to the tape.  ``nn``, ``optim``, ``autograd`` and
``utils.data`` are reached lazily (on first access), so ``import autograd_core as
torch`` serves ``torch.nn.Linear`` while the engine never imports ``nn`` or ``optim``.
"""
import importlib as _importlib

from . import dtypes, graph as _graph, tensor_methods as _tensor_methods
from .creation import (  # noqa: F401
    FloatTensor, LongTensor, arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones, ones_like,
    tensor, zeros, zeros_like,
)
from .dtypes import (  # noqa: F401
    bool_, cuda, device, double, float32, float64, get_default_dtype, int32, int64, long,
    set_default_device, set_default_dtype,
)
from .dtypes import float  # noqa: F401,A004
from .anomaly_mode import (  # noqa: F401
    detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly,
)
from .function import Function  # noqa: F401
from .engine import grad  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from .grads import zero_grad_  # noqa: F401
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .kernels.parallel import get_num_threads, set_num_threads  # noqa: F401
from .ops import *  # noqa: F401,F403
from .ops.namespace import ARRAY as _ARRAY, TENSOR as _TENSOR
from .random import (  # noqa: F401
    get_rng_state, manual_seed, normal, rand, rand_like, randint, randn, randn_like, randperm, seed, set_rng_state,
)
from .serialization import SerializationError, load, save  # noqa: F401
from .tensor import Tensor  # noqa: F401

# -- the assembly step ---------------------------------------------------------------
_tensor_methods.bind(Tensor)
_graph.use_namespaces(_ARRAY, _TENSOR)

bool = dtypes.bool_  # noqa: A001  (torch.bool)
__version__ = "0.1.0"

# `from .tensor import Tensor` bound the *module* autograd_core.tensor to the name
# `tensor`; the public name is the creation function, as torch.tensor.
from .creation import tensor  # noqa: E402,F811

# -- torch's sub-namespaces, loaded on first access (PEP 562) ---------------------------
#: ``autograd_core.<name>`` -> the module it is (the same module object as the top-level package).
_LAZY_MODULES = {"nn": "nn", "optim": "optim", "autograd": "autograd_core.autograd",
                 "utils": "autograd_core.utils", "distributed": "autograd_core.distributed",
                 "func": "autograd_core.func"}


def __getattr__(name):
    module_name = _LAZY_MODULES.get(name)
    if module_name is None:
        raise AttributeError(f"module 'autograd_core' has no attribute {name!r}")
    module = _importlib.import_module(module_name)
    globals()[name] = module  # later lookups skip this function
    return module


def __dir__():
    return sorted(set(globals()) | set(_LAZY_MODULES))
