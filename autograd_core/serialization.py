"""`save` / `load`: checkpoints in the safetensors format, written and read by hand.

A file is

    8 bytes      little-endian unsigned length N of the header
    N bytes      JSON header: {tensor name: {"dtype": "F32", "shape": [...],
                               "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}
    the rest     the tensors' raw little-endian bytes, back to back

(https://github.com/huggingface/safetensors).  A flat state dict's tensors are
stored under their keys, so other safetensors readers see ``weight``, ``bias``...
Any other structure (an optimizer's ``state_dict`` with its ``param_groups`` lists,
int keys, tuples, numbers, strings, None) is kept as JSON in the metadata, with
each tensor replaced by a reference to its name.

Loading parses JSON and copies raw bytes: it never unpickles and never runs code.
"""
import json
import os
import struct
import tempfile

import numpy as np

from .tensor import Tensor, make_tensor

_DTYPE_CODES = {
    np.dtype(np.float32): "F32",
    np.dtype(np.float64): "F64",
    np.dtype(np.int64): "I64",
    np.dtype(np.int32): "I32",
    np.dtype(np.bool_): "BOOL",
}
_DTYPES_BY_CODE = {code: dtype for dtype, code in _DTYPE_CODES.items()}
_STRUCTURE_KEY = "autograd_core.structure"
_MAX_HEADER = 100 * 1024 * 1024  # the limit safetensors itself uses
_MAX_DEPTH = 1000


class SerializationError(ValueError):
    """A file that is not a valid checkpoint (truncated, malformed, or not safetensors)."""


# ---------------------------------------------------------------------------
# save
# ---------------------------------------------------------------------------
def save(obj, path):
    """Write `obj` (a state dict, or nested dicts/lists/tuples of Tensors, numbers, str, None) to `path`.

    The write is atomic: a temporary file in the same directory is filled, synced
    and renamed over `path`, so a crash never leaves a half-written checkpoint.
    `path` may also be a binary file object (then it is simply written to).
    """
    payload = _encode(obj)
    if hasattr(path, "write"):
        path.write(payload)
        return
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _encode(obj):
    """The whole file's bytes for `obj`."""
    tensors = {}   # name -> ndarray
    names = {}     # id(Tensor or ndarray) -> name (a tensor used twice is stored once)
    flat = _flat_state_dict(obj)
    structure = None if flat else _describe(obj, tensors, names)
    if flat:
        for key, value in obj.items():
            tensors[key] = _array_of(value)

    header = {}
    chunks = []
    offset = 0
    for name, array in tensors.items():
        # (Not np.ascontiguousarray: it turns a 0-d array into shape (1,).)
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        header[name] = {"dtype": _DTYPE_CODES[array.dtype],
                        "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    metadata = {"format": "pt"}
    if structure is not None:
        metadata[_STRUCTURE_KEY] = json.dumps(structure, allow_nan=True)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the data starts 8-byte aligned (the format allows spaces)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def _flat_state_dict(obj):
    """A dict of str -> Tensor: stored as plain safetensors, no structure needed."""
    return (isinstance(obj, dict) and all(isinstance(k, str) and k != "__metadata__" for k in obj)
            and all(isinstance(v, Tensor) for v in obj.values()))


def _array_of(value):
    array = value._data if isinstance(value, Tensor) else value
    if array.dtype not in _DTYPE_CODES:
        raise TypeError(f"save: cannot store dtype {array.dtype}; supported: float32, float64, int64, int32, bool")
    return array


def _describe(obj, tensors, names):
    """`obj` as JSON-ready data: tensors become {"tensor": name}; dicts become {"dict": [[k, v], ...]}.

    Iterative (an explicit stack), so nesting depth never meets Python's recursion limit.
    """
    root = [None]
    stack = [(obj, root, 0, "", 0)]  # (value, container, slot, path, depth)
    while stack:
        value, container, slot, path, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ValueError(f"save: the structure is nested more than {_MAX_DEPTH} levels deep (a cycle?)")
        if value is None or isinstance(value, (bool, str)):
            container[slot] = value
        elif isinstance(value, (int, float)):
            container[slot] = value if isinstance(value, int) else float(value)
        elif isinstance(value, np.generic):
            container[slot] = value.item()
        elif isinstance(value, (Tensor, np.ndarray)):
            container[slot] = _tensor_reference(value, path, tensors, names)
        elif isinstance(value, dict):
            items = []
            container[slot] = {"dict": items}
            for key, item in value.items():
                if not (key is None or isinstance(key, (str, int, float, bool))):
                    raise TypeError(f"save: dict keys must be str, int, float, bool or None, got "
                                    f"{type(key).__name__} at {path or 'the top level'}")
                pair = [key, None]
                items.append(pair)
                stack.append((item, pair, 1, f"{path}.{key}" if path else str(key), depth + 1))
        elif isinstance(value, (list, tuple)):
            items = [None] * len(value)
            container[slot] = items if isinstance(value, list) else {"tuple": items}
            for position, item in enumerate(value):
                stack.append((item, items, position, f"{path}.{position}" if path else str(position), depth + 1))
        else:
            raise TypeError(
                f"save: cannot store a {type(value).__name__} (at {path or 'the top level'}); supported are "
                "Tensors, numpy arrays, dicts, lists, tuples, str, int, float, bool and None"
            )
    return root[0]


def _tensor_reference(value, path, tensors, names):
    key = id(value)
    if key not in names:
        name = path or "tensor"
        while name in tensors or name == "__metadata__":
            name += "_"
        names[key] = name
        tensors[name] = _array_of(value)
    reference = {"tensor": names[key]}
    if isinstance(value, np.ndarray):
        reference["ndarray"] = True
    elif value.requires_grad:
        reference["requires_grad"] = True
    return reference


# ---------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------
def load(path, map_location=None, weights_only=True):
    """Read what `save` wrote (or any safetensors file: then a dict of name -> Tensor).

    Only JSON and raw bytes are parsed; no code runs.  A truncated or malformed
    file raises `SerializationError` saying what is wrong.  (`map_location` and
    `weights_only` are accepted for torch-style calls; everything loads on the CPU.)
    """
    if map_location is not None:
        from .dtypes import check_device

        check_device(map_location)
    if hasattr(path, "read"):
        content, where = path.read(), "the file object"
    else:
        where = os.fspath(path)
        with open(where, "rb") as file:
            content = file.read()
    header, data = _split(content, where)
    tensors = _read_tensors(header, data, where)
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or _STRUCTURE_KEY not in metadata:
        return {name: make_tensor(array) for name, array in tensors.items()}
    try:
        structure = json.loads(metadata[_STRUCTURE_KEY])
    except (ValueError, TypeError, RecursionError) as error:
        raise SerializationError(f"load: {where}: the structure in the metadata is not valid JSON ({error})") from None
    return _rebuild(structure, tensors, where)


def _split(content, where):
    """(header dict, data bytes), checking the length prefix and the JSON."""
    if len(content) < 8:
        raise SerializationError(f"load: {where} is not a safetensors checkpoint: only {len(content)} bytes "
                                 "(the 8-byte header length is missing)")
    (length,) = struct.unpack("<Q", content[:8])
    if length > _MAX_HEADER or 8 + length > len(content):
        raise SerializationError(
            f"load: {where} is truncated or not a safetensors checkpoint: the header claims {length} bytes "
            f"but the file has {len(content) - 8} after the length"
        )
    try:
        header = json.loads(content[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise SerializationError(f"load: {where}: the header is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise SerializationError(f"load: {where}: the header must be a JSON object, got {type(header).__name__}")
    return header, memoryview(content)[8 + length:]


def _read_tensors(header, data, where):
    """name -> ndarray (own, writable copies), each entry checked against the data's size."""
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
            raise SerializationError(f"load: {where}: tensor {name!r} needs dtype, shape and data_offsets")
        dtype = _DTYPES_BY_CODE.get(entry["dtype"])
        if dtype is None:
            raise SerializationError(f"load: {where}: tensor {name!r} has unsupported dtype {entry['dtype']!r} "
                                     f"(supported: {', '.join(_DTYPES_BY_CODE)})")
        shape, offsets = entry["shape"], entry["data_offsets"]
        if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)):
            raise SerializationError(f"load: {where}: tensor {name!r} has an invalid shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
                and 0 <= offsets[0] <= offsets[1] <= len(data)):
            raise SerializationError(
                f"load: {where}: tensor {name!r} has data_offsets {offsets!r} outside the {len(data)} data "
                "bytes (truncated file?)"
            )
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if offsets[1] - offsets[0] != count * dtype.itemsize:
            raise SerializationError(
                f"load: {where}: tensor {name!r} of shape {tuple(shape)} and dtype {dtype} needs "
                f"{count * dtype.itemsize} bytes, but data_offsets {offsets} span {offsets[1] - offsets[0]}"
            )
        array = np.frombuffer(data, dtype=dtype.newbyteorder("<"), count=count, offset=offsets[0])
        tensors[name] = array.astype(dtype).reshape(tuple(shape))  # astype copies: writable, native order
    return tensors


def _rebuild(structure, tensors, where):
    """The inverse of `_describe`, iterative as well."""
    root = [None]
    stack = [(structure, root, 0)]
    loaded = {}  # name -> Tensor, so a tensor referenced twice (tied weights) is one object again
    while stack:
        value, container, slot = stack.pop()
        if value is None or isinstance(value, (bool, int, float, str)):
            container[slot] = value
        elif isinstance(value, list):
            items = [None] * len(value)
            container[slot] = items
            stack.extend((item, items, position) for position, item in enumerate(value))
        elif isinstance(value, dict) and "tensor" in value:
            name = value["tensor"]
            if not isinstance(name, str) or name not in tensors:
                raise SerializationError(f"load: {where}: the structure refers to a missing tensor {name!r}")
            if name not in loaded:
                array = tensors[name]
                loaded[name] = array if value.get("ndarray") else make_tensor(array).requires_grad_(
                    bool(value.get("requires_grad")))
            container[slot] = loaded[name]
        elif isinstance(value, dict) and isinstance(value.get("dict"), list):
            pairs = value["dict"]
            if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
                raise SerializationError(f"load: {where}: malformed dict entry in the structure")
            keys = [pair[0] for pair in pairs]
            if not all(key is None or isinstance(key, (str, int, float, bool)) for key in keys):
                raise SerializationError(f"load: {where}: a dict key in the structure is not a str, int, "
                                         "float, bool or None")
            slots = [None] * len(pairs)
            container[slot] = _PendingDict(keys, slots)
            stack.extend((pair[1], slots, position) for position, pair in enumerate(pairs))
        elif isinstance(value, dict) and isinstance(value.get("tuple"), list):
            items = [None] * len(value["tuple"])
            container[slot] = _PendingTuple(items)
            stack.extend((item, items, position) for position, item in enumerate(value["tuple"]))
        else:
            raise SerializationError(f"load: {where}: unrecognised entry in the structure: {str(value)[:80]}")
    return _finish(root[0])


class _PendingDict:
    """A dict whose values are still being filled in (a dict needs its values at creation)."""

    def __init__(self, keys, values):
        self.keys, self.values = keys, values


class _PendingTuple:
    """A tuple whose items are still being filled in (tuples are immutable)."""

    def __init__(self, items):
        self.items = items


def _finish(root):
    """Turn the placeholders into dicts and tuples, innermost first, without recursion."""
    holder = [root]
    order = []  # (container, slot) of every placeholder, parents before children
    stack = [(holder, 0)]
    while stack:
        container, slot = stack.pop()
        value = container[slot]
        if isinstance(value, _PendingDict):
            order.append((container, slot))
            stack.extend((value.values, i) for i in range(len(value.values)))
        elif isinstance(value, _PendingTuple):
            order.append((container, slot))
            stack.extend((value.items, i) for i in range(len(value.items)))
        elif isinstance(value, list):
            stack.extend((value, i) for i in range(len(value)))
    for container, slot in reversed(order):
        value = container[slot]
        if isinstance(value, _PendingDict):
            container[slot] = dict(zip(value.keys, value.values))
        else:
            container[slot] = tuple(value.items)
    return holder[0]
