"""Array kernels: plain functions on ndarrays, no Tensor in sight.

Every op that has a hot inner loop calls its kernel through this module, so a
faster implementation (a Numba kernel) can replace the numpy one in one place.
Each kernel here has a numpy reference twin in `reference.py` used by the tests.
"""
from .reference import (  # noqa: F401
    elu_backward,
    elu_forward,
    gelu_backward,
    gelu_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    log_softmax_forward,
    logsumexp_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_forward,
    softplus_backward,
    softplus_forward,
    tanh_backward,
    tanh_forward,
)
