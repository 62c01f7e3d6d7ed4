"""The multi-threaded fused cross-entropy gives the serial kernel's results, bit for bit."""
import numba
import numpy as np
import pytest

from autograd_core.kernels import cross_entropy as serial
from autograd_core.kernels import cross_entropy_parallel as parallel

LARGE = [(64, 1000), (300, 257), (2, 1 << 15)]


def _case(shape, dtype, seed=0, ignore_index=-100):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal(shape) * 4).astype(dtype)
    targets = rng.integers(0, shape[1], shape[0])
    targets[::5] = ignore_index
    return logits, targets


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", LARGE)
def test_same_results_as_the_serial_kernels(shape, dtype):
    assert np.prod(shape) >= parallel.PARALLEL_MIN_ELEMENTS
    logits, targets = _case(shape, dtype)
    loss, probs = parallel.cross_entropy_forward(logits, targets)
    expected_loss, expected_probs = serial.cross_entropy_forward(logits, targets)
    np.testing.assert_array_equal(loss, expected_loss)
    np.testing.assert_array_equal(probs, expected_probs)
    assert loss.dtype == probs.dtype == dtype
    for g in (np.asarray(0.25, dtype), np.random.default_rng(1).standard_normal(shape[0]).astype(dtype)):
        grad = parallel.cross_entropy_backward(g, probs, targets)
        np.testing.assert_array_equal(grad, serial.cross_entropy_backward(g, expected_probs, targets))
        assert grad.dtype == dtype


def test_ignore_index_inside_the_class_range():
    logits, targets = _case((64, 1000), np.float32, ignore_index=3)
    loss, probs = parallel.cross_entropy_forward(logits, targets, 3)
    assert np.all(loss[targets == 3] == 0)
    grad = parallel.cross_entropy_backward(np.float32(1), probs, targets, 3)
    assert not grad[targets == 3].any()
    np.testing.assert_array_equal(loss, serial.cross_entropy_forward(logits, targets, 3)[0])


def test_out_of_range_targets_raise():
    logits, targets = _case((64, 1000), np.float32)
    targets[7], targets[9] = 1000, -1
    with pytest.raises(IndexError, match="cross_entropy: target 1000 is out of bounds for 1000 classes"):
        parallel.cross_entropy_forward(logits, targets)


def test_small_inputs_and_one_thread_take_the_serial_kernels(monkeypatch):
    calls = []
    monkeypatch.setattr(parallel, "_forward", lambda *args: calls.append(args))
    logits, targets = _case((32, 10), np.float32)
    parallel.cross_entropy_forward(logits, targets)
    assert calls == []
    logits, targets = _case((64, 1000), np.float32)
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        parallel.cross_entropy_forward(logits, targets)
    finally:
        numba.set_num_threads(previous)
    assert calls == []


def test_strided_and_int32_inputs():
    logits, targets = _case((128, 600), np.float32)
    wide = np.zeros((128, 1200), np.float32)
    wide[:, ::2] = logits
    loss, probs = parallel.cross_entropy_forward(wide[:, ::2], targets.astype(np.int32))
    np.testing.assert_array_equal(loss, serial.cross_entropy_forward(logits, targets)[0])
