"""Turning results into markdown tables (one per workload) and describing the machine."""
import json
import os
import platform
import statistics
from importlib import metadata

from peers import LIBRARIES, MACHINE

PACKAGES = ("numpy", "numba", "torch", "autograd", "mygrad", "micrograd", "autograd-core")


def machine_info():
    """CPU model, cores, versions and numpy's BLAS (threadpoolctl), without importing any peer."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model)
    except OSError:
        pass
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    blas = []
    try:
        import numpy  # noqa: F401  (loads the BLAS that threadpoolctl then reports)
        from threadpoolctl import threadpool_info

        blas = [{k: info.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                for info in threadpool_info()]
    except ImportError:
        pass
    return {
        "cpu": model, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(), "versions": versions, "blas": blas,
        "env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "NUMBA_"))},
    }


def write_result(path, result, load_before):
    """Record the load average (at the start: `load_before`, and now) in `result`, write it to `path`
    as JSON (making its folder) and say so."""
    load_after = os.getloadavg()
    result["load_average"] = {"start": load_before, "end": load_after}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(result, handle, indent=1)
    print(f"load average {load_before[0]:.2f} -> {load_after[0]:.2f}; wrote {path}")
    return result


def numpy_simd():
    """numpy's compiled-in SIMD baseline and the dispatch targets this CPU supports (AVX2, AVX512_SKX...)."""
    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    return {"baseline": list(__cpu_baseline__),
            "dispatch_supported": [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]}


def machine_markdown(info):
    """The machine paragraph printed above the tables."""
    versions = ", ".join(f"{name} {version}" for name, version in info["versions"].items() if version)
    blas = "; ".join(f"{b['internal_api']} {b['version']} ({b['architecture']}, {b['num_threads']} threads)"
                     for b in info["blas"]) or "unknown"
    env = ", ".join(f"{k}={v}" for k, v in sorted(info["env"].items())) or "none"
    return (f"Machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable); "
            f"Python {info['python']}; {versions}.  \nnumpy BLAS: {blas}.  \nThread/BLAS env vars: {env}.")


def seconds(value):
    """A duration with a unit a reader takes in at a glance."""
    if value is None:
        return "—"
    if value < 1e-3:
        return f"{value * 1e6:.1f} µs"
    if value < 1:
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s"


def ratio(value, reference):
    """' (1.23x)': value / reference, or nothing without a reference."""
    return f" ({value / reference:.2f}x)" if value is not None and reference else ""


def _median(entry):
    return entry.get("median_s") if entry and entry.get("status") == "ok" else None


def _notes(case_entries):
    """'lib, case: status: reason' lines, merged when one library has the same reason everywhere."""
    by_library, appearances = {}, {}
    for label, entries in case_entries:
        for library, entry in entries.items():
            appearances[library] = appearances.get(library, 0) + 1
            if entry.get("status") != "ok":
                by_library.setdefault(library, []).append((label, f"{entry['status']}: {entry.get('reason', '')}"))
    lines = []
    for library, items in by_library.items():
        reasons = {reason for _, reason in items}
        if len(reasons) == 1 and len(items) == appearances[library] > 1:
            lines.append(f"- {library} (all cases): {items[0][1]}")
        else:
            lines.extend(f"- {library}, {label}: {reason}" for label, reason in items)
    return lines


# W3's two forms, each its own table (the cases carry work["form"]).
_W3_FORM_TITLES = {"explicit": "`act(x).backward(g)`, g a contiguous random gradient",
                   "sum": "`act(x).sum().backward()`: the gradient arrives as a broadcast of one number"}


def timed_markdown(key, workload):
    """Rows: libraries; columns: cases; cells: median and ratio to torch."""
    cases = [c for c in workload["cases"] if not c["machine_only"]]
    machine_only = [c for c in workload["cases"] if c["machine_only"]]
    lines = [f"### {key}: {workload['title']}", ""]
    if workload["per_op"]:
        lines.append("Time per op (call time / ops), ratio to torch in parentheses.")
    else:
        lines.append("Median time per call, ratio to torch in parentheses.")
    forms = [] if key != "W3" else list(dict.fromkeys(c["work"].get("form", "explicit") for c in cases))
    if len(forms) > 1:
        for form in forms:
            group = [c for c in cases if c["work"].get("form", "explicit") == form]
            lines += ["", f"{_W3_FORM_TITLES.get(form, form)}:"]
            lines += _timed_table(key, workload, group, label=lambda c: c["label"].split(",")[0])
    else:
        lines += _timed_table(key, workload, cases)
    lines.append("")
    lines += _machine_lines(key, machine_only, cases)
    lines += _notes([(c["label"], c["results"]) for c in cases + machine_only])
    return "\n".join(lines) + "\n"


def _timed_table(key, workload, cases, label=None):
    """The markdown lines of one table: a row per library, a column per case."""
    per_op = workload["per_op"]
    libraries = [lib for lib in LIBRARIES if any(lib in c["results"] for c in cases)]
    header = ["library"] + [label(c) if label else c["label"] for c in cases]
    extra = _extra_column(key, cases)
    if extra:
        header.append(extra[0])
    lines = ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for library in libraries:
        cells = [library]
        for case in cases:
            entry = case["results"].get(library)
            value, reference = _median(entry), _median(case["results"].get("torch"))
            if per_op and value is not None:
                ops = case["work"]["ops"]
                value, reference = value / ops, (reference / ops if reference else None)
            cells.append(seconds(value) + ratio(value, reference) if value is not None else "—")
        if extra:
            cells.append(extra[1](library))
        lines.append("| " + " | ".join(cells) + " |")
    if key == "W3":
        lines.append(_memory_floor_row(cases, len(header)))
    return lines


def _floor_median(case):
    return _median(case["results"].get(MACHINE)) if case.get("floor_work") else None


def _extra_column(key, cases):
    """W1: GEMM share at the largest batch.  W5: µs per op at each chain length."""
    if key == "W1" and cases:
        largest = max(cases, key=lambda c: c["work"]["batch"])
        gemms = _floor_median(largest)

        def gemm_share(library):
            value = _median(largest["results"].get(library))
            return "—" if value is None or gemms is None else f"{gemms / value:.0%}"

        return (f"GEMM share, batch {largest['work']['batch']}", gemm_share)
    if key == "W5":
        def per_op(library):
            values = [_median(c["results"].get(library)) for c in cases]
            return " / ".join("—" if v is None else f"{v / c['work']['ops'] * 1e6:.2f}" for v, c in zip(values, cases))

        return ("µs per op at each length (flat = linear)", per_op)
    return None


def _memory_floor_row(cases, width):
    """Per activation: the bytes it must move, at the copy bandwidth measured in its own rounds."""
    cells = ["memory-traffic floor"]
    for case in cases:
        copy = _floor_median(case)
        cells.append("—" if copy is None else seconds(copy * case["work"]["bytes"] / case["floor_work"]["bytes"]))
    return "| " + " | ".join(cells + [""] * (width - len(cells))) + " |"


def _machine_lines(key, machine_only, cases):
    """The machine's own figures, measured in this run."""
    lines = []
    for case in machine_only:
        value = _median(case["results"].get(MACHINE))
        if value is not None:
            lines.append(f"Machine: {case['label']} (numpy): {seconds(value)} = "
                         f"{case['work']['flops'] / value / 1e9:.1f} GFLOP/s.")
    if key == "W1" and cases:
        largest = max(cases, key=lambda c: c["work"]["batch"])
        gemms = _floor_median(largest)
        if gemms is not None:
            lines.append(f"Machine: the 8 GEMMs of a batch-{largest['work']['batch']} step alone (numpy, timed in "
                         f"the same rounds as the libraries): {seconds(gemms)} = "
                         f"{largest['work']['flops'] / gemms / 1e9:.1f} GFLOP/s.  GEMM share = that time / the "
                         "library's step time, i.e. the step's GEMM FLOP rate as a fraction of this peak.")
    if key == "W3" and cases:
        copies = [(case, _floor_median(case)) for case in cases if _floor_median(case)]
        if copies:
            case, copy = copies[0]
            lines.append(f"Machine: copying x ({case['floor_work']['bytes'] // 2 / 1e6:g} MB, timed in the same "
                         f"rounds): {seconds(copy)} = {case['floor_work']['bytes'] / copy / 1e9:.1f} GB/s read+write "
                         f"({case['label']}'s rounds). The floor moves 5 arrays: read x, write y, read g, read x, "
                         "write dx.")
    return lines + ([""] if lines else [])


def memory_markdown(result):
    """W6's table: peak RSS, peak over the RSS before training, growth between two steps."""
    steps, mark = result["steps"], result["mark"]
    lines = [f"### W6: memory of {steps} W1 training steps at batch {result['batch']} (RSS)", "",
             f"| library | peak RSS | peak - RSS before training | growth step {mark} -> {steps} |",
             "|---|---|---|---|"]
    notes = []
    torch_extra = _rss_extra(result["libraries"].get("torch"))
    for library, entry in result["libraries"].items():
        if not entry.get("ok"):
            lines.append(f"| {library} | — | — | — |")
            notes.append(f"- {library}: failed: {entry.get('reason')}")
            continue
        extra = _rss_extra(entry)
        growth = (entry["rss_at_end"] - entry["rss_at_mark"]) / 2**20
        lines.append(f"| {library} | {entry['peak_rss'] / 2**20:.0f} MiB | {extra / 2**20:.1f} MiB"
                     f"{ratio(extra, torch_extra)} | {growth:+.1f} MiB |")
    return "\n".join(lines + [""] + notes) + "\n"


def _rss_extra(entry):
    return entry["peak_rss"] - entry["rss_before_steps"] if entry and entry.get("ok") else None


def cold_markdown(result):
    """W7's table: median wall time of a fresh process, warm and empty Numba cache."""
    lines = [f"### W7: cold start (fresh process: import + build + first step at batch {result['batch']})", "",
             "Median wall time of the whole process (import / build+first step inside it).", "",
             "| library | warm Numba cache | empty Numba cache |", "|---|---|---|"]
    notes = []

    def median_of(entries, field):
        return statistics.median(e[field] for e in entries) if entries else None

    torch_entry = result["libraries"].get("torch", {})
    for library, entry in result["libraries"].items():
        cells = [library]
        for mode in ("warm", "empty"):
            wall = median_of(entry[mode], "wall_s")
            if wall is None:
                cells.append("—")
                continue
            cells.append(f"{seconds(wall)}{ratio(wall, median_of(torch_entry.get(mode), 'wall_s'))} "
                         f"({seconds(median_of(entry[mode], 'import_s'))} / "
                         f"{seconds(median_of(entry[mode], 'setup_and_first_step_s'))})")
        lines.append("| " + " | ".join(cells) + " |")
        if entry.get("reason"):
            notes.append(f"- {library}: failed: {entry['reason']}")
    return "\n".join(lines + [""] + notes) + "\n"


def markdown(results):
    """Everything printed: the machine, skipped libraries, one table per workload."""
    loads = [results.get("load_average_at_start"), results.get("load_average_at_end")]
    load = " -> ".join("/".join(f"{v:.1f}" for v in pair) for pair in loads if pair)
    parts = [machine_markdown(results["machine"]) + (f"  \nLoad average (1/5/15 min), start -> end: {load}."
                                                     if load else ""), ""]
    skipped = [f"- {lib}: {why}" for lib, why in results["skipped"].items()]
    if skipped:
        parts += ["Libraries not run:"] + skipped + [""]
    for key, workload in results["workloads"].items():
        if key == "W6":
            parts.append(memory_markdown(workload))
        elif key == "W7":
            parts.append(cold_markdown(workload))
        else:
            parts.append(timed_markdown(key, workload))
    return "\n".join(parts)
