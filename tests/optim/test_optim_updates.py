"""Every optimizer's update, checked against its formula written out in numpy, for every option."""
import numpy as np
import pytest

import autograd_core as ag
import optim

SHAPES = [(), (3,), (2, 3), (1, 4, 1)]
STEPS = 6


# -- the update rules, by hand (float64 numpy; `s` is the per-parameter state dict) -------------
def sgd_reference(p, g, s, t, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                  maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum != 0:
        s["buf"] = g.copy() if t == 1 else momentum * s["buf"] + (1 - dampening) * g
        g = g + momentum * s["buf"] if nesterov else s["buf"]
    return p - lr * g


def adam_reference(p, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                   maximize=False, decoupled=False):
    beta1, beta2 = betas
    g = -g if maximize else g
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    s["m"] = beta1 * s.get("m", 0) + (1 - beta1) * g
    s["v"] = beta2 * s.get("v", 0) + (1 - beta2) * g * g
    v = s["v"]
    if amsgrad:
        s["vmax"] = np.maximum(s.get("vmax", 0), s["v"])
        v = s["vmax"]
    denom = np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps
    return p - lr / (1 - beta1 ** t) * s["m"] / denom


def adamw_reference(p, g, s, t, weight_decay=1e-2, **options):
    return adam_reference(p, g, s, t, weight_decay=weight_decay, decoupled=True, **options)


def rmsprop_reference(p, g, s, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                      maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    s["sq"] = alpha * s.get("sq", 0) + (1 - alpha) * g * g
    if centered:
        s["avg"] = alpha * s.get("avg", 0) + (1 - alpha) * g
        denom = np.sqrt(s["sq"] - s["avg"] ** 2) + eps
    else:
        denom = np.sqrt(s["sq"]) + eps
    if momentum > 0:
        s["buf"] = momentum * s.get("buf", 0) + g / denom
        return p - lr * s["buf"]
    return p - lr * g / denom


def adagrad_reference(p, g, s, t, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                      maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    s["sum"] = s.get("sum", initial_accumulator_value) + g * g
    return p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s["sum"]) + eps)


CASES = [
    (optim.SGD, sgd_reference, {}),
    (optim.SGD, sgd_reference, dict(lr=0.1)),
    (optim.SGD, sgd_reference, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, sgd_reference, dict(lr=0.1, momentum=0.9, dampening=0.5)),
    (optim.SGD, sgd_reference, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.SGD, sgd_reference, dict(lr=0.1, weight_decay=0.3)),
    (optim.SGD, sgd_reference, dict(lr=0.1, momentum=0.5, weight_decay=0.3, nesterov=True, maximize=True)),
    (optim.SGD, sgd_reference, dict(lr=0.1, maximize=True)),
    (optim.Adam, adam_reference, {}),
    (optim.Adam, adam_reference, dict(lr=0.1, betas=(0.8, 0.9), eps=1e-3)),
    (optim.Adam, adam_reference, dict(lr=0.1, weight_decay=0.3)),
    (optim.Adam, adam_reference, dict(lr=0.1, amsgrad=True)),
    (optim.Adam, adam_reference, dict(lr=0.1, maximize=True, amsgrad=True, weight_decay=0.1)),
    (optim.Adam, adam_reference, dict(lr=0.1, weight_decay=0.3, decoupled_weight_decay=True)),
    (optim.AdamW, adamw_reference, {}),
    (optim.AdamW, adamw_reference, dict(lr=0.1, weight_decay=0.5)),
    (optim.AdamW, adamw_reference, dict(lr=0.1, amsgrad=True, maximize=True, betas=(0.5, 0.6))),
    (optim.RMSprop, rmsprop_reference, {}),
    (optim.RMSprop, rmsprop_reference, dict(lr=0.05, alpha=0.9, eps=1e-4)),
    (optim.RMSprop, rmsprop_reference, dict(momentum=0.9)),
    (optim.RMSprop, rmsprop_reference, dict(centered=True)),
    (optim.RMSprop, rmsprop_reference, dict(centered=True, momentum=0.5, weight_decay=0.2, maximize=True)),
    (optim.RMSprop, rmsprop_reference, dict(weight_decay=0.2)),
    (optim.Adagrad, adagrad_reference, {}),
    (optim.Adagrad, adagrad_reference, dict(lr=0.1, lr_decay=0.5)),
    (optim.Adagrad, adagrad_reference, dict(initial_accumulator_value=0.7, eps=1e-3)),
    (optim.Adagrad, adagrad_reference, dict(weight_decay=0.2, maximize=True)),
]


def _case_id(case):
    cls, _, options = case
    return cls.__name__ + "-" + ("-".join(f"{k}={v}" for k, v in options.items()) or "defaults")


def _reference_option(options):
    # The AdamW reference is Adam's with decoupling; Adam's flag maps to the same switch.
    options = dict(options)
    if options.pop("decoupled_weight_decay", False):
        options["decoupled"] = True
    return options


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_update_matches_formula(case, shape):
    cls, reference, options = case
    rng = np.random.default_rng(len(shape))
    start = rng.uniform(-1, 1, size=shape)
    param = ag.tensor(start, requires_grad=True)
    optimizer = cls([param], **options)
    expected, state = start.copy(), {}
    for t in range(1, STEPS + 1):
        grad = rng.uniform(-1, 1, size=shape)
        param.grad = ag.tensor(grad)
        assert optimizer.step() is None
        expected = reference(expected, grad, state, t, **_reference_option(options))
        np.testing.assert_allclose(param.detach().numpy(), expected, rtol=1e-12, atol=1e-14,
                                   err_msg=f"step {t}")


@pytest.mark.parametrize("case", CASES[::3], ids=[_case_id(c) for c in CASES[::3]])
def test_update_with_gradients_from_backward(case):
    """The usual loop: loss.backward() fills .grad, step() consumes it."""
    cls, reference, options = case
    rng = np.random.default_rng(1)
    target = rng.uniform(-1, 1, size=(4,))
    start = rng.uniform(-1, 1, size=(4,))
    param = ag.tensor(start, requires_grad=True)
    optimizer = cls([param], **options)
    expected, state = start.copy(), {}
    for t in range(1, STEPS + 1):
        optimizer.zero_grad()
        loss = ((param - ag.tensor(target)) ** 2).sum()
        loss.backward()
        optimizer.step()
        expected = reference(expected, 2 * (expected - target), state, t, **_reference_option(options))
        np.testing.assert_allclose(param.detach().numpy(), expected, rtol=1e-10, atol=1e-12)


STATE_KEYS = [
    (optim.SGD, dict(momentum=0.9), {"momentum_buffer"}),
    (optim.SGD, {}, set()),
    (optim.Adam, {}, {"step", "exp_avg", "exp_avg_sq"}),
    (optim.Adam, dict(amsgrad=True), {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
    (optim.AdamW, {}, {"step", "exp_avg", "exp_avg_sq"}),
    (optim.RMSprop, {}, {"step", "square_avg"}),
    (optim.RMSprop, dict(momentum=0.9, centered=True), {"step", "square_avg", "momentum_buffer", "grad_avg"}),
    (optim.Adagrad, {}, {"step", "sum"}),
]


@pytest.mark.parametrize("cls, options, keys", STATE_KEYS)
def test_state_keys_and_dtypes_as_torch(cls, options, keys):
    param = ag.tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    optimizer = cls([param], **options)
    param.grad = ag.ones(2, 2)
    optimizer.step()
    optimizer.step()
    state = optimizer.state[param] if keys else optimizer.state.get(param, {})
    assert set(state) == keys
    for key, value in state.items():
        assert isinstance(value, ag.Tensor)
        assert not value.requires_grad
        if key == "step":
            assert value.shape == () and value.dtype == ag.float32 and value.item() == 2.0
        else:
            assert value.shape == (2, 2) and value.dtype == ag.float32, key


@pytest.mark.parametrize("cls, options, _", STATE_KEYS)
def test_float32_parameters_stay_float32_and_off_the_tape(cls, options, _):
    param = ag.tensor(np.linspace(-1, 1, 6, dtype=np.float32), requires_grad=True)
    optimizer = cls([param], lr=0.1, **options)
    for _ in range(3):
        param.grad = ag.tensor(np.linspace(1, 2, 6, dtype=np.float32))
        optimizer.step()
    assert param.dtype == ag.float32
    assert param.is_leaf and param.grad_fn is None and param.requires_grad
    assert not np.allclose(param.detach().numpy(), np.linspace(-1, 1, 6))


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad])
def test_parameters_without_gradient_are_skipped(cls):
    with_grad = ag.tensor([1.0, 2.0], requires_grad=True)
    without_grad = ag.tensor([3.0, 4.0], requires_grad=True)
    optimizer = cls([with_grad, without_grad], lr=0.1)
    with_grad.grad = ag.tensor([1.0, 1.0])
    optimizer.step()
    np.testing.assert_array_equal(without_grad.detach().numpy(), [3.0, 4.0])
    assert not np.array_equal(with_grad.detach().numpy(), [1.0, 2.0])
    if cls is not optim.Adagrad:  # Adagrad creates its state up front, as torch
        assert without_grad not in optimizer.state


def test_step_does_not_record_even_when_grad_mode_is_on():
    param = ag.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.Adam([param], lr=0.1)
    param.grad = ag.tensor([1.0, -1.0])
    assert ag.is_grad_enabled()
    optimizer.step()
    assert ag.is_grad_enabled()
    assert param.grad_fn is None
    assert all(value.grad_fn is None for value in optimizer.state[param].values())


def test_momentum_buffer_does_not_alias_the_gradient():
    param = ag.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([param], lr=0.1, momentum=0.9)
    param.grad = ag.tensor([1.0, 1.0])
    optimizer.step()
    param.grad.zero_()
    np.testing.assert_array_equal(optimizer.state[param]["momentum_buffer"].numpy(), [1.0, 1.0])


def test_adam_amsgrad_switched_on_later_creates_its_buffer():
    param = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    optimizer = optim.Adam([param], lr=0.1)
    expected, state = param.detach().numpy().copy(), {}
    for t in range(1, 4):
        if t == 2:
            optimizer.param_groups[0]["amsgrad"] = True
            state["vmax"] = 0
        grad = np.array([0.5, -1.0]) * t
        param.grad = ag.tensor(grad)
        optimizer.step()
        if t >= 2:
            expected = adam_reference(expected, grad, state, t, lr=0.1, amsgrad=True)
        else:
            expected = adam_reference(expected, grad, state, t, lr=0.1)
    np.testing.assert_allclose(param.detach().numpy(), expected, rtol=1e-12)
