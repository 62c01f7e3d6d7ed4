"""The recurrent steps, and the single-step layers `RNNCell`, `GRUCell`, `LSTMCell`.

One time step of each recurrence, in torch's gate order, written with
autograd_core's public ops (so backward, and second derivatives, come from
the ops' own rules).  ``x_t W_ih^T + b_ih`` does not depend on the hidden state,
so the sequence layers in `nn/rnn.py` compute it for every time step in one
matmul (`project_all_inputs`) and hand it to one op for the whole recurrence
(autograd_core/ops/recurrent_sequence.py, the same equations); the cells here do
the same matmul for their one step.  Biases that are simply added are folded into that
product (``b_ih + b_hh``); the one that is not, GRU's ``b_hn``, stays inside the
reset gate:

  Elman:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)              (or relu)
  GRU:    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
          z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
          h' = (1 - z) * n + z * h        (computed as n + z * (h - n))
  (each step: one matmul with W_hh, then the gates as one op of autograd_core/ops/recurrent.py)
  LSTM:   i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (W_ih x + b_ih + W_hh h + b_hh)
          c' = f * c + i * g,   h' = o * tanh(c')

The weights are stacked as torch stacks them: GRU rows (r, z, n), LSTM rows (i, f, g, o).
"""
import math

import autograd_core as ag
from autograd_core.ops.recurrent import gru_cell_update, lstm_cell_output, lstm_cell_state  # fused gate ops

from . import init
from .module import Module
from .parameter import Parameter

#: torch's mode names -> number of gate blocks stacked in weight_ih / weight_hh.
GATE_BLOCKS = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


# -- the recurrence, one step --------------------------------------------------------------
def project_inputs(mode, x, weight_ih, bias_ih, bias_hh, hidden_size):
    """The hidden-state-free part of every gate, for all leading positions of `x` in one matmul.

    Returns a tuple of tensors with the same leading shape as `x`:
    ``(W_ih x + b_ih + b_hh,)`` for Elman and LSTM, and ``(rz, n)`` for GRU, where
    ``rz = W_i(r,z) x + b_i(r,z) + b_h(r,z)`` and ``n = W_in x + b_in``.
    """
    projected = project_all_inputs(mode, x, weight_ih, bias_ih, bias_hh, hidden_size)
    if mode == "GRU":
        return tuple(ag.split(projected, [2 * hidden_size, hidden_size], dim=-1))
    return (projected,)


def project_all_inputs(mode, x, weight_ih, bias_ih, bias_hh, hidden_size):
    """`project_inputs` as one tensor (..., blocks * hidden_size): the GRU's (rz, n) not split."""
    if bias_ih is None:
        return ag.linear(x, weight_ih)
    if mode == "GRU":
        # b_hr and b_hz add to the gates like b_ih does; b_hn must stay inside r * (...).
        bias_hh_rz = bias_hh[: 2 * hidden_size]
        return ag.linear(x, weight_ih, bias_ih + ag.pad(bias_hh_rz, (0, hidden_size)))
    return ag.linear(x, weight_ih, bias_ih + bias_hh)


def hidden_weights(mode, weight_hh, bias_hh, hidden_size):
    """What each step needs of W_hh and b_hh: the GRU's product with W_hh adds only b_hn
    (b_hr and b_hz are folded into the input projection), as the bias [0, 0, b_hn]."""
    if mode != "GRU":
        return (weight_hh,)
    bias = None if bias_hh is None else ag.pad(bias_hh[2 * hidden_size:], (2 * hidden_size, 0))
    return weight_hh, bias


def elman_step(projected, h, weight_hh, nonlinearity):
    """h' = act(projected + W_hh h), `projected` holding W_ih x + b_ih + b_hh."""
    pre_activation = ag.linear(h, weight_hh, projected)
    return ag.tanh(pre_activation) if nonlinearity == "tanh" else ag.relu(pre_activation)


def gru_step(projected_rz, projected_n, h, weight_hh, bias_hh):
    """torch's GRU step (r, z, n), from the step's slices of `project_inputs` and `hidden_weights`:
    one matmul with W_hh, then the gates as one op (autograd_core/ops/recurrent.py)."""
    return gru_cell_update(projected_rz, projected_n, ag.linear(h, weight_hh, bias_hh), h)


def lstm_step(projected, h, c, weight_hh):
    """torch's LSTM step (i, f, g, o); returns (h', c'): one matmul, then c' and h' as one op each."""
    gates = ag.linear(h, weight_hh, projected)
    c = lstm_cell_state(gates, c)
    return lstm_cell_output(gates, c), c


def check_sizes(name, what, value):
    """torch's constructor checks: sizes are ints, hidden_size > 0."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name}: {what} should be of type int, got: {type(value).__name__}")
    if what == "hidden_size" and value <= 0:
        raise ValueError(f"{name}: hidden_size must be greater than zero, got {value}")
    if value < 0:
        raise ValueError(f"{name}: {what} must be non-negative, got {value}")


def reset_uniform(module, hidden_size):
    """torch's init for every recurrent weight and bias: U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def shape_of(tensor):
    return tuple(tensor.shape)


# -- the cells -----------------------------------------------------------------------------
class RNNCellBase(Module):
    """Parameters and argument checks shared by RNNCell, GRUCell and LSTMCell.

    weight_ih: (blocks * hidden_size, input_size), weight_hh: (blocks * hidden_size, hidden_size),
    bias_ih, bias_hh: (blocks * hidden_size,), with 1, 3 or 4 gate blocks.
    """

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        check_sizes(name, "input_size", input_size)
        check_sizes(name, "hidden_size", hidden_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(ag.empty(rows, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(ag.empty(rows, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(ag.empty(rows, dtype=dtype, device=device))
            self.bias_hh = Parameter(ag.empty(rows, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's init: every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        reset_uniform(self, self.hidden_size)

    def _check_input(self, input):
        """Returns (input as 2-D, whether it was batched)."""
        name = type(self).__name__
        if not isinstance(input, ag.Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead "
                             f"(input of shape {shape_of(input)})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                               f"{self.input_size} (input of shape {shape_of(input)})")
        if input.dtype != self.weight_ih.dtype:
            raise ValueError(f"{name}: input dtype ({input.dtype}) does not match weight dtype "
                             f"({self.weight_ih.dtype}); convert the input or the model")
        batched = input.ndim == 2
        return (input if batched else input.unsqueeze(0)), batched

    def _check_hidden(self, hx, input, batched, index):
        """hx (or cx) against the input; returns it as 2-D."""
        name = type(self).__name__
        label = f"hidden{index}"
        if not isinstance(hx, ag.Tensor):
            raise TypeError(f"{name}: expected {label} to be a Tensor, got {type(hx).__name__}")
        if hx.ndim != (2 if batched else 1):
            raise RuntimeError(
                f"{name}: for {'a batched 2-D' if batched else 'an unbatched 1-D'} input, {label} should be "
                f"{'2-D' if batched else '1-D'} but got a {hx.ndim}-D tensor of shape {shape_of(hx)}")
        hx = hx if batched else hx.unsqueeze(0)
        if hx.shape[0] != input.shape[0]:
            raise RuntimeError(f"{name}: Input batch size {input.shape[0]} doesn't match {label} batch size "
                               f"{hx.shape[0]} (input {shape_of(input)}, {label} {shape_of(hx)})")
        if hx.shape[1] != self.hidden_size:
            raise RuntimeError(f"{name}: {label} has inconsistent hidden_size: got {hx.shape[1]}, expected "
                               f"{self.hidden_size}")
        return hx

    def _initial(self, hx, input, batched, index=0):
        if hx is None:
            return ag.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
        return self._check_hidden(hx, input, batched, index)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            text += f", nonlinearity={nonlinearity}"
        return text


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    input (batch, input_size) or (input_size,); hx of the matching (batch, hidden_size)
    or (hidden_size,), zeros when None.  Returns h'.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity: {nonlinearity!r}. Select from 'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, batched = self._check_input(input)
        h = self._initial(hx, x, batched)
        (projected,) = project_inputs("RNN_TANH", x, self.weight_ih, self.bias_ih, self.bias_hh, self.hidden_size)
        h = elman_step(projected, h, self.weight_hh, self.nonlinearity)
        return h if batched else h.squeeze(0)


class GRUCell(RNNCellBase):
    """One GRU step with torch's gates (r, z, n) and n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).

    input (batch, input_size) or (input_size,); hx (batch, hidden_size) or (hidden_size,),
    zeros when None.  Returns h' = (1 - z) * n + z * h.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        x, batched = self._check_input(input)
        h = self._initial(hx, x, batched)
        projected_rz, projected_n = project_inputs("GRU", x, self.weight_ih, self.bias_ih, self.bias_hh,
                                                   self.hidden_size)
        h = gru_step(projected_rz, projected_n, h,
                     *hidden_weights("GRU", self.weight_hh, self.bias_hh, self.hidden_size))
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step with torch's gates (i, f, g, o): c' = f * c + i * g, h' = o * tanh(c').

    input (batch, input_size) or (input_size,); hx a tuple (h, c), each (batch, hidden_size)
    or (hidden_size,), zeros when None.  Returns (h', c').
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        x, batched = self._check_input(input)
        if hx is None:
            h = c = ag.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"LSTMCell: hx must be a tuple (h_0, c_0) of two tensors, got "
                                f"{type(hx).__name__}")
            h = self._check_hidden(hx[0], x, batched, 0)
            c = self._check_hidden(hx[1], x, batched, 1)
        (projected,) = project_inputs("LSTM", x, self.weight_ih, self.bias_ih, self.bias_hh, self.hidden_size)
        h, c = lstm_step(projected, h, c, self.weight_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))
