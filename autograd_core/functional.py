"""``autograd_core.functional``: the same module as `autograd_core.autograd.functional` (vjp, jvp, jacobian, ...)."""
import sys

from .autograd import functional as _functional

# One module object under both names, so `from autograd_core.functional import jacobian` and
# `autograd_core.autograd.functional.jacobian` are the same function.
sys.modules[__name__] = _functional
