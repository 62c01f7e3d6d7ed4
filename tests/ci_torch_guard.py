"""In CI (``CI=true``), a skipped torch comparison is a failure, not a quiet 's'.

Every ``*_torch.py`` module checks this project against PyTorch and skips itself when
torch is missing (``pytest.importorskip("torch")``).  On a developer's machine that is
a convenience; in CI it would mean "checked against PyTorch" was never checked, so
these hooks (imported by ``tests/conftest.py``) turn such a skip, of the whole module
at collection or of one of its tests, into a failure that says why.  The test extra
``torch`` (``pip install -e ".[test,torch,...]"``) installs the pinned torch CI needs.
"""
import os

import pytest


def _in_ci():
    return os.environ.get("CI", "").lower() == "true"


def _is_torch_comparison(path):
    return os.path.basename(str(path)).endswith("_torch.py")


def _reason(report):
    longrepr = report.longrepr
    return longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)


def _fail(report, where):
    report.outcome = "failed"
    report.longrepr = (f"{where} was skipped ({_reason(report)}), and CI=true: the torch comparisons must "
                       "run in CI. Install the pinned torch with the test command in README.md "
                       "(the 'torch' extra).")


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """A ``*_torch.py`` module that skips itself at import (no torch) fails in CI."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _in_ci() and isinstance(collector, pytest.Module) and _is_torch_comparison(collector.path):
        _fail(report, f"the torch comparison module {os.path.basename(str(collector.path))}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test of a ``*_torch.py`` module that skips (not an xfail) fails in CI."""
    outcome = yield
    report = outcome.get_result()
    if (report.skipped and not hasattr(report, "wasxfail") and _in_ci()
            and _is_torch_comparison(item.path)):
        _fail(report, f"the torch comparison {item.nodeid}")
