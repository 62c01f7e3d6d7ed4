"""Smoke test of benchmarks/distributed.py --quick: it launches 1 and 2 ranks and writes its JSON.
No timing is asserted (benchmarks are scripts with numbers, not timed tests)."""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("mpi4py")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_launch  # noqa: E402


def test_benchmark_quick_run(tmp_path):
    output = tmp_path / "distributed.json"
    done = subprocess.run([sys.executable, os.path.join(mpi_launch.ROOT, "benchmarks", "distributed.py"), "--quick",
                           "--output", str(output)], capture_output=True, text=True, timeout=180,
                          env=mpi_launch.environment(), cwd=mpi_launch.ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(output.read_text())
    two = result["rows"]["2 processes x 1 thread"]
    assert two["processes"] == 2 and two["rows_per_rank"] == 256 and two["buckets"] == 2
    assert result["scaling_efficiency"] > 0 and 0.0 <= result["hidden_fraction"] <= 1.0
    assert "scaling efficiency" in done.stdout
