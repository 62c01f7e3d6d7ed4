"""The sequence ops' rules written in ``xp`` and Tensor ops (ops/recurrent_sequence.py).

`*_vjp(xp, grad, ...)`: backpropagation through time in ``ctx.xp``.  The forward steps are
recomputed from the op's inputs (so that, under create_graph=True, every value the rule uses
is itself a function of the inputs on the tape), then the loop runs over the steps in reverse.
Each step is the step's own VJP (the same formulas as the kernels), so the gradient of this
rule is the exact second derivative.  It costs ~40 recorded ops per step: it is the
create_graph path; a first-order backward runs the ops' `plain_backward` instead.

`*_jvp(inputs, tangents, ...)`: forward mode, the steps linearised around the primal values
and run forward in Tensor ops (an input without a tangent contributes zeros).
"""
import numpy as np

from .namespace import TENSOR


def _steps(steps, reverse):
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _accumulate(total, term):
    return term if total is None else total + term


# -- VJPs (backpropagation through time) ---------------------------------------------------------
def lstm_vjp(xp, grad, projected, h0, c0, weight_hh, reverse):
    """(d projected, d h0, d c0, d weight_hh) of lstm_sequence."""
    size = h0.shape[-1]
    weight_t = xp.swapaxes(weight_hh, 0, 1)
    order = list(_steps(projected.shape[0], reverse))
    h, c, states = h0, c0, []
    for t in order:
        pre = projected[t] + xp.matmul(h, weight_t)
        i, f = xp.sigmoid(pre[..., :size]), xp.sigmoid(pre[..., size:2 * size])
        cell, o = xp.tanh(pre[..., 2 * size:3 * size]), xp.sigmoid(pre[..., 3 * size:])
        c_new = f * c + i * cell
        tanh_c = xp.tanh(c_new)
        states.append((h, c, i, f, cell, o, tanh_c))
        h, c = o * tanh_c, c_new
    d_projected = [None] * len(order)
    dh = dc = d_weight = None
    for t, (h_prev, c_prev, i, f, cell, o, tanh_c) in zip(reversed(order), reversed(states)):
        gh = grad[0, t] if dh is None else grad[0, t] + dh
        gc = grad[1, t] if dc is None else grad[1, t] + dc
        gc = gc + gh * o * (1 - tanh_c * tanh_c)
        d_gates = xp.concatenate([gc * cell * i * (1 - i), gc * c_prev * f * (1 - f), gc * i * (1 - cell * cell),
                                  gh * tanh_c * o * (1 - o)], -1)
        d_projected[t] = d_gates
        dh, dc = xp.matmul(d_gates, weight_hh), gc * f
        d_weight = _accumulate(d_weight, xp.matmul(xp.swapaxes(d_gates, 0, 1), h_prev))
    return xp.stack(d_projected, 0), dh, dc, d_weight


def gru_vjp(xp, grad, projected, h0, weight_hh, bias_hn, reverse):
    """(d projected, d h0, d weight_hh, d bias_hn or None) of gru_sequence."""
    size = h0.shape[-1]
    weight_t = xp.swapaxes(weight_hh, 0, 1)
    order = list(_steps(projected.shape[0], reverse))
    h, states = h0, []
    for t in order:
        hh = xp.matmul(h, weight_t)
        rz = xp.sigmoid(projected[t][..., :2 * size] + hh[..., :2 * size])
        r, z = rz[..., :size], rz[..., size:]
        hn = hh[..., 2 * size:] if bias_hn is None else hh[..., 2 * size:] + bias_hn
        n = xp.tanh(projected[t][..., 2 * size:] + r * hn)
        states.append((h, r, z, n, hn))
        h = n + z * (h - n)
    d_projected = [None] * len(order)
    dh = d_weight = d_bias = None
    for t, (h_prev, r, z, n, hn) in zip(reversed(order), reversed(states)):
        gh = grad[t] if dh is None else grad[t] + dh
        dpn = gh * (1 - z) * (1 - n * n)
        dr = dpn * hn * r * (1 - r)
        dz = gh * (h_prev - n) * z * (1 - z)
        d_projected[t] = xp.concatenate([dr, dz, dpn], -1)
        d_hn = dpn * r
        d_hh = xp.concatenate([dr, dz, d_hn], -1)
        dh = gh * z + xp.matmul(d_hh, weight_hh)
        d_weight = _accumulate(d_weight, xp.matmul(xp.swapaxes(d_hh, 0, 1), h_prev))
        if bias_hn is not None:
            d_bias = _accumulate(d_bias, xp.sum(d_hn, axis=0))
    return xp.stack(d_projected, 0), dh, d_weight, d_bias


def _relu_mask(xp, values):
    """1 where values > 0, else 0, as a constant of values' dtype (relu's derivative)."""
    array = xp.value(values)
    return (array > 0).astype(array.dtype)


def elman_vjp(xp, grad, projected, h0, weight_hh, nonlinearity, reverse):
    """(d projected, d h0, d weight_hh) of rnn_sequence."""
    weight_t = xp.swapaxes(weight_hh, 0, 1)
    order = list(_steps(projected.shape[0], reverse))
    h, states = h0, []
    for t in order:
        pre = projected[t] + xp.matmul(h, weight_t)
        if nonlinearity == "tanh":
            h_new = xp.tanh(pre)
            slope = 1 - h_new * h_new
        else:
            slope = _relu_mask(xp, pre)
            h_new = pre * slope
        states.append((h, slope))
        h = h_new
    d_projected = [None] * len(order)
    dh = d_weight = None
    for t, (h_prev, slope) in zip(reversed(order), reversed(states)):
        d_pre = (grad[t] if dh is None else grad[t] + dh) * slope
        d_projected[t] = d_pre
        dh = xp.matmul(d_pre, weight_hh)
        d_weight = _accumulate(d_weight, xp.matmul(xp.swapaxes(d_pre, 0, 1), h_prev))
    return xp.stack(d_projected, 0), dh, d_weight


# -- JVPs (forward mode) ----------------------------------------------------------------------------
def _as_tensors(inputs, tangents):
    """The inputs as Tensors, and each tangent or (for an input that has a value) zeros."""
    from ..creation import zeros_like
    from ..tensor import Tensor, make_tensor

    values = [v if v is None or isinstance(v, Tensor) else make_tensor(np.asarray(v)) for v in inputs]
    return values, [t if t is not None or v is None else zeros_like(v) for v, t in zip(values, tangents)]


def lstm_jvp(inputs, tangents, reverse):
    """The tangent (2, T, B, H) of lstm_sequence's output."""
    xp = TENSOR
    (projected, h0, c0, weight_hh), (t_projected, t_h, t_c, t_weight) = _as_tensors(inputs, tangents)
    size = h0.shape[-1]
    weight_t, t_weight_t = xp.swapaxes(weight_hh, 0, 1), xp.swapaxes(t_weight, 0, 1)
    steps = projected.shape[0]
    h, c = h0, c0
    t_hs, t_cs = [None] * steps, [None] * steps
    for t in _steps(steps, reverse):
        pre = projected[t] + xp.matmul(h, weight_t)
        t_pre = t_projected[t] + xp.matmul(t_h, weight_t) + xp.matmul(h, t_weight_t)
        i, f = xp.sigmoid(pre[..., :size]), xp.sigmoid(pre[..., size:2 * size])
        cell, o = xp.tanh(pre[..., 2 * size:3 * size]), xp.sigmoid(pre[..., 3 * size:])
        t_i, t_f = i * (1 - i) * t_pre[..., :size], f * (1 - f) * t_pre[..., size:2 * size]
        t_cell, t_o = (1 - cell * cell) * t_pre[..., 2 * size:3 * size], o * (1 - o) * t_pre[..., 3 * size:]
        c_new = f * c + i * cell
        t_c = t_f * c + f * t_c + t_i * cell + i * t_cell
        tanh_c = xp.tanh(c_new)
        h, c = o * tanh_c, c_new
        t_h = t_o * tanh_c + o * (1 - tanh_c * tanh_c) * t_c
        t_hs[t], t_cs[t] = t_h, t_c
    return xp.stack([xp.stack(t_hs, 0), xp.stack(t_cs, 0)], 0)


def gru_jvp(inputs, tangents, reverse):
    """The tangent (T, B, H) of gru_sequence's output."""
    xp = TENSOR
    (projected, h0, weight_hh, bias_hn), (t_projected, t_h, t_weight, t_bias) = _as_tensors(inputs, tangents)
    size = h0.shape[-1]
    weight_t, t_weight_t = xp.swapaxes(weight_hh, 0, 1), xp.swapaxes(t_weight, 0, 1)
    steps = projected.shape[0]
    h, t_hs = h0, [None] * steps
    for t in _steps(steps, reverse):
        hh = xp.matmul(h, weight_t)
        t_hh = xp.matmul(t_h, weight_t) + xp.matmul(h, t_weight_t)
        rz = xp.sigmoid(projected[t][..., :2 * size] + hh[..., :2 * size])
        t_rz = rz * (1 - rz) * (t_projected[t][..., :2 * size] + t_hh[..., :2 * size])
        r, z, t_r, t_z = rz[..., :size], rz[..., size:], t_rz[..., :size], t_rz[..., size:]
        hn, t_hn = hh[..., 2 * size:], t_hh[..., 2 * size:]
        if bias_hn is not None:
            hn, t_hn = hn + bias_hn, t_hn + t_bias
        n = xp.tanh(projected[t][..., 2 * size:] + r * hn)
        t_n = (1 - n * n) * (t_projected[t][..., 2 * size:] + t_r * hn + r * t_hn)
        t_h = t_n + t_z * (h - n) + z * (t_h - t_n)
        h = n + z * (h - n)
        t_hs[t] = t_h
    return xp.stack(t_hs, 0)


def elman_jvp(inputs, tangents, nonlinearity, reverse):
    """The tangent (T, B, H) of rnn_sequence's output."""
    xp = TENSOR
    (projected, h0, weight_hh), (t_projected, t_h, t_weight) = _as_tensors(inputs, tangents)
    weight_t, t_weight_t = xp.swapaxes(weight_hh, 0, 1), xp.swapaxes(t_weight, 0, 1)
    steps = projected.shape[0]
    h, t_hs = h0, [None] * steps
    for t in _steps(steps, reverse):
        pre = projected[t] + xp.matmul(h, weight_t)
        t_pre = t_projected[t] + xp.matmul(t_h, weight_t) + xp.matmul(h, t_weight_t)
        if nonlinearity == "tanh":
            h = xp.tanh(pre)
            t_h = (1 - h * h) * t_pre
        else:
            slope = _relu_mask(xp, pre)
            h, t_h = pre * slope, t_pre * slope
        t_hs[t] = t_h
    return xp.stack(t_hs, 0)
