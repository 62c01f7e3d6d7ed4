"""What the hardware allows, measured with numpy in the same run: GEMM peak and copy bandwidth."""
import numpy as np

from .common import Timed

VERSION = np.__version__


def gemm(a, b):
    """float32 a @ b into a preallocated output (BLAS sgemm; 2*m*k*n FLOPs)."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.float32)
    return Timed(run=lambda: np.matmul(a, b, out=out), check=lambda: {"trace": np.array([np.trace(a @ b)])})


def mlp_gemms(x, w0, w1, w2, h, dh, dz):
    """The eight GEMMs of one W1 training step, nothing else: what the step costs at BLAS speed.

    Forward x W0^T, h W1^T, h W2^T; backward dz^T h, dz W2, dh^T h, dh W1, dh^T x
    (the gradient with respect to the input x is not needed).
    """
    products = [(x, w0.T), (h, w1.T), (h, w2.T), (dz.T, h), (dz, w2), (dh.T, h), (dh, w1), (dh.T, x)]
    outputs = [np.empty((a.shape[0], b.shape[1]), dtype=np.float32) for a, b in products]

    def run():
        for (a, b), out in zip(products, outputs):
            np.matmul(a, b, out=out)

    return Timed(run=run, check=lambda: {})


def copy(x):
    """Copy an array into a preallocated one: reads and writes x.nbytes each."""
    out = np.empty_like(x)
    return Timed(run=lambda: np.copyto(out, x), check=lambda: {})
