"""The base `Optimizer.step` is the one step loop: an algorithm only writes `_update`.

The base runs the closure, visits the parameters under no_grad, skips those without a
gradient, negates for `maximize` and adds coupled weight decay; `decoupled_weight_decay`
(a class attribute, or a group's option) leaves the gradient alone.  Every update goes
through in-place changes, so each updated tensor's version counter moves.
"""
import numpy as np
import pytest

import autograd_core as ag
import optim
from optim.optimizer import Optimizer


class _Recorder(Optimizer):
    """p -= lr * g, remembering every (param, grad, state, group) the base hands over."""

    def __init__(self, params, lr=0.1, weight_decay=0.0, maximize=False):
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, maximize=maximize))
        self.calls = []

    def _update(self, param, grad, state, group):
        self.calls.append((param, grad.detach().numpy().copy(), state, group, ag.is_grad_enabled()))
        state["seen"] = state.get("seen", 0) + 1
        param.sub_(grad, alpha=group["lr"])


class _DecoupledRecorder(_Recorder):
    decoupled_weight_decay = True


def _param(values):
    return ag.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_update_gets_the_gradient_after_maximize_and_coupled_weight_decay():
    param = _param([1.0, -2.0])
    optimizer = _Recorder([param], lr=0.5, weight_decay=0.1, maximize=True)
    param.grad = ag.tensor([3.0, 4.0], dtype=ag.float64)
    optimizer.step()
    ((seen, grad, state, group, recording),) = optimizer.calls
    assert seen is param and group is optimizer.param_groups[0] and state is optimizer.state[param]
    np.testing.assert_array_equal(grad, [-3.0 + 0.1 * 1.0, -4.0 + 0.1 * -2.0])
    assert not recording  # _update runs under no_grad
    np.testing.assert_array_equal(param.detach().numpy(), [1.0 - 0.5 * grad[0], -2.0 - 0.5 * grad[1]])
    assert param.grad.numpy().tolist() == [3.0, 4.0]  # the stored gradient is not changed


def test_decoupled_weight_decay_leaves_the_gradient_alone():
    param = _param([1.0, -2.0])
    optimizer = _DecoupledRecorder([param], weight_decay=0.1, maximize=True)
    param.grad = ag.tensor([3.0, 4.0], dtype=ag.float64)
    optimizer.step()
    np.testing.assert_array_equal(optimizer.calls[0][1], [-3.0, -4.0])


def test_parameters_without_gradient_get_no_update_and_no_state():
    with_grad, without_grad = _param([1.0]), _param([2.0])
    optimizer = _Recorder([{"params": [without_grad]}, {"params": [with_grad], "lr": 0.2}])
    with_grad.grad = ag.tensor([1.0], dtype=ag.float64)
    optimizer.step()
    optimizer.step()
    assert [call[0] is with_grad for call in optimizer.calls] == [True, True]
    assert optimizer.calls[1][2] == {"seen": 2}  # one state dict per parameter, kept across steps
    assert without_grad not in optimizer.state and without_grad.detach().numpy().tolist() == [2.0]


def test_closure_runs_first_with_recording_on_and_its_loss_is_returned():
    param = _param([1.0, 2.0])
    optimizer = _Recorder([param])
    order = []

    def closure():
        order.append(("closure", ag.is_grad_enabled()))
        optimizer.zero_grad()
        loss = (param * param).sum()
        loss.backward()
        return loss

    with ag.no_grad():
        loss = optimizer.step(closure)
    assert order == [("closure", True)] and loss.item() == 5.0
    np.testing.assert_array_equal(optimizer.calls[0][1], [2.0, 4.0])


def test_an_optimizer_without_update_says_so():
    class Incomplete(Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1))

    param = _param([1.0])
    optimizer = Incomplete([param])
    optimizer.step()  # no gradient: nothing to update
    param.grad = ag.tensor([1.0], dtype=ag.float64)
    with pytest.raises(NotImplementedError, match="Incomplete"):
        optimizer.step()


def test_sgd_without_momentum_keeps_no_state_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _param([1.0, 2.0]), torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    our_optimizer, their_optimizer = optim.SGD([ours], lr=0.1), torch.optim.SGD([theirs], lr=0.1)
    ours.grad, theirs.grad = ag.tensor([1.0, 1.0], dtype=ag.float64), torch.ones(2, dtype=torch.float64)
    our_optimizer.step()
    their_optimizer.step()
    assert our_optimizer.state_dict()["state"] == their_optimizer.state_dict()["state"] == {}


def test_adam_param_groups_can_differ_in_the_kind_of_weight_decay():
    """The group's 'decoupled_weight_decay' decides, group by group, against torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(3), rng.standard_normal(3)]
    grads = [[rng.standard_normal(3), rng.standard_normal(3)] for _ in range(5)]

    def run(library, module):
        params = [library.tensor(array.copy(), requires_grad=True) for array in start]
        optimizer = module.Adam([{"params": [params[0]]}, {"params": [params[1]], "decoupled_weight_decay": True}],
                                lr=0.1, weight_decay=0.5)
        for step_grads in grads:
            for param, grad in zip(params, step_grads):
                param.grad = library.tensor(grad)
            optimizer.step()
        return [param.detach().numpy() for param in params]

    ours, theirs = run(ag, optim), run(torch, torch.optim)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    # and the two kinds really differ: the same options with coupled decay everywhere
    coupled = optim.Adam([ag.tensor(start[1].copy(), requires_grad=True)], lr=0.1, weight_decay=0.5)
    for step_grads in grads:
        coupled.param_groups[0]["params"][0].grad = ag.tensor(step_grads[1])
        coupled.step()
    assert not np.allclose(coupled.param_groups[0]["params"][0].detach().numpy(), ours[1])


OPTIMIZERS = [
    (optim.SGD, dict(lr=0.1)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),  # the second step is the fused one
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.1, weight_decay=0.1)),
    (optim.AdamW, dict(lr=0.1)),
    (optim.RMSprop, dict(lr=0.1, momentum=0.5, centered=True)),
    (optim.Adagrad, dict(lr=0.1)),
]


@pytest.mark.parametrize("cls, options", OPTIMIZERS, ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_update_bumps_the_version_counters_it_changes(cls, options, dtype):
    """What the optimizer module docstring promises backward's version checks can rely on."""
    param = ag.tensor(np.array([1.0, -2.0, 3.0], dtype=dtype), requires_grad=True)
    frozen = ag.tensor(np.array([1.0], dtype=dtype), requires_grad=True)  # no gradient: not changed
    optimizer = cls([param, frozen], **options)
    for _ in range(2):
        param.grad = ag.tensor(np.array([0.5, 0.25, -1.0], dtype=dtype))
        before = param._version[0]
        buffers_before = {key: value._version[0] for key, value in optimizer.state.get(param, {}).items()
                          if key != "step"}
        optimizer.step()
        assert param._version[0] > before
        for key, version in buffers_before.items():
            assert optimizer.state[param][key]._version[0] > version, key
    assert frozen._version[0] == 0
