"""Layers: values against numpy, gradients against central differences (float64), default init, modes."""
import math

import numpy as np
import pytest

import autograd_core as ag
import nn
from helpers import random_array


def check_module_gradients(module, x_array, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0):
    """Compare the gradients of sum(w * module(x)) for x and every parameter with central differences."""
    x_array = np.array(x_array, dtype=np.float64)
    x = ag.tensor(x_array, requires_grad=True)
    out = module(x)
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape)
    module.zero_grad()
    (out * ag.tensor(weights)).sum().backward()

    def objective():
        with ag.no_grad():
            return float(np.sum(np.asarray(module(ag.tensor(x_array))) * weights))

    targets = [("input", x_array, x.grad)]
    targets += [(name, np.asarray(p), p.grad) for name, p in module.named_parameters()]
    for name, array, analytic in targets:
        numeric = np.zeros(array.shape)
        flat, flat_numeric = array.reshape(-1), numeric.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = objective()
            flat[i] = original - eps
            minus = objective()
            flat[i] = original
            flat_numeric[i] = (plus - minus) / (2 * eps)
        analytic = np.zeros(array.shape) if analytic is None else analytic.numpy()
        np.testing.assert_allclose(analytic, numeric, atol=atol, rtol=rtol, err_msg=f"gradient of {name}")


def values(tensor):
    return tensor.detach().numpy()


# -- Linear -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3,), (1, 3), (5, 3), (2, 4, 3)])
def test_linear_values_and_gradients(shape):
    layer = nn.Linear(3, 2).double()
    x = random_array(shape, seed=1)
    expected = x @ values(layer.weight).T + values(layer.bias)
    np.testing.assert_allclose(values(layer(ag.tensor(x))), expected, rtol=1e-12)
    check_module_gradients(layer, x)


def test_linear_without_bias():
    layer = nn.Linear(3, 4, bias=False).double()
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    x = random_array((2, 3))
    np.testing.assert_allclose(values(layer(ag.tensor(x))), x @ values(layer.weight).T, rtol=1e-12)
    check_module_gradients(layer, x)


def test_linear_shapes_and_dtype():
    layer = nn.Linear(5, 7)
    assert layer.weight.shape == (7, 5) and layer.bias.shape == (7,)
    assert layer.weight.dtype == ag.float32
    assert nn.Linear(2, 2, dtype=ag.float64).weight.dtype == ag.float64
    assert layer(ag.randn(3, 5)).dtype == ag.float32
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 2)


def test_linear_default_init_follows_torch():
    ag.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    weight, bias = values(layer.weight), values(layer.bias)
    assert np.abs(weight).max() <= bound and np.abs(bias).max() <= bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(weight.mean()) < 0.01 * bound
    assert abs(bias.std() - bound / math.sqrt(3)) < 0.1 * bound


def test_init_is_reproducible_with_manual_seed():
    ag.manual_seed(42)
    first = values(nn.Linear(4, 4).weight).copy()
    ag.manual_seed(42)
    np.testing.assert_array_equal(values(nn.Linear(4, 4).weight), first)


# -- Identity, Flatten, Unflatten --------------------------------------------------------
def test_identity_and_flatten():
    x = ag.randn(2, 3, 4, 5)
    assert nn.Identity(54, unused=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, -1)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    np.testing.assert_array_equal(values(nn.Flatten()(x)), values(x).reshape(2, 60))
    check_module_gradients(nn.Flatten(), random_array((2, 3, 2)))


def test_unflatten():
    x = ag.randn(2, 12)
    assert nn.Unflatten(1, (3, 4))(x).shape == (2, 3, 4)
    assert nn.Unflatten(-1, (2, -1))(x).shape == (2, 2, 6)
    with pytest.raises(IndexError, match="Unflatten"):
        nn.Unflatten(3, (2, 2))(x)


# -- activations ----------------------------------------------------------------------------
def _gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ACTIVATIONS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(), lambda x: np.where(x >= 0, x, 0.01 * x)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x >= 0, x, 0.2 * x)),
    (nn.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    (nn.ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.GELU(), _gelu),
    (nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.Softplus(beta=2.0, threshold=1.0), lambda x: np.where(2 * x > 1, x, np.log1p(np.exp(2 * x)) / 2)),
    (nn.Softmax(dim=1), lambda x: _softmax(x, 1)),
    (nn.Softmax(dim=0), lambda x: _softmax(x, 0)),
    (nn.LogSoftmax(dim=1), lambda x: np.log(_softmax(x, 1))),
]
ACTIVATION_IDS = [repr(module) for module, _ in ACTIVATIONS]


@pytest.mark.parametrize("module, reference", ACTIVATIONS, ids=ACTIVATION_IDS)
def test_activation_values(module, reference):
    x = random_array((4, 5), seed=3, low=-3, high=3)
    np.testing.assert_allclose(values(module(ag.tensor(x))), reference(x), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("module, reference", ACTIVATIONS, ids=ACTIVATION_IDS)
@pytest.mark.parametrize("shape", [(3, 4), (2, 1)])
def test_activation_gradients(module, reference, shape):
    x = random_array(shape, seed=4, low=-3, high=3)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kinks of relu / leaky_relu / elu
    x[np.abs(x - 0.5) < 1e-3] = 0.7  # and from the softplus(beta=2, threshold=1) switch at x = 0.5
    check_module_gradients(module, x)


def test_elementwise_activations_on_0d_input():
    for module in (nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU(), nn.ELU(), nn.LeakyReLU(), nn.Softplus()):
        check_module_gradients(module, np.array(0.7))


def test_activations_keep_float32():
    x = ag.randn(3, 4)
    for module, _ in ACTIVATIONS:
        assert module(x).dtype == ag.float32, repr(module)


def test_softmax_without_dim_uses_torch_legacy_choice():
    x = ag.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = nn.Softmax()(x)
    np.testing.assert_allclose(values(out).sum(axis=1), [1.0, 1.0], rtol=1e-6)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")


# -- Dropout ---------------------------------------------------------------------------------
def test_dropout_training_zeroes_and_rescales():
    ag.manual_seed(0)
    layer = nn.Dropout(0.25)
    x = ag.ones(400, 250)  # 1e5 draws: the kept fraction's standard error is ~0.0014
    out = values(layer(x))
    kept = out != 0
    assert abs(1 - kept.mean() - 0.25) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    assert out.dtype == np.float32


def test_dropout_eval_is_identity():
    layer = nn.Dropout(0.5).eval()
    x = ag.randn(10, 10)
    np.testing.assert_array_equal(values(layer(x)), values(x))


def test_dropout_gradient_uses_the_same_mask():
    ag.manual_seed(1)
    x = ag.randn(50, 20, requires_grad=True)
    out = nn.Dropout(0.5)(x)
    out.sum().backward()
    mask = values(out) != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(mask, 2.0, 0.0))


def test_dropout_edge_probabilities_and_validation():
    x = ag.randn(4, 4)
    np.testing.assert_array_equal(values(nn.Dropout(0.0)(x)), values(x))
    assert not values(nn.Dropout(1.0)(x)).any()
    for p in (-0.1, 1.5, "0.5"):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)


def test_dropout_is_reproducible_with_manual_seed():
    x = ag.ones(8, 8)
    ag.manual_seed(3)
    first = values(nn.Dropout()(x)).copy()
    ag.manual_seed(3)
    np.testing.assert_array_equal(values(nn.Dropout()(x)), first)


# -- BatchNorm1d -----------------------------------------------------------------------------
def test_batchnorm_training_output_and_running_stats_by_hand():
    bn = nn.BatchNorm1d(3).double()
    with ag.no_grad():
        bn.weight.copy_(ag.tensor([1.0, 2.0, 0.5], dtype=ag.float64))
        bn.bias.copy_(ag.tensor([0.0, -1.0, 3.0], dtype=ag.float64))
    batches = [random_array((6, 3), seed=s) * (s + 1) + s for s in range(3)]
    running_mean, running_var = np.zeros(3), np.ones(3)
    for batch in batches:
        out = values(bn(ag.tensor(batch)))
        mean, var = batch.mean(axis=0), batch.var(axis=0)
        expected = (batch - mean) / np.sqrt(var + 1e-5) * [1.0, 2.0, 0.5] + [0.0, -1.0, 3.0]
        np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
        running_mean = 0.9 * running_mean + 0.1 * mean
        running_var = 0.9 * running_var + 0.1 * batch.var(axis=0, ddof=1)  # unbiased for the running estimate
    np.testing.assert_allclose(bn.running_mean.numpy(), running_mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), running_var, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3 and bn.num_batches_tracked.dtype == ag.int64

    bn.eval()
    x = random_array((4, 3), seed=9)
    expected = (x - running_mean) / np.sqrt(running_var + 1e-5) * [1.0, 2.0, 0.5] + [0.0, -1.0, 3.0]
    np.testing.assert_allclose(values(bn(ag.tensor(x))), expected, rtol=1e-10, atol=1e-12)
    assert bn.num_batches_tracked.item() == 3  # eval does not count batches


def test_batchnorm_3d_input_normalises_over_batch_and_length():
    bn = nn.BatchNorm1d(2).double()
    x = random_array((4, 2, 5), seed=2)
    mean = x.mean(axis=(0, 2), keepdims=True)
    var = x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(values(bn(ag.tensor(x))), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var(axis=(0, 2), ddof=1), rtol=1e-12)


def test_batchnorm_cumulative_average_when_momentum_is_none():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [random_array((5, 2), seed=s) + s for s in range(4)]
    for batch in batches:
        bn(ag.tensor(batch))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([b.mean(axis=0) for b in batches], axis=0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(),
                               np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0), rtol=1e-12)


@pytest.mark.parametrize("shape", [(5, 3), (2, 3), (3, 3, 4)])
def test_batchnorm_gradients_in_training(shape):
    bn = nn.BatchNorm1d(3).double()
    with ag.no_grad():
        bn.weight.copy_(ag.tensor([0.5, 1.5, -1.0], dtype=ag.float64))
    check_module_gradients(bn, random_array(shape, seed=5), atol=1e-5)


def test_batchnorm_gradients_in_eval():
    bn = nn.BatchNorm1d(3).double()
    bn(ag.tensor(random_array((6, 3), seed=6)))
    bn.eval()
    check_module_gradients(bn, random_array((4, 3), seed=7))


def test_batchnorm_without_affine_or_running_stats():
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False).double()
    assert list(bn.parameters()) == [] and list(bn.state_dict()) == []
    assert bn.running_mean is None and bn.num_batches_tracked is None
    bn.eval()  # no running statistics: batch statistics are used even in eval
    x = random_array((6, 2), seed=8)
    np.testing.assert_allclose(values(bn(ag.tensor(x))), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-10)


def test_batchnorm_input_checks():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"2D \(N, C\) or 3D"):
        bn(ag.randn(3))
    with pytest.raises(ValueError, match="3 channels"):
        bn(ag.randn(4, 2))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(ag.randn(1, 3))


def test_batchnorm_default_state():
    bn = nn.BatchNorm1d(4)
    np.testing.assert_array_equal(values(bn.weight), np.ones(4))
    np.testing.assert_array_equal(values(bn.bias), np.zeros(4))
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(4))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(4))
    assert bn.num_batches_tracked.item() == 0


# -- LayerNorm -------------------------------------------------------------------------------
@pytest.mark.parametrize("normalized_shape, shape", [(4, (4,)), (4, (3, 4)), ((2, 4), (3, 2, 4)), ([4], (2, 1, 4))])
def test_layernorm_values_and_gradients(normalized_shape, shape):
    norm = nn.LayerNorm(normalized_shape).double()
    with ag.no_grad():
        norm.weight.copy_(ag.tensor(random_array(norm.normalized_shape, seed=1)))
        norm.bias.copy_(ag.tensor(random_array(norm.normalized_shape, seed=2)))
    x = random_array(shape, seed=3)
    axes = tuple(range(x.ndim - len(norm.normalized_shape), x.ndim))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * values(norm.weight) + values(norm.bias)
    np.testing.assert_allclose(values(norm(ag.tensor(x))), expected, rtol=1e-10, atol=1e-12)
    check_module_gradients(norm, x, atol=1e-5)


def test_layernorm_options_and_errors():
    norm = nn.LayerNorm(3, elementwise_affine=False)
    assert norm.weight is None and list(norm.parameters()) == []
    assert nn.LayerNorm(3, bias=False).bias is None
    assert nn.LayerNorm((2, 3)).weight.shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"layer_norm: normalized_shape \(3,\).*\(2, 4\)"):
        nn.LayerNorm(3)(ag.randn(2, 4))


# -- Embedding ------------------------------------------------------------------------------
def test_embedding_lookup_and_gradient():
    emb = nn.Embedding(5, 3).double()
    indices = ag.tensor([[0, 2], [2, 4]])
    out = emb(indices)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(values(out), values(emb.weight)[[[0, 2], [2, 4]]])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [1, 0, 2, 0, 1])  # repeated rows accumulate


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=1)
    np.testing.assert_array_equal(values(emb.weight)[1], [0.0, 0.0])
    emb(ag.tensor([1, 1, 3])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[0, 0], [0, 0], [0, 0], [1, 1]])
    assert nn.Embedding(4, 2, padding_idx=-1).padding_idx == 3
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)


def test_embedding_default_init_is_standard_normal():
    ag.manual_seed(0)
    weight = values(nn.Embedding(2000, 100).weight)  # 2e5 draws: standard errors ~0.002
    assert abs(weight.mean()) < 0.01 and abs(weight.std() - 1) < 0.01


def test_embedding_out_of_range_index_is_an_error():
    with pytest.raises(IndexError, match="out of range"):
        nn.Embedding(3, 2)(ag.tensor([3]))


def test_embedding_from_pretrained():
    table = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    np.testing.assert_array_equal(values(emb(ag.tensor([1]))), [[3.0, 4.0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_embedding_max_norm_renormalises_used_rows():
    emb = nn.Embedding(3, 2, max_norm=1.0)
    with ag.no_grad():
        emb.weight.copy_(ag.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]))
    out = values(emb(ag.tensor([0, 1])))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(values(emb.weight)[2], [6.0, 8.0])  # unused rows are untouched


# -- second derivatives through layers (gradient penalties, Hessian-vector products) -----------
@pytest.mark.parametrize("build", [
    lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Softplus()),
    lambda: nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.LayerNorm(4), nn.LogSoftmax(dim=1)),
    lambda: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ELU(), nn.Linear(4, 1)),
], ids=["tanh-mlp", "layernorm", "batchnorm"])
def test_second_derivatives_through_layers(build):
    ag.manual_seed(0)
    model = build().double()
    x = ag.tensor(random_array((5, 3), seed=11), requires_grad=True)
    assert ag.gradgradcheck(model, (x,))
