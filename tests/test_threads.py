"""Threads (issue 10, item 6): grad mode and anomaly mode are per thread, and two threads training two
models at once get exactly (bit for bit) what each gets alone.

The models and their data are made before the threads start: the random generator is one per
process (as torch's default generator), so draws made by two threads at once would interleave.
"""
import threading
import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
import optim

STEPS = 60


def make_job(seed, hidden=32, batch=64, features=8, dropout=False):
    """A small MLP, SGD with momentum and a fixed batch, all drawn from `seed` (in the calling thread)."""
    ag.manual_seed(seed)
    layers = [nn.Linear(features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)]
    model = nn.Sequential(*layers)
    rng = np.random.default_rng(seed)
    x = ag.tensor(rng.standard_normal((batch, features)), dtype=ag.float32)
    y = ag.tensor(rng.standard_normal((batch, 1)), dtype=ag.float32)
    return model, x, y


def train(model, x, y, steps=STEPS, barrier=None, losses=None):
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    if barrier is not None:
        barrier.wait()  # both threads start training together
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        if losses is not None:
            losses.append(loss.item())
    return [p.detach().numpy().copy() for p in model.parameters()]


def run_in_threads(jobs, steps=STEPS):
    """Train every job in its own thread at once; the parameters of each, in job order."""
    results = [None] * len(jobs)
    errors = []
    barrier = threading.Barrier(len(jobs))

    def worker(index):
        try:
            results[index] = train(*jobs[index], steps=steps, barrier=barrier)
        except BaseException as error:  # re-raised in the main thread below
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("size", ["small", "large"])
def test_two_threads_training_at_once_equal_each_trained_alone(size):
    # "large" layers are above the kernels' size thresholds, so both threads also share the kernel pool.
    shape = dict(hidden=32, batch=64) if size == "small" else dict(hidden=1024, batch=256)
    steps = STEPS if size == "small" else 6
    alone = [train(*make_job(seed, **shape), steps=steps) for seed in (1, 2)]
    together = run_in_threads([make_job(seed, **shape) for seed in (1, 2)], steps=steps)
    for params_alone, params_together in zip(alone, together):
        for a, b in zip(params_alone, params_together):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(alone[0][0], alone[1][0])  # the two jobs really differ


def test_no_grad_in_one_thread_does_not_disable_grad_in_another():
    model, x, y = make_job(3)
    expected = train(*make_job(3))
    evaluating = threading.Event()
    stop = threading.Event()
    seen = {}

    other, ox, _ = make_job(4)

    def evaluator():
        with ag.no_grad():
            evaluating.set()
            while not stop.is_set():
                out = other(ox)
                seen.setdefault("requires_grad", out.requires_grad)
            seen["enabled_inside"] = ag.is_grad_enabled()

    thread = threading.Thread(target=evaluator)
    thread.start()
    evaluating.wait(5)
    try:
        assert ag.is_grad_enabled()
        got = train(model, x, y)
    finally:
        stop.set()
        thread.join()
    assert seen == {"requires_grad": False, "enabled_inside": False}
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("switch", ["no_grad", "set_grad_enabled", "inference_mode", "enable_grad"])
def test_every_grad_mode_switch_is_per_thread(switch):
    contexts = {"no_grad": ag.no_grad, "set_grad_enabled": lambda: ag.set_grad_enabled(False),
                "inference_mode": ag.inference_mode, "enable_grad": ag.enable_grad}
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with ag.no_grad() if switch == "enable_grad" else _nothing():
            with contexts[switch]():
                inside.set()
                release.wait(5)
                seen["worker"] = ag.is_grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    x = ag.tensor([1.0], requires_grad=True)
    seen["main"] = (x * 2).requires_grad
    release.set()
    thread.join()
    assert seen == {"worker": switch == "enable_grad", "main": True}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_anomaly_mode_in_one_thread_does_not_reach_another():
    inside, release = threading.Event(), threading.Event()
    caught = {}

    def worker():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with ag.detect_anomaly():
                inside.set()
                release.wait(5)
                x = ag.tensor([0.0], requires_grad=True)
                try:
                    with np.errstate(all="ignore"):
                        (x.sqrt() * 0).sum().backward()
                except RuntimeError as error:
                    caught["worker"] = str(error).splitlines()[0]

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    assert not ag.is_anomaly_enabled()
    x = ag.tensor([0.0], requires_grad=True)
    with np.errstate(all="ignore"):
        (x.sqrt() * 0).sum().backward()  # the same NaN raises nothing here
    release.set()
    thread.join()
    assert np.isnan(x.grad.numpy()).all()
    assert caught == {"worker": "Function 'SqrtBackward0' returned nan values in its 0th output."}


def test_many_threads_backward_at_once_on_separate_graphs():
    def job(seed, out):
        rng = np.random.default_rng(seed)
        x = ag.tensor(rng.standard_normal((50, 20)), requires_grad=True)
        for _ in range(30):
            loss = ((x @ x.T).tanh() * x.sum(1, keepdim=True)).exp().mean()
            (g,) = ag.grad(loss, x)
            out.append(g.numpy().copy())

    alone = [[] for _ in range(4)]
    for seed in range(4):
        job(seed, alone[seed])
    together = [[] for _ in range(4)]
    threads = [threading.Thread(target=job, args=(seed, together[seed])) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for a, b in zip(alone, together):
        assert len(a) == len(b) == 30
        for ga, gb in zip(a, b):
            np.testing.assert_array_equal(ga, gb)
