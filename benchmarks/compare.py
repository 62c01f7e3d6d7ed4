"""Do two libraries compute the same thing?  Checked before any timing.

Each worker saved ``{name: array}`` from its case's ``check()`` (losses, gradients,
parameter updates, outputs).  A library agrees with the reference when it
returns the same names, the same dtypes and shapes, and for every array
``max|a - ref| <= tolerance * max|ref|`` (a max-norm relative error: robust to the
near-zero entries that make element-wise relative errors meaningless).
"""
import numpy as np


def load_check(path):
    """{name: array} saved by a worker's check."""
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def disagreement(candidate, reference, tolerance, reference_name):
    """(None, worst relative error) if `candidate` agrees with `reference`, else (one-line reason, error)."""
    missing = sorted(set(reference) - set(candidate))
    if missing:
        return f"returned no {', '.join(missing)}", None
    worst = (0.0, None)
    for name, expected in reference.items():
        actual = candidate[name]
        if actual.shape != expected.shape:
            return f"{name} has shape {actual.shape}, {reference_name} gives {expected.shape}", None
        if actual.dtype != expected.dtype:
            return f"{name} is {actual.dtype}, {reference_name} gives {expected.dtype}", None
        if not np.all(np.isfinite(actual)) and np.all(np.isfinite(expected)):
            return f"{name} has non-finite values", None
        scale = float(np.max(np.abs(expected))) if expected.size else 0.0
        error = float(np.max(np.abs(actual.astype(np.float64) - expected))) if expected.size else 0.0
        relative = error / scale if scale > 0 else error
        if relative > worst[0]:
            worst = (relative, name)
    if worst[0] > tolerance:
        return f"{worst[1]} off by {worst[0]:.1e} of its max (tolerance {tolerance:.0e}) vs {reference_name}", worst[0]
    return None, worst[0]


def pick_reference(names):
    """torch if it ran, else the hand-written numpy, else whoever ran first."""
    for preferred in ("torch", "numpy"):
        if preferred in names:
            return preferred
    return names[0] if names else None
