"""benchmarks/checkpoint_memory.py --quick runs all three ways and writes its JSON with the machine."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_checkpoint_memory_benchmark_quick_run(tmp_path):
    out = tmp_path / "checkpoint_memory.json"
    subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "checkpoint_memory.py"), "--quick",
                    "--out", str(out)], check=True, capture_output=True, text=True, timeout=600)
    result = json.loads(out.read_text())
    assert [(row["block"], row["way"]) for row in result["rows"]] == [
        (block, way) for block in ("linear-relu", "mlp4x") for way in ("none", "each-layer", "sqrt-segments")]
    assert result["same_loss_every_way"], "checkpointing changed the forward value"
    for row in result["rows"]:
        assert row["peak_mib"] > 0 and row["best_s"] > 0 and row["grads_mib"] > 0
    assert result["machine"]["cpu"] and len(result["load_average"]["start"]) == 3
