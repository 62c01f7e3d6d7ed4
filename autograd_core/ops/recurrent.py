"""The elementwise part of one GRU or LSTM step as single ops (used by nn/rnn_cells.py).

Written as a composition of public ops, a GRU step is ~9 recorded ops and an LSTM
step ~11; over a 40-step sequence the per-op cost (a Node, a Tensor, a Python call
on each side of the tape) was most of the time at hidden size 64.  Here the
matmul with W_hh stays an ordinary `linear`, and everything after it is one op:

  gru_cell_update(prz, pn, hh, h):    r, z = sigmoid(prz + hh[:, :2H]) (split)
                                      n = tanh(pn + r * hh[:, 2H:])
                                      h' = n + z * (h - n)
  lstm_cell_state(gates, c):          c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
  lstm_cell_output(gates, c_new):     h' = sigmoid(o) * tanh(c_new)

(`gates` = [i, f, g, o] pre-activations, torch's order; `prz`, `pn` the GRU's input
projections with the additive biases folded in, `hh` = h W_hh^T + [0, 0, b_hn].)

Each VJP is written once in ``ctx.xp`` from the inputs (so it is recorded under
create_graph and gradients of any order follow); the plain first-order backward
(`plain_backward`) reuses the gate values the forward computed.  These are not
top-level functions (torch has no such names); nn imports them from here.
"""
import numpy as np

from ..kernels import sigmoid_forward as _sigmoid  # no overflow warning for large negative inputs
from .op import Op

__all__ = []


def _zeros_for(value, tangent):
    """The tangent, or zeros of the value's shape where there is none (forward mode)."""
    if tangent is not None:
        return tangent
    from ..creation import zeros_like

    return zeros_like(value)


class GRUCellUpdate(Op):
    """h' = n + z (h - n), r, z = sigmoid(prz + hh_rz), n = tanh(pn + r hh_n)"""
    name = "gru_cell_update"

    @staticmethod
    def forward(ctx, prz, pn, hh, h):
        r, z, n, hn = gates = _gru_gates(prz, pn, hh, h.shape[-1])
        if getattr(ctx, "edges", None) is not None:  # recording: keep the gates for the plain backward
            ctx.gates = gates
            ctx.save_for_backward(prz, pn, hh, h)
        return n + z * (h - n)

    @staticmethod
    def backward(ctx, g):
        prz, pn, hh, h = ctx.saved_tensors
        xp = ctx.xp
        size = h.shape[-1]
        rz = xp.sigmoid(prz + hh[..., :2 * size])
        r, z = rz[..., :size], rz[..., size:]
        hn = hh[..., 2 * size:]
        n = xp.tanh(pn + r * hn)
        return _gru_vjp(xp, g, r, z, n, hn, h)

    @staticmethod
    def plain_backward(ctx, g):
        prz, pn, hh, h = ctx.saved_tensors
        gates, ctx.gates = ctx.gates, None  # freed after the first backward (a second one recomputes them)
        if gates is None:
            gates = _gru_gates(prz, pn, hh, h.shape[-1])
        return _gru_vjp(_NUMPY, g, *gates, h)

    @staticmethod
    def jvp(ctx, t_prz, t_pn, t_hh, t_h):
        from .activation import sigmoid, tanh

        prz, pn, hh, h = ctx.inputs
        t_prz, t_pn, t_hh, t_h = (_zeros_for(v, t) for v, t in zip((prz, pn, hh, h), (t_prz, t_pn, t_hh, t_h)))
        size = h.shape[-1]
        rz = sigmoid(prz + hh[..., :2 * size])
        t_rz = rz * (1 - rz) * (t_prz + t_hh[..., :2 * size])
        r, z, t_r, t_z = rz[..., :size], rz[..., size:], t_rz[..., :size], t_rz[..., size:]
        hn, t_hn = hh[..., 2 * size:], t_hh[..., 2 * size:]
        n = tanh(pn + r * hn)
        t_n = (1 - n * n) * (t_pn + t_r * hn + r * t_hn)
        return t_n + t_z * (h - n) + z * (t_h - t_n)


def _gru_gates(prz, pn, hh, size):
    """(r, z, n, hh_n) on arrays."""
    rz = _sigmoid(prz + hh[..., :2 * size])
    r, z = rz[..., :size], rz[..., size:]
    hn = hh[..., 2 * size:]
    return r, z, np.tanh(pn + r * hn), hn


def _gru_vjp(xp, g, r, z, n, hn, h):
    dn = g * (1 - z)
    dpn = dn * (1 - n * n)
    dr = dpn * hn * r * (1 - r)
    dz = g * (h - n) * z * (1 - z)
    dprz = xp.concatenate([dr, dz], -1)
    return dprz, dpn, xp.concatenate([dprz, dpn * r], -1), g * z


class LSTMCellState(Op):
    """c' = sigmoid(f) c + sigmoid(i) tanh(g), gates = [i, f, g, o]"""
    name = "lstm_cell_state"

    @staticmethod
    def forward(ctx, gates, c):
        i, f, cell = values = _lstm_state_gates(gates, c.shape[-1])
        if getattr(ctx, "edges", None) is not None:
            ctx.gates = values
            ctx.save_for_backward(gates, c)
        return f * c + i * cell

    @staticmethod
    def backward(ctx, g):
        gates, c = ctx.saved_tensors
        xp = ctx.xp
        size = c.shape[-1]
        return _lstm_state_vjp(xp, g, xp.sigmoid(gates[..., :size]), xp.sigmoid(gates[..., size:2 * size]),
                               xp.tanh(gates[..., 2 * size:3 * size]), c)

    @staticmethod
    def plain_backward(ctx, g):
        gates, c = ctx.saved_tensors
        values, ctx.gates = ctx.gates, None
        if values is None:
            values = _lstm_state_gates(gates, c.shape[-1])
        return _lstm_state_vjp(_NUMPY, g, *values, c)

    @staticmethod
    def jvp(ctx, t_gates, t_c):
        from .activation import sigmoid, tanh

        gates, c = ctx.inputs
        t_gates, t_c = _zeros_for(gates, t_gates), _zeros_for(c, t_c)
        size = c.shape[-1]
        i, f = sigmoid(gates[..., :size]), sigmoid(gates[..., size:2 * size])
        cell = tanh(gates[..., 2 * size:3 * size])
        return (f * t_c + c * f * (1 - f) * t_gates[..., size:2 * size] + cell * i * (1 - i) * t_gates[..., :size]
                + i * (1 - cell * cell) * t_gates[..., 2 * size:3 * size])


def _lstm_state_gates(gates, size):
    """(sigmoid(i), sigmoid(f), tanh(g)) on arrays."""
    return (_sigmoid(gates[..., :size]), _sigmoid(gates[..., size:2 * size]), np.tanh(gates[..., 2 * size:3 * size]))


def _lstm_state_vjp(xp, g, i, f, cell, c):
    di = g * cell * i * (1 - i)
    df = g * c * f * (1 - f)
    dcell = g * i * (1 - cell * cell)
    return xp.concatenate([di, df, dcell, xp.zeros_like(di)], -1), g * f


class LSTMCellOutput(Op):
    """h' = sigmoid(o) tanh(c'), gates = [i, f, g, o]"""
    name = "lstm_cell_output"

    @staticmethod
    def forward(ctx, gates, c_new):
        o, cell = _sigmoid(gates[..., 3 * c_new.shape[-1]:]), np.tanh(c_new)
        if getattr(ctx, "edges", None) is not None:
            ctx.gates = (o, cell)
            ctx.save_for_backward(gates, c_new)
        return o * cell

    @staticmethod
    def backward(ctx, g):
        gates, c_new = ctx.saved_tensors
        xp = ctx.xp
        size = c_new.shape[-1]
        return _lstm_output_vjp(xp, g, xp.sigmoid(gates[..., 3 * size:]), xp.tanh(c_new))

    @staticmethod
    def plain_backward(ctx, g):
        values, ctx.gates = ctx.gates, None
        if values is None:
            gates, c_new = ctx.saved_tensors
            values = _sigmoid(gates[..., 3 * c_new.shape[-1]:]), np.tanh(c_new)
        return _lstm_output_vjp(_NUMPY, g, *values)

    @staticmethod
    def jvp(ctx, t_gates, t_c):
        from .activation import sigmoid, tanh

        gates, c_new = ctx.inputs
        t_gates, t_c = _zeros_for(gates, t_gates), _zeros_for(c_new, t_c)
        size = c_new.shape[-1]
        o, cell = sigmoid(gates[..., 3 * size:]), tanh(c_new)
        return o * (1 - o) * t_gates[..., 3 * size:] * cell + o * (1 - cell * cell) * t_c


def _lstm_output_vjp(xp, g, o, cell):
    do = g * cell * o * (1 - o)
    zeros = xp.zeros_like(do)
    return xp.concatenate([zeros, zeros, zeros, do], -1), g * o * (1 - cell * cell)


class _NUMPY:
    """The two array functions the plain backward needs (ctx.xp's ARRAY has them too; this avoids a lookup)."""
    concatenate = staticmethod(np.concatenate)
    zeros_like = staticmethod(np.zeros_like)


def gru_cell_update(prz, pn, hh, h):
    """One GRU step after its matmuls: prz (B, 2H) and pn (B, H) the input projections with the
    additive biases, hh (B, 3H) = h W_hh^T + [0, 0, b_hn]; returns h' (torch's gates r, z, n)."""
    return GRUCellUpdate.apply(prz, pn, hh, h)


def lstm_cell_state(gates, c):
    """c' = sigmoid(f) c + sigmoid(i) tanh(g) from the (B, 4H) pre-activations [i, f, g, o]."""
    return LSTMCellState.apply(gates, c)


def lstm_cell_output(gates, c_new):
    """h' = sigmoid(o) tanh(c') from the (B, 4H) pre-activations [i, f, g, o] and the new cell state."""
    return LSTMCellOutput.apply(gates, c_new)
