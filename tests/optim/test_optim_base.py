"""The Optimizer base: parameter groups, zero_grad, closures, state_dict round trips, errors, repr."""
import copy

import numpy as np
import pytest

import autograd_core as ag
import optim

ALL = [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad]
WITH_STATE = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.1, amsgrad=True)),
    (optim.AdamW, dict(lr=0.1)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
]


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return [ag.tensor(rng.uniform(-1, 1, size=shape), requires_grad=True) for shape in [(3, 2), (2,), ()]]


def _set_grads(params, t):
    for position, param in enumerate(params):
        param.grad = ag.tensor(np.sin(np.arange(param.numel()).reshape(param.shape) + t + position))


def _values(params):
    return [param.detach().numpy().copy() for param in params]


# -- construction errors -------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_empty_parameter_list(cls):
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        cls([])
    with pytest.raises(ValueError, match="empty parameter list"):
        cls(iter([]))


def test_a_single_tensor_is_not_a_parameter_list():
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(ag.zeros(3, requires_grad=True), lr=0.1)


def test_non_tensor_and_non_leaf_parameters():
    with pytest.raises(TypeError, match="can only optimize Tensors.*list"):
        optim.SGD([[1.0, 2.0]], lr=0.1)
    leaf = ag.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([leaf * 2], lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD({leaf}, lr=0.1)


def test_parameter_in_two_groups():
    a, b = ag.zeros(2, requires_grad=True), ag.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a, b]}, {"params": [b]}], lr=0.1)
    optimizer = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [b, a]})
    assert len(optimizer.param_groups) == 1
    with pytest.raises(ValueError, match="same parameter more than once"):
        optim.SGD([a, a], lr=0.1)


@pytest.mark.parametrize("cls, options, message", [
    (optim.SGD, dict(lr=-0.1), "invalid learning rate value: -0.1"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), "invalid momentum value: -0.5"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1), "invalid weight_decay value: -1"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (optim.SGD, dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1), "zero dampening.*dampening=0.1"),
    (optim.Adam, dict(lr=-1e-3), "Adam: invalid learning rate value: -0.001"),
    (optim.Adam, dict(eps=-1e-8), "invalid epsilon value: -1e-08"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "beta parameter at index 0: 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "beta parameter at index 1: -0.1"),
    (optim.Adam, dict(betas=0.9), "betas must be a pair"),
    (optim.Adam, dict(weight_decay=-0.1), "invalid weight_decay value: -0.1"),
    (optim.AdamW, dict(betas=(0.9, 1.5)), "AdamW: invalid beta parameter at index 1: 1.5"),
    (optim.AdamW, dict(lr=float("nan")), "learning rate value: nan"),
    (optim.RMSprop, dict(alpha=-0.5), "invalid alpha value: -0.5"),
    (optim.RMSprop, dict(momentum=-0.5), "invalid momentum value: -0.5"),
    (optim.RMSprop, dict(eps=-1.0), "invalid epsilon value: -1.0"),
    (optim.Adagrad, dict(lr_decay=-1.0), "invalid lr_decay value: -1.0"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "invalid initial_accumulator_value value: -1.0"),
    (optim.Adagrad, dict(weight_decay="a lot"), "invalid weight_decay value: 'a lot'"),
])
def test_invalid_options(cls, options, message):
    with pytest.raises(ValueError, match=message):
        cls([ag.zeros(2, requires_grad=True)], **options)


def test_invalid_option_in_a_group():
    param = ag.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="learning rate value: -1"):
        optim.SGD([{"params": [param], "lr": -1}], lr=0.1)


# -- groups ----------------------------------------------------------------------------------------
def test_param_groups_hold_every_option():
    params = _params()
    optimizer = optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.5}], lr=0.1, amsgrad=True)
    first, second = optimizer.param_groups
    assert first["lr"] == 0.1 and second["lr"] == 0.5
    for group in (first, second):
        assert set(group) == {"params", "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize",
                              "decoupled_weight_decay"}
        assert group["amsgrad"] is True
    assert first["params"][0] is params[0] and second["params"][0] is params[2]


def test_param_groups_with_different_learning_rates():
    fast, slow = ag.tensor([1.0], requires_grad=True), ag.tensor([1.0], requires_grad=True)
    optimizer = optim.SGD([{"params": [fast], "lr": 1.0}, {"params": [slow]}], lr=0.1)
    fast.grad, slow.grad = ag.tensor([1.0]), ag.tensor([1.0])
    optimizer.step()
    np.testing.assert_allclose(fast.detach().numpy(), [0.0], atol=1e-7)
    np.testing.assert_allclose(slow.detach().numpy(), [0.9], rtol=1e-7)
    optimizer.param_groups[1]["lr"] = 0.5  # a scheduler's way of changing the lr
    optimizer.step()
    np.testing.assert_allclose(slow.detach().numpy(), [0.4], rtol=1e-6)


def test_add_param_group_later():
    a, b = ag.tensor([1.0], requires_grad=True), ag.tensor([1.0], requires_grad=True)
    optimizer = optim.SGD([a], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": b, "lr": 0.2})
    assert optimizer.param_groups[1]["momentum"] == 0.9 and optimizer.param_groups[1]["lr"] == 0.2
    a.grad, b.grad = ag.tensor([1.0]), ag.tensor([1.0])
    optimizer.step()
    np.testing.assert_allclose(b.detach().numpy(), [0.8], rtol=1e-6)
    with pytest.raises(ValueError, match="no 'params'"):
        optimizer.add_param_group({"lr": 0.1})
    with pytest.raises(TypeError, match="expected a dict"):
        optimizer.add_param_group([ag.zeros(1, requires_grad=True)])


def test_adagrad_group_added_later_gets_its_state():
    a, b = ag.tensor([1.0], requires_grad=True), ag.tensor([1.0], requires_grad=True)
    optimizer = optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.5)
    optimizer.add_param_group({"params": [b], "initial_accumulator_value": 2.0})
    assert optimizer.state[a]["sum"].item() == 0.5 and optimizer.state[b]["sum"].item() == 2.0


def test_named_parameters():
    a, b = ag.zeros(2, requires_grad=True), ag.zeros(3, requires_grad=True)
    optimizer = optim.SGD([("weight", a), ("bias", b)], lr=0.1)
    assert optimizer.param_groups[0]["param_names"] == ["weight", "bias"]
    assert optimizer.param_groups[0]["params"][1] is b
    assert optimizer.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


# -- zero_grad and closures ----------------------------------------------------------------------
def test_zero_grad_sets_to_none_by_default():
    params = _params()
    optimizer = optim.SGD(params, lr=0.1)
    _set_grads(params, 0)
    optimizer.zero_grad()
    assert all(param.grad is None for param in params)


def test_zero_grad_in_place():
    params = _params()
    optimizer = optim.SGD(params, lr=0.1)
    _set_grads(params, 0)
    grads = [param.grad for param in params]
    optimizer.zero_grad(set_to_none=False)
    for param, grad in zip(params, grads):
        assert param.grad is grad
        np.testing.assert_array_equal(grad.numpy(), np.zeros(param.shape))


def test_closure_is_evaluated_with_grad_enabled_and_its_loss_returned():
    param = ag.tensor([2.0, -1.0], dtype=ag.float64, requires_grad=True)
    optimizer = optim.SGD([param], lr=0.25)
    calls = []

    def closure():
        calls.append(ag.is_grad_enabled())
        optimizer.zero_grad()
        loss = (param * param).sum()
        loss.backward()
        return loss

    with ag.no_grad():
        loss = optimizer.step(closure)
    assert calls == [True]
    assert loss.item() == 5.0
    np.testing.assert_allclose(param.detach().numpy(), [1.0, -0.5])  # p - 0.25 * 2p
    for cls in ALL:
        assert cls([ag.zeros(1, requires_grad=True)]).step(lambda: 7.0) == 7.0


# -- state_dict ------------------------------------------------------------------------------------
def test_state_dict_format():
    params = _params()
    optimizer = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], lr=0.1)
    _set_grads(params, 0)
    optimizer.step()
    state = optimizer.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert [group["params"] for group in state["param_groups"]] == [[0], [1, 2]]
    assert state["param_groups"][1]["lr"] == 0.5 and state["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(state["state"]) == {0, 1, 2}
    assert set(state["state"][1]) == {"step", "exp_avg", "exp_avg_sq"}
    assert state["state"][1]["step"].item() == 1.0
    # Changing the returned dicts does not change the optimizer.
    state["param_groups"][0]["lr"] = 99.0
    state["state"][0]["step"] = None
    assert optimizer.param_groups[0]["lr"] == 0.1 and optimizer.state[params[0]]["step"] is not None


def test_state_dict_skips_parameters_without_state():
    params = _params()
    optimizer = optim.SGD(params, lr=0.1, momentum=0.9)
    params[1].grad = ag.ones(2, dtype=ag.float64)
    optimizer.step()
    assert set(optimizer.state_dict()["state"]) == {1}


@pytest.mark.parametrize("cls, options", WITH_STATE, ids=lambda x: getattr(x, "__name__", ""))
def test_state_dict_round_trip_continues_the_same_trajectory(cls, options):
    params = _params()
    optimizer = cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}], **options)
    for t in range(3):
        _set_grads(params, t)
        optimizer.step()
    saved = copy.deepcopy(optimizer.state_dict())
    copies = [ag.tensor(value, requires_grad=True) for value in _values(params)]
    restored = cls([{"params": copies[:2]}, {"params": copies[2:]}], lr=123.0)
    restored.load_state_dict(saved)
    assert restored.param_groups[0]["lr"] == options["lr"] and restored.param_groups[1]["lr"] == 0.05
    for t in range(3, 7):
        _set_grads(params, t)
        _set_grads(copies, t)
        optimizer.step()
        restored.step()
        for original, copied in zip(_values(params), _values(copies)):
            np.testing.assert_array_equal(original, copied)


def test_load_state_dict_copies_the_state_tensors():
    param = ag.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([param], lr=0.1, momentum=0.9)
    param.grad = ag.tensor([1.0, 1.0])
    optimizer.step()
    other_param = ag.tensor([1.0, 2.0], requires_grad=True)
    other = optim.SGD([other_param], lr=0.1, momentum=0.9)
    other.load_state_dict(optimizer.state_dict())
    assert other.state[other_param]["momentum_buffer"] is not optimizer.state[param]["momentum_buffer"]
    optimizer.state[param]["momentum_buffer"].zero_()
    np.testing.assert_array_equal(other.state[other_param]["momentum_buffer"].numpy(), [1.0, 1.0])


def test_load_state_dict_casts_float_state_to_the_parameter_dtype():
    param64 = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    optimizer = optim.Adam([param64])
    param64.grad = ag.ones(2, dtype=ag.float64)
    optimizer.step()
    param32 = ag.tensor([1.0, 2.0], requires_grad=True)
    other = optim.Adam([param32])
    other.load_state_dict(optimizer.state_dict())
    assert other.state[param32]["exp_avg"].dtype == ag.float32
    assert other.state[param32]["step"].dtype == ag.float32


def test_load_state_dict_accepts_a_plain_number_step():
    param = ag.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.Adam([param])
    saved = {"state": {0: {"step": 3, "exp_avg": np.zeros(2), "exp_avg_sq": np.zeros(2)}},
             "param_groups": [{"lr": 0.1, "params": [0]}]}
    optimizer.load_state_dict(saved)
    assert isinstance(optimizer.state[param]["step"], ag.Tensor) and optimizer.state[param]["step"].item() == 3
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.999)  # missing options fall back to the defaults


@pytest.mark.parametrize("change, message", [
    (lambda sd: sd["param_groups"].pop(), "1 parameter groups, but the optimizer has 2"),
    (lambda sd: sd["param_groups"][1]["params"].append(7), "group 1 has 2 parameters.*has 1"),
    (lambda sd: sd["state"][0].update(exp_avg=ag.zeros(5)), r"'exp_avg' of parameter 0 has shape \(5,\).*\(3, 2\)"),
    (lambda sd: sd["state"].update({9: {}}), "parameter 9"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), "learning rate value: -1.0"),
    (lambda sd: sd.pop("state"), "expected a dict with 'state' and 'param_groups'"),
])
def test_load_state_dict_errors_leave_the_optimizer_unchanged(change, message):
    params = _params()
    optimizer = optim.Adam([{"params": params[:2]}, {"params": params[2:]}], lr=0.1)
    _set_grads(params, 0)
    optimizer.step()
    before_groups = copy.deepcopy([{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups])
    before_state = {id(p): {k: v.numpy().copy() for k, v in s.items()} for p, s in optimizer.state.items()}
    state_objects = {id(p): dict(s) for p, s in optimizer.state.items()}
    saved = copy.deepcopy(optimizer.state_dict())
    for value in saved["state"].values():  # make the loaded state visibly different
        value["step"] = ag.tensor(50.0)
    change(saved)
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(saved)
    assert [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups] == before_groups
    for param, state in optimizer.state.items():
        for key, value in state.items():
            assert value is state_objects[id(param)][key]
            np.testing.assert_array_equal(value.numpy(), before_state[id(param)][key])


def test_repr_like_torch():
    optimizer = optim.SGD([ag.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    assert repr(optimizer) == (
        "SGD (\n"
        "Parameter Group 0\n"
        "    dampening: 0\n"
        "    lr: 0.1\n"
        "    maximize: False\n"
        "    momentum: 0.9\n"
        "    nesterov: False\n"
        "    weight_decay: 0\n"
        ")"
    )
    two = optim.Adam([{"params": [ag.zeros(1, requires_grad=True)]}, {"params": [ag.zeros(1, requires_grad=True)]}])
    assert "Parameter Group 1\n    amsgrad: False" in repr(two)
