"""Array kernels: plain functions on ndarrays, no Tensor in sight.

Every op that has a hot inner loop calls its kernel through this module, so a
faster implementation (a Numba kernel) can replace the numpy one in one place.
Each kernel here has a numpy reference twin (`reference.py`,
`reference_loss.py`) used by the tests.

Which implementation each name gets is decided by measurement
(``python benchmarks/kernels.py``, on 1M float32 elements and on a (10,)
array; results in benchmarks/results/kernels.json): see the table below.
"""
from . import numba_cache

numba_cache.install()  # before any kernel is defined: the cache then notices edits to any file here

from . import activations, cross_entropy, rows  # noqa: E402
from .special import erf  # noqa: E402,F401

# -- activations ---------------------------------------------------------------------
relu_forward = activations.relu_forward
relu_backward = activations.relu_backward
leaky_relu_forward = activations.leaky_relu_forward
leaky_relu_backward = activations.leaky_relu_backward
elu_forward = activations.elu_forward
elu_backward = activations.elu_backward
sigmoid_forward = activations.sigmoid_forward
sigmoid_backward = activations.sigmoid_backward
tanh_forward = activations.tanh_forward
tanh_backward = activations.tanh_backward
gelu_forward = activations.gelu_forward
gelu_backward = activations.gelu_backward
softplus_forward = activations.softplus_forward
softplus_backward = activations.softplus_backward

# -- softmax family and the fused cross-entropy ------------------------------------------
softmax_forward = rows.softmax_forward
log_softmax_forward = rows.log_softmax_forward
logsumexp_forward = rows.logsumexp_forward
cross_entropy_forward = cross_entropy.cross_entropy_forward
cross_entropy_backward = cross_entropy.cross_entropy_backward
