"""Optimizers and schedulers against torch: same model, same start, same batches, same trajectory."""
import math

import numpy as np
import pytest

import autograd_core as ag
import optim
from optim import lr_scheduler

torch = pytest.importorskip("torch")

IN, HIDDEN, OUT, BATCH, STEPS = 4, 8, 3, 16, 50


def _initial_weights(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.5, size=(IN, HIDDEN)), rng.normal(0, 0.1, size=HIDDEN),
            rng.normal(0, 0.5, size=(HIDDEN, OUT)), rng.normal(0, 0.1, size=OUT)]


def _batches(seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(BATCH, IN)), rng.normal(size=(BATCH, OUT))) for _ in range(STEPS)]


def _loss(weights, x, y):
    """A 2-layer tanh MLP with a squared error; works with both libraries' tensors."""
    w1, b1, w2, b2 = weights
    hidden = (x @ w1 + b1).tanh()
    return ((hidden @ w2 + b2 - y) ** 2).mean()


def _groups(params, grouped):
    """All parameters in one group, or weights and biases in two groups with different lrs."""
    if not grouped:
        return params
    return [{"params": [params[0], params[2]]}, {"params": [params[1], params[3]], "lr": 0.02}]


def _train_ours(cls, options, grouped=False, schedule=None):
    params = [ag.tensor(w, requires_grad=True) for w in _initial_weights()]
    optimizer = cls(_groups(params, grouped), **options)
    scheduler = schedule(optimizer, lr_scheduler) if schedule else None
    for x, y in _batches():
        optimizer.zero_grad()
        _loss(params, ag.tensor(x), ag.tensor(y)).backward()
        optimizer.step()
        if scheduler:
            scheduler.step()
    return [p.detach().numpy() for p in params], optimizer


def _train_torch(cls, options, grouped=False, schedule=None):
    params = [torch.tensor(w, requires_grad=True) for w in _initial_weights()]
    optimizer = cls(_groups(params, grouped), **options)
    scheduler = schedule(optimizer, torch.optim.lr_scheduler) if schedule else None
    for x, y in _batches():
        optimizer.zero_grad()
        _loss(params, torch.tensor(x), torch.tensor(y)).backward()
        optimizer.step()
        if scheduler:
            scheduler.step()
    return [p.detach().numpy() for p in params], optimizer


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=1e-2)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.005, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.005, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=0.005, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, centered=True)),
    ("RMSprop", dict(lr=0.005, centered=True, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.1, eps=1e-6, weight_decay=0.05)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
]


def _id(config):
    name, options = config
    return name + "-" + ("-".join(f"{k}={v}" for k, v in options.items()) or "defaults")


def _assert_same(ours, theirs):
    for position, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12, err_msg=f"parameter {position}")


@pytest.mark.parametrize("config", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_trajectory_matches_torch(config):
    name, options = config
    ours, _ = _train_ours(getattr(optim, name), options)
    theirs, _ = _train_torch(getattr(torch.optim, name), options)
    assert not np.allclose(ours[0], _initial_weights()[0])  # it trained
    _assert_same(ours, theirs)


@pytest.mark.parametrize("config", CONFIGS[1::4], ids=[_id(c) for c in CONFIGS[1::4]])
def test_trajectory_with_param_groups_matches_torch(config):
    name, options = config
    ours, _ = _train_ours(getattr(optim, name), options, grouped=True)
    theirs, _ = _train_torch(getattr(torch.optim, name), options, grouped=True)
    _assert_same(ours, theirs)


def test_trajectory_with_a_scheduler_matches_torch():
    def schedule(optimizer, module):
        return module.CosineAnnealingLR(optimizer, T_max=20, eta_min=1e-3)

    ours, _ = _train_ours(optim.Adam, dict(lr=0.02), schedule=schedule)
    theirs, _ = _train_torch(torch.optim.Adam, dict(lr=0.02), schedule=schedule)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("config", CONFIGS[1::2], ids=[_id(c) for c in CONFIGS[1::2]])
def test_state_and_state_dict_match_torch(config):
    name, options = config
    _, ours = _train_ours(getattr(optim, name), options)
    _, theirs = _train_torch(getattr(torch.optim, name), options)
    our_dict, their_dict = ours.state_dict(), theirs.state_dict()
    assert set(our_dict["state"]) == set(their_dict["state"])
    for index, their_state in their_dict["state"].items():
        assert set(our_dict["state"][index]) == set(their_state)
        for key, value in their_state.items():
            np.testing.assert_allclose(our_dict["state"][index][key].numpy(), value.numpy(), rtol=1e-6, atol=1e-12)
            assert our_dict["state"][index][key].dtype == value.numpy().dtype, key
    for ours_group, their_group in zip(our_dict["param_groups"], their_dict["param_groups"]):
        assert set(ours_group) <= set(their_group)
        assert {k: v for k, v in ours_group.items()} == {k: their_group[k] for k in ours_group}


@pytest.mark.parametrize("config", CONFIGS[2::5], ids=[_id(c) for c in CONFIGS[2::5]])
def test_torch_checkpoint_loads_and_continues_identically(config):
    """A torch optimizer's state dict, loaded here, continues torch's trajectory."""
    name, options = config
    torch_params = [torch.tensor(w, requires_grad=True) for w in _initial_weights()]
    torch_optimizer = getattr(torch.optim, name)(torch_params, **options)
    batches = _batches()
    for x, y in batches[:10]:
        torch_optimizer.zero_grad()
        _loss(torch_params, torch.tensor(x), torch.tensor(y)).backward()
        torch_optimizer.step()
    params = [ag.tensor(p.detach().numpy(), requires_grad=True) for p in torch_params]
    optimizer = getattr(optim, name)(params, **options)
    optimizer.load_state_dict(torch_optimizer.state_dict())
    for x, y in batches[10:20]:
        torch_optimizer.zero_grad()
        _loss(torch_params, torch.tensor(x), torch.tensor(y)).backward()
        torch_optimizer.step()
        optimizer.zero_grad()
        _loss(params, ag.tensor(x), ag.tensor(y)).backward()
        optimizer.step()
    _assert_same([p.detach().numpy() for p in params], [p.detach().numpy() for p in torch_params])


# -- schedulers ---------------------------------------------------------------------------------
SCHEDULES = {
    "StepLR": lambda opt, m: m.StepLR(opt, step_size=7, gamma=0.3),
    "MultiStepLR": lambda opt, m: m.MultiStepLR(opt, milestones=[3, 10, 10, 25], gamma=0.5),
    "ExponentialLR": lambda opt, m: m.ExponentialLR(opt, gamma=0.93),
    "LambdaLR": lambda opt, m: m.LambdaLR(opt, lambda epoch: 1.0 / (1 + 0.1 * epoch)),
    "LambdaLR-per-group": lambda opt, m: m.LambdaLR(opt, [lambda e: 0.9 ** e, lambda e: min(1.0, (e + 1) / 5)]),
    "CosineAnnealingLR": lambda opt, m: m.CosineAnnealingLR(opt, T_max=12),
    "CosineAnnealingLR-eta_min": lambda opt, m: m.CosineAnnealingLR(opt, T_max=9, eta_min=0.002),
}
EPOCHS = 40


def _lr_sequence(optimizer, module, make):
    scheduler = make(optimizer, module)
    lrs = [scheduler.get_last_lr()]
    for _ in range(EPOCHS):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    return np.array(lrs, dtype=np.float64)


def _two_group_optimizers():
    ours = optim.SGD([{"params": [ag.zeros(1, requires_grad=True)]},
                      {"params": [ag.zeros(1, requires_grad=True)], "lr": 0.05}], lr=0.1)
    theirs = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                              {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.05}], lr=0.1)
    return ours, theirs


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_scheduler_lrs_match_torch(name):
    ours, theirs = _two_group_optimizers()
    expected = _lr_sequence(theirs, torch.optim.lr_scheduler, SCHEDULES[name])
    actual = _lr_sequence(ours, lr_scheduler, SCHEDULES[name])
    np.testing.assert_allclose(actual, expected, rtol=1e-13, atol=0)


@pytest.mark.parametrize("options", [
    dict(),
    dict(mode="max", factor=0.5, patience=2, cooldown=2),
    dict(patience=1, threshold=0.05, threshold_mode="abs", min_lr=[0.01, 0.02]),
    dict(mode="max", patience=0, threshold=0.1, threshold_mode="rel", min_lr=0.001, eps=1e-3),
])
def test_reduce_lr_on_plateau_matches_torch(options):
    rng = np.random.default_rng(3)
    metrics = np.concatenate([np.linspace(5, 3, 10), 3 + 0.01 * rng.normal(size=30), np.linspace(3, 1, 10)])
    ours, theirs = _two_group_optimizers()
    our_scheduler = lr_scheduler.ReduceLROnPlateau(ours, **options)
    their_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **options)
    for epoch, metric in enumerate(metrics):
        our_scheduler.step(float(metric))
        their_scheduler.step(float(metric))
        assert our_scheduler.get_last_lr() == pytest.approx(their_scheduler.get_last_lr(), rel=1e-14), epoch
        assert our_scheduler.num_bad_epochs == their_scheduler.num_bad_epochs
        assert our_scheduler.cooldown_counter == their_scheduler.cooldown_counter


def test_cosine_annealing_resumed_matches_torch():
    ours, theirs = _two_group_optimizers()
    for optimizer in (ours, theirs):
        for group in optimizer.param_groups:
            group["initial_lr"] = group["lr"]
    ours_scheduler = lr_scheduler.CosineAnnealingLR(ours, T_max=10, last_epoch=4)
    their_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=10, last_epoch=4)
    for _ in range(12):
        assert ours_scheduler.get_last_lr() == pytest.approx(their_scheduler.get_last_lr(), rel=1e-13)
        ours.step()
        theirs.step()
        ours_scheduler.step()
        their_scheduler.step()
    # Epoch 17: past the minimum at epoch 10, on the way back up.
    assert ours_scheduler.last_epoch == 17
    assert ours_scheduler.get_last_lr()[0] == pytest.approx(0.05 * (1 + math.cos(math.pi * 17 / 10)), rel=1e-12)
