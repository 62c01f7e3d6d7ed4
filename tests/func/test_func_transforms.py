"""autograd_core.func's grad/vjp/jvp/jacrev/jacfwd/hessian against central finite differences (float64).

The torch.func comparison is test_func_torch.py; vmap and functional_call are in test_func_vmap.py.
"""
import numpy as np
import pytest

import autograd_core as ag
from autograd_core.func import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp

EPS = 1e-6


def _t(array, requires_grad=False):
    return ag.tensor(np.array(array, dtype=np.float64), requires_grad=requires_grad)


def _rand(shape, seed):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)


def numeric_jacobian(func, arrays, position):
    """d func / d arrays[position] by central differences, shaped out.shape + in.shape."""
    def call(values):
        return func(*[_t(v) for v in values]).detach().numpy()

    out = call(arrays)
    jac = np.zeros(out.shape + arrays[position].shape)
    for j in range(arrays[position].size):
        plus = [a.copy() for a in arrays]
        minus = [a.copy() for a in arrays]
        plus[position].reshape(-1)[j] += EPS
        minus[position].reshape(-1)[j] -= EPS
        jac.reshape(out.shape + (-1,))[..., j] = (call(plus) - call(minus)) / (2 * EPS)
    return jac


def loss(x, w):
    return ((x @ w).tanh() ** 2).sum() + (x.exp() * w.sum()).sum()


def vector_fn(x, w):
    return (x @ w).sin() * w.sum()


ARRAYS = [_rand((2, 3), 0), _rand((3,), 1)]


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, 0)])
def test_grad_matches_finite_differences(argnums):
    result = grad(loss, argnums=argnums)(*[_t(a) for a in ARRAYS])
    positions = (argnums,) if isinstance(argnums, int) else argnums
    got = (result,) if isinstance(argnums, int) else result
    assert isinstance(got, tuple) and len(got) == len(positions)
    for value, position in zip(got, positions):
        assert not value.requires_grad
        np.testing.assert_allclose(value.numpy(), numeric_jacobian(loss, ARRAYS, position), rtol=1e-6, atol=1e-8)


def test_grad_of_a_dict_argument_has_the_dict_structure_and_aux_is_returned():
    params = {"x": _t(ARRAYS[0]), "w": _t(ARRAYS[1])}
    grads, aux = grad(lambda p: (loss(p["x"], p["w"]), {"double": p["w"] * 2}), has_aux=True)(params)
    assert list(grads) == ["x", "w"]
    np.testing.assert_allclose(grads["x"].numpy(), numeric_jacobian(loss, ARRAYS, 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grads["w"].numpy(), numeric_jacobian(loss, ARRAYS, 1), rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(aux["double"].numpy(), 2 * ARRAYS[1])


def test_grad_and_value_answers_both():
    inputs = [_t(a) for a in ARRAYS]
    gradient, value = grad_and_value(loss)(*inputs)
    np.testing.assert_allclose(value.numpy(), loss(*inputs).numpy())
    np.testing.assert_allclose(gradient.numpy(), numeric_jacobian(loss, ARRAYS, 0), rtol=1e-6, atol=1e-8)


def test_nested_grad_is_the_second_derivative():
    # f = sum(x^3 sin x): f'' elementwise = 6x sin x + 6x^2 cos x - x^3 sin x
    x = _rand((4,), 2)
    second = grad(lambda v: grad(lambda u: (u ** 3 * u.sin()).sum())(v).sum())(_t(x))
    expected = 6 * x * np.sin(x) + 6 * x ** 2 * np.cos(x) - x ** 3 * np.sin(x)
    np.testing.assert_allclose(second.numpy(), expected, rtol=1e-12)
    third = grad(grad(grad(lambda s: s ** 4)))(_t(1.5))
    np.testing.assert_allclose(third.item(), 24 * 1.5, rtol=1e-12)


def test_grad_of_an_input_that_requires_grad_stays_differentiable_and_leaves_grad_alone():
    x = _t(_rand((3,), 3), requires_grad=True)
    g = grad(lambda v: (v ** 3).sum())(x)
    assert g.requires_grad and x.grad is None
    (gg,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy(), rtol=1e-12)


def test_grad_runs_under_no_grad_and_unused_inputs_get_zeros():
    with ag.no_grad():
        gx, gy = grad(lambda a, b: (a * a).sum(), argnums=(0, 1))(_t([1.0, 2.0]), _t([3.0]))
    np.testing.assert_array_equal(gx.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(gy.numpy(), [0.0])


def test_grad_errors():
    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got tensor with 1"):
        grad(lambda v: v * 2)(x)
    with pytest.raises(RuntimeError, match="Got argnum=1, but only 1 positional inputs"):
        grad(lambda v: v.sum(), argnums=1)(x)
    with pytest.raises(RuntimeError, match="should be a tuple: \\(output, aux\\)"):
        grad(lambda v: v.sum(), has_aux=True)(x)
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor"):
        grad(lambda v: v)(1.0)


def test_vjp_is_v_times_the_finite_difference_jacobian_and_can_be_called_twice():
    inputs = [_t(a) for a in ARRAYS]
    output, vjp_fn = vjp(vector_fn, *inputs)
    np.testing.assert_allclose(output.numpy(), vector_fn(*inputs).numpy())
    for seed in (4, 5):
        v = _rand(output.shape, seed)
        gx, gw = vjp_fn(_t(v))
        for got, position in ((gx, 0), (gw, 1)):
            expected = np.tensordot(v, numeric_jacobian(vector_fn, ARRAYS, position), axes=1)
            np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_jvp_is_the_directional_derivative():
    tangents = (_t(_rand((2, 3), 6)), _t(_rand((3,), 7)))
    output, product = jvp(vector_fn, tuple(_t(a) for a in ARRAYS), tangents)
    expected = sum(np.tensordot(numeric_jacobian(vector_fn, ARRAYS, k), tangents[k].numpy(), axes=tangents[k].ndim)
                   for k in range(2))
    np.testing.assert_allclose(product.numpy(), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(output.numpy(), vector_fn(*[_t(a) for a in ARRAYS]).numpy())


@pytest.mark.parametrize("transform", [jacrev, jacfwd])
@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jacobians_match_finite_differences(transform, argnums):
    result = transform(vector_fn, argnums=argnums)(*[_t(a) for a in ARRAYS])
    positions = (argnums,) if isinstance(argnums, int) else argnums
    got = (result,) if isinstance(argnums, int) else result
    for value, position in zip(got, positions):
        np.testing.assert_allclose(value.numpy(), numeric_jacobian(vector_fn, ARRAYS, position), rtol=1e-6,
                                   atol=1e-8)


@pytest.mark.parametrize("transform", [jacrev, jacfwd])
def test_jacobian_of_a_dict_output_with_aux(transform):
    x = _t(_rand((3,), 8))
    jac, aux = transform(lambda v: ({"exp": v.exp(), "sum": v.sum()}, v.mean()), has_aux=True)(x)
    np.testing.assert_allclose(jac["exp"].numpy(), np.diag(np.exp(x.numpy())), rtol=1e-12)
    np.testing.assert_allclose(jac["sum"].numpy(), np.ones(3))
    np.testing.assert_allclose(aux.item(), x.numpy().mean())


def _gradient_of_loss(position):
    def gradient(x, w):
        inputs = [x.detach().requires_grad_(True), w.detach().requires_grad_(True)]
        return ag.grad(loss(*inputs), inputs[position])[0]
    return gradient


@pytest.mark.parametrize("argnums", [0, 1])
def test_hessian_matches_finite_differences_of_the_gradient(argnums):
    got = hessian(loss, argnums=argnums)(*[_t(a) for a in ARRAYS])
    expected = numeric_jacobian(_gradient_of_loss(argnums), ARRAYS, argnums)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_jacrev_of_grad_is_the_hessian_and_jacfwd_of_jacrev_agrees():
    x = _t(_rand((3,), 9))
    f = lambda v: (v.exp() * v).sum()  # noqa: E731 - H = diag(e^x (x + 2))
    expected = np.diag(np.exp(x.numpy()) * (x.numpy() + 2))
    np.testing.assert_allclose(jacrev(grad(f))(x).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(jacfwd(jacrev(f))(x).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(jacfwd(grad(f))(x).numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["log1p_exp", "matmul", "mean", "tanh", "product"])
def test_forward_over_reverse_keeps_the_tangent(name):
    """jacfwd of a reverse-mode transform: the inner one must not detach the dual inputs (regression)."""
    matrix = _t(_rand((4, 3), 10))
    f = {"log1p_exp": lambda v: v.exp().log1p().sum(), "matmul": lambda v: ((matrix @ v) ** 2).sum(),
         "mean": lambda v: (v ** 3).mean(), "tanh": lambda v: v.tanh().sum(),
         "product": lambda v: (v * v * v.sin()).sum()}[name]
    x = _rand((3,), 11)

    def gradient(v):
        v = v.detach().requires_grad_(True)
        return ag.grad(f(v), v)[0]

    expected = numeric_jacobian(gradient, [x], 0)
    for transform in (jacfwd(jacrev(f)), jacfwd(grad(f)), hessian(f)):
        np.testing.assert_allclose(transform(_t(x)).numpy(), expected, rtol=1e-6, atol=1e-8)
