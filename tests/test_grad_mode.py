"""Grad mode: no_grad / enable_grad / set_grad_enabled as context managers and decorators, per thread."""
import threading

import pytest

import autograd_core as ag


@pytest.fixture(autouse=True)
def grad_mode_restored():
    assert ag.is_grad_enabled()
    yield
    assert ag.is_grad_enabled(), "a test left grad mode off"


def records(x):
    return (x * 2).requires_grad


def test_no_grad_context():
    x = ag.ones(2, requires_grad=True)
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        assert not records(x)
    assert records(x)


def test_no_grad_restores_after_an_exception():
    with pytest.raises(KeyError):
        with ag.no_grad():
            raise KeyError("boom")
    assert ag.is_grad_enabled()


def test_nesting():
    x = ag.ones(2, requires_grad=True)
    with ag.no_grad():
        with ag.enable_grad():
            assert records(x)
            with ag.set_grad_enabled(False):
                assert not records(x)
            assert records(x)
        assert not records(x)
        with ag.no_grad():
            assert not records(x)
        assert not ag.is_grad_enabled()


def test_decorators_with_and_without_parentheses():
    x = ag.ones(2, requires_grad=True)

    @ag.no_grad()
    def without_grad(t):
        return records(t)

    @ag.no_grad
    def bare(t):
        return records(t)

    @ag.enable_grad()
    def with_grad(t):
        return records(t)

    @ag.set_grad_enabled(False)
    def switched_off(t):
        return records(t)

    assert ag.is_grad_enabled()  # decorating changed nothing
    assert not without_grad(x) and not bare(x) and not switched_off(x)
    with ag.no_grad():
        assert with_grad(x)
    assert without_grad.__name__ == "without_grad"  # functools.wraps
    assert records(x)


def test_one_decorator_instance_serves_many_calls_and_recursion_of_contexts():
    context = ag.no_grad()
    with context:
        with context:
            assert not ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_set_grad_enabled_as_a_function_call():
    ag.set_grad_enabled(False)
    try:
        assert not ag.is_grad_enabled()
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled()


def test_set_grad_enabled_true_inside_no_grad():
    x = ag.ones(1, requires_grad=True)
    with ag.no_grad():
        with ag.set_grad_enabled(True):
            assert records(x)
        assert not records(x)


def test_generator_functions_keep_the_mode_inside_only():
    @ag.no_grad()
    def values():
        yield ag.is_grad_enabled()
        yield ag.is_grad_enabled()

    iterator = values()
    assert next(iterator) is False
    assert ag.is_grad_enabled()  # the caller is unaffected between steps
    assert next(iterator) is False
    with pytest.raises(StopIteration):
        next(iterator)


def test_inference_mode():
    x = ag.ones(1, requires_grad=True)
    with ag.inference_mode():
        assert not records(x)
    with ag.no_grad():
        with ag.inference_mode(False):
            assert not records(x)  # inference_mode(False) changes nothing
    assert records(x)


def test_grad_mode_is_per_thread():
    x = ag.ones(1, requires_grad=True)
    inside = threading.Event()
    checked = threading.Event()
    results = {}

    def worker_without_grad():
        with ag.no_grad():
            inside.set()
            checked.wait(5)
            results["worker"] = records(x)

    def fresh_thread():
        results["fresh"] = ag.is_grad_enabled()

    thread = threading.Thread(target=worker_without_grad)
    thread.start()
    inside.wait(5)
    results["main"] = records(x)  # the worker's no_grad does not reach this thread
    other = threading.Thread(target=fresh_thread)
    other.start()
    other.join()
    checked.set()
    thread.join()
    assert results == {"main": True, "worker": False, "fresh": True}


def test_new_threads_start_with_grad_enabled_even_from_no_grad():
    seen = []
    with ag.no_grad():
        thread = threading.Thread(target=lambda: seen.append(ag.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]
