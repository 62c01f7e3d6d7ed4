"""`zero_grad_`: reset the gradients of many tensors (`Module.zero_grad`, `Optimizer.zero_grad`)."""


def zero_grad_(parameters, set_to_none=True):
    """Reset the ``.grad`` of each tensor in `parameters`: ``p.grad = None`` (the default, as torch),
    or, with ``set_to_none=False``, ``p.grad = 0`` in place.

    Zeroing in place keeps the gradient's memory and identity, so code holding it sees the
    zeros.  A gradient that is itself on a graph (from ``backward(create_graph=True)``) is
    taken off it first (detached, or its ``requires_grad`` cleared), as torch does, so the
    zeroing is neither recorded as an op nor refused as an in-place change to a leaf.
    """
    for param in parameters:
        grad = param.grad
        if grad is None:
            continue
        if set_to_none:
            param.grad = None
            continue
        if grad.grad_fn is not None:
            grad.detach_()
        else:
            grad.requires_grad_(False)
        grad.zero_()
