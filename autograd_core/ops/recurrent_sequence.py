"""A whole recurrent sequence (one layer, one direction) as one op: LSTM, GRU, Elman RNN.

Recorded step by step, an LSTM layer over 40 time steps was ~200 ops (a matmul and two gate
ops per step, plus unbind and stack), each paying the engine's per-op cost on the way forward
and again on the way back.  Here the time loop runs on ndarrays inside one op:

  forward        per step: one (B, H) @ (H, G H) matmul with W_hh^T, then the gate math as
                 one kernel call (kernels/recurrent.py), which also keeps what backward needs
                 (the gate activations, tanh(c_t), GRU's W_hn h + b_hn);
  plain_backward backpropagation through time, a loop over the steps in reverse: per step one
                 gate-gradient kernel call and one (B, G H) @ (G H, H) matmul for the gradient
                 reaching h_(t-1); the gradient of W_hh is one matmul over all steps after the
                 loop (two: the first step pairs with h_0, which is not in the output);
  backward       the same rule in ``ctx.xp`` (recurrent_sequence_rules.py), recorded under
                 create_graph=True, so gradients of any order follow;
  jvp            a loop of linearised steps in Tensor ops (the same file).

The ops take the input projections of all time steps (``W_ih x_t + b_ih``, plus the parts of
b_hh that simply add: one matmul, `nn.rnn_cells.project_inputs`), the initial state and W_hh,
and ``reverse=True`` runs the steps from the last to the first (the backward direction of a
bidirectional layer); the output is always in time order.  Shapes (T steps, B batch, H hidden):

  lstm_sequence(projected (T, B, 4H), h0 (B, H), c0 (B, H), weight_hh (4H, H))  -> (2, T, B, H)
                out[0] the h_t, out[1] the c_t; gates (i, f, g, o), torch's order
  gru_sequence(projected (T, B, 3H), h0 (B, H), weight_hh (3H, H), bias_hn (H,) or None)
                -> (T, B, H); gates (r, z, n), b_hn inside r * (W_hn h + b_hn) as torch
  rnn_sequence(projected (T, B, H), h0 (B, H), weight_hh (H, H), nonlinearity="tanh"|"relu")
                -> (T, B, H)

These are not top-level functions (torch has no such names); nn/rnn.py imports them from here.
"""
import numpy as np

from .. import kernels
from . import recurrent_sequence_rules as rules
from .op import Op

__all__ = []


def _steps(steps, reverse):
    """The time indices in the order the recurrence visits them."""
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _check(name, projected, states, weight_hh, blocks, bias_hn=None):
    """Clear errors (naming the op and the shapes) before anything is computed."""
    named = [("projected", projected), *zip(("h0", "c0"), states), ("weight_hh", weight_hh)]
    if bias_hn is not None:
        named.append(("bias_hn", bias_hn))
    shapes = ", ".join(f"{label} {tuple(np.shape(value))}" for label, value in named)
    gates = f"{blocks}H" if blocks > 1 else "H"
    expected = (f"expected projected (T >= 1, B, {gates}), {'h0, c0' if len(states) == 2 else 'h0'} (B, H), "
                f"weight_hh ({gates}, H){', bias_hn (H,)' if bias_hn is not None else ''}; got {shapes}")
    if any(not isinstance(value, np.ndarray) for _, value in named):
        raise TypeError(f"{name}: {expected}")
    if projected.ndim != 3 or any(s.ndim != 2 for s in states) or weight_hh.ndim != 2:
        raise ValueError(f"{name}: {expected}")
    steps, batch, gate_size = projected.shape
    size = states[0].shape[1]
    if (steps == 0 or gate_size != blocks * size or weight_hh.shape != (blocks * size, size)
            or any(s.shape != (batch, size) for s in states) or (bias_hn is not None and bias_hn.shape != (size,))):
        raise ValueError(f"{name}: {expected}")
    dtype = projected.dtype
    if dtype.kind != "f" or any(value.dtype != dtype for _, value in named):
        raise TypeError(f"{name}: all inputs must have one floating dtype, got "
                        + ", ".join(f"{label} {value.dtype}" for label, value in named))


def _weight_gradient(d_hh, hs, h0, reverse):
    """dL/dW_hh = sum_t d_hh_t^T h_(t-1): one matmul over the steps whose h_(t-1) is in the
    output, plus the first step's with h_0."""
    steps, batch, gate_size = d_hh.shape
    first, later, earlier = (steps - 1, slice(0, steps - 1), slice(1, steps)) if reverse else \
        (0, slice(1, steps), slice(0, steps - 1))
    size = h0.shape[-1]
    total = d_hh[later].reshape(-1, gate_size).T @ hs[earlier].reshape(-1, size)
    total += d_hh[first].T @ h0
    return total


# -- LSTM ------------------------------------------------------------------------------------------
def _lstm_run(projected, h0, c0, weight_hh, reverse):
    """(out (2, T, B, H), gate activations (T, B, 4H), tanh(c_t) (T, B, H))"""
    steps, batch, gate_size = projected.shape
    projected = np.ascontiguousarray(projected)
    dtype = projected.dtype
    out = np.empty((2, steps, batch, h0.shape[1]), dtype)
    gates = np.empty((steps, batch, gate_size), dtype)
    tanh_c = np.empty(out.shape[1:], dtype)
    weight_t = np.ascontiguousarray(weight_hh.T)
    hh = np.empty((batch, gate_size), dtype)
    h, c = np.ascontiguousarray(h0), np.ascontiguousarray(c0)
    step = kernels.recurrent_step("lstm_forward_step", h0.size)
    for t in _steps(steps, reverse):
        np.matmul(h, weight_t, out=hh)
        step(hh, projected[t], c, gates[t], out[0, t], out[1, t], tanh_c[t])
        h, c = out[0, t], out[1, t]
    return out, gates, tanh_c


class LSTMSequence(Op):
    """Every (h_t, c_t) of an LSTM layer-direction: out (2, T, B, H) (module docstring)."""
    name = "lstm_sequence"

    @staticmethod
    def forward(ctx, projected, h0, c0, weight_hh, reverse=False):
        _check("lstm_sequence", projected, (h0, c0), weight_hh, 4)
        out, gates, tanh_c = _lstm_run(projected, h0, c0, weight_hh, reverse)
        if getattr(ctx, "edges", None) is not None:  # recording: keep the activations for the plain backward
            ctx.reverse = reverse
            ctx.activations = gates, tanh_c
            ctx.save_for_backward(projected, h0, c0, weight_hh, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        projected, h0, c0, weight_hh, _ = ctx.saved_tensors
        return rules.lstm_vjp(ctx.xp, grad, projected, h0, c0, weight_hh, ctx.reverse)

    @staticmethod
    def plain_backward(ctx, grad):
        projected, h0, c0, weight_hh, out = ctx.saved_tensors
        reverse = ctx.reverse
        activations, ctx.activations = ctx.activations, None  # freed now (a second backward recomputes them)
        if activations is None:
            _, *activations = _lstm_run(projected, h0, c0, weight_hh, reverse)
        gates, tanh_c = activations
        grad = np.ascontiguousarray(grad, dtype=out.dtype)
        steps, batch, size = out.shape[1:]
        d_gates = np.empty(gates.shape, out.dtype)
        recurrent = np.zeros((batch, size), out.dtype)  # d_gates_(t+1) W_hh: what reaches h_t from later
        carry = np.zeros((batch, size), out.dtype)  # dL/dc_t from later steps
        weight = np.ascontiguousarray(weight_hh)
        step = kernels.recurrent_step("lstm_backward_step", h0.size)
        order = _steps(steps, reverse)
        first = order[0]
        wants = ctx.needs_input_grad
        for t in reversed(order):
            c_prev = c0 if t == first else out[1, t + 1 if reverse else t - 1]
            step(grad[0, t], grad[1, t], recurrent, carry, gates[t], tanh_c[t], c_prev, d_gates[t], carry)
            if t != first or wants[1]:  # the first step's product only feeds dL/dh0
                np.matmul(d_gates[t], weight, out=recurrent)
        d_weight = _weight_gradient(d_gates, out[0], h0, reverse) if wants[3] else None
        return d_gates, recurrent if wants[1] else None, carry, d_weight

    @staticmethod
    def jvp(ctx, t_projected, t_h0, t_c0, t_weight):
        return rules.lstm_jvp(ctx.inputs, (t_projected, t_h0, t_c0, t_weight), ctx.params.get("reverse", False))


# -- GRU -------------------------------------------------------------------------------------------
def _gru_run(projected, h0, weight_hh, bias_hn, reverse):
    """(out (T, B, H), gates r, z, n (T, B, 3H), W_hn h_(t-1) + b_hn (T, B, H))"""
    steps, batch, gate_size = projected.shape
    projected = np.ascontiguousarray(projected)
    dtype = projected.dtype
    size = h0.shape[1]
    out = np.empty((steps, batch, size), dtype)
    gates = np.empty((steps, batch, gate_size), dtype)
    hn = np.empty(out.shape, dtype)
    bias = np.zeros(size, dtype) if bias_hn is None else np.ascontiguousarray(bias_hn)
    weight_t = np.ascontiguousarray(weight_hh.T)
    hh = np.empty((batch, gate_size), dtype)
    h = np.ascontiguousarray(h0)
    step = kernels.recurrent_step("gru_forward_step", h0.size)
    for t in _steps(steps, reverse):
        np.matmul(h, weight_t, out=hh)
        step(hh, projected[t], bias, h, gates[t], hn[t], out[t])
        h = out[t]
    return out, gates, hn


class GRUSequence(Op):
    """Every h_t of a GRU layer-direction: out (T, B, H) (module docstring)."""
    name = "gru_sequence"

    @staticmethod
    def forward(ctx, projected, h0, weight_hh, bias_hn=None, reverse=False):
        _check("gru_sequence", projected, (h0,), weight_hh, 3, bias_hn)
        out, gates, hn = _gru_run(projected, h0, weight_hh, bias_hn, reverse)
        if getattr(ctx, "edges", None) is not None:
            ctx.reverse = reverse
            ctx.activations = gates, hn
            ctx.save_for_backward(projected, h0, weight_hh, bias_hn, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        projected, h0, weight_hh, bias_hn, _ = ctx.saved_tensors
        return rules.gru_vjp(ctx.xp, grad, projected, h0, weight_hh, bias_hn, ctx.reverse)

    @staticmethod
    def plain_backward(ctx, grad):
        projected, h0, weight_hh, bias_hn, out = ctx.saved_tensors
        reverse = ctx.reverse
        activations, ctx.activations = ctx.activations, None
        if activations is None:
            _, *activations = _gru_run(projected, h0, weight_hh, bias_hn, reverse)
        gates, hn = activations
        grad = np.ascontiguousarray(grad, dtype=out.dtype)
        steps, batch, size = out.shape
        d_projected = np.empty(gates.shape, out.dtype)
        d_hh = np.empty(gates.shape, out.dtype)
        recurrent = np.zeros((batch, size), out.dtype)  # d_hh_(t+1) W_hh
        carry = np.zeros((batch, size), out.dtype)  # dL/dh_(t+1) z_(t+1): what reaches h_t directly
        weight = np.ascontiguousarray(weight_hh)
        step = kernels.recurrent_step("gru_backward_step", h0.size)
        order = _steps(steps, reverse)
        first = order[0]
        wants = ctx.needs_input_grad
        for t in reversed(order):
            h_prev = h0 if t == first else out[t + 1 if reverse else t - 1]
            step(grad[t], recurrent, carry, h_prev, gates[t], hn[t], d_projected[t], d_hh[t], carry)
            if t != first or wants[1]:  # the first step's product only feeds dL/dh0
                np.matmul(d_hh[t], weight, out=recurrent)
        d_weight = _weight_gradient(d_hh, out, h0, reverse) if wants[2] else None
        d_bias = d_hh[..., 2 * size:].sum(axis=(0, 1)) if bias_hn is not None and wants[3] else None
        return d_projected, recurrent + carry if wants[1] else None, d_weight, d_bias

    @staticmethod
    def jvp(ctx, t_projected, t_h0, t_weight, t_bias):
        return rules.gru_jvp(ctx.inputs, (t_projected, t_h0, t_weight, t_bias), ctx.params.get("reverse", False))


# -- Elman -----------------------------------------------------------------------------------------
_ELMAN_STEPS = {"tanh": ("elman_tanh_forward_step", "elman_tanh_backward_step"),
                "relu": ("elman_relu_forward_step", "elman_relu_backward_step")}


def _elman_run(projected, h0, weight_hh, nonlinearity, reverse):
    steps, batch, size = projected.shape
    projected = np.ascontiguousarray(projected)
    out = np.empty(projected.shape, projected.dtype)
    weight_t = np.ascontiguousarray(weight_hh.T)
    hh = np.empty((batch, size), projected.dtype)
    h = np.ascontiguousarray(h0)
    step = kernels.recurrent_step(_ELMAN_STEPS[nonlinearity][0], h0.size)
    for t in _steps(steps, reverse):
        np.matmul(h, weight_t, out=hh)
        step(hh, projected[t], out[t])
        h = out[t]
    return out


class ElmanSequence(Op):
    """Every h_t = act(projected_t + W_hh h_(t-1)) of an Elman layer-direction: out (T, B, H)."""
    name = "rnn_sequence"

    @staticmethod
    def forward(ctx, projected, h0, weight_hh, nonlinearity="tanh", reverse=False):
        if nonlinearity not in _ELMAN_STEPS:
            raise ValueError(f"rnn_sequence: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        _check("rnn_sequence", projected, (h0,), weight_hh, 1)
        out = _elman_run(projected, h0, weight_hh, nonlinearity, reverse)
        if getattr(ctx, "edges", None) is not None:
            ctx.reverse, ctx.nonlinearity = reverse, nonlinearity
            ctx.save_for_backward(projected, h0, weight_hh, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        projected, h0, weight_hh, _ = ctx.saved_tensors
        return rules.elman_vjp(ctx.xp, grad, projected, h0, weight_hh, ctx.nonlinearity, ctx.reverse)

    @staticmethod
    def plain_backward(ctx, grad):
        projected, h0, weight_hh, out = ctx.saved_tensors
        grad = np.ascontiguousarray(grad, dtype=out.dtype)
        steps, batch, size = out.shape
        d_pre = np.empty(out.shape, out.dtype)
        recurrent = np.zeros((batch, size), out.dtype)
        weight = np.ascontiguousarray(weight_hh)
        step = kernels.recurrent_step(_ELMAN_STEPS[ctx.nonlinearity][1], h0.size)
        order = _steps(steps, ctx.reverse)
        first, wants = order[0], ctx.needs_input_grad
        for t in reversed(order):
            step(grad[t], recurrent, out[t], d_pre[t])
            if t != first or wants[1]:  # the first step's product only feeds dL/dh0
                np.matmul(d_pre[t], weight, out=recurrent)
        d_weight = _weight_gradient(d_pre, out, h0, ctx.reverse) if wants[2] else None
        return d_pre, recurrent if wants[1] else None, d_weight

    @staticmethod
    def jvp(ctx, t_projected, t_h0, t_weight):
        params = ctx.params
        return rules.elman_jvp(ctx.inputs, (t_projected, t_h0, t_weight), params.get("nonlinearity", "tanh"),
                               params.get("reverse", False))


# -- the functions nn/rnn.py calls -------------------------------------------------------------------
def lstm_sequence(projected, h0, c0, weight_hh, reverse=False):
    """Every (h_t, c_t) of one LSTM layer-direction as one (2, T, B, H) tensor (module docstring)."""
    return LSTMSequence.apply(projected, h0, c0, weight_hh, reverse=bool(reverse))


def gru_sequence(projected, h0, weight_hh, bias_hn=None, reverse=False):
    """Every h_t of one GRU layer-direction as one (T, B, H) tensor (module docstring)."""
    return GRUSequence.apply(projected, h0, weight_hh, bias_hn, reverse=bool(reverse))


def rnn_sequence(projected, h0, weight_hh, nonlinearity="tanh", reverse=False):
    """Every h_t of one Elman layer-direction (tanh or relu) as one (T, B, H) tensor (module docstring)."""
    return ElmanSequence.apply(projected, h0, weight_hh, nonlinearity=nonlinearity, reverse=bool(reverse))
