"""Linear algebra ops: matmul in every torch case, mm, bmm, dot, outer, linear."""
import numpy as np
import pytest

import autograd_core as ag
from helpers import check_gradients, random_array


def values(t):
    return np.asarray(t.detach().numpy())


MATMUL_CASES = [
    ((3,), (3,)),                 # dot -> 0-d
    ((2, 3), (3, 4)),
    ((3,), (3, 4)),               # vector @ matrix
    ((2, 3), (3,)),               # matrix @ vector
    ((5, 2, 3), (3, 4)),          # batched @ matrix
    ((2, 3), (5, 3, 4)),          # matrix @ batched
    ((5, 2, 3), (5, 3, 4)),       # bmm
    ((5, 1, 2, 3), (4, 3, 2)),    # broadcast batch dims
    ((1, 2, 3), (5, 3, 1)),
    ((3,), (2, 3, 4)),            # vector @ batched
    ((2, 2, 3), (3,)),            # batched @ vector
    ((1, 1), (1, 1)),
    ((0, 3), (3, 2)),
]


@pytest.mark.parametrize("a_shape, b_shape", MATMUL_CASES)
def test_matmul_values_and_gradients(a_shape, b_shape):
    a, b = random_array(a_shape), random_array(b_shape, seed=1)
    out = ag.matmul(ag.tensor(a), ag.tensor(b))
    expected = np.matmul(a, b)
    assert out.shape == expected.shape
    np.testing.assert_allclose(values(out), expected, rtol=1e-12)
    np.testing.assert_allclose(values(ag.tensor(a) @ ag.tensor(b)), expected, rtol=1e-12)
    check_gradients(lambda x, y: x @ y, a, b)


@pytest.mark.parametrize("a_shape, b_shape", [((3,), (3, 4)), ((2, 3), (3,)), ((5, 2, 3), (3, 4)), ((3,), (3,))])
def test_matmul_gradient_to_one_side_only(a_shape, b_shape):
    a, b = random_array(a_shape), random_array(b_shape, seed=1)
    check_gradients(lambda x: x @ ag.tensor(b), a)
    check_gradients(lambda y: ag.tensor(a) @ y, b)


def test_matmul_with_an_ndarray_operand():
    a, b = random_array((2, 3)), random_array((3, 2), seed=1)
    np.testing.assert_allclose(values(b @ ag.tensor(a)), b @ a)   # __rmatmul__
    np.testing.assert_allclose(values(ag.tensor(a) @ b), a @ b)


def test_matmul_float32_stays_float32():
    a = ag.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    b = ag.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    out = a @ b
    assert out.dtype == np.float32
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


def check_second_derivatives(fn, *arrays, eps=1e-6):
    """Differentiate (with create_graph) sum(w_i * df/dx_i) once more and compare with finite
    differences of the first derivatives, for f = sum(fn(*xs) ** 2)."""
    weights = [random_array(a.shape, seed=10 + i) for i, a in enumerate(arrays)]

    def first_derivatives_dotted(values_):
        tensors = [ag.tensor(v, requires_grad=True) for v in values_]
        grads = ag.grad((fn(*tensors) ** 2).sum(), tensors, create_graph=True)
        return sum((g * ag.tensor(w)).sum() for g, w in zip(grads, weights)), tensors

    total, tensors = first_derivatives_dotted(arrays)
    analytic = ag.grad(total, tensors)
    for position, array in enumerate(arrays):
        numeric = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            shifted = [[a.copy() for a in arrays] for _ in range(2)]
            shifted[0][position][i] += eps
            shifted[1][position][i] -= eps
            plus = first_derivatives_dotted(shifted[0])[0].item()
            minus = first_derivatives_dotted(shifted[1])[0].item()
            numeric[i] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(analytic[position].numpy(), numeric, rtol=1e-5, atol=1e-6,
                                   err_msg=f"second derivative, input {position}")


@pytest.mark.parametrize("a_shape, b_shape", [
    ((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (3,)), ((2, 2, 3), (3, 2)), ((2, 3), (2, 3, 2)),
    ((3,), (2, 3, 2)),
])
def test_matmul_second_derivative(a_shape, b_shape):
    check_second_derivatives(ag.matmul, random_array(a_shape), random_array(b_shape, seed=1))


def test_matmul_errors():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied \(3 != 4\)"):
        ag.zeros(2, 3) @ ag.zeros(4, 5)
    with pytest.raises(RuntimeError, match=r"cannot be multiplied \(3 != 2\)"):
        ag.zeros(3) @ ag.zeros(2)
    with pytest.raises(RuntimeError, match="at least 1-D"):
        ag.zeros(()) @ ag.zeros(3)
    with pytest.raises(RuntimeError, match="batch dimensions"):
        ag.zeros(2, 2, 3) @ ag.zeros(3, 3, 4)
    with pytest.raises(RuntimeError, match="same dtype, but got float32 and float64"):
        ag.zeros(2, 3) @ ag.zeros(3, 2, dtype=ag.float64)


def test_mm_bmm_dot_outer():
    a, b = random_array((2, 3)), random_array((3, 4), seed=1)
    np.testing.assert_allclose(values(ag.mm(ag.tensor(a), ag.tensor(b))), a @ b)
    np.testing.assert_allclose(values(ag.tensor(a).mm(ag.tensor(b))), a @ b)
    check_gradients(ag.mm, a, b)
    a3, b3 = random_array((4, 2, 3)), random_array((4, 3, 2), seed=1)
    np.testing.assert_allclose(values(ag.bmm(ag.tensor(a3), ag.tensor(b3))), a3 @ b3)
    check_gradients(ag.bmm, a3, b3)
    u, v = random_array((3,)), random_array((3,), seed=1)
    assert ag.dot(ag.tensor(u), ag.tensor(v)).shape == ()
    np.testing.assert_allclose(ag.tensor(u).dot(ag.tensor(v)).item(), u @ v)
    check_gradients(ag.dot, u, v)
    w = random_array((4,), seed=2)
    np.testing.assert_allclose(values(ag.outer(ag.tensor(u), ag.tensor(w))), np.outer(u, w))
    check_gradients(ag.outer, u, w)


def test_mm_bmm_dot_outer_errors():
    with pytest.raises(RuntimeError, match=r"mm: expected two 2-D matrices, got shapes \(2,\) and \(2, 2\)"):
        ag.mm(ag.zeros(2), ag.zeros(2, 2))
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        ag.mm(ag.zeros(2, 3), ag.zeros(2, 3))
    with pytest.raises(RuntimeError, match="bmm: expected two 3-D tensors"):
        ag.bmm(ag.zeros(2, 3), ag.zeros(3, 2))
    with pytest.raises(RuntimeError, match=r"bmm: batch sizes .* differ \(2 != 3\)"):
        ag.bmm(ag.zeros(2, 2, 3), ag.zeros(3, 3, 2))
    with pytest.raises(RuntimeError, match="dot: expected two 1-D tensors"):
        ag.dot(ag.zeros(2, 1), ag.zeros(2))
    with pytest.raises(RuntimeError, match="dot: inconsistent sizes 2 and 3"):
        ag.dot(ag.zeros(2), ag.zeros(3))
    with pytest.raises(RuntimeError, match="outer: expected two 1-D tensors"):
        ag.outer(ag.zeros(2, 2), ag.zeros(2))


# -- linear -----------------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape, bias_shape", [
    ((5, 3), (4,)), ((3,), (4,)), ((2, 5, 3), (4,)), ((5, 3), None), ((5, 3), ()), ((5, 3), (1, 4)), ((1, 3), (4,)),
])
def test_linear_values_and_gradients(x_shape, bias_shape):
    x, w = random_array(x_shape), random_array((4, 3), seed=1)
    b = None if bias_shape is None else random_array(bias_shape, seed=2)
    out = ag.linear(ag.tensor(x), ag.tensor(w), None if b is None else ag.tensor(b))
    expected = x @ w.T + (0 if b is None else b)
    assert out.shape == expected.shape
    np.testing.assert_allclose(values(out), expected, rtol=1e-12)
    if b is None:
        check_gradients(lambda x_, w_: ag.linear(x_, w_), x, w)
    else:
        check_gradients(ag.linear, x, w, b)


def test_linear_gradient_to_weight_only_and_float32():
    x = np.ones((8, 3), np.float32)
    w = ag.tensor(np.full((2, 3), 0.5, np.float32), requires_grad=True)
    b = ag.tensor(np.zeros(2, np.float32), requires_grad=True)
    out = ag.linear(ag.tensor(x), w, b)
    assert out.dtype == np.float32
    out.sum().backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad.numpy(), np.full((2, 3), 8.0))
    np.testing.assert_array_equal(b.grad.numpy(), [8.0, 8.0])
    assert w.grad.numpy().flags.c_contiguous


@pytest.mark.parametrize("x_shape", [(2, 3), (3,), (2, 2, 3)])
def test_linear_second_derivative(x_shape):
    check_second_derivatives(ag.linear, random_array(x_shape), random_array((4, 3), seed=1), random_array((4,), seed=2))
    check_second_derivatives(lambda x, w: ag.linear(x, w), random_array(x_shape), random_array((4, 3), seed=1))


def test_linear_errors():
    with pytest.raises(RuntimeError, match=r"linear: input of shape \(5, 3\) and weight of shape \(4, 2\) do not fit"):
        ag.linear(ag.zeros(5, 3), ag.zeros(4, 2))
    with pytest.raises(RuntimeError, match="same dtype"):
        ag.linear(ag.zeros(5, 3), ag.zeros(4, 3, dtype=ag.float64))
    with pytest.raises(RuntimeError, match=r"bias of shape \(3,\) does not broadcast"):
        ag.linear(ag.zeros(5, 3), ag.zeros(4, 3), ag.zeros(3))
