"""Anomaly mode: find the op whose gradient went NaN or Inf, and where in the forward pass it was recorded.

    with autograd_core.detect_anomaly():
        loss = model(x).sum()
        loss.backward()     # RuntimeError: Function 'DivBackward0' returned nan values in its 0th output.
                            #   ... plus the traceback of the line that recorded the division

While it is on (per thread, as torch), every recorded node keeps the traceback of the
forward call that recorded it (`forward_stack`, engine frames trimmed), and a backward
checks what each op's (or custom Function's) VJP returns: the first gradient holding a
NaN, or an Inf (beyond torch, which checks only NaN: an infinite gradient such as log's at
0 raises here), raises, naming that op and showing that traceback (also given as a
warning, as torch prints it).  Since every VJP's outputs are checked, the op blamed is
the first one that produced the bad value, never one that merely passed it on.  Any
other error raised in a VJP under anomaly mode gets the traceback as a note (and warning).

Off by default.  Off, recording a node tests one module global (`graph.Node`: is the mode
on in any thread?), and a backward reads the flags once (`graph.backward_pass`).  Both
switches work as context managers and as decorators, and restore the previous mode when
their block ends, also when it raised.
"""
import functools
import inspect
import os
import sys
import threading
import traceback
import warnings

import numpy as np

#: Frames from files in this directory are the engine's own; they are trimmed from forward tracebacks.
_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class _AnomalyState(threading.local):
    """Per-thread flags; every new thread starts with anomaly mode off."""

    def __init__(self):
        self.enabled = False
        self.check_nan = True
        self._token = None  # an _OnToken while enabled (see below)


_state = _AnomalyState()

# Reading a thread-local attribute costs ~50 ns, too much for every recorded op.  So the tape
# also gets a process-wide "is anomaly mode on in any thread?" flag, a plain module global of
# its own (~5 ns to test), through `on_change`; only when it is set does a node read its
# thread's flags.  It counts the threads that have the mode on: a thread holds an _OnToken
# while its mode is on, and the token is dropped when the mode goes off or the thread ends.
_lock = threading.RLock()  # re-entrant: a token's __del__ may run inside the locked section
_threads_on = 0
_listeners = []


def on_change(listener):
    """Call ``listener(any_thread_on)`` now and whenever anomaly mode goes on in a first thread or off in
    the last one (how graph.py keeps its own fast flag)."""
    _listeners.append(listener)
    listener(_threads_on > 0)


def _count(delta):
    global _threads_on
    with _lock:
        before = _threads_on > 0
        _threads_on += delta
        if (_threads_on > 0) != before:
            for listener in _listeners:
                listener(_threads_on > 0)


class _OnToken:
    __slots__ = ("__weakref__",)

    def __init__(self):
        _count(1)

    def __del__(self):
        try:
            _count(-1)
        except Exception:  # interpreter shutdown: the module may be half torn down
            pass


def is_anomaly_enabled():
    """True inside `detect_anomaly()` / after ``set_detect_anomaly(True)`` (in this thread)."""
    return _state.enabled


def is_anomaly_check_nan_enabled():
    """True when anomaly mode also checks every VJP's outputs for NaN and Inf (``check_nan=True``)."""
    return _state.check_nan


def _set(enabled, check_nan):
    enabled = bool(enabled)
    _state.check_nan = bool(check_nan)
    if enabled and _state._token is None:
        _state._token = _OnToken()
    _state.enabled = enabled
    if not enabled:
        _state._token = None


class _AnomalyContext:
    """Base of the two switches: a context manager (re-entrant) and a decorator."""

    def __enter__(self):
        previous = self.__dict__.setdefault("_previous", [])
        previous.append((_state.enabled, _state.check_nan))
        _set(self.mode, self.check_nan)
        return self

    def __exit__(self, *exc_info):
        _set(*self._previous.pop())
        return False

    def __call__(self, function):
        if inspect.isgeneratorfunction(function):
            raise TypeError(f"{type(self).__name__} cannot decorate a generator function; "
                            "use it as a `with` block inside the generator")
        mode, check_nan = self.mode, self.check_nan

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with _Switch(mode, check_nan):
                return function(*args, **kwargs)

        return wrapper


class _Switch(_AnomalyContext):
    """The plain switch a decorated function runs under (no warning, no effect on construction)."""

    def __init__(self, mode, check_nan):
        self.mode = mode
        self.check_nan = check_nan


class detect_anomaly(_AnomalyContext):
    """Turn anomaly mode on inside the block (or the decorated function), as ``torch.autograd.detect_anomaly``.

    ``check_nan=False`` records forward tracebacks (shown by any error a backward raises)
    without checking gradients for NaN/Inf.
    """

    def __init__(self, check_nan=True):
        self.mode = True
        self.check_nan = bool(check_nan)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)


class set_detect_anomaly(_AnomalyContext):
    """Switch anomaly mode on or off: at once when called, and for a block when used with ``with``
    (the mode from before the call comes back at the end of the block), as torch."""

    def __init__(self, mode, check_nan=True):
        self.mode = bool(mode)
        self.check_nan = bool(check_nan)
        self._before_call = (_state.enabled, _state.check_nan)
        self._previous = []
        _set(self.mode, self.check_nan)

    def __enter__(self):
        # The call already switched: the first `with` restores what was there before the call.
        self._previous.append(self._before_call if not self._previous else (_state.enabled, _state.check_nan))
        _set(self.mode, self.check_nan)
        return self

    def __call__(self, function):
        _set(*self._before_call)  # as a decorator, the call's switch must not stay on
        return super().__call__(function)


# ---------------------------------------------------------------------------
# Used by the tape (graph.py)
# ---------------------------------------------------------------------------
def forward_stack():
    """The user's stack at this point, outermost first, without the engine's own frames at its end.

    Lines are read only when the traceback is printed (no file access per recorded op), and
    no frame object is kept (the summary holds file names, line numbers and function names).
    """
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_ENGINE_DIR):
        frame = frame.f_back
    stack = traceback.StackSummary.extract(traceback.walk_stack(frame), lookup_lines=False)
    stack.reverse()
    return stack


def _has(test, value):
    """Does the gradient `value` (an ndarray, a Tensor or a number) hold an element for which `test` holds?"""
    value = getattr(value, "_data", value)
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.kind not in "fc":
        return False
    return bool(test(value).any())


def _bad_kind(value):
    """'nan', 'inf' or None for one gradient."""
    if _has(np.isnan, value):
        return "nan"
    if _has(np.isinf, value):
        return "inf"
    return None


def function_name(node):
    """How torch names the node in anomaly messages: 'MulBackward0' for a built-in op, 'MyFnBackward'
    for a custom Function."""
    if "function_ctx" in node.__dict__:
        return f"{node.name}Backward"
    return f"{node.name}Backward0"


def trace_text(node):
    """The forward traceback recorded with `node`, formatted, or torch's note that there is none."""
    stack = node.__dict__.get("forward_trace")
    if stack is None:
        return ("No forward pass information available. Enable detect anomaly during forward pass "
                "for more information.")
    return "Traceback of forward call that caused the error:\n" + "".join(stack.format()).rstrip("\n")


def check_gradients(node, grads):
    """Raise (and warn, as torch prints it) if one of `grads` (a VJP's outputs: arrays, Tensors or
    None) holds a NaN -- or, beyond torch, an Inf.  NaNs first, so that where torch raises, this
    names the same output as torch."""
    for kind, test in (("nan", np.isnan), ("inf", np.isinf)):
        for index, grad in enumerate(grads):
            if grad is not None and _has(test, grad):
                raise_anomaly(node, f"Function '{function_name(node)}' returned {kind} values in its {index}th output.")


def raise_anomaly(node, headline):
    trace = trace_text(node)
    warnings.warn(f"Error detected in {function_name(node)}. {trace}", stacklevel=3)
    error = RuntimeError(f"{headline}\n\n{trace}")
    error._anomaly_annotated = True  # the message already holds the traceback
    raise error


def check_seed(grad, what):
    """A gradient that enters the backward from outside an op (a ``gradient=`` argument, a hook's result):
    a NaN/Inf there is blamed on it, not on the first op that passes it on."""
    kind = _bad_kind(grad)
    if kind is not None:
        raise RuntimeError(f"Anomaly detected: {what} contains {kind} values (before any op's backward ran).")


def annotate(error, node):
    """An error raised inside `node`'s VJP under anomaly mode: say where the op was recorded (torch warns
    "Error detected in ..."; here also a note on the exception, shown under its traceback)."""
    if getattr(error, "_anomaly_annotated", False):
        return  # a nested backward (inside a VJP) already said where
    trace = trace_text(node)
    warnings.warn(f"Error detected in {function_name(node)}. {trace}", stacklevel=3)
    add_note = getattr(error, "add_note", None)  # Python 3.11+
    if add_note is not None:
        add_note(f"(anomaly mode) Error detected in {function_name(node)}. {trace}")
    try:
        error._anomaly_annotated = True
    except AttributeError:
        pass
