"""Run by tests/distributed/test_distributed_mpi.py under ``mpiexec -n 2`` (and once without mpiexec).

Every check of the distributed package that needs several ranks runs in this one
launch (MPI start-up and imports cost seconds each).  Each rank writes what it
measured to ``<out>/rank<r>.json``; the test process asserts on it.  The
single-process references are computed on every rank, from rank 0's initial
parameters, with plain modules (no DDP).
"""
import json
import os
import sys

import numpy as np

import autograd_core as ag
import autograd_core.distributed as dist
import nn
import optim

OUT = sys.argv[1]
STEPS = 20
BATCH = 8          # per rank
FEATURES, CLASSES = 6, 3


def relative_difference(a_tensors, b_tensors):
    """max over tensors of max|a - b| / max|b|: 0.0 for identical tensors."""
    worst = 0.0
    for a, b in zip(a_tensors, b_tensors):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        scale = max(np.max(np.abs(b)), 1e-300)
        worst = max(worst, float(np.max(np.abs(a - b)) / scale))
    return worst


def state_arrays(module):
    return [np.array(value) for value in module.state_dict().values()]


def bn_model():
    return nn.Sequential(nn.Linear(FEATURES, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, CLASSES)).double()


def make_optimizer(name, params):
    if name == "sgd":
        return optim.SGD(params, lr=0.1, momentum=0.9)
    return optim.Adam(params, lr=0.01)


def data(world, seed=7):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((STEPS, world * BATCH, FEATURES))
    y = rng.integers(0, CLASSES, size=(STEPS, world * BATCH))
    return X, y


def copy_of(module, factory):
    twin = factory()
    twin.load_state_dict({key: value.clone() for key, value in module.state_dict().items()})
    return twin


def check_equivalence(rank, world, optimizer, bn_mode):
    """2 ranks x BATCH vs one process on the global batch (eval BN) or per-half statistics (train BN)."""
    ag.manual_seed(100 + rank)   # different on each rank: DDP must broadcast rank 0's
    model = bn_model()
    bn = model[1]
    with ag.no_grad():
        bn.running_mean.copy_(ag.randn(16, dtype=ag.float64))
        bn.running_var.copy_(ag.rand(16, dtype=ag.float64) + 0.5)
    model.train(bn_mode == "train")
    ddp = nn.parallel.DistributedDataParallel(model)
    reference = copy_of(ddp.module, bn_model)
    reference.train(bn_mode == "train")
    initial_same = relative_difference(state_arrays(ddp.module), state_arrays(reference))
    global_batch = copy_of(ddp.module, bn_model)   # train BN on the whole global batch (what DDP is not)
    global_batch.train(bn_mode == "train")
    opt = make_optimizer(optimizer, ddp.parameters())
    ref_opt = make_optimizer(optimizer, reference.parameters())
    global_opt = make_optimizer(optimizer, global_batch.parameters())
    loss_fn = nn.CrossEntropyLoss()
    X, y = data(world)
    for step in range(STEPS):
        rows = slice(rank * BATCH, (rank + 1) * BATCH)
        opt.zero_grad()
        loss_fn(ddp(ag.tensor(X[step, rows])), ag.tensor(y[step, rows])).backward()
        opt.step()

        ref_opt.zero_grad()
        if bn_mode == "eval":
            loss = loss_fn(reference(ag.tensor(X[step])), ag.tensor(y[step]))
        else:
            # Each rank's BatchNorm sees only its own rows; DDP averages the gradients, which
            # is the gradient of the mean of the per-rank losses.  Running statistics: rank 0's
            # are broadcast before every forward, so only rank 0's rows update them.
            losses = []
            for r in range(world):
                half = slice(r * BATCH, (r + 1) * BATCH)
                before = [buffer.clone() for buffer in reference.buffers()]
                losses.append(loss_fn(reference(ag.tensor(X[step, half])), ag.tensor(y[step, half])))
                if r > 0:
                    with ag.no_grad():
                        for buffer, saved in zip(reference.buffers(), before):
                            buffer.copy_(saved)
            loss = sum(losses[1:], losses[0]) / world
        loss.backward()
        ref_opt.step()

        global_opt.zero_grad()
        loss_fn(global_batch(ag.tensor(X[step])), ag.tensor(y[step])).backward()
        global_opt.step()
    params = [p.detach().numpy() for p in ddp.module.parameters()]
    gathered = []
    for p in ddp.module.parameters():
        slots = [ag.zeros(*p.shape, dtype=ag.float64) for _ in range(world)]
        dist.all_gather(slots, p.detach().clone())
        gathered.append([s.numpy() for s in slots])
    ranks_identical = all(np.array_equal(g[0], g[r]) for g in gathered for r in range(world))
    return ddp, {
        "initial_difference": initial_same,
        "parameters": relative_difference(params, [p.detach().numpy() for p in reference.parameters()]),
        "buffers": relative_difference([b.numpy() for b in ddp.module.buffers()][:2],
                                       [b.numpy() for b in reference.buffers()][:2]),
        "versus_global_batch": relative_difference(params, [p.detach().numpy() for p in global_batch.parameters()]),
        "ranks_identical": bool(ranks_identical),
        "state_dict_keys": list(ddp.state_dict()),
    }


def deep_model():
    """30 parameter tensors: 15 Linear layers."""
    layers = []
    for _ in range(15):
        layers += [nn.Linear(8, 8), nn.Tanh()]
    return nn.Sequential(*layers).double()


def check_buckets(rank, world):
    """Small buckets vs one bucket: the same parameters, and one all-reduce per bucket per backward."""
    results = {}
    original = dist.all_reduce
    calls = []

    def counting_all_reduce(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    X, y = data(world, seed=11)
    finals = {}
    for name, cap in (("small", 0.002), ("one", 1000)):
        ag.manual_seed(5 + rank)
        ddp = nn.parallel.DistributedDataParallel(deep_model(), bucket_cap_mb=cap)
        opt = optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
        counts = []
        dist.all_reduce = counting_all_reduce
        try:
            for step in range(5):
                calls.clear()
                opt.zero_grad()
                out = ddp(ag.tensor(X[step, rank * BATCH:(rank + 1) * BATCH, :6]) @ ag.ones(6, 8, dtype=ag.float64))
                out.pow(2).mean().backward()
                counts.append(len(calls))
                opt.step()
        finally:
            dist.all_reduce = original
        finals[name] = [p.detach().numpy().copy() for p in ddp.parameters()]
        results[name] = {"buckets": len(ddp._buckets), "allreduce_calls": counts,
                         "bucket_bytes": [b.nbytes for b in ddp._buckets],
                         "params_per_bucket": [len(b.params) for b in ddp._buckets]}
    results["parameter_count"] = len(finals["one"])
    results["identical"] = all(np.array_equal(a, b) for a, b in zip(finals["small"], finals["one"]))
    return results


def check_no_sync(rank, world):
    """Accumulate one micro-batch under no_sync, then a synchronised one: the mean of the sums."""
    ag.manual_seed(21 + rank)
    factory = lambda: nn.Sequential(nn.Linear(FEATURES, 5), nn.Tanh(), nn.Linear(5, CLASSES)).double()  # noqa: E731
    ddp = nn.parallel.DistributedDataParallel(factory())
    reference = copy_of(ddp.module, factory)
    opt, ref_opt = optim.SGD(ddp.parameters(), lr=0.1), optim.SGD(reference.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    X, y = data(world, seed=3)
    for step in range(0, 10, 2):
        opt.zero_grad()
        with ddp.no_sync():
            loss_fn(ddp(ag.tensor(X[step, rank * BATCH:(rank + 1) * BATCH])),
                    ag.tensor(y[step, rank * BATCH:(rank + 1) * BATCH])).backward()
        loss_fn(ddp(ag.tensor(X[step + 1, rank * BATCH:(rank + 1) * BATCH])),
                ag.tensor(y[step + 1, rank * BATCH:(rank + 1) * BATCH])).backward()
        opt.step()
        ref_opt.zero_grad()
        for micro in (step, step + 1):
            loss_fn(reference(ag.tensor(X[micro])), ag.tensor(y[micro])).backward()
        ref_opt.step()
    averaged = relative_difference([p.detach().numpy() for p in ddp.parameters()],
                                   [p.detach().numpy() for p in reference.parameters()])
    # A synchronising forward left without backward, then a step inside no_sync(): local gradients.
    ddp.zero_grad()
    ddp(ag.tensor(X[0, :BATCH]))
    with ddp.no_sync():
        loss_fn(ddp(ag.tensor(X[0, rank * BATCH:(rank + 1) * BATCH])),
                ag.tensor(y[0, rank * BATCH:(rank + 1) * BATCH])).backward()
    own = copy_of(ddp.module, factory)
    loss_fn(own(ag.tensor(X[0, rank * BATCH:(rank + 1) * BATCH])),
            ag.tensor(y[0, rank * BATCH:(rank + 1) * BATCH])).backward()
    stayed_local = relative_difference([p.grad.numpy() for p in ddp.parameters()],
                                       [p.grad.numpy() for p in own.parameters()])
    return {"averaged": averaged, "stayed_local": stayed_local}


def check_unused_parameter(rank):
    """A parameter that gets no gradient: the next forward raises torch's error on every rank."""
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = nn.Linear(3, 2), nn.Linear(3, 2)

        def forward(self, x):
            return self.used(x)

    ddp = nn.parallel.DistributedDataParallel(TwoHeads())
    ddp(ag.ones(4, 3)).sum().backward()
    try:
        ddp(ag.ones(4, 3))
    except RuntimeError as error:
        return str(error)
    return None


def check_collectives(rank, world):
    results = {}
    t = ag.tensor([1.0 + rank, 10.0 * (rank + 1)], dtype=ag.float64)
    dist.all_reduce(t)
    results["sum"] = t.tolist()
    for name in ("MAX", "MIN", "PRODUCT", "AVG"):
        t = ag.tensor([1.0 + rank, -2.0 * rank], dtype=ag.float64)
        dist.all_reduce(t, op=getattr(dist.ReduceOp, name))
        results[name.lower()] = t.tolist()
    t = ag.tensor([rank + 1, 3], dtype=ag.int64)
    work = dist.all_reduce(t, op=dist.ReduceOp.SUM, async_op=True)
    work.wait()
    results["async_int_sum"] = t.tolist()
    b = ag.full((3,), float(rank), dtype=ag.float64)
    dist.broadcast(b, src=world - 1)
    results["broadcast_from_last"] = b.tolist()
    slots = [ag.zeros(2) for _ in range(world)]
    dist.all_gather(slots, ag.tensor([float(rank), float(rank * rank)]))
    results["all_gather"] = [s.tolist() for s in slots]
    dist.barrier()
    errors = {}
    for label, call in (
        ("non_contiguous", lambda: dist.all_reduce(ag.zeros(3, 4).transpose(0, 1))),
        ("unknown_op", lambda: dist.all_reduce(ag.zeros(3), op="sum")),
        ("bad_src", lambda: dist.broadcast(ag.zeros(3), src=world)),
        ("gather_list", lambda: dist.all_gather([ag.zeros(3)] * (world + 1), ag.zeros(3))),
        ("init_twice", lambda: dist.init_process_group("mpi")),
    ):
        try:
            call()
            errors[label] = None
        except (ValueError, TypeError, RuntimeError) as error:
            errors[label] = f"{type(error).__name__}: {error}"
    results["errors"] = errors
    return results


def main():
    os.makedirs(OUT, exist_ok=True)
    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    report = {"rank": rank, "world": world, "collectives": check_collectives(rank, world), "equivalence": {}}
    for optimizer in ("sgd", "adam"):
        for bn_mode in ("eval", "train"):
            ddp, summary = check_equivalence(rank, world, optimizer, bn_mode)
            report["equivalence"][f"{optimizer}-{bn_mode}"] = summary
            if optimizer == "sgd" and bn_mode == "eval":
                # A checkpoint: rank 0 writes it, every rank waits until it is there.
                if rank == 0:
                    ag.save(ddp.module.state_dict(), os.path.join(OUT, "checkpoint.safetensors"))
                    np.savez(os.path.join(OUT, "expected.npz"),
                             *[np.array(v) for v in ddp.module.state_dict().values()])
                dist.barrier()
    report["buckets"] = check_buckets(rank, world)
    report["no_sync"] = check_no_sync(rank, world)
    report["unused_parameter_error"] = check_unused_parameter(rank) if world > 1 else None
    with open(os.path.join(OUT, f"rank{rank}.json"), "w") as handle:
        json.dump(report, handle)
    dist.destroy_process_group()
    report["initialized_after_destroy"] = dist.is_initialized()


if __name__ == "__main__":
    main()
