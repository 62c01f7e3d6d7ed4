"""``functional_call``: run a module with other tensors in place of its parameters and buffers.

``functional_call(model, params, (x,))`` is ``model(x)`` computed with ``params[name]``
wherever the model would use its own parameter or buffer `name` (a key of
``named_parameters()``/``named_buffers()``).  The module's own tensors are put back
afterwards, even when the call raises.  This is what lets ``grad`` and ``vmap``
treat a model as a function of a dict of tensors.
"""
__all__ = ["functional_call"]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in the dict(s) swapped in (torch.func).

    `parameter_and_buffer_dicts`: one dict of name -> Tensor, or a sequence of them (a
    name in two dicts is an error).  `args`: a tuple of positional arguments, or a
    single one.  `tie_weights`: a tensor registered under several names (tied weights)
    is replaced under all of them when one is given.  `strict`: every parameter and
    buffer must be given and no other name.
    """
    values = _merge(parameter_and_buffer_dicts)
    if tie_weights:
        values = _tie(module, values)
    if strict:
        _check_strict(module, values)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    restore = []
    try:
        for name, value in values.items():
            restore.append(_swap(module, name, value))
        return module(*args, **(kwargs or {}))
    finally:
        for undo in reversed(restore):
            undo()


def _merge(dicts):
    if isinstance(dicts, dict):
        return dict(dicts)
    merged = {}
    for mapping in dicts:
        repeated = sorted(set(merged) & set(mapping))
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        merged.update(mapping)
    return merged


def _named_tensors(module):
    """Every (name, tensor) of the module's parameters and buffers, tied ones under each of their names."""
    return list(module.named_parameters(remove_duplicate=False)) + list(module.named_buffers(remove_duplicate=False))


def _tie(module, values):
    """Give every name of a tied tensor the value given for one of its names."""
    groups = {}
    for name, tensor in _named_tensors(module):
        groups.setdefault(id(tensor), []).append(name)
    values = dict(values)
    for names in groups.values():
        given = [name for name in names if name in values]
        if len(names) < 2 or not given:
            continue
        if len({id(values[name]) for name in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(given)}, which are tied. "
                             "Consider using tie_weights=False")
        for name in names:
            values[name] = values[given[0]]
    return values


def _check_strict(module, values):
    known = [name for name, _ in _named_tensors(module)]
    missing = [name for name in known if name not in values]
    unexpected = [name for name in values if name not in known]
    messages = []
    if unexpected:
        messages.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        messages.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if messages:
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(messages))


_ABSENT = object()


def _swap(module, name, value):
    """Put `value` where `module` keeps `name`; answer the function that puts the original back.

    A parameter or buffer is replaced in its registry (the module's ``_parameters`` /
    ``_buffers`` dicts, where attribute lookup finds it), not by setattr: assigning a
    plain Tensor over a registered Parameter would be refused or re-register it.
    """
    owner_path, _, attribute = name.rpartition(".")
    owner = module.get_submodule(owner_path)
    for registry in (owner.__dict__.get("_parameters", {}), owner.__dict__.get("_buffers", {})):
        if attribute in registry:
            original = registry[attribute]
            registry[attribute] = value

            def undo(registry=registry, original=original):
                registry[attribute] = original
            return undo
    original = owner.__dict__.get(attribute, _ABSENT)  # not a parameter or buffer: a plain attribute for the call
    object.__setattr__(owner, attribute, value)

    def undo_attribute():
        if original is _ABSENT:
            object.__delattr__(owner, attribute)
        else:
            object.__setattr__(owner, attribute, original)
    return undo_attribute
