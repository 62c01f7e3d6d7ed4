"""Start a script under the virtual environment's ``mpiexec`` (MPICH from PyPI), with a timeout.

Each rank gets one BLAS/Numba thread (two ranks on two cores otherwise
oversubscribe), and the repository root on PYTHONPATH, so the workers import
this checkout whether or not it is installed.
"""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))


def mpiexec():
    """The mpiexec beside this Python (the mpich wheel puts it there), else the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.path.exists(beside) else shutil.which("mpiexec")


def environment():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               NUMBA_NUM_THREADS="1")
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run(script, *args, ranks=2, timeout=120):
    """Run tests/distributed/<script> on `ranks` processes (ranks=None: plain python, no mpiexec)."""
    command = [sys.executable, os.path.join(HERE, script), *map(str, args)]
    if ranks is not None:
        command = [mpiexec(), "-n", str(ranks)] + command
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=environment(), cwd=ROOT)
