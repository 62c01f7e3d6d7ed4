"""``autograd_core.autograd``: torch.autograd's names for the engine's autograd API.

``grad``, ``backward``, ``Function``, ``gradcheck``, ``gradgradcheck``, the grad-mode
switches and anomaly mode (``detect_anomaly``, ``set_detect_anomaly``, ...) are the very
objects the top-level package exports (``autograd_core.grad``...).
"""
from ..anomaly_mode import (  # noqa: F401
    detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly,
)
from ..function import Function, FunctionCtx  # noqa: F401
from ..engine import backward, grad  # noqa: F401
from ..gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from ..grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401
from . import functional  # noqa: F401  (torch.autograd.functional)
from . import forward_ad  # noqa: F401  (torch.autograd.forward_ad)

__all__ = ["Function", "FunctionCtx", "GradcheckError", "backward", "detect_anomaly", "enable_grad", "forward_ad",
           "functional", "grad", "gradcheck", "gradgradcheck", "inference_mode", "is_anomaly_check_nan_enabled",
           "is_anomaly_enabled", "no_grad", "set_detect_anomaly", "set_grad_enabled"]
