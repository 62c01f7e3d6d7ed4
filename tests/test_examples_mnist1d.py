"""Smoke tests of examples/mnist1d_models.py (--quick settings and a short command-line run).

Neither needs torch: the MNIST-1D example's torch timings are switched off here (the
torch side runs only where torch is installed, and is not what these tests check).
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from examples_helpers import EXAMPLES_DIR, example  # noqa: F401  (example is a fixture)

pytest.importorskip("matplotlib")


def test_mnist1d_quick_trains_every_model_on_both_rows(example):
    pytest.importorskip("mnist1d")
    results = example("mnist1d_models").main(quick=True, compare_torch=False)
    assert set(results) == {f"{kind}{suffix}" for kind in ("logreg", "mlp", "cnn", "gru") for suffix in ("", "_shuffled")}
    for name, entry in results.items():
        assert entry["steps"] == [0, 10, 20], name
        assert all(0.0 <= accuracy <= 100.0 for accuracy in entry["test_acc"]), name
        assert entry["seconds"] > 0 and entry["best"] == max(entry["test_acc"])
        assert "torch_seconds" not in entry
    # 20 Adam steps already lift every model above chance (10%) on the 1000 test signals
    assert all(entry["final"] > 12.0 for entry in results.values())
    assert (example.output / "mnist1d.png").stat().st_size > 0


def test_mnist1d_shuffled_data_is_one_fixed_permutation_of_the_positions(example):
    pytest.importorskip("mnist1d")
    module = example("mnist1d_models")
    normal, shuffled = module.make_data(False), module.make_data(True)
    assert np.array_equal(normal["y"], shuffled["y"]) and normal["x"].shape == shuffled["x"].shape == (4000, 40)
    assert not np.allclose(normal["x"], shuffled["x"])
    # the same multiset of values in every row: positions permuted, values untouched
    assert np.allclose(np.sort(normal["x"][:50], axis=1), np.sort(shuffled["x"][:50], axis=1))


def test_mnist1d_command_line_runs_a_chosen_model_and_row(tmp_path):
    pytest.importorskip("mnist1d")
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, "mnist1d_models.py"), "--steps", "30",
                             "--models", "cnn", "--rows", "shuffled", "--no-torch", "--output", str(tmp_path)],
                            capture_output=True, text=True, timeout=300, cwd=EXAMPLES_DIR)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| shuffled | " in result.stdout and "| normal |" not in result.stdout
    assert "CNN (shuffled): " in result.stdout and "after 30 steps (paper 56%" in result.stdout
    saved = json.loads((tmp_path / "mnist1d_cnn_shuffled.json").read_text())
    assert list(saved) == ["cnn_shuffled"] and saved["cnn_shuffled"]["steps"] == [0, 30]
    assert (tmp_path / "mnist1d.png").stat().st_size > 0


def test_mnist1d_command_line_refuses_an_unknown_model():
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, "mnist1d_models.py"), "--quick",
                             "--models", "resnet"], capture_output=True, text=True, timeout=120, cwd=EXAMPLES_DIR)
    assert result.returncode == 2 and "resnet" in result.stderr
