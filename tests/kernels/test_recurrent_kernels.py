"""The recurrent step kernels (kernels/recurrent.py) against their numpy twins (reference_recurrent.py).

Every kernel runs in float32 and float64 over batch sizes 0, 1 and 5 and hidden sizes 1, 3 and
64, on C-contiguous inputs and on strided ones (every other row or column of a larger array,
and transposed copies), and writes into given outputs; `carry_out` may be `carry` itself.
The backward kernels do the twin's arithmetic in the same order and must match it to rounding;
the forward kernels use scalar_math's sigmoid and tanh (a few ulp, tests/kernels/test_scalar_math.py)
where the twin uses numpy's, so they are held to a few float32/float64 ulps of the twin.
"""
import numpy as np
import pytest

from autograd_core.kernels import recurrent as kernels
from autograd_core.kernels import reference_recurrent as twins
from kernel_testing import DTYPES

# forward: a few ulp of sigmoid/tanh (times the O(1) values they are combined with)
FORWARD_TOLERANCE = {np.float32: dict(rtol=4e-6, atol=4e-7), np.float64: dict(rtol=1e-14, atol=1e-15)}
BACKWARD_TOLERANCE = {np.float32: dict(rtol=1e-6, atol=1e-7), np.float64: dict(rtol=1e-15, atol=1e-16)}
SIZES = [(0, 3), (1, 1), (1, 64), (5, 3), (5, 64)]  # (B, H)


def layout(array, how):
    """The same values as `array`, in a C-contiguous, strided (every other row) or transposed array."""
    if how == "contiguous":
        return np.ascontiguousarray(array)
    if how == "strided":
        padded = np.zeros((2 * array.shape[0],) + array.shape[1:], array.dtype)
        padded[::2] = array
        return padded[::2]
    return np.asfortranarray(array) if array.ndim == 2 else array  # column-major: transposed strides


LAYOUTS = ["contiguous", "strided", "transposed"]


def random(rng, shape, dtype, low=-3.0, high=3.0):
    return rng.uniform(low, high, shape).astype(dtype)


def run_both(name, inputs, output_shapes, dtype, how, alias=None):
    """Run the kernel and its twin on the same inputs (in layout `how`) into fresh outputs.
    `alias` = (output position, input position): that output is that input (a copy per run)."""
    results = []
    for function in (getattr(kernels, name), getattr(twins, name)):
        arguments = [layout(x, how) if isinstance(x, np.ndarray) and x.ndim == 2 else x for x in inputs]
        outputs = [np.full(shape, np.nan, dtype) for shape in output_shapes]
        if alias is not None:
            arguments[alias[1]] = arguments[alias[1]].copy()
            outputs[alias[0]] = arguments[alias[1]]
        function(*arguments, *outputs)
        results.append(outputs)
    return results


def assert_close(results, tolerance):
    for mine, theirs in zip(*results):
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
        assert not np.isnan(mine).any()
        np.testing.assert_allclose(mine, theirs, **tolerance)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("how", LAYOUTS)
@pytest.mark.parametrize("batch, size", SIZES)
def test_lstm_steps_match_the_twins(batch, size, how, dtype):
    rng = np.random.default_rng(batch * 100 + size)
    hh, projected = random(rng, (batch, 4 * size), dtype), random(rng, (batch, 4 * size), dtype)
    c_prev = random(rng, (batch, size), dtype)
    shapes = [(batch, 4 * size), (batch, size), (batch, size), (batch, size)]
    forward = run_both("lstm_forward_step", [hh, projected, c_prev], shapes, dtype, how)
    assert_close(forward, FORWARD_TOLERANCE[dtype])
    gates, _, _, tanh_c = forward[1]
    grad_h, grad_c, recurrent, carry = (random(rng, (batch, size), dtype) for _ in range(4))
    inputs = [grad_h, grad_c, recurrent, carry, gates, tanh_c, c_prev]
    assert_close(run_both("lstm_backward_step", inputs, [(batch, 4 * size), (batch, size)], dtype, how),
                 BACKWARD_TOLERANCE[dtype])
    # carry_out written over carry, as the op does
    assert_close(run_both("lstm_backward_step", inputs, [(batch, 4 * size), (batch, size)], dtype, how, alias=(1, 3)),
                 BACKWARD_TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("how", LAYOUTS)
@pytest.mark.parametrize("batch, size", SIZES)
def test_gru_steps_match_the_twins(batch, size, how, dtype):
    rng = np.random.default_rng(batch * 100 + size + 1)
    hh, projected = random(rng, (batch, 3 * size), dtype), random(rng, (batch, 3 * size), dtype)
    bias_hn = random(rng, (2 * size,), dtype)[::2]  # a strided 1-D bias too
    h_prev = random(rng, (batch, size), dtype, -1, 1)
    shapes = [(batch, 3 * size), (batch, size), (batch, size)]
    forward = run_both("gru_forward_step", [hh, projected, bias_hn, h_prev], shapes, dtype, how)
    assert_close(forward, FORWARD_TOLERANCE[dtype])
    gates, hn, _ = forward[1]
    grad_h, recurrent, carry = (random(rng, (batch, size), dtype) for _ in range(3))
    inputs = [grad_h, recurrent, carry, h_prev, gates, hn]
    shapes = [(batch, 3 * size), (batch, 3 * size), (batch, size)]
    assert_close(run_both("gru_backward_step", inputs, shapes, dtype, how), BACKWARD_TOLERANCE[dtype])
    assert_close(run_both("gru_backward_step", inputs, shapes, dtype, how, alias=(2, 2)), BACKWARD_TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("how", LAYOUTS)
@pytest.mark.parametrize("batch, size", SIZES)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_elman_steps_match_the_twins(nonlinearity, batch, size, how, dtype):
    rng = np.random.default_rng(batch * 100 + size + 2)
    hh, projected = random(rng, (batch, size), dtype), random(rng, (batch, size), dtype)
    if batch and size > 1:
        projected[0, 0] = -hh[0, 0]  # a pre-activation of exactly 0 (relu's kink: 0, and gradient 0)
    forward = run_both(f"elman_{nonlinearity}_forward_step", [hh, projected], [(batch, size)], dtype, how)
    tolerance = FORWARD_TOLERANCE[dtype] if nonlinearity == "tanh" else BACKWARD_TOLERANCE[dtype]
    assert_close(forward, tolerance)
    h = forward[1][0]
    grad_h, recurrent = random(rng, (batch, size), dtype), random(rng, (batch, size), dtype)
    assert_close(run_both(f"elman_{nonlinearity}_backward_step", [grad_h, recurrent, h], [(batch, size)], dtype, how),
                 BACKWARD_TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_step_keeps_nan_and_saturated_gates_stay_finite(dtype):
    nan = np.array([[np.nan, -1.0, 2.0]], dtype)
    out = np.empty_like(nan)
    kernels.elman_relu_forward_step(nan, np.zeros_like(nan), out)
    assert np.isnan(out[0, 0]) and out[0, 1] == 0 and out[0, 2] == 2
    huge = np.array([[-1e30, 1e30, -1e30, 1e30]], dtype)  # i, f, g, o of one LSTM unit
    outputs = [np.empty((1, 4), dtype), np.empty((1, 1), dtype), np.empty((1, 1), dtype), np.empty((1, 1), dtype)]
    kernels.lstm_forward_step(huge, np.zeros_like(huge), np.ones((1, 1), dtype), *outputs)
    np.testing.assert_array_equal(outputs[0], [[0, 1, -1, 1]])
    np.testing.assert_array_equal(outputs[2], [[1]])  # c = f c_prev + i g = 1
