"""The kernels' threads (autograd_core.set_num_threads): serial against parallel, side by side.

    python benchmarks/threads.py                 # every part, JSON to results/threads.json
    python benchmarks/threads.py --parts sweep   # only the threshold sweep

Parts (every figure is a median of interleaved samples: serial, parallel, serial, ...; the
ratio parallel / serial is taken in the same run, so machine load hits both alike):

- ``kernels``: fwd+bwd of relu, leaky_relu, elu, sigmoid, tanh, gelu, gelu-tanh, softplus on
  2**20 float32, softmax / log_softmax / cross-entropy fwd+bwd on (1024, 1024), sum and mean,
  with 1 thread and with `--threads` threads.
- ``pair``: a kernel followed by a 512x512 float32 matmul, serial pair against parallel pair:
  shows whether the kernel's threads leave anything running that slows the next GEMM.
- ``idle``: the CPU time the process burns while sleeping 20 ms right after a parallel kernel
  (a spinning worker would burn ~20 ms per thread): load-independent evidence for the pair.
- ``memory_bound``: relu backward, leaky_relu forward and sum() at 2**20, 2**22, 2**24 float32,
  split anyway: where (if ever) memory-bound loops gain from a second thread.
- ``sweep``: per kernel kind, the size where forcing a 2-way split starts to pay (the grain is
  set to 1 so that every size splits): this is how the thresholds in kernels/ were chosen.
- ``numpy_paths``: the W1 step at batch 1, 32, 128 with the numpy paths taken until Numba is
  loaded against the Numba kernels (1 thread): the price of keeping Numba out of small runs.
- ``wake``: what handing work to a pool thread costs here (submit, wake-up delay, a chunk
  timeline of one 2-thread call, the library's natively claimed call after a short and a long
  pause): thread_wake.py.
- ``wide_steps``: training steps of wide MLPs (gelu, sigmoid, tanh, elu; hidden 1024-2048, batch
  256-512) whose activations are split, 1 thread against `--threads`: whether the threads make a
  whole step, matrix products around the kernels included, faster or slower.
- ``mlp``: the W1 step (benchmarks/peers/ours.py) at batch 1, 32, 128, 512, 1 thread against
  `--threads` threads.

The JSON records the CPU, numpy's SIMD level, the BLAS and the load average.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import autograd_core as ag  # noqa: E402
from autograd_core.kernels import activations, cross_entropy, parallel, reductions, rows  # noqa: E402
from autograd_core import kernels  # noqa: E402


def machine():
    from report import machine_info, numpy_simd  # CPU, BLAS, versions, thread env vars; SIMD

    return {**machine_info(), "numpy_simd": numpy_simd()}


def interleaved(functions, repeats, number):
    """{name: median seconds per call} sampling the functions in turn, `repeats` rounds."""
    samples = {name: [] for name in functions}
    for name, (setup, run) in functions.items():
        setup()
        run()
    for _ in range(repeats):
        for name, (setup, run) in functions.items():
            setup()
            start = time.perf_counter()
            for _ in range(number):
                run()
            samples[name].append((time.perf_counter() - start) / number)
    return {name: float(np.median(values)) for name, values in samples.items()}


def threads_setter(n):
    """Set n threads; None: the default (no set_num_threads call: the cores other processes leave idle)."""
    def setter():
        if n is None:
            parallel._num_threads = None
        else:
            ag.set_num_threads(n)
    return setter


def elementwise_cases(size, rng):
    x = rng.standard_normal(size).astype(np.float32)
    g = rng.standard_normal(size).astype(np.float32)
    y_relu = kernels.relu_forward(x)
    y_sig = kernels.sigmoid_forward(x)
    y_tanh = kernels.tanh_forward(x)
    return {
        "relu": lambda: kernels.relu_backward(g, kernels.relu_forward(x)),
        "leaky_relu": lambda: (kernels.leaky_relu_forward(x, 0.01), kernels.leaky_relu_backward(g, x, 0.01)),
        "elu": lambda: (kernels.elu_forward(x, 1.0), kernels.elu_backward(g, x, 1.0)),
        "sigmoid": lambda: (kernels.sigmoid_forward(x), kernels.sigmoid_backward(g, y_sig)),
        "tanh": lambda: (kernels.tanh_forward(x), kernels.tanh_backward(g, y_tanh)),
        "gelu": lambda: (kernels.gelu_forward(x), kernels.gelu_backward(g, x)),
        "gelu_tanh": lambda: (kernels.gelu_forward(x, "tanh"), kernels.gelu_backward(g, x, "tanh")),
        "softplus": lambda: (kernels.softplus_forward(x, 1.0, 20.0), kernels.softplus_backward(g, x, 1.0, 20.0)),
        "relu_backward_only": lambda: kernels.relu_backward(g, y_relu),
    }


def row_cases(n_rows, classes, rng):
    x = rng.standard_normal((n_rows, classes)).astype(np.float32)
    t = rng.integers(0, classes, n_rows)
    g = np.float32(1.0 / n_rows)
    return {
        "softmax": lambda: kernels.softmax_forward(x, 1),
        "log_softmax": lambda: kernels.log_softmax_forward(x, 1),
        "cross_entropy": lambda: kernels.cross_entropy_backward(g, kernels.cross_entropy_forward(x, t)[1], t),
        "sum_rows": lambda: kernels.sum_forward(x, 1),
        "sum_columns": lambda: kernels.sum_forward(x, 0),
        "sum_all": lambda: kernels.sum_forward(x),
        "mean_all": lambda: kernels.mean_forward(x),
    }


def part_kernels(threads, repeats):
    rng = np.random.default_rng(0)
    cases = {**elementwise_cases(1 << 20, rng), **row_cases(1024, 1024, rng)}
    table = {}
    for name, run in cases.items():
        times = interleaved({"serial": (threads_setter(1), run), "parallel": (threads_setter(threads), run),
                             "default": (threads_setter(None), run)}, repeats, 10)
        table[name] = {**times, "ratio": times["parallel"] / times["serial"],
                       "default_ratio": times["default"] / times["serial"]}
        print(f"{name:20s} serial {times['serial'] * 1e3:8.3f} ms  {threads} threads "
              f"{times['parallel'] * 1e3:8.3f} ms  ratio {table[name]['ratio']:.2f}  default "
              f"({parallel.threads_for_a_call()} now) {times['default'] * 1e3:8.3f} ms  ratio "
              f"{table[name]['default_ratio']:.2f}", flush=True)
    return table


def part_pair(threads, repeats):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((512, 512)).astype(np.float32)
    b = rng.standard_normal((512, 512)).astype(np.float32)
    x = rng.standard_normal(1 << 20).astype(np.float32)
    g = rng.standard_normal(1 << 20).astype(np.float32)
    logits = rng.standard_normal((1024, 1024)).astype(np.float32)
    pairs = {
        "relu": lambda: kernels.relu_forward(x),
        "gelu_fwd_bwd": lambda: kernels.gelu_backward(g, x),
        "log_softmax": lambda: kernels.log_softmax_forward(logits, 1),
        "sum_all": lambda: kernels.sum_forward(x),
    }
    table = {}
    matmul_alone = interleaved({"matmul": (lambda: None, lambda: a @ b)}, repeats, 10)["matmul"]
    for name, kernel in pairs.items():
        def pair(kernel=kernel):
            kernel()
            return a @ b

        def matmul_after(kernel=kernel):
            kernel()
            start = time.perf_counter()
            a @ b
            return time.perf_counter() - start

        times = interleaved({"serial": (threads_setter(1), pair), "parallel": (threads_setter(threads), pair)},
                            repeats, 10)
        after = {}
        for label, n in (("serial", 1), ("parallel", threads)):
            ag.set_num_threads(n)
            after[label] = float(np.median([matmul_after() for _ in range(repeats * 5)]))
        table[name] = {"pair_serial": times["serial"], "pair_parallel": times["parallel"],
                       "ratio": times["parallel"] / times["serial"],
                       "matmul_after_serial": after["serial"], "matmul_after_parallel": after["parallel"],
                       "matmul_alone": matmul_alone}
        print(f"{name:14s}+matmul pair: serial {times['serial'] * 1e3:.3f} ms, {threads} threads "
              f"{times['parallel'] * 1e3:.3f} ms (ratio {table[name]['ratio']:.2f}); the matmul alone "
              f"{matmul_alone * 1e3:.3f} ms, right after the kernel: {after['serial'] * 1e3:.3f} ms serial, "
              f"{after['parallel'] * 1e3:.3f} ms parallel", flush=True)
    return table


def part_idle(threads, repeats):
    """CPU time this process burns in the 20 ms after a parallel kernel returns, while its thread
    sleeps: any worker left spinning (OpenMP's default wait policy) would burn ~20 ms per thread
    here and take a core from the next GEMM.  Unlike wall times this does not depend on the load."""
    x = np.random.default_rng(3).standard_normal(1 << 20).astype(np.float32)
    table = {}
    for label, n in (("serial", 1), ("parallel", threads)):
        ag.set_num_threads(n)
        burnt = []
        for _ in range(repeats):
            kernels.gelu_backward(x, x)
            before = time.process_time()
            time.sleep(0.02)
            burnt.append(time.process_time() - before)
        table[label] = {"median_cpu_s": float(np.median(burnt)), "max_cpu_s": float(np.max(burnt))}
        print(f"CPU time burnt in a 20 ms sleep after a gelu backward on {n} thread(s): median "
              f"{table[label]['median_cpu_s'] * 1e3:.2f} ms, max {table[label]['max_cpu_s'] * 1e3:.2f} ms", flush=True)
    # For contrast, the same measurement after a Numba prange loop (default threading layer and
    # OpenMP wait policy), in a child process so that its OpenMP runtime does not stay here.
    import subprocess

    script = (
        "import time, numpy as np, numba\n"
        "@numba.njit(parallel=True)\n"
        "def relu(x):\n"
        "    out = np.empty_like(x)\n"
        "    for i in numba.prange(x.size):\n"
        "        out[i] = x[i] if x[i] > 0 else 0\n"
        "    return out\n"
        "x = np.ones(1 << 20, np.float32); relu(x)\n"
        "burnt = []\n"
        f"for _ in range({repeats}):\n"
        "    relu(x); before = time.process_time(); time.sleep(0.02); burnt.append(time.process_time() - before)\n"
        "print(float(np.median(burnt)), float(np.max(burnt)), numba.threading_layer())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    if done.returncode == 0:
        median, largest, layer = done.stdout.split()
        table["numba_prange"] = {"median_cpu_s": float(median), "max_cpu_s": float(largest), "layer": layer}
        print(f"the same after a Numba prange relu ({layer} layer, default wait policy), child process: "
              f"median {float(median) * 1e3:.2f} ms, max {float(largest) * 1e3:.2f} ms", flush=True)
    else:
        table["numba_prange"] = {"error": done.stderr.strip().splitlines()[-1:]}
    return table


def part_memory_bound(repeats):
    """Memory-bound kernels (relu backward, leaky_relu forward, sum()) at 2**20, 2**22, 2**24
    float32, grains lowered so that they split: serial against 2 threads."""
    saved = (activations._CHEAP, reductions.GRAIN, reductions.SPLIT_GRAIN, parallel.LAST_LEVEL_CACHE_BYTES)
    activations._CHEAP = reductions.GRAIN = reductions.SPLIT_GRAIN = 1 << 17
    parallel.LAST_LEVEL_CACHE_BYTES = 0  # memory-bound loops split whatever their size
    table = {}
    try:
        for exponent in (20, 22, 24):
            n = 1 << exponent
            x = np.random.default_rng(4).standard_normal(n).astype(np.float32)
            g, y = x.copy(), np.maximum(x, 0)
            for name, run in (("relu_backward", lambda: kernels.relu_backward(g, y)),
                              ("sum", lambda: kernels.sum_forward(x)),
                              ("leaky_relu_forward", lambda: kernels.leaky_relu_forward(x, 0.01))):
                times = interleaved({"serial": (threads_setter(1), run), "parallel": (threads_setter(2), run)},
                                    repeats, 1)
                table.setdefault(name, {})[n] = {**times, "ratio": times["parallel"] / times["serial"]}
                print(f"{name:20s} 2**{exponent}: serial {times['serial'] * 1e3:.3f} ms, 2 threads "
                      f"{times['parallel'] * 1e3:.3f} ms, ratio {times['parallel'] / times['serial']:.2f}", flush=True)
    finally:
        activations._CHEAP, reductions.GRAIN, reductions.SPLIT_GRAIN, parallel.LAST_LEVEL_CACHE_BYTES = saved
    return table


def part_sweep(repeats):
    """Forced 2-way split vs serial at each size, per kernel kind: where the split starts to pay."""
    rng = np.random.default_rng(2)
    saved = (activations._CHEAP, activations._COSTLY, rows.ROW_GRAIN, reductions.GRAIN, reductions.SPLIT_GRAIN,
             parallel.LAST_LEVEL_CACHE_BYTES)
    table = {}
    try:
        for exponent in range(11, 21):
            size = 1 << exponent
            element = elementwise_cases(size, rng)
            cols = max(1, min(1000, size // 64))
            row = row_cases(size // cols, cols, rng)
            cases = {"relu_backward (cheap)": element["relu_backward_only"], "gelu fwd+bwd (costly)": element["gelu"],
                     "elu fwd+bwd (costly)": element["elu"], "log_softmax rows": row["log_softmax"],
                     "cross_entropy fwd+bwd": row["cross_entropy"], "sum_all": row["sum_all"],
                     "sum_columns": row["sum_columns"]}
            for name, run in cases.items():
                def forced():
                    activations._CHEAP = activations._COSTLY = rows.ROW_GRAIN = reductions.GRAIN = reductions.SPLIT_GRAIN = 1
                    parallel.LAST_LEVEL_CACHE_BYTES = 0
                    ag.set_num_threads(2)

                def serial():
                    (activations._CHEAP, activations._COSTLY, rows.ROW_GRAIN, reductions.GRAIN, reductions.SPLIT_GRAIN,
                     parallel.LAST_LEVEL_CACHE_BYTES) = saved
                    ag.set_num_threads(1)

                number = max(1, min(200, (1 << 21) // size))
                times = interleaved({"serial": (serial, run), "split": (forced, run)}, repeats, number)
                table.setdefault(name, {})[size] = {**times, "ratio": times["split"] / times["serial"]}
                print(f"{name:24s} {size:8d}: serial {times['serial'] * 1e6:9.1f} us  split "
                      f"{times['split'] * 1e6:9.1f} us  ratio {times['split'] / times['serial']:.2f}", flush=True)
    finally:
        (activations._CHEAP, activations._COSTLY, rows.ROW_GRAIN, reductions.GRAIN, reductions.SPLIT_GRAIN,
         parallel.LAST_LEVEL_CACHE_BYTES) = saved
    return table


def part_mlp(threads, repeats):
    from peers import ours
    from workloads.timed import MLP_PARAMS, mlp_inputs

    table = {}
    for batch in (1, 32, 128, 512):
        step = ours.mlp_step(**mlp_inputs(batch), **MLP_PARAMS).run
        number = max(1, 200 // batch)
        times = interleaved({"serial": (threads_setter(1), step), "parallel": (threads_setter(threads), step)},
                            repeats, number)
        table[batch] = {**times, "ratio": times["parallel"] / times["serial"]}
        print(f"W1 batch {batch:4d}: serial {times['serial'] * 1e3:.3f} ms, {threads} threads "
              f"{times['parallel'] * 1e3:.3f} ms, ratio {table[batch]['ratio']:.2f}", flush=True)
    return table


# Wide MLPs whose activations are large enough to be split (2**19 to 2**20 elements), each step
# surrounded by the matrix products of its layers: whether the kernels' threads make a whole
# training step faster or slower (in a W1 step the relu is cheap and stays serial).
WIDE_STEPS = (("gelu", 2048, 512), ("sigmoid", 1024, 512), ("tanh", 2048, 256), ("elu", 1024, 512))


def part_wide_steps(threads, repeats):
    import nn
    import optim
    import nn.functional as F

    rng = np.random.default_rng(6)
    table = {}
    for activation, hidden, batch in WIDE_STEPS:
        x = ag.from_numpy(rng.standard_normal((batch, 784)).astype(np.float32))
        y = ag.from_numpy(rng.integers(0, 10, batch))
        layer = {"gelu": nn.GELU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "elu": nn.ELU}[activation]
        model = nn.Sequential(nn.Linear(784, hidden), layer(), nn.Linear(hidden, hidden), layer(),
                              nn.Linear(hidden, 10))
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()

        times = interleaved({"serial": (threads_setter(1), step), "parallel": (threads_setter(threads), step)},
                            repeats, 2)
        name = f"{activation}_{hidden}x{batch}"
        table[name] = {**times, "ratio": times["parallel"] / times["serial"]}
        print(f"MLP 784-{hidden}-{hidden}-10 ({activation}), batch {batch}: serial {times['serial'] * 1e3:.2f} ms, "
              f"{threads} threads {times['parallel'] * 1e3:.2f} ms, ratio {table[name]['ratio']:.3f}", flush=True)
    return table


def part_numpy_paths(repeats):
    """W1 steps with the numpy paths a process uses until Numba is loaded (kernels/__init__.py,
    updates.py) against the Numba paths, 1 thread both: what keeping Numba out of W6 costs."""
    from autograd_core.kernels import jit, updates
    from peers import ours
    from workloads.timed import MLP_PARAMS, mlp_inputs

    jit.load()

    def numpy_paths():
        ag.set_num_threads(1)
        kernels._numba_loaded = updates.is_loaded = lambda: False

    def numba_paths():
        ag.set_num_threads(1)
        kernels._numba_loaded = updates.is_loaded = jit.is_loaded

    table = {}
    try:
        for batch in (1, 32, 128):
            step = ours.mlp_step(**mlp_inputs(batch), **MLP_PARAMS).run
            number = max(1, 200 // batch)
            times = interleaved({"numpy": (numpy_paths, step), "numba": (numba_paths, step)}, repeats, number)
            table[batch] = {**times, "ratio": times["numpy"] / times["numba"]}
            print(f"W1 batch {batch:4d}: numpy paths {times['numpy'] * 1e3:.3f} ms, Numba paths "
                  f"{times['numba'] * 1e3:.3f} ms, ratio {table[batch]['ratio']:.2f}", flush=True)
    finally:
        numba_paths()
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="kernels,pair,idle,wake,memory_bound,sweep,mlp,wide_steps,numpy_paths")
    parser.add_argument("--threads", type=int, default=parallel.get_num_threads())
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--output", default=os.path.join(HERE, "results", "threads.json"))
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    result = {"command": "python benchmarks/threads.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": machine(),
              "load_average_at_start": os.getloadavg(), "threads": args.threads, "repeats": args.repeats}
    print(f"load average {os.getloadavg()}", flush=True)
    for part in parts:
        if part == "kernels":
            result["kernels"] = part_kernels(args.threads, args.repeats)
        elif part == "pair":
            result["pair"] = part_pair(args.threads, args.repeats)
        elif part == "idle":
            result["idle"] = part_idle(args.threads, args.repeats)
        elif part == "memory_bound":
            result["memory_bound"] = part_memory_bound(args.repeats)
        elif part == "sweep":
            result["sweep"] = part_sweep(args.repeats)
        elif part == "numpy_paths":
            result["numpy_paths"] = part_numpy_paths(args.repeats)
        elif part == "wake":
            from thread_wake import part_wake

            result["wake"] = part_wake(args.threads, args.repeats)
        elif part == "wide_steps":
            result["wide_steps"] = part_wide_steps(args.threads, args.repeats)
        elif part == "mlp":
            result["mlp"] = part_mlp(args.threads, args.repeats)
        else:
            raise SystemExit(f"unknown part {part!r}")
    result["load_average_at_end"] = os.getloadavg()
    print(f"load average {os.getloadavg()}", flush=True)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as out:
        json.dump(result, out, indent=1)


if __name__ == "__main__":
    main()
