"""Memory and time of one forward+backward of a deep MLP, with and without activation checkpointing.

    python benchmarks/checkpoint_memory.py            # table + benchmarks/results/checkpoint_memory.json
    python benchmarks/checkpoint_memory.py --quick    # a small MLP, one repeat (the smoke test)

Two kinds of block (`--block`, default both), float32:

* ``linear-relu``: Linear(width, width) + ReLU, 32 blocks of 512, batch 1024.  Backward keeps
  exactly one activation per block here (Linear keeps its input, ReLU its output, the same
  array), so the block boundaries *are* everything backward keeps;
* ``mlp4x``: Linear(width, 4 width) + GELU + Linear(4 width, width), a transformer's MLP block,
  16 blocks of 256, batch 1024: each block keeps two 4x-wide intermediates beside its boundary.

Three ways to run each:

* ``none``: ``model(x)``; every block keeps its input and its ReLU's output for backward;
* ``each-layer``: ``checkpoint(block, x)`` for every block: only the block boundaries are kept,
  each block runs twice;
* ``sqrt-segments``: ``checkpoint_sequential(model, round(sqrt(depth)), x)``: about sqrt(depth)
  boundaries plus one segment's intermediates at a time.

Each way runs in its own process (so one's freed memory cannot hide another's peak).  Memory is
numpy's allocations as tracemalloc sees them, measured around one step after a warm-up step:
``kept`` is what is still allocated when the forward pass ends (what backward will need),
``peak`` the highest point over forward+backward (it includes the parameters' new gradients,
``grads`` in the table); ``max RSS`` is the process's high-water mark.  The defaults (width 512,
batch 1024) make the activations, not the parameters' gradients, the bulk of the memory, as in the
networks checkpointing is for.  `--depth`/`--width`/`--batch` override them.
Times are the best of `--repeats` steps without tracemalloc, over `--rounds` rounds in which the
three ways alternate (on a shared 2-core machine other work inflates single samples; the best
is the least disturbed), and the CPU time of the process for the same step (``cpu s``: with one
BLAS thread per worker it is the work done, which other processes on the machine barely change).
The CPU and load go into the JSON.
"""
import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine_info, write_result  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "checkpoint_memory.json")
WAYS = ("none", "each-layer", "sqrt-segments")
MIB = 2 ** 20


# One BLAS thread per worker: the CPU time is then the work of one step, and the 2 cores are not oversubscribed.
WORKER_ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
BLOCKS = {"linear-relu": (32, 512, 1024), "mlp4x": (16, 256, 1024)}  # depth, width, batch


def _block(kind, width):
    import nn

    if kind == "linear-relu":
        return nn.Sequential(nn.Linear(width, width), nn.ReLU())
    return nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))


def _worker(way, block, depth, width, batch, repeats):
    """Run one way in this process; answer its measurements as a dict."""
    import numpy as np

    import autograd_core as ag
    import nn
    from autograd_core.utils.checkpoint import checkpoint, checkpoint_sequential

    ag.manual_seed(0)
    model = nn.Sequential(*[_block(block, width) for _ in range(depth)])
    x = ag.tensor(np.random.default_rng(0).standard_normal((batch, width)).astype(np.float32))
    segments = max(1, round(math.sqrt(depth)))

    def forward():
        if way == "none":
            return model(x)
        if way == "each-layer":
            value = x
            for block in model:
                value = checkpoint(block, value, use_reentrant=False)
            return value
        return checkpoint_sequential(model, segments, x, use_reentrant=False)

    def step():
        model.zero_grad()
        out = forward()
        loss = (out * out).mean()
        return out, loss

    out, loss = step()  # warm-up: kernels compiled, caches filled
    loss.backward()
    del out, loss
    times, cpu_times = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        out, loss = step()
        loss.backward()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        del out, loss
    model.zero_grad()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out, loss = step()
    kept = tracemalloc.get_traced_memory()[0] - base
    loss.backward()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    grads = sum(p.grad.numpy().nbytes for p in model.parameters())
    used_segments = {"none": 0, "each-layer": depth, "sqrt-segments": segments}[way]
    return {"block": block, "way": way, "segments": used_segments,
            "kept_mib": kept / MIB, "peak_mib": peak / MIB, "grads_mib": grads / MIB,
            "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "best_s": min(times), "median_s": statistics.median(times), "times_s": times,
            "cpu_s": min(cpu_times), "cpu_times_s": cpu_times, "loss": float(loss.item())}


def _run_block(block, depth, width, batch, repeats, rounds):
    """The three ways for one kind of block, each in its own process; prints the table, answers the rows."""
    print(f"\n{block}: {depth} blocks, width {width}, batch {batch}, float32 "
          f"(one width-{width} activation {batch * width * 4 / MIB:.1f} MiB)")
    runs = {way: [] for way in WAYS}
    for _ in range(rounds):  # the ways alternate, so a busy spell of the machine hits all of them
        for way in WAYS:
            command = [sys.executable, os.path.abspath(__file__), "--worker", way, "--block", block, "--depth",
                       str(depth), "--width", str(width), "--batch", str(batch), "--repeats", str(repeats)]
            done = subprocess.run(command, check=True, capture_output=True, text=True, env=WORKER_ENV)
            runs[way].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'way':14s} {'segments':>8s} {'kept MiB':>9s} {'peak MiB':>9s} {'grads MiB':>9s} {'max RSS':>8s} "
          f"{'best s':>7s} {'cpu s':>6s}")
    rows = []
    for way in WAYS:
        row = dict(runs[way][0], depth=depth, width=width, batch=batch)
        row["times_s"] = [t for run in runs[way] for t in run["times_s"]]
        row["best_s"], row["median_s"] = min(row["times_s"]), statistics.median(row["times_s"])
        row["cpu_times_s"] = [t for run in runs[way] for t in run["cpu_times_s"]]
        row["cpu_s"] = min(row["cpu_times_s"])
        row["peak_mib_per_round"] = [run["peak_mib"] for run in runs[way]]
        rows.append(row)
        print(f"{way:14s} {row['segments']:8d} {row['kept_mib']:9.1f} {row['peak_mib']:9.1f} {row['grads_mib']:9.1f} "
              f"{row['max_rss_mib']:8.0f} {row['best_s']:7.3f} {row['cpu_s']:6.3f}", flush=True)
    base = rows[0]
    for row in rows[1:]:
        print(f"  {row['way']}: kept {base['kept_mib'] / max(row['kept_mib'], 1e-9):.2f}x less, peak "
              f"{base['peak_mib'] / max(row['peak_mib'], 1e-9):.2f}x less, time {row['best_s'] / base['best_s']:.2f}x, "
              f"cpu time {row['cpu_s'] / base['cpu_s']:.2f}x")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4-8 small blocks, batch 64, one repeat")
    parser.add_argument("--block", choices=("both",) + tuple(BLOCKS), default="both")
    parser.add_argument("--depth", type=int)
    parser.add_argument("--width", type=int)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default=RESULTS)
    parser.add_argument("--worker", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(args.worker, args.block, args.depth, args.width, args.batch, args.repeats)))
        return None
    load_before = os.getloadavg()
    rows = []
    for block in (BLOCKS if args.block == "both" else (args.block,)):
        depth, width, batch = (BLOCKS[block][0] // 4, 64, 64) if args.quick else BLOCKS[block]
        repeats, rounds = (1, 1) if args.quick else (args.repeats, args.rounds)
        rows += _run_block(block, args.depth or depth, args.width or width, args.batch or batch, repeats, rounds)
    same_loss = all(len({row["loss"] for row in rows if row["block"] == block}) == 1 for block in BLOCKS)
    result = {"dtype": "float32", "repeats": 1 if args.quick else args.repeats,
              "rounds": 1 if args.quick else args.rounds, "same_loss_every_way": same_loss,
              "machine": machine_info(), "rows": rows}
    return write_result(args.out, result, load_before)


if __name__ == "__main__":
    main()
