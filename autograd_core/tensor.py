"""`Tensor`: a thin handle on an ndarray, its gradient, and the node that made it.

A Tensor holds
  * ``_data``          the ndarray with its values,
  * ``_grad``          the accumulated gradient (a Tensor) or None,
  * ``_requires_grad`` whether gradients flow to it,
  * ``_node``          the tape node that produced it (None for a leaf),
  * ``_version``       a counter bumped by every in-place change (shared with views),
  * ``_view_info``     for a view made by a view op (``x[0]``, ``x.reshape(...)``): its base and how
                       it was made (`views.ViewInfo`), so in-place changes can follow it; else None,
  * ``_hooks``         gradient hooks of a leaf.
This file knows nothing of the tape or the ops: the operators and math methods
(``x + y``, ``x.exp()``), the in-place methods and ``backward()`` are bound to the
class by the assembly step in ``autograd_core/__init__.py`` (`tensor_methods.py`).
Printing lives in `tensor_str.py`.
"""
import weakref

import numpy as np

from . import dtypes
from .arrays import as_array
from .tensor_str import tensor_repr


class Tensor:
    """A multi-dimensional array that records the operations applied to it.

    Create one with `autograd_core.tensor(data, dtype=None, requires_grad=False)`
    (or `zeros`, `randn`, ...).  After ``loss.backward()``, every leaf with
    ``requires_grad=True`` has the gradient of ``loss`` in ``.grad``.
    """

    __slots__ = ("_data", "_grad", "_requires_grad", "_node", "_output_index", "_version",
                 "_hooks", "_retains_grad", "_view_info", "__weakref__")

    # Make ``ndarray <op> Tensor`` defer to Tensor's reflected operators.
    __array_ufunc__ = None

    def __init__(self, *args, dtype=None, requires_grad=False):
        """torch's old-style constructor: ``Tensor(data)`` is a copy of `data` in the default float
        dtype (float32), as ``torch.Tensor([1, 2])``; ``Tensor(2, 3)`` a (2, 3) tensor (zeros; torch's
        is uninitialised); ``Tensor()`` an empty one.  ``dtype=`` keeps a given dtype instead.  A
        tensor already of that dtype is shared, not copied (torch's rule; nn.Parameter relies on it)."""
        self._data = _legacy_array(args, dtype)
        self._grad = None
        self._requires_grad = False
        self._node = None
        self._output_index = 0
        self._version = [0]
        self._hooks = None
        self._retains_grad = False
        self._view_info = None
        if requires_grad:
            self.requires_grad_(True)

    # -- attributes ---------------------------------------------------------------
    @property
    def data(self):
        """This tensor's values as a Tensor off the tape, sharing memory (torch's ``.data``)."""
        return make_tensor(self._data, view_of=self)

    @data.setter
    def data(self, value):
        value = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = value
        self._version[0] += 1

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (a Tensor), or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has shape {value.shape}, but the tensor has shape {self.shape}"
                )
            if value.dtype != self.dtype:  # as torch: a later backward would accumulate in the wrong dtype
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype {value.dtype} to a tensor with dtype "
                    f"{self.dtype}; the gradient must match the tensor's dtype (convert it with .to({self.dtype}))"
                )
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def requires_grad(self):
        """Whether gradients are computed for this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place (only on leaves; only float tensors can require grad)."""
        if self._node is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables; use detach() "
                    "to get a tensor that does not require grad"
                )
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self._data.dtype}"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        """True for tensors made by the user rather than by a recorded op."""
        return self._node is None

    @property
    def grad_fn(self):
        """The tape node that produced this tensor (None for a leaf)."""
        return self._node

    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return dtypes.CPU

    @property
    def is_cuda(self):
        return False

    @property
    def T(self):
        """All dimensions reversed (``x.permute(n-1, ..., 0)``)."""
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        """The last two dimensions swapped."""
        return self.transpose(-2, -1)

    @property
    def retains_grad(self):
        return self._retains_grad

    @property
    def _version_value(self):
        return self._version[0]

    def dim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # Tensors are hashed by identity (``==`` is elementwise), so they can key dicts such as an
    # optimizer's state; object's own hash is the cheapest such hash.
    __hash__ = object.__hash__

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous; use .any() or .all()"
            )
        return bool(self._data)

    def __array__(self, dtype=None, copy=None):
        """numpy's protocol: ``np.asarray(t)`` shares memory, ``np.array(t)`` (copy=True) copies."""
        data = self._data
        if dtype is not None and data.dtype != dtype:
            if copy is False:
                raise ValueError(f"__array__: a cast from {data.dtype} to {np.dtype(dtype)} needs a copy, "
                                 "but copy=False was requested")
            return data.astype(dtype)
        return data.copy() if copy else data

    # -- conversion ---------------------------------------------------------------
    def numpy(self, force=False):
        """The ndarray itself (shared memory).  Like torch, refuses if the tensor requires grad."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(  # torch's class: 'a Tensor with 6 elements cannot be converted to Scalar'
                f"item(): only one element tensors can be converted to Python scalars: a Tensor with "
                f"{self._data.size} elements cannot be converted to Scalar (shape {self.shape})"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec):
        # As torch, a 0-d tensor formats as its number (f"{loss}" too); beyond torch (docs/api.md),
        # so does any one-element tensor given a format spec (f"{loss:.4f}").
        if self._data.ndim == 0 or (self._data.size == 1 and spec):
            return format(self.item(), spec)
        if spec:
            # As torch (object.__format__), but saying why: str's "Unknown format code 'f' for
            # object of type 'str'" hid that the tensor has more than one element.
            raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__: only a "
                            f"one-element tensor formats like a number, this one has shape "
                            f"{tuple(self._data.shape)} (format t.item() or t.tolist() instead)")
        return format(str(self), spec)

    def __repr__(self):
        return tensor_repr(self._data, self._node, self._requires_grad)

    __str__ = __repr__

    # -- autograd -------------------------------------------------------------------
    def detach(self):
        """A new leaf sharing this tensor's memory, cut off from the tape (and, in forward mode,
        without the tangent: a new ndarray object on the same memory has no entry of its own)."""
        return make_tensor(self._data.view(), view_of=self)

    def detach_(self):
        """Cut this tensor off the tape, in place."""
        self._node = None
        self._requires_grad = False
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._node is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            hooks = self._hooks
        else:
            self._node.register_hook(self._output_index, hook)
            hooks = self._node.hooks[self._output_index]
        return _HookHandle(hooks, hook)

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._node is None or self._retains_grad:
            return
        if self._node.retained is None:
            self._node.retained = {}
        self._node.retained[self._output_index] = weakref.ref(self)
        self._retains_grad = True


def _legacy_array(args, dtype):
    """The array of ``Tensor(*args)``: sizes, one piece of data, or nothing."""
    target = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    if not args:
        return np.zeros((0,), target)
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) for a in args):
        return np.zeros(tuple(int(a) for a in args), target)
    if len(args) != 1:
        raise TypeError(f"Tensor(): expected sizes (ints) or one piece of data, got {len(args)} arguments")
    data = args[0]
    if hasattr(data, "_data") and data._data.dtype == target:
        return data._data  # a tensor of that dtype: shared memory, as torch.Tensor(t)
    return np.array(as_array(data), dtype=target, copy=True)


def make_tensor(data, node=None, *, output_index=0, view_of=None):
    """The one internal constructor: wrap the ndarray `data` as a Tensor.

    `node` is the tape node that made it (None: a leaf that does not require grad),
    `output_index` which of that node's outputs it is, and `view_of` a Tensor whose
    memory it shares: the two then share one version counter, so an in-place change
    through either is seen by both.  The engine's hot path (once per recorded op),
    so it sets the slots directly.
    """
    tensor = _new_tensor(Tensor)
    tensor._data = data
    tensor._grad = None
    tensor._requires_grad = node is not None
    tensor._node = node
    tensor._output_index = output_index
    tensor._version = [0] if view_of is None else view_of._version
    tensor._hooks = None
    tensor._retains_grad = False
    tensor._view_info = None
    return tensor


_new_tensor = object.__new__


class _HookHandle:
    """Returned by `register_hook`; ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks, hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
