"""nn.functional (non-loss part): values against numpy, gradients against finite differences,
dropout statistics, batch_norm running statistics, and clear errors."""
import math
import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from helpers import check_gradients, random_array

SHAPES = [(), (1,), (5,), (3, 1), (2, 3), (2, 1, 3)]


def _erf(x):
    return np.vectorize(math.erf)(x)


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.logaddexp(0, beta * x) / beta)


# (function, numpy twin)
ACTIVATIONS = {
    "relu": (F.relu, lambda x: np.maximum(x, 0)),
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    "leaky_relu_0.2": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (F.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    "elu_alpha": (lambda x: F.elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    "selu": (F.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    "sigmoid": (F.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "tanh": (F.tanh, np.tanh),
    "gelu": (F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    "silu": (F.silu, lambda x: x / (1 + np.exp(-x))),
    "mish": (F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    "softplus": (F.softplus, _softplus),
    "softplus_beta": (lambda x: F.softplus(x, beta=2.0, threshold=3.0), lambda x: _softplus(x, 2.0, 3.0)),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x))),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5)),
    "logsigmoid": (F.logsigmoid, lambda x: -np.logaddexp(0, -x)),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_values_and_gradients(name, shape):
    function, twin = ACTIVATIONS[name]
    # Keep away from the kinks (0, +-0.5, 1.5, 6, the softplus threshold) where finite differences lie.
    x = random_array(shape, seed=len(name), low=-3, high=3)
    x = np.where(np.abs(x) < 0.05, 0.3, x)
    x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, 0.7, x)
    x = np.where(np.abs(x - 1.5) < 0.05, 1.3, x)
    np.testing.assert_allclose(function(ag.tensor(x)).numpy(), twin(x), rtol=1e-12, atol=1e-12)
    check_gradients(function, x)


def test_activations_keep_float32_and_accept_inplace_flag():
    x = ag.tensor([-1.0, 0.5, 2.0])
    for function in (F.relu, F.leaky_relu, F.elu, F.selu, F.silu, F.mish, F.gelu, F.softplus,
                     F.logsigmoid, F.softsign, F.relu6, F.hardtanh):
        assert function(x).dtype == ag.float32, function.__name__
    out = F.relu(x, inplace=True)
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.5, 2.0])


def test_logsigmoid_is_finite_for_huge_inputs():
    x = ag.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=ag.float64, requires_grad=True)
    y = F.logsigmoid(x)
    np.testing.assert_allclose(y.detach().numpy(), [-1e4, -50.0, -math.log(2), -math.exp(-50), 0.0], rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, 0.5, math.exp(-50), 0.0], rtol=1e-12)


def test_hardtanh_rejects_inverted_range():
    with pytest.raises(ValueError, match="hardtanh"):
        F.hardtanh(ag.zeros(2), 1.0, -1.0)


# -- softmax -------------------------------------------------------------------------------
def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((2, 1, 3), 1)])
def test_softmax_and_log_softmax(shape, dim):
    x = random_array(shape, seed=3, low=-4, high=4)
    np.testing.assert_allclose(F.softmax(ag.tensor(x), dim).numpy(), _np_softmax(x, dim), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(ag.tensor(x), dim=dim).numpy(), np.log(_np_softmax(x, dim)),
                               rtol=1e-10, atol=1e-12)
    check_gradients(lambda t: F.softmax(t, dim), x)
    check_gradients(lambda t: F.log_softmax(t, dim), x)


def test_softmax_implicit_dim_warns_like_torch_and_dtype_casts():
    x = ag.tensor(random_array((2, 3)))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy(), _np_softmax(x.numpy(), 1), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert F.log_softmax(ag.tensor([1.0, 2.0]), dim=0, dtype=ag.float64).dtype == ag.float64


def test_log_softmax_is_finite_for_huge_logits():
    x = ag.tensor([[1e4, 0.0, -1e4]], requires_grad=True)
    y = F.log_softmax(x, dim=1)
    assert np.isfinite(y.detach().numpy()).all()
    y[0, 2].backward()
    assert np.isfinite(x.grad.numpy()).all()


# -- dropout ---------------------------------------------------------------------------------
def test_dropout_statistics():
    ag.manual_seed(0)
    x = ag.ones(200, 500)
    y = F.dropout(x, p=0.3).numpy()
    dropped = np.mean(y == 0)
    assert abs(dropped - 0.3) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / 0.7, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02
    assert y.dtype == np.float32


def test_dropout_is_reproducible_with_manual_seed_and_differs_between_calls():
    x = ag.ones(1000)
    ag.manual_seed(5)
    first, second = F.dropout(x).numpy(), F.dropout(x).numpy()
    ag.manual_seed(5)
    np.testing.assert_array_equal(F.dropout(x).numpy(), first)
    assert not np.array_equal(first, second)


def test_dropout_gradient_is_the_scaled_mask():
    ag.manual_seed(1)
    x = ag.tensor(random_array((4, 50)), requires_grad=True)
    y = F.dropout(x, p=0.5)
    y.sum().backward()
    mask = (y.detach().numpy() != 0)
    np.testing.assert_allclose(x.grad.numpy(), mask * 2.0)


def test_dropout_identity_in_eval_and_for_p_zero_and_zeros_for_p_one():
    x = ag.tensor(random_array((3, 4)), requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), np.zeros((3, 4)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))


def test_dropout_of_a_0d_tensor():
    ag.manual_seed(2)
    values = {F.dropout(ag.tensor(1.0, dtype=ag.float64)).item() for _ in range(40)}
    assert values == {0.0, 2.0}


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_probability(p):
    with pytest.raises(ValueError, match="dropout.*between 0 and 1"):
        F.dropout(ag.ones(3), p)


# -- linear ------------------------------------------------------------------------------------
@pytest.mark.parametrize("input_shape", [(4,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear(input_shape, with_bias):
    x, w, b = random_array(input_shape, 1), random_array((5, 4), 2), random_array((5,), 3)
    expected = x @ w.T + (b if with_bias else 0)
    out = F.linear(ag.tensor(x), ag.tensor(w), ag.tensor(b) if with_bias else None)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    if with_bias:
        check_gradients(F.linear, x, w, b)
    else:
        check_gradients(F.linear, x, w)


# -- batch_norm -------------------------------------------------------------------------------------
def _np_batch_norm(x, mean, var, weight, bias, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape) + bias.reshape(shape)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (2, 3, 2, 2)])
def test_batch_norm_training_values_and_running_stats_by_hand(shape):
    x = random_array(shape, seed=4, low=-3, high=5)
    weight, bias = random_array((3,), 5), random_array((3,), 6)
    running_mean = ag.tensor(np.array([0.5, -1.0, 2.0]))
    running_var = ag.tensor(np.array([1.0, 2.0, 0.5]))
    out = F.batch_norm(ag.tensor(x), running_mean, running_var, ag.tensor(weight), ag.tensor(bias),
                       training=True, momentum=0.2, eps=1e-3)
    axes = (0,) + tuple(range(2, x.ndim))
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    np.testing.assert_allclose(out.numpy(), _np_batch_norm(x, mean, var, weight, bias, 1e-3), rtol=1e-10, atol=1e-12)
    n = x.size // 3
    np.testing.assert_allclose(running_mean.numpy(), 0.8 * np.array([0.5, -1.0, 2.0]) + 0.2 * mean, rtol=1e-12)
    np.testing.assert_allclose(running_var.numpy(), 0.8 * np.array([1.0, 2.0, 0.5]) + 0.2 * var * n / (n - 1),
                               rtol=1e-12)


def test_batch_norm_running_stats_are_not_on_the_tape():
    running_mean, running_var = ag.zeros(3), ag.ones(3)
    x = ag.randn(5, 3, requires_grad=True)
    F.batch_norm(x, running_mean, running_var, training=True).sum().backward()
    assert not running_mean.requires_grad and running_mean.grad_fn is None
    assert not running_var.requires_grad and running_var.dtype == ag.float32


@pytest.mark.parametrize("shape", [(4, 3), (3, 3, 2)])
def test_batch_norm_training_gradients(shape):
    check_gradients(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                    random_array(shape, 7), random_array((3,), 8), random_array((3,), 9))
    check_gradients(lambda x: F.batch_norm(x, None, None, training=True, eps=0.1), random_array(shape, 10))


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5)])
def test_batch_norm_eval_uses_running_stats(shape):
    x = random_array(shape, 11)
    mean, var = random_array((3,), 12), random_array((3,), 13, low=0.5, high=2)
    weight, bias = random_array((3,), 14), random_array((3,), 15)
    rm, rv = ag.tensor(mean), ag.tensor(var)
    out = F.batch_norm(ag.tensor(x), rm, rv, ag.tensor(weight), ag.tensor(bias), training=False)
    np.testing.assert_allclose(out.numpy(), _np_batch_norm(x, mean, var, weight, bias, 1e-5), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(rm.numpy(), mean)  # untouched in eval
    check_gradients(lambda x, w, b: F.batch_norm(x, rm, rv, w, b), x, weight, bias)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(ag.ones(1, 3), ag.zeros(3), ag.ones(3), training=True)
    with pytest.raises(ValueError, match="running_mean and running_var"):
        F.batch_norm(ag.ones(4, 3), None, None, training=False)
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\)"):
        F.batch_norm(ag.ones(4, 3), ag.zeros(4), ag.ones(3))
    with pytest.raises(ValueError, match="batch_norm"):
        F.batch_norm(ag.ones(3), ag.zeros(3), ag.ones(3))


# -- layer_norm -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,normalized", [((4, 5), 5), ((2, 3, 4), (3, 4)), ((5,), [5]), ((2, 1, 3), (3,))])
def test_layer_norm(shape, normalized):
    x = random_array(shape, 16, low=-2, high=4)
    ns = (normalized,) if isinstance(normalized, int) else tuple(normalized)
    weight, bias = random_array(ns, 17), random_array(ns, 18)
    axes = tuple(range(x.ndim - len(ns), x.ndim))
    expected = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
    out = F.layer_norm(ag.tensor(x), normalized, ag.tensor(weight), ag.tensor(bias))
    np.testing.assert_allclose(out.numpy(), expected * weight + bias, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F.layer_norm(ag.tensor(x), normalized).numpy(), expected, rtol=1e-10, atol=1e-12)
    check_gradients(lambda x, w, b: F.layer_norm(x, normalized, w, b, eps=1e-3), x, weight, bias)


def test_layer_norm_shape_errors():
    with pytest.raises(RuntimeError, match=r"layer_norm: normalized_shape \(4,\).*\(2, 3\)"):
        F.layer_norm(ag.ones(2, 3), 4)
    with pytest.raises(ValueError, match="weight must have shape"):
        F.layer_norm(ag.ones(2, 3), 3, weight=ag.ones(2))


# -- embedding and one_hot ------------------------------------------------------------------------
def test_embedding_values_and_gradients_accumulate_repeats():
    weight = random_array((5, 3), 19)
    indices = ag.tensor([[0, 2, 2], [4, 0, 1]])
    out = F.embedding(indices, ag.tensor(weight))
    np.testing.assert_array_equal(out.numpy(), weight[indices.numpy()])
    check_gradients(lambda w: F.embedding(indices, w), weight)
    w = ag.tensor(weight, requires_grad=True)
    F.embedding(indices, w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [2, 1, 2, 0, 1])


@pytest.mark.parametrize("padding_idx", [0, -1])
def test_embedding_padding_row_gets_no_gradient_but_keeps_its_value(padding_idx):
    weight = ag.tensor(random_array((4, 2), 20), requires_grad=True)
    indices = ag.tensor([0, 3, 3, 1, 0])
    out = F.embedding(indices, weight, padding_idx=padding_idx)
    np.testing.assert_array_equal(out.detach().numpy(), weight.detach().numpy()[indices.numpy()])
    out.sum().backward()
    pad = padding_idx % 4
    counts = np.bincount(indices.numpy(), minlength=4).astype(float)
    counts[pad] = 0
    np.testing.assert_array_equal(weight.grad.numpy(), np.repeat(counts[:, None], 2, axis=1))


def test_embedding_errors():
    weight = ag.zeros(5, 2)
    with pytest.raises(IndexError, match="embedding: index 7 is out of range for 5 embeddings"):
        F.embedding(ag.tensor([1, 7]), weight)
    with pytest.raises(IndexError, match="index -1"):
        F.embedding(ag.tensor([-1]), weight)
    with pytest.raises(RuntimeError, match="embedding: expected an integer"):
        F.embedding(ag.tensor([1.0]), weight)
    with pytest.raises(ValueError, match="padding_idx"):
        F.embedding(ag.tensor([1]), weight, padding_idx=5)


def test_one_hot():
    out = F.one_hot(ag.tensor([[0, 2], [1, 0]]), 4)
    assert out.dtype == ag.int64 and out.shape == (2, 2, 4)
    np.testing.assert_array_equal(out.numpy(), np.eye(4, dtype=np.int64)[[[0, 2], [1, 0]]])
    np.testing.assert_array_equal(F.one_hot(ag.tensor([1, 3])).numpy(), [[0, 1, 0, 0], [0, 0, 0, 1]])
    assert F.one_hot(ag.tensor(2), 3).tolist() == [0, 0, 1]


def test_one_hot_errors():
    with pytest.raises(ValueError, match="one_hot: class value 3 is out of range for num_classes=3"):
        F.one_hot(ag.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match="one_hot.*-1"):
        F.one_hot(ag.tensor([-1, 0]), 3)
    with pytest.raises(RuntimeError, match="one_hot: expected an integer"):
        F.one_hot(ag.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="empty"):
        F.one_hot(ag.tensor(np.zeros(0, np.int64)))


# -- normalize and pad -----------------------------------------------------------------------------
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize(p, dim):
    x = random_array((3, 4), 21)
    norm = np.sum(np.abs(x) ** p, axis=dim, keepdims=True) ** (1 / p)
    np.testing.assert_allclose(F.normalize(ag.tensor(x), p=p, dim=dim).numpy(), x / norm, rtol=1e-12)
    check_gradients(lambda t: F.normalize(t, p=p, dim=dim), x)


def test_normalize_zero_rows_give_zero_and_finite_gradient():
    x = ag.tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
    y = F.normalize(x)
    np.testing.assert_allclose(y.detach().numpy(), [[0.0, 0.0], [0.6, 0.8]])
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_array_equal(x.grad.numpy()[0], [1e12, 1e12])  # 1 / eps, as torch


def test_pad_is_autograd_core_pad():
    x = random_array((2, 3), 22)
    out = F.pad(ag.tensor(x), (1, 2), value=0.5)
    np.testing.assert_array_equal(out.numpy(), np.pad(x, ((0, 0), (1, 2)), constant_values=0.5))
    check_gradients(lambda t: F.pad(t, (1, 0, 0, 1)), x)
