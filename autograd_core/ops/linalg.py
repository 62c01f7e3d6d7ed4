"""Linear algebra: matmul (every torch case), mm, bmm, dot, outer, and `linear`
(``x @ W.T + b`` as one op: the hot path of every MLP).

For C = A @ B the VJPs are  dA = G @ B^T  and  dB = A^T @ G.  A 1-D operand is
treated as a row (left) or column (right) vector, as torch does.  Batch dims that
were broadcast come back from the VJP broadcast; the engine sums them down.
VJPs use only ``ctx.xp.matmul / swapaxes / reshape / expand_dims`` and operators,
so ``create_graph=True`` differentiates them again.
"""
import math

import numpy as np

from .op import Op, bilinear_jvp, sum_of

__all__ = ["matmul", "mm", "bmm", "dot", "outer", "linear"]


def _check_same_dtype(op_name, a, b):
    # torch refuses mixed float dtypes here rather than silently upcasting float32 to float64.
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op_name}: expected both inputs to have the same dtype, but got {a.dtype} and {b.dtype}")


def _check_matmul_shapes(op_name, a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"{op_name}: both arguments need to be at least 1-D, but got shapes {a.shape} and {b.shape}"
        )
    inner_a = a.shape[-1]
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        raise RuntimeError(
            f"{op_name}: shapes {a.shape} and {b.shape} cannot be multiplied ({inner_a} != {inner_b})"
        )


class MatMul(Op):
    """a @ b (numpy/torch matmul);  da = g @ b^T,  db = a^T @ g"""

    @staticmethod
    def forward(ctx, a, b):
        _check_matmul_shapes("matmul", a, b)
        _check_same_dtype("matmul", a, b)
        ctx.save_for_backward(a, b)
        try:
            return np.matmul(a, b)
        except ValueError:  # only batch dims are left that can fail to broadcast
            raise RuntimeError(
                f"matmul: the batch dimensions of shapes {a.shape} and {b.shape} cannot be broadcast together"
            ) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = ctx.xp
        want_a, want_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if a.ndim == 1 and b.ndim == 1:  # dot product: g is 0-d
            return (g * b if want_a else None), (g * a if want_b else None)
        if b.ndim == 1:  # (..., n, k) @ (k,) -> (..., n)
            if want_a:
                grad_a = xp.expand_dims(g, -1) * b                      # outer product per row
            if want_b:
                grad_b = xp.matmul(xp.swapaxes(xp.reshape(a, _as_rows(a.shape)), 0, 1), xp.reshape(g, (math.prod(g.shape),)))
            return grad_a, grad_b
        if a.ndim == 1:  # (k,) @ (..., k, m) -> (..., m)
            if want_a:
                grad_a = xp.reshape(xp.matmul(b, xp.expand_dims(g, -1)), g.shape[:-1] + (b.shape[-2],))
            if want_b:
                grad_b = xp.expand_dims(a, -1) * xp.expand_dims(g, -2)  # batched outer products
            return grad_a, grad_b
        if want_a:
            grad_a = xp.matmul(g, xp.swapaxes(b, -1, -2))
        if want_b:
            if b.ndim == 2 and a.ndim > 2:
                # (B, n, k) @ (k, m): fold the batch into rows, one (k, m) product instead of B of them.
                grad_b = xp.matmul(xp.swapaxes(xp.reshape(a, _as_rows(a.shape)), 0, 1), xp.reshape(g, _as_rows(g.shape)))
            else:
                grad_b = xp.matmul(xp.swapaxes(a, -1, -2), g)
        return grad_a, grad_b

    jvp = staticmethod(bilinear_jvp)  # t_a @ b + a @ t_b


def _as_rows(shape):
    """`shape` folded to 2-D, (rows, last dim), without -1 (which numpy cannot infer when a size is 0)."""
    return (math.prod(shape[:-1]), shape[-1])


def matmul(input, other):
    """Matrix product with torch's rules: 1-D @ 1-D is a dot product (0-d), a 1-D operand is a
    row/column vector that is dropped from the result, and batch dims broadcast."""
    return MatMul.apply(input, other)


def mm(input, mat2):
    """Product of two 2-D matrices: (n, k) @ (k, m) -> (n, m)."""
    if np.ndim(input) != 2 or np.ndim(mat2) != 2:
        raise RuntimeError(
            f"mm: expected two 2-D matrices, got shapes {tuple(np.shape(input))} and {tuple(np.shape(mat2))}"
        )
    return MatMul.apply(input, mat2)


def bmm(input, mat2):
    """Batched product of 3-D tensors: (B, n, k) @ (B, k, m) -> (B, n, m) (no broadcasting)."""
    a_shape, b_shape = tuple(np.shape(input)), tuple(np.shape(mat2))
    if len(a_shape) != 3 or len(b_shape) != 3:
        raise RuntimeError(f"bmm: expected two 3-D tensors, got shapes {a_shape} and {b_shape}")
    if a_shape[0] != b_shape[0]:
        raise RuntimeError(f"bmm: batch sizes of shapes {a_shape} and {b_shape} differ ({a_shape[0]} != {b_shape[0]})")
    return MatMul.apply(input, mat2)


def dot(input, other):
    """Inner product of two 1-D tensors of the same length (a 0-d result)."""
    a_shape, b_shape = tuple(np.shape(input)), tuple(np.shape(other))
    if len(a_shape) != 1 or len(b_shape) != 1:
        raise RuntimeError(f"dot: expected two 1-D tensors, got shapes {a_shape} and {b_shape}")
    if a_shape != b_shape:
        raise RuntimeError(f"dot: inconsistent sizes {a_shape[0]} and {b_shape[0]}")
    return MatMul.apply(input, other)


def outer(input, vec2):
    """Outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j]."""
    a_shape, b_shape = tuple(np.shape(input)), tuple(np.shape(vec2))
    if len(a_shape) != 1 or len(b_shape) != 1:
        raise RuntimeError(f"outer: expected two 1-D tensors, got shapes {a_shape} and {b_shape}")
    from .shape import reshape

    return reshape(input, (-1, 1)) * reshape(vec2, (1, -1))


class Linear(Op):
    """y = x @ W^T + b  (x: (..., in), W: (out, in), b: (out,));
    dx = g @ W,  dW = g^T @ x (leading dims folded),  db = g summed over leading dims"""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise RuntimeError(
                f"linear: input of shape {x.shape} and weight of shape {weight.shape} do not fit: "
                f"expected weight (out_features, {x.shape[-1] if x.ndim else '?'}) and input (..., in_features)"
            )
        _check_same_dtype("linear", x, weight)
        ctx.save_for_backward(x, weight)
        if x.ndim == 2 and 4 * x.shape[0] <= weight.shape[0]:
            # A small batch: OpenBLAS is ~1.4x faster at (W @ x^T)^T than at x @ W^T here
            # ((32, 784) x (784, 512): 300 against 430 us), even with the copy back to rows.
            out = np.ascontiguousarray(np.matmul(weight, x.T).T)
        elif x.shape[-1] == 1:
            # in_features 1 (a recurrent layer's input projection): numpy's matmul does not use BLAS
            # for an inner dimension of 1; dot on the folded 2-D product does, with the same products
            # ((4000, 1) x (1, 256) float32: 1.6 ms against 0.11 ms).
            out = np.dot(x.reshape(-1, 1), weight.T).reshape(x.shape[:-1] + weight.shape[:1])
        else:
            out = np.matmul(x, weight.T)
        if bias is not None:
            if bias.dtype != out.dtype:
                _check_same_dtype("linear (bias)", out, bias)
            try:
                out += bias  # in place on the fresh product: no second output array
            except ValueError:
                raise RuntimeError(
                    f"linear: bias of shape {bias.shape} does not broadcast to the output shape {out.shape}"
                ) from None
            ctx.bias_is_vector = bias.ndim == 1
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        xp = ctx.xp
        want_x, want_weight, want_bias = ctx.needs_input_grad
        grad_x = grad_w = grad_b = None
        if want_x:
            grad_x = xp.matmul(g, weight)
        if want_weight or want_bias:
            g2 = xp.reshape(g, _as_rows(g.shape))
            if want_weight:
                grad_w = xp.matmul(xp.swapaxes(g2, 0, 1), xp.reshape(x, _as_rows(x.shape)))
            if want_bias:
                # A (out,) bias: sum the folded rows; any other broadcastable bias: the engine sums.
                grad_b = xp.sum(g2, axis=0) if ctx.bias_is_vector else g
        return grad_x, grad_w, grad_b

    @staticmethod
    def jvp(ctx, t_x, t_weight, t_bias):
        # t_x W^T + x t_W^T + t_b (the engine broadcasts t_b to the output)
        x, weight, _ = ctx.inputs
        return sum_of(None if t_x is None else Linear.apply(t_x, weight),
                      None if t_weight is None else Linear.apply(x, t_weight), t_bias)


def linear(input, weight, bias=None):
    """Affine map ``input @ weight.T + bias`` (torch.nn.functional.linear), one op with a lean VJP."""
    return Linear.apply(input, weight, bias)
