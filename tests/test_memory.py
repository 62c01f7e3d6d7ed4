"""Memory (issue 10, item 5): a backward frees what the tape saved, training does not grow, no cycles.

* After ``backward()`` without retain_graph every saved intermediate is freed, even while the
  output (and so the whole graph of nodes) is still referenced -- as torch.
* 1,000 training steps keep the resident set size flat (within 5% after a warm-up), measured in
  a child process so that nothing else in the test session moves it.
* The graph holds no reference cycle: with the cycle collector off, dropping the last reference
  to a loss frees every tensor and node at once (in-place changes through views included).
"""
import gc
import os
import subprocess
import sys
import textwrap
import tracemalloc
import weakref

import numpy as np
import pytest

import autograd_core as ag
import nn
import optim
from autograd_core.graph import Node

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHAIN = [lambda t: t.exp(), lambda t: t.tanh(), lambda t: t * 1.01, lambda t: t.sin(), lambda t: t.sigmoid(),
         lambda t: t * t, lambda t: t + 1, lambda t: t.relu(), lambda t: t.abs(), lambda t: t / 3.0,
         lambda t: t.cos(), lambda t: t.log1p(), lambda t: t.sqrt(), lambda t: t - 0.5, lambda t: t.pow(2),
         lambda t: ag.nn.functional.gelu(t), lambda t: t.softmax(0), lambda t: t.clamp(-1, 1),
         lambda t: ag.nn.functional.elu(t), lambda t: t * 0.5]


def nodes_of(tensor):
    seen, stack, order = set(), [tensor.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(edge[0] for edge in node.edges if edge is not None and isinstance(edge[0], Node))
    return order


def saved_array_refs(nodes):
    """Weak references to every array a node keeps for its VJP (saved values, outputs, ctx attributes)."""
    refs = []
    for node in nodes:
        values = list(node.saved_arrays or ()) + list(node.output_arrays or ())
        values += [v for k, v in node.__dict__.items() if k not in ("output_shapes",)]
        for value in values:
            if isinstance(value, np.ndarray) and value.size > 1000:
                refs.append(weakref.ref(value))
    return refs


def chain(x):
    y = x
    for op in CHAIN:
        y = op(y)
    return y.sum()


@pytest.fixture
def fixed_threads(monkeypatch):
    """The same thread decision in the warm-up and the measured run: otherwise a kernel that ran
    serially in the warm-up (a busy machine, a BLAS thread still spinning) may first run split
    in the measured one, and what Numba loads for that (the native chunk driver) is counted."""
    from autograd_core.kernels import parallel

    monkeypatch.setattr(parallel, "WATCH_OTHER_THREADS", False)
    monkeypatch.setattr(parallel, "_num_threads", 2)


def test_a_backward_frees_every_saved_intermediate_while_the_output_lives(fixed_threads):
    x = ag.tensor(np.random.default_rng(0).standard_normal(1_000_000) * 0.1, requires_grad=True)
    chain(x).backward()  # warm-up: kernels compiled, caches filled
    x.grad = None
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = chain(x)
        nodes = nodes_of(out)
        refs = saved_array_refs(nodes)
        assert len(nodes) >= 20 and len(refs) >= 15  # the chain really saves its intermediates
        held = tracemalloc.get_traced_memory()[0] - before
        out.backward()
        after = tracemalloc.get_traced_memory()[0] - before
        limit = x.grad.numpy().nbytes + 1_000_000
        # where the memory went, for the message of the check below (a snapshot only if it fails)
        where = tracemalloc.take_snapshot().statistics("lineno")[:5] if after >= limit else []
    finally:
        tracemalloc.stop()
    assert out.grad_fn is not None  # out (and every node) is still referenced
    alive = [ref for ref in refs if ref() is not None]
    assert not alive, f"{len(alive)} saved arrays survived the backward"
    assert all(node.saved_arrays is None and node.output_arrays is None for node in nodes)
    grad_bytes = x.grad.numpy().nbytes
    assert held > 10 * grad_bytes  # what forward kept: > 80 MB
    assert after < limit, (f"{after / 1e6:.1f} MB still allocated after backward (x.grad: 8 MB), most at: "
                           + "; ".join(str(line) for line in where))


def test_retain_graph_keeps_them_and_the_second_backward_frees_them():
    x = ag.tensor(np.linspace(-1, 1, 5000), requires_grad=True)
    out = chain(x)
    refs = saved_array_refs(nodes_of(out))
    out.backward(retain_graph=True)
    assert all(ref() is not None for ref in refs)
    out.backward()
    assert all(ref() is None for ref in refs)


RSS_CHILD = textwrap.dedent("""
    import gc, json, os, sys
    sys.path.insert(0, {root!r})
    import numpy as np
    import autograd_core as ag, nn, optim

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 128), nn.Tanh(),
                          nn.LayerNorm(128), nn.Linear(128, 10))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=100, gamma=0.9)
    rng = np.random.default_rng(0)
    data = ag.tensor(rng.standard_normal((512, 64)), dtype=ag.float32)
    labels = ag.tensor(rng.integers(0, 10, 512))
    samples = []
    for step in range(1, 1001):
        batch = rng.integers(0, 512, 64)
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(data[batch]), labels[batch])
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % 100 == 0:
            samples.append(rss())
    print(json.dumps(samples))
""")


def test_rss_stays_flat_over_1000_training_steps():
    script = RSS_CHILD.format(root=ROOT)
    # One BLAS thread: the small matrix products are then fast even on a loaded machine (RSS is the point).
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    samples = [int(v) for v in result.stdout.strip().splitlines()[-1].strip("[]").split(",")]
    warm = samples[1]  # after 200 steps
    growth = (max(samples[1:]) - warm) / warm
    figures = [round(s / 2**20, 1) for s in samples]
    print(f"RSS every 100 steps (MiB): {figures}; growth after step 200: {growth:.2%}")
    assert growth < 0.05, f"RSS grew {growth:.1%} after warm-up: {figures} MiB"


# -- reference cycles: nothing of a graph waits for the cycle collector ---------------------------
def _view_mul_(x):
    y = x * 2
    y[0].mul_(3)
    return (y * y).sum()


def _base_without_history(x):
    out = ag.zeros(3, 4, dtype=x.dtype)
    out[0].copy_(x[:4] * 2)
    out[1][2] = x[5] * 3
    return (out * out).sum()


def _stale_view(x):
    y = x * 1
    w = y[:3]
    y.mul_(2)
    return (w * w).sum()


def _view_of_view(x):
    y = (x * 1).reshape(3, 4)
    y[1][2:].mul_(5)
    y.T.add_(1)
    return (y * y).sum()


def _create_graph(x):
    y = x.tanh()
    (g,) = ag.grad((y * y).sum(), x, create_graph=True)
    return (g * g).sum()


def _retained_and_hooked(x):
    y = x.exp()
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    return y.sum()


class _Probe:
    """Put into a node's __dict__: it dies with the node (nodes themselves take no weak references)."""

    def __init__(self, node):
        self.name = node.name

    def __repr__(self):
        return f"<node {self.name}>"


def probe(node):
    node.__dict__["_memory_probe"] = marker = _Probe(node)
    return weakref.ref(marker)


CYCLE_PROGRAMS = [_view_mul_, _base_without_history, _stale_view, _view_of_view, _create_graph, _retained_and_hooked]


@pytest.mark.parametrize("program", CYCLE_PROGRAMS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("backward", [False, True], ids=["before-backward", "after-backward"])
def test_a_graph_is_freed_without_the_cycle_collector(program, backward):
    program(ag.tensor(np.arange(12.0), requires_grad=True)).backward()  # warm-up (kernel caches)
    gc.collect()
    gc.disable()
    try:
        x = ag.tensor(np.arange(12.0), requires_grad=True)
        loss = program(x)
        refs = [weakref.ref(loss)] + [probe(node) for node in nodes_of(loss)]
        if backward:
            loss.backward()
        del loss
        alive = [ref() for ref in refs if ref() is not None]
        assert not alive, f"kept alive by a reference cycle: {alive[:5]}"
    finally:
        gc.enable()


def test_training_steps_leave_no_cycles_of_tensors_or_nodes():
    ag.manual_seed(0)
    models = [
        (nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3)), lambda: ag.randn(4, 8)),
        (nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.LayerNorm(16), nn.GELU()), lambda: ag.randn(4, 8)),
        (nn.Sequential(nn.Conv1d(2, 4, 3), nn.ReLU(), nn.MaxPool1d(2)), lambda: ag.randn(4, 2, 10)),
        (nn.GRU(8, 6, batch_first=True), lambda: ag.randn(4, 5, 8)),
        (nn.LSTM(8, 6, batch_first=True), lambda: ag.randn(4, 5, 8)),
    ]

    def steps(model, data, optimizer, count):
        for _ in range(count):
            optimizer.zero_grad()
            out = model(data())
            out = out[0] if isinstance(out, tuple) else out
            (out * out).mean().backward()
            optimizer.step()

    optimizers = [optim.Adam(model.parameters(), lr=1e-3) for model, _ in models]
    for (model, data), optimizer in zip(models, optimizers):
        steps(model, data, optimizer, 2)  # warm-up: kernels compiled (Numba's own garbage)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for (model, data), optimizer in zip(models, optimizers):
            steps(model, data, optimizer, 3)
        gc.collect()
        cyclic = [type(o).__name__ for o in gc.garbage if isinstance(o, (ag.Tensor, Node))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cyclic == []
