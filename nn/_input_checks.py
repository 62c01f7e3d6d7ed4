"""The one check of nn.functional's tensor arguments: torch's TypeError for a list, array or number.

Without it a Python list reaches the ops and fails deep inside with an
``AttributeError`` ('list' object has no attribute 'ndim'), and a numpy array
is silently accepted by some functions and refused by others.  torch refuses
both, with ``relu(): argument 'input' (position 1) must be Tensor, not list``;
every function and layer here says the same (layers call these functions).
"""
import functools
import inspect

import autograd_core as ag

_ABSENT = object()


def type_name(value):
    """torch's way of naming a type in an argument error: 'list', 'int', 'numpy.ndarray'."""
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def require_tensor(value, op, argument="input", position=1):
    """Raise torch's TypeError unless `value` is a Tensor."""
    if not isinstance(value, ag.Tensor):
        raise TypeError(f"{op}(): argument '{argument}' (position {position}) must be Tensor, "
                        f"not {type_name(value)}")


def tensor_arguments(*names, op=None, optional=()):
    """Decorator: check that the arguments `names` (and `optional` ones, unless None) are Tensors.

    `op` is the name in the message (the function's own name by default, e.g. torch says
    ``cross_entropy_loss()``).  Positions come from the signature, so a keyword call is checked too.
    """
    def decorate(function):
        parameters = list(inspect.signature(function).parameters)
        checked = [(name, parameters.index(name), name in optional) for name in names + tuple(optional)]
        label = op or function.__name__

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            for name, index, may_be_none in checked:
                value = args[index] if index < len(args) else kwargs.get(name, _ABSENT)
                if value is _ABSENT or (may_be_none and value is None):
                    continue  # a missing argument is Python's own TypeError, raised by the call
                require_tensor(value, label, name, index + 1)
            return function(*args, **kwargs)
        return wrapper
    return decorate
