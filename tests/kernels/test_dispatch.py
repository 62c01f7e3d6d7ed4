"""The dispatch module `autograd_core.kernels`: one callable per kernel name, each agreeing with
its numpy twin, and the Numba cache set up to notice edits anywhere in the package."""
import inspect

import numpy as np
import pytest

import autograd_core.kernels as kernels
from autograd_core.kernels import numba_cache, reference, reference_loss, special

ACTIVATIONS = ["relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "softplus"]
NAMES = ([f"{name}_{direction}" for name in ACTIVATIONS for direction in ("forward", "backward")]
         + ["softmax_forward", "log_softmax_forward", "logsumexp_forward",
            "cross_entropy_forward", "cross_entropy_backward", "erf"])


def _twin(name):
    if name == "erf":
        return special.erf
    return getattr(reference_loss if name.startswith("cross_entropy") else reference, name)


@pytest.mark.parametrize("name", NAMES)
def test_every_kernel_is_exported_with_its_twins_signature(name):
    exported = getattr(kernels, name)
    assert callable(exported) and exported.__doc__
    twin = _twin(name)
    exported_parameters = list(inspect.signature(exported).parameters)
    assert exported_parameters == list(inspect.signature(twin).parameters)


def _arguments(name, size, dtype):
    rng = np.random.default_rng(size)
    x = (rng.standard_normal(size) * 3).astype(dtype)
    g = rng.standard_normal(size).astype(dtype)
    params = {"leaky_relu": (0.01,), "elu": (1.0,), "gelu": ("none",), "softplus": (1.0, 20.0)}
    base, direction = name.rsplit("_", 1)
    if direction == "forward":
        return (x,) + params.get(base, ())
    saved = reference.__dict__[base + "_forward"](x) if base in ("relu", "sigmoid", "tanh") else x
    return (g, saved) + params.get(base, ())


@pytest.mark.parametrize("size", [5, 1023, 1024, 2047, 2048, 5000])  # both sides of the size switches
@pytest.mark.parametrize("name", [f"{n}_{d}" for n in ACTIVATIONS for d in ("forward", "backward")])
def test_exported_activations_agree_with_the_twin_at_every_size(name, size):
    args = _arguments(name, size, np.float32)
    result, twin = getattr(kernels, name)(*args), getattr(reference, name)(*args)
    assert result.dtype == twin.dtype == np.float32 and result.shape == twin.shape
    if name.startswith("gelu"):  # the twin's 0.5 x (1 + erf(x / sqrt 2)) cancels for negative x
        tolerance = 4e-7 * np.maximum(1, np.abs(args[0] if name.endswith("forward") else args[1]))
    elif name == "tanh_backward":  # the twin's 1 - y*y loses the low bits where |y| is near 1
        tolerance = 2.4e-7 * np.abs(args[0])
    else:
        tolerance = 0
    np.testing.assert_allclose(result, twin, rtol=6e-7, atol=np.max(tolerance, initial=0))


def test_row_kernels_and_erf_agree_with_the_twins():
    x = (np.random.default_rng(0).standard_normal((6, 9)) * 3).astype(np.float32)
    np.testing.assert_allclose(kernels.softmax_forward(x, 1), reference.softmax_forward(x, 1), rtol=1e-6)
    np.testing.assert_allclose(kernels.log_softmax_forward(x, 0), reference.log_softmax_forward(x, 0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(kernels.logsumexp_forward(x, (0, 1), True), reference.logsumexp_forward(x, (0, 1), True),
                               rtol=1e-6)
    targets = np.arange(6) % 9
    loss, probs = kernels.cross_entropy_forward(x, targets)
    np.testing.assert_allclose(loss, reference_loss.cross_entropy_forward(x, targets)[0], rtol=1e-6)
    np.testing.assert_array_equal(kernels.erf(x), special.erf(x))
    np.testing.assert_array_equal(kernels.erf(np.arange(-2, 3)), special.erf(np.arange(-2, 3)))  # ints -> float64


def test_numba_cache_is_keyed_on_the_whole_package():
    # Kernels inline code from other files (scalar_math.py), which Numba's own cache key ignores.
    assert numba_cache.install()
    from autograd_core.kernels import activations
    locator = activations._sigmoid_forward._cache._impl._locator
    assert type(locator).__name__.startswith("Package")
    own_stamp, package_stamp = locator.get_source_stamp()
    assert package_stamp == numba_cache._package_stamp()
