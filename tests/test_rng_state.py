"""get_rng_state / set_rng_state: every random draw, validated input, and an exact resume from a checkpoint."""
import numpy as np
import pytest

import autograd_core as ag
import nn
import optim
from autograd_core.data import DataLoader, TensorDataset, random_split


def _draws():
    """One of each kind of random draw the library makes."""
    layer = nn.Linear(5, 4)  # init
    masked = nn.functional.dropout(ag.ones(50), 0.5, True)
    loader = DataLoader(TensorDataset(ag.arange(20)), batch_size=20, shuffle=True)
    subset, _ = random_split(list(range(10)), [5, 5])
    return [layer.weight.detach().numpy(), layer.bias.detach().numpy(), masked.numpy(), ag.randn(3).numpy(),
            ag.rand(3).numpy(), ag.randint(0, 100, (4,)).numpy(), ag.randperm(6).numpy(),
            next(iter(loader))[0].numpy(), np.array(subset.indices), ag.empty(4).uniform_().numpy()]


def test_state_round_trip_repeats_every_kind_of_draw():
    ag.manual_seed(1)
    ag.randn(7)  # start mid-stream
    state = ag.get_rng_state()
    first = _draws()
    ag.set_rng_state(state)
    second = _draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    third = _draws()  # and the stream moved on
    assert any(not np.array_equal(a, b) for a, b in zip(first, third))


def test_state_is_a_tensor_of_bytes_and_a_copy():
    ag.manual_seed(0)
    state = ag.get_rng_state()
    assert isinstance(state, ag.Tensor) and state.dtype == ag.int64 and state.shape == (48,)
    assert state.numpy().min() >= 0 and state.numpy().max() <= 255
    ag.randn(10)
    assert not np.array_equal(ag.get_rng_state().numpy(), state.numpy())  # get returns a snapshot
    ag.set_rng_state(state)
    np.testing.assert_array_equal(ag.get_rng_state().numpy(), state.numpy())


def test_state_survives_save_and_load(tmp_path):
    ag.manual_seed(5)
    path = tmp_path / "rng.safetensors"
    ag.save({"rng": ag.get_rng_state()}, path)
    expected = ag.randn(6).numpy()
    ag.manual_seed(99)
    ag.set_rng_state(ag.load(path)["rng"])
    np.testing.assert_array_equal(ag.randn(6).numpy(), expected)


def test_the_cached_half_of_a_draw_is_part_of_the_state():
    ag.manual_seed(2)
    ag.random.generator().integers(0, 2 ** 31, dtype=np.uint32)  # 32-bit draws keep half a 64-bit word
    state = ag.get_rng_state()
    expected = ag.random.generator().integers(0, 2 ** 31, size=3, dtype=np.uint32)
    ag.set_rng_state(state)
    np.testing.assert_array_equal(ag.random.generator().integers(0, 2 ** 31, size=3, dtype=np.uint32), expected)


def test_bad_states_are_clear_errors_and_change_nothing():
    ag.manual_seed(3)
    good = ag.get_rng_state()
    raw = good.numpy()

    def changed(position, value):
        copy = raw.copy()
        copy[position] = value
        return ag.from_numpy(copy)

    cases = [
        (raw, TypeError, "expected the Tensor that get_rng_state"),
        (good.numpy().tolist(), TypeError, "got list"),
        (good.float(), TypeError, "dtype float32"),
        (good[:40], TypeError, r"shape \(40,\)"),
        (changed(10, 256), ValueError, "byte value 0..255"),
        (changed(10, -1), ValueError, "byte value 0..255"),
        (changed(0, 0), ValueError, "does not start with the tag"),
        (changed(24, int(raw[24]) ^ 1), ValueError, "increment must be odd"),
        (changed(40, 2), ValueError, "cached-draw flag must be 0 or 1"),
        (changed(47, 1), ValueError, "last 3 bytes must be 0"),
    ]
    expected = ag.randn(4).numpy()
    for state, error, message in cases:
        ag.set_rng_state(good)
        with pytest.raises(error, match=message):
            ag.set_rng_state(state)
        np.testing.assert_array_equal(ag.randn(4).numpy(), expected)


# -- an exact resume ------------------------------------------------------------------------------
def _setup(seed):
    ag.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.5)
    return model, optimizer, scheduler


def _data():
    generator = np.random.default_rng(0)
    features = ag.from_numpy(generator.standard_normal((40, 6)).astype(np.float32))
    labels = ag.from_numpy(generator.integers(0, 3, 40))
    return DataLoader(TensorDataset(features, labels), batch_size=8, shuffle=True)  # 5 steps per epoch


def _train(model, optimizer, scheduler, loader, epochs):
    losses = []
    for _ in range(epochs):
        for features, labels in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(features), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()  # per step, so the learning rate changes within the run
            losses.append(loss.item())
    return losses


def _parameters(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_20_steps_save_20_more_equals_load_and_the_last_20(tmp_path):
    loader = _data()
    model, optimizer, scheduler = _setup(0)
    _train(model, optimizer, scheduler, loader, epochs=4)  # 20 steps
    path = tmp_path / "checkpoint.safetensors"
    ag.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict(), "rng": ag.get_rng_state()}, path)
    straight_losses = _train(model, optimizer, scheduler, loader, epochs=4)  # 20 more
    straight = _parameters(model)

    resumed_model, resumed_optimizer, resumed_scheduler = _setup(123)  # other initial weights and stream
    checkpoint = ag.load(path)
    resumed_model.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])
    ag.set_rng_state(checkpoint["rng"])
    resumed_losses = _train(resumed_model, resumed_optimizer, resumed_scheduler, loader, epochs=4)

    assert resumed_losses == straight_losses
    for a, b in zip(straight, _parameters(resumed_model)):
        assert a.dtype == b.dtype and np.array_equal(a, b)  # bit for bit
    assert resumed_scheduler.get_last_lr() == scheduler.get_last_lr() and scheduler.get_last_lr()[0] < 0.01

    # Control: without the RNG state, dropout masks and shuffling differ, and so do the weights.
    other_model, other_optimizer, other_scheduler = _setup(123)
    other_model.load_state_dict(checkpoint["model"])
    other_optimizer.load_state_dict(checkpoint["optimizer"])
    other_scheduler.load_state_dict(checkpoint["scheduler"])
    _train(other_model, other_optimizer, other_scheduler, loader, epochs=4)
    assert any(not np.array_equal(a, b) for a, b in zip(straight, _parameters(other_model)))
