"""autograd_core.func against torch.func: the same functions, float64, values equal to rounding.

Covers grad (argnums, dicts, has_aux, nesting), vjp, jvp, jacrev, jacfwd, hessian,
vmap over in_dims/out_dims structures, and per-sample gradients of an MLP with the
same weights in both libraries through functional_call.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.func as tf  # noqa: E402

import autograd_core as ag  # noqa: E402
import autograd_core.func as af  # noqa: E402
import nn  # noqa: E402


def _rand(shape, seed):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)


def _both(*arrays):
    return [ag.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def assert_same(ours, theirs, rtol=1e-10, atol=1e-12):
    """Equal nested structure (tuples, lists, dicts), shapes and values."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key], rtol, atol)
    elif isinstance(theirs, (tuple, list)):
        assert isinstance(ours, type(theirs)) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            assert_same(o, t, rtol, atol)
    else:
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def loss(x, w):
    return ((x @ w).tanh() ** 2).sum() + (x.exp() * w.sum()).sum()


def vector_fn(x, w):
    return (x @ w).sin() * w.sum()


ARRAYS = [_rand((2, 3), 0), _rand((3,), 1)]


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_grad_and_grad_and_value(argnums):
    ours, theirs = _both(*ARRAYS)
    assert_same(af.grad(loss, argnums=argnums)(*ours), tf.grad(loss, argnums=argnums)(*theirs))
    assert_same(af.grad_and_value(loss, argnums=argnums)(*ours), tf.grad_and_value(loss, argnums=argnums)(*theirs))


def test_grad_of_dicts_with_aux_and_nested():
    ours, theirs = _both(*ARRAYS)

    def f(p):
        return loss(p["x"], p["w"]), {"w2": p["w"] * 2}

    assert_same(af.grad(f, has_aux=True)({"x": ours[0], "w": ours[1]}),
                tf.grad(f, has_aux=True)({"x": theirs[0], "w": theirs[1]}))

    def nested(lib):
        return lib.grad(lambda v: lib.grad(lambda u: (u ** 3 * u.sin()).sum())(v).sum())

    assert_same(nested(af)(ours[1]), nested(tf)(theirs[1]))


@pytest.mark.parametrize("name", ["vjp", "jvp"])
def test_vjp_and_jvp(name):
    ours, theirs = _both(*ARRAYS)
    if name == "vjp":
        (out_o, fn_o), (out_t, fn_t) = af.vjp(vector_fn, *ours), tf.vjp(vector_fn, *theirs)
        v_o, v_t = _both(_rand((2,), 2))
        assert_same(out_o, out_t)
        assert_same(fn_o(v_o[0]), fn_t(v_t[0]))
    else:
        t_o, t_t = _both(_rand((2, 3), 3), _rand((3,), 4))
        assert_same(af.jvp(vector_fn, tuple(ours), tuple(t_o)), tf.jvp(vector_fn, tuple(theirs), tuple(t_t)))


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jacobians(transform, argnums):
    ours, theirs = _both(*ARRAYS)
    assert_same(getattr(af, transform)(vector_fn, argnums=argnums)(*ours),
                getattr(tf, transform)(vector_fn, argnums=argnums)(*theirs))


def test_jacobian_of_a_dict_output():
    ours, theirs = _both(_rand((3,), 5))
    f = lambda v: {"exp": v.exp(), "pair": (v.sum(), v * v)}  # noqa: E731
    assert_same(af.jacrev(f)(ours[0]), tf.jacrev(f)(theirs[0]))
    assert_same(af.jacfwd(f)(ours[0]), tf.jacfwd(f)(theirs[0]))


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_hessian(argnums):
    ours, theirs = _both(*ARRAYS)
    assert_same(af.hessian(loss, argnums=argnums)(*ours), tf.hessian(loss, argnums=argnums)(*theirs), atol=1e-11)


@pytest.mark.parametrize("in_dims,out_dims", [(0, 0), (1, 0), (0, 1), ((None, 0), 0), ((1, 0), -1),
                                              ((0, None), (0, 1))])
def test_vmap(in_dims, out_dims):
    ours, theirs = _both(_rand((3, 3), 6), _rand((3, 3), 7))

    def f(a, b):
        return ((a * b).tanh(), (a.sum() * b).exp()) if isinstance(out_dims, tuple) else (a * b).tanh() + a.sum()

    assert_same(af.vmap(f, in_dims=in_dims, out_dims=out_dims)(*ours),
                tf.vmap(f, in_dims=in_dims, out_dims=out_dims)(*theirs))


def test_vmap_of_dicts_and_nested_vmap():
    ours, theirs = _both(_rand((4, 2), 8), _rand((2, 4), 9))

    def f(d):
        return {"out": d["x"] * d["y"].sum()}

    assert_same(af.vmap(f, in_dims=({"x": 0, "y": 1},))({"x": ours[0], "y": ours[1]}),
                tf.vmap(f, in_dims=({"x": 0, "y": 1},))({"x": theirs[0], "y": theirs[1]}))
    g = lambda a, b: (a * b).sum()  # noqa: E731
    assert_same(af.vmap(af.vmap(g, in_dims=(None, 1)), in_dims=(0, None))(*ours),
                tf.vmap(tf.vmap(g, in_dims=(None, 1)), in_dims=(0, None))(*theirs))


def test_per_sample_gradients_of_an_mlp_equal_torch_func():
    ag.manual_seed(0)
    ours_model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3)).double()
    theirs_model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)).double()
    with torch.no_grad():
        for name, p in theirs_model.named_parameters():
            p.copy_(torch.tensor(dict(ours_model.named_parameters())[name].detach().numpy()))
    xs, labels = _rand((8, 5), 10), np.array([0, 1, 2, 0, 1, 2, 2, 1])

    def per_sample(lib, model, functional, x, y):
        params = {name: p.detach() for name, p in model.named_parameters()}

        def sample_loss(p, xi, yi):
            return functional.cross_entropy(lib.func.functional_call(model, p, (xi.unsqueeze(0),)), yi.unsqueeze(0))

        return lib.func.vmap(lib.func.grad(sample_loss), in_dims=(None, 0, 0))(params, x, y)

    ours = per_sample(ag, ours_model, nn.functional, ag.tensor(xs), ag.tensor(labels))
    theirs = per_sample(torch, theirs_model, torch.nn.functional, torch.tensor(xs), torch.tensor(labels))
    assert_same(ours, theirs, rtol=1e-10, atol=1e-13)


def test_functional_call_equals_torch():
    ag.manual_seed(1)
    ours_model = nn.Linear(3, 2).double()
    theirs_model = torch.nn.Linear(3, 2).double()
    weight = _rand((2, 3), 11)
    x_o, x_t = _both(_rand((4, 3), 12))
    with torch.no_grad():
        theirs_model.bias.copy_(torch.tensor(ours_model.bias.detach().numpy()))
    assert_same(af.functional_call(ours_model, {"weight": ag.tensor(weight)}, x_o[0]),
                tf.functional_call(theirs_model, {"weight": torch.tensor(weight)}, x_t[0]))


ERROR_CASES = {
    "grad_of_vector": lambda lib, x: lib.func.grad(lambda v: v * 2)(x),
    "grad_bad_argnums": lambda lib, x: lib.func.grad(lambda v: v.sum(), argnums=2)(x),
    "grad_empty_argnums": lambda lib, x: lib.func.grad(lambda v: v.sum(), argnums=())(x),
    "grad_aux_not_pair": lambda lib, x: lib.func.grad(lambda v: v.sum(), has_aux=True)(x),
    "grad_of_number": lambda lib, x: lib.func.grad(lambda v: v.sum())(1.0),
    "vmap_sizes": lambda lib, x: lib.func.vmap(lambda a, b: a * b)(x, x[:2]),
    "vmap_in_dims_structure": lambda lib, x: lib.func.vmap(lambda a: a, in_dims=(0, 0))(x),
    "vmap_in_dim_range": lambda lib, x: lib.func.vmap(lambda a: a, in_dims=1)(x),
    "vmap_random": lambda lib, x: lib.func.vmap(lambda a: lib.rand(2) * a)(x),
    "vmap_randomness_flag": lambda lib, x: lib.func.vmap(lambda a: a, randomness="bad")(x),
    "vmap_non_tensor_output": lambda lib, x: lib.func.vmap(lambda a: 1.0)(x),
    "vmap_nothing_batched": lambda lib, x: lib.func.vmap(lambda a: a, in_dims=(None,))(x),
    "vmap_chunk_size": lambda lib, x: lib.func.vmap(lambda a: a, chunk_size=0)(x),
}


def _raised(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type itself is compared
        return type(error), str(error)
    return None


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_are_torchs(case):
    ours = _raised(lambda: ERROR_CASES[case](ag, ag.tensor(_rand((3,), 13))))
    theirs = _raised(lambda: ERROR_CASES[case](torch, torch.tensor(_rand((3,), 13))))
    assert theirs is not None and ours is not None, (ours, theirs)
    assert ours[0] is theirs[0], (ours, theirs)
    if case != "vmap_in_dims_structure":  # torch prints its TreeSpec objects there; ours prints the shapes
        assert ours[1] == theirs[1]
