"""Smoke test of examples/forward_vs_reverse.py (--quick settings): its checks hold and the plot is written."""
import importlib
import os
import sys

import pytest

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
sys.path.insert(0, EXAMPLES_DIR)

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")


def test_forward_vs_reverse_quick(monkeypatch, tmp_path):
    common = importlib.import_module("_common")
    monkeypatch.setattr(common, "OUTPUT_DIR", str(tmp_path))
    result = importlib.import_module("forward_vs_reverse").main(quick=True)
    assert result["jacobian_agreement"] < 1e-12  # both modes give the same Jacobian
    assert result["hessian_error"] < 1e-6       # the Hessian agrees with finite differences
    assert result["per_sample"]["loop_max_difference"] < 1e-12  # vmap(grad) equals the per-sample loop
    assert len(result["per_sample"]["norms"]) == 128 and (result["per_sample"]["norms"] > 0).all()
    assert {row["size"] for row in result["costs"]["n"]} == {2, 8, 32}
    assert (tmp_path / "forward_vs_reverse.png").exists()
