"""`Module`: the base class of every layer and model.

A Module keeps three ordered registries, filled by plain attribute assignment
(``self.fc = Linear(2, 3)``, ``self.w = Parameter(...)``), exactly as torch's:

  * ``_parameters``  name -> Parameter (or None),
  * ``_buffers``     name -> Tensor (or None): state that is saved but not trained,
  * ``_modules``     name -> Module (or None): the submodules.

Everything else (``parameters()``, ``state_dict()``, ``train()``, ``repr``) walks
these registries.  Walks over the module tree use an explicit stack, never
recursion, and visit modules in torch's order, so parameter order and
``state_dict`` keys match torch's for the same architecture.
"""
import autograd_core as ag

from . import _repr, _state_dict
from ._registry import Registry, RemovableHandle
from .parameter import Parameter

_REGISTRIES = ("_parameters", "_buffers", "_modules")


def _check_name(kind, name):
    """torch's rules for a name given to register_parameter / register_buffer / add_module."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')


class Module:
    """Base class for all layers and models: subclass it, assign layers in ``__init__``, write ``forward``.

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(4, 8)
                self.fc2 = nn.Linear(8, 2)

            def forward(self, x):
                return self.fc2(self.fc1(x).relu())
    """

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments: Module.__init__ takes none"
            )
        # object.__setattr__: our own __setattr__ needs these dicts to exist already.
        set_attribute = object.__setattr__
        set_attribute(self, "training", True)
        state = self.__dict__
        set_attribute(self, "_parameters", Registry(state))
        set_attribute(self, "_buffers", Registry(state))
        set_attribute(self, "_non_persistent_buffers_set", set())
        set_attribute(self, "_modules", Registry(state))
        set_attribute(self, "_forward_pre_hooks", {})
        set_attribute(self, "_forward_hooks", {})

    # -- calling ----------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """The computation of this module; every subclass defines it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        # The common case (no hooks) is one attribute test away from forward.
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, args)`` before forward; a returned value replaces the inputs."""
        key = object()
        self._forward_pre_hooks[key] = hook
        return RemovableHandle(self._forward_pre_hooks, key)

    def register_forward_hook(self, hook):
        """Call ``hook(module, args, output)`` after forward; a returned value replaces the output."""
        key = object()
        self._forward_hooks[key] = hook
        return RemovableHandle(self._forward_hooks, key)

    # -- registration -------------------------------------------------------------------
    def register_parameter(self, name, param):
        """Add a Parameter (or None, a declared-but-absent one such as ``bias=False``) under `name`."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer: state saved in ``state_dict`` (if `persistent`) but not trained, e.g. running means."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, ag.Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a submodule under `name` (same as ``setattr(self, name, module)``)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        state = self.__dict__
        params = state.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _forget(state, name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if "_modules" not in state:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _forget(state, name, keep="_modules")
            state["_modules"][name] = value
        elif "_modules" in state and name in state["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' (nn.Module or None expected)"
                )
            state["_modules"][name] = value
        elif "_buffers" in state and name in state["_buffers"]:
            if value is not None and not isinstance(value, ag.Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)"
                )
            state["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails: look in the registries.  self.__dict__ is
        # read directly so that a half-built object (copy, unpickling) cannot recurse here.
        state = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = state.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        state = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = state.get(registry)
            if entries is not None and name in entries:
                del entries[name]
                if registry == "_buffers":
                    state["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        names = list(super().__dir__())
        for registry in (self._parameters, self._buffers, self._modules):
            names.extend(registry)
        return sorted(set(names))

    def __getstate__(self):
        # Registries become plain dicts and their mirrored attributes are dropped;
        # __setstate__ rebuilds both (copy.deepcopy and pickle come through here).
        state = dict(self.__dict__)
        for registry in _REGISTRIES:
            entries = state.get(registry, {})
            for name in entries:
                state.pop(name, None)
            state[registry] = dict(entries)
        return state

    def __setstate__(self, state):
        state = dict(state)
        registries = {registry: state.pop(registry, {}) for registry in _REGISTRIES}
        self.__dict__.update(state)
        for name, default in (("_non_persistent_buffers_set", set()), ("_forward_pre_hooks", {}),
                              ("_forward_hooks", {}), ("training", True)):
            self.__dict__.setdefault(name, default)
        for registry, entries in registries.items():
            object.__setattr__(self, registry, Registry(self.__dict__, entries.items()))

    # -- walking the module tree ---------------------------------------------------------
    def named_children(self):
        """Yield ``(name, module)`` for each direct submodule (each module once)."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """Yield each direct submodule once."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(name, module)`` for this module and every submodule, depth first, parents first.

        The root's name is `prefix` ('' by default); a shared module appears once
        unless ``remove_duplicate=False``.
        """
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            # Pushed in reverse so that they pop in registration order (the order torch recurses in).
            for child_name, child in reversed(list(module._modules.items())):
                if child is not None:
                    stack.append((name + "." + child_name if name else child_name, child))

    def modules(self):
        """Yield this module and every submodule (each once), parents before children."""
        for _, module in self.named_modules():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate=True):
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (module_prefix + "." + name if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(name, parameter)`` pairs with torch's dotted names (``'0.weight'``), each parameter once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Yield every parameter of this module and its submodules, each once, in torch's order."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(name, buffer)`` pairs (persistent or not), each buffer once."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Yield every buffer of this module and its submodules."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target):
        """The submodule at dotted path `target` (``'encoder.0'``); '' is this module."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not isinstance(module, Module) or item not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = module._modules[item]
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def _get_registered(self, target, registry, kind):
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in getattr(module, registry):
            if hasattr(module, name):
                raise AttributeError(f"`{name}` is not an nn.{kind}" if kind == "Parameter"
                                     else f"`{name}` is not a buffer")
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        return getattr(module, registry)[name]

    def get_parameter(self, target):
        """The parameter at dotted path `target` (``'0.weight'``)."""
        return self._get_registered(target, "_parameters", "Parameter")

    def get_buffer(self, target):
        """The buffer at dotted path `target` (``'bn.running_mean'``)."""
        return self._get_registered(target, "_buffers", "buffer")

    # -- modes and gradients ------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode on this module and all submodules (Dropout and BatchNorm depend on it). Returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        stack = [self]
        while stack:
            module = stack.pop()
            module.training = mode
            for child in module._modules.values():
                if child is None:
                    continue
                # A subclass that overrides train() (e.g. to keep a layer frozen) handles its own subtree.
                if type(child).train is not Module.train:
                    child.train(mode)
                else:
                    stack.append(child)
        return self

    def eval(self):
        """Set evaluation mode (``train(False)``). Returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter (e.g. False to freeze a layer). Returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: to None (default) or to zeros in place."""
        ag.zero_grad_(self.parameters(), set_to_none)

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule and then on this module (children first). Returns self."""
        # Pre-order with children pushed left to right pops them right to left; reversing
        # that whole order gives exactly the post-order torch's recursive apply uses.
        order = []
        stack = [self]
        while stack:
            module = stack.pop()
            order.append(module)
            stack.extend(module.children())
        for module in reversed(order):
            fn(module)
        return self

    # -- dtype and device ---------------------------------------------------------------
    def _apply_to_tensors(self, convert):
        """Replace every parameter's values (keeping the Parameter object) and buffer by ``convert(t)``."""
        with ag.no_grad():
            for module in self.modules():
                for param in module._parameters.values():
                    if param is None:
                        continue
                    new = convert(param)
                    if new is not param and new.dtype != param.dtype:
                        param.data = new
                        if param.grad is not None:
                            param.grad = convert(param.grad)
                for name, buffer in module._buffers.items():
                    if buffer is not None:
                        module._buffers[name] = convert(buffer)
        return self

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)`` or ``to(device, dtype)``: convert float parameters and buffers.

        Only the CPU exists, so a device other than 'cpu' is a clear error.
        """
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, (str, ag.device)):
                device = arg
            elif isinstance(arg, ag.Tensor):
                dtype = arg.dtype
            else:
                dtype = arg
        if device is not None:
            ag.device(device)  # raises for anything but the CPU
        if dtype is None:
            return self
        dtype = ag.empty(0, dtype=dtype).dtype  # normalise np.float64, "float32", ag.double ...
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        return self._apply_to_tensors(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def float(self):
        """Convert float parameters and buffers to float32."""
        return self.to(ag.float32)

    def double(self):
        """Convert float parameters and buffers to float64."""
        return self.to(ag.float64)

    def cpu(self):
        """A no-op (everything lives on the CPU). Returns self."""
        return self

    def cuda(self, device=None):
        """Always an error: there is no GPU backend."""
        raise RuntimeError("cuda(): autograd_core runs on the CPU only; use .to('cpu') or leave the model as is")

    # -- state_dict ------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """An ordered dict of every parameter and persistent buffer under torch's keys ('0.weight', ...).

        Values are detached tensors sharing memory with the model (``keep_vars=True``:
        the Parameters themselves), so copy them if the model will keep training.
        """
        return _state_dict.state_dict(self, destination, prefix, keep_vars)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from `state_dict` into this module, in place (dtype cast as needed).

        Everything is checked before anything is copied: with ``strict=True``, missing
        or unexpected keys raise; a value of the wrong shape always raises (as torch).
        On an error the module is left exactly as it was.  Returns the named tuple
        ``(missing_keys, unexpected_keys)``.  ``assign=True`` puts the given tensors
        into the module instead of copying them.
        """
        return _state_dict.load_state_dict(self, state_dict, strict, assign)

    # -- repr ----------------------------------------------------------------------------
    def extra_repr(self):
        """The text between this module's parentheses in its repr (its constructor arguments); override it."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def _repr_child_lines(self, child_reprs):
        """The lines for the children in this module's repr: ``(name): repr`` (ModuleList folds repeats)."""
        return ["(" + name + "): " + _repr.add_indent(text, 2) for name, text in child_reprs]

    def __repr__(self):
        return _repr.module_repr(self, Module.__repr__)


def _forget(state, name, keep):
    """Remove `name` from the instance dict and from every registry but `keep` (it is being re-registered)."""
    state.pop(name, None)
    for registry in ("_parameters", "_buffers", "_modules"):
        if registry != keep and name in state.get(registry, ()):
            del state[registry][name]
            if registry == "_buffers":
                state["_non_persistent_buffers_set"].discard(name)
