"""Smoke tests: every example runs end to end with --quick settings and writes its plot."""
import os
import subprocess
import sys

import numpy as np
import pytest

from examples_helpers import EXAMPLES_DIR, example  # noqa: F401  (example is a fixture)

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")


def test_quickstart_runs_as_a_script():
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, "quickstart.py")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "gradcheck: True" in result.stdout


def test_linear_regression_matches_least_squares(example):
    result = example("linear_regression").main(quick=True)
    assert result["losses"][-1] < result["losses"][0]
    assert (example.output / "linear_regression.png").exists()


def test_digits_classification(example):
    result = example("digits_classification").main(quick=True)
    assert result["mlp_accuracy"] > 0.5  # two epochs only: well above chance (10%)
    assert (example.output / "digits.png").exists()


def test_breast_cancer_binary(example):
    result = example("breast_cancer_binary").main(quick=True)
    assert result["test_accuracy"] > 0.8
    np.testing.assert_allclose(result["bce_logits"], result["bce_probabilities"], rtol=1e-4)
    assert (example.output / "breast_cancer.png").exists()


def test_optimizer_paths(example):
    finals = example("optimizer_paths").main(quick=True)
    assert set(finals) == {"SGD", "Momentum", "Nesterov", "RMSprop", "Adagrad", "Adam"}
    assert all(np.isfinite(v) for v in finals.values())
    assert (example.output / "optimizer_paths.png").exists()


def test_regularization_and_schedules(example):
    result = example("regularization_and_schedules").main(quick=True)
    assert result["rates"]["StepLR(step_size=10, gamma=0.5)"][0] == pytest.approx(0.1)
    assert (example.output / "regularization_and_schedules.png").exists()


@pytest.mark.parametrize("name", ["linear_regression", "optimizer_paths"])
def test_examples_accept_quick_flag_on_the_command_line(name):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, name + ".py"), "--quick", "--no-plot"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
