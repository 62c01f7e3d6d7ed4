"""forward_ad against torch.autograd.forward_ad: the same programs, the same primals and tangents
(float64), forward-over-reverse Hessian-vector products, and the same error messages."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.autograd.forward_ad as torch_fwAD  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

import autograd_core as ag  # noqa: E402
import autograd_core.autograd.forward_ad as fwAD  # noqa: E402
import nn.functional as F  # noqa: E402

rng = np.random.default_rng(3)
TARGET = np.array([1, 0, 2, 2])


def mlp(lib, fn, x, w1, b1, w2):
    hidden = fn.gelu(fn.linear(x, w1, b1))
    logits = fn.linear(hidden.tanh() * hidden.sigmoid(), w2)
    return fn.cross_entropy(logits, lib.tensor(TARGET)) + logits.logsumexp(dim=1).var()


def conv_pool(lib, fn, x, w):
    y = fn.max_pool1d(fn.conv1d(x, w, padding=1).relu(), 2)
    return lib.cat([y.flatten(1), fn.softplus(y).mean(dim=-1)], dim=1).softmax(dim=1)


def shapes_and_indexing(lib, fn, x, y):
    z = lib.stack([x, y], dim=0)[:, 1:, ::2].permute(2, 0, 1).reshape(-1, 2)
    pieces = lib.split(z, 1, dim=1)
    return lib.where(pieces[0] > 0, pieces[0] * pieces[1], lib.clamp(pieces[1], -0.5, 0.5)).amax(dim=0)


def in_place(lib, fn, x, y):
    z = x.clone()
    z.mul_(y)
    z += x.exp()
    z[0] = y[1] * 3
    return z.pow(2).prod()


PROGRAMS = {
    "mlp": (mlp, [(4, 3), (5, 3), (5,), (3, 5)]),
    "conv_pool": (conv_pool, [(2, 2, 8), (3, 2, 3)]),
    "shapes_and_indexing": (shapes_and_indexing, [(3, 4), (3, 4)]),
    "in_place": (in_place, [(3,), (3,)]),
}


def ours(program, arrays, tangents):
    with fwAD.dual_level():
        duals = [fwAD.make_dual(ag.tensor(a), ag.tensor(t)) for a, t in zip(arrays, tangents)]
        primal, tangent = fwAD.unpack_dual(program(ag, F, *duals))
        return primal.detach().numpy(), tangent.detach().numpy()


def theirs(program, arrays, tangents):
    with torch_fwAD.dual_level():
        duals = [torch_fwAD.make_dual(torch.tensor(a), torch.tensor(t)) for a, t in zip(arrays, tangents)]
        primal, tangent = torch_fwAD.unpack_dual(program(torch, TF, *duals))
        return primal.detach().numpy(), tangent.detach().numpy()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_programs_give_torchs_primals_and_tangents(name):
    program, shapes = PROGRAMS[name]
    arrays = [rng.standard_normal(shape) for shape in shapes]
    tangents = [rng.standard_normal(shape) for shape in shapes]
    (primal, tangent), (torch_primal, torch_tangent) = ours(program, arrays, tangents), theirs(program, arrays, tangents)
    np.testing.assert_allclose(primal, torch_primal, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tangent, torch_tangent, rtol=1e-9, atol=1e-12)


def test_forward_over_reverse_hvp_equals_torchs():
    arrays = [rng.standard_normal(shape) for shape in [(4, 3), (5, 3), (5,), (3, 5)]]
    vectors = [rng.standard_normal(a.shape) for a in arrays]

    def run(lib, fn, fw, grad):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        with fw.dual_level():
            duals = [fw.make_dual(x, lib.tensor(v)) for x, v in zip(leaves, vectors)]
            grads = grad(mlp(lib, fn, *duals), duals, create_graph=True)
            return [fw.unpack_dual(g).tangent.detach().numpy() for g in grads]

    mine = run(ag, F, fwAD, ag.grad)
    expected = run(torch, TF, torch_fwAD, torch.autograd.grad)
    for a, b in zip(mine, expected):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def _message(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 (the message and class are what is compared)
        return type(error), str(error)
    return None


@pytest.mark.parametrize("case", ["outside_level", "wrong_size", "int_primal", "int_tangent", "nested", "twice"])
def test_errors_match_torchs(case):
    def run(lib, fw):
        x = lib.zeros(3, dtype=lib.float64)
        calls = {
            "outside_level": lambda: fw.make_dual(x, x),
            "wrong_size": lambda: fw.make_dual(x, lib.zeros(4, dtype=lib.float64)),
            "int_primal": lambda: fw.make_dual(lib.arange(3), x),
            "int_tangent": lambda: fw.make_dual(x, lib.arange(3)),
            "nested": lambda: fw.enter_dual_level(),
            "twice": lambda: fw.make_dual(fw.make_dual(x, x), x),
        }
        if case == "outside_level":
            return _message(calls[case])
        with fw.dual_level():
            return _message(calls[case])

    assert run(ag, fwAD) == run(torch, torch_fwAD)


def test_unpacked_dual_tensor_fields_match():
    assert fwAD.UnpackedDualTensor._fields == torch_fwAD.UnpackedDualTensor._fields
