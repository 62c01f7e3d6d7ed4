"""``autograd_core.autograd``: torch.autograd's names for the engine's autograd API.

``grad``, ``backward``, ``Function``, ``gradcheck``, ``gradgradcheck`` and the grad-mode
switches are the very objects the top-level package exports (``autograd_core.grad``...).
"""
from ..function import Function, FunctionCtx  # noqa: F401
from ..engine import backward, grad  # noqa: F401
from ..gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from ..grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401
from . import functional  # noqa: F401  (torch.autograd.functional)
from . import forward_ad  # noqa: F401  (torch.autograd.forward_ad)

__all__ = ["Function", "FunctionCtx", "GradcheckError", "backward", "enable_grad", "forward_ad", "functional", "grad", "gradcheck",
           "gradgradcheck", "inference_mode", "no_grad", "set_grad_enabled"]
