"""``inplace=True`` on activations and dropout (issue 10, item 1's last point): really in place, checked.
(Also: ``copy_`` keeps its source's precision, at the end.)

The result is written into the input, which is returned (the same object) and whose version
counter is bumped; gradients equal the out-of-place ones; a leaf that requires grad is refused;
overwriting values an earlier op saved makes the backward raise (the checks of every in-place op).
"""
import numpy as np
import pytest

import autograd_core as ag
import nn

F = nn.functional

#: name -> f(x, inplace)
FUNCTIONS = {
    "relu": lambda x, inplace: F.relu(x, inplace=inplace),
    "relu6": lambda x, inplace: F.relu6(x, inplace=inplace),
    "leaky_relu": lambda x, inplace: F.leaky_relu(x, 0.2, inplace=inplace),
    "elu": lambda x, inplace: F.elu(x, 0.7, inplace=inplace),
    "selu": lambda x, inplace: F.selu(x, inplace=inplace),
    "silu": lambda x, inplace: F.silu(x, inplace=inplace),
    "mish": lambda x, inplace: F.mish(x, inplace=inplace),
    "hardtanh": lambda x, inplace: F.hardtanh(x, -0.5, 0.8, inplace=inplace),
}
VALUES = np.array([-7.0, -2.0, -0.5, -0.1, 0.0, 0.3, 0.8, 1.0, 2.5, 6.0, 9.0])


def run(name, inplace, values=VALUES):
    x = ag.tensor(values, requires_grad=True)
    h = x * 1.0  # a non-leaf (nothing saved of it: mul by a number keeps nothing)
    out = FUNCTIONS[name](h, inplace)
    weights = ag.tensor(np.linspace(-1, 2, values.size))
    (out * weights).sum().backward()
    return x, h, out


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_inplace_writes_into_the_input_and_gives_the_out_of_place_values_and_gradients(name):
    x_ref, _, expected = run(name, inplace=False)
    x, h, out = run(name, inplace=True)
    assert out is h
    assert h._version_value == 1
    np.testing.assert_array_equal(h.detach().numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), x_ref.grad.numpy())


@pytest.mark.parametrize("name", list(FUNCTIONS) + ["dropout"])
def test_a_leaf_that_requires_grad_is_refused(name):
    x = ag.tensor(VALUES, requires_grad=True)
    call = (lambda t: F.dropout(t, 0.5, True, inplace=True)) if name == "dropout" else \
        (lambda t: FUNCTIONS[name](t, True))
    leaf_error = "^a leaf Variable that requires grad is being used in an in-place operation"
    with pytest.raises(RuntimeError, match=leaf_error):
        call(x)
    np.testing.assert_array_equal(x.detach().numpy(), VALUES)  # untouched
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        call(x[2:])
    with ag.no_grad():  # allowed off the tape, as torch
        assert call(x) is x
    assert x._version_value == 1


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_without_grad_it_just_writes(name):
    x = ag.tensor(VALUES.copy())
    expected = FUNCTIONS[name](ag.tensor(VALUES.copy()), False)
    assert FUNCTIONS[name](x, True) is x
    assert x.grad_fn is None and not x.requires_grad
    np.testing.assert_array_equal(x.numpy(), expected.numpy())
    assert x._version_value == 1


@pytest.mark.parametrize("name", list(FUNCTIONS))
@pytest.mark.parametrize("producer", ["sigmoid", "exp", "tanh"])
def test_overwriting_an_output_an_op_saved_makes_backward_raise(name, producer):
    x = ag.tensor(VALUES * 0.1, requires_grad=True)
    s = getattr(x, producer)()  # saves its output
    FUNCTIONS[name](s, True)
    with pytest.raises(RuntimeError, match=f"modified by an inplace operation.*'{producer.capitalize()}' saved "
                                           "is at version 1; expected version 0"):
        s.sum().backward()


def test_overwriting_an_input_an_op_saved_makes_backward_raise():
    x = ag.tensor(VALUES, requires_grad=True)
    a = x * 2
    b = a * a  # saves a
    F.relu(a, inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*'Mul' saved"):
        b.sum().backward()


def test_inplace_through_a_view_gives_the_base_its_history():
    for inplace in (False, True):
        x = ag.tensor(VALUES.reshape(1, -1).repeat(2, 0), requires_grad=True)
        y = x * 1.0
        if inplace:
            F.elu(y[0], inplace=True)
            total = (y * y).sum()
        else:
            total = (ag.stack([F.elu(y[0]), y[1]]) ** 2).sum()
        total.backward()
        if inplace:
            np.testing.assert_array_equal(y.detach().numpy()[1], VALUES)
            np.testing.assert_array_equal(x.grad.numpy(), expected_grad)
        else:
            expected_grad = x.grad.numpy().copy()


def test_inplace_on_a_piece_of_split_is_refused():
    x = ag.tensor(VALUES[:10], requires_grad=True)
    first, _ = (x * 1).split(5)
    with pytest.raises(RuntimeError, match="split/chunk/unbind"):
        F.relu(first, inplace=True)


def test_int_tensors_stay_ints():
    x = ag.tensor([-3, 0, 4])
    F.relu(x, inplace=True)
    assert x.dtype == np.int64 and x.tolist() == [0, 0, 4]


# -- dropout -------------------------------------------------------------------------
def test_dropout_inplace_equals_out_of_place_with_the_same_seed():
    ag.manual_seed(5)
    x_ref = ag.tensor(np.arange(1.0, 201.0), requires_grad=True)
    expected = F.dropout(x_ref * 1.0, 0.3, True)
    (expected * expected).sum().backward()
    ag.manual_seed(5)
    x = ag.tensor(np.arange(1.0, 201.0), requires_grad=True)
    h = x * 1.0
    out = F.dropout(h, 0.3, True, inplace=True)
    assert out is h and h._version_value == 1
    (out * out).sum().backward()
    np.testing.assert_array_equal(h.detach().numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), x_ref.grad.numpy())
    assert 0 < (h.detach().numpy() == 0).sum() < 200


def test_dropout_inplace_edge_probabilities_and_eval():
    x = ag.tensor(np.ones(4))
    assert F.dropout(x, 0.0, True, inplace=True) is x and x.tolist() == [1.0] * 4
    assert F.dropout(x, 0.5, False, inplace=True) is x and x.tolist() == [1.0] * 4
    assert x._version_value == 0  # nothing to do: nothing written
    leaf = ag.tensor(np.ones(4), requires_grad=True)
    h = leaf * 3.0
    assert F.dropout(h, 1.0, True, inplace=True) is h and h.tolist() == [0.0] * 4
    h.sum().backward()
    assert leaf.grad.tolist() == [0.0] * 4


def test_dropout_inplace_after_an_op_that_saved_its_output_raises():
    x = ag.tensor(np.linspace(-1, 1, 50), requires_grad=True)
    t = x.tanh()
    F.dropout(t, 0.5, True, inplace=True)
    with pytest.raises(RuntimeError, match="'Tanh' saved is at version 1"):
        t.sum().backward()


# -- modules -----------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    lambda inplace: nn.ReLU(inplace=inplace), lambda inplace: nn.LeakyReLU(0.1, inplace=inplace),
    lambda inplace: nn.ELU(0.5, inplace=inplace), lambda inplace: nn.SiLU(inplace=inplace),
    lambda inplace: nn.Dropout(0.25, inplace=inplace),
], ids=["ReLU", "LeakyReLU", "ELU", "SiLU", "Dropout"])
def test_modules_with_inplace_train_exactly_as_without(layer):
    def train(inplace):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 16), layer(inplace), nn.Linear(16, 16), layer(inplace), nn.Linear(16, 1))
        x = ag.randn(32, 6)
        y = ag.randn(32, 1)
        optimizer = ag.optim.SGD(model.parameters(), lr=0.05)
        for _ in range(5):
            optimizer.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()
        return [p.detach().numpy().copy() for p in model.parameters()]

    for a, b in zip(train(False), train(True)):
        np.testing.assert_array_equal(a, b)


def test_module_inplace_modifies_its_input_and_reprs_say_so():
    relu = nn.ReLU(inplace=True)
    x = ag.tensor([-1.0, 2.0])
    assert relu(x) is x and x.tolist() == [0.0, 2.0]
    assert repr(relu) == "ReLU(inplace=True)"
    assert repr(nn.Dropout(0.2, inplace=True)) == "Dropout(p=0.2, inplace=True)"
    drop = nn.Dropout(0.5, inplace=True).eval()
    y = ag.tensor([1.0, 2.0])
    assert drop(y) is y and y.tolist() == [1.0, 2.0]


def test_sequential_with_an_inplace_relu_after_sigmoid_raises_as_torch():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.ReLU(inplace=True))
    out = model(ag.randn(2, 3))
    with pytest.raises(RuntimeError, match="'Sigmoid' saved is at version 1"):
        out.sum().backward()


# -- copy_ keeps the source's precision ----------------------------------------------------
PRECISE = np.array([0.1, 1 / 3, 1e-300, 2.0 ** 52 + 1, -np.pi], dtype=np.float64)


@pytest.mark.parametrize("source", ["ndarray", "list", "tuple", "tensor"])
@pytest.mark.parametrize("recorded", [True, False], ids=["with-history", "no-history"])
def test_copy_into_float64_is_bit_exact(source, recorded):
    # was: with history, a non-Tensor source went through Tensor(src), i.e. float32 first
    values = {"ndarray": PRECISE, "list": PRECISE.tolist(), "tuple": tuple(PRECISE.tolist()),
              "tensor": ag.tensor(PRECISE)}[source]
    x = ag.tensor(np.ones(5), requires_grad=recorded)
    y = x * 1.0 if recorded else ag.ones(5, dtype=ag.float64)
    y.copy_(values)
    assert y.dtype == np.float64
    assert y.detach().numpy().tobytes() == PRECISE.tobytes()
    if recorded:
        y.sum().backward()
        assert x.grad.tolist() == [0.0] * 5  # the old values do not reach the result


def test_copy_of_large_int64_values_is_exact():
    big = [2 ** 62 + 1, -(2 ** 62) - 3, 2 ** 53 + 1, 7]
    for source in (np.array(big), big, ag.tensor(big)):
        d = ag.zeros(4, dtype=ag.int64)
        d.copy_(source)
        assert d.tolist() == big
    exact = [2.0 ** 53 - 1, -(2.0 ** 60), 3.0]  # int64 values that float64 holds exactly
    x = ag.tensor(np.ones(3), requires_grad=True)
    y = x * 1.0
    y.copy_(np.array([int(v) for v in exact], dtype=np.int64))
    assert y.detach().numpy().tolist() == exact


def test_copy_into_float32_rounds_once():
    x = ag.tensor(np.ones(5, dtype=np.float32), requires_grad=True)
    y = x * 1.0
    y.copy_(PRECISE)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.detach().numpy(), PRECISE.astype(np.float32))
