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
#   tanh_forward where numpy runs its AVX-512 tanh (tanh_forward below says when);
#   relu_forward, sigmoid_backward, tanh_backward on small arrays: one or two numpy ufunc calls
#   cost less than Numba's dispatch (~1.3 us) below about 1000-2000 elements.
from . import numpy_paths as _numpy  # noqa: E402
from . import reference as _reference  # noqa: E402
from .jit import is_loaded as _numba_loaded  # noqa: E402
from .parallel import get_num_threads, set_num_threads  # noqa: E402,F401

# Memory (W6): loading Numba costs ~140 MiB of RSS (numpy_paths.py).  The kernels a plain MLP
# step calls -- relu, the sums of bias gradients, the softmax family and cross-entropy -- have
# numpy paths that are at most a few tens of microseconds slower per call at these sizes, so
# they load Numba only for an array of LOAD_NUMBA_AT elements or more; once Numba is loaded
# (by such an array, or by any kernel without a numpy path) they use it from their speed
# crossover on.  W1's batch-128 step (65,536-element activations) thus runs in numpy in a
# fresh process: 200 steps peak at ~60 MiB instead of 175 MiB (benchmarks/README.md, W6).
LOAD_NUMBA_AT = 1 << 17


def _numba(size, crossover=0):
    """Whether a kernel of `size` elements whose Numba version wins from `crossover` takes it."""
    return size >= crossover and (size >= LOAD_NUMBA_AT or _numba_loaded())


leaky_relu_forward = activations.leaky_relu_forward
leaky_relu_backward = activations.leaky_relu_backward
elu_forward = activations.elu_forward
elu_backward = activations.elu_backward
sigmoid_forward = activations.sigmoid_forward
gelu_forward = activations.gelu_forward
gelu_backward = activations.gelu_backward
softplus_forward = activations.softplus_forward
softplus_backward = activations.softplus_backward
erf = activations.erf  # libm erf in a Numba loop: ~10x numpy's frompyfunc (special.erf, the twin)


def relu_forward(x):
    """max(x, 0): numpy below 2048 elements (and below LOAD_NUMBA_AT until Numba is loaded)."""
    if _numba(x.size, 2048):
        return activations.relu_forward(x)
    return _numpy.relu_forward(x)


def relu_backward(g, y):
    """g where y > 0: the Numba kernel once loaded (it wins at every size), else numpy."""
    if _numba(y.size):
        return activations.relu_backward(g, y)
    return _numpy.relu_backward(g, y)


def sigmoid_backward(g, y):
    """g y (1 - y): numpy below 1024 elements (and below LOAD_NUMBA_AT until Numba is loaded)."""
    if _numba(y.size, 1024):
        return activations.sigmoid_backward(g, y)
    return _reference.sigmoid_backward(g, y)


def _numpy_runs_avx512(ufunc, dtype):
    """Whether numpy's loop for ``ufunc`` on `dtype` ("float32": float32 in, float32 out) is its
    AVX-512 one on this CPU (numpy picks a SIMD loop per CPU at import; numpy.lib.introspect
    reports which)."""
    try:
        from numpy.lib.introspect import opt_func_info  # numpy >= 2.1

        (loop,) = opt_func_info(func_name=f"^{ufunc}$", signature=f"^{dtype}$")[ufunc].values()
        target = loop["current"]
    except Exception:  # an older numpy, or the loop not dispatched by CPU: no claim
        return False
    return "AVX512" in target or "X86_V4" in target


# numpy's tanh is one SIMD pass too, and how fast depends on the CPU it picked a loop for.
# Measured (1M elements, one thread): on an AMD EPYC with AVX-512 (numpy's X86_V4 loop) numpy
# 0.36 ms vs the Numba kernel 0.63 ms (float32); on an AMD EPYC of the first Zen generation
# (AVX2: numpy's X86_V3 loop) numpy 6.80 ms vs 3.16 ms (float32) and 32.8 vs 12.2 ms (float64),
# the kernel ahead from ~1024 float32 / ~256 float64 elements.  So numpy where its AVX-512 loop
# runs, the kernel elsewhere (a CPU measured on neither side gets the kernel, which LLVM
# vectorizes for whatever the CPU has).
NUMPY_TANH_IS_AVX512 = {np.dtype(np.float32): _numpy_runs_avx512("tanh", "float32"),
                        np.dtype(np.float64): _numpy_runs_avx512("tanh", "float64")}


def tanh_forward(x):
    """tanh(x): numpy where its AVX-512 tanh runs (NUMPY_TANH_IS_AVX512), else the Numba kernel
    from 1024 elements (and from LOAD_NUMBA_AT until Numba is loaded)."""
    if x.size < 1024 or NUMPY_TANH_IS_AVX512.get(x.dtype, True) or not _numba(x.size):
        return _reference.tanh_forward(x)
    return activations.tanh_forward(x)


def tanh_backward(g, y):
    """g (1 - y^2): numpy below 1024 elements (and below LOAD_NUMBA_AT until Numba is loaded)."""
    if y.size >= 1024 and _numba(y.size):
        return activations.tanh_backward(g, y)
    return _reference.tanh_backward(g, y)


relu_forward.path = "numpy below 2048 elements (below 131072 until Numba is loaded), else numba"
relu_backward.path = "numpy below 131072 elements until Numba is loaded, else numba"
tanh_forward.path = ("numpy (its AVX-512 tanh runs on this CPU)" if all(NUMPY_TANH_IS_AVX512.values()) else
                     "numpy below 1024 elements (below 131072 until Numba is loaded), else numba")
sigmoid_backward.path = tanh_backward.path = \
    "numpy below 1024 elements (below 131072 until Numba is loaded), else numba"

# -- softmax family and the fused cross-entropy (Numba wins at every size measured, once loaded) --
def softmax_forward(x, axis):
    """e^(x - max) / sum(e^(x - max)) along `axis`."""
    if _numba(x.size):
        return rows.softmax_forward(x, axis)
    return _reference.softmax_forward(x, axis)


def log_softmax_forward(x, axis):
    """(x - max) - log(sum(e^(x - max))) along `axis`."""
    if _numba(x.size):
        return rows.log_softmax_forward(x, axis)
    return _reference.log_softmax_forward(x, axis)


def logsumexp_forward(x, axes, keepdims):
    """log(sum(e^x)) over `axes` (a tuple, or None for all)."""
    if _numba(np.size(x)):
        return rows.logsumexp_forward(x, axes, keepdims)
    ndim = np.ndim(x)
    axes = tuple(range(ndim)) if axes is None else axes
    return _reference.logsumexp_forward(x, tuple(sorted(a % ndim for a in axes)) if ndim else (), keepdims)


def cross_entropy_forward(logits, targets, ignore_index=-100):
    """(loss per row, softmax probs); see cross_entropy.py."""
    if _numba(logits.size):
        return cross_entropy.cross_entropy_forward(logits, targets, ignore_index)
    return _numpy.cross_entropy_forward(logits, targets, ignore_index)


def cross_entropy_backward(g, probs, targets, ignore_index=-100):
    """(probs - onehot(targets)) * g per row; see cross_entropy.py."""
    if _numba(probs.size):
        return cross_entropy.cross_entropy_backward(g, probs, targets, ignore_index)
    return _numpy.cross_entropy_backward(g, probs, targets, ignore_index)


softmax_forward.path = log_softmax_forward.path = logsumexp_forward.path = cross_entropy_forward.path = \
    cross_entropy_backward.path = "numpy below 131072 elements until Numba is loaded, else numba"


# -- sum and mean along adjacent axes (ops/reduce.py's Sum and Mean of float tensors) --
# Numba wins from ~16K float32 elements (1M: row sums 78 vs 168 us, all 73 vs 153 us, column
# sums 87 vs 104 us); below that numpy's call is cheaper than the kernel's axis bookkeeping.
def sum_forward(x, axis=None, keepdims=False):
    """np.sum(x, axis, keepdims) (an ndarray; float32/float64 sums accumulate in float64)."""
    if not _numba(x.size, 16384):
        return np.asarray(np.sum(x, axis=axis, keepdims=keepdims))
    return reductions.sum_forward(x, axis, keepdims)


def mean_forward(x, axis=None, keepdims=False):
    """np.mean(x, axis, keepdims) (an ndarray; float32/float64 sums accumulate in float64)."""
    if not _numba(x.size, 16384):
        return np.asarray(np.mean(x, axis=axis, keepdims=keepdims))
    return reductions.mean_forward(x, axis, keepdims)


sum_forward.path = mean_forward.path = "numpy below 16384 elements (below 131072 until Numba is loaded), else numba"


# -- one recurrent time step's gate math (ops/recurrent_sequence.py) --
# Measured per call (hidden 64, float32, AMD EPYC; B = batch): the Numba kernels win at every
# batch measured, 15-20x at B = 1 (one dispatch against ~10 ufunc calls: LSTM forward 0.9 vs
# 15 us) and 4-6x at B = 100 (LSTM forward 16 vs 71 us, backward 10.5 vs 47 us; GRU 13 vs 60,
# 8 vs 42 us), except the Elman tanh forward where numpy's AVX-512 tanh runs: there one numpy
# add and numpy's tanh beat scalar_math's tanh from ~2048 positions (B = 32: 1.82 vs 1.89 us;
# B = 100: 4.3 vs 3.3 us).  With numpy's AVX2 tanh (first-generation Zen EPYC) the kernel wins at
# every batch (B = 1 / 32 / 100: 1.25 / 8.5 / 24.5 us against 2.7 / 17.9 / 48.9).
from . import recurrent as _recurrent  # noqa: E402
from . import reference_recurrent as _reference_recurrent  # noqa: E402


def recurrent_step(name, positions):
    """The function for one time step's gates (kernels/recurrent.py's `name`) over `positions`
    = batch * hidden elements.  Looked up on each call (once per sequence), so that once Numba
    is loaded this is the dispatcher itself, not the lazy stand-in that would add a call."""
    if name == "elman_tanh_forward_step" and positions >= 2048 and NUMPY_TANH_IS_AVX512[np.dtype(np.float32)]:
        return _reference_recurrent.elman_tanh_forward_step
    return getattr(_recurrent, name)
