"""nn against torch.nn: the same weights in both, then outputs, gradients, state, keys and reprs compared."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402


def ours_from_torch(ours, theirs):
    """Copy torch's state (parameters and buffers) into our module, by state_dict key."""
    ours.load_state_dict({key: ag.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()})


def run_both(ours, theirs, x, seed=0):
    """Forward x through both, backward sum(w * out); return (ours, theirs) outputs and grads by name."""
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=theirs(torch.from_numpy(x)).shape)
    x_ours = ag.tensor(x, requires_grad=True)
    x_theirs = torch.tensor(x, requires_grad=True)
    out_ours = ours(x_ours)
    out_theirs = theirs(x_theirs)
    (out_ours * ag.tensor(weights)).sum().backward()
    (out_theirs * torch.from_numpy(weights)).sum().backward()
    grads_ours = {"input": x_ours.grad.numpy()}
    grads_ours.update({name: p.grad.numpy() for name, p in ours.named_parameters() if p.grad is not None})
    grads_theirs = {"input": x_theirs.grad.numpy()}
    grads_theirs.update({name: p.grad.numpy() for name, p in theirs.named_parameters() if p.grad is not None})
    return out_ours.detach().numpy(), out_theirs.detach().numpy(), grads_ours, grads_theirs


def assert_same(ours, theirs, x, rtol=1e-10, atol=1e-12):
    out_ours, out_theirs, grads_ours, grads_theirs = run_both(ours, theirs, x)
    np.testing.assert_allclose(out_ours, out_theirs, rtol=rtol, atol=atol, err_msg="output")
    assert sorted(grads_ours) == sorted(grads_theirs)
    for name, grad in grads_theirs.items():
        np.testing.assert_allclose(grads_ours[name], grad, rtol=rtol, atol=atol, err_msg=f"gradient of {name}")


def random(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


LAYERS = [
    ("Linear", lambda m: m.Linear(4, 3), (5, 4)),
    ("Linear-3d", lambda m: m.Linear(4, 3), (2, 5, 4)),
    ("Linear-1d", lambda m: m.Linear(4, 3), (4,)),
    ("Linear-nobias", lambda m: m.Linear(4, 3, bias=False), (5, 4)),
    ("Identity", lambda m: m.Identity(), (3, 2)),
    ("Flatten", lambda m: m.Flatten(), (2, 3, 4)),
    ("Flatten-0", lambda m: m.Flatten(0, 1), (2, 3, 4)),
    ("ReLU", lambda m: m.ReLU(), (4, 5)),
    ("LeakyReLU", lambda m: m.LeakyReLU(0.1), (4, 5)),
    ("ELU", lambda m: m.ELU(0.7), (4, 5)),
    ("Sigmoid", lambda m: m.Sigmoid(), (4, 5)),
    ("Tanh", lambda m: m.Tanh(), (4, 5)),
    ("GELU", lambda m: m.GELU(), (4, 5)),
    ("GELU-tanh", lambda m: m.GELU(approximate="tanh"), (4, 5)),
    ("Softplus", lambda m: m.Softplus(beta=2.0, threshold=3.0), (4, 5)),
    ("Softmax", lambda m: m.Softmax(dim=1), (4, 5)),
    ("Softmax-0", lambda m: m.Softmax(dim=0), (4, 5)),
    ("LogSoftmax", lambda m: m.LogSoftmax(dim=-1), (3, 4, 5)),
    ("BatchNorm1d-2d", lambda m: m.BatchNorm1d(5), (6, 5)),
    ("BatchNorm1d-3d", lambda m: m.BatchNorm1d(3, momentum=0.3), (4, 3, 7)),
    ("BatchNorm1d-noaffine", lambda m: m.BatchNorm1d(5, affine=False), (6, 5)),
    ("BatchNorm1d-nobias", lambda m: m.BatchNorm1d(5, bias=False), (6, 5)),
    ("LayerNorm", lambda m: m.LayerNorm(5), (3, 5)),
    ("LayerNorm-nobias", lambda m: m.LayerNorm(5, bias=False), (3, 5)),
    ("LayerNorm-2d", lambda m: m.LayerNorm((4, 5), eps=1e-3), (2, 4, 5)),
    ("MLP", lambda m: m.Sequential(m.Linear(4, 8), m.Tanh(), m.Linear(8, 8), m.ReLU(), m.Linear(8, 2)), (6, 4)),
]


@pytest.mark.parametrize("name, build, shape", LAYERS, ids=[layer[0] for layer in LAYERS])
def test_layer_matches_torch(name, build, shape):
    torch.manual_seed(0)
    theirs = build(torch.nn).double()
    with torch.no_grad():  # non-trivial affine parameters, so their gradients are tested too
        for param in theirs.parameters():
            param.add_(torch.randn_like(param) * 0.3)
    ours = build(nn).double()
    ours_from_torch(ours, theirs)
    assert_same(ours, theirs, random(shape, seed=1))


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_statistics_and_eval_match_torch(momentum):
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum).double()
    ours = nn.BatchNorm1d(3, momentum=momentum).double()
    for step in range(4):
        x = random((5, 3, 2), seed=step) * (step + 1) + step
        out_ours = ours(ag.tensor(x)).detach().numpy()
        out_theirs = theirs(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(out_ours, out_theirs, rtol=1e-10, atol=1e-12)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-12, err_msg=key)
    ours.eval()
    theirs.eval()
    assert_same(ours, theirs, random((4, 3), seed=9))


def test_batchnorm_without_running_stats_matches_torch_in_eval():
    theirs = torch.nn.BatchNorm1d(3, track_running_stats=False).double().eval()
    ours = nn.BatchNorm1d(3, track_running_stats=False).double().eval()
    assert_same(ours, theirs, random((6, 3)))


def test_embedding_matches_torch():
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(6, 3, padding_idx=2).double()
    ours = nn.Embedding(6, 3, padding_idx=2).double()
    ours_from_torch(ours, theirs)
    indices = np.array([[0, 2, 5], [2, 2, 1]])
    out_theirs = theirs(torch.from_numpy(indices))
    out_ours = ours(ag.tensor(indices))
    np.testing.assert_array_equal(out_ours.detach().numpy(), out_theirs.detach().numpy())
    weights = random(out_theirs.shape, seed=3)
    (out_theirs * torch.from_numpy(weights)).sum().backward()
    (out_ours * ag.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)


def test_embedding_max_norm_matches_torch():
    theirs = torch.nn.Embedding(4, 3, max_norm=1.5).double()
    ours = nn.Embedding(4, 3, max_norm=1.5).double()
    with torch.no_grad():
        theirs.weight.mul_(2.0)
    ours_from_torch(ours, theirs)
    indices = np.array([0, 3, 3])
    np.testing.assert_allclose(ours(ag.tensor(indices)).detach().numpy(),
                               theirs(torch.from_numpy(indices)).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


def build_net(m):
    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.embed = m.Embedding(10, 4, padding_idx=0)
            self.body = m.Sequential(m.Linear(4, 8), m.BatchNorm1d(8), m.GELU(), m.Dropout(0.1))
            self.heads = m.ModuleList([m.Linear(8, 2) for _ in range(2)])
            self.extra = m.ModuleDict({"norm": m.LayerNorm(8), "act": m.LeakyReLU(0.2)})
            self.scale = m.Parameter(m.init.ones_(torch.empty(1) if m is torch.nn else ag.empty(1)))
            self.register_buffer("step", torch.zeros(1) if m is torch.nn else ag.zeros(1))

        def forward(self, x):
            return x

    return Net()


def test_parameter_names_state_dict_keys_and_repr_match_torch():
    theirs, ours = build_net(torch.nn), build_net(nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(v.shape) for v in ours.state_dict().values()] == \
        [tuple(v.shape) for v in theirs.state_dict().values()]
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("build", [
    lambda m: m.Sequential(m.Linear(64, 128), m.ReLU(), m.Dropout(0.2), m.Linear(128, 10)),
    lambda m: m.ModuleList([m.Linear(3, 3), m.Linear(3, 3), m.Tanh(), m.Linear(3, 3)]),
    lambda m: m.Sequential(m.Flatten(), m.Softplus(), m.ELU(), m.Softmax(dim=1), m.LogSoftmax(dim=1), m.Sigmoid(),
                           m.Identity(), m.Embedding(5, 2), m.LayerNorm([2, 3], elementwise_affine=False),
                           m.BatchNorm1d(4, momentum=None, affine=False, track_running_stats=False),
                           m.ReLU(inplace=True), m.Dropout(p=0.3, inplace=True)),
])
def test_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))


def test_torch_state_dict_loads_into_ours_and_back():
    torch.manual_seed(1)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    theirs.train()
    theirs(torch.randn(8, 3))
    ours = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    ours_from_torch(ours, theirs)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    back = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    back.load_state_dict({key: torch.from_numpy(np.array(value.numpy())) for key, value in ours.state_dict().items()})
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key].numpy(), value.numpy())


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=shape) for shape in [(3, 4), (4,), (), (2, 1, 3)]]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    ours = [nn.Parameter(ag.zeros(*g.shape, dtype=ag.float64)) for g in grads]
    for t, o, g in zip(theirs, ours, grads):
        t.grad = torch.from_numpy(g.copy())
        o.grad = ag.tensor(g.copy())
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    total_ours = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    assert total_ours.item() == pytest.approx(total_theirs.item(), rel=1e-12)
    for t, o in zip(theirs, ours):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_and_vector_conversion_match_torch():
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=(3, 2)) * 2, rng.normal(size=(2,)) * 2]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    ours = [nn.Parameter(ag.zeros(*g.shape, dtype=ag.float64)) for g in grads]
    for t, o, g in zip(theirs, ours, grads):
        t.grad = torch.from_numpy(g.copy())
        o.grad = ag.tensor(g.copy())
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    nn.utils.clip_grad_value_(ours, 0.7)
    for t, o in zip(theirs, ours):
        np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())
    vector = rng.normal(size=8)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(vector), theirs)
    nn.utils.vector_to_parameters(ag.tensor(vector), ours)
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(ours).detach().numpy(),
                                  torch.nn.utils.parameters_to_vector(theirs).detach().numpy())


def test_init_gains_and_fans_match_torch():
    for name in ("linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert nn.init.calculate_gain("leaky_relu", 0.3) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.3))
    for shape in [(3, 5), (4, 2, 3), (6, 2, 3, 3)]:
        assert nn.init._calculate_fan_in_and_fan_out(ag.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


@pytest.mark.parametrize("name, kwargs", [
    ("kaiming_uniform_", {"a": math.sqrt(5)}), ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"nonlinearity": "tanh"}), ("xavier_uniform_", {"gain": 2.0}), ("xavier_normal_", {}),
])
def test_init_spread_matches_torch(name, kwargs):
    torch.manual_seed(0)
    ag.manual_seed(0)
    theirs = getattr(torch.nn.init, name)(torch.empty(200, 300, dtype=torch.float64), **kwargs).numpy()
    ours = getattr(nn.init, name)(ag.empty(200, 300, dtype=ag.float64), **kwargs).numpy()
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)
    if "uniform" in name:  # same bound: the extremes of 60000 uniform draws sit within 0.1% of it
        assert np.abs(ours).max() == pytest.approx(np.abs(theirs).max(), rel=2e-3)


def test_linear_default_init_spread_matches_torch():
    torch.manual_seed(0)
    ag.manual_seed(0)
    theirs, ours = torch.nn.Linear(300, 200), nn.Linear(300, 200)
    for name in ("weight", "bias"):
        t, o = getattr(theirs, name).detach().numpy(), getattr(ours, name).detach().numpy()
        assert np.abs(o).max() <= 1 / math.sqrt(300) and np.abs(t).max() <= 1 / math.sqrt(300)
    # 60000 weights: the spread of either sample is within ~0.1% of the true one.
    assert ours.weight.detach().numpy().std() == pytest.approx(theirs.weight.detach().numpy().std(), rel=0.01)
