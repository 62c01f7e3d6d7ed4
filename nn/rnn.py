"""Recurrent layers over whole sequences: `RNN` (Elman), `GRU`, `LSTM`, with torch's API.

    gru = nn.GRU(input_size=1, hidden_size=6, batch_first=True, bidirectional=True)
    output, h_n = gru(x)          # x (batch, time, 1) -> output (batch, time, 12), h_n (2, batch, 6)

How a layer runs (per layer and direction): the input-to-hidden products of all
time steps are one matmul, ``(T, B, I) @ W_ih^T``; then the whole recurrence is one
recorded op (`autograd_core/ops/recurrent_sequence.py`), which loops over the time
steps on arrays (one small matmul with W_hh and one fused gate kernel per step) and
runs backpropagation through time as a loop too (never recursion).  Its backward
rule is also written in differentiable ops, so second derivatives work.

Shapes, as torch's (D = 2 if bidirectional else 1, L = num_layers):
  input   (T, B, input_size), or (B, T, input_size) with batch_first, or unbatched (T, input_size)
  h_0     (D * L, B, hidden_size) (unbatched: (D * L, hidden_size)); zeros when not given
  output  (T, B, D * hidden_size): the last layer's h_t for every t (both directions concatenated)
  h_n     (D * L, B, hidden_size): every layer's and direction's final state; LSTM also c_n
Parameters are named and ordered as torch's (``weight_ih_l0``, ``weight_hh_l0``,
``bias_ih_l0``, ``bias_hh_l0``, then ``..._l0_reverse``, then layer 1), so state_dicts
move between the two libraries.
"""
import numbers
import warnings

import autograd_core as ag
from autograd_core.ops.recurrent_sequence import gru_sequence, lstm_sequence, rnn_sequence  # one op per sequence

from . import functional as F
from .module import Module
from .parameter import Parameter
from .rnn_cells import GATE_BLOCKS, check_sizes, project_all_inputs, reset_uniform, shape_of


def run_direction(mode, x, h, c, weights, hidden_size, reverse):
    """One layer, one direction over x (T, B, I): returns (outputs (T, B, H), h_T, c_T).

    One matmul for the input projections of every step, then the whole recurrence as one op
    (autograd_core/ops/recurrent_sequence.py); h_T (and c_T) are the output's last step in
    the direction's order (its first row for the reverse direction)."""
    weight_ih, weight_hh, bias_ih, bias_hh = weights
    projected = project_all_inputs(mode, x, weight_ih, bias_ih, bias_hh, hidden_size)
    last = 0 if reverse else -1
    if mode == "LSTM":
        states = lstm_sequence(projected, h, c, weight_hh, reverse=reverse)
        outputs = states[0]
        return outputs, outputs[last], states[1, last]
    if mode == "GRU":
        bias_hn = None if bias_hh is None else bias_hh[2 * hidden_size:]
        outputs = gru_sequence(projected, h, weight_hh, bias_hn, reverse=reverse)
    else:
        outputs = rnn_sequence(projected, h, weight_hh, "tanh" if mode == "RNN_TANH" else "relu", reverse=reverse)
    return outputs, outputs[last], c


class RNNBase(Module):
    """The parameters, checks and layer/direction loop shared by RNN, GRU and LSTM."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        check_sizes(name, "input_size", input_size)
        check_sizes(name, "hidden_size", hidden_size)
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers!r}")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=3)
        if proj_size != 0:
            raise NotImplementedError(f"{name}: proj_size is not supported (got proj_size={proj_size})")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        rows = GATE_BLOCKS[mode] * hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (rows, layer_input_size)), ("weight_hh", (rows, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
                names = []
                for prefix, shape in shapes:
                    setattr(self, prefix + suffix, Parameter(ag.empty(*shape, dtype=dtype, device=device)))
                    names.append(prefix + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's init: every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        reset_uniform(self, self.hidden_size)

    def flatten_parameters(self):
        """Does nothing: torch packs the weights into one buffer for cuDNN; here there is nothing to pack."""

    @property
    def all_weights(self):
        """The parameters, one list [w_ih, w_hh, b_ih, b_hh] per layer and direction (torch's order)."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _layer_weights(self, index):
        names = self._all_weights[index]
        weights = [getattr(self, name) for name in names]
        return weights if self.bias else weights + [None, None]

    # -- argument checks (torch's messages, prefixed with the layer's name, with the shapes) -----
    def _check_input(self, input):
        name = type(self).__name__
        if not isinstance(input, ag.Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead "
                             f"(input of shape {shape_of(input)})")
        if input.shape[-1] != self.input_size:
            layout = "(time, features)" if input.ndim == 2 else (
                "(batch, time, features)" if self.batch_first else "(time, batch, features)")
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]} (input of shape {shape_of(input)}, read as {layout})")
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(f"{name}: input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}); "
                             f"convert the input (input.to({weight.dtype})) or the model")
        steps = input.shape[1 if input.ndim == 3 and self.batch_first else 0]
        if steps == 0:
            raise RuntimeError(f"{name}: expected a sequence of at least one time step, got input of shape "
                               f"{shape_of(input)}")

    def _check_hidden(self, hx, expected, batched, label):
        name = type(self).__name__
        if not isinstance(hx, ag.Tensor):
            raise TypeError(f"{name}: expected {label} to be a Tensor of shape {expected}, got {type(hx).__name__}")
        if hx.ndim != len(expected):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"{name}: For {kind} input, {label} should also be {len(expected)}-D but got "
                               f"{hx.ndim}-D tensor of shape {shape_of(hx)}")
        if shape_of(hx) != expected:
            raise RuntimeError(f"{name}: Expected {label} size {expected}, got {list(hx.shape)} "
                               f"(num_layers * num_directions, batch, hidden_size)")
        if hx.dtype != self.weight_ih_l0.dtype:
            raise ValueError(f"{name}: {label} dtype ({hx.dtype}) does not match weight dtype "
                             f"({self.weight_ih_l0.dtype})")

    # -- forward -------------------------------------------------------------------------
    def _run(self, input, hx):
        """Checks, then the layers and directions; returns (output, h_n, c_n or None)."""
        self._check_input(input)
        name = type(self).__name__
        batched = input.ndim == 3
        directions = 2 if self.bidirectional else 1
        if not batched:
            x = input.unsqueeze(1)
        else:
            x = input.transpose(0, 1) if self.batch_first else input
        batch = x.shape[1]
        expected = (self.num_layers * directions, batch, self.hidden_size)
        if not batched:
            expected = (expected[0], expected[2])
        lstm = self.mode == "LSTM"
        if hx is None:
            h0 = c0 = [ag.zeros(batch, self.hidden_size, dtype=x.dtype)] * expected[0]
        else:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0) of two tensors of shape {expected}, "
                                    f"got {type(hx).__name__}")
                hx, cx = hx
                self._check_hidden(hx, expected, batched, "hidden[0]")
                self._check_hidden(cx, expected, batched, "hidden[1]")
                c0 = ag.unbind(cx if batched else cx.unsqueeze(1), 0)
            else:
                if isinstance(hx, (tuple, list)):
                    raise TypeError(f"{name}: hx must be one Tensor of shape {expected}, got a "
                                    f"{type(hx).__name__} (only LSTM takes a pair (h_0, c_0))")
                self._check_hidden(hx, expected, batched, "hidden")
            h0 = ag.unbind(hx if batched else hx.unsqueeze(1), 0)
            if not lstm:
                c0 = [None] * expected[0]
        h_n, c_n = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                output, h, c = run_direction(self.mode, layer_input, h0[index], c0[index],
                                             self._layer_weights(index), self.hidden_size, reverse=direction == 1)
                outputs.append(output)
                h_n.append(h)
                c_n.append(c)
            layer_input = outputs[0] if directions == 1 else ag.cat(outputs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = ag.stack(h_n, 0)
        c_n = ag.stack(c_n, 0) if lstm else None
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n, c_n

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh) (or relu), per layer.

    ``forward(input, hx=None)`` returns ``(output, h_n)``; shapes in the module docstring.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        output, h_n, _ = self._run(input, hx)
        return output, h_n


class GRU(RNNBase):
    """GRU with torch's gates (r, z, n): n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_(t-1) + b_hn)),
    h_t = (1 - z_t) * n_t + z_t * h_(t-1).

    ``forward(input, hx=None)`` returns ``(output, h_n)``; shapes in the module docstring.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input, hx=None):
        output, h_n, _ = self._run(input, hx)
        return output, h_n


class LSTM(RNNBase):
    """LSTM with torch's gates (i, f, g, o): c_t = f_t * c_(t-1) + i_t * g_t, h_t = o_t * tanh(c_t).

    ``forward(input, hx=None)``, hx a tuple ``(h_0, c_0)``, returns ``(output, (h_n, c_n))``.
    ``proj_size`` must be 0 (projections are not implemented).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        output, h_n, c_n = self._run(input, hx)
        return output, (h_n, c_n)
