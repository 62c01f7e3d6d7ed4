"""benchmarks/layouts.py --quick runs, covers every activation x layout, and writes its JSON."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_layouts_benchmark_quick_run(tmp_path):
    out = tmp_path / "layouts.json"
    subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "layouts.py"), "--quick", "--out", str(out)],
                   check=True, capture_output=True, text=True, timeout=600)
    result = json.loads(out.read_text())
    pairs = {(row["activation"], row["layout"]) for row in result["rows"]}
    assert len(pairs) == 7 * 5 and ("gelu", "sum") in pairs and ("relu", "transposed") in pairs
    assert all(row["ours_s"] > 0 for row in result["rows"])
    assert result["machine"]["cpu"] and "baseline" in result["machine"]["numpy_simd"]
