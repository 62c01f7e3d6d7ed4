"""``autograd_core.func``: torch.func's composable transforms, built on the engine's tape.

    from autograd_core.func import grad, vmap, functional_call
    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)

``grad``/``grad_and_value``/``vjp``/``jacrev`` differentiate by reverse mode,
``jvp``/``jacfwd`` by forward mode (`autograd.functional`'s), ``hessian`` is
``jacfwd(jacrev(f))``.  Arguments may be nested tuples, lists and dicts of tensors
and need not require grad; transforms nest (``grad(grad(f))``).  ``vmap`` runs the
function once per sample (see its module): exactly a Python loop's result.
"""
from ._functional_call import functional_call
from ._grad import grad, grad_and_value, vjp
from ._jacobians import hessian, jacfwd, jacrev, jvp
from ._vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp", "vmap"]
