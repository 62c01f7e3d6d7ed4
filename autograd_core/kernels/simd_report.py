"""Is each hot loop vectorized, and how wide?  Read off the machine code Numba generates.

    from autograd_core.kernels import simd_report
    for row in simd_report.report():
        print(row)

For every elementwise kernel the loop is compiled afresh (not from the on-disk cache,
whose code Numba cannot show) for float32 and float64 1-D arrays, and its assembly
(``inspect_asm``) is scanned for packed arithmetic on 128-bit (xmm), 256-bit (ymm) and
512-bit (zmm) registers; scalar arithmetic is counted too (the loop's remainder and
set-up have some; a loop that calls libm's ``exp`` per element has mostly that).  `widest_register()` says which width the
host CPU offers (avx512f: zmm, avx2/avx: ymm, else xmm), so a loop can be checked
against what the machine could do.  Used by tests/kernels/test_vectorized.py and
``python benchmarks/simd.py``.
"""
import re

import numpy as np

from . import activations, jit

# Floating-point arithmetic, compares, min/max and blends (AVX encodings, AT&T syntax), not moves:
# the packed forms (...ps/...pd) and the scalar ones (...ss/...sd), whose presence in quantity means
# a loop that runs one element at a time.
_ARITHMETIC = r"v(?:add|sub|mul|div|fmadd\w*|fnmadd\w*|fmsub\w*|fnmsub\w*|max|min|cmp\w*|blendv|sqrt)"
_PACKED = re.compile(r"^\s*" + _ARITHMETIC + r"p[sd]\b.*%([xyz])mm", re.MULTILINE)
_SCALAR = re.compile(r"^\s*" + _ARITHMETIC + r"s[sd]\b", re.MULTILINE)
# Packed fused multiply-adds (vfmadd231ps and kin), counted apart as well.
_FUSED = re.compile(r"^\s*vfn?m(?:add|sub)\w*p[sd]\b.*%[xyz]mm", re.MULTILINE)
# Masked loads and stores (AVX's vmaskmovps/pd, AVX-512's {%k} write masks): what a read made only
# under a condition (``g[i] if y[i] > 0 else 0``) compiles to, and slower than a plain load.
_MASKED = re.compile(r"^\s*(?:vmaskmovp[sd]\b|vmovup[sd]\b.*\{%k[1-7]\})", re.MULTILINE)


def widest_register():
    """'zmm', 'ymm' or 'xmm': the widest vector register the host CPU has (per LLVM's features)."""
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features()
    if features.get("avx512f"):
        return "zmm"
    if features.get("avx2") or features.get("avx"):
        return "ymm"
    return "xmm"


def _unary(*params):
    return lambda dtype: (np.empty(64, dtype), np.linspace(-4, 4, 64, dtype=dtype)) + params


def _binary(*params):
    return lambda dtype: (np.empty(64, dtype), np.ones(64, dtype), np.linspace(-4, 4, 64, dtype=dtype)) + params


def kernels():
    """(name, kernel, arguments-for-a-dtype) of the elementwise kernels."""
    a = activations
    return [
        ("relu_forward", a._relu_forward, _unary()), ("relu_backward", a._relu_backward, _binary()),
        ("leaky_relu_forward", a._leaky_relu_forward, _unary(0.01)),
        ("leaky_relu_backward", a._leaky_relu_backward, _binary(0.01)),
        ("elu_forward", a._elu_forward, _unary(1.0)), ("elu_backward", a._elu_backward, _binary(1.0)),
        ("sigmoid_forward", a._sigmoid_forward, _unary()), ("sigmoid_backward", a._sigmoid_backward, _binary()),
        ("tanh_forward", a._tanh_forward, _unary()), ("tanh_backward", a._tanh_backward, _binary()),
        ("gelu_forward", a._gelu_erf_forward, _unary()), ("gelu_backward", a._gelu_erf_backward, _binary()),
        ("gelu_tanh_forward", a._gelu_tanh_forward, _unary()),
        ("gelu_tanh_backward", a._gelu_tanh_backward, _binary()),
        ("softplus_forward", a._softplus_forward, _unary(1.0, 20.0)),
        ("softplus_backward", a._softplus_backward, _binary(1.0, 20.0)),
        ("erf", a._erf, _unary()),
    ]


def inspect(function, arguments):
    """{'xmm'|'ymm'|'zmm': packed arithmetic instructions per register width, 'scalar': scalar ones,
    'fused': packed fused multiply-adds among them, 'masked': masked moves}."""
    import numba

    jit.load()
    python_function = getattr(function, "py_func", function)
    options = {key: value for key, value in getattr(function, "targetoptions", {}).items() if key not in ("cache", "nopython")}
    fresh = numba.njit(**options)(python_function)  # the kernel's options, uncached: its asm can be read
    fresh(*arguments)
    asm = fresh.inspect_asm(fresh.signatures[0])
    counts = {"xmm": 0, "ymm": 0, "zmm": 0}
    for match in _PACKED.finditer(asm):
        counts[match.group(1) + "mm"] += 1
    counts["scalar"] = len(_SCALAR.findall(asm))
    counts["fused"] = len(_FUSED.findall(asm))
    counts["masked"] = len(_MASKED.findall(asm))
    return counts


def report(dtypes=(np.float32, np.float64)):
    """One row per kernel and dtype: packed instruction counts per width, the widest used, scalar count."""
    rows = []
    for name, function, make_arguments in kernels():
        for dtype in dtypes:
            found = inspect(function, make_arguments(dtype))
            widest = next((width for width in ("zmm", "ymm", "xmm") if found[width]), None)
            rows.append({"kernel": name, "dtype": np.dtype(dtype).name, "widest": widest, **found})
    return rows
