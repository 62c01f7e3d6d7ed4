"""``inplace=True`` activations and dropout against torch: the same values, gradients, and refusals."""
import numpy as np
import pytest

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")

CALLS = {
    "relu": lambda F, x: F.relu(x, inplace=True),
    "relu6": lambda F, x: F.relu6(x, inplace=True),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2, inplace=True),
    "elu": lambda F, x: F.elu(x, 0.7, inplace=True),
    "selu": lambda F, x: F.selu(x, inplace=True),
    "silu": lambda F, x: F.silu(x, inplace=True),
    "mish": lambda F, x: F.mish(x, inplace=True),
    "hardtanh": lambda F, x: F.hardtanh(x, -0.5, 0.8, inplace=True),
    "dropout p=1": lambda F, x: F.dropout(x, 1.0, True, inplace=True),
    "dropout eval": lambda F, x: F.dropout(x, 0.5, False, inplace=True),
}
VALUES = np.array([-7.0, -2.0, -0.5, -0.1, 0.0, 0.3, 0.8, 1.0, 2.5, 6.0, 9.0])


def program(lib, F, name, through_view):
    x = lib.tensor(VALUES.reshape(1, -1).repeat(2, 0), requires_grad=True)
    h = x * 1.5 - 0.25
    target = h[1] if through_view else h
    out = CALLS[name](F, target)
    assert out is target
    weights = lib.tensor(np.linspace(-1, 2, VALUES.size * 2).reshape(2, -1))
    (h * weights).sum().backward()
    return h.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("through_view", [False, True], ids=["tensor", "view"])
@pytest.mark.parametrize("name", list(CALLS))
def test_values_and_gradients_equal_torch(name, through_view):
    ours = program(ag, nn.functional, name, through_view)
    theirs = program(torch, torch.nn.functional, name, through_view)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def refusal(lib, F, name, case):
    x = lib.tensor(VALUES * 0.1, requires_grad=True)
    try:
        if case == "leaf":
            CALLS[name](F, x)
        elif case == "saved output":
            s = x.sigmoid()
            CALLS[name](F, s)
            s.sum().backward()
        elif case == "saved input":
            a = x * 2
            b = a * a
            CALLS[name](F, a)
            b.sum().backward()
    except RuntimeError as error:
        return str(error).split(".")[0].split(":")[0][:40]
    return None


@pytest.mark.parametrize("case", ["leaf", "saved output", "saved input"])
@pytest.mark.parametrize("name", [n for n in CALLS if not n.startswith("dropout")])
def test_refused_where_torch_refuses(name, case):
    ours = refusal(ag, nn.functional, name, case)
    theirs = refusal(torch, torch.nn.functional, name, case)
    assert (ours is None) == (theirs is None), (ours, theirs)
    if case == "leaf":
        assert ours == theirs  # the same message
