"""The kernel tests test the Numba kernels: Numba is loaded before any of them runs, so that
dispatch functions which use numpy paths until Numba is loaded (kernels/__init__.py,
updates.py) reach the kernels.  The numpy paths themselves are tested in
tests/test_threads_kernels.py (with Numba not loaded, in a child process, and directly)."""
import pytest


@pytest.fixture(autouse=True, scope="session")
def _numba_loaded():
    from autograd_core.kernels import jit

    jit.load()
