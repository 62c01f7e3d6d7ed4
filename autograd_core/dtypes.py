"""Data types, the default float dtype, devices, and torch's type-promotion rules.

A dtype here is simply a numpy dtype.  Python floats become the *default* dtype
(float32 unless `set_default_dtype` changed it), exactly as in torch, and an op
never silently upcasts float32 to float64.
"""
import builtins

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
bool_ = np.dtype(np.bool_)

# torch's aliases: torch.float is float32, torch.double float64, torch.long int64.
float = float32  # noqa: A001 - deliberately shadows the builtin inside this module's namespace
double = float64
long = int64

SUPPORTED_DTYPES = (float32, float64, int64, int32, bool_)
FLOAT_DTYPES = (float32, float64)

class _Default:
    """The default float dtype.  Process-wide, as torch's (a thread started after
    ``set_default_dtype(float64)`` sees float64 too), unlike the per-thread grad mode."""

    dtype = float32


_default = _Default()


def get_default_dtype():
    """The dtype Python floats become (float32 unless changed, as in torch)."""
    return _default.dtype


def set_default_dtype(dtype):
    """Set what Python floats (and float creation functions) produce: float32 or float64."""
    dtype = as_dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"set_default_dtype: only float32 or float64 can be the default, got {dtype}")
    _default.dtype = dtype


def as_dtype(dtype):
    """Turn anything dtype-like (np.float32, 'float64', autograd_core.long, bool) into a numpy dtype."""
    if dtype is None:
        return None
    if dtype is bool:
        return bool_
    if dtype is int:
        return int64
    if dtype is builtins.float:
        return float64
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unsupported dtype {dtype!r}; expected one of float32, float64, int64, bool") from None
    if result not in SUPPORTED_DTYPES:
        raise TypeError(f"unsupported dtype {result}; expected one of float32, float64, int64, bool")
    return result


def is_floating(dtype):
    """True for float32 / float64."""
    return dtype.kind == "f"


# ---------------------------------------------------------------------------
# Devices: only the CPU exists, but scripts written for torch pass device= around.
# ---------------------------------------------------------------------------
class device:
    """A device handle.  Only ``device("cpu")`` exists; anything else is a clear error."""

    __slots__ = ("type",)

    def __init__(self, type="cpu"):
        if isinstance(type, device):
            type = type.type
        if not isinstance(type, str) or type.split(":")[0] != "cpu":
            raise RuntimeError(
                f"device {type!r} is not available: autograd_core runs on the CPU only; use device='cpu'"
            )
        self.type = "cpu"

    def __eq__(self, other):
        if isinstance(other, str):
            return other.split(":")[0] == "cpu"
        return isinstance(other, device)

    def __hash__(self):
        return hash("cpu")

    def __repr__(self):
        return "device(type='cpu')"

    def __str__(self):
        return "cpu"


CPU = device("cpu")


def check_device(dev):
    """Accept None, 'cpu' or device('cpu'); raise a clear error for anything else."""
    if dev is None or dev is CPU:
        return CPU
    return device(dev)


def set_default_device(dev):
    """Only 'cpu' is accepted (for scripts that call torch.set_default_device)."""
    check_device(dev)


class cuda:
    """Stand-in for ``torch.cuda`` so that ``"cuda" if cuda.is_available() else "cpu"`` runs."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def device_count():
        return 0


# ---------------------------------------------------------------------------
# Type promotion, following torch (not numpy): operands are ranked as
# dimensioned tensors > 0-d tensors > Python scalars, and a lower-ranked operand
# only changes the result when it belongs to a higher *category* (bool < int < float).
# So float32[3] + float64 0-d -> float32, int64[3] * 0.5 -> float32 (the default).
# ---------------------------------------------------------------------------
_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def _category(dtype):
    return _CATEGORY[dtype.kind]


def _promote(a, b):
    """torch.promote_types: across categories the higher category wins (int64 + float32 -> float32)."""
    if a is None:
        return b
    if b is None:
        return a
    if _category(a) != _category(b):
        return a if _category(a) > _category(b) else b
    return np.promote_types(a, b)


def scalar_dtype(value):
    """The dtype torch gives a Python scalar when it meets a tensor."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    return get_default_dtype()


def _combine_categories(higher, lower):
    """torch's rule: a lower-ranked dtype matters only if it is of a higher category."""
    if higher is None:
        return lower
    if higher.kind == "f":
        return higher
    if higher == bool_ or (lower is not None and lower.kind == "f"):
        return _promote(higher, lower)
    return higher


def result_type(arrays, scalars=()):
    """torch's result dtype for an elementwise op over ndarrays and Python scalars."""
    dimensioned = zero_dim = wrapped = None
    for array in arrays:
        if array.ndim:
            dimensioned = _promote(dimensioned, array.dtype)
        else:
            zero_dim = _promote(zero_dim, array.dtype)
    for value in scalars:
        wrapped = _promote(wrapped, scalar_dtype(value))
    return _combine_categories(dimensioned, _combine_categories(zero_dim, wrapped))
