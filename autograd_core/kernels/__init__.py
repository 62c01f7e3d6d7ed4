"""Array kernels: plain functions on ndarrays, no Tensor in sight.

Every op that has a hot inner loop calls its kernel through this module, so a
faster implementation (a Numba kernel) can replace the numpy one in one place.
Each kernel here has a numpy reference twin (`reference.py`,
`reference_loss.py`) used by the tests.

Which implementation each name gets is decided by measurement
(``python benchmarks/kernels.py``, on 1M float32 elements and on a (10,)
array; results in benchmarks/results/kernels.json): see the table below.
"""
import numpy as np

# Numba itself is imported on the first kernel call (jit.py), which also installs the
# package-wide cache key (numba_cache.py) before any dispatcher exists.
from . import activations, cross_entropy, reductions, rows  # noqa: E402

# -- activations ---------------------------------------------------------------------
# Measured (float32, 1M elements / (10,)): the fused Numba loops win everywhere except
#   tanh_forward: numpy's SIMD tanh is one pass already (0.36 ms vs 0.63 ms, 0.4 us vs 1.3 us);
#   relu_forward, sigmoid_backward, tanh_backward on small arrays: one or two numpy ufunc calls
#   cost less than Numba's dispatch (~1.3 us) below about 1000-2000 elements.
from . import reference as _reference  # noqa: E402

leaky_relu_forward = activations.leaky_relu_forward
leaky_relu_backward = activations.leaky_relu_backward
relu_backward = activations.relu_backward
elu_forward = activations.elu_forward
elu_backward = activations.elu_backward
sigmoid_forward = activations.sigmoid_forward
tanh_forward = _reference.tanh_forward
gelu_forward = activations.gelu_forward
gelu_backward = activations.gelu_backward
softplus_forward = activations.softplus_forward
softplus_backward = activations.softplus_backward
erf = activations.erf  # libm erf in a Numba loop: ~10x numpy's frompyfunc (special.erf, the twin)


def relu_forward(x):
    """max(x, 0): numpy below 2048 elements, the Numba kernel above."""
    if x.size < 2048:
        return _reference.relu_forward(x)
    return activations.relu_forward(x)


def sigmoid_backward(g, y):
    """g y (1 - y): numpy below 1024 elements, the Numba kernel above."""
    if g.size < 1024:
        return _reference.sigmoid_backward(g, y)
    return activations.sigmoid_backward(g, y)


def tanh_backward(g, y):
    """g (1 - y^2): numpy below 1024 elements, the Numba kernel above."""
    if g.size < 1024:
        return _reference.tanh_backward(g, y)
    return activations.tanh_backward(g, y)


relu_forward.path = "numpy below 2048 elements, else numba"
sigmoid_backward.path = tanh_backward.path = "numpy below 1024 elements, else numba"

# -- softmax family and the fused cross-entropy (Numba wins at every size measured) -------
softmax_forward = rows.softmax_forward
log_softmax_forward = rows.log_softmax_forward
logsumexp_forward = rows.logsumexp_forward
cross_entropy_forward = cross_entropy.cross_entropy_forward
cross_entropy_backward = cross_entropy.cross_entropy_backward


# -- sum and mean along adjacent axes (ops/reduce.py's Sum and Mean of float tensors) --
# Numba wins from ~16K float32 elements (1M: row sums 78 vs 168 us, all 73 vs 153 us, column
# sums 87 vs 104 us); below that numpy's call is cheaper than the kernel's axis bookkeeping.
def sum_forward(x, axis=None, keepdims=False):
    """np.sum(x, axis, keepdims) (an ndarray; float32/float64 sums accumulate in float64)."""
    if x.size < 16384:
        return np.asarray(np.sum(x, axis=axis, keepdims=keepdims))
    return reductions.sum_forward(x, axis, keepdims)


def mean_forward(x, axis=None, keepdims=False):
    """np.mean(x, axis, keepdims) (an ndarray; float32/float64 sums accumulate in float64)."""
    if x.size < 16384:
        return np.asarray(np.mean(x, axis=axis, keepdims=keepdims))
    return reductions.mean_forward(x, axis, keepdims)


sum_forward.path = mean_forward.path = "numpy below 16384 elements, else numba"
