"""save / load: safetensors files written by hand, nested structures, atomic writes, bad files."""
import io
import json
import os
import struct

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import serialization
from autograd_core.serialization import SerializationError


def make_state_dict():
    ag.manual_seed(0)
    return {
        "0.weight": ag.randn(4, 3),
        "0.bias": ag.zeros(4),
        "bn.running_mean": ag.randn(4, dtype=ag.float64),
        "bn.num_batches_tracked": ag.tensor(7),
        "counts": ag.tensor([1, 2], dtype=ag.int32),
        "mask": ag.tensor([True, False, True]),
        "empty": ag.zeros(0, 2),
    }


def test_state_dict_round_trip(tmp_path):
    state = make_state_dict()
    path = tmp_path / "model.safetensors"
    ag.save(state, path)
    loaded = ag.load(path)
    assert list(loaded) == list(state)
    for key, tensor in state.items():
        assert isinstance(loaded[key], ag.Tensor)
        assert loaded[key].dtype == tensor.dtype and loaded[key].shape == tensor.shape, key
        np.testing.assert_array_equal(loaded[key].numpy(), tensor.numpy())
        assert not np.shares_memory(loaded[key].numpy(), tensor.numpy())
    assert loaded["bn.num_batches_tracked"].shape == ()
    loaded["0.weight"].add_(1)  # loaded tensors are writable


def test_file_layout_is_safetensors(tmp_path):
    path = tmp_path / "a.safetensors"
    ag.save({"w": ag.tensor([[1.0, 2.0]]), "i": ag.tensor([3])}, path)
    content = path.read_bytes()
    (length,) = struct.unpack("<Q", content[:8])
    assert length % 8 == 0  # data starts 8-byte aligned
    header = json.loads(content[8:8 + length])
    # The library lays the tensors out (largest alignment first); each entry names its bytes.
    assert {key: (entry["dtype"], entry["shape"]) for key, entry in header.items() if key != "__metadata__"} \
        == {"w": ("F32", [1, 2]), "i": ("I64", [1])}
    data = content[8 + length:]
    assert sorted(tuple(header[key]["data_offsets"]) for key in ("w", "i")) == [(0, 8), (8, 16)] == [(0, len(data) // 2), (len(data) // 2, len(data))]
    begin, end = header["w"]["data_offsets"]
    assert np.frombuffer(data[begin:end], "<f4").tolist() == [1.0, 2.0]
    begin, end = header["i"]["data_offsets"]
    assert np.frombuffer(data[begin:end], "<i8").tolist() == [3]
    metadata = header["__metadata__"]
    assert metadata["format"] == "pt" and len(metadata["autograd_core.sha256"]) == 64


def test_nested_structure_round_trip(tmp_path):
    w = ag.randn(3, requires_grad=True)
    state = {
        "state": {0: {"step": 3, "exp_avg": ag.ones(3), "exp_avg_sq": ag.zeros(3)}, 1: {}},
        "param_groups": [{"params": [0, 1], "lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                          "weight_decay": 0, "amsgrad": False, "foreach": None, "name": "main"}],
        "weights": [w, w],  # the same tensor twice: stored once, loaded as one object
        "inf": float("inf"),
        "array": np.arange(4),
        "scalar": np.float32(0.5),
    }
    path = tmp_path / "optim.safetensors"
    ag.save(state, path)
    loaded = ag.load(path)
    assert loaded["state"][0]["step"] == 3 and loaded["state"][1] == {}
    assert set(loaded["state"]) == {0, 1}  # int keys stay ints
    np.testing.assert_array_equal(loaded["state"][0]["exp_avg"].numpy(), np.ones(3))
    group = loaded["param_groups"][0]
    assert group == {**state["param_groups"][0]}  # tuples stay tuples, None stays None
    assert isinstance(group["betas"], tuple) and group["lr"] == 1e-3
    assert loaded["weights"][0] is loaded["weights"][1]
    assert loaded["weights"][0].requires_grad
    np.testing.assert_array_equal(loaded["weights"][0].detach().numpy(), w.detach().numpy())
    assert loaded["inf"] == float("inf")
    assert isinstance(loaded["array"], np.ndarray) and loaded["array"].tolist() == [0, 1, 2, 3]
    assert loaded["scalar"] == 0.5


def test_single_tensor_and_file_objects():
    buffer = io.BytesIO()
    ag.save(ag.tensor([1.5, 2.5]), buffer)
    buffer.seek(0)
    loaded = ag.load(buffer)
    np.testing.assert_array_equal(loaded.numpy(), [1.5, 2.5])


def test_deep_nesting_needs_no_recursion(tmp_path):
    nested = []
    inner = nested
    for _ in range(900):
        inner.append([])
        inner = inner[0]
    inner.append(ag.tensor([1.0]))
    path = tmp_path / "deep.safetensors"
    ag.save(nested, path)
    loaded = ag.load(path)
    for _ in range(900):
        loaded = loaded[0]
    np.testing.assert_array_equal(loaded[0].numpy(), [1.0])


def test_unsupported_values_are_clear_errors(tmp_path):
    with pytest.raises(TypeError, match=r"save: cannot store a set \(at a.b\)"):
        ag.save({"a": {"b": {1, 2}}}, tmp_path / "x")
    with pytest.raises(TypeError, match="save: cannot store dtype"):
        ag.save({"a": np.zeros(2, np.float16)}, tmp_path / "x")
    cycle = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="nested more than"):
        ag.save(cycle, tmp_path / "x")
    assert not os.path.exists(tmp_path / "x")


def test_atomic_write_leaves_no_temporary_and_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    ag.save({"w": ag.ones(2)}, path)
    with pytest.raises(TypeError):
        ag.save({"w": object()}, path)  # fails before anything is written
    np.testing.assert_array_equal(ag.load(path)["w"].numpy(), [1.0, 1.0])
    ag.save({"w": ag.zeros(2)}, path)  # overwrite
    np.testing.assert_array_equal(ag.load(path)["w"].numpy(), [0.0, 0.0])
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def _write(tmp_path, content):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    return path


def _header(header):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text


def _with_structure(structure):
    """A file with no tensors, the given structure JSON and its correct checksum (so the structure is reached)."""
    metadata = {"format": "pt", "autograd_core.structure": structure}
    metadata["autograd_core.sha256"] = serialization._checksum(metadata, {})
    return _header({"__metadata__": metadata})


def test_truncated_and_malformed_files_are_rejected(tmp_path):
    good = io.BytesIO()
    ag.save({"w": ag.ones(4), "v": ag.ones(2)}, good)
    content = good.getvalue()
    cases = [
        (b"", "only 0 bytes"),
        (b"\x01\x02", "only 2 bytes"),
        (content[:20], "truncated"),                          # cut inside the header
        (content[:-4], "outside the .* data bytes"),          # cut inside the data
        (struct.pack("<Q", 2 ** 62) + b"{}", "truncated"),    # absurd header length
        (struct.pack("<Q", 4) + b"{{{{", "not valid JSON"),
        (struct.pack("<Q", 2) + b"[]", "must be a JSON object"),
        (_header({"w": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}}) + b"\0\0", "unsupported dtype"),
        (_header({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}) + b"\0" * 4, "needs 8 bytes"),
        (_header({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}) + b"\0" * 4, "invalid shape"),
        (_header({"w": {"dtype": "F32"}}), "needs dtype, shape and data_offsets"),
        (_header({"__metadata__": {"autograd_core.structure": "[]"}}), "no 'autograd_core.sha256'"),
        (_with_structure('{"tensor": "missing"}'), "missing tensor"),
        (_with_structure('{"pickle": 1}'), "unrecognised entry"),
        (_with_structure('{"dict": [[1], 2]}'), "pairs with str, int, float, bool or None keys"),
        (_with_structure('{"dict": [1, 2, 3]}'), "key, value pairs"),
        (_with_structure('{"tensor": "w", "requires_grad": 1}'), "unrecognised tensor reference"),
    ]
    for content, message in cases:
        with pytest.raises(SerializationError, match=message):
            ag.load(_write(tmp_path, content))
    assert issubclass(SerializationError, ValueError)


def test_plain_safetensors_file_loads_as_a_state_dict(tmp_path):
    data = np.arange(6, dtype="<f8").tobytes()
    path = _write(tmp_path, _header({"x": {"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 48]}}) + data)
    loaded = ag.load(path)
    np.testing.assert_array_equal(loaded["x"].numpy(), np.arange(6.0).reshape(2, 3))


def test_load_accepts_cpu_map_location_only(tmp_path):
    path = tmp_path / "m.safetensors"
    ag.save({"w": ag.ones(1)}, path)
    assert ag.load(path, map_location="cpu")["w"].shape == (1,)
    with pytest.raises(RuntimeError, match="CPU only"):
        ag.load(path, map_location="cuda:0")


def test_safetensors_library_reads_our_files(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    state = make_state_dict()
    path = tmp_path / "model.safetensors"
    ag.save(state, path)
    loaded = safetensors_numpy.load_file(str(path))
    assert set(loaded) == set(state)
    for key, tensor in state.items():
        assert loaded[key].dtype == tensor.dtype and loaded[key].shape == tensor.shape
        np.testing.assert_array_equal(loaded[key], tensor.numpy())
    # And nested structures: tensors are plain entries, the structure is metadata.
    ag.save({"state": {0: {"m": ag.ones(2)}}, "param_groups": [{"lr": 0.1, "params": [0]}]}, path)
    assert list(safetensors_numpy.load_file(str(path))) == ["state.0.m"]


def test_we_read_files_written_by_the_safetensors_library(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "theirs.safetensors"
    arrays = {"a": np.arange(5, dtype=np.int64), "b": np.ones((2, 2), np.float32), "c": np.array(True)}
    safetensors_numpy.save_file(arrays, str(path))
    loaded = ag.load(path)
    for key, array in arrays.items():
        assert loaded[key].dtype == array.dtype and loaded[key].shape == array.shape
        np.testing.assert_array_equal(loaded[key].numpy(), array)


def test_save_to_a_directory_is_a_clear_error_and_writes_nothing(tmp_path):
    before = sorted(os.listdir(tmp_path.parent))
    with pytest.raises(IsADirectoryError, match=r"save: .* is a directory; give a file path inside it"):
        ag.save({"w": ag.ones(2)}, tmp_path)
    assert os.listdir(tmp_path) == [] and sorted(os.listdir(tmp_path.parent)) == before
