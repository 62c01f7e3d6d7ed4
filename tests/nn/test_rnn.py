"""nn.RNN / GRU / LSTM and their cells without torch: shapes, names, init, values, gradients, errors.

Values are checked against the equations written out in numpy (one cell step) and
against the cells unrolled by hand (whole layers); gradients against central finite
differences (tests/helpers.py) for the input, the initial state and every parameter,
and second derivatives with gradgradcheck.  torch comparisons are in test_rnn_torch.py.
"""
import copy
import math
import sys
import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
from tests.helpers import check_gradients, random_array

F64 = ag.float64


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def params_of(module):
    return {name: p.detach().numpy().copy() for name, p in module.named_parameters()}


def with_parameters(module, names, tensors):
    """Make `module` compute with `tensors` in place of its parameters (for finite differences).

    Writing the registry directly bypasses the Parameter type check, as some torch code does.
    """
    for name, tensor in zip(names, tensors):
        owner = module
        *path, leaf = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        owner._parameters[leaf] = tensor


def layer(cls, *args, **kwargs):
    ag.manual_seed(0)
    return getattr(nn, cls)(*args, dtype=F64, **kwargs)


# -- the equations, in numpy --------------------------------------------------------------
def numpy_gru_step(x, h, p):
    w_ir, w_iz, w_in = np.split(p["weight_ih"], 3)
    w_hr, w_hz, w_hn = np.split(p["weight_hh"], 3)
    b_ir, b_iz, b_in = np.split(p["bias_ih"], 3)
    b_hr, b_hz, b_hn = np.split(p["bias_hh"], 3)
    r = sigmoid(x @ w_ir.T + b_ir + h @ w_hr.T + b_hr)
    z = sigmoid(x @ w_iz.T + b_iz + h @ w_hz.T + b_hz)
    n = np.tanh(x @ w_in.T + b_in + r * (h @ w_hn.T + b_hn))
    return (1 - z) * n + z * h


def numpy_lstm_step(x, h, c, p):
    gates = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
    i, f, g, o = np.split(gates, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def numpy_rnn_step(x, h, p, nonlinearity):
    pre = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
    return np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)


def test_cells_match_the_equations():
    x, h, c = random_array((4, 3), 1), random_array((4, 5), 2), random_array((4, 5), 3)
    gru = layer("GRUCell", 3, 5)
    np.testing.assert_allclose(gru(ag.tensor(x), ag.tensor(h)).detach().numpy(), numpy_gru_step(x, h, params_of(gru)),
                               rtol=1e-12, atol=1e-14)
    lstm = layer("LSTMCell", 3, 5)
    h_new, c_new = lstm(ag.tensor(x), (ag.tensor(h), ag.tensor(c)))
    h_ref, c_ref = numpy_lstm_step(x, h, c, params_of(lstm))
    np.testing.assert_allclose(h_new.detach().numpy(), h_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_new.detach().numpy(), c_ref, rtol=1e-12, atol=1e-14)
    for nonlinearity in ("tanh", "relu"):
        rnn = layer("RNNCell", 3, 5, nonlinearity=nonlinearity)
        np.testing.assert_allclose(rnn(ag.tensor(x), ag.tensor(h)).detach().numpy(),
                                   numpy_rnn_step(x, h, params_of(rnn), nonlinearity), rtol=1e-12, atol=1e-14)


def test_cells_default_state_is_zeros_and_unbatched_works():
    x = random_array((3,), 4)
    for cls in ("RNNCell", "GRUCell"):
        cell = layer(cls, 3, 2)
        zeros = cell(ag.tensor(x[None]), ag.zeros(1, 2, dtype=F64)).detach().numpy()
        np.testing.assert_array_equal(cell(ag.tensor(x[None])).detach().numpy(), zeros)
        assert cell(ag.tensor(x)).shape == (2,)
        np.testing.assert_array_equal(cell(ag.tensor(x)).detach().numpy(), zeros[0])
    lstm = layer("LSTMCell", 3, 2)
    h, c = lstm(ag.tensor(x))
    assert h.shape == c.shape == (2,)


# -- whole layers against the cells unrolled --------------------------------------------------
def cell_for(module, layer_index, reverse):
    """A cell holding the weights of one layer and direction of `module`."""
    suffix = f"_l{layer_index}" + ("_reverse" if reverse else "")
    input_size = module.input_size if layer_index == 0 else module.hidden_size * (2 if module.bidirectional else 1)
    kwargs = {"nonlinearity": module.nonlinearity} if isinstance(module, nn.RNN) else {}
    cell = getattr(nn, type(module).__name__ + "Cell")(input_size, module.hidden_size, bias=module.bias,
                                                        dtype=F64, **kwargs)
    cell.load_state_dict({name: getattr(module, name + suffix) for name, _ in cell.named_parameters()})
    return cell


def unrolled(module, x):
    """(T, B, I) -> (output, h_n, c_n) by looping the cells in Python, the textbook way."""
    lstm = isinstance(module, nn.LSTM)
    directions = 2 if module.bidirectional else 1
    finals_h, finals_c = [], []
    for layer_index in range(module.num_layers):
        outputs = []
        for direction in range(directions):
            cell = cell_for(module, layer_index, direction == 1)
            h = c = ag.zeros(x.shape[1], module.hidden_size, dtype=F64)
            steps = [None] * x.shape[0]
            order = range(x.shape[0] - 1, -1, -1) if direction else range(x.shape[0])
            for t in order:
                if lstm:
                    h, c = cell(x[t], (h, c))
                else:
                    h = cell(x[t], h)
                steps[t] = h
            outputs.append(ag.stack(steps))
            finals_h.append(h)
            finals_c.append(c)
        x = ag.cat(outputs, dim=2)
    return x, ag.stack(finals_h), ag.stack(finals_c)


CONFIGS = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("GRU", {}), ("LSTM", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"bidirectional": True}), ("GRU", {"bias": False}), ("LSTM", {"bias": False, "num_layers": 2}),
]
IDS = [f"{cls}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for cls, kw in CONFIGS]


@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=IDS)
def test_layer_equals_unrolled_cells(cls, kwargs):
    module = layer(cls, 3, 4, **kwargs)
    x = ag.tensor(random_array((6, 2, 3), 5))
    output, state = module(x)
    h_n, c_n = state if cls == "LSTM" else (state, None)
    directions = 2 if module.bidirectional else 1
    assert output.shape == (6, 2, 4 * directions)
    assert h_n.shape == (module.num_layers * directions, 2, 4)
    ref_output, ref_h, ref_c = unrolled(module, x)
    np.testing.assert_allclose(output.detach().numpy(), ref_output.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_n.detach().numpy(), ref_h.detach().numpy(), rtol=1e-12, atol=1e-14)
    if cls == "LSTM":
        np.testing.assert_allclose(c_n.detach().numpy(), ref_c.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
def test_batch_first_unbatched_and_given_state(cls):
    module = layer(cls, 3, 4, num_layers=2, bidirectional=True)
    x = random_array((5, 2, 3), 6)
    output, state = module(ag.tensor(x))
    first = layer(cls, 3, 4, num_layers=2, bidirectional=True, batch_first=True)
    output_bf, state_bf = first(ag.tensor(x.transpose(1, 0, 2).copy()))
    np.testing.assert_allclose(output_bf.detach().numpy(), output.detach().numpy().transpose(1, 0, 2), rtol=1e-13, atol=1e-15)
    h_n = state[0] if cls == "LSTM" else state
    h_n_bf = state_bf[0] if cls == "LSTM" else state_bf
    np.testing.assert_allclose(h_n_bf.detach().numpy(), h_n.detach().numpy(), rtol=1e-13, atol=1e-15)  # h_n is never batch-first
    # unbatched (T, I) is the batch of one, squeezed
    output_1, state_1 = module(ag.tensor(x[:, 0]))
    output_b, state_b = module(ag.tensor(x[:, :1]))
    assert output_1.shape == (5, 8)
    np.testing.assert_allclose(output_1.detach().numpy(), output_b.detach().numpy()[:, 0], rtol=1e-13, atol=1e-15)
    h_1 = state_1[0] if cls == "LSTM" else state_1
    assert h_1.shape == (4, 4)
    # an explicit zero state is the default one; a nonzero state changes the result
    zeros = ag.zeros(4, 2, 4, dtype=F64)
    hx = (zeros, zeros) if cls == "LSTM" else zeros
    np.testing.assert_array_equal(module(ag.tensor(x), hx)[0].detach().numpy(), output.detach().numpy())
    ones = ag.ones(4, 2, 4, dtype=F64) * 0.5
    hx = (ones, ones) if cls == "LSTM" else ones
    assert not np.allclose(module(ag.tensor(x), hx)[0].detach().numpy(), output.detach().numpy())


def test_reverse_direction_reads_the_sequence_backwards():
    both = layer("GRU", 2, 3, bidirectional=True)
    forward_only = layer("GRU", 2, 3)
    forward_only.load_state_dict({name.replace("_reverse", ""): value for name, value in both.state_dict().items()
                                  if name.endswith("_reverse")})
    x = random_array((7, 2, 2), 7)
    output, h_n = both(ag.tensor(x))
    reversed_output, reversed_h = forward_only(ag.tensor(x[::-1].copy()))
    np.testing.assert_allclose(output.detach().numpy()[:, :, 3:], reversed_output.detach().numpy()[::-1], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(h_n.detach().numpy()[1], reversed_h.detach().numpy()[0], rtol=1e-13, atol=1e-15)


# -- names, init, state ------------------------------------------------------------------------
def test_parameter_names_order_and_shapes_are_torchs():
    module = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    expected = []
    for layer_index in range(2):
        for suffix in ("", "_reverse"):
            expected += [f"{kind}_l{layer_index}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert [name for name, _ in module.named_parameters()] == expected
    assert list(module.state_dict()) == expected
    shapes = dict((name, tuple(p.shape)) for name, p in module.named_parameters())
    assert shapes["weight_ih_l0"] == (16, 3) and shapes["weight_ih_l1_reverse"] == (16, 8)
    assert shapes["weight_hh_l1"] == (16, 4) and shapes["bias_hh_l0_reverse"] == (16,)
    assert [name for name, _ in nn.GRU(3, 4, bias=False).named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert tuple(nn.GRU(3, 4).weight_ih_l0.shape) == (12, 3)
    assert [name for name, _ in nn.GRUCell(3, 4).named_parameters()] == [
        "weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert module.all_weights[1][0] is module.weight_ih_l0_reverse
    module.flatten_parameters()  # torch scripts call it; nothing to do here


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"])
def test_init_is_uniform_within_one_over_sqrt_hidden(cls):
    ag.manual_seed(1)
    module = getattr(nn, cls)(10, 25)
    bound = 1 / math.sqrt(25)
    values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
    assert np.all(np.abs(values) <= bound)
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)  # U(-b, b) has std b / sqrt(3)
    assert all(p.dtype == ag.float32 and p.requires_grad for p in module.parameters())


def test_state_dict_round_trip_deepcopy_and_repr():
    module = layer("GRU", 1, 6, batch_first=True, bidirectional=True)
    other = nn.GRU(1, 6, batch_first=True, bidirectional=True, dtype=F64)
    other.load_state_dict(module.state_dict())
    x = ag.tensor(random_array((3, 5, 1), 8))
    np.testing.assert_array_equal(other(x)[0].detach().numpy(), module(x)[0].detach().numpy())
    clone = copy.deepcopy(module)
    np.testing.assert_array_equal(clone(x)[0].detach().numpy(), module(x)[0].detach().numpy())
    assert repr(module) == "GRU(1, 6, batch_first=True, bidirectional=True)"
    # as torch's: the layer's repr leaves the nonlinearity out, the cell's shows it
    assert repr(nn.RNN(3, 4, num_layers=2, nonlinearity="relu", bias=False)) == "RNN(3, 4, num_layers=2, bias=False)"
    assert repr(nn.LSTMCell(2, 3)) == "LSTMCell(2, 3)"
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    converted = nn.LSTM(2, 3).double()
    assert converted(ag.tensor(random_array((4, 2), 9)))[0].dtype == F64


# -- dropout between layers ------------------------------------------------------------------
def test_dropout_between_layers_in_training_only():
    module = layer("GRU", 3, 4, num_layers=2, dropout=0.5)
    x = ag.tensor(random_array((5, 2, 3), 10))
    ag.manual_seed(1)
    first = module(x)[0].detach().numpy()
    ag.manual_seed(2)
    second = module(x)[0].detach().numpy()
    assert not np.allclose(first, second)
    module.eval()
    plain = layer("GRU", 3, 4, num_layers=2)
    plain.load_state_dict(module.state_dict())
    np.testing.assert_array_equal(module(x)[0].detach().numpy(), plain(x)[0].detach().numpy())
    # the last layer's output is never dropped: p = 1 zeroes layer 2's input, not the output
    module = layer("RNN", 3, 4, num_layers=2, dropout=1.0)
    output, h_n = module(x)
    assert np.all(output.detach().numpy() != 0)
    assert np.all(np.abs(h_n.detach().numpy()[1]) > 0)


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(3, 4, num_layers=2, dropout=0.2)


# -- gradients --------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=IDS)
def test_layer_gradients_match_finite_differences(cls, kwargs):
    module = layer(cls, 2, 2, **kwargs)
    names = [name for name, _ in module.named_parameters()]
    arrays = [p.detach().numpy().copy() for p in module.parameters()]
    directions = 2 if module.bidirectional else 1
    state_shape = (module.num_layers * directions, 2, 2)
    lstm = cls == "LSTM"

    def run(x, h0, c0, *parameters):
        with_parameters(module, names, parameters)
        output, state = module(x, (h0, c0) if lstm else h0)
        if lstm:
            return ag.cat([output.reshape(-1), state[0].reshape(-1), state[1].reshape(-1)])
        return ag.cat([output.reshape(-1), state.reshape(-1)])

    x = random_array((3, 2, 2), 11)
    h0, c0 = random_array(state_shape, 12, -0.5, 0.5), random_array(state_shape, 13, -0.5, 0.5)
    check_gradients(run, x, h0, c0, *arrays, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("cls, kwargs", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("GRUCell", {}),
                                         ("LSTMCell", {}), ("GRUCell", {"bias": False})])
def test_cell_gradients_match_finite_differences(cls, kwargs):
    cell = layer(cls, 3, 2, **kwargs)
    names = [name for name, _ in cell.named_parameters()]
    arrays = [p.detach().numpy().copy() for p in cell.parameters()]

    def run(x, h, c, *parameters):
        with_parameters(cell, names, parameters)
        if cls == "LSTMCell":
            return ag.cat(cell(x, (h, c)), dim=1)
        return cell(x, h)

    check_gradients(run, random_array((2, 3), 14), random_array((2, 2), 15, -0.5, 0.5),
                    random_array((2, 2), 16, -0.5, 0.5), *arrays, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("cls", ["GRUCell", "LSTMCell"])
def test_cell_second_derivatives(cls):
    cell = layer(cls, 2, 2)
    names = [name for name, _ in cell.named_parameters()]
    inputs = [ag.tensor(random_array((2, 2), 17), requires_grad=True),
              ag.tensor(random_array((2, 2), 18, -0.5, 0.5), requires_grad=True),
              ag.tensor(random_array((2, 2), 19, -0.5, 0.5), requires_grad=True)]
    inputs += [p.detach().clone().requires_grad_(True) for p in cell.parameters()]

    def run(x, h, c, *parameters):
        with_parameters(cell, names, parameters)
        return ag.cat(cell(x, (h, c)), dim=1) if cls == "LSTMCell" else cell(x, h)

    assert ag.gradgradcheck(run, inputs, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
def test_thousand_step_backward_is_iterative(cls):
    """The reverse pass over ~10^4 recorded ops must not touch Python's recursion limit."""
    module = getattr(nn, cls)(2, 8)
    x = ag.randn(1000, 3, 2, requires_grad=True)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(300)  # far below the graph's depth: any recursion would fail
    try:
        output, _ = module(x)
        output[-1].sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad.shape == (1000, 3, 2) and np.all(np.isfinite(x.grad.detach().numpy()))
    assert np.any(x.grad.detach().numpy()[-1] != 0)
    assert all(p.grad is not None and np.all(np.isfinite(p.grad.detach().numpy())) for p in module.parameters())


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
def test_layer_errors_name_the_layer_and_the_shapes(cls):
    module = getattr(nn, cls)(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match=rf"{cls}: input.size\(-1\) must be equal to input_size. "
                                           r"Expected 3, got 5 \(input of shape \(7, 2, 5\)"):
        module(ag.randn(7, 2, 5))
    with pytest.raises(ValueError, match=rf"{cls}: Expected input to be 2D or 3D, got 4D instead "
                                         r"\(input of shape \(1, 7, 2, 3\)\)"):
        module(ag.randn(1, 7, 2, 3))
    with pytest.raises(ValueError, match=rf"{cls}: Expected input to be 2D or 3D, got 1D"):
        module(ag.randn(3))
    with pytest.raises(ValueError, match=rf"{cls}: input dtype \(float64\) does not match weight dtype \(float32\)"):
        module(ag.randn(7, 2, 3, dtype=F64))
    bad_h = ag.zeros(2, 3, 4)
    good_h = ag.zeros(2, 2, 4)
    hx = (bad_h, good_h) if cls == "LSTM" else bad_h
    label = r"hidden\[0\]" if cls == "LSTM" else "hidden"
    with pytest.raises(RuntimeError, match=rf"{cls}: Expected {label} size \(2, 2, 4\), got \[2, 3, 4\]"):
        module(ag.randn(7, 2, 3), hx)
    hx = ag.zeros(2, 4)
    with pytest.raises((RuntimeError, TypeError), match=rf"{cls}: "):
        module(ag.randn(7, 2, 3), (hx, hx) if cls == "LSTM" else hx)
    if cls == "LSTM":
        with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden\[1\] size \(2, 2, 4\), got \[2, 2, 5\]"):
            module(ag.randn(7, 2, 3), (good_h, ag.zeros(2, 2, 5)))
        with pytest.raises(TypeError, match="LSTM: hx must be a tuple"):
            module(ag.randn(7, 2, 3), good_h)
    else:
        with pytest.raises(TypeError, match=rf"{cls}: hx must be one Tensor of shape \(2, 2, 4\)"):
            module(ag.randn(7, 2, 3), (good_h, good_h))
    unbatched_h = ag.zeros(2, 1, 4)
    with pytest.raises(RuntimeError, match=rf"{cls}: For unbatched 2-D input, hidden(\[0\])? should also be 2-D "
                                           r"but got 3-D tensor"):
        module(ag.randn(7, 3), (unbatched_h, unbatched_h) if cls == "LSTM" else unbatched_h)


def test_constructor_errors():
    with pytest.raises(ValueError, match="RNN: Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="RNNCell: Unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="GRU: hidden_size must be greater than zero"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="LSTM: num_layers must be greater than zero"):
        nn.LSTM(3, 4, num_layers=0)
    with pytest.raises(ValueError, match=r"GRU: dropout should be a number in range \[0, 1\]"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(TypeError, match="LSTMCell: input_size should be of type int"):
        nn.LSTMCell(3.0, 4)
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)


@pytest.mark.parametrize("cls", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cell_errors_name_the_cell_and_the_shapes(cls):
    cell = getattr(nn, cls)(3, 4)
    lstm = cls == "LSTMCell"

    def state(*shape):
        h = ag.zeros(*shape)
        return (h, ag.zeros(*shape)) if lstm else h

    with pytest.raises(RuntimeError, match=rf"{cls}: input has inconsistent input_size: got 5 expected 3 "
                                           r"\(input of shape \(2, 5\)\)"):
        cell(ag.randn(2, 5))
    with pytest.raises(ValueError, match=rf"{cls}: Expected input to be 1D or 2D, got 3D instead"):
        cell(ag.randn(1, 2, 3))
    with pytest.raises(RuntimeError, match=rf"{cls}: Input batch size 2 doesn't match hidden0 batch size 3"):
        cell(ag.randn(2, 3), state(3, 4))
    with pytest.raises(RuntimeError, match=rf"{cls}: hidden0 has inconsistent hidden_size: got 5, expected 4"):
        cell(ag.randn(2, 3), state(2, 5))
    with pytest.raises(RuntimeError, match=rf"{cls}: for an unbatched 1-D input, hidden0 should be 1-D but got a "
                                           r"2-D tensor of shape \(2, 4\)"):
        cell(ag.randn(3), state(2, 4))
    if lstm:
        with pytest.raises(RuntimeError, match=r"LSTMCell: hidden1 has inconsistent hidden_size: got 5, expected 4"):
            cell(ag.randn(2, 3), (ag.zeros(2, 4), ag.zeros(2, 5)))
