"""autograd_core: a tape-based reverse-mode automatic differentiation engine.

    import autograd_core as ag
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([2., 4.])
"""
from . import dtypes
from .tensor import Tensor  # noqa: F401  (first: it attaches the op methods)
from .creation import (  # noqa: F401
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones, ones_like,
    tensor, zeros, zeros_like,
)
from .dtypes import (  # noqa: F401
    bool_, cuda, device, double, float32, float64, get_default_dtype, int32, int64, long,
    set_default_device, set_default_dtype,
)
from .dtypes import float  # noqa: F401,A004
from .function import Function  # noqa: F401
from .functional import grad  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from .grads import zero_grad_  # noqa: F401
from .serialization import load, save  # noqa: F401
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .ops import *  # noqa: F401,F403
from .random import (  # noqa: F401
    manual_seed, normal, rand, rand_like, randint, randn, randn_like, randperm, seed,
)

bool = dtypes.bool_  # noqa: A001  (torch.bool)
__version__ = "0.1.0"

# `from .tensor import Tensor` bound the *module* autograd_core.tensor to the name
# `tensor`; the public name is the creation function, as torch.tensor.
from .creation import tensor  # noqa: E402,F811
