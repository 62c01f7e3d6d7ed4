"""Activations forward+backward on the layouts users produce, beside torch, in one run.

    python benchmarks/layouts.py                 # table + benchmarks/results/layouts.json
    python benchmarks/layouts.py --quick         # fewer samples, smaller arrays (the smoke test)

For each activation, `act(x)` then backward on 1M float32 elements (1024 x 1024) with:

* ``sum``: ``act(x).sum().backward()`` -- the gradient arriving at the activation is a
  broadcast of one number (stride 0), what every ``loss.sum()``/``mean()`` sends back;
* ``mean-rows``: ``act(x).mean(0).sum().backward()`` -- a broadcast row;
* ``explicit``: ``act(x).backward(g)`` with a contiguous ``g``;
* ``transposed``: ``act(x.T).sum().backward()`` (an F-contiguous input);
* ``sliced``: ``act(x[:, ::2]).sum().backward()`` (a strided input, half the elements).

Samples of ours and torch's alternate (ours, torch, ours, ...) after one untimed call each;
the table gives medians and the ratio ours / torch.  torch runs with ``--torch-threads``
threads (default 1: on a 2-core machine torch's spinning OpenMP workers otherwise steal the
core ours runs on between samples; see benchmarks/README.md).  The CPU, numpy's SIMD level,
versions and the load average go into the JSON beside the times.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine_info, numpy_simd, write_result  # noqa: E402

import autograd_core as ag  # noqa: E402
from nn import functional as F  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "layouts.json")
ACTIVATIONS = ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "softplus")
LAYOUTS = ("sum", "mean-rows", "explicit", "transposed", "sliced")


def _program(library, functional, name, layout, x, g):
    """A no-argument function running one forward+backward of `name` on `layout`."""
    act = getattr(functional, name) if name not in ("sigmoid", "tanh") else getattr(library, name)

    def run():
        x.grad = None
        if layout == "sum":
            act(x).sum().backward()
        elif layout == "mean-rows":
            act(x).mean(0).sum().backward()
        elif layout == "explicit":
            act(x).backward(g)
        elif layout == "transposed":
            act(x.T).sum().backward()
        else:
            act(x[:, ::2]).sum().backward()

    return run


def median_pair(ours, theirs, repeats):
    """Interleaved samples of two functions (one untimed call each first); their medians."""
    ours()
    if theirs is not None:
        theirs()
    times_ours, times_theirs = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        ours()
        times_ours.append(time.perf_counter() - start)
        if theirs is not None:
            start = time.perf_counter()
            theirs()
            times_theirs.append(time.perf_counter() - start)
    return statistics.median(times_ours), (statistics.median(times_theirs) if times_theirs else None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64x64 arrays, 3 samples (smoke test)")
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--out", default=RESULTS)
    args = parser.parse_args(argv)
    side, repeats = (64, 3) if args.quick else (1024, args.repeats)
    try:
        import torch
        torch.set_num_threads(args.torch_threads)
    except ImportError:
        torch = None
    data = np.random.default_rng(0).standard_normal((side, side)).astype(np.float32)
    gradient = np.random.default_rng(1).standard_normal((side, side)).astype(np.float32)
    ours_x, ours_g = ag.tensor(data, requires_grad=True), ag.tensor(gradient)
    if torch is not None:
        torch_x, torch_g = torch.tensor(data, requires_grad=True), torch.tensor(gradient)
    load_before = os.getloadavg()
    rows = []
    print(f"{'activation':12s} {'layout':11s} {'ours':>10s} {'torch':>10s} {'ratio':>6s}")
    for name in ACTIVATIONS:
        for layout in LAYOUTS:
            ours = _program(ag, F, name, layout, ours_x, ours_g)
            theirs = (_program(torch, torch.nn.functional, name, layout, torch_x, torch_g)
                      if torch is not None else None)
            ours_s, torch_s = median_pair(ours, theirs, repeats)
            ratio = ours_s / torch_s if torch_s else None
            rows.append({"activation": name, "layout": layout, "ours_s": ours_s, "torch_s": torch_s, "ratio": ratio})
            torch_text = f"{torch_s * 1e3:8.3f}ms" if torch_s else "       —  "
            ratio_text = f"{ratio:6.2f}" if ratio else "     —"
            print(f"{name:12s} {layout:11s} {ours_s * 1e3:8.3f}ms {torch_text} {ratio_text}", flush=True)
    result = {"elements": side * side, "dtype": "float32", "repeats": repeats,
              "torch_threads": args.torch_threads if torch is not None else None,
              "machine": dict(machine_info(), numpy_simd=numpy_simd()), "rows": rows}
    return write_result(args.out, result, load_before)


if __name__ == "__main__":
    main()
