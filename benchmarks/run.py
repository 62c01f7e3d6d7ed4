"""Side-by-side benchmarks: this project against torch, HIPS autograd, mygrad, micrograd, numpy.

    python benchmarks/run.py                      # everything (~10 min on 2 cores)
    python benchmarks/run.py --quick --only ours,numpy
    python benchmarks/run.py --workloads W1,W2 --update-readme

Each library runs in its own worker process (worker.py).  For every case the
parent writes one set of inputs, every worker builds the case from it and returns
its losses/gradients, which must agree with torch's (or numpy's) before any
timing; then the workers are timed round-robin, one after another, `repeats`
times (the starting library rotates), and the median is reported.  Markdown
tables go to stdout, everything to results/latest.json.
"""
import argparse
import datetime
import importlib.util
import json
import os
import statistics
import sys
import tempfile

import numpy as np

from compare import disagreement, load_check, pick_reference
from peers import LIBRARIES, MACHINE
from pool import WorkerProcess
from report import machine_info, markdown
from workloads import ALL_KEYS, TIMED_WORKLOADS
from workloads.process import run_cold_start, run_memory

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(HERE, "README.md")
README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


def log(message):
    """Progress on stderr, so stdout carries only the tables."""
    print(message, file=sys.stderr, flush=True)


class Runner:
    """Runs the timed workloads' cases over long-lived workers, one per library."""

    def __init__(self, libraries, directory, repeats, target_s):
        self.libraries = libraries
        self.directory = directory
        self.repeats = repeats
        self.target_s = target_s
        self.workers = {}
        self.counter = 0

    def worker(self, library):
        """The library's worker, started (again) if needed; (worker, None) or (None, reason)."""
        worker = self.workers.get(library)
        if worker is None or not worker.alive:
            log_path = os.path.join(self.directory, f"{library}.log")
            worker = self.workers[library] = WorkerProcess(library, log_path)
            if not worker.hello.get("ok"):
                worker.close(kill=True)
                return None, worker.hello["reason"]
        return worker, None

    def close(self):
        """End every worker."""
        for worker in self.workers.values():
            worker.close()

    def run_workload(self, workload, quick):
        """All cases of one timed workload, in order."""
        cases = []
        for case in workload.make_cases(quick):
            log(f"{workload.key} {case.label}")
            cases.append(self.run_case(workload, case))
        return {"title": workload.title, "per_op": workload.per_op, "cases": cases}

    def run_case(self, workload, case):
        """Set the case up in every worker, refuse those that disagree, time the rest."""
        self.counter += 1
        inputs = os.path.join(self.directory, f"case{self.counter}.npz")
        np.savez(inputs, **case.arrays)
        if case.libs is not None:
            participants = list(case.libs)
        else:
            participants = [lib for lib in self.libraries if workload.libs is None or lib in workload.libs]
        setups = {library: (case.fn, inputs, case.params) for library in participants}
        if case.floor is not None:
            floor_inputs = os.path.join(self.directory, f"case{self.counter}-floor.npz")
            np.savez(floor_inputs, **case.floor[1])
            setups[MACHINE] = (case.floor[0], floor_inputs, {})
        entries, checks, ready = {}, {}, []
        for library, (fn, path, params) in setups.items():
            worker, reason = self.worker(library)
            if worker is None:
                entries[library] = {"status": "failed", "reason": reason}
                continue
            check_path = os.path.join(self.directory, f"case{self.counter}-{library}-check.npz")
            reply = worker.request({"op": "setup", "fn": fn, "inputs": path, "params": params,
                                    "check_out": check_path, "target_s": self.target_s}, timeout=600)
            if reply["ok"]:
                entries[library] = {"status": "ok", "first_s": reply["first_s"], "number": reply["number"]}
                checks[library] = check_path
                ready.append(library)
            else:
                status = "skipped" if reply.get("kind") == "unsupported" else "failed"
                entries[library] = {"status": status, "reason": reply["reason"]}
        reference = pick_reference([library for library in ready if library != MACHINE])
        if reference is not None:
            expected = load_check(checks[reference])
            entries[reference]["reference"] = True
            for library in list(ready):
                if library not in (reference, MACHINE):
                    reason, error = disagreement(load_check(checks[library]), expected, case.tolerance, reference)
                    if reason:
                        entries[library] = {"status": "disagrees", "reason": reason}
                        ready.remove(library)
                    else:
                        entries[library]["check_error"] = error
        self._time(case, ready, entries)
        for library in ready:
            if self.workers[library].alive:
                self.workers[library].request({"op": "drop"}, timeout=120)
        return {"label": case.label, "work": case.work, "machine_only": case.libs is not None,
                "floor_work": case.floor[2] if case.floor else None, "reference": reference, "results": entries}

    def _time(self, case, ready, entries):
        """Round-robin: every repeat times each library once, starting one further along."""
        repeats = case.repeats or self.repeats
        times = {library: [] for library in ready}
        for repeat in range(repeats):
            for position in range(len(ready)):
                library = ready[(position + repeat) % len(ready)]
                if entries[library]["status"] != "ok":
                    continue
                entry = entries[library]
                timeout = 60 + 20 * entry["first_s"] * entry["number"]
                reply = self.workers[library].request({"op": "time"}, timeout=timeout)
                if reply["ok"]:
                    times[library].append(reply["seconds"])
                else:
                    entries[library] = {"status": "failed", "reason": reply["reason"]}
        for library, values in times.items():
            if entries[library]["status"] == "ok":
                entries[library].update(times_s=values, median_s=statistics.median(values))


def select_libraries(only):
    """The libraries to run (in the table's order) and {name: why not} for the rest."""
    wanted = list(LIBRARIES) if only is None else [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in LIBRARIES]
    if unknown:
        raise SystemExit(f"--only: unknown libraries {unknown}; known: {', '.join(LIBRARIES)}")
    libraries, skipped = [], {}
    for name in wanted:
        if importlib.util.find_spec(LIBRARIES[name].requires) is None:
            skipped[name] = f"not installed (pip install -e '.[bench]' installs {LIBRARIES[name].requires})"
        else:
            libraries.append(name)
    return libraries, skipped


def parse_args(argv):
    """The command line, with quick-mode defaults filled in."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats and small sizes (smoke test)")
    parser.add_argument("--only", help=f"comma-separated libraries among {','.join(LIBRARIES)}")
    parser.add_argument("--workloads", default=",".join(ALL_KEYS), help="comma-separated, e.g. W1,W2")
    parser.add_argument("--repeats", type=int, help="timed rounds per case (default 7, quick 3)")
    parser.add_argument("--target", type=float, help="seconds per timed call batch (default 0.1, quick 0.01)")
    parser.add_argument("--output", help="JSON path (default results/latest.json; with --quick results/quick.tmp)")
    parser.add_argument("--update-readme", action="store_true", help="put the tables into benchmarks/README.md")
    args = parser.parse_args(argv)
    args.keys = [key.strip().upper() for key in args.workloads.split(",") if key.strip()]
    bad = [key for key in args.keys if key not in ALL_KEYS]
    if bad:
        parser.error(f"--workloads: unknown {bad}; known: {','.join(ALL_KEYS)}")
    args.repeats = args.repeats or (3 if args.quick else 7)
    args.target = args.target or (0.01 if args.quick else 0.1)
    default_name = "quick.tmp" if args.quick else "latest.json"  # *.tmp is git-ignored
    args.output = args.output or os.path.join(HERE, "results", default_name)
    return args


def update_readme(text):
    """Replace what lies between the results markers in benchmarks/README.md."""
    with open(README) as readme:
        content = readme.read()
    start, end = content.index(README_START) + len(README_START), content.index(README_END)
    with open(README, "w") as readme:
        readme.write(content[:start] + "\n" + text + "\n" + content[end:])


def main(argv=None):
    """Run the selected workloads, print the tables, write the JSON."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    libraries, skipped = select_libraries(args.only)
    results = {
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick, "repeats": args.repeats, "target_s": args.target,
        "machine": machine_info(), "load_average_at_start": os.getloadavg(),
        "libraries": libraries, "skipped": skipped, "workloads": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        runner = Runner(libraries, directory, args.repeats, args.target)
        try:
            for key in args.keys:
                if key in TIMED_WORKLOADS:
                    results["workloads"][key] = runner.run_workload(TIMED_WORKLOADS[key], args.quick)
                elif key == "W6":
                    capable = [lib for lib in libraries if lib != "micrograd"]
                    results["workloads"][key] = run_memory(capable, directory, args.quick, log)
                elif key == "W7":
                    capable = [lib for lib in libraries if lib != "micrograd"]
                    results["workloads"][key] = run_cold_start(capable, directory, args.quick, log)
        finally:
            runner.close()
    results["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    results["load_average_at_end"] = os.getloadavg()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as out:
        json.dump(results, out, indent=1)
    text = markdown(results)
    print(text)
    if args.update_readme:
        update_readme(f"Command: `{results['command']}` ({results['started']})\n\n{text}")
    log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
