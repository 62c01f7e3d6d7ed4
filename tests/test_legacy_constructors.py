"""torch's old-style constructors Tensor(data) / FloatTensor / LongTensor, and copy.deepcopy of a model."""
import copy

import numpy as np
import pytest

import autograd_core as ag
import nn
import optim


def test_tensor_of_data_is_a_float32_copy_as_torch():
    data = np.arange(3)  # int64
    t = ag.Tensor(data)
    assert t.dtype == np.float32 and t.tolist() == [0.0, 1.0, 2.0]
    assert ag.Tensor([1, 2]).dtype == np.float32 and ag.Tensor([[1.5], [2.0]]).shape == (2, 1)
    source = np.ones(2, np.float32)
    copied = ag.Tensor(source)
    source[0] = 5
    assert copied.tolist() == [1.0, 1.0]  # a copy
    assert ag.Tensor(np.ones(2)).dtype == np.float32  # float64 data too, as torch
    assert isinstance(ag.Tensor([1]), ag.Tensor)


def test_tensor_of_sizes_and_empty():
    assert ag.Tensor(2, 3).shape == (2, 3) and ag.Tensor(2, 3).dtype == np.float32
    assert ag.Tensor(4).shape == (4,)
    assert ag.Tensor().shape == (0,)


def test_tensor_follows_the_default_dtype():
    ag.set_default_dtype(ag.float64)
    try:
        assert ag.Tensor([1]).dtype == np.float64
        assert ag.FloatTensor([1]).dtype == np.float32  # FloatTensor stays float32, as torch
    finally:
        ag.set_default_dtype(ag.float32)


def test_float_and_long_tensor():
    assert ag.FloatTensor([1, 2]).dtype == np.float32
    assert ag.FloatTensor(2, 2).shape == (2, 2)
    longs = ag.LongTensor([1.7, -2.5, 3])
    assert longs.dtype == np.int64 and longs.tolist() == [1, -2, 3]  # truncated toward zero, as torch
    assert ag.LongTensor(np.array([[1, 2]], np.int32)).dtype == np.int64


def test_tensor_requires_grad_keyword():
    t = ag.Tensor([1.0, 2.0], requires_grad=True)
    (t * t).sum().backward()
    assert t.grad.tolist() == [2.0, 4.0]


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 4, 3, padding=1)
        self.norm = nn.BatchNorm1d(4)
        self.register_buffer("seen", ag.zeros(1))
        self.head = nn.Linear(4 * 8, 3)

    def forward(self, x):
        self.seen.add_(1)
        return self.head(self.norm(self.conv(x)).relu().flatten(1))


def _train(model, steps=3):
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(steps):
        x = ag.tensor(rng.standard_normal((5, 1, 8)).astype(np.float32))
        y = ag.tensor(rng.integers(0, 3, 5))
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_deepcopy_of_a_model_is_independent_and_trains_identically():
    ag.manual_seed(0)
    model = Model()
    _train(model, 1)  # some state in the running statistics and the buffer
    checkpoint = copy.deepcopy(model)
    assert list(checkpoint.state_dict()) == list(model.state_dict())
    for (name, a), b in zip(model.state_dict().items(), checkpoint.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
        assert not np.shares_memory(a.numpy(), b.numpy()), name
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in checkpoint.parameters())
    assert checkpoint.norm.num_batches_tracked.item() == model.norm.num_batches_tracked.item()
    before = {k: v.numpy().copy() for k, v in checkpoint.state_dict().items()}
    losses = _train(model)
    for key, value in checkpoint.state_dict().items():  # training the original leaves the copy alone
        np.testing.assert_array_equal(value.numpy(), before[key], err_msg=key)
    assert _train(checkpoint) == pytest.approx(losses, rel=0, abs=0)  # and the copy trains identically
    checkpoints = [copy.deepcopy(model) for _ in range(2)]  # checkpoints in a list, as the paper's code
    assert checkpoints[0].conv.weight is not checkpoints[1].conv.weight
