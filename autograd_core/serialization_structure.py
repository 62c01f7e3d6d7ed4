"""The structure of a checkpoint: nested dicts, lists and tuples around its tensors, as JSON.

safetensors stores named tensors and a str -> str metadata map, nothing else.  An
optimizer's ``state_dict`` has int keys, tuples, numbers, None and lists; `describe`
turns such an object into JSON-ready data with each tensor replaced by a reference
``{"tensor": name}`` (the tensors themselves go into the file under those names), and
`rebuild` is its inverse.  The encoding:

    None, bool, int, float, str      themselves (inf and nan as JSON's Infinity / NaN)
    list                             a JSON list
    tuple                            {"tuple": [items]}
    dict                             {"dict": [key1, value1, key2, value2, ...]}   (keys: str, int,
                                                                                   float, bool, None)
    Tensor / ndarray                 {"tensor": name} (+ "requires_grad": true / "ndarray": true)

Both directions use an explicit stack, so nesting depth never meets Python's recursion limit.
"""
import itertools

import numpy as np

from .serialization_header import CODES_BY_DTYPE, METADATA, SerializationError
from .tensor import Tensor, make_tensor

MAX_DEPTH = 1000
_KEY_TYPES = (str, int, float, bool)


def array_of(value):
    """The ndarray behind a Tensor or ndarray, refusing dtypes a checkpoint cannot hold."""
    array = value.detach().numpy() if isinstance(value, Tensor) else value
    if array.dtype not in CODES_BY_DTYPE:
        raise TypeError(f"save: cannot store dtype {array.dtype}; supported: float32, float64, int64, int32, bool")
    return array


def describe(obj):
    """(JSON-ready structure, {name: ndarray}) for `obj`; a tensor used twice is stored once."""
    tensors, names = {}, {}  # names: id(Tensor or ndarray) -> name
    root = [None]
    stack = [(obj, root, 0, "", 0)]  # (value, container, slot, path, depth)
    while stack:
        value, container, slot, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"save: the structure is nested more than {MAX_DEPTH} levels deep (a cycle?)")
        if value is None or isinstance(value, (bool, str)):
            container[slot] = value
        elif isinstance(value, (int, float)):
            container[slot] = int(value) if isinstance(value, int) else float(value)
        elif isinstance(value, np.generic):
            container[slot] = value.item()
        elif isinstance(value, (Tensor, np.ndarray)):
            container[slot] = _reference(value, path, tensors, names)
        elif isinstance(value, dict):
            items = [None] * (2 * len(value))
            container[slot] = {"dict": items}
            for position, (key, item) in enumerate(value.items()):
                if not (key is None or isinstance(key, _KEY_TYPES)):
                    raise TypeError(f"save: dict keys must be str, int, float, bool or None, got "
                                    f"{type(key).__name__} at {path or 'the top level'}")
                items[2 * position] = key.item() if isinstance(key, np.generic) else key
                stack.append((item, items, 2 * position + 1, f"{path}.{key}" if path else str(key), depth + 1))
        elif isinstance(value, (list, tuple)):
            items = [None] * len(value)
            container[slot] = items if isinstance(value, list) else {"tuple": items}
            for position, item in enumerate(value):
                stack.append((item, items, position, f"{path}.{position}" if path else str(position), depth + 1))
        else:
            hint = " (save the model's state_dict(), not the model)" if hasattr(value, "state_dict") else ""
            raise TypeError(
                f"save: cannot store a {type(value).__name__} (at {path or 'the top level'}){hint}; supported "
                "are Tensors, numpy arrays, dicts, lists, tuples, str, int, float, bool and None"
            )
    return root[0], tensors


def _reference(value, path, tensors, names):
    key = id(value)
    if key not in names:
        name = path or "tensor"
        while name in tensors or name == METADATA:
            name += "_"
        names[key] = name
        tensors[name] = array_of(value)
    reference = {"tensor": names[key]}
    if isinstance(value, np.ndarray):
        reference["ndarray"] = True
    elif value.requires_grad:
        reference["requires_grad"] = True
    return reference


def rebuild(structure, arrays, where):
    """The inverse of `describe`: `arrays` maps names to (writable) ndarrays.

    Depth first with one frame per open container, converting each parsed JSON list
    in place and replacing each marker by its dict or tuple as soon as it is complete,
    so the memory needed beyond the parsed JSON is proportional to the nesting depth.
    """
    loaded = {}  # name -> Tensor, so a tensor referenced twice (tied weights) is one object again
    root = [structure]
    stack = [[root, 0, None]]  # [the list being converted, the next position in it, finisher or None]
    while stack:
        frame = stack[-1]
        items, position = frame[0], frame[1]
        while position < len(items):
            value = items[position]
            if isinstance(value, list):
                stack.append([value, 0, None])
                break
            if isinstance(value, dict):
                if "tensor" in value:
                    items[position] = _tensor(value, arrays, loaded, where)
                else:
                    stack.append(_open_marker(value, where))
                    break
            position += 1  # JSON's scalars (None, bool, int, float, str) stay as they are
        else:
            stack.pop()
            finish = frame[2]
            if stack:
                parent = stack[-1]
                parent[0][parent[1]] = finish(items) if finish else items
                parent[1] += 1
            continue
        frame[1] = position
    return root[0]


def _open_marker(value, where):
    """The frame for a {"dict": [...]} or {"tuple": [...]} entry."""
    if value.keys() == {"tuple"} and isinstance(value["tuple"], list):
        return [value["tuple"], 0, tuple]
    if value.keys() == {"dict"} and isinstance(value["dict"], list):
        flat = value["dict"]
        if len(flat) % 2 or not all(key is None or isinstance(key, _KEY_TYPES)
                                    for key in itertools.islice(flat, 0, None, 2)):
            raise SerializationError(f"load: {where}: a dict in the structure needs key, value pairs with "
                                     "str, int, float, bool or None keys")
        return [flat, 0, _pairs_to_dict]
    raise SerializationError(f"load: {where}: unrecognised entry in the structure: {str(value)[:80]}")


def _pairs_to_dict(flat):
    return dict(zip(itertools.islice(flat, 0, None, 2), itertools.islice(flat, 1, None, 2)))


def _tensor(reference, arrays, loaded, where):
    name = reference["tensor"]
    flags = {key: flag for key, flag in reference.items() if key != "tensor"}
    if not (flags.keys() <= {"ndarray", "requires_grad"} and all(flag is True for flag in flags.values())):
        raise SerializationError(f"load: {where}: unrecognised tensor reference in the structure: {str(reference)[:80]}")
    if not (isinstance(name, str) and name in arrays):
        raise SerializationError(f"load: {where}: the structure refers to a missing tensor {str(name)[:80]!r}")
    if name not in loaded:
        array = arrays[name]
        if flags.get("ndarray"):
            loaded[name] = array
        else:
            loaded[name] = make_tensor(array).requires_grad_(bool(flags.get("requires_grad")))
    return loaded[name]
