"""Grad mode: whether operations are recorded on the tape.

The flag is per thread, as in torch: `no_grad()` in one thread does not stop
another thread from recording.  Each helper works both as a context manager and
as a decorator.
"""
import functools
import threading

class _GradState(threading.local):
    """Per-thread flag; every new thread starts with recording on."""

    def __init__(self):
        self.enabled = True


_state = _GradState()


def is_grad_enabled():
    """True when new operations are recorded on the tape (the default)."""
    return _state.enabled


def _set_enabled(enabled):
    _state.enabled = bool(enabled)


class _GradModeContext:
    """Base for the three grad-mode switches: a context manager and a decorator."""

    def _target_mode(self):
        raise NotImplementedError

    def __enter__(self):
        self._previous = is_grad_enabled()
        _set_enabled(self._target_mode())
        return self

    def __exit__(self, *exc_info):
        _set_enabled(self._previous)
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._arguments()):
                return function(*args, **kwargs)

        return wrapper

    def _arguments(self):
        return ()


class no_grad(_GradModeContext):
    """Record nothing inside this block: ``with no_grad(): w -= lr * w.grad``."""

    def _target_mode(self):
        return False


class enable_grad(_GradModeContext):
    """Record operations again, even inside a `no_grad()` block."""

    def _target_mode(self):
        return True


class set_grad_enabled(_GradModeContext):
    """Switch recording on or off.  Takes effect at once, and also works as a context manager."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = is_grad_enabled()
        _set_enabled(self.mode)

    def _target_mode(self):
        return self.mode

    def __enter__(self):
        # The constructor already switched; keep the mode from before it.
        _set_enabled(self.mode)
        return self

    def _arguments(self):
        return (self.mode,)

    def __call__(self, function):
        # Used as a decorator the constructor already flipped the mode: undo that.
        _set_enabled(self._previous)
        return super().__call__(function)
