"""Numba's on-disk cache for the kernels, invalidated by an edit to ANY file of this package.

Numba keys a cached kernel on the source of the file that defines it, but the
kernels here inline code from other files (`scalar_math`, `rows`), so editing
one of those would leave stale machine code in the cache.  Installing
`install()` (done by the package's ``__init__``, before any kernel is defined)
adds cache locators, used for this package's files only, whose source stamp
also covers every ``.py`` file in the package.

This relies on numba's cache-locator classes (``numba.core.caching``); if
they change, `install` returns False and does nothing (tests/kernels checks it
works), and the caveat above applies again: delete ``__pycache__/*.nb[ic]``
after editing `scalar_math.py`.
"""
import glob
import hashlib
import os

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _package_stamp():
    """A hash of the contents of every .py file in this package."""
    digest = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(_PACKAGE_DIR, "*.py"))):
        with open(path, "rb") as handle:
            digest.update(os.path.basename(path).encode() + b"\0" + handle.read())
    return digest.hexdigest()


def install():
    """Put the package-wide locators in front of numba's own (idempotent)."""
    try:
        from numba.core import caching
        from numba.core import config
        implementation = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.61
        locators = implementation._locator_classes
        base_classes = (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator)
    except (ImportError, AttributeError):
        return False
    if any(getattr(cls, "_autograd_core_kernels", False) for cls in locators):
        return True
    stamp = _package_stamp()

    def make(base, wants_cache_dir):
        class PackageLocator(base):
            _autograd_core_kernels = True

            def get_source_stamp(self):
                return (super().get_source_stamp(), stamp)

            @classmethod
            def from_function(cls, py_func, py_file):
                in_package = os.path.dirname(os.path.abspath(py_file)) == _PACKAGE_DIR
                if not in_package or bool(config.CACHE_DIR) != wants_cache_dir:
                    return None
                return super().from_function(py_func, py_file)

        PackageLocator.__name__ = PackageLocator.__qualname__ = "Package" + base.__name__
        return PackageLocator

    locators[:0] = [make(base_classes[0], True), make(base_classes[1], False)]
    return True
