"""CNN training steps, ours against torch: the MNIST-1D paper's Conv1d model and a small Conv2d digits model.

    python benchmarks/cnn.py                 # prints a markdown table, writes benchmarks/results/cnn.json
    python benchmarks/cnn.py --rounds 31     # more rounds on a loaded machine
    python benchmarks/cnn.py --quick         # a smoke test (few rounds, no JSON unless --out)

The cases (float32, cross-entropy, Adam lr 1e-2, one step = zero_grad, forward, backward, step):
  * ``mnist1d`` -- the MNIST-1D paper's CNN on (B, 1, 40): Conv1d(1, 25, 5, stride 2, padding 1),
    ReLU, Conv1d(25, 25, 3, 2, 1), ReLU, Conv1d(25, 25, 3, 2, 1), ReLU, flatten (25 x 5),
    Linear(125, 10); at batch 1, 32, 100 and 512.
  * ``digits2d`` -- a small Conv2d CNN on 8x8 digits (sklearn's size), (B, 1, 8, 8):
    Conv2d(1, 16, 3, padding 1), ReLU, MaxPool2d(2), Conv2d(16, 32, 3, padding 1), ReLU,
    MaxPool2d(2), flatten (32 x 2 x 2), Linear(128, 10); at batch 1, 32 and 128.

Both libraries get the same weights, inputs and targets, and before timing the script
checks that one step's losses and gradients agree (so the same computation is timed).
How it measures: one worker process per library (this file with ``--worker LIB``), so that
neither library's spinning threads (OpenBLAS's after a GEMM, torch's OpenMP pool) take the
cores from the other: timed in one process, torch's step at batch 100 came out 100x slower.
torch runs with ``torch.set_num_threads(N)``, ours with ``OPENBLAS_NUM_THREADS=N`` and
``autograd_core.set_num_threads(N)`` (its kernel pool: the conv/pool loops run in chunks on it) (``--threads N``,
default 2; on a loaded 2-core machine 1 thread each is the steadier comparison: torch's OpenMP
threads wait at barriers while another process holds a core).  Each round times every case in both libraries one after the
other, the order alternating from round to round, with a pause between them; one timing is
``number`` steps (calibrated to ~``--target`` s) and gives the mean per step; the table shows the median over rounds and ours/torch of the medians.  The
CPU model, numpy's SIMD level and BLAS, and the load average at start and end go into the
JSON and above the table: on a shared machine another process's load shows up as spread in
the per-round times (kept in the JSON).
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

CASES = [("mnist1d", b) for b in (1, 32, 100, 512)] + [("digits2d", b) for b in (1, 32, 128)]
TARGETS = {1: 2.0}  # ours/torch target: <= 2x at batch 1, <= 1.5x from batch 32
DEFAULT_TARGET = 1.5


def build(lib, model):
    """The model in library `lib` (``autograd_core.nn`` or ``torch.nn``)."""
    if model == "mnist1d":
        return lib.Sequential(
            lib.Conv1d(1, 25, 5, stride=2, padding=1), lib.ReLU(),
            lib.Conv1d(25, 25, 3, stride=2, padding=1), lib.ReLU(),
            lib.Conv1d(25, 25, 3, stride=2, padding=1), lib.ReLU(),
            lib.Flatten(), lib.Linear(125, 10))
    return lib.Sequential(
        lib.Conv2d(1, 16, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(16, 32, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
        lib.Flatten(), lib.Linear(128, 10))


def make_case(model, batch, seed=0):
    """(ours step, torch step, check) for one case, both with torch's initial weights."""
    import torch

    import autograd_core as ag
    import nn
    import optim

    torch.manual_seed(seed)
    theirs = build(torch.nn, model)
    ours = build(nn, model)
    ours.load_state_dict({k: ag.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(seed)
    shape = (batch, 1, 40) if model == "mnist1d" else (batch, 1, 8, 8)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, batch)
    x_ours, y_ours = ag.from_numpy(x), ag.from_numpy(y)
    x_torch, y_torch = torch.from_numpy(x), torch.from_numpy(y)
    opt_ours = optim.Adam(ours.parameters(), lr=1e-2)
    opt_torch = torch.optim.Adam(theirs.parameters(), lr=1e-2)
    loss_ours, loss_torch = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()

    def step_ours():
        opt_ours.zero_grad()
        loss = loss_ours(ours(x_ours), y_ours)
        loss.backward()
        opt_ours.step()
        return loss

    def step_torch():
        opt_torch.zero_grad()
        loss = loss_torch(theirs(x_torch), y_torch)
        loss.backward()
        opt_torch.step()
        return loss

    def check():
        """One forward/backward in both (no step): losses and every gradient agree."""
        opt_ours.zero_grad()
        opt_torch.zero_grad()
        a = loss_ours(ours(x_ours), y_ours)
        b = loss_torch(theirs(x_torch), y_torch)
        a.backward()
        b.backward()
        assert abs(a.item() - b.item()) <= 1e-4 * max(1.0, abs(b.item())), (a.item(), b.item())
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            scale = float(q.grad.abs().max()) or 1.0
            error = float(np.abs(p.grad.numpy() - q.grad.numpy()).max())
            assert error <= 1e-3 * scale, f"{model} batch {batch}: gradient of {name} differs by {error}"

    return step_ours, step_torch, check


def calibrate(step, target):
    """How many steps make one timing of about `target` seconds."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            step()
        elapsed = time.perf_counter() - start
        if elapsed >= target / 4 or number >= 4096:
            return max(1, int(number * target / max(elapsed, 1e-9)))
        number *= 4


def timed(step, number):
    start = time.perf_counter()
    for _ in range(number):
        step()
    return (time.perf_counter() - start) / number


def numpy_simd():
    """numpy's compiled-in SIMD baseline and the dispatch targets this CPU supports."""
    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    return {"baseline": list(__cpu_baseline__),
            "dispatch_supported": [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]}


def machine():
    """benchmarks/report.py's machine description, numpy's SIMD level and torch's thread count."""
    import torch

    from report import machine_info

    info = machine_info()
    info.update({name: info["versions"].get(name) for name in ("numpy", "numba", "torch")})
    info.update({"numpy_simd": numpy_simd(), "torch_threads": torch.get_num_threads()})
    return info


def make_steps(library, cases):
    """{case: step} for one library (the other's half of `make_case` is dropped)."""
    steps = {}
    for model, batch in cases:
        step_ours, step_torch, _ = make_case(model, batch)
        steps[(model, batch)] = step_ours if library == "ours" else step_torch
    return steps


def worker(library, quick, threads=2):
    """Answer 'calibrate I TARGET' and 'time I NUMBER' lines on stdin with a number on stdout."""
    import torch

    import autograd_core as ag

    torch.set_num_threads(threads)
    ag.set_num_threads(threads)  # ours' kernel pool (its GEMMs: OPENBLAS_NUM_THREADS, set by Worker)
    cases = _cases(quick)
    steps = make_steps(library, cases)
    for step in steps.values():  # warm up (Numba compiles, caches fill)
        for _ in range(3):
            step()
    print("ready", flush=True)
    for line in sys.stdin:
        command, index, value = line.split()
        step = steps[cases[int(index)]]
        if command == "calibrate":
            print(calibrate(step, float(value)), flush=True)
        else:
            seconds = timed(step, int(value))
            time.sleep(0.3)  # let this library's threads stop spinning before the other one is timed
            print(repr(seconds), flush=True)


class Worker:
    def __init__(self, library, quick, threads=2):
        import subprocess

        command = [sys.executable, os.path.abspath(__file__), "--worker", library, "--threads", str(threads)] + (
            ["--quick"] if quick else [])
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))  # ours' GEMMs; torch: set_num_threads
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout.readline().strip() == "ready"

    def ask(self, *words):
        self.process.stdin.write(" ".join(str(w) for w in words) + "\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def _cases(quick):
    return [c for c in CASES if c[1] in (1, 32)] if quick else CASES


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--target", type=float, default=0.2, help="seconds per timing")
    parser.add_argument("--quick", action="store_true", help="3 rounds of short timings, batches 1 and 32")
    parser.add_argument("--out", default=None, help="JSON path (default benchmarks/results/cnn.json; "
                                                    "--quick writes none unless given)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads and ours' "
                                                                   "OPENBLAS_NUM_THREADS and set_num_threads (default 2)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.quick, args.threads)
    cases = _cases(args.quick)
    rounds = 3 if args.quick else args.rounds
    target = 0.02 if args.quick else args.target
    load_start = os.getloadavg()
    for model, batch in cases:  # the same computation in both, checked here (nothing is timed in this process)
        make_case(model, batch)[2]()
    workers = {library: Worker(library, args.quick, args.threads) for library in ("ours", "torch")}
    numbers = {(library, i): int(w.ask("calibrate", i, target)) for library, w in workers.items()
               for i in range(len(cases))}
    times = {case: {"ours": [], "torch": []} for case in cases}
    for round_index in range(rounds):
        order = ("ours", "torch") if round_index % 2 == 0 else ("torch", "ours")
        for i, case in enumerate(cases):
            for library in order:
                times[case][library].append(workers[library].ask("time", i, numbers[(library, i)]))
    for w in workers.values():
        w.close()
    results = []
    for (model, batch), per_library in times.items():
        ours, theirs = statistics.median(per_library["ours"]), statistics.median(per_library["torch"])
        results.append({"model": model, "batch": batch, "ours_s": ours, "torch_s": theirs,
                        "ratio": ours / theirs, "target_ratio": TARGETS.get(batch, DEFAULT_TARGET),
                        "times_s": per_library})
    import torch

    torch.set_num_threads(args.threads)
    document = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "command": "python benchmarks/cnn.py " + " ".join(sys.argv[1:] if argv is None else argv),
                "machine": machine(), "threads": args.threads, "rounds": rounds, "target_s": target,
                "load_average": {"start": load_start, "end": os.getloadavg()}, "cases": results}
    print(markdown(document))
    out = args.out or (None if args.quick else os.path.join(HERE, "results", "cnn.json"))
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as handle:
            json.dump(document, handle, indent=1)
    return document


def _time(value):
    return f"{value * 1e6:.0f} µs" if value < 1e-3 else f"{value * 1e3:.2f} ms"


def markdown(document):
    m = document["machine"]
    simd = m["numpy_simd"]
    blas = "; ".join(f"{b['internal_api']} {b['version']} ({b['architecture']}, {b['num_threads']} threads)"
                     for b in m["blas"]) or "unknown"
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, numpy {m['numpy']}, numba {m['numba']}, "
        f"torch {m['torch']}; workers: torch.set_num_threads({document.get('threads', 2)}), ours "
        f"OPENBLAS_NUM_THREADS={document.get('threads', 2)} and set_num_threads({document.get('threads', 2)}).  ",
        f"numpy SIMD: baseline {'/'.join(simd['baseline'])}, dispatch {'/'.join(simd['dispatch_supported'])}; "
        f"BLAS (this parent process's view): {blas}.  ",
        f"Load average at start {document['load_average']['start'][0]:.2f}, at end "
        f"{document['load_average']['end'][0]:.2f}; median of {document['rounds']} interleaved rounds.",
        "",
        "| model | batch | ours | torch | ours / torch | target |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for case in document["cases"]:
        mark = "" if case["ratio"] <= case["target_ratio"] else " (over)"
        lines.append(f"| {case['model']} | {case['batch']} | {_time(case['ours_s'])} | {_time(case['torch_s'])} | "
                     f"{case['ratio']:.2f}x{mark} | ≤ {case['target_ratio']}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
