"""The error function on ndarrays (numpy has none; scipy is not a dependency).

Uses ``math.erf`` (correctly rounded to double) through ``np.frompyfunc`` for
float64, which is exact but slow; float32 goes through float64.  A faster kernel
may replace it in the Numba stage.
"""
import math

import numpy as np

_erf_ufunc = np.frompyfunc(math.erf, 1, 1)


def erf(x):
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    return np.asarray(_erf_ufunc(x.astype(np.float64)), dtype=np.float64).astype(dtype)
