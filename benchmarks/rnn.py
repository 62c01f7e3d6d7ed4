"""Recurrent training steps, ours against torch: GRU, LSTM and Elman RNN, hidden 64, 40 time steps.

    python benchmarks/rnn.py                  # prints a markdown table, writes benchmarks/results/rnn.json
    python benchmarks/rnn.py --rounds 31      # more rounds on a loaded machine
    python benchmarks/rnn.py --quick          # a smoke test: few rounds, short batches
    python benchmarks/rnn.py --baseline /tmp/head   # also time another checkout's code ("before")

The case: ``layer(input_size, 64)`` over a (40, batch, input_size) float32 sequence, a
Linear(64, 10) head on the last time step's output, cross-entropy, Adam (lr 1e-3).
Two kinds of timing per case: *train* (zero_grad, forward, backward, Adam step, as a
user's loop does) and *fwd+bwd* (forward and backward only).  Both libraries get the same
weights, inputs and targets; before timing, each runs one step and the parent checks
that the losses and every gradient agree (max|a - b| <= 1e-3 max|b|), so only the same
computation is timed.

How it measures (as benchmarks/run.py does): one worker process per library (this file
with ``--worker LIB``), so neither library's threads or allocator disturb the other;
torch with ``torch.set_num_threads(N)``, ours with ``OPENBLAS_NUM_THREADS=N`` (``--threads N``,
default 2; ``--ours-blas-threads`` overrides ours alone).  Each
round times every case in every worker, one after the other, who goes first rotating
from round to round; one timing is ``number`` calls (calibrated to ~``--target`` s) and
gives the mean per call; the table shows the median over rounds.  A worker answers only
once its own threads are idle (OpenBLAS spins for ~0.1 s after a GEMM).  The CPU model,
numpy's BLAS and SIMD level, and the load average at start and end go into the JSON and
above the table: on a shared 2-core machine another process's load shows up as spread in
the per-round times (kept in the JSON as ``times_s``).

``--baseline ROOT`` adds a third worker, ours as another checkout at ROOT has it (e.g.
``git archive HEAD | tar -x -C /tmp/head`` before a change): it is timed in the same rounds,
interleaved with the other two, and checked against torch like ours, so a before/after
comparison shares the machine's conditions instead of coming from two runs.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

HIDDEN, STEPS, CLASSES = 64, 40, 10
MODELS = ("GRU", "LSTM", "RNN")
KINDS = ("train", "fwd+bwd")


# -- the case, in each library ----------------------------------------------------------------
def make_inputs(model, batch, input_size, seed=0):
    """Weights (torch's names and init ranges), a sequence and targets, all float32 numpy."""
    import numpy as np

    rng = np.random.default_rng(seed)
    gates = {"GRU": 3, "LSTM": 4, "RNN": 1}[model] * HIDDEN
    bound = HIDDEN ** -0.5
    weights = {
        "rnn.weight_ih_l0": rng.uniform(-bound, bound, (gates, input_size)),
        "rnn.weight_hh_l0": rng.uniform(-bound, bound, (gates, HIDDEN)),
        "rnn.bias_ih_l0": rng.uniform(-bound, bound, gates),
        "rnn.bias_hh_l0": rng.uniform(-bound, bound, gates),
        "head.weight": rng.uniform(-bound, bound, (CLASSES, HIDDEN)),
        "head.bias": rng.uniform(-bound, bound, CLASSES),
    }
    weights = {name: value.astype(np.float32) for name, value in weights.items()}
    x = rng.standard_normal((STEPS, batch, input_size)).astype(np.float32)
    y = rng.integers(0, CLASSES, batch)
    return weights, x, y


def build(library, model, batch, input_size, kind):
    """(run, check): run() does one timed call; check() returns the loss and gradients of one step."""
    weights, x_array, y_array = make_inputs(model, batch, input_size)
    if library == "torch":
        import torch

        lib, layers, functional, optim = torch, torch.nn, torch.nn.functional, torch.optim

        def as_tensor(array):
            return torch.from_numpy(array.copy())
    else:
        import autograd_core as ag
        import nn
        import optim

        lib, layers, functional = ag, nn, nn.functional

        def as_tensor(array):
            return ag.tensor(array.copy())

    class Model(layers.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(layers, model)(input_size, HIDDEN)
            self.head = layers.Linear(HIDDEN, CLASSES)

        def forward(self, x):
            output, _ = self.rnn(x)
            return self.head(output[-1])

    net = Model()
    net.load_state_dict({name: as_tensor(value) for name, value in weights.items()})
    optimizer = optim.Adam(net.parameters(), lr=1e-3)
    x, y = as_tensor(x_array), lib.tensor(y_array)

    def forward_backward():
        optimizer.zero_grad()
        loss = functional.cross_entropy(net(x), y)
        loss.backward()
        return loss

    def train():
        loss = forward_backward()
        optimizer.step()
        return loss

    def check():
        loss = forward_backward()
        result = {"loss": float(loss.item())}
        result.update({name: p.grad.numpy().copy() for name, p in net.named_parameters()})
        return result

    return (train if kind == "train" else forward_backward), check


# -- worker process ------------------------------------------------------------------------
def worker(library, threads=2):
    """Serve JSON-line requests on stdin: setup a case (check + calibrate), time it."""
    reply_stream = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the libraries' own prints must not reach the protocol
    import numpy as np

    from worker import settle, steady_allocator

    if library == "torch":
        import torch

        torch.set_num_threads(threads)
    steady_allocator()
    cases = {}

    def send(message):
        reply_stream.write(json.dumps(message) + "\n")
        reply_stream.flush()

    send({"ok": True})
    for line in sys.stdin:
        request = json.loads(line)
        key = request["key"]
        try:
            if request["op"] == "setup":
                run, check = build(library, request["model"], request["batch"], request["input_size"],
                                   request["kind"])
                checked = check()
                np.savez(request["check_out"], **{k: np.asarray(v) for k, v in checked.items()})
                run()
                started = time.perf_counter()
                run()
                first = time.perf_counter() - started
                number = max(1, int(request["target_s"] / max(first, 1e-6)))
                cases[key] = (run, number)
                reply = {"ok": True, "number": number}
            else:
                run, number = cases[key]
                started = time.perf_counter()
                for _ in range(number):
                    run()
                reply = {"ok": True, "seconds": (time.perf_counter() - started) / number}
        except Exception as error:  # a library's failure is a result, not a crash of the run
            reply = {"ok": False, "reason": f"{type(error).__name__}: {error}"}
        settle()
        send(reply)


class Worker:
    def __init__(self, library, blas_threads, threads=2, root=None):
        """`root`: run ours from that checkout (its own benchmarks/rnn.py and packages)."""
        env = dict(os.environ)
        if library == "ours" and blas_threads:
            env["OPENBLAS_NUM_THREADS"] = str(blas_threads)
        script = os.path.abspath(__file__) if root is None else os.path.join(root, "benchmarks", "rnn.py")
        self.process = subprocess.Popen([sys.executable, script, "--worker", library, "--threads", str(threads)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
                                        cwd=root)
        hello = json.loads(self.process.stdout.readline())
        assert hello["ok"], hello

    def request(self, **message):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


# -- machine description ---------------------------------------------------------------------
def agree(ours_path, torch_path):
    """None if the two checks agree (same names, max|a - b| <= 1e-3 max|b|), else what differs."""
    import numpy as np

    with np.load(ours_path) as a, np.load(torch_path) as b:
        if sorted(a.files) != sorted(b.files):
            return f"different outputs: {sorted(a.files)} vs {sorted(b.files)}"
        for name in b.files:
            scale = max(float(np.abs(b[name]).max()), 1e-12)
            error = float(np.abs(a[name] - b[name]).max())
            if error > 1e-3 * scale:
                return f"{name}: max|ours - torch| = {error:.3g} (scale {scale:.3g})"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--target", type=float, default=0.15, help="seconds per timing (calibrated)")
    parser.add_argument("--batches", default="1,32,100")
    parser.add_argument("--input-size", type=int, default=1)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads, and ours' "
                                                                   "OPENBLAS_NUM_THREADS unless given below")
    parser.add_argument("--ours-blas-threads", type=int, default=0, help="OPENBLAS_NUM_THREADS for ours "
                                                                         "(0: --threads)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 rounds, short timings, "
                                                             "no JSON unless --output is given")
    parser.add_argument("--output", default=None, help="JSON path (default benchmarks/results/rnn.json)")
    parser.add_argument("--baseline", default=None, help="another checkout's root: also time its ours "
                                                         "(as 'before'), interleaved in the same rounds")
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.threads)
    if args.quick:
        args.rounds, args.target, args.batches = 2, 0.01, "32"
    from cnn import numpy_simd
    from report import machine_info

    batches = [int(b) for b in args.batches.split(",")]
    cases = [(m, b, k) for m in args.models.split(",") for b in batches for k in args.kinds.split(",")]
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    load_start = os.getloadavg()
    args.ours_blas_threads = args.ours_blas_threads or args.threads
    workers = {"ours": Worker("ours", args.ours_blas_threads, args.threads),
               "torch": Worker("torch", 0, args.threads)}
    if args.baseline:
        workers["before"] = Worker("ours", args.ours_blas_threads, args.threads, root=os.path.abspath(args.baseline))
    results = {}
    scratch = os.path.join("/tmp", f"rnn_bench_{os.getpid()}")
    os.makedirs(scratch, exist_ok=True)
    for model, batch, kind in cases:
        key = f"{model}-{batch}-{kind}"
        entry = {"model": model, "batch": batch, "kind": kind, "input_size": args.input_size, "libs": {}}
        paths = {}
        for library, process in workers.items():
            paths[library] = os.path.join(scratch, f"{key}-{library}.npz")
            reply = process.request(op="setup", key=key, model=model, batch=batch, input_size=args.input_size,
                                    kind=kind, check_out=paths[library], target_s=args.target)
            entry["libs"][library] = {"number": reply.get("number"), "error": reply.get("reason"), "times_s": []}
        if all(entry["libs"][lib]["error"] is None for lib in workers):
            entry["check_error"] = agree(paths["ours"], paths["torch"])
            if "before" in workers and entry["check_error"] is None:
                entry["check_error"] = agree(paths["before"], paths["torch"])
        else:
            entry["check_error"] = "setup failed"
        results[key] = entry
        print(f"set up {key}: {entry['check_error'] or 'checks agree'}", file=sys.stderr)
    for round_index in range(args.rounds):
        for model, batch, kind in cases:
            key = f"{model}-{batch}-{kind}"
            entry = results[key]
            if entry["check_error"]:
                continue
            shift = round_index % len(workers)  # who goes first rotates from round to round
            order = list(workers)[shift:] + list(workers)[:shift]
            for library in order:
                reply = workers[library].request(op="time", key=key)
                if reply["ok"]:
                    entry["libs"][library]["times_s"].append(reply["seconds"])
        print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr)
    for process in workers.values():
        process.close()
    for entry in results.values():
        for lib in entry["libs"].values():
            lib["median_s"] = statistics.median(lib["times_s"]) if lib["times_s"] else None
        ours, theirs = entry["libs"]["ours"]["median_s"], entry["libs"]["torch"]["median_s"]
        entry["ratio"] = ours / theirs if ours and theirs else None
        if "before" in entry["libs"]:
            before = entry["libs"]["before"]["median_s"]
            entry["before_ratio"] = before / theirs if before and theirs else None
    machine = machine_info()
    machine["numpy_simd"] = numpy_simd()
    document = {
        "command": "python benchmarks/rnn.py " + " ".join(sys.argv[1:]), "started": started,
        "machine": machine, "load_average_at_start": load_start, "load_average_at_end": os.getloadavg(),
        "rounds": args.rounds, "hidden_size": HIDDEN, "sequence_length": STEPS, "input_size": args.input_size,
        "ours_blas_threads": args.ours_blas_threads, "torch_threads": args.threads,
        "baseline": os.path.abspath(args.baseline) if args.baseline else None, "cases": results,
    }
    table = markdown(document)
    print(table)
    output = args.output or (None if args.quick else os.path.join(HERE, "results", "rnn.json"))
    if output:
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        with open(output, "w") as handle:
            json.dump(document, handle, indent=1)
        print(f"\nwrote {output}", file=sys.stderr)
    return 0


def markdown(document):
    """The machine lines and one table: model, batch, kind, our median, torch's, the ratio (and the
    baseline's median and ratio first, when the run had one)."""
    machine = document["machine"]
    simd = machine["numpy_simd"]
    blas = "; ".join(f"{b['internal_api']} {b['version']} ({b['architecture']}, {b['num_threads']} threads)"
                     for b in machine.get("blas", [])) or "unknown"
    load = lambda values: "/".join(f"{v:.1f}" for v in values)  # noqa: E731
    lines = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores; numpy SIMD baseline {'+'.join(simd['baseline'])}, "
        f"dispatch {'+'.join(simd['dispatch_supported']) or 'none'}; numpy BLAS: {blas}; "
        f"ours' OpenBLAS threads: {document['ours_blas_threads']}; torch {document.get('torch_threads', 2)} "
        "threads.  ",
        f"Load average start -> end: {load(document['load_average_at_start'])} -> "
        f"{load(document['load_average_at_end'])}; median of {document['rounds']} interleaved rounds.",
        "",
        f"Hidden {document['hidden_size']}, sequence {document['sequence_length']}, input size "
        f"{document['input_size']}, Linear head on the last step, cross-entropy, Adam.",
        "",
    ]
    before = document.get("baseline") is not None
    if before:
        lines += ["| model | batch | timing | before | ours | torch | before / torch | ours / torch |",
                  "|---|---|---|---|---|---|---|---|"]
    else:
        lines += ["| model | batch | timing | ours | torch | ours / torch |", "|---|---|---|---|---|---|"]
    for entry in document["cases"].values():
        ours, theirs = entry["libs"]["ours"]["median_s"], entry["libs"]["torch"]["median_s"]
        if entry["check_error"]:
            cells = ("— | — | — | — | " if before else "— | — | ") + entry["check_error"]
        elif before:
            earlier = entry["libs"]["before"]["median_s"]
            cells = (f"{earlier * 1e3:.2f} ms | {ours * 1e3:.2f} ms | {theirs * 1e3:.2f} ms | "
                     f"{entry['before_ratio']:.2f}x | {entry['ratio']:.2f}x")
        else:
            cells = f"{ours * 1e3:.2f} ms | {theirs * 1e3:.2f} ms | {entry['ratio']:.2f}x"
        lines.append(f"| {entry['model']} | {entry['batch']} | {entry['kind']} | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
