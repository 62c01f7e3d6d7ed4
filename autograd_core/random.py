"""Random numbers: one seeded generator behind every random draw.

`manual_seed(seed)` reseeds it, so initialisation, dropout masks, `randn` and
DataLoader shuffling all become reproducible together (as with torch.manual_seed);
`get_rng_state()` / `set_rng_state(state)` capture and restore that one generator,
so a checkpoint that holds the state resumes with the very same draws.
The streams are numpy's (PCG64), so values differ from torch's for the same seed.
"""
import numpy as np

from . import dtypes
from .creation import _new, _shape
from .tensor import Tensor

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


# get_rng_state's layout: the tag, then PCG64's 128-bit state and increment, then the
# Generator's cached half of a 64-bit draw (a flag and 32 bits), then zeros to 48 bytes.
_STATE_TAG = b"agPCG64\x01"
_STATE_BYTES = 48


def get_rng_state():
    """The state of the generator behind every random draw, as a 1-D int64 Tensor of 48 byte values.

    Save it with the model and optimizer (``save({"rng": get_rng_state(), ...})``) and hand it
    back to `set_rng_state` to repeat the same draws: initialisation, dropout masks, ``randn``,
    DataLoader shuffling.  torch returns a uint8 ByteTensor; this library has no uint8 dtype,
    so each byte is one int64 element (0..255).  The bytes are PCG64's, not torch's generator's.
    """
    state = _generator.bit_generator.state
    if state.get("bit_generator") != "PCG64":
        raise RuntimeError(f"get_rng_state: the generator is {state.get('bit_generator')}, expected PCG64")
    raw = (_STATE_TAG + state["state"]["state"].to_bytes(16, "little") + state["state"]["inc"].to_bytes(16, "little")
           + bytes([int(state["has_uint32"])]) + int(state["uinteger"]).to_bytes(4, "little"))
    raw += bytes(_STATE_BYTES - len(raw))
    return _new(np.frombuffer(raw, dtype=np.uint8).astype(np.int64), False, None)


def set_rng_state(state):
    """Restore the generator to `state`, a Tensor that `get_rng_state` returned (possibly saved and loaded).

    The state is checked whole before anything changes: a wrong type, dtype, length,
    value or tag raises and leaves the generator as it was.
    """
    if not isinstance(state, Tensor):
        raise TypeError(f"set_rng_state: expected the Tensor that get_rng_state() returns, got "
                        f"{type(state).__name__}")
    data = state.detach().numpy()
    if data.dtype != np.int64 or data.shape != (_STATE_BYTES,):
        raise TypeError(f"set_rng_state: expected a 1-D int64 Tensor of {_STATE_BYTES} byte values (what "
                        f"get_rng_state() returns), got dtype {data.dtype} and shape {tuple(data.shape)}")
    if data.min() < 0 or data.max() > 255:
        raise ValueError(f"set_rng_state: every element must be a byte value 0..255, got values from "
                         f"{data.min()} to {data.max()}")
    raw = data.astype(np.uint8).tobytes()
    if raw[:8] != _STATE_TAG:
        raise ValueError(f"set_rng_state: the state does not start with the tag {list(_STATE_TAG)} of a "
                         f"get_rng_state() result (got {list(raw[:8])})")
    increment = int.from_bytes(raw[24:40], "little")
    has_uint32 = raw[40]
    if increment % 2 == 0 or has_uint32 > 1 or any(raw[45:]):
        raise ValueError("set_rng_state: the state is not one get_rng_state() can return (PCG64's increment "
                         f"must be odd, got {'even' if increment % 2 == 0 else 'odd'}; the cached-draw flag "
                         f"must be 0 or 1, got {has_uint32}; the last 3 bytes must be 0)")
    _generator.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": int.from_bytes(raw[8:24], "little"), "inc": increment},
        "has_uint32": has_uint32,
        "uinteger": int.from_bytes(raw[41:45], "little"),
    }


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
