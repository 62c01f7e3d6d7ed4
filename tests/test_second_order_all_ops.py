"""gradgradcheck on every differentiable op that has a nonzero second derivative.

One table, so that a new op without working second derivatives is noticed here.
Inputs are float64, away from kinks and singularities.
"""
import numpy as np
import pytest

import autograd_core as ag
from autograd_core.ops import recurrent, recurrent_sequence
import nn.functional as F

rng = np.random.default_rng(7)


def positive(*shape):
    return ag.tensor(rng.uniform(0.5, 2.0, size=shape), requires_grad=True)


def signed(*shape):
    values = rng.uniform(-2.0, 2.0, size=shape)
    values = np.where(np.abs(values) < 0.2, 0.5, values)  # away from kinks at 0
    return ag.tensor(values, requires_grad=True)


def distinct_squares(*shape):
    """Values whose squares are all different (magnitudes 0.3..2, random signs): a max-pool
    window of x * x then has one maximum, with a margin far above gradgradcheck's step.
    (`signed` maps every small draw to 0.5, so two of them in one window tie, and which one
    is the maximum flips under the finite-difference step: a wrong 'expected' gradient.)"""
    size = int(np.prod(shape))
    magnitudes = rng.permutation(np.linspace(0.3, 2.0, size))
    values = magnitudes * rng.choice([-1.0, 1.0], size=size)
    return ag.tensor(values.reshape(shape), requires_grad=True)


INDEX = np.array([0, 2, 2, 1])
CASES = {
    # elementwise and activations
    "mul": (lambda a, b: a * b, lambda: (signed(2, 3), signed(3))),
    "div": (lambda a, b: a / b, lambda: (signed(2, 3), positive(2, 1))),
    "pow": (lambda a, b: a ** b, lambda: (positive(3), signed(3))),
    "exp": (ag.exp, lambda: (signed(4),)),
    "log": (ag.log, lambda: (positive(4),)),
    "sqrt": (ag.sqrt, lambda: (positive(4),)),
    "sin": (ag.sin, lambda: (signed(4),)),
    "tan": (ag.tan, lambda: (ag.tensor(rng.uniform(-1.2, 1.2, size=(2, 3)), requires_grad=True),)),  # off pi/2
    "cos": (ag.cos, lambda: (signed(4),)),
    "erf": (ag.erf, lambda: (signed(4),)),
    "log1p": (ag.log1p, lambda: (positive(4),)),
    "expm1": (ag.expm1, lambda: (signed(4),)),
    "tanh": (ag.tanh, lambda: (signed(4),)),
    "sigmoid": (ag.sigmoid, lambda: (signed(4),)),
    "elu": (ag.elu, lambda: (signed(5),)),
    "gelu": (ag.gelu, lambda: (signed(5),)),
    "gelu_tanh": (lambda x: ag.gelu(x, approximate="tanh"), lambda: (signed(5),)),
    "softplus": (ag.softplus, lambda: (signed(5),)),
    # reductions and normalisations
    "prod": (lambda x: x.prod(dim=1), lambda: (signed(2, 3),)),
    "var": (lambda x: x.var(dim=0), lambda: (signed(4, 2),)),
    "std": (lambda x: x.std(), lambda: (signed(5),)),
    "norm": (lambda x: x.norm(), lambda: (signed(5),)),
    "logsumexp": (lambda x: x.logsumexp(dim=1), lambda: (signed(2, 4),)),
    "softmax": (lambda x: x.softmax(dim=-1), lambda: (signed(2, 4),)),
    "log_softmax": (lambda x: x.log_softmax(dim=0), lambda: (signed(3, 2),)),
    "cross_entropy": (lambda x: F.cross_entropy(x, ag.tensor([0, 2, 1])), lambda: (signed(3, 4),)),
    "mse_of_square": (lambda x: F.mse_loss(x * x, ag.zeros(3, dtype=ag.float64)), lambda: (signed(3),)),
    # products
    "matmul": (lambda a, b: a @ b, lambda: (signed(2, 3), signed(3, 4))),
    "batched_matmul": (lambda a, b: a @ b, lambda: (signed(2, 2, 3), signed(3, 2))),
    "linear": (lambda x, w, b: ag.linear(x * x, w, b), lambda: (signed(2, 3), signed(4, 3), signed(4))),
    "dot": (lambda a, b: ag.dot(a * a, b), lambda: (signed(3), signed(3))),
    # convolution
    "conv1d": (lambda x, w, b: ag.conv1d(x, w, b, stride=2, padding=1) ** 2,
               lambda: (signed(2, 2, 7), signed(3, 2, 3), signed(3))),
    "conv2d_groups": (lambda x, w: ag.conv2d(x * x, w, padding=(1, 0), dilation=(1, 2), groups=2),
                      lambda: (signed(1, 4, 4, 5), signed(2, 2, 2, 2))),
    # pooling (max pooling: through its selection)
    "max_pool1d": (lambda x: ag.max_pool1d(x * x, 3, 2, 1) ** 2, lambda: (distinct_squares(2, 2, 7),)),
    "max_pool2d": (lambda x: ag.max_pool2d(x * x, 2) ** 2, lambda: (distinct_squares(1, 2, 4, 4),)),
    # the fused gate ops of nn.GRU/LSTM (their cells' gradgradchecks are in tests/nn/test_rnn.py)
    "gru_cell_update": (recurrent.gru_cell_update, lambda: (signed(2, 6), signed(2, 3), signed(2, 9), signed(2, 3))),
    "lstm_cell_state": (recurrent.lstm_cell_state, lambda: (signed(2, 8), signed(2, 2))),
    "lstm_cell_output": (recurrent.lstm_cell_output, lambda: (signed(2, 8), signed(2, 2))),
    # the whole-sequence ops of nn.RNN/GRU/LSTM (more shapes in tests/ops/test_recurrent_sequence.py)
    "lstm_sequence": (lambda p, h, c, w: recurrent_sequence.lstm_sequence(p, h, c, w, reverse=True),
                      lambda: (signed(3, 2, 8), signed(2, 2), signed(2, 2), signed(8, 2))),
    "gru_sequence": (recurrent_sequence.gru_sequence, lambda: (signed(3, 2, 6), signed(2, 2), signed(6, 2), signed(2))),
    "rnn_sequence_tanh": (recurrent_sequence.rnn_sequence, lambda: (signed(3, 2, 2), signed(2, 2), signed(2, 2))),
    "rnn_sequence_relu": (lambda p, h, w: recurrent_sequence.rnn_sequence(p, h, w, "relu"),
                          lambda: (positive(3, 2, 2), positive(2, 2), signed(2, 2))),
    "avg_pool1d": (lambda x: ag.avg_pool1d(x * x, 3, 2, 1, count_include_pad=False), lambda: (signed(2, 2, 7),)),
    "avg_pool2d": (lambda x: F.avg_pool2d(x * x, 2, ceil_mode=True), lambda: (signed(1, 2, 5, 5),)),
    "adaptive_avg_pool1d": (lambda x: ag.adaptive_avg_pool1d(x * x, 3), lambda: (signed(2, 2, 7),)),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x * x, (2, 3)), lambda: (signed(1, 1, 5, 7),)),
    "sort_topk": (lambda x: ag.sort(x * x, dim=0).values + ag.topk(x ** 3, 2, dim=0).values.sum(0),
                  lambda: (signed(3, 2),)),
    # structure ops inside a nonlinear composition (their own second derivative is zero)
    "getitem_repeated": (lambda x: x[INDEX] ** 2, lambda: (signed(3, 2),)),
    "gather": (lambda x: ag.gather(x * x, 1, ag.tensor([[0, 0], [1, 0]])), lambda: (signed(2, 2),)),
    "cat_stack": (lambda a, b: ag.stack([ag.cat([a, b]) ** 2, ag.cat([b, a])]), lambda: (signed(2), signed(3))),
    "pad": (lambda x: ag.pad(x * x, (1, 2)), lambda: (signed(2, 3),)),
    "where_maximum": (lambda a, b: ag.where(a > 0, a * b, ag.maximum(a, b) ** 2), lambda: (signed(4), signed(4))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradgradcheck(name):
    function, make_inputs = CASES[name]
    assert ag.gradgradcheck(function, make_inputs())


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    function, make_inputs = CASES[name]
    assert ag.gradcheck(function, make_inputs())
