"""numpy twins of the layout loops of kernels/convolution.py (tests/kernels/test_convolution_layout.py).

The twins of im2col, col2im and max pooling are the strided-view paths of ops/conv.py and
ops/pool.py (`im2col_numpy`, `col2im_numpy`, `max_pool_numpy`), which the ops also run for
N-d and tiny problems.
"""
import numpy as np

__all__ = ["by_sample", "by_channel"]


def by_sample(product, bias, out):
    """out[n, o, :] = product[o, n, :] (+ bias[o]; an empty `bias` adds nothing)."""
    source = np.swapaxes(product, 0, 1)
    if bias.size:
        np.add(source, bias[:, None], out=out)
    else:
        np.copyto(out, source)


def by_channel(g, out):
    """out[o, n, :] = g[n, o, :]."""
    np.copyto(out, np.swapaxes(g, 0, 1))
