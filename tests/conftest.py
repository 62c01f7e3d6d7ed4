import os
import sys

# Make `tests.helpers` importable as `helpers` from any test module.
sys.path.insert(0, os.path.dirname(__file__))

from hypothesis import settings  # noqa: E402

# In CI, a skipped *_torch.py comparison fails the run (see ci_torch_guard's docstring).
from ci_torch_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: E402,F401

# Keep property tests quick on the 2-core CI machines, and deterministic.
settings.register_profile("default", max_examples=40, deadline=None, derandomize=True)
settings.load_profile("default")
