"""Sequential, ModuleList, ModuleDict, and the repr of modules."""
import collections

import numpy as np
import pytest

import autograd_core as ag
import nn


def test_sequential_indexing_slicing_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3
    assert model[0] is layers[0] and model[-1] is layers[2]
    assert list(model) == layers
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert list(model[1:].state_dict()) == ["2.weight", "2.bias"]  # torch keeps the original names
    with pytest.raises(IndexError, match="out of range"):
        model[3]


def test_sequential_forward_chains_modules():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = ag.randn(4, 2)
    expected = model[2](model[1](model[0](x)))
    np.testing.assert_array_equal(model(x).detach().numpy(), expected.detach().numpy())


def test_sequential_append_insert_delete_renumber():
    model = nn.Sequential(nn.ReLU())
    assert model.append(nn.Tanh()) is model
    model.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in model] == ["Sigmoid", "ReLU", "Tanh"]
    assert list(model._modules) == ["0", "1", "2"]
    del model[0]
    assert list(model._modules) == ["0", "1"] and isinstance(model[0], nn.ReLU)
    model[1] = nn.Identity()
    assert isinstance(model[1], nn.Identity)
    assert isinstance(model.pop(0), nn.ReLU) and len(model) == 1
    with pytest.raises(TypeError, match="nn.Module"):
        nn.Sequential(nn.ReLU(), "relu")


def test_sequential_from_ordered_dict_keeps_names():
    model = nn.Sequential(collections.OrderedDict([("encoder", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(model.state_dict()) == ["encoder.weight", "encoder.bias"]
    assert model.encoder is model[0]


def test_module_list():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(blocks) == 3
    blocks.append(nn.ReLU())
    blocks.extend([nn.Tanh()])
    assert len(blocks) == 5 and isinstance(blocks[-1], nn.Tanh)
    assert isinstance(blocks[1:3], nn.ModuleList) and len(blocks[1:3]) == 2
    assert [name for name, _ in blocks.named_parameters()][:2] == ["0.weight", "0.bias"]
    del blocks[0]
    assert list(blocks._modules) == ["0", "1", "2", "3"]
    blocks.insert(1, nn.Sigmoid())
    assert isinstance(blocks[1], nn.Sigmoid)
    with pytest.raises(TypeError, match="iterable"):
        blocks.extend(5)
    with pytest.raises(NotImplementedError, match="forward"):
        blocks(ag.zeros(1))


def test_module_list_parameters_are_registered_in_owner():
    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    assert list(Tower().state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]


def test_module_dict():
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.ReLU()})
    assert list(heads) == ["a", "b"] and len(heads) == 2 and "a" in heads
    heads["c"] = nn.Tanh()
    assert list(heads.keys()) == ["a", "b", "c"]
    assert isinstance(heads.pop("b"), nn.ReLU)
    heads.update([("d", nn.Identity())])
    assert [k for k, _ in heads.items()] == ["a", "c", "d"]
    assert list(heads.state_dict()) == ["a.weight", "a.bias"]
    heads.clear()
    assert len(heads) == 0


def test_repr_matches_torch_layout():
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=64, out_features=128, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.2, inplace=False)\n"
        "  (3): Linear(in_features=128, out_features=10, bias=True)\n"
        ")"
    )


def test_repr_of_nested_and_custom_modules():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 3, bias=False), nn.BatchNorm1d(3))
            self.norm = nn.LayerNorm(3)
            self.add_module("missing", None)

        def forward(self, x):
            return x

    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (body): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=3, bias=False)\n"
        "    (1): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
        "  )\n"
        "  (norm): LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)\n"
        "  (missing): None\n"
        ")"
    )


def test_repr_of_module_list_folds_repeats():
    blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()])
    assert repr(blocks) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3): ReLU()\n"
        ")"
    )


def test_repr_of_layers():
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LogSoftmax(dim=-1)) == "LogSoftmax(dim=-1)"
    assert repr(nn.Sigmoid()) == "Sigmoid()"
    assert repr(nn.Identity()) == "Identity()"
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"


def test_parameter_list_and_dict():
    class Mixture(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.ParameterList([ag.ones(2), nn.Parameter(ag.zeros(3))])
            self.scales = nn.ParameterDict({"a": ag.ones(1)})

        def forward(self, x):
            return x

    model = Mixture()
    assert [n for n, _ in model.named_parameters()] == ["weights.0", "weights.1", "scales.a"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    model.weights.append(ag.zeros(4))
    model.scales["b"] = ag.zeros(2)
    assert len(model.weights) == 3 and model.weights[-1].shape == (4,)
    assert list(model.scales) == ["a", "b"] and "b" in model.scales
    assert list(model.state_dict()) == ["weights.0", "weights.1", "weights.2", "scales.a", "scales.b"]
    assert repr(model.weights).splitlines()[1] == "  (0): Parameter containing: [float32 of size 2]"
