"""conv1d / conv2d: values against a direct numpy loop, finite-difference gradients, second order, errors."""
import itertools

import numpy as np
import pytest

import autograd_core as ag
from helpers import check_gradients, random_array


def reference_conv(x, w, b, stride, padding, dilation, groups):
    """The definition, one output element at a time: out[n, o, p] = b[o] + sum x_pad[n, c, p*s + k*d] w[o, c, k]."""
    dims = x.ndim - 2
    pads = [(p, p) for p in padding]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    kernel = w.shape[2:]
    out_sizes = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(dims)]
    n, cin = x.shape[:2]
    cout = w.shape[0]
    cin_g, cout_g = cin // groups, cout // groups
    out = np.zeros((n, cout, *out_sizes))
    for batch, o in itertools.product(range(n), range(cout)):
        group = o // cout_g
        for position in itertools.product(*(range(s) for s in out_sizes)):
            total = 0.0 if b is None else b[o]
            for c in range(cin_g):
                for offset in itertools.product(*(range(k) for k in kernel)):
                    index = tuple(position[i] * stride[i] + offset[i] * dilation[i] for i in range(dims))
                    total += xp[(batch, group * cin_g + c) + index] * w[(o, c) + offset]
            out[(batch, o) + position] = total
    return out


CASES_1D = [
    # x shape, w shape, kwargs
    ((2, 1, 9), (3, 1, 3), {}),
    ((2, 2, 11), (4, 2, 3), {"stride": 2, "padding": 1}),
    ((1, 1, 40), (5, 1, 5), {"stride": 2, "padding": 1}),  # the MNIST-1D first layer
    ((3, 4, 10), (6, 2, 3), {"stride": 2, "padding": 2, "dilation": 2, "groups": 2}),
    ((2, 3, 6), (2, 3, 6), {}),  # kernel as long as the input: one output position
    ((1, 2, 5), (2, 2, 1), {"stride": 3}),
]
CASES_2D = [
    ((2, 1, 5, 6), (3, 1, 3, 3), {}),
    ((2, 3, 7, 8), (4, 3, 3, 2), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2)}),
    ((1, 4, 6, 6), (4, 1, 3, 3), {"padding": 1, "groups": 4}),  # depthwise
]


def _expanded(kwargs, dims):
    out = {}
    for name, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)):
        value = kwargs.get(name, default)
        out[name] = value if name == "groups" or not isinstance(value, int) else (value,) * dims
    return out


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CASES_1D + CASES_2D)
def test_conv_values_against_the_definition(x_shape, w_shape, kwargs):
    x, w, b = random_array(x_shape), random_array(w_shape, seed=1), random_array(w_shape[0], seed=2)
    function = ag.conv1d if len(x_shape) == 3 else ag.conv2d
    out = function(ag.tensor(x), ag.tensor(w), ag.tensor(b), **kwargs)
    expected = reference_conv(x, w, b, **_expanded(kwargs, len(x_shape) - 2))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    no_bias = function(ag.tensor(x), ag.tensor(w), None, **kwargs)
    np.testing.assert_allclose(no_bias.numpy(), expected - b.reshape((-1,) + (1,) * (len(x_shape) - 2)), atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CASES_1D + CASES_2D)
def test_conv_gradients_finite_differences(x_shape, w_shape, kwargs):
    x, w, b = random_array(x_shape), random_array(w_shape, seed=1), random_array(w_shape[0], seed=2)
    function = ag.conv1d if len(x_shape) == 3 else ag.conv2d
    check_gradients(lambda x, w, b: function(x, w, b, **kwargs), x, w, b)


def test_conv_gradient_to_one_input_only():
    x, w = random_array((2, 2, 7)), random_array((3, 2, 3), seed=1)
    check_gradients(lambda w: ag.conv1d(ag.tensor(x), w, stride=2, padding=1), w)
    check_gradients(lambda x: ag.conv1d(x, ag.tensor(w), padding=2), x)


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel", [3, 4])
def test_conv_padding_strings(padding, kernel):
    x, w = random_array((2, 2, 9)), random_array((3, 2, kernel), seed=1)
    out = ag.conv1d(ag.tensor(x), ag.tensor(w), padding=padding, dilation=1)
    if padding == "valid":
        np.testing.assert_allclose(out.numpy(), ag.conv1d(ag.tensor(x), ag.tensor(w)).numpy())
    else:
        assert out.shape == (2, 3, 9)
        # torch's 'same': the total padding k-1 split with the odd one on the right
        left = (kernel - 1) // 2
        padded = np.pad(x, [(0, 0), (0, 0), (left, kernel - 1 - left)])
        np.testing.assert_allclose(out.numpy(), reference_conv(padded, w, None, (1,), (0,), (1,), 1), atol=1e-12)
    check_gradients(lambda x, w: ag.conv1d(x, w, padding=padding), x, w)


def test_conv2d_same_padding_with_dilation():
    x, w = random_array((1, 2, 6, 7)), random_array((2, 2, 2, 3), seed=1)
    out = ag.conv2d(ag.tensor(x), ag.tensor(w), padding="same", dilation=(2, 1))
    assert out.shape == (1, 2, 6, 7)
    check_gradients(lambda x, w: ag.conv2d(x, w, padding="same", dilation=(2, 1)), x, w)


def test_unbatched_inputs():
    x, w, b = random_array((2, 9)), random_array((3, 2, 3), seed=1), random_array(3, seed=2)
    out = ag.conv1d(ag.tensor(x), ag.tensor(w), ag.tensor(b), padding=1)
    batched = ag.conv1d(ag.tensor(x[None]), ag.tensor(w), ag.tensor(b), padding=1)
    assert out.shape == (3, 9)
    np.testing.assert_allclose(out.numpy(), batched.numpy()[0])
    check_gradients(lambda x, w, b: ag.conv1d(x, w, b, padding=1), x, w, b)
    x2 = random_array((2, 5, 6))
    w2 = random_array((3, 2, 3, 3), seed=1)
    assert ag.conv2d(ag.tensor(x2), ag.tensor(w2)).shape == (3, 3, 4)
    check_gradients(lambda x, w: ag.conv2d(x, w, stride=2), x2, w2)


def test_float32_stays_float32():
    x = ag.tensor(np.ones((2, 1, 8), np.float32), requires_grad=True)
    w = ag.tensor(np.ones((3, 1, 3), np.float32), requires_grad=True)
    b = ag.tensor(np.ones(3, np.float32), requires_grad=True)
    out = ag.conv1d(x, w, b, stride=2, padding=1)
    assert out.dtype == np.float32 and out.detach().numpy().flags.c_contiguous
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_non_contiguous_input():
    x = random_array((9, 2, 3)).transpose(1, 2, 0)  # (2, 3, 9), not contiguous
    w = random_array((4, 3, 2), seed=1)
    out = ag.conv1d(ag.tensor(x), ag.tensor(w), stride=2)
    np.testing.assert_allclose(out.numpy(), reference_conv(np.ascontiguousarray(x), w, None, (2,), (0,), (1,), 1),
                               atol=1e-12)


def test_retain_graph_and_second_backward():
    x, w = ag.tensor(random_array((2, 2, 7)), requires_grad=True), ag.tensor(random_array((3, 2, 3)), requires_grad=True)
    out = ag.conv1d(x, w, padding=1).sum()
    out.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    out.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * first)


@pytest.mark.parametrize("function, x_shape, w_shape", [(ag.conv1d, (2, 2, 7), (3, 2, 3)),
                                                         (ag.conv2d, (1, 2, 5, 4), (2, 1, 2, 3))])
def test_second_order(function, x_shape, w_shape):
    groups = x_shape[1] // w_shape[1]
    rng = np.random.default_rng(3)
    inputs = [ag.tensor(rng.standard_normal(s), requires_grad=True) for s in (x_shape, w_shape, (w_shape[0],))]
    assert ag.gradgradcheck(lambda x, w, b: function(x * x, w, b, stride=2, padding=1, groups=groups), inputs)


def test_errors_name_the_op_and_shapes():
    x = ag.randn(4, 2, 10)
    with pytest.raises(RuntimeError, match=r"conv1d: given groups=1, weight of size \[3, 1, 3\].*input\[4, 2, 10\]"):
        ag.conv1d(x, ag.randn(3, 1, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        ag.conv1d(ag.randn(1, 1, 3), ag.randn(2, 1, 5), padding=0)
    with pytest.raises(RuntimeError, match="expected a 2-D .* or 3-D"):
        ag.conv1d(ag.randn(10), ag.randn(2, 1, 3))
    with pytest.raises(RuntimeError, match="4-D weight"):
        ag.conv2d(ag.randn(1, 1, 5, 5), ag.randn(2, 1, 3))
    with pytest.raises(RuntimeError, match="strided"):
        ag.conv1d(x, ag.randn(3, 2, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="padding string"):
        ag.conv1d(x, ag.randn(3, 2, 3), padding="full")
    with pytest.raises(RuntimeError, match="same dtype"):
        ag.conv1d(x, ag.randn(3, 2, 3, dtype=ag.float64))
    with pytest.raises(RuntimeError, match="floating point"):
        ag.conv1d(ag.ones(1, 2, 5, dtype=ag.int64), ag.randn(3, 2, 3))
    with pytest.raises(RuntimeError, match="bias of shape"):
        ag.conv1d(x, ag.randn(3, 2, 3), ag.randn(4))
    with pytest.raises(RuntimeError, match="divisible by 2"):
        ag.conv1d(x, ag.randn(3, 1, 3), groups=2)
    with pytest.raises(RuntimeError, match="stride"):
        ag.conv2d(ag.randn(1, 1, 5, 5), ag.randn(2, 1, 3, 3), stride=(1, 2, 3))


def test_not_methods():
    assert not hasattr(ag.randn(2, 2, 5), "conv1d")
