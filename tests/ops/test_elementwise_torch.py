"""Elementwise ops against PyTorch: values and gradients on random inputs (skipped without torch)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402

UNARY = {
    "exp": (ag.exp, torch.exp, (-2, 2)),
    "log": (ag.log, torch.log, (0.1, 3)),
    "sqrt": (ag.sqrt, torch.sqrt, (0.1, 3)),
    "rsqrt": (ag.rsqrt, torch.rsqrt, (0.1, 3)),
    "sin": (ag.sin, torch.sin, (-3, 3)),
    "tan": (ag.tan, torch.tan, (-1.2, 1.2)),
    "cos": (ag.cos, torch.cos, (-3, 3)),
    "tanh": (ag.tanh, torch.tanh, (-3, 3)),
    "sigmoid": (ag.sigmoid, torch.sigmoid, (-8, 8)),
    "abs": (ag.abs, torch.abs, (-2, 2)),
    "relu": (ag.relu, torch.relu, (-2, 2)),
    "erf": (ag.erf, torch.erf, (-3, 3)),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.2), lambda x: torch.nn.functional.leaky_relu(x, 0.2), (-2, 2)),
    "elu": (lambda x: ag.elu(x, 1.3), lambda x: torch.nn.functional.elu(x, 1.3), (-3, 3)),
    "gelu": (ag.gelu, torch.nn.functional.gelu, (-4, 4)),
    "gelu_tanh": (lambda x: ag.gelu(x, approximate="tanh"),
                  lambda x: torch.nn.functional.gelu(x, approximate="tanh"), (-4, 4)),
    "softplus": (lambda x: ag.softplus(x, beta=1.5, threshold=5.0),
                 lambda x: torch.nn.functional.softplus(x, beta=1.5, threshold=5.0), (-6, 6)),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5), (-2, 2)),
    "neg": (lambda x: -x, lambda x: -x, (-2, 2)),
    "pow3": (lambda x: x ** 3, lambda x: x ** 3, (-2, 2)),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a.abs() ** b,
}


def _both(array):
    return ag.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch(name, dtype):
    ours_fn, torch_fn, (low, high) = UNARY[name]
    x = np.random.default_rng(0).uniform(low, high, size=(4, 5)).astype(dtype)
    ours_x, torch_x = _both(x)
    ours, theirs = ours_fn(ours_x), torch_fn(torch_x)
    weights = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    (ours * ag.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    assert ours.dtype == x.dtype
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tolerance)
    np.testing.assert_allclose(ours_x.grad.numpy(), torch_x.grad.numpy(), **tolerance)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (5,))])
def test_binary_matches_torch_with_broadcasting(name, shapes):
    rng = np.random.default_rng(2)
    a = rng.uniform(0.5, 2, size=shapes[0])
    b = rng.uniform(0.5, 2, size=shapes[1])
    ours_a, torch_a = _both(a)
    ours_b, torch_b = _both(b)
    BINARY[name](ours_a, ours_b).sum().backward()
    BINARY[name](torch_a, torch_b).sum().backward()
    np.testing.assert_allclose(ours_a.grad.numpy(), torch_a.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_b.grad.numpy(), torch_b.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("op", ["add", "mul", "div", "sub"])
def test_result_dtypes_match_torch(op):
    fn = BINARY[op]
    cases = [
        (np.ones(3, np.float32), 2.5), (np.arange(3), 0.5), (np.arange(3), 2),
        (np.ones(3, np.float32), np.array(2.0)), (np.arange(3), np.ones(3, np.float32)),
        (np.ones(3, bool), 1), (np.ones(3, np.float64), np.ones(3, np.float32)),
    ]
    for a, b in cases:
        if op == "sub" and a.dtype == bool:
            with pytest.raises(RuntimeError, match="bool"):
                fn(ag.tensor(a), b)
            continue
        ours = fn(ag.tensor(a), ag.tensor(b) if isinstance(b, np.ndarray) else b)
        theirs = fn(torch.tensor(a), torch.tensor(b) if isinstance(b, np.ndarray) else b)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (op, a.dtype, b)
