"""Smoke tests of the classic-experiment examples (--quick settings) and the missing-extra message."""
import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
sys.path.insert(0, EXAMPLES_DIR)

pytest.importorskip("matplotlib")


@pytest.fixture
def example(monkeypatch, tmp_path):
    common = importlib.import_module("_common")
    monkeypatch.setattr(common, "OUTPUT_DIR", str(tmp_path))

    def load(name):
        return importlib.import_module(name)

    load.output = tmp_path
    return load


def test_vanishing_gradients(example):
    results = example("vanishing_gradients").main(quick=True)
    assert set(results) == {"sigmoid", "tanh", "ReLU"}
    sigmoid, relu = results["sigmoid"]["grad_norms"][0], results["ReLU"]["grad_norms"][0]
    assert sigmoid.shape == (10,)
    assert sigmoid[0] / sigmoid[-1] < 1e-3 < relu[0] / relu[-1]  # the sigmoid net's first layer starves
    assert (example.output / "vanishing_gradients.png").exists()


def test_dying_relu(example):
    results = example("dying_relu").main(quick=True)
    for result in results.values():
        assert np.all((result["dead"] >= 0) & (result["dead"] <= 1))
    assert results["ELU"]["no_gradient"].max() == 0.0  # ELU units always get a gradient
    assert (example.output / "dying_relu.png").exists()


def test_a_missing_examples_extra_is_one_clear_message(tmp_path):
    for module in ("sklearn", "matplotlib"):
        (tmp_path / module).mkdir()
        (tmp_path / module / "__init__.py").write_text(f"raise ModuleNotFoundError(\"No module named '{module}'\")\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    for name in ("vanishing_gradients", "breast_cancer_binary", "regularization_and_schedules", "optimizer_paths"):
        result = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, name + ".py"), "--quick"],
                                capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode != 0, name
        assert 'pip install -e ".[examples]"' in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr, (name, result.stderr)
