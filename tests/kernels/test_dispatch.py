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


def test_numba_is_imported_on_the_first_kernel_call_not_with_the_package():
    """import autograd_core (and nn, optim) and small tensors on ops whose kernels have a numpy
    path below a size threshold (tanh, sum, mean, matmul) do not import Numba (0.3 s and ~60 MiB); the first kernel call does, and every kernel name in the
    package's modules is then Numba's dispatcher itself (jitted callers need that)."""
    import subprocess
    import sys
    script = (
        "import sys\n"
        "import autograd_core as ag, nn, optim\n"
        "x = ag.randn(8, 3, requires_grad=True)\n"
        "((x @ ag.randn(3, 2)).tanh() ** 2).mean().backward()\n"
        "print('before', 'numba' in sys.modules)\n"
        "nn.functional.gelu(ag.randn(5000, requires_grad=True)).sum().backward()\n"
        "print('after', 'numba' in sys.modules)\n"
        "from autograd_core.kernels.jit import LazyKernel\n"
        "left = [f'{m}.{k}' for m, mod in list(sys.modules.items()) if m.startswith('autograd_core.kernels')\n"
        "        for k, v in vars(mod).items() if isinstance(v, LazyKernel)]\n"
        "print('left', left)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True).stdout
    assert "before False" in out and "after True" in out and "left []" in out, out


def test_a_kernel_kept_from_before_loading_forwards_to_its_dispatcher():
    from autograd_core.kernels import activations, jit
    jit.load()
    lazy = next(k for k in jit._kernels if k.__name__ == "_relu_forward")
    x = np.array([-1.0, 2.0, -0.0, 3.5], dtype=np.float32)
    out = np.empty_like(x)
    lazy(out, x)
    np.testing.assert_array_equal(out, reference.relu_forward(x))
    assert activations._relu_forward is lazy.dispatcher
    assert lazy.signatures  # a dispatcher attribute, through the forwarding object


def test_loading_numba_freezes_the_objects_alive_then_and_leaves_the_collector_settings():
    """Numba's ~100,000 objects made every full collection ~100 ms (W2 after a kernel: 9.1
    against 5.2 us per op); jit.load() freezes what is alive then, after one collection."""
    import subprocess
    import sys
    script = (
        "import gc\n"
        "gc.set_threshold(1000, 20, 5)\n"
        "import autograd_core as ag, nn\n"
        "import weakref\n"
        "class Node: pass\n"
        "garbage = Node(); garbage.me = garbage; dead = weakref.ref(garbage); del garbage  # a cycle\n"
        "gc.disable(); before = gc.get_freeze_count()\n"
        "nn.functional.gelu(ag.randn(5000, requires_grad=True)).sum().backward()\n"
        "import sys\n"
        "print('numba', 'numba' in sys.modules, 'frozen', gc.get_freeze_count() - before, "
        "'threshold', gc.get_threshold(), 'enabled', gc.isenabled(), 'cycle_freed', dead() is None)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         check=True).stdout.split()
    assert out[1] == "True", out
    assert int(out[3]) > 50_000, out  # Numba's objects are in the permanent generation
    # The user's settings as they were (collector off here), and the garbage cycle collected, not frozen.
    assert " ".join(out[5:8]) == "(1000, 20, 5)" and out[9] == "False" and out[11] == "True", out
