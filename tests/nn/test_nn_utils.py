"""nn.utils: gradient clipping and parameter <-> vector conversion."""
import math

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn import utils


def params_with_grads(grads, dtype=ag.float64):
    params = []
    for grad in grads:
        param = nn.Parameter(ag.zeros(*np.shape(grad), dtype=dtype))
        if grad is not None:
            param.grad = ag.tensor(np.array(grad), dtype=dtype)
        params.append(param)
    return params


def test_clip_grad_norm_scales_when_above():
    params = params_with_grads([[3.0, 0.0], [[4.0]]])
    total = nn.utils.clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(total, ag.Tensor) and total.item() == pytest.approx(5.0)
    coefficient = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(params[0].grad.numpy(), [3 * coefficient, 0.0], rtol=1e-12)
    np.testing.assert_allclose(params[1].grad.numpy(), [[4 * coefficient]], rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = params_with_grads([[0.3, 0.4]])
    total = nn.utils.clip_grad_norm_(iter(params), max_norm=2.0)  # a generator is fine
    assert total.item() == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.numpy(), [0.3, 0.4])


@pytest.mark.parametrize("norm_type, expected", [(1.0, 12.0), (3, (27 + 64 + 125) ** (1 / 3)),
                                                 (math.inf, 5.0), ("inf", 5.0)])
def test_clip_grad_norm_other_norms(norm_type, expected):
    params = params_with_grads([[3.0, -4.0], [5.0]])
    total = nn.utils.clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    assert total.item() == pytest.approx(expected)
    np.testing.assert_allclose(params[1].grad.numpy(), [5.0 / (expected + 1e-6)], rtol=1e-12)


def test_clip_grad_norm_skips_missing_grads_and_accepts_one_tensor():
    params = params_with_grads([[1.0], None])
    params[1].grad = None
    assert nn.utils.clip_grad_norm_(params, 10.0).item() == pytest.approx(1.0)
    single = params_with_grads([[6.0, 8.0]])[0]
    assert nn.utils.clip_grad_norm_(single, 5.0).item() == pytest.approx(10.0)
    np.testing.assert_allclose(single.grad.numpy(), [6 * 5 / (10 + 1e-6), 8 * 5 / (10 + 1e-6)])
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_clip_grad_norm_non_finite():
    params = params_with_grads([[np.inf, 1.0]])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[0].grad.numpy(), [np.inf, 1.0])  # the error came before any change
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert math.isinf(total.item())
    # As torch: the coefficient max_norm / (inf + 1e-6) is 0, and inf * 0 is nan.
    np.testing.assert_array_equal(params[0].grad.numpy(), [np.nan, 0.0])


def test_clip_grad_norm_keeps_float32():
    params = params_with_grads([[30.0, 40.0]], dtype=ag.float32)
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert total.dtype == ag.float32 and params[0].grad.dtype == ag.float32
    np.testing.assert_allclose(params[0].grad.numpy(), [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_on_a_model():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    (model(ag.randn(16, 4)) * 100).sum().backward()
    before = math.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum()) for p in model.parameters()))
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)
    assert total.item() == pytest.approx(before, rel=1e-5)
    after = math.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum()) for p in model.parameters()))
    assert after == pytest.approx(2.0, rel=1e-5)


def test_clip_grad_value():
    params = params_with_grads([[-3.0, 0.5, 2.0], [[0.1]]])
    nn.utils.clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(params[1].grad.numpy(), [[0.1]])


def test_parameters_to_vector_and_back():
    model = nn.Linear(3, 2).double()
    vector = utils.parameters_to_vector(model.parameters())
    assert vector.shape == (8,)
    np.testing.assert_array_equal(vector.detach().numpy()[:6], model.weight.detach().numpy().reshape(-1))
    utils.vector_to_parameters(ag.arange(8, dtype=ag.float64), model.parameters())
    np.testing.assert_array_equal(model.weight.detach().numpy(), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(model.bias.detach().numpy(), [6, 7])
    assert isinstance(model.weight, nn.Parameter) and model.weight.requires_grad


def test_parameters_to_vector_is_differentiable():
    model = nn.Linear(2, 2).double()
    (utils.parameters_to_vector(model.parameters()) * 2).sum().backward()
    np.testing.assert_array_equal(model.weight.grad.numpy(), np.full((2, 2), 2.0))


def test_vector_to_parameters_checks_its_input():
    model = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="Tensor"):
        utils.vector_to_parameters(np.zeros(8), model.parameters())
    with pytest.raises(ValueError, match="8 elements"):
        utils.vector_to_parameters(ag.zeros(7), model.parameters())
