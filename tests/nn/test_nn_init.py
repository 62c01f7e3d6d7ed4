"""nn.init: fans, gains, bounds and spreads of every initialiser; in place, no grad, seeded."""
import math

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn import init


def test_calculate_gain_table():
    for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid"):
        assert init.calculate_gain(name) == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fans():
    assert init._calculate_fan_in_and_fan_out(ag.empty(3, 5)) == (5, 3)
    assert init._calculate_fan_in_and_fan_out(ag.empty(4, 2, 3, 3)) == (18, 36)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ag.empty(4))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ag.empty(3, 3), mode="fan_avg")


def test_fills_in_place_without_recording_and_returns_the_tensor():
    param = nn.Parameter(ag.empty(3, 4))
    for fn, args in ((init.zeros_, ()), (init.ones_, ()), (init.constant_, (2.5,)), (init.uniform_, (-1, 1)),
                     (init.normal_, (0, 1)), (init.xavier_uniform_, ()), (init.xavier_normal_, ()),
                     (init.kaiming_uniform_, ()), (init.kaiming_normal_, ()), (init.trunc_normal_, ()),
                     (init.eye_, ()), (init.orthogonal_, ())):
        result = fn(param, *args)
        assert result is param, fn.__name__
        assert param.is_leaf and param.grad_fn is None and param.requires_grad, fn.__name__
        assert param.dtype == ag.float32, fn.__name__


def test_constant_values():
    t = ag.empty(2, 3)
    assert np.all(init.constant_(t, 0.3).numpy() == np.float32(0.3))
    assert np.all(init.ones_(t).numpy() == 1) and not init.zeros_(t).numpy().any()
    np.testing.assert_array_equal(init.eye_(ag.empty(2, 3)).numpy(), np.eye(2, 3))


def sample(fn, shape=(300, 400), **kwargs):
    ag.manual_seed(0)
    return fn(ag.empty(*shape, dtype=ag.float64), **kwargs).numpy()


def test_uniform_and_normal():
    u = sample(init.uniform_, a=-2.0, b=3.0)
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.02
    n = sample(init.normal_, mean=1.0, std=2.0)
    assert abs(n.mean() - 1) < 0.02 and abs(n.std() - 2) < 0.02


def test_xavier():
    std = math.sqrt(2.0 / (300 + 400))
    u = sample(init.xavier_uniform_, gain=2.0)
    assert np.abs(u).max() <= 2.0 * math.sqrt(3) * std
    assert abs(u.std() - 2.0 * std) < 0.01 * 2.0 * std
    n = sample(init.xavier_normal_)
    assert abs(n.std() - std) < 0.01 * std


@pytest.mark.parametrize("mode, fan", [("fan_in", 400), ("fan_out", 300)])
@pytest.mark.parametrize("nonlinearity, a, gain", [("relu", 0, math.sqrt(2)),
                                                   ("leaky_relu", 0.1, math.sqrt(2 / 1.01)),
                                                   ("tanh", 0, 5 / 3)])
def test_kaiming(mode, fan, nonlinearity, a, gain):
    std = gain / math.sqrt(fan)
    u = sample(init.kaiming_uniform_, a=a, mode=mode, nonlinearity=nonlinearity)
    assert np.abs(u).max() <= math.sqrt(3) * std
    assert abs(u.std() - std) < 0.01 * std
    n = sample(init.kaiming_normal_, a=a, mode=mode, nonlinearity=nonlinearity)
    assert abs(n.std() - std) < 0.01 * std and abs(n.mean()) < 0.01 * std


def test_kaiming_on_an_empty_tensor_warns_and_does_nothing():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(ag.empty(0, 3))


def test_trunc_normal_stays_in_bounds():
    t = sample(init.trunc_normal_, std=1.0, a=-0.5, b=1.0)
    assert t.min() >= -0.5 and t.max() <= 1.0
    assert abs(t.mean() - 0.2) < 0.1
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(ag.empty(2), a=1.0, b=0.0)


def test_orthogonal_rows_are_orthonormal():
    w = sample(init.orthogonal_, shape=(3, 5))
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-10)
    w = sample(init.orthogonal_, shape=(5, 3), gain=2.0)
    np.testing.assert_allclose(w.T @ w, 4 * np.eye(3), atol=1e-10)


def test_same_seed_same_values():
    ag.manual_seed(7)
    first = init.kaiming_normal_(ag.empty(4, 4)).numpy().copy()
    ag.manual_seed(7)
    np.testing.assert_array_equal(init.kaiming_normal_(ag.empty(4, 4)).numpy(), first)


def test_non_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.uniform_(np.zeros(3))
