"""Activations of nn.functional that need their own gradient formula (custom Functions).

Composed from tensor ops, ``x / (1 + |x|)`` differentiates to ``1/(1+|x|) - |x|/(1+|x|)^2``:
two nearly equal terms far from 0, so at |x| = 1e4 the gradient keeps only 3-4 digits
in float32 (torch's composition loses the same digits).  Here the gradient is the
equivalent ``1 / (1 + |x|)^2``, which cancels nowhere.
"""
import autograd_core as ag


class Softsign(ag.Function):
    """softsign(x) = x / (1 + |x|);  d/dx = 1 / (1 + |x|)^2"""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        ctx.save_for_forward(input)
        return input / (ag.abs(input) + 1)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        denominator = ag.abs(input) + 1
        return grad / (denominator * denominator)  # differentiable again under create_graph

    @staticmethod
    def jvp(ctx, tangent):
        (input,) = ctx.saved_tensors  # forward mode: the same derivative times the tangent
        denominator = ag.abs(input) + 1
        return tangent / (denominator * denominator)
