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


def test_mnist1d_seeds_report_the_mean_and_sample_sd_of_the_per_seed_finals(example, capsys):
    pytest.importorskip("mnist1d")
    import statistics

    module = example("mnist1d_models")
    results = module.main(quick=True, compare_torch=False, kinds=("logreg", "mlp"), rows=("normal", "shuffled"),
                          seeds=(0, 1, 2), plot=False)
    printed = capsys.readouterr().out
    for name, entry in results.items():
        assert entry["seeds"] == [0, 1, 2] and len(entry["per_seed"]) == 3, name
        finals = [seed_entry["final"] for seed_entry in entry["per_seed"]]
        assert entry["finals"] == finals and entry["final"] == finals[0]  # the entry itself is the first seed's
        assert entry["final_mean"] == pytest.approx(statistics.mean(finals))
        assert entry["final_std"] == pytest.approx(statistics.stdev(finals))  # sample sd (n - 1)
        # the table's cell: mean ± sd beside the paper's figure, then each seed's value
        paper = module.PAPER[name.split("_")[0]][name.endswith("_shuffled")]
        assert (f"{entry['final_mean']:.1f} ± {entry['final_std']:.1f}% (paper {paper}%, notebook"
                in printed and " / ".join(f"{v:.1f}" for v in finals) + ")" in printed), name
    # the seeds really change the initialisation: the MLP's 20-step curves differ between seeds
    curves = [tuple(seed_entry["test_acc"]) for seed_entry in results["mlp"]["per_seed"]]
    assert len(set(curves)) == 3
    # and each seed's run is the single-seed run with that seed (the default stays seed 42, one run)
    single = module.main(quick=True, compare_torch=False, kinds=("mlp",), rows=("normal",), seeds=(1,), plot=False)
    assert single["mlp"]["test_acc"] == results["mlp"]["per_seed"][1]["test_acc"] and "per_seed" not in single["mlp"]
    assert module.DEFAULT_SEEDS == (42,)


def test_mnist1d_command_line_seeds_record_every_seed_in_the_json(tmp_path):
    pytest.importorskip("mnist1d")
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, "mnist1d_models.py"), "--steps", "20",
                             "--models", "logreg", "--rows", "normal", "--seeds", "3,4", "--no-torch", "--no-plot",
                             "--output", str(tmp_path)], capture_output=True, text=True, timeout=300, cwd=EXAMPLES_DIR)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "logistic regression (normal, seed 3): " in result.stdout and ", seed 4): " in result.stdout
    saved = json.loads((tmp_path / "mnist1d_logreg_normal_seeds3_4.json").read_text())["logreg"]
    assert saved["seeds"] == [3, 4] and [e["final"] for e in saved["per_seed"]] == saved["finals"]
    assert saved["final_mean"] == pytest.approx(np.mean(saved["finals"]))
    assert saved["final_std"] == pytest.approx(np.std(saved["finals"], ddof=1))
    bad = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, "mnist1d_models.py"), "--quick", "--seeds", "1,x"],
                         capture_output=True, text=True, timeout=120, cwd=EXAMPLES_DIR)
    assert bad.returncode == 2 and "--seeds" in bad.stderr
