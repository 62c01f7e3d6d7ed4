"""What the example smoke tests share: where the examples are, and a fixture that imports one
with its plots redirected to a temporary folder (``example("name")``; ``example.output``)."""
import importlib
import os
import sys

import pytest

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
if EXAMPLES_DIR not in sys.path:
    sys.path.insert(0, EXAMPLES_DIR)


@pytest.fixture
def example(monkeypatch, tmp_path):
    """Import an example module with its plots redirected to a temporary folder."""
    common = importlib.import_module("_common")
    monkeypatch.setattr(common, "OUTPUT_DIR", str(tmp_path))

    def load(name):
        return importlib.import_module(name)

    load.output = tmp_path
    return load
