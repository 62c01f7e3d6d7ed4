"""autograd_core.autograd.functional against torch.autograd.functional: values and error messages.

The same Python function runs on both libraries' tensors (the method names are
torch's), in float64; every result must equal torch's to rounding, with the same
tuple structure, and every strict/argument error must carry torch's type and message.
"""
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.autograd.functional as TF  # noqa: E402

import autograd_core as ag  # noqa: E402
from autograd_core.autograd import functional as F  # noqa: E402


def _rand(shape, seed):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)


def _pair(arrays, requires_grad=False):
    """The same inputs for both libraries: a single tensor for one array, else a tuple."""
    ours = tuple(ag.tensor(a, requires_grad=requires_grad) for a in arrays)
    theirs = tuple(torch.tensor(a, requires_grad=requires_grad) for a in arrays)
    return (ours[0], theirs[0]) if len(arrays) == 1 else (ours, theirs)


def assert_same(ours, theirs, atol=1e-12):
    """Equal nested tuple structure, shapes and values.

    torch's forward-mode jacobian answers lists where the inputs are a tuple (its
    reverse mode and its documentation say tuples); ours always answers tuples.
    """
    if isinstance(theirs, list):
        theirs = tuple(theirs)
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            assert_same(o, t, atol)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=atol)


FUNCTIONS = {
    "elementwise": (lambda x: x.exp() * x.sin(), [(3,)]),
    "zero_dim": (lambda x: (x * x).tanh(), [()]),
    "to_scalar": (lambda x: (x ** 2).sum(), [(2, 3)]),
    "matmul": (lambda a, b: a @ b, [(2, 3), (3, 2)]),
    "tuple_in_out": (lambda x, y: ((x * y).sum(1).exp(), (x.sin() * y).tanh()), [(3,), (2, 3)]),
    "one_tuple_out": (lambda x: (x.exp(),), [(2,)]),
    "zero_dim_and_matrix": (lambda s, m: (m * s).softmax(dim=1), [(), (2, 3)]),
}
SCALAR_FUNCTIONS = {
    "polynomial": (lambda x: (x ** 3).sum() * x.sum(), [(4,)]),
    "zero_dim": (lambda x: x.exp() * x ** 2, [()]),
    "two_inputs": (lambda x, w: ((x @ w).tanh() ** 2).sum() + (x * x).sum() * w.sum(), [(2, 3), (3,)]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("strategy,vectorize", [("reverse-mode", False), ("reverse-mode", True),
                                                ("forward-mode", True)])
def test_jacobian_equals_torch(name, strategy, vectorize):
    func, shapes = FUNCTIONS[name]
    ours, theirs = _pair([_rand(s, i) for i, s in enumerate(shapes)])
    assert_same(F.jacobian(func, ours, vectorize=vectorize, strategy=strategy),
                TF.jacobian(func, theirs, vectorize=vectorize, strategy=strategy))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_vjp_and_jvp_equal_torch(name):
    func, shapes = FUNCTIONS[name]
    arrays = [_rand(s, i) for i, s in enumerate(shapes)]
    ours, theirs = _pair(arrays)
    sample = func(*[ag.tensor(a) for a in arrays])
    out_is_tuple = isinstance(sample, tuple)
    out_shapes = [tuple(o.shape) for o in (sample if out_is_tuple else (sample,))]
    u_ours, u_theirs = _pair([_rand(s, 20 + i) for i, s in enumerate(out_shapes)])
    if out_is_tuple and len(out_shapes) == 1:  # a one-tuple of outputs takes a one-tuple v
        u_ours, u_theirs = (u_ours,), (u_theirs,)
    assert_same(F.vjp(func, ours, u_ours), TF.vjp(func, theirs, u_theirs))
    v_ours, v_theirs = _pair([_rand(s, 40 + i) for i, s in enumerate(shapes)])
    assert_same(F.jvp(func, ours, v_ours), TF.jvp(func, theirs, v_theirs))


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCTIONS))
@pytest.mark.parametrize("strategy,vectorize", [("reverse-mode", False), ("reverse-mode", True),
                                                ("forward-mode", True)])
def test_hessian_equals_torch(name, strategy, vectorize):
    func, shapes = SCALAR_FUNCTIONS[name]
    ours, theirs = _pair([_rand(s, i) for i, s in enumerate(shapes)])
    assert_same(F.hessian(func, ours, vectorize=vectorize, outer_jacobian_strategy=strategy),
                TF.hessian(func, theirs, vectorize=vectorize, outer_jacobian_strategy=strategy), atol=1e-11)


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCTIONS))
@pytest.mark.parametrize("which", ["hvp", "vhp"])
def test_hvp_and_vhp_equal_torch(name, which):
    func, shapes = SCALAR_FUNCTIONS[name]
    ours, theirs = _pair([_rand(s, i) for i, s in enumerate(shapes)])
    v_ours, v_theirs = _pair([_rand(s, 30 + i) for i, s in enumerate(shapes)])
    assert_same(getattr(F, which)(func, ours, v_ours), getattr(TF, which)(func, theirs, v_theirs), atol=1e-11)


@pytest.mark.parametrize("which", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
def test_create_graph_results_differentiate_like_torch(which):
    """With create_graph=True the result is a function of the caller's input: its gradient equals torch's."""
    ours, theirs = _pair([_rand((3,), 50)], requires_grad=True)
    v_ours, v_theirs = _pair([_rand((3,), 51)])

    def run(lib, module, x, v):
        func = (lambda t: (t ** 3).sum() * t.sin().sum()) if which in ("hessian", "hvp", "vhp") else (
            lambda t: t.exp() * t ** 2)
        if which in ("jacobian", "hessian"):
            result = getattr(module, which)(func, x, create_graph=True)
        else:
            result = getattr(module, which)(func, x, v, create_graph=True)[1]
        (gx,) = lib.autograd.grad((result * result).sum(), x)
        return result, gx

    ours_result, ours_grad = run(ag, F, ours, v_ours)
    theirs_result, theirs_grad = run(torch, TF, theirs, v_theirs)
    assert ours_result.requires_grad and theirs_result.requires_grad
    assert_same(ours_result, theirs_result, atol=1e-11)
    assert_same(ours_grad, theirs_grad, atol=1e-10)


def _raised(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type itself is compared
        return type(error), str(error)
    return None


def _constant(x):
    return ag.ones(3, dtype=ag.float64) if isinstance(x, ag.Tensor) else torch.ones(3, dtype=torch.float64)


ERROR_CASES = {
    "strict_output_independent_of_input": ("jacobian", lambda x, y: x.exp(), 2, {"strict": True}),
    "strict_output_constant_vjp": ("vjp", _constant, 1, {"strict": True, "v": "ones3"}),
    "strict_jvp_constant": ("jvp", _constant, 1, {"strict": True, "v": "ones3"}),
    "strict_linear_hessian": ("hessian", lambda x: x.sum(), 1, {"strict": True}),
    "strict_linear_hvp": ("hvp", lambda x: x.sum(), 1, {"strict": True, "v": "ones3"}),
    "strict_linear_vhp": ("vhp", lambda x: x.sum(), 1, {"strict": True, "v": "ones3"}),
    "strict_and_vectorize": ("jacobian", lambda x: x.exp(), 1, {"strict": True, "vectorize": True}),
    "forward_mode_without_vectorize": ("jacobian", lambda x: x.exp(), 1, {"strategy": "forward-mode"}),
    "forward_mode_and_strict": ("jacobian", lambda x: x.exp(), 1, {"strategy": "forward-mode", "strict": True,
                                                                    "vectorize": True}),
    "forward_mode_and_create_graph": ("jacobian", lambda x: x.exp(), 1, {"strategy": "forward-mode",
                                                                          "create_graph": True, "vectorize": True}),
    "unknown_strategy": ("jacobian", lambda x: x.exp(), 1, {"strategy": "sideways"}),
    "v_none_for_vector_output": ("vjp", lambda x: x * 2, 1, {}),
    "v_none_for_vector_input": ("jvp", lambda x: x.sum(), 1, {}),
    "v_wrong_shape": ("vjp", lambda x: x * 2, 1, {"v": "ones2"}),
    "v_wrong_length": ("jvp", lambda x, y: x * y, 2, {"v": "ones3_single"}),
    "hessian_of_vector": ("hessian", lambda x: x * 2, 1, {}),
    "hessian_of_tuple": ("hessian", lambda x: (x.sum(), x.sum()), 1, {}),
    "input_not_a_tensor": ("jacobian", lambda x: x, "list", {}),
    "output_not_a_tensor": ("vjp", lambda x: [x], 1, {"v": "ones3"}),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_are_torchs(case):
    which, func, inputs_kind, options = ERROR_CASES[case]
    results = []
    for lib, module in ((ag, F), (torch, TF)):
        def make(n):
            return lib.tensor(_rand((n,), 60), dtype=lib.float64)
        if inputs_kind == "list":
            inputs = [1.0, 2.0]
        else:
            inputs = make(3) if inputs_kind == 1 else (make(3), make(3))
        kwargs = dict(options)
        v = kwargs.pop("v", None)
        if v is not None:
            v = {"ones3": lib.ones(3, dtype=lib.float64), "ones2": lib.ones(2, dtype=lib.float64),
                 "ones3_single": (lib.ones(3, dtype=lib.float64),)}[v]
            results.append(_raised(lambda: getattr(module, which)(func, inputs, v, **kwargs)))
        else:
            results.append(_raised(lambda: getattr(module, which)(func, inputs, **kwargs)))
    ours, theirs = results
    assert theirs is not None, f"torch raised nothing for {case}"
    assert ours is not None, f"we raised nothing for {case}; torch: {theirs}"
    assert ours[0] is theirs[0], f"{case}: {ours} vs torch {theirs}"
    assert ours[1] == _our_words(theirs[1])


def _our_words(message):
    """torch's message with its names for things that are ours: a shape is a tuple, not a torch.Size."""
    def as_tuple(match):
        sizes = [int(n) for n in match.group(1).split(",") if n.strip()]
        return str(tuple(sizes))
    message = re.sub(r"torch\.Size\(\[([0-9, ]*)\]\)", as_tuple, message)
    return message.replace("<class 'torch.Tensor'>", "<class 'autograd_core.tensor.Tensor'>")
