"""Numba, imported on the first kernel call rather than with ``import autograd_core``.

Importing Numba (and with it llvmlite) costs about 0.3 s and 60 MiB of resident memory,
which a script that never reaches a kernel -- small tensors take numpy paths below each
kernel's size threshold -- should not pay.  So the kernel files decorate with `njit`
and `overload` from here: both only *record* what to compile.  The first call of any
recorded kernel runs `load()`, which imports Numba, installs the package-wide cache
key (`numba_cache`), turns every recorded function into a real Numba dispatcher,
rebinds it in its module (so kernels that call other kernels, and the Python wrappers
that look kernels up by name, see the dispatcher from then on) and registers the
recorded overloads.  After that a kernel costs exactly what it did with eager ``@njit``:
the wrappers call the dispatcher itself; a reference kept from before `load()` (the
`LazyKernel` object) forwards to it.

Once loaded, every object then alive is frozen out of the cyclic garbage collector's reach
(`_freeze_long_lived_objects` says why and what that changes).

Code that uses Numba directly on these kernels or on `scalar_math`'s stubs (the tests)
calls `load()` first.
"""
import sys
import threading

__all__ = ["njit", "overload", "load", "is_loaded", "LazyKernel"]

_kernels = []  # every LazyKernel, in definition order
_overloads = []  # (stub, options, implementation)
_lock = threading.Lock()
_loaded = False


class LazyKernel:
    """A function that becomes ``numba.njit(**options)(function)`` when Numba is loaded."""

    def __init__(self, function, options):
        self.py_func = function
        self.options = options
        self.dispatcher = None
        self.__name__ = function.__name__
        self.__qualname__ = function.__qualname__
        self.__module__ = function.__module__
        self.__doc__ = function.__doc__
        self.__wrapped__ = function

    def __call__(self, *args, **kwargs):
        if self.dispatcher is None:
            load()
        return self.dispatcher(*args, **kwargs)

    def __getattr__(self, name):
        # Dispatcher attributes (signatures, inspect_asm, ...) load Numba as a call would.
        if name.startswith("__") or name in ("py_func", "options", "dispatcher"):
            raise AttributeError(name)
        if self.dispatcher is None:
            load()
        return getattr(self.dispatcher, name)

    def __repr__(self):
        state = "compiled on demand" if self.dispatcher is not None else "Numba not loaded yet"
        return f"<LazyKernel {self.__module__}.{self.__qualname__} ({state})>"


def njit(function=None, **options):
    """Record `function` for ``numba.njit(**options)``; usable bare or with options, as njit."""
    def record(target):
        kernel = LazyKernel(target, options)
        _kernels.append(kernel)
        if _loaded:  # defined after load() (a module imported later): the dispatcher itself
            _make_real(kernel)
            return kernel.dispatcher
        return kernel

    return record(function) if function is not None else record


def overload(stub, **options):
    """Record ``numba.extending.overload(stub, **options)(implementation)`` for `load()`."""
    def record(implementation):
        _overloads.append((stub, options, implementation))
        if _loaded:
            from numba.extending import overload as numba_overload
            numba_overload(stub, **options)(implementation)
        return implementation

    return record


def is_loaded():
    """Whether `load()` has run (Numba imported and the kernels made real)."""
    return _loaded


def load():
    """Import Numba and make every recorded kernel and overload real (idempotent, thread-safe)."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        from numba.extending import overload as numba_overload

        from . import numba_cache
        numba_cache.install()  # before any dispatcher exists: the cache key covers the whole package
        for stub, options, implementation in _overloads:
            numba_overload(stub, **options)(implementation)
        for kernel in _kernels:
            _make_real(kernel)
        _rebind_everywhere()
        _freeze_long_lived_objects()
        _loaded = True


def _freeze_long_lived_objects():
    """Move every object alive now -- Numba's ~100,000 among them -- out of the cyclic garbage
    collector's reach (``gc.freeze()``), after one collection so that no garbage is kept.

    Why: Python's full collections traverse every tracked object, and the graph a forward pass
    builds (a Node and a Tensor per op, alive until backward) promotes enough objects to trigger
    one every few thousand ops.  With Numba's objects in the heap each of those took ~100 ms
    (2 cores, AMD EPYC): a third of the W2 per-op benchmark's time after a Numba kernel had run
    (9.1 against 5.2 us per op).  Frozen, they are skipped.
    What it changes for the process: objects alive at this moment (the user's too) are no longer
    examined for reference cycles; reference counting still frees them as usual, so only an
    object that later becomes unreachable *inside a cycle* would stay allocated.  Thresholds and
    ``gc.isenabled()`` stay as the user set them; ``gc.unfreeze()`` undoes this.
    """
    import gc

    gc.collect()
    gc.freeze()


def _make_real(kernel):
    import numba

    kernel.dispatcher = numba.njit(**kernel.options)(kernel.py_func)


def _rebind_everywhere():
    """Replace each made-real LazyKernel by its dispatcher wherever this package's modules name it
    (its own module, and ``from .rows import _row_max`` elsewhere): a jitted caller resolves its
    globals when it compiles, and Numba can call a dispatcher, not a Python object."""
    package = __name__.rpartition(".")[0]
    for name, module in list(sys.modules.items()):
        if module is None or not (name == package or name.startswith(package + ".")):
            continue
        namespace = vars(module)
        for attribute, value in list(namespace.items()):
            if value.__class__ is LazyKernel and value.dispatcher is not None:
                namespace[attribute] = value.dispatcher
