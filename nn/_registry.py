"""The ordered name -> member registries of a Module, and hook handles.

A Module keeps its parameters, buffers and submodules in three `Registry` dicts,
as torch does.  Each registry also mirrors its entries into the module's
instance ``__dict__``, so that ``self.weight`` inside ``forward`` is found by
Python's ordinary attribute lookup (about 50 ns) instead of the ``__getattr__``
fallback (about 600 ns, several times per forward call).  Every way of writing
to the dict keeps the mirror right, so code that edits ``module._parameters``
directly, as some torch code does, still sees consistent attributes.
"""


class Registry(dict):
    """A dict of one kind of member (parameters, buffers or submodules) of one module.

    `mirror` is the owning module's ``__dict__``.  Reads are plain dict reads.
    """

    __slots__ = ("mirror",)

    def __init__(self, mirror, entries=()):
        super().__init__()
        self.mirror = mirror
        for name, value in entries:
            self[name] = value

    def __setitem__(self, name, value):
        dict.__setitem__(self, name, value)
        self.mirror[name] = value

    def __delitem__(self, name):
        dict.__delitem__(self, name)
        self.mirror.pop(name, None)

    def pop(self, name, *default):
        if name in self:
            self.mirror.pop(name, None)
        return dict.pop(self, name, *default)

    def popitem(self):
        name, value = dict.popitem(self)
        self.mirror.pop(name, None)
        return name, value

    def clear(self):
        for name in self:
            self.mirror.pop(name, None)
        dict.clear(self)

    def update(self, *args, **kwargs):
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def setdefault(self, name, default=None):
        if name not in self:
            self[name] = default
        return dict.__getitem__(self, name)

    def __ior__(self, other):
        self.update(other)
        return self

    def copy(self):
        """A plain dict with the same entries (not tied to any module)."""
        return dict(self)

    def __reduce__(self):
        # Pickled or deep-copied on its own, a registry becomes a plain dict.
        return (dict, (dict(self),))


class RemovableHandle:
    """Returned by ``register_forward_hook`` and friends; ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks, key):
        self._hooks = hooks
        self._key = key

    def remove(self):
        """Unregister the hook (a second call does nothing)."""
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
