"""Smoke tests of benchmarks/cnn.py and benchmarks/rnn.py in their --quick modes.

Both compare against torch (each checks that the two libraries compute the same loss and
gradients before timing anything), so this module needs torch.  Timing is never
asserted: what is asserted is that the scripts run end to end, their correctness gate
passes, and they write the JSON the README's tables come from.
"""
import json
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS = os.path.join(ROOT, "benchmarks")


def run_benchmark(name, *arguments):
    done = subprocess.run([sys.executable, os.path.join(BENCHMARKS, name), *arguments],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_cnn_benchmark_quick_writes_checked_cases(tmp_path):
    output = tmp_path / "cnn.json"
    table = run_benchmark("cnn.py", "--quick", "--out", str(output))
    document = json.loads(output.read_text())
    assert {(case["model"], case["batch"]) for case in document["cases"]} == {
        ("mnist1d", 1), ("mnist1d", 32), ("digits2d", 1), ("digits2d", 32)}
    for case in document["cases"]:
        assert case["ours_s"] > 0 and case["torch_s"] > 0 and len(case["times_s"]["ours"]) == document["rounds"]
    assert document["machine"]["cpu"] and "load_average" in document
    assert "| mnist1d | 32 |" in table


def test_rnn_benchmark_quick_checks_every_model_against_torch(tmp_path):
    output = tmp_path / "rnn.json"
    table = run_benchmark("rnn.py", "--quick", "--output", str(output))
    document = json.loads(output.read_text())
    assert {(entry["model"], entry["kind"]) for entry in document["cases"].values()} == {
        (model, kind) for model in ("GRU", "LSTM", "RNN") for kind in ("train", "fwd+bwd")}
    for key, entry in document["cases"].items():
        assert entry["check_error"] is None, (key, entry["check_error"])
        assert entry["ratio"] > 0 and len(entry["libs"]["ours"]["times_s"]) == document["rounds"]
    assert "| LSTM | 32 | train |" in table


def test_rnn_benchmark_quick_writes_no_json_by_default():
    default = os.path.join(BENCHMARKS, "results", "rnn.json")
    before = os.path.getmtime(default) if os.path.exists(default) else None
    run_benchmark("rnn.py", "--quick", "--models", "RNN", "--kinds", "train")
    assert (os.path.getmtime(default) if os.path.exists(default) else None) == before
