"""state_dict / load_state_dict: torch's keys, memory sharing, round trips, and all-or-nothing loading."""
import numpy as np
import pytest

import autograd_core as ag
import nn


def make_model():
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))


def snapshot(model):
    return {key: value.numpy().copy() for key, value in model.state_dict().items()}


def test_keys_follow_torch_naming_and_order():
    assert list(make_model().state_dict()) == [
        "0.weight", "0.bias",
        "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
        "3.weight", "3.bias",
    ]


def test_values_are_detached_and_share_memory():
    model = make_model()
    state = model.state_dict()
    weight = state["0.weight"]
    assert type(weight) is ag.Tensor and not weight.requires_grad
    with ag.no_grad():
        model[0].weight.fill_(3.0)
    assert np.all(weight.numpy() == 3.0)
    assert model.state_dict(keep_vars=True)["0.weight"] is model[0].weight


def test_round_trip_including_batchnorm_buffers():
    ag.manual_seed(0)
    source = make_model()
    source.train()
    source(ag.randn(8, 4))  # moves running_mean / running_var / num_batches_tracked
    target = make_model()
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    assert target[1].num_batches_tracked.item() == 1
    x = ag.randn(5, 4)
    source.eval()
    target.eval()
    np.testing.assert_array_equal(source(x).detach().numpy(), target(x).detach().numpy())


def test_loading_copies_values_in_place():
    model = make_model()
    weight = model[0].weight
    state = {key: value.numpy().copy() * 0 + 1 for key, value in model.state_dict().items()}
    state = {key: ag.tensor(value) for key, value in state.items()}
    model.load_state_dict(state)
    assert model[0].weight is weight and np.all(weight.detach().numpy() == 1)
    # A later change to the loaded dict does not reach the model (values were copied).
    with ag.no_grad():
        state["0.weight"].fill_(7.0)
    assert np.all(weight.detach().numpy() == 1)


def test_loading_casts_to_the_model_dtype():
    model = nn.Linear(2, 2)
    state = {key: value.double() for key, value in model.state_dict().items()}
    model.load_state_dict(state)
    assert model.weight.dtype == ag.float32


def test_missing_keys_raise_and_leave_model_unchanged():
    model = make_model()
    before = snapshot(model)
    state = {key: ag.zeros(*value.shape, dtype=value.dtype) for key, value in model.state_dict().items()}
    del state["3.bias"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "3.bias"'):
        model.load_state_dict(state)
    for key, value in snapshot(model).items():
        np.testing.assert_array_equal(value, before[key])


def test_unexpected_keys_raise_and_leave_model_unchanged():
    model = make_model()
    before = snapshot(model)
    state = {key: ag.zeros(*value.shape, dtype=value.dtype) for key, value in model.state_dict().items()}
    state["4.weight"] = ag.zeros(1)
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "4.weight"') as info:
        model.load_state_dict(state)
    assert "Sequential" in str(info.value)
    for key, value in snapshot(model).items():
        np.testing.assert_array_equal(value, before[key])


def test_wrong_shape_raises_even_when_not_strict_and_changes_nothing():
    model = make_model()
    before = snapshot(model)
    state = {key: ag.zeros(*value.shape, dtype=value.dtype) for key, value in model.state_dict().items()}
    state["3.weight"] = ag.zeros(3, 6)  # the last key: every earlier one would have been copied by now
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"size mismatch for 3.weight.*\(3, 6\).*\(2, 6\)"):
            model.load_state_dict(state, strict=strict)
        for key, value in snapshot(model).items():
            np.testing.assert_array_equal(value, before[key])


def test_all_problems_are_listed_together():
    model = make_model()
    state = dict(model.state_dict())
    del state["0.bias"]
    state["extra"] = ag.zeros(1)
    state["3.weight"] = ag.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert '"0.bias"' in message and '"extra"' in message and "size mismatch for 3.weight" in message


def test_non_strict_loads_what_matches_and_reports_the_rest():
    model = make_model()
    state = {"0.weight": ag.ones(6, 4), "stray": ag.zeros(2)}
    result = model.load_state_dict(state, strict=False)
    assert np.all(model[0].weight.detach().numpy() == 1)
    assert result.unexpected_keys == ["stray"]
    assert result.missing_keys == ["0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                   "1.num_batches_tracked", "3.weight", "3.bias"]
    missing, unexpected = result
    assert unexpected == ["stray"]


def test_non_persistent_buffers_are_not_saved_or_expected():
    module = nn.Module()
    module.register_buffer("kept", ag.zeros(2))
    module.register_buffer("scratch", ag.zeros(2), persistent=False)
    assert list(module.state_dict()) == ["kept"]
    module.load_state_dict({"kept": ag.ones(2)})
    assert np.all(module.kept.numpy() == 1)


def test_state_dict_survives_save_and_load(tmp_path):
    model = make_model()
    path = tmp_path / "model.pt"
    ag.save(model.state_dict(), path)
    other = make_model()
    other.load_state_dict(ag.load(path))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key].numpy(), value.numpy())


def test_a_non_mapping_is_a_type_error():
    with pytest.raises(TypeError, match="dict"):
        nn.Linear(1, 1).load_state_dict([1, 2])
