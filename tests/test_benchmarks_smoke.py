"""Smoke test of the benchmark suite (benchmarks/run.py): it runs, checks, and writes its JSON.

Timing is never asserted (benchmarks are scripts with numbers, not timed tests);
what is asserted is that the harness works end to end in --quick mode on the two
libraries that are always installed, and that its correctness gate refuses a
library that computes something else.
"""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS = os.path.join(ROOT, "benchmarks")


def _load_compare():
    # Loaded under a private name: the benchmarks' flat module names must not leak into sys.modules.
    spec = importlib.util.spec_from_file_location("_benchmarks_compare", os.path.join(BENCHMARKS, "compare.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("bench") / "quick.json"
    done = subprocess.run(
        [sys.executable, os.path.join(BENCHMARKS, "run.py"), "--quick", "--only", "ours,numpy",
         "--output", str(output)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(output.read_text()), done.stdout


def test_quick_run_writes_json_for_every_workload(quick_run):
    results, _ = quick_run
    assert set(results["workloads"]) == {"W1", "W2", "W3", "W4", "W5", "W6", "W7"}
    assert results["libraries"] == ["ours", "numpy"]
    assert results["machine"]["cpu"] and results["machine"]["versions"]["numpy"] == np.__version__


def test_every_timed_case_has_a_result_or_a_reason(quick_run):
    results, _ = quick_run
    for key in ("W1", "W2", "W3", "W4", "W5"):
        for case in results["workloads"][key]["cases"]:
            for library, entry in case["results"].items():
                assert entry["status"] in ("ok", "failed", "skipped", "disagrees"), (key, library, entry)
                if entry["status"] == "ok":
                    assert entry["median_s"] > 0 and len(entry["times_s"]) >= 1
                else:
                    assert entry["reason"], (key, case["label"], library)
            if not case["machine_only"]:
                # the hand-written numpy floor always runs, and is the reference without torch
                assert case["results"]["numpy"]["status"] == "ok", (key, case["label"])
                assert case["reference"] == "numpy"


def test_machine_floors_are_measured_in_the_same_rounds(quick_run):
    results, _ = quick_run
    w1 = results["workloads"]["W1"]["cases"]
    assert [case["results"]["machine"]["status"] for case in w1 if case["machine_only"]] == ["ok"]
    for key in ("W1", "W3"):
        for case in results["workloads"][key]["cases"]:
            if not case["machine_only"]:
                assert case["floor_work"] and case["results"]["machine"]["status"] == "ok", (key, case["label"])
                assert len(case["results"]["machine"]["times_s"]) == len(case["results"]["numpy"]["times_s"])


def test_process_workloads_report_memory_and_cold_start(quick_run):
    results, _ = quick_run
    numpy_memory = results["workloads"]["W6"]["libraries"]["numpy"]
    assert numpy_memory["ok"] and numpy_memory["peak_rss"] >= numpy_memory["rss_before_steps"] > 0
    numpy_cold = results["workloads"]["W7"]["libraries"]["numpy"]
    assert len(numpy_cold["warm"]) == len(numpy_cold["empty"]) == 1
    assert numpy_cold["warm"][0]["wall_s"] > numpy_cold["warm"][0]["import_s"] > 0


def test_markdown_tables_are_printed(quick_run):
    _, stdout = quick_run
    for key in ("W1", "W2", "W3", "W4", "W5", "W6", "W7"):
        assert f"### {key}:" in stdout
    assert "| library |" in stdout and "| numpy |" in stdout


def test_correctness_gate_refuses_wrong_values_and_dtypes():
    compare = _load_compare()
    reference = {"loss": np.array([2.3]), "grad": np.array([[1.0, -2.0], [0.0, 4.0]], dtype=np.float32)}
    same = {"loss": np.array([2.3 + 1e-9]), "grad": reference["grad"] + np.float32(1e-6)}
    assert compare.disagreement(same, reference, 1e-3, "torch")[0] is None
    wrong = dict(same, grad=reference["grad"] * np.float32(1.01))
    assert "grad off by" in compare.disagreement(wrong, reference, 1e-3, "torch")[0]
    upcast = dict(same, grad=reference["grad"].astype(np.float64))
    assert "float64" in compare.disagreement(upcast, reference, 1e-3, "torch")[0]
    assert "returned no grad" in compare.disagreement({"loss": same["loss"]}, reference, 1e-3, "torch")[0]


def test_missing_peer_is_skipped_with_a_reason():
    # Pretend mygrad is not installed: it must be listed as skipped, not crash the run.
    code = (
        "import sys, importlib.util as u; sys.path.insert(0, sys.argv[1]); real = u.find_spec;"
        "u.find_spec = lambda name, *a: None if name == 'mygrad' else real(name, *a);"
        "import json, run; print(json.dumps(run.select_libraries('ours,mygrad')))"
    )
    done = subprocess.run([sys.executable, "-c", code, BENCHMARKS], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    libraries, skipped = json.loads(done.stdout)
    assert libraries == ["ours"]
    assert skipped["mygrad"].startswith("not installed")


def test_threads_wake_part_reports_every_figure(tmp_path):
    """benchmarks/threads.py --parts wake: the pool's submit and wake-up costs and a chunk timeline."""
    output = tmp_path / "wake.json"
    done = subprocess.run([sys.executable, os.path.join(BENCHMARKS, "threads.py"), "--parts", "wake",
                           "--threads", "2", "--repeats", "5", "--output", str(output)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    wake = json.loads(output.read_text())["wake"]
    assert wake["submit_us"]["median"] > 0
    assert set(wake["start_after_submit_us"]) == {"caller_waiting", "caller_in_kernel"}
    timeline = wake["timeline"]
    assert timeline["chunks"] >= 2 and timeline["serial_call_us"]["median"] > 0
    assert timeline["two_thread_call_us"]["median"] > 0
    assert set(wake["native_claiming_us"]) == {"100us", "1ms"}
    assert all(case[mode]["median"] > 0 for case in wake["native_claiming_us"].values() for mode in ("serial", "parallel"))
    assert "pool thread starts after submit" in done.stdout and "chunks claimed in native code" in done.stdout
