"""Smoke test: examples/distributed_digits.py --quick on 2 ranks under mpiexec writes its plot and
checkpoint, and the two ranks end with the same accuracy."""
import json
import os
import sys

import pytest

pytest.importorskip("mpi4py")
pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_launch  # noqa: E402


def test_distributed_digits_on_two_ranks(tmp_path):
    done = mpi_launch.run("mpi_worker_example.py", tmp_path, ranks=2, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = [json.loads((tmp_path / f"result{rank}.json").read_text()) for rank in range(2)]
    assert [r["world"] for r in results] == [2, 2]
    assert results[0]["accuracy"] == results[1]["accuracy"] > 0.5   # two epochs: far above chance
    assert results[0]["reloaded_accuracy"] == results[0]["accuracy"]
    assert len(results[0]["samples_per_second"]) == 2
    assert "rank 1:" in done.stdout and "final test accuracy" in done.stdout
    assert (tmp_path / "distributed_digits.png").exists()
    assert (tmp_path / "distributed_digits.safetensors").exists()
