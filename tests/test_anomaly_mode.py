"""Anomaly mode (issue 10, item 3): the op whose VJP produced a NaN/Inf, and where it was recorded.

detect_anomaly / set_detect_anomaly / is_anomaly_enabled / is_anomaly_check_nan_enabled, at the top
level and under autograd_core.autograd; the mode is per thread, off by default, restored after a
block even when it raised, and costs the tape nothing (no traceback kept) when off.
"""
import gc
import inspect
import threading
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import graph

NAN_MESSAGE = r"Function '{}' returned {} values in its {}th output\."


@pytest.fixture(autouse=True)
def _quiet_and_off():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "Anomaly Detection has been enabled" and "Error detected" warnings
        yield
    assert not ag.is_anomaly_enabled(), "a test left anomaly mode on"


def line_of(marker):
    """The line number of the line in this file holding `marker` (a forward call the trace must show)."""
    source, start = inspect.getsourcelines(inspect.getmodule(line_of))
    for number, text in enumerate(source, start or 1):
        if marker in text and "line_of(" not in text:
            return number
    raise AssertionError(marker)


def test_off_by_default_and_the_names_are_exported():
    assert ag.is_anomaly_enabled() is False
    assert ag.is_anomaly_check_nan_enabled() is True
    for name in ("detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"):
        assert getattr(ag.autograd, name) is getattr(ag, name)
        assert name in ag.autograd.__all__


def test_detect_anomaly_switches_on_for_the_block_and_warns_as_torch():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        context = ag.detect_anomaly()
    assert not ag.is_anomaly_enabled()  # constructing it changes nothing (as torch)
    with context:
        assert ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()
        with ag.detect_anomaly(check_nan=False):
            assert ag.is_anomaly_enabled() and not ag.is_anomaly_check_nan_enabled()
        assert ag.is_anomaly_check_nan_enabled()
        with context:  # re-entering the same object restores the right mode
            pass
        assert ag.is_anomaly_enabled()
    assert not ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()


def test_mode_is_restored_when_the_block_raises():
    with pytest.raises(ZeroDivisionError):
        with ag.detect_anomaly(check_nan=False):
            1 / 0
    assert not ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()
    with pytest.raises(ZeroDivisionError):
        with ag.set_detect_anomaly(True):
            1 / 0
    assert not ag.is_anomaly_enabled()


def test_set_detect_anomaly_takes_effect_at_once_and_restores_as_a_context_manager():
    switch = ag.set_detect_anomaly(True, check_nan=False)
    try:
        assert ag.is_anomaly_enabled() and not ag.is_anomaly_check_nan_enabled()
    finally:
        ag.set_detect_anomaly(False)
    assert not ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()
    with ag.set_detect_anomaly(True):
        assert ag.is_anomaly_enabled()
        with ag.set_detect_anomaly(False):
            assert not ag.is_anomaly_enabled()
        assert ag.is_anomaly_enabled()
    assert not ag.is_anomaly_enabled()
    del switch


def test_both_work_as_decorators_and_restore_after_a_raise():
    @ag.detect_anomaly()
    def inside():
        return ag.is_anomaly_enabled()

    @ag.set_detect_anomaly(True, check_nan=False)
    def inside_set():
        return ag.is_anomaly_enabled(), ag.is_anomaly_check_nan_enabled()

    @ag.detect_anomaly()
    def raising():
        raise KeyError("x")

    assert not ag.is_anomaly_enabled()  # decorating with set_detect_anomaly switched nothing on
    assert inside() is True and not ag.is_anomaly_enabled()
    assert inside_set() == (True, False) and not ag.is_anomaly_enabled()
    with pytest.raises(KeyError):
        raising()
    assert not ag.is_anomaly_enabled()


def test_nan_from_an_op_names_it_and_shows_the_forward_line():
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    with ag.detect_anomaly():
        a = x * 2
        b = a.sqrt()  # FORWARD-SQRT
        loss = (b * 0).sum()  # 0 * inf = nan in sqrt's VJP: sqrt is blamed, not the muls around it
        with pytest.raises(RuntimeError) as raised:
            loss.backward()
    message = str(raised.value)
    assert message.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert "Traceback of forward call that caused the error:" in message
    assert f'line {line_of("FORWARD-SQRT")}, in test_nan_from_an_op_names_it' in message
    assert "b = a.sqrt()" in message
    assert "autograd_core" not in message  # the engine's own frames are trimmed
    assert x.grad is None  # the backward stopped at the first bad gradient


def test_the_error_is_also_warned_as_torch_prints_it():
    x = ag.tensor([0.0], requires_grad=True)
    with ag.detect_anomaly():
        loss = (x.sqrt() * 0).sum()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(RuntimeError, match="SqrtBackward0"):
                loss.backward()
    texts = [str(w.message) for w in caught]
    assert any(t.startswith("Error detected in SqrtBackward0. Traceback of forward call") for t in texts), texts


def test_inf_is_reported_too():
    x = ag.tensor([0.0, 2.0], requires_grad=True)
    with ag.detect_anomaly():
        loss = x.log().sum()  # d/dx log x = 1/x: inf at 0
        with pytest.raises(RuntimeError, match=NAN_MESSAGE.format("LogBackward0", "inf", 0)):
            loss.backward()


def test_custom_function_is_named_as_torch_names_it_with_the_output_index():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad, grad * float("nan")

    x = ag.tensor([1.0], requires_grad=True)
    y = ag.tensor([2.0], requires_grad=True)
    with ag.detect_anomaly():
        out = Bad.apply(x, y)  # FORWARD-BAD
        with pytest.raises(RuntimeError) as raised:
            out.sum().backward()
    message = str(raised.value)
    assert message.startswith("Function 'BadBackward' returned nan values in its 1th output.")
    assert f'line {line_of("FORWARD-BAD")}' in message and "Bad.apply(x, y)" in message


def test_no_false_positive_nan_passed_on_is_blamed_on_its_producer():
    # sqrt's VJP makes the NaN (0 / (2 * 0)); exp, mul and sub before it in the forward pass receive
    # it and pass it on, and are not blamed.
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    with ag.detect_anomaly():
        h = (x * 3).exp() - 1  # exp(0) - 1 = 0 at x = 0
        loss = (h.sqrt() * 0).sum()
        with pytest.raises(RuntimeError, match="^Function 'SqrtBackward0'"):
            loss.backward()


def test_no_false_positive_nan_in_forward_values_that_get_no_gradient():
    x = ag.tensor([-1.0, 2.0], requires_grad=True)
    with ag.detect_anomaly(), np.errstate(all="ignore"):
        y = x.log()  # NaN at -1 in the forward values
        ag.where(x > 0, y, 0.0).sum().backward()  # where sends 0 to that element: log's VJP gives -0
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5])


def test_nan_in_the_given_gradient_is_blamed_on_it_not_on_an_op():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.detect_anomaly():
        y = x * 2
        with pytest.raises(RuntimeError, match="gradient given for output 0 contains nan"):
            y.backward(ag.tensor([1.0, float("nan")]))


def test_nan_from_a_hook_is_blamed_on_the_hook():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.detect_anomaly():
        y = x * 2
        y.register_hook(lambda g: g * float("nan"))
        with pytest.raises(RuntimeError, match="hook on an output of 'MulBackward0' returned contains nan"):
            (y * 3).sum().backward()


def test_correct_programs_give_the_same_gradients_under_anomaly_mode():
    rng = np.random.default_rng(0)
    values = rng.standard_normal((4, 3))

    def grads():
        x = ag.tensor(values, requires_grad=True)
        w = ag.tensor(values.T.copy(), requires_grad=True)
        loss = ((x @ w).tanh().exp() * 2 - x.sum()).pow(2).mean()
        loss.backward()
        (g,) = ag.grad((x * x).sum(), x, create_graph=True)
        (gg,) = ag.grad(g.sum(), x)
        return x.grad.numpy(), w.grad.numpy(), gg.numpy()

    plain = grads()
    with ag.detect_anomaly():
        checked = grads()
    for a, b in zip(plain, checked):
        np.testing.assert_array_equal(a, b)


def test_off_nan_passes_silently():
    x = ag.tensor([0.0], requires_grad=True)
    with np.errstate(all="ignore"):
        (x.sqrt() * 0).sum().backward()
    assert np.isnan(x.grad.numpy()).all()


def test_check_nan_false_records_traces_but_does_not_check():
    x = ag.tensor([0.0], requires_grad=True)
    with ag.detect_anomaly(check_nan=False):
        y = x.sqrt()
        assert "forward_trace" in y.grad_fn.__dict__
        with np.errstate(all="ignore"):
            (y * 0).sum().backward()
    assert np.isnan(x.grad.numpy()).all()


def test_any_backward_error_under_anomaly_mode_names_the_forward_call():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.detect_anomaly():
        y = x.exp()  # FORWARD-EXP
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as raised:
            y.sum().backward()
    notes = "\n".join(getattr(raised.value, "__notes__", []))
    if hasattr(raised.value, "add_note"):  # Python 3.11+
        assert "Error detected in ExpBackward0" in notes and f'line {line_of("FORWARD-EXP")}' in notes


def test_nodes_recorded_outside_anomaly_mode_say_so():
    x = ag.tensor([0.0], requires_grad=True)
    loss = (x.sqrt() * 0).sum()
    with ag.detect_anomaly():
        with pytest.raises(RuntimeError, match="No forward pass information available"):
            loss.backward()


def test_under_create_graph_the_gradients_are_checked_too():
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    with ag.detect_anomaly():
        y = (x * x).sum()
        (g,) = ag.grad(y, x, create_graph=True)
        loss = (g.sqrt() * 0).sum()
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            loss.backward()


def test_overflow_in_the_cast_to_the_input_dtype_is_reported():
    x = ag.tensor([1.0], dtype=ag.float32, requires_grad=True)
    big = ag.tensor([1e300], dtype=ag.float64)
    with ag.detect_anomaly():
        y = x * big  # float64 output: its gradient to the float32 x overflows when cast back
        with pytest.raises(RuntimeError, match="'MulBackward0' returned inf values in its 0th output"):
            y.sum().backward()


def test_off_the_tape_keeps_no_traceback_and_the_fast_flag_is_down():
    with ag.detect_anomaly():
        pass
    assert graph._anomaly_somewhere is False
    x = ag.tensor([1.0], requires_grad=True)
    assert "forward_trace" not in (x * 2).grad_fn.__dict__


def test_a_thread_that_ends_with_anomaly_on_leaves_the_fast_flag_down():
    def worker():
        ag.set_detect_anomaly(True)  # never switched off: the thread just ends
        assert graph._anomaly_somewhere is True

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    gc.collect()
    assert graph._anomaly_somewhere is False
    assert not ag.is_anomaly_enabled()


def test_anomaly_mode_is_per_thread():
    inside = threading.Event()
    done = threading.Event()
    seen = {}

    def worker():
        with ag.detect_anomaly():
            inside.set()
            done.wait(5)
            seen["worker"] = ag.is_anomaly_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = ag.is_anomaly_enabled()
    x = ag.tensor([0.0], requires_grad=True)
    node = (x * 2).grad_fn  # recorded here, where the mode is off
    with np.errstate(all="ignore"):
        (x.sqrt() * 0).sum().backward()  # no error in this thread
    done.set()
    thread.join()
    assert seen == {"worker": True, "main": False}
    assert "forward_trace" not in node.__dict__
