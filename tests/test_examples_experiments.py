"""Smoke tests of the classic-experiment examples (--quick settings), checking the numbers each returns,
and the message an example gives when the `examples` extra is missing."""
import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

from examples_helpers import EXAMPLES_DIR, example  # noqa: F401  (example is a fixture)

pytest.importorskip("matplotlib")


def test_vanishing_gradients(example):
    results = example("vanishing_gradients").main(quick=True)
    assert set(results) == {"sigmoid", "tanh", "ReLU"}
    for result in results.values():
        assert result["grad_norms"].shape == (20, 10)  # 20 steps x 10 Linear layers, from GradientMonitor
        assert np.all(np.isfinite(result["grad_norms"])) and np.all(result["grad_norms"] > 0)
    sigmoid, tanh, relu = (results[name]["grad_norms"][0] for name in ("sigmoid", "tanh", "ReLU"))
    assert sigmoid[0] / sigmoid[-1] < 1e-3  # the sigmoid net's first layer starves ...
    assert np.all(np.diff(np.log(sigmoid)) > 0)  # ... and the gradient shrinks at every layer on the way down
    assert tanh[0] / tanh[-1] > 0.1 and relu[0] / relu[-1] > 0.1  # tanh and ReLU keep it
    assert (example.output / "vanishing_gradients.png").stat().st_size > 10_000


def test_dying_relu(example):
    results = example("dying_relu").main(quick=True)  # 10 steps at lr 0.03, then 20 at 0.001
    switch = 10
    for result in results.values():
        assert np.all((result["dead"] >= 0) & (result["dead"] <= 1))
        assert len(result["dead"]) == len(result["no_gradient"]) == 30
    relu, baseline = results["ReLU"], results["ReLU, lr 0.001 throughout"]
    # The large learning rate kills ReLU units; the usual one hardly does.
    assert relu["dead"][switch - 1] > baseline["dead"][switch - 1] + 0.2
    # A dead ReLU unit gets no gradient: the zero-gradient units include the dead ones, and they stay dead.
    assert np.all(relu["no_gradient"] >= relu["dead"] - 1e-9)
    assert relu["no_gradient"][-1] > 0.2
    # LeakyReLU and ELU units below zero still get a gradient.
    for name in ("LeakyReLU(0.01)", "LeakyReLU(0.1)", "ELU"):
        assert results[name]["no_gradient"].max() == 0.0, name
    assert (example.output / "dying_relu.png").stat().st_size > 10_000


def test_initialization(example):
    out = example("initialization").main(quick=True)  # 8-layer nets at initialisation, 15 training steps
    relu, tanh = out["variances"]["ReLU"], out["variances"]["tanh"]
    assert relu["zeros"].shape == (8,)
    assert np.all(relu["zeros"] == 0) and np.all(tanh["zeros"] == 0)
    for by_init in (relu, tanh):  # N(0, 0.01): the signal vanishes, by orders of magnitude
        assert by_init["N(0, 0.01)"][-1] < 1e-9 * by_init["N(0, 0.01)"][0]
    assert 0.5 < relu["Kaiming"][-1] / relu["Kaiming"][0] < 2  # Kaiming preserves a ReLU net's variance
    assert relu["Xavier"][-1] / relu["Xavier"][0] < 0.05  # Xavier halves it per ReLU layer
    assert 0.2 < tanh["Xavier"][-1] / tanh["Xavier"][0] < 1.5  # and preserves it (nearly) for tanh
    # Symmetry: from zeros (and from a constant) the units of a layer stay identical while training.
    _, distinct_zeros, _ = out["training"]["zeros"]
    _, distinct_kaiming, _ = out["training"]["Kaiming"]
    assert np.all(distinct_zeros == 1) and np.all(distinct_kaiming == 64)
    _, distinct_constant, tracked = out["symmetry"]["constant 0.1"]
    assert np.all(distinct_constant == 1)
    assert np.all(tracked == tracked[:, :1])  # the 8 tracked units: one value per step
    assert (example.output / "initialization.png").stat().st_size > 10_000


def test_gradcheck_walkthrough(example):
    out = example("gradcheck_walkthrough").main(quick=True)  # x = -3, -1.5, 0, 1.5, 3
    assert out["wrong_passed"] is False and out["fixed_passed"] is True
    report = out["report"]
    assert "analytical" in report and "numerical" in report
    assert "4 of 25 Jacobian entries differ" in report  # the diagonal but for x = 0
    at = out["x"][out["worst_index"]]
    assert abs(at) == 3.0  # the worst entry is at an end of the range, where |tanh(x/2)| is largest
    analytical = float(report.split("analytical ")[1].split(" ")[0])
    numerical = float(report.split("numerical ")[1].split(" ")[0])
    np.testing.assert_allclose(analytical, 1 / (1 + np.exp(at)), rtol=1e-8)  # what the buggy backward returns
    np.testing.assert_allclose(numerical, 1 / (1 + np.exp(-at)), rtol=1e-6)  # the true slope, sigmoid(x)
    np.testing.assert_allclose(out["fixed_grad"], 1 / (1 + np.exp(-out["x"])), rtol=1e-12)
    assert (example.output / "gradcheck_walkthrough.png").stat().st_size > 10_000


def test_regularization_and_schedules(example):
    pytest.importorskip("sklearn")
    module = example("regularization_and_schedules")
    out = module.main(quick=True)
    assert set(out["decay"]) == {"SGD", "SGD(weight_decay=3e-3)", "Adam", "Adam(weight_decay=1e-2): coupled L2",
                                 "AdamW(weight_decay=1.0): decoupled"}
    for result in list(out["decay"].values()) + list(out["stopping"].values()):
        assert all(np.isfinite(result["valid"])) and result["valid"][-1] < result["valid"][0]
    stopped = out["stopping"]["Adam + early stopping"]
    # The restored weights are the best epoch's: the model's validation loss after restoring is that epoch's.
    assert stopped["restored_valid"] == pytest.approx(stopped["valid"][stopped["best_epoch"] - 1], rel=1e-5)
    assert stopped["restored_valid"] == pytest.approx(min(stopped["valid"]), rel=1e-5)
    assert (example.output / "regularization_and_schedules.png").stat().st_size > 10_000


def test_regularization_label_noise():
    pytest.importorskip("sklearn")
    module = importlib.import_module("regularization_and_schedules")
    (X, clean), valid = module.load_splits(train_size=500)
    (X_noisy, noisy), valid_noisy = module.load_splits(train_size=500, label_noise=0.3)
    np.testing.assert_array_equal(X, X_noisy)
    np.testing.assert_array_equal(valid[1], valid_noisy[1])  # validation labels stay clean
    assert 0.2 < np.mean(clean != noisy) < 0.35  # 30% redrawn, a tenth of them to the same class


def test_early_stopping_fires_and_restores_the_best_weights():
    """fit() with patience on a validation loss that turns up: it stops `patience` epochs after the best."""
    pytest.importorskip("sklearn")
    module = importlib.import_module("regularization_and_schedules")
    train, valid = module.load_splits(train_size=500, label_noise=0.3)
    result = module.fit(module.make_model(), (train[0][:200], train[1][:200]), valid, epochs=40, patience=3)
    assert result["stopped"] is not None and result["stopped"] < 40
    assert result["stopped"] - result["best_epoch"] == 3
    assert len(result["valid"]) == result["stopped"]
    assert result["restored_valid"] == pytest.approx(min(result["valid"]), rel=1e-5)


BLOCKER = '''
import sys

class _Blocked:
    """Pretend these packages are not installed (as without the `examples` extra)."""
    names = {NAMES}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Blocked())
'''

PLOTTING_EXAMPLES = ["linear_regression", "digits_classification", "breast_cancer_binary", "optimizer_paths",
                     "regularization_and_schedules", "vanishing_gradients", "dying_relu", "initialization",
                     "gradcheck_walkthrough"]


@pytest.mark.parametrize("name", PLOTTING_EXAMPLES)
def test_a_missing_examples_extra_is_one_clear_message(tmp_path, name):
    (tmp_path / "sitecustomize.py").write_text(BLOCKER.replace("{NAMES}", repr({"matplotlib", "sklearn", "tqdm"})))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    check = subprocess.run([sys.executable, "-c", "import matplotlib"], capture_output=True, text=True, env=env)
    assert check.returncode != 0 and "ModuleNotFoundError" in check.stderr  # the blocker works
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, name + ".py"), "--quick"],
                            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert result.returncode != 0, name
    assert 'pip install -e ".[examples]"' in result.stderr, (name, result.stderr)
    assert "Traceback" not in result.stderr, (name, result.stderr)


def test_without_tqdm_an_example_still_runs(tmp_path):
    """tqdm only draws the progress bar: an example runs without it (matplotlib present, --no-plot)."""
    (tmp_path / "sitecustomize.py").write_text(BLOCKER.replace("{NAMES}", repr({"tqdm"})))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, "gradcheck_walkthrough.py"), "--quick",
                             "--no-plot"], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "gradcheck on the fixed Function: True" in result.stdout
