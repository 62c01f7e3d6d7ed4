"""Data-parallel scaling on this machine: one MLP training step on 1 and 2 MPI processes.

    python benchmarks/distributed.py                 # prints a table, writes benchmarks/results/distributed.json
    python benchmarks/distributed.py --steps 20 --quick

The step: the W1 model (784-512-512-10 MLP, float32, cross-entropy, SGD momentum
0.9) at a global batch of 512, i.e. 512 rows on one process or 256 per rank on
two, wrapped in DistributedDataParallel (default 25 MB buckets).  Each rank runs
one BLAS/Numba thread; one process with two BLAS threads is listed as well, since
that is the other way to use both cores.

Figures, each the median over the timed steps:
  * step time and throughput; scaling efficiency = T(1 process) / (2 x T(2 processes))
    (1.0 = the second core doubles throughput);
  * the all-reduce time of the buckets measured on its own (blocking, after a barrier);
  * exposed communication: in a backward that averages gradients, how long the rank that
    reached the last gradient hook last then waited for the all-reduces (it waits for no
    other rank's compute, so this is communication that backward did not cover);
    hidden fraction = 1 - exposed / all-reduce time, clipped to [0, 1];
  * arrival skew: how much later than the first rank the last one reached its last hook
    (the other ranks spend that waiting: the price of a synchronous step on a loaded machine);
  * hook overhead: backward time with averaging - backward time inside ``no_sync()``
    (copies into the buckets and back, the waits, the skew).

This engine runs a leaf's gradient hooks when the whole reverse pass is done, not as
soon as that leaf's gradient is complete, so every bucket becomes ready after the last
op's backward: the only work a bucket's all-reduce can overlap is the copying of the
later buckets.  The hidden fraction measures exactly that.
"""
import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def worker(output, steps, warmup):
    """One rank's measurements (run under mpiexec)."""
    import numpy as np

    import autograd_core as ag
    import autograd_core.distributed as dist
    import nn
    import optim

    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    ag.manual_seed(0)
    ddp = nn.parallel.DistributedDataParallel(
        nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)))
    opt = optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    rows = 512 // world
    rng = np.random.default_rng(rank)
    X = ag.tensor(rng.standard_normal((rows, 784)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 10, rows))

    def step():
        """A training step as a user writes it; returns its time."""
        opt.zero_grad()
        started = time.perf_counter()
        loss_fn(ddp(X), y).backward()   # gradients averaged over the ranks in here
        opt.step()
        return time.perf_counter() - started

    def backward_only(sync):
        """The backward alone, the ranks lined up by barriers before it (so that a rank's wait in
        the last hook is communication, not the other rank still running its forward)."""
        opt.zero_grad()
        context = contextlib.nullcontext() if sync else ddp.no_sync()
        with context:
            loss = loss_fn(ddp(X), y)
            dist.barrier()
            started = time.perf_counter()
            loss.backward()
        return time.perf_counter() - started

    for _ in range(warmup):
        step()
    dist.barrier()
    sync_steps = [step() for _ in range(steps)]
    sync_backward, local_backward, waits, skews = [], [], [], []
    for _ in range(steps):   # interleaved, so that a change in the machine's load hits both alike
        sync_backward.append(backward_only(True))
        wait, skew = _last_arrivers_wait(ddp, dist, ag)
        waits.append(wait)
        skews.append(skew)
        local_backward.append(backward_only(False))
    local_steps = []
    for _ in range(steps):
        opt.zero_grad()
        started = time.perf_counter()
        with ddp.no_sync():
            loss_fn(ddp(X), y).backward()
        opt.step()
        local_steps.append(time.perf_counter() - started)
    buckets = [ag.zeros(int(size), dtype=ag.float32) for size in _bucket_sizes(ddp)]
    allreduce_s = []
    for _ in range(warmup + steps):
        dist.barrier()
        started = time.perf_counter()
        for bucket in buckets:
            dist.all_reduce(bucket)
        allreduce_s.append(time.perf_counter() - started)
    report = {"rank": rank, "world": world, "rows_per_rank": rows, "buckets": len(buckets),
              "bucket_bytes": [int(size) * 4 for size in _bucket_sizes(ddp)],
              "step_s": _median(sync_steps), "backward_s": _median(sync_backward),
              "local_step_s": _median(local_steps), "local_backward_s": _median(local_backward),
              "allreduce_s": _median(allreduce_s[warmup:]) if world > 1 else 0.0,
              "last_arriver_wait_s": _median(waits) if world > 1 else 0.0,
              "arrival_skew_s": _median(skews) if world > 1 else 0.0}
    with open(os.path.join(output, f"rank{rank}.json"), "w") as handle:
        json.dump(report, handle)
    dist.destroy_process_group()


def _last_arrivers_wait(ddp, dist, ag):
    """How long the rank that finished its backward last waited for the all-reduces, and by how much
    it was late.  That rank waits for no one's compute, so its wait is communication that backward
    did not hide; the earlier ranks' waits also include waiting for it (perf_counter is the
    system-wide monotonic clock, so the ranks' timestamps compare)."""
    started, seconds = ddp._last_wait
    mine = ag.tensor([started, seconds], dtype=ag.float64)
    everyone = [ag.zeros(2, dtype=ag.float64) for _ in range(dist.get_world_size())]
    dist.all_gather(everyone, mine)
    arrivals = [t.tolist() for t in everyone]
    last = max(arrivals, key=lambda pair: pair[0])
    return last[1], last[0] - min(pair[0] for pair in arrivals)


def _bucket_sizes(ddp):
    return [bucket.flat.size for bucket in ddp._buckets]


def _median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else 0.5 * (ordered[middle - 1] + ordered[middle])


def launch(processes, threads, steps, warmup, scratch):
    """Run the worker under mpiexec; returns the per-rank reports."""
    output = os.path.join(scratch, f"p{processes}t{threads}")
    os.makedirs(output, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    command = [mpiexec if os.path.exists(mpiexec) else "mpiexec", "-n", str(processes), sys.executable,
               os.path.abspath(__file__), "--worker", output, "--steps", str(steps), "--warmup", str(warmup)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return [json.load(open(os.path.join(output, f"rank{rank}.json"))) for rank in range(processes)]


def summarise(reports):
    """The slowest rank sets the pace of a synchronous step."""
    step = max(r["step_s"] for r in reports)
    exposed = reports[0]["last_arriver_wait_s"]   # the same figure on every rank
    allreduce = max(r["allreduce_s"] for r in reports)
    hidden = None if allreduce == 0 else min(max(1.0 - exposed / allreduce, 0.0), 1.0)
    return {"processes": reports[0]["world"], "rows_per_rank": reports[0]["rows_per_rank"],
            "buckets": reports[0]["buckets"], "bucket_bytes": reports[0]["bucket_bytes"],
            "step_ms": 1e3 * step, "samples_per_s": 512 / step,
            "local_step_ms": 1e3 * max(r["local_step_s"] for r in reports),
            "backward_ms": 1e3 * max(r["backward_s"] for r in reports),
            "local_backward_ms": 1e3 * max(r["local_backward_s"] for r in reports),
            "allreduce_ms": 1e3 * allreduce, "exposed_comm_ms": 1e3 * exposed,
            "arrival_skew_ms": 1e3 * reports[0]["arrival_skew_s"],
            "hidden_fraction": hidden, "ranks": reports}


def machine():
    """The CPU model, core count, Python version and load average, for the JSON."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average": os.getloadavg()}


def main():
    """Launch 1 and 2 processes, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="5 timed steps (a smoke run)")
    parser.add_argument("--output", default=os.path.join(HERE, "results", "distributed.json"))
    args = parser.parse_args()
    if args.quick:
        args.steps, args.warmup = 5, 2
    if args.worker:
        return worker(args.worker, args.steps, args.warmup)
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        rows = {"1 process x 1 thread": summarise(launch(1, 1, args.steps, args.warmup, scratch)),
                "1 process x 2 threads": summarise(launch(1, 2, args.steps, args.warmup, scratch)),
                "2 processes x 1 thread": summarise(launch(2, 1, args.steps, args.warmup, scratch))}
    one, two = rows["1 process x 1 thread"], rows["2 processes x 1 thread"]
    efficiency = one["step_ms"] / (2 * two["step_ms"])
    print("MLP 784-512-512-10, float32, SGD momentum, global batch 512, DistributedDataParallel")
    print(f"{'configuration':24s} {'step ms':>8s} {'samples/s':>10s} {'no-comm ms':>10s} {'hooks ms':>8s} "
          f"{'allreduce ms':>12s} {'exposed ms':>10s} {'skew ms':>8s} {'hidden':>7s}")
    for name, row in rows.items():
        hidden = "-" if row["hidden_fraction"] is None else f"{row['hidden_fraction']:.0%}"
        hooks = row["backward_ms"] - row["local_backward_ms"]
        print(f"{name:24s} {row['step_ms']:8.2f} {row['samples_per_s']:10.0f} {row['local_step_ms']:10.2f} "
              f"{hooks:8.2f} {row['allreduce_ms']:12.2f} {row['exposed_comm_ms']:10.2f} "
              f"{row['arrival_skew_ms']:8.2f} {hidden:>7s}")
    print(f"scaling efficiency (1 -> 2 processes, 1 thread each): {efficiency:.2f}")
    print(f"buckets on 2 processes: {two['buckets']} ({', '.join(f'{b / 2**20:.2f} MiB' for b in two['bucket_bytes'])})")
    result = {"command": " ".join([os.path.basename(sys.executable)] + sys.argv), "started": time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(), "steps": args.steps, "warmup": args.warmup,
        "scaling_efficiency": efficiency, "hidden_fraction": two["hidden_fraction"], "rows": rows}
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(result, handle, indent=1)
    print("wrote", os.path.relpath(args.output))


if __name__ == "__main__":
    main()
