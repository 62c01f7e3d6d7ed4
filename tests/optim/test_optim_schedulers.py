"""Learning-rate schedulers: lr sequences against hand-computed values, state dicts, errors."""
import math
import warnings

import numpy as np
import pytest

import autograd_core as ag
import optim
from optim import lr_scheduler


def _optimizer(lr=1.0, groups=1):
    return optim.SGD([{"params": [ag.zeros(1, requires_grad=True)]} for _ in range(groups)], lr=lr)


def _run(scheduler, epochs):
    """lr of group 0 at epochs 0 .. epochs-1 (the optimizer steps before the scheduler, as it should)."""
    values = []
    for _ in range(epochs):
        values.append(scheduler.optimizer.param_groups[0]["lr"])
        scheduler.optimizer.step()
        scheduler.step()
    return values


def test_step_lr():
    scheduler = lr_scheduler.StepLR(_optimizer(), step_size=3, gamma=0.5)
    assert scheduler.get_last_lr() == [1.0] and scheduler.last_epoch == 0
    assert _run(scheduler, 10) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    assert scheduler.last_epoch == 10 and scheduler.get_last_lr() == [0.125]


def test_multi_step_lr_with_a_repeated_milestone():
    scheduler = lr_scheduler.MultiStepLR(_optimizer(), milestones=[2, 5, 5], gamma=0.1)
    np.testing.assert_allclose(_run(scheduler, 8), [1, 1, 0.1, 0.1, 0.1, 1e-3, 1e-3, 1e-3], rtol=1e-12)


def test_exponential_lr():
    scheduler = lr_scheduler.ExponentialLR(_optimizer(lr=0.5), gamma=0.9)
    np.testing.assert_allclose(_run(scheduler, 12), [0.5 * 0.9 ** e for e in range(12)], rtol=1e-12)


def test_lambda_lr_one_function_and_one_per_group():
    scheduler = lr_scheduler.LambdaLR(_optimizer(lr=2.0), lambda epoch: 1 / (epoch + 1))
    np.testing.assert_allclose(_run(scheduler, 5), [2 / (e + 1) for e in range(5)], rtol=1e-12)
    optimizer = _optimizer(lr=1.0, groups=2)
    optimizer.param_groups[1]["lr"] = 3.0
    scheduler = lr_scheduler.LambdaLR(optimizer, [lambda e: 0.5 ** e, lambda e: e + 1])
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    assert scheduler.get_last_lr() == [0.125, 12.0]
    assert scheduler.base_lrs == [1.0, 3.0]


def test_lambda_lr_errors():
    with pytest.raises(ValueError, match="expected 2 lr_lambdas.*got 1"):
        lr_scheduler.LambdaLR(_optimizer(groups=2), [lambda e: 1.0])
    with pytest.raises(TypeError, match="must be callable"):
        lr_scheduler.LambdaLR(_optimizer(), 0.5)


def test_cosine_annealing_follows_the_cosine_through_two_periods():
    scheduler = lr_scheduler.CosineAnnealingLR(_optimizer(lr=0.1), T_max=10, eta_min=0.01)
    expected = [0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(35)]
    np.testing.assert_allclose(_run(scheduler, 35), expected, rtol=1e-10, atol=1e-15)


def test_cosine_annealing_is_recursive_like_torch():
    """An lr changed by hand between steps carries forward (torch's recursive form does this)."""
    optimizer = _optimizer(lr=1.0)
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    optimizer.step()
    scheduler.step()
    optimizer.param_groups[0]["lr"] = 0.5
    scheduler.step()
    ratio = (1 + math.cos(math.pi * 2 / 4)) / (1 + math.cos(math.pi * 1 / 4))
    assert scheduler.get_last_lr()[0] == pytest.approx(0.5 * ratio, rel=1e-12)


def test_reduce_lr_on_plateau_patience_cooldown_and_min_lr():
    optimizer = _optimizer(lr=1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2, threshold=0.1,
                                               threshold_mode="abs", cooldown=1, min_lr=0.2)
    metrics = [10, 9, 9, 9, 9, 9, 9, 9, 9, 5, 5, 5, 5, 5, 5, 5, 5]
    lrs = []
    for metric in metrics:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2]
    assert scheduler.best == 5 and scheduler.last_epoch == len(metrics)


@pytest.mark.parametrize("mode, threshold_mode, best, better, not_better", [
    ("min", "rel", 10.0, 9.98, 9.9995),
    ("min", "abs", 10.0, 9.8, 9.95),
    ("max", "rel", 10.0, 10.02, 10.0005),
    ("max", "abs", 10.0, 10.2, 10.05),
])
def test_reduce_lr_on_plateau_improvement_rules(mode, threshold_mode, best, better, not_better):
    threshold = 1e-3 if threshold_mode == "rel" else 0.1
    scheduler = lr_scheduler.ReduceLROnPlateau(_optimizer(), mode=mode, threshold=threshold,
                                               threshold_mode=threshold_mode)
    assert scheduler.is_better(better, best)
    assert not scheduler.is_better(not_better, best)


def test_reduce_lr_on_plateau_accepts_a_tensor_metric_and_per_group_min_lrs():
    optimizer = _optimizer(lr=1.0, groups=2)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=0, factor=0.1, min_lr=[0.5, 0.0])
    scheduler.step(ag.tensor(1.0))
    scheduler.step(ag.tensor(0.5))
    assert scheduler.get_last_lr() == [0.5, 0.1]


def test_reduce_lr_on_plateau_errors():
    with pytest.raises(ValueError, match="factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(_optimizer(), factor=1.0)
    with pytest.raises(ValueError, match="mode 'best' is unknown"):
        lr_scheduler.ReduceLROnPlateau(_optimizer(), mode="best")
    with pytest.raises(ValueError, match="threshold mode 'relative' is unknown"):
        lr_scheduler.ReduceLROnPlateau(_optimizer(), threshold_mode="relative")
    with pytest.raises(ValueError, match="expected 2 min_lrs"):
        lr_scheduler.ReduceLROnPlateau(_optimizer(groups=2), min_lr=[0.1])
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.ReduceLROnPlateau("adam")


def test_reduce_lr_on_plateau_state_dict_round_trip():
    scheduler = lr_scheduler.ReduceLROnPlateau(_optimizer(), patience=1)
    for metric in [3.0, 2.0, 2.5]:
        scheduler.step(metric)
    state = scheduler.state_dict()
    assert "optimizer" not in state and state["best"] == 2.0 and state["num_bad_epochs"] == 1
    other = lr_scheduler.ReduceLROnPlateau(_optimizer())
    other.load_state_dict(state)
    other.step(2.5)
    assert other.get_last_lr() == [0.1]


def test_initial_lr_and_base_lrs():
    optimizer = _optimizer(lr=0.3, groups=2)
    optimizer.param_groups[1]["lr"] = 0.7
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    assert [group["initial_lr"] for group in optimizer.param_groups] == [0.3, 0.7]
    assert scheduler.base_lrs == [0.3, 0.7]


def test_state_dict_round_trip_resumes_the_schedule():
    scheduler = lr_scheduler.StepLR(_optimizer(), step_size=2, gamma=0.5)
    _run(scheduler, 5)
    state = scheduler.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 5
    optimizer = _optimizer()
    optimizer.load_state_dict(scheduler.optimizer.state_dict())
    resumed = lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.9, last_epoch=4)
    resumed.load_state_dict(state)
    assert _run(resumed, 4) == _run(scheduler, 4) == [0.25, 0.125, 0.125, 0.0625]


def test_lambda_lr_state_dict_keeps_callable_objects_only():
    class Warmup:
        def __init__(self):
            self.length = 3

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.length)

    warmup = Warmup()
    scheduler = lr_scheduler.LambdaLR(_optimizer(groups=2), [warmup, lambda e: 1.0])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"length": 3}, None]
    state["lr_lambdas"][0]["length"] = 10
    scheduler.load_state_dict(state)
    assert warmup.length == 10


def test_resuming_without_initial_lr_is_a_clear_error():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(_optimizer(), step_size=2, last_epoch=3)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        lr_scheduler.StepLR(_optimizer(), step_size=0)
    with pytest.raises(ValueError, match="T_max must be a positive integer"):
        lr_scheduler.CosineAnnealingLR(_optimizer(), T_max=0)


def test_warns_when_the_scheduler_steps_before_the_optimizer():
    scheduler = lr_scheduler.StepLR(_optimizer(), step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()
    optimizer = _optimizer()
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        scheduler.step()
        scheduler.step()


def test_explicit_epoch_uses_the_closed_form_and_warns():
    scheduler = lr_scheduler.StepLR(_optimizer(), step_size=2, gamma=0.5)
    scheduler.optimizer.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(5)
    assert scheduler.get_last_lr() == [0.25] and scheduler.last_epoch == 5
    scheduler = lr_scheduler.MultiStepLR(_optimizer(), milestones=[1, 3], gamma=0.1)
    with pytest.warns(UserWarning):
        scheduler.step(3)
    assert scheduler.get_last_lr()[0] == pytest.approx(0.01, rel=1e-12)


def test_scheduler_changes_the_optimizer_update():
    param = ag.tensor([1.0], dtype=ag.float64, requires_grad=True)
    optimizer = optim.SGD([param], lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(3):
        param.grad = ag.tensor([1.0], dtype=ag.float64)
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(param.detach().numpy(), [1.0 - 1.0 - 0.5 - 0.25])
