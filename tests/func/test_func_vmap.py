"""autograd_core.func.vmap gives exactly what a Python loop over the batch gives; functional_call swaps tensors.

Per-sample gradients of an MLP (vmap of grad through functional_call) are checked
against one backward pass per sample.  torch.func comparisons: test_func_torch.py.
"""
import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.func import functional_call, grad, vmap


def _t(array, requires_grad=False):
    return ag.tensor(np.array(array, dtype=np.float64), requires_grad=requires_grad)


def _rand(shape, seed):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)


def _take(array, dim, index):
    return array[(slice(None),) * dim + (index,)]


@pytest.mark.parametrize("in_dim", [0, 1, 2, -1])
@pytest.mark.parametrize("out_dim", [0, 1, -1])
def test_vmap_equals_the_loop_for_every_in_and_out_dim(in_dim, out_dim):
    x = _rand((4, 4, 4), 0)
    w = _rand((4, 3), 1)

    def f(a):  # a: (4, 4) per sample
        return (a @ _t(w)).tanh() * a.sum()

    got = vmap(f, in_dims=in_dim, out_dims=out_dim)(_t(x)).numpy()
    expected = np.stack([f(_t(_take(x, in_dim % 3, b))).numpy() for b in range(4)], axis=out_dim)
    np.testing.assert_array_equal(got, expected)


def test_unbatched_inputs_kwargs_and_nested_structures():
    xs, scale, table = _rand((5, 3), 2), _t(_rand((3,), 3)), {"a": _rand((3, 5), 4), "b": _t(_rand((2,), 5))}

    def f(x, s, d, power=2):
        return {"prod": x * s * d["a"].sum() ** power, "pair": (d["b"] * x.sum(), x.mean())}

    got = vmap(f, in_dims=(0, None, {"a": 1, "b": None}), out_dims={"prod": 1, "pair": (0, 0)})(
        _t(xs), scale, {"a": _t(table["a"]), "b": table["b"]}, power=3)
    for b in range(5):
        one = f(_t(xs[b]), scale, {"a": _t(table["a"][:, b]), "b": table["b"]}, power=3)
        np.testing.assert_array_equal(got["prod"].numpy()[:, b], one["prod"].numpy())
        np.testing.assert_array_equal(got["pair"][0].numpy()[b], one["pair"][0].numpy())
        np.testing.assert_array_equal(got["pair"][1].numpy()[b], one["pair"][1].numpy())


def test_out_dims_none_keeps_an_unbatched_output_and_refuses_a_batched_one():
    const = _t([1.0, 2.0])
    out, same = vmap(lambda x: (x * 2, const), out_dims=(0, None))(_t(_rand((3, 2), 6)))
    assert out.shape == (3, 2) and same is const
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        vmap(lambda x: x * 2, out_dims=None)(_t(_rand((3, 2), 6)))


def test_nested_vmap_is_a_double_loop():
    x, y = _rand((3, 4), 7), _rand((5, 4), 8)
    got = vmap(vmap(lambda a, b: (a * b).sum(), in_dims=(None, 0)), in_dims=(0, None))(_t(x), _t(y))
    np.testing.assert_allclose(got.numpy(), x @ y.T, rtol=1e-14)


def test_gradient_through_vmap_equals_gradient_through_the_loop():
    x_array = _rand((4, 3), 9)
    x1, x2 = _t(x_array, requires_grad=True), _t(x_array, requires_grad=True)
    (vmap(lambda r: r.exp() * r.sum())(x1) ** 2).sum().backward()
    (ag.stack([r.exp() * r.sum() for r in x2]) ** 2).sum().backward()
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-14)


def test_randomness_modes():
    x = _t(np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        vmap(lambda r: r + ag.rand(2, dtype=ag.float64))(x)
    ag.manual_seed(1)
    same = vmap(lambda r: r + ag.rand(2, dtype=ag.float64), randomness="same")(x).numpy()
    assert np.array_equal(same[0], same[1]) and np.array_equal(same[1], same[2])
    ag.manual_seed(1)
    different = vmap(lambda r: r + ag.rand(2, dtype=ag.float64), randomness="different")(x).numpy()
    ag.manual_seed(1)
    loop = np.stack([(r + ag.rand(2, dtype=ag.float64)).numpy() for r in x])
    np.testing.assert_array_equal(different, loop)
    np.testing.assert_array_equal(same[0], different[0])
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        vmap(lambda r: r, randomness="bad")


def test_vmap_errors_in_torchs_words():
    x = _t(_rand((3,), 10))
    with pytest.raises(ValueError, match="same size in the mapped dimension, got sizes \\[3, 4\\]"):
        vmap(lambda a, b: a * b)(x, _t(_rand((4,), 11)))
    with pytest.raises(ValueError, match="Expected at least one Tensor to vmap over"):
        vmap(lambda a: a, in_dims=(None,))(x)
    with pytest.raises(ValueError, match="in_dims is not compatible with the structure of `inputs`"):
        vmap(lambda a: a, in_dims=(0, 0))(x)
    with pytest.raises(ValueError, match="expected in_dim to satisfy -1 <= in_dim < 1"):
        vmap(lambda a: a, in_dims=1)(x)
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        vmap(lambda a: a)(1.0)
    with pytest.raises(ValueError, match="must only return Tensors"):
        vmap(lambda a: 1.0)(x)
    with pytest.raises(ValueError, match="chunk_size should be None or greater than 0"):
        vmap(lambda a: a, chunk_size=0)
    with pytest.raises(ValueError, match="the batch is empty"):
        vmap(lambda a: a)(_t(np.zeros((0, 2))))


def _mlp():
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()


def _loss(model):
    def loss(params, x, y):
        logits = functional_call(model, params, (x.unsqueeze(0),))
        return nn.functional.cross_entropy(logits, y.unsqueeze(0))
    return loss


def test_per_sample_gradients_of_an_mlp_equal_one_backward_per_sample():
    model = _mlp()
    params = {name: p.detach() for name, p in model.named_parameters()}
    xs, ys = _t(_rand((6, 4), 12)), ag.tensor(np.array([0, 1, 2, 2, 1, 0]))
    per_sample = vmap(grad(_loss(model)), in_dims=(None, 0, 0))(params, xs, ys)
    for b in range(6):
        model.zero_grad()
        nn.functional.cross_entropy(model(xs[b:b + 1]), ys[b:b + 1]).backward()
        for name, p in model.named_parameters():
            assert per_sample[name].shape == (6,) + p.shape
            np.testing.assert_allclose(per_sample[name].numpy()[b], p.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_functional_call_uses_the_given_tensors_and_puts_the_module_back():
    model = _mlp()
    x = _t(_rand((2, 4), 13))
    zeros = {name: ag.zeros_like(p).detach() for name, p in model.named_parameters()}
    np.testing.assert_array_equal(functional_call(model, zeros, x).numpy(), np.zeros((2, 3)))
    partial = functional_call(model, ({"2.bias": _t([1.0, 2.0, 3.0])},), (x,))
    hidden = model[1](model[0](x))
    np.testing.assert_allclose(partial.detach().numpy(), (hidden @ model[2].weight.T).detach().numpy() + [1, 2, 3],
                               rtol=1e-12)
    assert isinstance(model[2].bias, nn.Parameter)
    np.testing.assert_allclose(model(x).detach().numpy(), model[2](hidden).detach().numpy())


def test_functional_call_swaps_buffers_too():
    bn = nn.BatchNorm1d(3).double().eval()
    x = _t(_rand((4, 3), 14))
    mean, var = _t([1.0, -1.0, 0.5]), _t([4.0, 1.0, 0.25])
    got = functional_call(bn, {"running_mean": mean, "running_var": var}, (x,))
    expected = (x.numpy() - mean.numpy()) / np.sqrt(var.numpy() + bn.eps)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))


def test_functional_call_ties_weights_and_strict_mode():
    model = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)).double()
    model[1].weight = model[0].weight  # tied: both names are one Parameter
    x = _t([[1.0, 2.0]])
    eye = _t(np.eye(2) * 2)
    np.testing.assert_allclose(functional_call(model, {"0.weight": eye}, x).numpy(), [[4.0, 8.0]])
    untied = functional_call(model, {"0.weight": eye}, x, tie_weights=False)
    np.testing.assert_allclose(untied.detach().numpy(), (x.numpy() * 2) @ model[0].weight.detach().numpy().T)
    missing = "Error\\(s\\) in reparametrizing for Linear:\n\tMissing key\\(s\\): 'bias'."
    with pytest.raises(RuntimeError, match=missing):
        functional_call(nn.Linear(2, 2), {"weight": ag.zeros(2, 2)}, (ag.ones(2),), strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key\\(s\\): 'foo'."):
        functional_call(nn.Linear(2, 2), {"weight": ag.zeros(2, 2), "bias": ag.zeros(2), "foo": ag.zeros(1)},
                        (ag.ones(2),), strict=True)
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        functional_call(nn.Linear(2, 2), ({"bias": ag.zeros(2)}, {"bias": ag.ones(2)}), (ag.ones(2),))
