"""Grad mode: whether operations are recorded on the tape.

The flag is per thread, as in torch: `no_grad()` in one thread does not stop
another thread from recording.  Each helper works both as a context manager and
as a decorator.
"""
import functools
import inspect
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
        # A stack, not one attribute, so that re-entering the same instance
        # (``with ctx: with ctx:``) still restores the mode from before the outer block.
        previous = self.__dict__.setdefault("_previous_modes", [])
        previous.append(is_grad_enabled())
        _set_enabled(self._target_mode())
        return self

    def __exit__(self, *exc_info):
        _set_enabled(self._previous_modes.pop())
        return False

    def __call__(self, function):
        if inspect.isgeneratorfunction(function):
            return self._wrap_generator(function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return function(*args, **kwargs)

        return wrapper

    def _fresh(self):
        """A new context with the same arguments (one instance may decorate many calls)."""
        return self.__class__(*self._arguments())

    def _wrap_generator(self, function):
        """The mode holds while the generator runs, not while its caller does (as torch)."""

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            generator = function(*args, **kwargs)
            try:
                with self._fresh():
                    request = generator.send(None)
                while True:
                    try:
                        response = yield request
                    except GeneratorExit:
                        with self._fresh():
                            generator.close()
                        raise
                    except BaseException as error:
                        with self._fresh():
                            request = generator.throw(error)
                    else:
                        with self._fresh():
                            request = generator.send(response)
            except StopIteration as stop:
                return stop.value

        return wrapper

    def _arguments(self):
        return ()


class _NoArgumentContext(_GradModeContext):
    """Also usable as a bare decorator: ``@no_grad`` as well as ``@no_grad()`` (torch 2)."""

    def __new__(cls, function=None):
        if function is None:
            return super().__new__(cls)
        return cls()(function)

    def __init__(self, function=None):
        pass


class no_grad(_NoArgumentContext):
    """Record nothing inside this block: ``with no_grad(): w -= lr * w.grad``."""

    def _target_mode(self):
        return False


class enable_grad(_NoArgumentContext):
    """Record operations again, even inside a `no_grad()` block."""

    def _target_mode(self):
        return True


class inference_mode(_GradModeContext):
    """torch's inference mode; here simply `no_grad` (``inference_mode(False)`` records as usual)."""

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def _target_mode(self):
        return False if self.mode else is_grad_enabled()  # inference_mode(False) changes nothing

    def _arguments(self):
        return (self.mode,)


class set_grad_enabled(_GradModeContext):
    """Switch recording on or off.  Takes effect at once, and also works as a context manager."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = is_grad_enabled()
        self._previous_modes = []
        _set_enabled(self.mode)

    def _target_mode(self):
        return self.mode

    def __enter__(self):
        # The constructor already switched: what to restore is the mode from before it.
        self._previous_modes.append(self._previous if not self._previous_modes else is_grad_enabled())
        _set_enabled(self.mode)
        return self

    def _arguments(self):
        return (self.mode,)

    def __call__(self, function):
        # Used as a decorator the constructor already flipped the mode: undo that.
        _set_enabled(self._previous)
        return super().__call__(function)
