"""Random numbers: one seeded generator behind every random draw.

`manual_seed(seed)` reseeds it, so initialisation, dropout masks, `randn` and
DataLoader shuffling all become reproducible together (as with torch.manual_seed).
The streams are numpy's (PCG64), so values differ from torch's for the same seed.
"""
import numpy as np

from . import dtypes
from .creation import _new, _shape

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed every random draw of the library."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def seed():
    """Reseed from the operating system's entropy."""
    global _generator
    _generator = np.random.default_rng()


def generator():
    """The shared numpy Generator (for library code that needs random numbers)."""
    return _generator


def get_rng_state():
    return _generator.bit_generator.state


def set_rng_state(state):
    _generator.bit_generator.state = state


def _float(dtype):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    if dtype.kind != "f":
        raise TypeError(f"random floats need a float dtype, got {dtype}")
    return dtype


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    dtype = _float(dtype)
    return _new(_generator.standard_normal(_shape(size)).astype(dtype), requires_grad, device)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1)."""
    dtype = _float(dtype)
    return _new(_generator.random(_shape(size)).astype(dtype), requires_grad, device)


def randint(low, high=None, size=None, dtype=None, device=None, requires_grad=False):
    """Integers in [low, high) (``randint(high, size)`` also works, as torch)."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size is required, e.g. randint(0, 10, (3,))")
    if isinstance(size, (int, np.integer)):
        size = (size,)
    if not low < high:
        raise ValueError(f"randint: expected low < high, got low={low} and high={high}")
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    return _new(_generator.integers(low, high, _shape((tuple(size),))).astype(dtype), requires_grad, device)


def randperm(n, dtype=None, device=None):
    return _new(_generator.permutation(int(n)).astype(dtypes.as_dtype(dtype) or dtypes.int64), False, device)


def rand_like(input, dtype=None, device=None, requires_grad=False):
    return rand(*input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    return randn(*input.shape, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def normal(mean, std, size, dtype=None, device=None, requires_grad=False):
    return _new((mean + std * _generator.standard_normal(_shape((tuple(size),)))).astype(_float(dtype)),
                requires_grad, device)
