"""Containers: `Sequential`, `ModuleList`, `ModuleDict`, `ParameterList`, `ParameterDict`.

Their children are registered under the names torch uses ('0', '1', ... for
Sequential and ModuleList), so parameter names and state_dict keys match torch's
(``'0.weight'``).
"""
import collections
import operator

import autograd_core as ag

from ._repr import add_indent
from .module import Module
from .parameter import Parameter


def _index(container, idx):
    """A valid non-negative position for `idx` in `container` (torch's IndexError otherwise)."""
    idx = operator.index(idx)
    size = len(container)
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range for {type(container).__name__} of length {size}")
    return idx % size


def _check_module(container, module):
    if not isinstance(module, Module):
        raise TypeError(f"{type(container).__name__} can only hold nn.Module objects, got {type(module).__name__}")
    return module


def _renumber(container, modules):
    """Re-register `modules` under the names '0', '1', ... (after an insert or a delete)."""
    container._modules.clear()
    container._modules.update((str(position), module) for position, module in enumerate(modules))


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Linear(4, 8), ReLU(), Linear(8, 2))``.

    Also ``Sequential(OrderedDict([('fc', Linear(4, 8)), ...]))`` to choose the names.
    Indexable (``model[0]``; a slice gives a Sequential), iterable, and ``len()``-able.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], collections.OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, _check_module(self, module))
        else:
            for position, module in enumerate(args):
                self.add_module(str(position), _check_module(self, module))

    def forward(self, input):
        """``input -> module_0 -> module_1 -> ...``"""
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(collections.OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(self, idx)]

    def __setitem__(self, idx, module):
        key = list(self._modules)[_index(self, idx)]
        setattr(self, key, _check_module(self, module))

    def __delitem__(self, idx):
        keys = list(self._modules)
        if isinstance(idx, slice):
            doomed = keys[idx]
        else:
            doomed = [keys[_index(self, idx)]]
        for key in doomed:
            del self._modules[key]
        _renumber(self, list(self._modules.values()))  # as torch: indices stay 0..n-1

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add `module` at the end. Returns self."""
        self.add_module(str(len(self)), _check_module(self, module))
        return self

    def extend(self, modules):
        """Append each module of an iterable. Returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert `module` before position `index`. Returns self."""
        _check_module(self, module)
        modules = list(self._modules.values())
        size = len(modules)
        if not -size <= index <= size:
            raise IndexError(f"Index out of range: {index} for Sequential of length {size}")
        modules.insert(index + size if index < 0 else index, module)
        _renumber(self, modules)
        return self

    def pop(self, key):
        """Remove and return the module at position `key`."""
        module = self[key]
        del self[key]
        return module


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain Python list's would not be).

    Supports indexing, slicing (gives a ModuleList), ``len``, iteration, ``append``,
    ``extend``, ``insert``, ``pop``.  It has no forward: the owner decides how to call them.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(self, idx))]

    def __setitem__(self, idx, module):
        setattr(self, str(_index(self, idx)), _check_module(self, module))

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for key in list(self._modules)[idx]:
                del self._modules[key]
        else:
            del self._modules[str(_index(self, idx))]
        _renumber(self, list(self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def append(self, module):
        """Add `module` at the end. Returns self."""
        self.add_module(str(len(self)), _check_module(self, module))
        return self

    def extend(self, modules):
        """Append every module of an iterable. Returns self."""
        if not hasattr(modules, "__iter__"):
            raise TypeError(
                f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}"
            )
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert `module` before position `index`."""
        _check_module(self, module)
        modules = list(self._modules.values())
        modules.insert(index, module)
        _renumber(self, modules)

    def pop(self, key):
        """Remove and return the module at position `key`."""
        module = self[key]
        del self[key]
        return module

    def _repr_child_lines(self, child_reprs):
        # torch folds runs of identical children: "(0-2): 3 x Linear(...)".
        lines = []
        start = 0
        while start < len(child_reprs):
            end = start
            while end + 1 < len(child_reprs) and child_reprs[end + 1][1] == child_reprs[start][1]:
                end += 1
            text = child_reprs[start][1]
            label = f"({start}): {text}" if start == end else f"({start}-{end}): {end - start + 1} x {text}"
            lines.append(add_indent(label, 2))
            start = end + 1
        return lines


class ModuleDict(Module):
    """A dict of modules (insertion ordered) whose parameters are registered.

    ``ModuleDict({'encoder': Linear(4, 8)})``; supports ``[]``, ``in``, ``len``,
    iteration over keys, ``keys/values/items``, ``update``, ``pop``, ``clear``.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, _check_module(self, module))

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def pop(self, key):
        """Remove `key` and return its module."""
        module = self[key]
        del self[key]
        return module

    def keys(self):
        """The keys, in insertion order."""
        return self._modules.keys()

    def items(self):
        """``(key, value)`` pairs, in insertion order."""
        return self._modules.items()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def update(self, modules):
        """Add the modules of a mapping or of an iterable of ``(key, module)`` pairs."""
        if hasattr(modules, "items"):
            pairs = modules.items()
        else:
            pairs = []
            for position, pair in enumerate(modules):
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise ValueError(
                        f"ModuleDict update sequence element #{position} should be a (key, module) pair, "
                        f"got {pair!r}"
                    )
                pairs.append(pair)
        for key, module in pairs:
            self[key] = module


def _as_parameter(value):
    """torch's containers turn a plain Tensor into a Parameter (sharing its memory)."""
    if isinstance(value, ag.Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _parameter_line(key, param):
    size = "x".join(str(size) for size in param.shape)
    return f"({key}): {type(param).__name__} containing: [{param.dtype} of size {size}]"


class ParameterList(Module):
    """A list of Parameters registered under '0', '1', ... (plain Tensors are wrapped as Parameters)."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._parameters.values())[idx])
        return self._parameters[str(_index(self, idx))]

    def __setitem__(self, idx, param):
        self.register_parameter(str(_index(self, idx)), _as_parameter(param))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def append(self, value):
        """Add a Parameter (or a Tensor, wrapped) at the end. Returns self."""
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values):
        """Append every Parameter of an iterable. Returns self."""
        if not hasattr(values, "__iter__"):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got {type(values).__name__}")
        for value in list(values):
            self.append(value)
        return self

    def extra_repr(self):
        return "\n".join(_parameter_line(key, param) for key, param in self._parameters.items())


class ParameterDict(Module):
    """A dict of Parameters (insertion ordered; plain Tensors are wrapped as Parameters)."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value))

    def __delitem__(self, key):
        del self._parameters[key]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        """The keys, in insertion order."""
        return self._parameters.keys()

    def items(self):
        """``(key, value)`` pairs, in insertion order."""
        return self._parameters.items()

    def values(self):
        """The Parameters, in insertion order."""
        return self._parameters.values()

    def pop(self, key):
        """Remove `key` and return its Parameter."""
        value = self[key]
        del self[key]
        return value

    def update(self, parameters):
        """Add the Parameters of a mapping or of an iterable of ``(key, value)`` pairs."""
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in pairs:
            self[key] = value

    def extra_repr(self):
        return "\n".join(_parameter_line(key, param) for key, param in self._parameters.items())
