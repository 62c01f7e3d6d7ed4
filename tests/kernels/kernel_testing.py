"""Shared helpers for the kernel tests: ulp-bounded comparisons and the layouts every kernel must accept."""
import numpy as np

DTYPES = (np.float32, np.float64)


def ulp_error(actual, truth, dtype):
    """|actual - truth| in units of the last place of `truth` rounded to `dtype` (elementwise, float64).

    Below the smallest normal number the spacing of the subnormals is the unit.  NaN where both
    are NaN and 0 where both are the same infinity (so those compare as equal)."""
    truth = np.asarray(truth, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    info = np.finfo(dtype)
    scale = np.maximum(np.abs(truth), float(info.tiny))
    unit = np.spacing(scale.astype(dtype)).astype(np.float64)
    with np.errstate(invalid="ignore"):
        error = np.abs(actual - truth) / unit
    same = (actual == truth) | (np.isnan(actual) & np.isnan(truth))
    return np.where(same, 0.0, error)


def assert_ulp(actual, truth, ulps, dtype, what=""):
    """Assert every element of `actual` is within `ulps` units in the last place of `truth`."""
    error = ulp_error(actual, truth, dtype)
    if error.size and not np.all(error <= ulps):
        worst = int(np.nanargmax(np.where(np.isnan(error), np.inf, error)))
        raise AssertionError(
            f"{what}: {np.nanmax(error) if not np.isnan(error).any() else 'nan'} ulp > {ulps} "
            f"at flat index {worst}: got {np.ravel(actual)[worst]!r}, expected {np.ravel(truth)[worst]!r}")


def layouts(shape_2d=(40, 30), seed=0, scale=3.0):
    """(label, array-maker(dtype)) for the shapes and layouts every elementwise kernel must handle."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((1000, 37)) * scale
    wide = rng.standard_normal((80, 90)) * scale
    return [
        ("0-d", lambda dt: np.array(base[0, 0], dtype=dt)),
        ("empty", lambda dt: np.zeros((0,), dtype=dt)),
        ("empty-2d", lambda dt: np.zeros((3, 0), dtype=dt)),
        ("one", lambda dt: base[:1, 0].astype(dt)),
        ("(10,)", lambda dt: base[:10, 0].astype(dt)),
        ("(1000, 37)", lambda dt: base.astype(dt)),
        ("strided", lambda dt: wide.astype(dt)[::2, ::3]),
        ("transposed", lambda dt: wide.astype(dt).T),
        ("3-d", lambda dt: base[:24].astype(dt).reshape(2, 3, 4, 37)[:, 1:, :, ::5]),
        ("strided-1d", lambda dt: base[:, 3].astype(dt)[::3]),
        ("broadcast-rows", lambda dt: np.broadcast_to(base[0, :].astype(dt), (50, 37))),
        ("negative-stride", lambda dt: wide.astype(dt)[::-1, ::-2]),
    ]
