"""The safetensors header, checked before the `safetensors` library is handed a file.

A safetensors file is

    8 bytes      little-endian unsigned length N of the header
    N bytes      JSON: {tensor name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
                        ..., "__metadata__": {str: str}}
    the rest     the tensors' bytes, back to back, covering the rest of the file exactly

(https://github.com/huggingface/safetensors).  `read_header` checks all of it from the
bytes actually present, so that a hostile file is refused with a `SerializationError`
saying what is wrong before anything large is allocated: no size, count or offset a
file claims is trusted, element counts are Python integers (a shape like
[2**32, 2**32] does not wrap to 0 as it would in int64), and JSON is parsed only
when it is dense enough in text that Python's objects for it stay a small multiple
of the file (see `check_json_budget`).
"""
import json
import math
import struct

import numpy as np

#: The dtypes a checkpoint may hold (Tensors have the first five; all are numpy's).
DTYPES_BY_CODE = {
    "F32": np.dtype(np.float32), "F64": np.dtype(np.float64), "I64": np.dtype(np.int64),
    "I32": np.dtype(np.int32), "BOOL": np.dtype(np.bool_),
}
CODES_BY_DTYPE = {dtype: code for code, dtype in DTYPES_BY_CODE.items()}
MAX_HEADER = 100_000_000  # the safetensors library's own limit
METADATA = "__metadata__"


class SerializationError(ValueError):
    """A file that is not a valid checkpoint: truncated, corrupted, malformed, hostile, or not safetensors."""


def check_json_budget(text, what, where):
    """Refuse JSON whose Python objects would be far larger than its text.

    json.loads builds a list of 56+ bytes for each ``[``, a dict of 64 to 230 bytes for
    each ``{`` and an 8-byte slot (often plus an object) per value: a text of ``[[],[],...]``
    becomes some 20 times its size, and the structure of nested optimizer state was
    60 times its size before this check.  Counting with ``bytes.count`` costs nothing,
    so: at most one "token" per 4 characters of text, where a ``,`` or ``[`` is one token
    and a ``{`` three.  Real headers use about one per 5 to 20 characters; within the
    budget, the worst texts measured (long lists of ``[0]`` or of numbers) take up to
    ~11 times their size, and a refused one costs nothing (tests measure both).
    """
    tokens = 3 * text.count("{") + text.count("[") + text.count(",")
    if tokens > 16 + len(text) // 4:
        raise SerializationError(
            f"load: {where}: the {what} has {tokens} JSON containers and separators in {len(text)} characters, "
            "more than one per 4 characters: not a checkpoint written by save (refused before parsing, which "
            "would take far more memory than the file)"
        )


def _unique_keys(pairs):
    """object_pairs_hook for json.loads: a dict, refusing a key given twice (JSON allows it, we do not)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


class _DuplicateKey(Exception):
    pass


def parse_json(text, what, where):
    """json.loads with the budget check, duplicate keys refused, and every failure a SerializationError."""
    check_json_budget(text, what, where)
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as error:
        raise SerializationError(f"load: {where}: the {what} has the key {error.args[0]!r} twice") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise SerializationError(f"load: {where}: the {what} is not valid JSON ({error})") from None


def read_header(content, where):
    """(tensor entries {name: (dtype, shape, begin, end)} in file order, metadata dict, data start).

    Checks the length prefix, the JSON, each entry's dtype, shape and offsets, and that
    the entries tile the data section exactly (no gap, no overlap, nothing left over),
    as the format requires.
    """
    if len(content) < 8:
        raise SerializationError(f"load: {where} is not a safetensors checkpoint: only {len(content)} bytes "
                                 "(the 8-byte header length is missing)")
    (length,) = struct.unpack("<Q", content[:8])
    if length > MAX_HEADER or 8 + length > len(content):
        raise SerializationError(
            f"load: {where} is truncated or not a safetensors checkpoint: the header claims {length} bytes "
            f"but the file has {len(content) - 8} after the length (at most {MAX_HEADER} allowed)"
        )
    try:
        text = str(memoryview(content)[8:8 + length], "utf-8")  # (decoded without a copy of the bytes)
    except UnicodeDecodeError as error:
        raise SerializationError(f"load: {where}: the header is not UTF-8 text ({error})") from None
    header = parse_json(text, "header", where)
    del text
    if not isinstance(header, dict):
        raise SerializationError(f"load: {where}: the header must be a JSON object, got {type(header).__name__}")
    metadata = header.pop(METADATA, None) or {}
    if not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise SerializationError(f"load: {where}: the header's {METADATA} must map strings to strings")
    data_size = len(content) - 8 - length
    entries = {name: _entry(name, entry, data_size, where) for name, entry in header.items()}
    _check_tiling(entries, data_size, where)
    return entries, metadata, 8 + length


def _entry(name, entry, data_size, where):
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise SerializationError(f"load: {where}: tensor {name!r} needs dtype, shape and data_offsets "
                                 f"(and nothing else), got {str(entry)[:80]}")
    dtype = DTYPES_BY_CODE.get(entry["dtype"])
    if dtype is None:
        raise SerializationError(f"load: {where}: tensor {name!r} has unsupported dtype {str(entry['dtype'])[:20]!r} "
                                 f"(supported: {', '.join(DTYPES_BY_CODE)})")
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not (isinstance(shape, list) and len(shape) <= 64 and all(type(s) is int and s >= 0 for s in shape)):
        raise SerializationError(f"load: {where}: tensor {name!r} has an invalid shape {str(shape)[:80]} "
                                 "(expected at most 64 non-negative integers)")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
            and 0 <= offsets[0] <= offsets[1] <= data_size):
        raise SerializationError(
            f"load: {where}: tensor {name!r} has data_offsets {str(offsets)[:80]} outside the {data_size} data "
            "bytes (truncated file?)"
        )
    needed = math.prod(shape) * dtype.itemsize  # Python ints: no wrap-around
    if offsets[1] - offsets[0] != needed:
        raise SerializationError(
            f"load: {where}: tensor {name!r} of shape {tuple(shape)} and dtype {dtype} needs "
            f"{needed} bytes, but data_offsets {offsets} span {offsets[1] - offsets[0]}"
        )
    return dtype, tuple(shape), offsets[0], offsets[1]


def _check_tiling(entries, data_size, where):
    """The entries' byte ranges, sorted, must follow each other from 0 to the end of the file."""
    position = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda item: (item[1][2], item[1][3])):
        if begin != position:
            problem = "overlaps the tensor before it" if begin < position else f"leaves bytes {position}..{begin} unused"
            raise SerializationError(f"load: {where}: tensor {name!r} at data_offsets [{begin}, {end}] {problem}")
        position = end
    if position != data_size:
        raise SerializationError(f"load: {where}: the tensors cover {position} of the {data_size} data bytes "
                                 "(trailing bytes: corrupted or not one file)")
