"""The threaded activation kernels (kernels/activations_parallel.py): the serial kernels' results,
bit for bit, on large arrays of every layout; and the numpy twins' results (exactly where the
arithmetic is the same, within float tolerance where the transcendentals are approximated)."""
import numba
import numpy as np
import pytest

from autograd_core import kernels
from autograd_core.kernels import activations as serial
from autograd_core.kernels import activations_parallel as parallel
from autograd_core.kernels import reference

N = parallel.PARALLEL_MIN_ELEMENTS

# (name, arguments(x, g), twin does the same arithmetic)
CASES = [
    ("relu_forward", lambda x, g: (x,), True),
    ("relu_backward", lambda x, g: (g, reference.relu_forward(x)), True),
    ("leaky_relu_forward", lambda x, g: (x, 0.01), True),
    ("leaky_relu_backward", lambda x, g: (g, x, 0.2), True),
    ("elu_forward", lambda x, g: (x, 1.3), False),
    ("elu_backward", lambda x, g: (g, x, 1.3), False),
    ("sigmoid_forward", lambda x, g: (x,), False),
    ("sigmoid_backward", lambda x, g: (g, reference.sigmoid_forward(x)), True),
    ("tanh_backward", lambda x, g: (g, reference.tanh_forward(x)), False),
    ("gelu_forward", lambda x, g: (x,), False),
    ("gelu_backward", lambda x, g: (g, x), False),
]
IDS = [name for name, _, _ in CASES]

# Sizes just below, at and just above the threshold, in the layouts the wrappers flatten or copy.
LAYOUTS = [
    ("below", lambda a: a[: N - 1]),
    ("at", lambda a: a[:N]),
    ("above-odd", lambda a: a[: N + 37]),
    ("c-2d", lambda a: a[: 512 * 515].reshape(512, 515)),
    ("transposed", lambda a: a[: 515 * 512].reshape(515, 512).T),
    ("strided", lambda a: a[: 1030 * 512].reshape(1030, 512)[::2]),
    ("3-d-view", lambda a: a[: 4 * 300 * 450].reshape(4, 300, 450)[:, :, ::1].transpose(1, 0, 2)),
]
LAYOUT_IDS = [label for label, _ in LAYOUTS]


def _base(dtype):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(1 << 20) * 4).astype(dtype)
    x[:8] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 30.0, -30.0, 1e-30]  # special values in the first chunk
    x[-3:] = [np.nan, -0.0, -100.0]  # and in the last
    g = np.cos(np.nan_to_num(x.astype(np.float64), nan=0, posinf=0, neginf=0) * 7.3).astype(dtype) + dtype(0.1)  # finite everywhere
    return x, g


BASES = {dtype: _base(dtype) for dtype in (np.float32, np.float64)}


def _inputs(make, dtype):
    x, g = BASES[dtype]
    return make(x), make(g)  # g has x's layout


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("label, make", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("name, arguments, exact", CASES, ids=IDS)
def test_same_as_serial_kernel_and_twin(name, arguments, exact, label, make, dtype):
    x, g = _inputs(make, dtype)
    args = arguments(x, g)
    result = getattr(parallel, name)(*args)
    expected = getattr(serial, name)(*args)
    assert result.dtype == expected.dtype == dtype and result.shape == x.shape
    np.testing.assert_array_equal(result, expected)
    with np.errstate(invalid="ignore", over="ignore"):
        twin = getattr(reference, name)(*args)
    if exact:
        np.testing.assert_array_equal(result, twin)
        return
    # Both are within a few ulp of the truth where they are accurate; the twins' gelu cancels for
    # negative x (absolute error ~eps |x| |g|) and the twin's tanh backward computes 1 - y*y
    # (absolute error ~eps |g| near |y| = 1), so those get that absolute slack.
    eps = float(np.finfo(dtype).eps)
    slack = {"gelu_forward": np.abs(x), "gelu_backward": np.abs(x * g), "tanh_backward": np.abs(g)}
    atol = 4 * eps * float(np.max(np.where(np.isfinite(slack[name]), slack[name], 0))) if name in slack else 0
    np.testing.assert_allclose(result, twin, rtol=8 * eps, atol=atol)


def test_layout_of_the_result_follows_the_input():
    x, _ = _inputs(LAYOUTS[4][1], np.float32)  # transposed
    y = parallel.sigmoid_forward(x)
    assert y.flags.f_contiguous and not y.flags.c_contiguous
    x, _ = _inputs(LAYOUTS[5][1], np.float32)  # strided: a fresh C-contiguous result
    assert parallel.relu_forward(x).flags.c_contiguous


@pytest.mark.parametrize("chunks", [1, 2, 3, 7, 64])
def test_any_chunk_count_covers_every_element(chunks):
    x, g = BASES[np.float32]
    x, g = x[: 1000 + 13], g[: 1000 + 13]  # more chunks than 64-element steps: empty trailing chunks
    np.testing.assert_array_equal(parallel._relu_backward(g, x, chunks), serial.relu_backward(g, x))
    np.testing.assert_array_equal(parallel._gelu_erf_forward(x, chunks), serial.gelu_forward(x))


def test_one_thread_and_other_operands_use_the_serial_functions():
    x, g = _inputs(LAYOUTS[2][1], np.float32)
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        assert parallel._threads(x.size) == 0
        np.testing.assert_array_equal(parallel.elu_forward(x, 1.0), serial.elu_forward(x, 1.0))
    finally:
        numba.set_num_threads(previous)
    # mismatched dtype / shape and integer input: the serial functions' (twin's) results
    g64 = g.astype(np.float64)
    np.testing.assert_array_equal(parallel.sigmoid_backward(g64, x), serial.sigmoid_backward(g64, x))
    row = g[:N].reshape(1, N)
    column = x[:N].reshape(N, 1)[:2]
    np.testing.assert_array_equal(parallel.tanh_backward(row, column), serial.tanh_backward(row, column))
    integers = np.arange(-N, N)
    np.testing.assert_array_equal(parallel.relu_forward(integers), reference.relu_forward(integers))


def test_gelu_tanh_and_bad_approximation_go_to_the_serial_functions():
    x, g = _inputs(LAYOUTS[2][1], np.float32)
    np.testing.assert_array_equal(parallel.gelu_forward(x, "tanh"), serial.gelu_forward(x, "tanh"))
    np.testing.assert_array_equal(parallel.gelu_backward(g, x, "tanh"), serial.gelu_backward(g, x, "tanh"))
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        parallel.gelu_forward(x, "fast")


def test_dispatch_routes_large_arrays_to_the_threaded_kernels():
    x, g = _inputs(LAYOUTS[2][1], np.float32)
    for name in ("relu_forward", "sigmoid_backward", "tanh_backward"):
        args = (x,) if name.endswith("forward") else (g, x)
        np.testing.assert_array_equal(getattr(kernels, name)(*args), getattr(parallel, name)(*args))
    for name in ("leaky_relu_forward", "elu_backward", "sigmoid_forward", "gelu_backward"):
        assert getattr(kernels, name) is getattr(parallel, name)
