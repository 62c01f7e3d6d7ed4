"""W6 (memory) and W7 (cold start): each measurement is a fresh process per library.

Memory is measured as RSS (resident set size), not with tracemalloc: tracemalloc
sees only allocations made through Python's allocator hooks, which numpy's data
buffers use but torch's do not, so only RSS compares libraries fairly.  The peak is
the kernel's high-water mark (``getrusage(RUSAGE_SELF).ru_maxrss``); growth is the
current RSS (/proc/self/statm) at the last step minus at step `mark` -- a leak (a
tape that is never freed, a cache that grows) shows there.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from pool import WORKER

from .timed import MLP_PARAMS, mlp_inputs


def _train_in_fresh_process(library, options, env, timeout):
    """Run worker.py --train; returns (reply dict, wall seconds incl. interpreter start)."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, WORKER, library, "--train", json.dumps(options)],
                              capture_output=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "reason": f"timed out after {timeout} s"}, None
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.decode(errors="replace").splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        tail = [line for line in done.stderr.decode(errors="replace").splitlines() if line.strip()]
        return {"ok": False, "reason": f"exit {done.returncode}" + (f": {tail[-1][:150]}" if tail else "")}, None
    return json.loads(lines[-1]), wall


def _save_inputs(directory, batch):
    path = os.path.join(directory, f"mlp_batch{batch}.npz")
    np.savez(path, **mlp_inputs(batch))
    return path


def run_memory(libraries, directory, quick, log):
    """W6: `steps` training steps at batch 128 per library; peak RSS and growth."""
    steps, mark, batch = (30, 10, 32) if quick else (200, 20, 128)
    options = {"inputs": _save_inputs(directory, batch), "params": MLP_PARAMS, "steps": steps, "mark": mark}
    results = {}
    for library in libraries:
        log(f"W6 {library}")
        reply, wall = _train_in_fresh_process(library, options, dict(os.environ), timeout=600)
        if reply.get("ok"):
            reply["wall_s"] = wall
        results[library] = reply
    return {"steps": steps, "mark": mark, "batch": batch, "libraries": results}


def run_cold_start(libraries, directory, quick, log):
    """W7: wall time of a fresh process importing the library and running one step.

    "warm": the environment as it is, after one unmeasured run filled any caches
    (Numba's on-disk cache among them).  "empty": NUMBA_CACHE_DIR pointed at a new
    empty directory for every run, so every Numba kernel compiles again (libraries
    without Numba are unaffected; they show what the interpreter and imports cost).
    Runs are interleaved round-robin over libraries.
    """
    repeats = 1 if quick else 3
    batch = 32
    options = {"inputs": _save_inputs(directory, batch), "params": MLP_PARAMS, "steps": 1}
    results = {library: {"warm": [], "empty": [], "reason": None} for library in libraries}
    for library in libraries:  # prime caches; a failure here is the library's result
        reply, _ = _train_in_fresh_process(library, options, dict(os.environ), timeout=600)
        if not reply.get("ok"):
            results[library]["reason"] = reply["reason"]
    runnable = [library for library in libraries if results[library]["reason"] is None]
    for repeat in range(repeats):
        for mode in ("warm", "empty"):
            for position in range(len(runnable)):
                library = runnable[(position + repeat) % len(runnable)]
                log(f"W7 {mode} {library} ({repeat + 1}/{repeats})")
                env = dict(os.environ)
                with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
                    if mode == "empty":
                        env["NUMBA_CACHE_DIR"] = cache
                    reply, wall = _train_in_fresh_process(library, options, env, timeout=600)
                if reply.get("ok"):
                    results[library][mode].append({"wall_s": wall, "import_s": reply["import_s"],
                                                   "setup_and_first_step_s": reply["setup_and_first_step_s"]})
                elif results[library]["reason"] is None:
                    results[library]["reason"] = reply["reason"]
    return {"batch": batch, "repeats": repeats, "libraries": results}
