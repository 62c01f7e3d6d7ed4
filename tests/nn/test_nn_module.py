"""Module: registration, traversal order and names, modes, gradients, hooks, dtype conversion."""
import copy
import inspect
import pickle
import sys

import numpy as np
import pytest

import autograd_core as ag
import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.register_buffer("count", ag.zeros(1))
        self.scale = nn.Parameter(ag.ones(4))
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Block()
        self.bias = nn.Parameter(ag.zeros(4))
        self.layers = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))

    def forward(self, x):
        return self.layers(self.first(x) + self.bias)


def test_parameter_is_a_tensor_that_requires_grad_and_shares_memory():
    data = ag.zeros(3)
    param = nn.Parameter(data)
    assert isinstance(param, ag.Tensor)
    assert param.requires_grad and param.is_leaf
    assert not nn.Parameter(ag.zeros(2), requires_grad=False).requires_grad
    with ag.no_grad():
        param.fill_(2.0)
    np.testing.assert_array_equal(data.numpy(), [2.0, 2.0, 2.0])
    assert nn.Parameter(ag.zeros(2, dtype=ag.float64)).dtype == ag.float64
    assert repr(nn.Parameter(ag.tensor([1.0, 2.0]))) == \
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert type(param * 2) is ag.Tensor  # results of ops are plain tensors


def test_parameter_rejects_non_tensors_and_integer_data():
    with pytest.raises(TypeError, match="Parameter"):
        nn.Parameter([1.0, 2.0])
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(ag.tensor([1, 2]))


def test_registration_order_and_names_follow_torch():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["bias", "first.scale", "first.fc.weight", "first.fc.bias",
                     "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert [name for name, _ in net.named_buffers()] == ["first.count"]
    assert [name for name, _ in net.named_children()] == ["first", "layers"]
    assert [name for name, _ in net.named_modules()] == \
        ["", "first", "first.fc", "first.act", "layers", "layers.0", "layers.1", "layers.2"]
    assert [name for name, _ in net.named_parameters(prefix="model", recurse=False)] == ["model.bias"]
    assert len(list(net.parameters())) == 8
    assert list(net.parameters(recurse=False)) == [net.bias]


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3
    assert [name for name, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    # state_dict lists a shared module under every name, as torch does.
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_reassignment_moves_between_registries():
    module = nn.Module()
    module.x = nn.Parameter(ag.zeros(1))
    assert "x" in module._parameters
    with pytest.raises(TypeError, match="parameter 'x'"):
        module.x = nn.Linear(1, 1)  # as torch: a parameter name only takes a Parameter or None
    del module.x
    module.x = nn.Linear(1, 1)
    assert "x" not in module._parameters and "x" in module._modules
    module.x = None  # a registered child may be set to None
    assert module._modules["x"] is None
    module.y = 3
    assert module.y == 3 and "y" not in module._parameters
    del module.x
    with pytest.raises(AttributeError, match="has no attribute 'x'"):
        module.x


def test_assigning_a_plain_tensor_to_a_parameter_name_is_a_type_error():
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        layer.weight = ag.zeros(3, 2)
    layer.bias = None
    assert layer.bias is None and "bias" in layer._parameters
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


def test_register_buffer_and_parameter_checks():
    module = nn.Module()
    module.register_buffer("running", ag.zeros(2))
    module.register_buffer("scratch", ag.ones(2), persistent=False)
    assert list(module.state_dict()) == ["running"]
    assert [name for name, _ in module.named_buffers()] == ["running", "scratch"]
    module.running = ag.ones(2)  # assigning a Tensor to a buffer name replaces the buffer
    np.testing.assert_array_equal(module.running.numpy(), [1.0, 1.0])
    with pytest.raises(TypeError, match="buffer"):
        module.running = 5
    with pytest.raises(TypeError, match="buffer"):
        module.register_buffer("bad", [1.0])
    with pytest.raises(KeyError, match="contain"):
        module.register_buffer("a.b", ag.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        module.register_parameter("running", nn.Parameter(ag.zeros(1)))
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        module.register_parameter("w", ag.zeros(1))
    with pytest.raises(TypeError, match="not a Module"):
        module.add_module("m", 3)


def test_assignment_before_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ag.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_train_eval_set_the_flag_everywhere_and_return_self():
    net = Net()
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    assert net.train() is net
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("no")


def test_train_respects_a_subclass_override():
    class Frozen(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm1d(2)

        def train(self, mode=True):
            super().train(mode)
            self.bn.eval()
            return self

    model = nn.Sequential(Frozen(), nn.Linear(2, 2))
    model.train()
    assert model[0].training and not model[0].bn.training and model[1].training


def test_zero_grad_to_none_and_to_zeros():
    net = Net()
    net(ag.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_requires_grad_freezes_parameters():
    net = Net()
    assert net.first.requires_grad_(False) is net.first
    assert not any(p.requires_grad for p in net.first.parameters())
    assert all(p.requires_grad for p in net.layers.parameters())


def test_apply_visits_children_before_parents():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Block", "Linear", "Tanh", "Linear", "Sequential", "Net"]


def test_apply_with_an_init_function():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))

    def init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.constant_(module.weight, 0.5)
            nn.init.zeros_(module.bias)

    model.apply(init_weights)
    for layer in (model[0], model[2]):
        assert np.all(layer.weight.detach().numpy() == 0.5)
        assert not layer.bias.detach().numpy().any()


def test_get_submodule_parameter_buffer():
    net = Net()
    assert net.get_submodule("layers.2") is net.layers[2]
    assert net.get_submodule("") is net
    assert net.get_parameter("first.fc.weight") is net.first.fc.weight
    assert net.get_buffer("first.count") is net.first.count
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("first.nope")
    with pytest.raises(AttributeError):
        net.get_parameter("first.count")


def test_forward_is_required():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_forward_hooks_can_replace_inputs_and_outputs_and_be_removed():
    layer = nn.Identity()
    calls = []
    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] * 2,))
    post = layer.register_forward_hook(lambda module, args, output: calls.append(output.item()))
    assert layer(ag.tensor(1.5)).item() == 3.0
    assert calls == [3.0]
    pre.remove()
    post.remove()
    assert layer(ag.tensor(1.5)).item() == 1.5 and calls == [3.0]


def test_to_dtype_keeps_parameter_objects():
    net = Net()
    params = list(net.parameters())
    assert net.double() is net
    assert all(p.dtype == ag.float64 for p in net.parameters())
    assert list(net.parameters()) == params and all(a is b for a, b in zip(net.parameters(), params))
    assert net.first.count.dtype == ag.float64
    out = net(ag.randn(2, 3, dtype=ag.float64))
    assert out.dtype == ag.float64
    net.to(ag.float32)
    assert all(p.dtype == ag.float32 for p in net.parameters())
    assert net.to("cpu") is net
    with pytest.raises(RuntimeError, match="cuda"):
        net.to("cuda")


def test_to_keeps_integer_buffers():
    bn = nn.BatchNorm1d(3).double()
    assert bn.num_batches_tracked.dtype == ag.int64
    assert bn.running_mean.dtype == ag.float64


def test_deepcopy_gives_an_independent_model():
    net = Net()
    clone = copy.deepcopy(net)
    assert isinstance(clone.first.fc.weight, nn.Parameter)
    assert clone.first.fc.weight.requires_grad
    with ag.no_grad():
        clone.first.fc.weight.fill_(0.0)
    assert net.first.fc.weight.detach().numpy().any()
    x = ag.randn(2, 3)
    assert clone(x).shape == net(x).shape


def test_pickle_round_trip():
    net = Net()
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(clone.first.fc.weight.detach().numpy(), net.first.fc.weight.detach().numpy())
    assert isinstance(clone.bias, nn.Parameter) and clone.bias.requires_grad


def test_deep_nesting_does_not_recurse():
    # A recursion limit just above the current stack depth: any per-level recursion would fail.
    model = nn.Linear(1, 1)
    for _ in range(400):
        model = nn.Sequential(model)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)
    try:
        assert len(list(model.parameters())) == 2
        assert list(model.state_dict())[0] == "0." * 400 + "weight"
        model.eval()
        model.apply(lambda m: None)
        text = repr(model)
    finally:
        sys.setrecursionlimit(limit)
    assert text.count("Sequential(") == 400 and not model[0].training


def test_registered_members_stay_consistent_with_attributes():
    layer = nn.Linear(2, 2)
    replacement = nn.Parameter(ag.zeros(2))
    layer._parameters["bias"] = replacement  # direct registry writes, as some torch code does
    assert layer.bias is replacement
    del layer._parameters["bias"]
    with pytest.raises(AttributeError):
        layer.bias
    layer._parameters.update(bias=replacement)
    assert layer.bias is replacement and [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    layer._parameters.pop("bias")
    assert not hasattr(layer, "bias")
    layer.bias = None  # no longer registered: a plain attribute, as in torch
    assert layer.bias is None and "bias" not in layer._parameters


def test_copied_module_has_its_own_registries():
    net = Net()
    clone = copy.deepcopy(net)
    clone.first.fc = nn.Identity()
    assert isinstance(net.first.fc, nn.Linear) and isinstance(clone.first.fc, nn.Identity)
    assert clone.first._modules["fc"] is clone.first.fc
    shallow = copy.copy(net)
    assert shallow.first is net.first and shallow.bias is net.bias
    shallow.bias = nn.Parameter(ag.ones(4))
    assert net.bias is not shallow.bias and net._parameters["bias"] is net.bias


def test_deepcopy_keeps_tied_weights_tied_and_drops_grads():
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    model[1].weight = model[0].weight  # weight tying
    model(ag.randn(2, 3)).sum().backward()
    clone = copy.deepcopy(model)
    assert clone[1].weight is clone[0].weight and clone[0].weight is not model[0].weight
    assert [n for n, _ in clone.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert clone[0].weight.grad is None  # as torch's Parameter.__deepcopy__
