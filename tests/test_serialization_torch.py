"""A state dict saved here loads into the same torch model through safetensors.torch, and back."""
import numpy as np
import pytest

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")


def _models():
    ag.manual_seed(0)
    ours = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    ours.train()
    ours(ag.randn(5, 4))  # move the running statistics and num_batches_tracked away from their defaults
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 2))
    return ours, theirs


def test_our_state_dict_loads_into_torch(tmp_path):
    ours, theirs = _models()
    path = tmp_path / "ours.safetensors"
    ag.save(ours.state_dict(), path)
    loaded = safetensors_torch.load_file(str(path))
    theirs.load_state_dict(loaded, strict=True)
    for key, value in ours.state_dict().items():
        assert theirs.state_dict()[key].dtype == getattr(torch, str(value.dtype)), key
        np.testing.assert_array_equal(theirs.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(), ours(ag.from_numpy(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_a_torch_state_dict_loads_here(tmp_path):
    ours, theirs = _models()
    theirs.train()
    theirs(torch.randn(5, 4))
    path = tmp_path / "theirs.safetensors"
    safetensors_torch.save_file(theirs.state_dict(), str(path))
    loaded = ag.load(path)  # a plain safetensors file: no structure, no checksum
    ours.load_state_dict(loaded, strict=True)
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    assert int(ours.state_dict()["1.num_batches_tracked"].item()) == 1


def test_round_trip_through_torch_keeps_every_value(tmp_path):
    ours, _ = _models()
    path = tmp_path / "a.safetensors"
    ag.save(ours.state_dict(), path)
    safetensors_torch.save_file(safetensors_torch.load_file(str(path)), str(tmp_path / "b.safetensors"))
    back = ag.load(tmp_path / "b.safetensors")
    for key, value in ours.state_dict().items():
        assert back[key].dtype == value.dtype and np.array_equal(back[key].numpy(), value.numpy()), key
