"""`save` / `load`: checkpoints as safetensors files, written and read by the `safetensors` library.

The tensors are the file's named tensors, so any safetensors reader (``safetensors.numpy``,
``safetensors.torch``) sees ``0.weight``, ``0.bias``, ``state.0.exp_avg``...  Everything else
of the object — an optimizer's ``param_groups``, int keys, tuples, numbers — is JSON in
the metadata (`serialization_structure`), and so is a SHA-256 over the metadata and the
tensors' names, dtypes, shapes and bytes: `load` recomputes it, so a flipped bit
anywhere in one of our files is an error, never silently different weights.

Loading never unpickles and never runs code: the header is checked from the bytes
actually present before the library sees the file (`serialization_header`), and every
problem with a file is a `SerializationError`.  Files from other safetensors writers
(no checksum, no structure) load as a dict of name -> Tensor.
"""
import hashlib
import json
import os
import tempfile

import numpy as np
import safetensors
import safetensors.numpy

from .serialization_header import CODES_BY_DTYPE, SerializationError, check_json_budget, parse_json, read_header
from .serialization_structure import describe, rebuild
from .tensor import make_tensor

__all__ = ["save", "load", "SerializationError"]

STRUCTURE_KEY = "autograd_core.structure"
CHECKSUM_KEY = "autograd_core.sha256"


def save(obj, path):
    """Write `obj` (a state dict, or nested dicts/lists/tuples of Tensors, numbers, str, None) to `path`.

    The write is atomic: a temporary file in the same directory is filled, synced and
    renamed over `path`, so a crash or a kill mid-save leaves the previous file intact
    (and, at worst, a stray ``.<name>.*.tmp`` beside it).  `path` may also be a binary
    file object (then it is simply written to).
    """
    payload = _encode(obj)
    if hasattr(path, "write"):
        path.write(payload)
        return
    path = os.fspath(path)
    if os.path.isdir(path):  # else the temporary file lands in the parent and the rename fails obscurely
        raise IsADirectoryError(f"save: {path!r} is a directory; give a file path inside it, e.g. "
                                f"{os.path.join(path, 'checkpoint.safetensors')!r}")
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
    _sync_directory(directory)


def _sync_directory(directory):
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _encode(obj):
    """The whole file's bytes for `obj`, from safetensors.numpy.save."""
    structure, tensors = describe(obj)
    # The library reads each array from its data pointer: C order and little-endian are ours to ensure.
    arrays = {name: _little_endian_c_order(array) for name, array in tensors.items()}
    metadata = {"format": "pt", STRUCTURE_KEY: json.dumps(structure, allow_nan=True, separators=(",", ":"))}
    metadata[CHECKSUM_KEY] = _checksum(metadata, arrays)
    payload = safetensors.numpy.save(arrays, metadata=metadata)
    # Never write a file that load's memory guard would refuse.
    header_text = str(memoryview(payload)[8:8 + int.from_bytes(payload[:8], "little")], "utf-8")
    for what, text in (("structure", metadata[STRUCTURE_KEY]), ("header", header_text)):
        try:
            check_json_budget(text, what, "save")
        except SerializationError:
            raise ValueError(f"save: the {what} JSON would have more than one container or separator per 4 "
                             "characters, which load refuses (its memory guard); long lists of small numbers "
                             "or of empty containers belong in a Tensor") from None
    return payload


def _little_endian_c_order(array):
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return array if array.flags.c_contiguous else array.copy(order="C")


def _checksum(metadata, arrays):
    """SHA-256 over the metadata (all but the checksum), each tensor's name, dtype and shape, then its bytes.

    Names are taken in sorted order, so the digest does not depend on where the
    library places each tensor in the file.
    """
    names = sorted(arrays)
    described = [sorted((key, value) for key, value in metadata.items() if key != CHECKSUM_KEY),
                 [[name, CODES_BY_DTYPE[arrays[name].dtype.newbyteorder("=")], list(arrays[name].shape)]
                  for name in names]]
    digest = hashlib.sha256(json.dumps(described, separators=(",", ":")).encode("utf-8"))
    for name in names:
        digest.update(arrays[name].reshape(-1).view(np.uint8))
    return digest.hexdigest()


def load(path, map_location=None, weights_only=True):
    """Read what `save` wrote (or any safetensors file of supported dtypes: then a dict of name -> Tensor).

    Only JSON and raw bytes are parsed; no code runs.  A truncated, corrupted (checksum
    mismatch), malformed or hostile file raises `SerializationError` saying what is
    wrong, before anything large is allocated.  Loaded tensors own writable memory.
    (`map_location` and `weights_only` are accepted for torch-style calls; everything
    loads on the CPU.)
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
    if not isinstance(content, bytes):
        content = bytes(content)
    entries, metadata, _ = read_header(content, where)
    arrays = _read_tensors(content, entries, where)
    ours = STRUCTURE_KEY in metadata or CHECKSUM_KEY in metadata
    if not ours:
        return {name: make_tensor(array.copy()) for name, array in arrays.items()}
    if STRUCTURE_KEY not in metadata or CHECKSUM_KEY not in metadata:
        missing = STRUCTURE_KEY if STRUCTURE_KEY not in metadata else CHECKSUM_KEY
        raise SerializationError(f"load: {where}: the metadata has no {missing!r} (corrupted file?)")
    expected = _checksum(metadata, arrays)
    if metadata[CHECKSUM_KEY] != expected:
        raise SerializationError(
            f"load: {where} is corrupted: the SHA-256 of its tensors and metadata is {expected}, but the file "
            f"says {metadata[CHECKSUM_KEY][:64]!r}"
        )
    structure = parse_json(metadata[STRUCTURE_KEY], "structure metadata", where)
    del metadata, content
    return rebuild(structure, {name: array.copy() for name, array in arrays.items()}, where)


def _read_tensors(content, entries, where):
    """name -> read-only ndarray, by the library, cross-checked against the header we validated."""
    try:
        arrays = safetensors.numpy.load(content)
    except (safetensors.SafetensorError, ValueError, KeyError, TypeError) as error:
        raise SerializationError(f"load: {where}: the safetensors library refused the file ({error})") from None
    for name, (dtype, shape, _, _) in entries.items():
        array = arrays.get(name)
        if array is None or array.dtype != dtype or array.shape != shape:
            raise SerializationError(f"load: {where}: the library read tensor {name!r} differently from its header")
    if len(arrays) != len(entries):
        raise SerializationError(f"load: {where}: the library read {len(arrays)} tensors, the header has {len(entries)}")
    return {name: arrays[name] for name in entries}  # in the header's order
