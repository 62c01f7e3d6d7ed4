"""What the hardware allows, measured with numpy in the same run: GEMM peak and copy bandwidth."""
import numpy as np

from .common import Timed

VERSION = np.__version__


def gemm(a, b):
    """float32 a @ b into a preallocated output (BLAS sgemm; 2*m*k*n FLOPs)."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.float32)
    return Timed(run=lambda: np.matmul(a, b, out=out), check=lambda: {"trace": np.array([np.trace(a @ b)])})


def copy(x):
    """Copy an array into a preallocated one: reads and writes x.nbytes each."""
    out = np.empty_like(x)
    return Timed(run=lambda: np.copyto(out, x), check=lambda: {})
