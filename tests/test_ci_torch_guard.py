"""tests/ci_torch_guard.py: with CI=true a skipped *_torch.py module or test fails the run; without, it skips."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _run(tmp_path, ci, module_skip=True):
    (tmp_path / "conftest.py").write_text(
        "from ci_torch_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401\n")
    if module_skip:
        (tmp_path / "test_missing_torch.py").write_text(
            "import pytest\nnot_there = pytest.importorskip('no_such_module_for_the_guard')\n"
            "def test_never():\n    pass\n")
    (tmp_path / "test_one_skip_torch.py").write_text(
        "import pytest\ndef test_skips():\n    pytest.skip('torch has no such option')\n"
        "@pytest.mark.xfail(reason='known', strict=True)\ndef test_xfail():\n    assert False\n"
        "def test_runs():\n    pass\n")
    (tmp_path / "test_other.py").write_text(
        "import pytest\ndef test_skip_elsewhere():\n    pytest.skip('not a torch comparison')\n")
    environment = {**os.environ, "PYTHONPATH": HERE + os.pathsep + os.environ.get("PYTHONPATH", "")}
    environment.pop("CI", None)
    if ci is not None:
        environment["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)


def test_in_ci_a_torch_comparison_module_that_skips_itself_fails_the_run(tmp_path):
    result = _run(tmp_path, "true")
    assert result.returncode != 0, result.stdout  # pytest stops at the collection error (exit 2)
    assert "ERROR test_missing_torch.py - the torch comparison module test_missing_torch.py was skipped" in result.stdout
    assert "No module named 'no_such_module_for_the_guard'" in result.stdout and "must run in CI" in result.stdout


def test_in_ci_a_skipped_torch_comparison_test_fails_and_others_stay(tmp_path):
    result = _run(tmp_path, "true", module_skip=False)
    assert result.returncode == 1, result.stdout
    tail = result.stdout.strip().splitlines()[-1]
    assert "1 failed" in tail and "1 passed" in tail and "1 skipped" in tail and "1 xfailed" in tail, tail
    assert "FAILED test_one_skip_torch.py::test_skips" in result.stdout and "torch has no such option" in result.stdout


@pytest.mark.parametrize("ci", [None, "false", "1"])
def test_outside_ci_they_skip(tmp_path, ci):
    result = _run(tmp_path, ci)
    assert result.returncode == 0, result.stdout
    tail = result.stdout.strip().splitlines()[-1]
    assert "3 skipped" in tail and "1 passed" in tail and " failed" not in tail and "error" not in tail, tail
