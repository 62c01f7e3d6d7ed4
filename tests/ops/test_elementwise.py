"""Elementwise ops: values against numpy, gradients against finite differences,
broadcasting, dtype rules and second derivatives."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_core as ag
from helpers import check_gradients, random_array

SHAPES = [(), (1,), (4,), (3, 1), (2, 3), (2, 1, 3)]
# (op, numpy twin, input domain)
UNARY = {
    "neg": (lambda x: -x, np.negative, (-2, 2)),
    "exp": (ag.exp, np.exp, (-2, 2)),
    "log": (ag.log, np.log, (0.2, 3)),
    "sqrt": (ag.sqrt, np.sqrt, (0.2, 3)),
    "rsqrt": (ag.rsqrt, lambda x: 1 / np.sqrt(x), (0.2, 3)),
    "sin": (ag.sin, np.sin, (-3, 3)),
    "tan": (ag.tan, np.tan, (-1.2, 1.2)),
    "cos": (ag.cos, np.cos, (-3, 3)),
    "tanh": (ag.tanh, np.tanh, (-3, 3)),
    "sigmoid": (ag.sigmoid, lambda x: 1 / (1 + np.exp(-x)), (-4, 4)),
    "abs": (ag.abs, np.abs, (-2, 2)),
    "relu": (ag.relu, lambda x: np.maximum(x, 0), (-2, 2)),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x), (-2, 2)),
    "elu": (lambda x: ag.elu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)), (-2, 2)),
    "gelu": (ag.gelu, lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))), (-3, 3)),
    "gelu_tanh": (lambda x: ag.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))), (-3, 3)),
    "softplus": (lambda x: ag.softplus(x, beta=2.0), lambda x: np.log1p(np.exp(2 * x)) / 2, (-3, 3)),
    "square": (ag.square, np.square, (-2, 2)),
    "clamp": (lambda x: ag.clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), (-2, 2)),
    "clamp_min": (lambda x: x.clamp(min=0.1), lambda x: np.maximum(x, 0.1), (-2, 2)),
    "pow_scalar": (lambda x: x ** 3, lambda x: x ** 3, (-2, 2)),
    "pow_fraction": (lambda x: x ** 0.5, np.sqrt, (0.2, 3)),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, (-2, 2)),
    "rsub": (lambda x: 1 - x, lambda x: 1 - x, (-2, 2)),
    "rdiv": (lambda x: 1 / x, lambda x: 1 / x, (0.3, 2)),
}
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a ** b, np.power),
    "maximum": (ag.maximum, np.maximum),
    "minimum": (ag.minimum, np.minimum),
    "add_alpha": (lambda a, b: ag.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b),
    "sub_alpha": (lambda a, b: ag.sub(a, b, alpha=0.5), lambda a, b: a - 0.5 * b),
}
BROADCAST_PAIRS = [((), ()), ((3,), ()), ((), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 1, 3), (2, 1)),
                   ((1,), (3, 1))]


def _domain_array(shape, low, high, seed=0):
    array = random_array(shape, seed, low, high)
    # keep kinks (relu, abs, clamp) away from finite-difference steps
    return np.where(np.abs(array) < 1e-3, 0.05, array)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES)
def test_unary_values_and_gradients(name, shape):
    op, reference, (low, high) = UNARY[name]
    x = _domain_array(shape, low, high)
    out = op(ag.tensor(x))
    assert out.shape == shape
    np.testing.assert_allclose(out.numpy(), reference(x), rtol=1e-10, atol=1e-12)
    check_gradients(op, x)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS)
def test_binary_values_and_gradients_with_broadcasting(name, shapes):
    op, reference = BINARY[name]
    a = random_array(shapes[0], seed=1, low=0.5, high=2.0)
    b = random_array(shapes[1], seed=2, low=-1.5, high=1.5)
    if name in ("div",):
        b = np.where(np.abs(b) < 0.3, 0.7, b)
    out = op(ag.tensor(a), ag.tensor(b))
    expected = reference(a, b)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    check_gradients(op, a, b)


def test_maximum_splits_gradient_on_ties_like_torch():
    a = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ag.tensor([1.0, 5.0, 0.0], requires_grad=True)
    ag.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_allclose(b.grad.numpy(), [0.5, 1.0, 0.0])


def test_relu_and_abs_gradient_at_zero_is_zero_like_torch():
    x = ag.tensor([0.0, 0.0], requires_grad=True)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_pow_gradient_with_respect_to_exponent_at_zero_base_is_finite():
    a = ag.tensor([0.0, 2.0], requires_grad=True)
    b = ag.tensor([2.0, 3.0], requires_grad=True)
    (a ** b).sum().backward()
    assert np.all(np.isfinite(b.grad.numpy()))
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 8 * np.log(2)], rtol=1e-6)


def test_where_values_and_gradients():
    condition = np.array([[True, False, True]])
    check_gradients(lambda a, b: ag.where(ag.tensor(condition), a, b), random_array((2, 3)), random_array((3,), 1))
    out = ag.where(ag.tensor([True, False]), ag.tensor([1.0, 2.0]), 0.0)
    np.testing.assert_array_equal(out.numpy(), [1.0, 0.0])


def test_sigmoid_and_softplus_are_stable_for_large_inputs():
    x = ag.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], requires_grad=True)
    y = x.sigmoid() + ag.softplus(x)
    y.sum().backward()
    assert np.all(np.isfinite(y.detach().numpy()))
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(x.sigmoid().detach().numpy(), [0, 0, 0.5, 1, 1], atol=1e-7)


# -- dtype rules (torch's, not numpy's) ------------------------------------------
def test_float32_stays_float32_with_python_scalars():
    x = ag.ones(3)
    assert x.dtype == ag.float32
    for y in (x * 1.5, x + 2, 2.0 ** x, x / 3, x ** 2.0, 1 - x, ag.exp(x), x.tanh()):
        assert y.dtype == ag.float32


def test_integer_tensors_promote_like_torch():
    i = ag.arange(3)
    assert i.dtype == ag.int64
    assert (i * 0.5).dtype == ag.float32
    assert (i / 2).dtype == ag.float32
    assert (i + 1).dtype == ag.int64
    assert ag.exp(i).dtype == ag.float32
    assert (i + ag.ones(3, dtype=ag.float64)).dtype == ag.float64


def test_zero_dim_operand_does_not_upcast():
    x = ag.ones(3)
    y = ag.tensor(2.0, dtype=ag.float64)
    assert (x * y).dtype == ag.float32
    assert (ag.ones(3, dtype=ag.float64) * ag.tensor(2.0)).dtype == ag.float64


def test_gradient_keeps_each_inputs_dtype():
    a = ag.ones(3, requires_grad=True)
    b = ag.tensor(2.0, dtype=ag.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == ag.float32 and b.grad.dtype == ag.float64
    assert b.grad.shape == ()
    np.testing.assert_allclose(b.grad.numpy(), 3.0)


def test_broadcast_mismatch_error_names_the_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"add.*\(2, ?3\).*\(4,\)|add.*shapes"):
        ag.ones(2, 3) + ag.ones(4)


# -- second derivatives -------------------------------------------------------------
SECOND_ORDER = ["exp", "log", "sqrt", "sin", "tan", "cos", "tanh", "sigmoid", "elu", "gelu", "gelu_tanh",
                "softplus", "square", "pow_scalar", "rdiv"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivative_matches_finite_differences_of_first(name):
    op, _, (low, high) = UNARY[name]
    x0 = _domain_array((4,), low, high, seed=3)

    def first_derivative(x):
        (g,) = ag.grad(op(x).sum(), x, create_graph=True)
        return g

    check_gradients(first_derivative, x0, atol=1e-5, rtol=1e-4)


def test_second_derivative_of_binary_ops():
    def grads(a, b):
        ga, gb = ag.grad((a * b / (a + 2) + a ** b).sum(), (a, b), create_graph=True)
        return ga * 1.3 + gb

    check_gradients(grads, random_array((3,), 4, 0.5, 2), random_array((3,), 5, 0.5, 2), atol=1e-5, rtol=1e-4)


# -- hypothesis: random shapes, broadcasting -----------------------------------------
@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
    a = draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=st.floats(0.5, 2.0)))
    b = draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=st.floats(0.5, 2.0)))
    return a, b


@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div", "pow"]))
def test_binary_ops_on_random_broadcast_shapes(pair, name):
    a, b = pair
    op, reference = BINARY[name]
    out = op(ag.tensor(a), ag.tensor(b))
    np.testing.assert_allclose(out.numpy(), reference(a, b), rtol=1e-10)
    check_gradients(op, a, b, atol=1e-5, rtol=1e-4)
