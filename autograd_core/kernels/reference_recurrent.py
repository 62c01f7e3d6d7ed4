"""numpy twins of the recurrent step kernels (kernels/recurrent.py): the gate math of one time step.

Each function has exactly its kernel's signature and writes into the output arrays it is given
(nothing is returned).  Shapes, per time step (B the batch, H the hidden size):

  hh         (B, G H)  h_(t-1) W_hh^T, the step's one matmul (G = 4 LSTM, 3 GRU, 1 Elman)
  projected  (B, G H)  the step's input projection W_ih x_t + b_ih (+ the b_hh that just adds)

LSTM gates are stacked (i, f, g, o) and GRU gates (r, z, n), as torch stacks them.  The backward
steps take the upstream gradient of this step's outputs (`grad_h`, `grad_c`), what the later
step sent back through the matmul (`recurrent`: d_gates_(t+1) W_hh) and, where a state also
reaches the next step directly, that part (`carry`: dL/dc_t for the LSTM, dL/dh_t z for the GRU).
"""
import numpy as np

from .reference import sigmoid_forward


# -- LSTM ----------------------------------------------------------------------------------------
def lstm_forward_step(hh, projected, c_prev, gates, h_out, c_out, tanh_c):
    """gates <- (sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)) of hh + projected;
    c_out <- f c_prev + i g;  tanh_c <- tanh(c_out);  h_out <- o tanh_c."""
    size = c_prev.shape[-1]
    pre = hh + projected
    gates[:, :2 * size] = sigmoid_forward(pre[:, :2 * size])
    np.tanh(pre[:, 2 * size:3 * size], out=gates[:, 2 * size:3 * size])
    gates[:, 3 * size:] = sigmoid_forward(pre[:, 3 * size:])
    i, f, cell, o = (gates[:, k * size:(k + 1) * size] for k in range(4))
    np.multiply(f, c_prev, out=c_out)
    c_out += i * cell
    np.tanh(c_out, out=tanh_c)
    np.multiply(o, tanh_c, out=h_out)


def lstm_backward_step(grad_h, grad_c, recurrent, carry, gates, tanh_c, c_prev, d_gates, carry_out):
    """d_gates <- dL/d(pre-activations) of this step; carry_out <- dL/dc_prev through f
    (carry_out may be `carry` itself)."""
    size = c_prev.shape[-1]
    i, f, cell, o = (gates[:, k * size:(k + 1) * size] for k in range(4))
    dh = grad_h + recurrent
    dc = grad_c + carry + dh * o * (1 - tanh_c * tanh_c)
    d_gates[:, :size] = dc * cell * i * (1 - i)
    d_gates[:, size:2 * size] = dc * c_prev * f * (1 - f)
    d_gates[:, 2 * size:3 * size] = dc * i * (1 - cell * cell)
    d_gates[:, 3 * size:] = dh * tanh_c * o * (1 - o)
    np.multiply(dc, f, out=carry_out)


# -- GRU -----------------------------------------------------------------------------------------
def gru_forward_step(hh, projected, bias_hn, h_prev, gates, hn_out, h_out):
    """r, z = sigmoid(projected_rz + hh_rz);  hn_out <- hh_n + bias_hn;
    n = tanh(projected_n + r hn_out);  gates <- (r, z, n);  h_out <- n + z (h_prev - n)."""
    size = h_prev.shape[-1]
    gates[:, :2 * size] = sigmoid_forward(projected[:, :2 * size] + hh[:, :2 * size])
    r, z = gates[:, :size], gates[:, size:2 * size]
    np.add(hh[:, 2 * size:], bias_hn, out=hn_out)
    n = gates[:, 2 * size:]
    np.tanh(projected[:, 2 * size:] + r * hn_out, out=n)
    np.add(n, z * (h_prev - n), out=h_out)


def gru_backward_step(grad_h, recurrent, carry, h_prev, gates, hn, d_projected, d_hh, carry_out):
    """d_projected <- dL/d(projected) of this step, d_hh <- dL/d(hh) (its n part is r times
    projected's); carry_out <- dL/dh_prev through z (carry_out may be `carry` itself)."""
    size = h_prev.shape[-1]
    r, z, n = gates[:, :size], gates[:, size:2 * size], gates[:, 2 * size:]
    dh = grad_h + recurrent + carry
    dpn = dh * (1 - z) * (1 - n * n)
    dr = dpn * hn * r * (1 - r)
    dz = dh * (h_prev - n) * z * (1 - z)
    d_projected[:, :size] = dr
    d_projected[:, size:2 * size] = dz
    d_projected[:, 2 * size:] = dpn
    d_hh[:, :2 * size] = d_projected[:, :2 * size]
    np.multiply(dpn, r, out=d_hh[:, 2 * size:])
    np.multiply(dh, z, out=carry_out)


# -- Elman ---------------------------------------------------------------------------------------
def elman_tanh_forward_step(hh, projected, h_out):
    """h_out <- tanh(hh + projected)"""
    np.tanh(hh + projected, out=h_out)


def elman_relu_forward_step(hh, projected, h_out):
    """h_out <- max(hh + projected, 0) (NaN kept)"""
    pre = hh + projected
    np.copyto(h_out, np.where(pre < 0, 0, pre))


def elman_tanh_backward_step(grad_h, recurrent, h, d_pre):
    """d_pre <- (grad_h + recurrent) (1 - h^2), h the step's output"""
    np.multiply(grad_h + recurrent, 1 - h * h, out=d_pre)


def elman_relu_backward_step(grad_h, recurrent, h, d_pre):
    """d_pre <- grad_h + recurrent where the step's output h > 0, else 0"""
    np.copyto(d_pre, np.where(h > 0, grad_h + recurrent, 0))
