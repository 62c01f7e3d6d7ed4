"""Numba kernels vs their numpy twins: which is faster, per function and size.

    python benchmarks/kernels.py                # table + benchmarks/results/kernels.json
    python benchmarks/kernels.py --repeats 51   # more samples
    python benchmarks/kernels.py --compile      # also cold/warm import + first-call times

Every function in `autograd_core.kernels` is timed both ways on 1,000,000
float32 elements (elementwise: shape (1000, 1000); row kernels: 1000 rows of
1000 along the last axis), on the same in float64, on a (10,) float32 array
(row kernels: one row of 10), where per-call overhead dominates, and the elementwise
kernels once more on 1M float32 in the layouts users produce: transposed, sliced
(``x[:, ::2]``) and, for the backward kernels, a broadcast upstream gradient.  Samples are
interleaved (numpy, numba, numpy, ...) so that load changes hit both alike, each
after one untimed call (see `time_pair`); the table gives the median (the JSON
also the minimum).  For tiny arrays one
sample times a batch of calls.
The last table gives forward+backward totals on 1M float32 next to torch's CPU
times for the same, if torch is installed, with ``--torch-threads`` threads
(default 1: interleaved with our samples, torch's two OpenMP workers keep
spinning after each call and steal the second core from ours on a 2-core
machine, which inflated both sides 2-10x here; use 2 on an idle machine).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine_info, numpy_simd  # noqa: E402

from autograd_core import kernels  # noqa: E402
from autograd_core.kernels import (  # noqa: E402
    activations, cross_entropy, reductions, reference, reference_loss, rows, special,
)

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "kernels.json")


def _elementwise_args(name, x, g):
    """Arguments for `name` built from an input x and an upstream gradient g."""
    params = {"leaky_relu": (0.01,), "elu": (1.0,), "gelu": ("none",), "gelu_tanh": ("tanh",),
              "softplus": (1.0, 20.0)}
    base, direction = name.rsplit("_", 1)
    extra = params.get(base, ())
    function_base = "gelu" if base == "gelu_tanh" else base
    if direction == "forward":
        return function_base + "_forward", (x,) + extra
    if base in ("relu", "sigmoid", "tanh"):  # these backward functions take the saved output
        saved = getattr(reference, function_base + "_forward")(x)
        return function_base + "_backward", (g, saved)
    return function_base + "_backward", (g, x) + extra


ELEMENTWISE = [f"{base}_{direction}" for base in
               ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "gelu_tanh", "softplus")
               for direction in ("forward", "backward")]
ROWS = ["softmax_forward", "log_softmax_forward", "logsumexp_forward",
        "cross_entropy_forward", "cross_entropy_backward"]


def make_cases(shape, dtype, rng):
    """(label, numpy function, numba function, args) for every kernel at this shape."""
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    cases = []
    for label in ELEMENTWISE:
        name, args = _elementwise_args(label, x, g)
        cases.append((label, getattr(reference, name), getattr(activations, name), args))
    cases.append(("erf", special.erf, activations.erf, (x,)))
    matrix = x.reshape(-1, shape[-1]) if len(shape) > 1 else x.reshape(1, -1)
    targets = rng.integers(0, matrix.shape[1], matrix.shape[0])
    row_gradient = rng.standard_normal(matrix.shape[0]).astype(dtype)
    probs = reference_loss.cross_entropy_forward(matrix, targets)[1]
    row_args = {
        "softmax_forward": (matrix, 1), "log_softmax_forward": (matrix, 1),
        "logsumexp_forward": (matrix, (1,), False),
        "cross_entropy_forward": (matrix, targets),
        "cross_entropy_backward": (row_gradient, probs, targets),
    }
    for name in ROWS:
        twin = reference_loss if name.startswith("cross_entropy") else reference
        fast = cross_entropy if name.startswith("cross_entropy") else rows
        cases.append((name, getattr(twin, name), getattr(fast, name), row_args[name]))
    for label, axis in (("sum_forward axis=-1", -1), ("sum_forward axis=0", 0), ("sum_forward all", None)):
        cases.append((label, lambda x, axis: np.sum(x, axis=axis), reductions.sum_forward, (matrix, axis)))
    return cases


def make_layout_cases(rng):
    """The elementwise kernels on the layouts users produce (1M float32 each): a transposed
    (F-contiguous) input, a sliced one (``x[:, ::2]``: every other column), and for the backward
    kernels an upstream gradient that is a broadcast of one number (what ``sum()`` sends back)."""
    x = (rng.standard_normal((1000, 2000)) * 3).astype(np.float32)
    g = rng.standard_normal((1000, 2000)).astype(np.float32)
    square = np.ascontiguousarray(x[:, :1000])
    layouts = {"transposed": (square.T, np.ascontiguousarray(g[:, :1000]).T),
               "sliced": (x[:, ::2], g[:, ::2]),
               "broadcast g": (square, np.broadcast_to(np.float32(0.5), square.shape))}
    cases = []
    for layout, (x_in, g_in) in layouts.items():
        for label in ELEMENTWISE:
            if layout == "broadcast g" and label.endswith("_forward"):
                continue  # no gradient in a forward
            name, args = _elementwise_args(label, x_in, g_in)
            cases.append((label, layout, getattr(reference, name), getattr(activations, name), args))
    return cases


def time_pair(slow, fast, args, repeats, batch):
    """Seconds per call of `slow(*args)` and `fast(*args)`, sampled alternately:
    ((median, min) of slow, (median, min) of fast)."""
    slow(*args), fast(*args)  # compile / warm caches
    samples = {0: [], 1: []}
    for _ in range(repeats):
        for key, function in ((0, slow), (1, fast)):
            # One untimed call first: when the other side frees its large temporaries, glibc
            # returns the memory to the OS, and the next fresh allocation pays the page faults
            # (about 2 ms per 4 MB in this VM) -- a cost of switching, not of either side.
            function(*args)
            start = time.perf_counter()
            for _ in range(batch):
                function(*args)
            samples[key].append((time.perf_counter() - start) / batch)
    return tuple((float(np.median(samples[key])), float(np.min(samples[key]))) for key in (0, 1))


def exported_path(label):
    """Which implementation `autograd_core.kernels` exports for this function ('numpy'/'numba'/'by size')."""
    name = {"gelu_tanh_forward": "gelu_forward", "gelu_tanh_backward": "gelu_backward"}.get(label, label)
    name = name.split(" ")[0]
    function = getattr(kernels, name)
    return getattr(function, "path", "numba" if function.__module__ != reference.__name__ else "numpy")


def _timed_row(label, size_label, slow, fast, args, repeats, batch):
    """One table row: the twin (numpy) and the kernel (numba) timed alternately on `args`."""
    (numpy_s, numpy_min), (numba_s, numba_min) = time_pair(slow, fast, args, repeats, batch)
    return {"kernel": label, "size": size_label, "numpy_us": numpy_s * 1e6,
            "numba_us": numba_s * 1e6, "speedup": numpy_s / numba_s,
            "numpy_min_us": numpy_min * 1e6, "numba_min_us": numba_min * 1e6,
            "exported": exported_path(label)}


def run_sizes(repeats):
    rng = np.random.default_rng(0)
    configs = [("1M float32", (1000, 1000), np.float32, repeats, 1),
               ("1M float64", (1000, 1000), np.float64, max(5, repeats // 2), 1),
               ("(10,) float32", (10,), np.float32, repeats, 200)]
    rows_out = []
    for size_label, shape, dtype, count, batch in configs:
        for label, slow, fast, args in make_cases(shape, dtype, rng):
            rows_out.append(_timed_row(label, size_label, slow, fast, args, count, batch))
    for label, layout, slow, fast, args in make_layout_cases(rng):
        rows_out.append(_timed_row(label, f"1M f32 {layout}", slow, fast, args, repeats, 1))
    return rows_out


def run_torch_totals(repeats, threads=1):
    """Forward+backward on 1M float32: our exported kernels vs torch (if installed)."""
    try:
        import torch
    except ImportError:
        return []
    torch.set_num_threads(threads)
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((1000, 1000)) * 3).astype(np.float32)
    g = rng.standard_normal((1000, 1000)).astype(np.float32)
    functional = torch.nn.functional
    pairs = [("relu", torch.relu), ("leaky_relu", functional.leaky_relu), ("elu", functional.elu),
             ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("gelu", functional.gelu),
             ("gelu_tanh", lambda t: functional.gelu(t, approximate="tanh")), ("softplus", functional.softplus)]
    out = []
    tx, tg = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)
    for base, torch_fn in pairs:
        forward_name, forward_args = _elementwise_args(base + "_forward", x, g)
        backward_name, backward_args = _elementwise_args(base + "_backward", x, g)
        forward, backward = getattr(kernels, forward_name), getattr(kernels, backward_name)
        forward_params = forward_args[1:]
        backward_params = backward_args[2:]
        saved_output = base in ("relu", "sigmoid", "tanh")

        def ours():
            y = forward(x, *forward_params)
            backward(g, y if saved_output else x, *backward_params)

        def theirs():
            tx.grad = None
            torch_fn(tx).backward(tg)

        (ours_s, _), (torch_s, _) = time_pair(ours, theirs, (), repeats, 1)
        out.append({"activation": base, "ours_ms": ours_s * 1e3, "torch_ms": torch_s * 1e3})
    logits = rng.standard_normal((512, 1000)).astype(np.float32)
    targets = rng.integers(0, 1000, 512)
    t_logits, t_targets = torch.from_numpy(logits).requires_grad_(), torch.from_numpy(targets)

    def ours_ce():
        loss, probs = kernels.cross_entropy_forward(logits, targets)
        kernels.cross_entropy_backward(np.float32(1 / 512), probs, targets)

    def torch_ce():
        t_logits.grad = None
        functional.cross_entropy(t_logits, t_targets).backward()

    (ours_s, _), (torch_s, _) = time_pair(ours_ce, torch_ce, (), repeats, 1)
    out.append({"activation": "cross_entropy (512, 1000)", "ours_ms": ours_s * 1e3, "torch_ms": torch_s * 1e3})
    return out


_COMPILE_PROBE = """
import time
start = time.perf_counter()
import numpy as np
from autograd_core import kernels
imported = time.perf_counter()
x = np.linspace(-3, 3, 64, dtype=np.float32).reshape(8, 8)
y = kernels.relu_forward(x); kernels.relu_backward(x, y)
y = kernels.sigmoid_forward(x); kernels.sigmoid_backward(x, y)
kernels.gelu_forward(x); kernels.gelu_backward(x, x)
loss, probs = kernels.cross_entropy_forward(x, np.arange(8) % 8)
kernels.cross_entropy_backward(loss, probs, np.arange(8) % 8)
kernels.log_softmax_forward(x, 1)
done = time.perf_counter()
print(imported - start, done - imported)
"""


def run_compile_times():
    """Import and first-call seconds in fresh processes, with an empty and then a filled cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        results = {}
        for label in ("cold", "warm"):
            output = subprocess.run([sys.executable, "-c", _COMPILE_PROBE], env=env, check=True,
                                    capture_output=True, text=True).stdout.split()
            results[label] = {"import_s": float(output[0]), "first_calls_s": float(output[1])}
        return {"calls": "relu, sigmoid, gelu fwd+bwd, cross_entropy fwd+bwd, log_softmax (float32, 2-D)",
                **results}


def print_table(rows_out):
    print(f"{'kernel':26s} {'size':14s} {'numpy us':>10s} {'numba us':>10s} {'speedup':>8s}  exported")
    for row in rows_out:
        print(f"{row['kernel']:26s} {row['size']:14s} {row['numpy_us']:10.1f} {row['numba_us']:10.1f} "
              f"{row['speedup']:7.2f}x  {row['exported']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--compile", action="store_true", help="also measure cold/warm compile times")
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--output", default=RESULTS)
    options = parser.parse_args()
    report = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "load_average": os.getloadavg(), "numpy": np.__version__,
                          **machine_info(), "numpy_simd": numpy_simd()},
              "repeats": options.repeats}
    print(f"CPU: {report['machine']['cpu']}; numpy SIMD: {report['machine']['numpy_simd']}")
    report["kernels"] = run_sizes(options.repeats)
    print_table(report["kernels"])
    report["torch_threads"] = options.torch_threads
    report["forward_backward_vs_torch"] = run_torch_totals(options.repeats, options.torch_threads)
    if report["forward_backward_vs_torch"]:
        print(f"\n{'fwd+bwd, 1M float32':28s} {'ours ms':>8s} {'torch ms':>9s}")
        for row in report["forward_backward_vs_torch"]:
            print(f"{row['activation']:28s} {row['ours_ms']:8.3f} {row['torch_ms']:9.3f}")
    if options.compile:
        report["compile"] = run_compile_times()
        print("\ncompile:", json.dumps(report["compile"], indent=1))
    report["machine"]["load_average_after"] = os.getloadavg()
    os.makedirs(os.path.dirname(options.output), exist_ok=True)
    with open(options.output, "w") as handle:
        json.dump(report, handle, indent=1)
    print(f"\nload average before/after: {report['machine']['load_average']} / "
          f"{report['machine']['load_average_after']};  wrote {options.output}")


if __name__ == "__main__":
    main()
