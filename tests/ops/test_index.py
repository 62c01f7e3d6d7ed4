"""Indexing ops: getitem in every index form, gather, index_select, masked_fill, index_put."""
import numpy as np
import pytest

import autograd_core as ag
from autograd_core.ops.index import IndexAdd, ScatterAdd
from helpers import check_gradients, random_array


def values(t):
    return np.asarray(t.detach().numpy())


X = random_array((4, 3, 5))

# (name, index as given to the Tensor, the same index for numpy)
INDEXES = [
    ("int", 1, 1),
    ("negative int", -1, -1),
    ("two ints", (2, 0), (2, 0)),
    ("all ints", (1, 2, 3), (1, 2, 3)),
    ("slice", slice(1, 3), slice(1, 3)),
    ("slice with step", (slice(None), slice(None, None, 2)), (slice(None), slice(None, None, 2))),
    ("negative step", (slice(None, None, -1), 0), (slice(None, None, -1), 0)),
    ("None", (None, 0, None), (None, 0, None)),
    ("Ellipsis", (Ellipsis, 2), (Ellipsis, 2)),
    ("Ellipsis middle", (0, Ellipsis, 1), (0, Ellipsis, 1)),
    ("int list", [0, 2], [0, 2]),
    ("repeated ints", [1, 1, 3, 1], [1, 1, 3, 1]),
    ("int tensor", ag.tensor([3, 0, 3]), np.array([3, 0, 3])),
    ("2-D int array", np.array([[0, 1], [1, 1]]), np.array([[0, 1], [1, 1]])),
    ("negative int array", np.array([-1, -4]), np.array([-1, -4])),
    ("0-d int tensor", ag.tensor(2), 2),
    ("two arrays", (np.array([0, 3, 0]), slice(None), np.array([4, 4, 1])), (np.array([0, 3, 0]), slice(None), np.array([4, 4, 1]))),
    ("split arrays", (np.array([0, 0]), slice(1, None), np.array([2, 2])), (np.array([0, 0]), slice(1, None), np.array([2, 2]))),
    ("array and int", (slice(None), 1, [4, 4]), (slice(None), 1, [4, 4])),
    ("bool mask dim 0", np.array([True, False, True, True]), np.array([True, False, True, True])),
    ("bool tensor mask", (slice(None), ag.tensor([False, True, False])), (slice(None), np.array([False, True, False]))),
    ("full bool mask", X > 0.5, X > 0.5),
    ("2-D bool mask", (X[..., 0] > 0), (X[..., 0] > 0)),
    ("mask and slice", (slice(None), np.array([True, True, False]), slice(0, 2)), (slice(None), np.array([True, True, False]), slice(0, 2))),
    ("empty list", [], np.array([], dtype=np.int64)),
    ("python True", True, True),
]


@pytest.mark.parametrize("name, index, numpy_index", INDEXES, ids=[i[0] for i in INDEXES])
def test_getitem_values_match_numpy(name, index, numpy_index):
    out = ag.tensor(X)[index]
    expected = X[numpy_index]
    assert out.shape == np.shape(expected)
    np.testing.assert_array_equal(values(out), expected)


@pytest.mark.parametrize("name, index, numpy_index", INDEXES, ids=[i[0] for i in INDEXES])
def test_getitem_gradients(name, index, numpy_index):
    x = random_array((4, 3, 5), seed=3)
    check_gradients(lambda t: t[index] * 2.0, x)


def test_repeated_indices_accumulate():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_many_repeated_rows_accumulate():
    # Large enough for the sort-and-reduce path of row accumulation (embedding-style gradient).
    rng = np.random.default_rng(0)
    table = rng.standard_normal((50, 16)).astype(np.float32)
    rows = rng.integers(-50, 50, size=(20, 30))
    weights = rng.standard_normal((20, 30, 16)).astype(np.float32)
    t = ag.tensor(table, requires_grad=True)
    (t[ag.tensor(rows)] * ag.tensor(weights)).sum().backward()
    expected = np.zeros_like(table)
    np.add.at(expected, rows, weights)
    assert t.grad.dtype == np.float32
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_getitem_on_0d_and_basic_index_is_a_view():
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    element = x[1, 2]
    assert element.shape == () and element.item() == 5.0
    assert np.shares_memory(element.numpy(), x.numpy())
    assert np.shares_memory(x[:, 1].numpy(), x.numpy())
    assert not np.shares_memory(x[[0, 1]].numpy(), x.numpy())
    check_gradients(lambda t: t[...] * t[None], random_array(()))


def test_getitem_keeps_float32():
    x = ag.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    y = x[[0, 0]]
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_getitem_errors():
    x = ag.zeros(3, 4)
    with pytest.raises(IndexError, match="getitem: index 5 is out of bounds for dimension 0 with size 3"):
        x[5]
    with pytest.raises(IndexError, match="index -5 is out of bounds for dimension 1 with size 4"):
        x[0, -5]
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[ag.tensor([0, 3])]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="boolean index did not match"):
        x[np.array([True, False])]
    with pytest.raises(IndexError, match="must be long, int or bool tensors, got dtype float32"):
        x[ag.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match="got str"):
        x["a"]


def test_getitem_second_derivative():
    x = ag.tensor([0.5, -1.0, 2.0], dtype=ag.float64, requires_grad=True)
    y = x[[0, 0, 2]]                          # [x0, x0, x2]
    (g,) = ag.grad((y ** 3).sum(), x, create_graph=True)   # [6 x0^2, 0, 3 x2^2]
    np.testing.assert_allclose(g.detach().numpy(), [6 * 0.25, 0.0, 12.0])
    (h,) = ag.grad(g[[0, 2]].sum() + g[1:].sum(), x)
    np.testing.assert_allclose(h.numpy(), [12 * 0.5, 0.0, 6 * 2.0 * 2])


def test_getitem_mask_second_derivative():
    x = ag.tensor([[1.0, -2.0], [3.0, -4.0]], dtype=ag.float64, requires_grad=True)
    mask = np.array([[True, False], [True, True]])
    (g,) = ag.grad((x[mask] ** 2).sum(), x, create_graph=True)
    (h,) = ag.grad((g * g).sum(), x)
    np.testing.assert_allclose(h.numpy(), 8 * x.detach().numpy() * mask)


# -- IndexAdd / ScatterAdd ---------------------------------------------------------------
def test_index_add_op_and_its_vjp():
    values_ = random_array((4, 2))
    index = (np.array([0, 2, 0, 1]),)
    out = IndexAdd.apply(ag.tensor(values_), shape=(3, 2), index=index)
    expected = np.zeros((3, 2))
    np.add.at(expected, index, values_)
    np.testing.assert_allclose(values(out), expected)
    check_gradients(lambda v: IndexAdd.apply(v, shape=(3, 2), index=index), values_)
    check_gradients(lambda v: IndexAdd.apply(v, shape=(3, 5), index=(slice(None), slice(1, 3))), random_array((3, 2)))


def test_scatter_add_op_and_its_vjp():
    values_ = random_array((2, 3))
    index = np.array([[0, 2, 2], [1, 1, 0]])
    out = ScatterAdd.apply(ag.tensor(values_), shape=(2, 4), dim=1, index=index)
    expected = np.zeros((2, 4))
    for i in range(2):
        for j in range(3):
            expected[i, index[i, j]] += values_[i, j]
    np.testing.assert_allclose(values(out), expected)
    check_gradients(lambda v: ScatterAdd.apply(v, shape=(2, 4), dim=1, index=index), values_)


# -- gather ---------------------------------------------------------------------------------
def _gather_reference(x, dim, index):
    out = np.empty(index.shape)
    for position in np.ndindex(index.shape):
        source = list(position)
        source[dim] = index[position]
        out[position] = x[tuple(source)]
    return out


@pytest.mark.parametrize("shape, dim, index", [
    ((3, 4), 1, [[0, 0], [3, 1], [2, 2]]),
    ((3, 4), 0, [[2, 1, 0, 0]]),
    ((3, 4), -1, [[1], [0]]),                      # smaller than the input in dim 0
    ((2, 3, 2), 1, [[[0, 1], [2, 2], [1, 1], [0, 0]]] * 2),  # index larger along dim
    ((5,), 0, [4, 4, 0]),
])
def test_gather(shape, dim, index):
    x = random_array(shape)
    index = np.array(index)
    out = ag.gather(ag.tensor(x), dim, ag.tensor(index))
    np.testing.assert_array_equal(values(out), _gather_reference(x, dim % len(shape), index))
    check_gradients(lambda t: t.gather(dim, index), x)


def test_gather_0d_and_second_derivative():
    assert ag.gather(ag.tensor(2.0), 0, ag.tensor(0)).item() == 2.0
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ag.float64, requires_grad=True)
    index = np.array([[1, 1], [0, 1]])
    (g,) = ag.grad((x.gather(1, index) ** 2).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [[0, 8.0], [6.0, 8.0]])
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [[0, 4.0], [2.0, 2.0]])


def test_gather_errors():
    x = ag.zeros(3, 4)
    with pytest.raises(IndexError, match="gather\\(\\): index 4 is out of bounds for dimension 1 with size 4"):
        x.gather(1, ag.tensor([[4]]))
    with pytest.raises(IndexError, match="index -1 is out of bounds"):
        x.gather(1, ag.tensor([[-1]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(1, ag.tensor([1]))
    with pytest.raises(RuntimeError, match="must not exceed"):
        x.gather(1, ag.zeros(4, 1, dtype=ag.int64))
    with pytest.raises(RuntimeError, match="expected an integer"):
        x.gather(1, ag.zeros(3, 1))
    with pytest.raises(IndexError, match="gather\\(\\): dimension out of range"):
        x.gather(2, ag.zeros(3, 1, dtype=ag.int64))


# -- index_select ------------------------------------------------------------------------
@pytest.mark.parametrize("shape, dim, index", [
    ((4, 3), 0, [3, 0, 3]), ((4, 3), 1, [2]), ((4, 3), -1, [0, 0, 0, 1]), ((2, 3, 4), 2, []), ((4,), 0, 2),
])
def test_index_select(shape, dim, index):
    x = random_array(shape)
    index = np.array(index, dtype=np.int64)
    out = ag.tensor(x).index_select(dim, ag.tensor(index))
    np.testing.assert_array_equal(values(out), np.take(x, index.reshape(-1), axis=dim))
    check_gradients(lambda t: ag.index_select(t, dim, index), x)


def test_index_select_0d_and_errors():
    assert ag.index_select(ag.tensor(3.0), 0, ag.tensor([0, 0])).tolist() == [3.0, 3.0]
    with pytest.raises(IndexError, match="index_select\\(\\): index 4 is out of bounds for dimension 0 with size 4"):
        ag.zeros(4, 2).index_select(0, ag.tensor([4]))
    with pytest.raises(IndexError, match="index -1 is out of bounds"):
        ag.zeros(4, 2).index_select(0, ag.tensor([-1]))
    with pytest.raises(IndexError, match="0-d or 1-d"):
        ag.zeros(4, 2).index_select(0, ag.tensor([[0]]))


# -- masked_fill ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape, mask_shape", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (3, 1)), ((), ()), ((2, 3), ())])
def test_masked_fill(shape, mask_shape):
    x = random_array(shape)
    mask = random_array(mask_shape, seed=5) > 0
    out = ag.tensor(x).masked_fill(ag.tensor(mask), -7.5)
    np.testing.assert_array_equal(values(out), np.where(mask, -7.5, x))
    check_gradients(lambda t: ag.masked_fill(t, mask, 1.0) * t, x)


def test_masked_fill_gradient_zero_where_filled_and_value_tensor_gradient():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = ag.tensor(5.0, requires_grad=True)
    mask = ag.tensor([True, False, True])
    y = x.masked_fill(mask, v)
    np.testing.assert_array_equal(y.detach().numpy(), [5.0, 2.0, 5.0])
    (y * ag.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0])
    assert v.grad.item() == 4.0


def test_masked_fill_gradient_is_zero_not_nan_under_inf():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.masked_fill(ag.tensor([True, False]), 0.0)
    y.backward(gradient=ag.tensor([np.inf, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


def test_masked_fill_keeps_dtype_and_errors():
    assert ag.zeros(2, dtype=ag.float32).masked_fill(ag.tensor([True, False]), ag.tensor(1.0, dtype=ag.float64)).dtype == np.float32
    with pytest.raises(RuntimeError, match="boolean masks"):
        ag.zeros(2).masked_fill(ag.tensor([1, 0]), 1.0)
    with pytest.raises(RuntimeError, match=r"mask of shape \(3,\) must be broadcastable to the input's shape \(2,\)"):
        ag.zeros(2).masked_fill(ag.tensor([True, False, True]), 1.0)
    with pytest.raises(RuntimeError, match=r"mask of shape \(2, 2\) must be broadcastable"):
        ag.zeros(2).masked_fill(ag.ones(2, 2, dtype=ag.bool), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        ag.zeros(2).masked_fill(ag.tensor([True, False]), ag.zeros(2))


# -- index_put -----------------------------------------------------------------------------
@pytest.mark.parametrize("index, values_shape", [
    (1, (5,)), ((slice(None), 2), (4,)), ((slice(None), 2), ()), ([0, 3], (2, 5)), ([0, 3], (1, 5)),
    (np.array([[True, False, True, False, True]] * 4), (12,)), ((Ellipsis, slice(1, 3)), (4, 2)),
])
def test_index_put(index, values_shape):
    x, v = random_array((4, 5)), random_array(values_shape, seed=9)
    expected = x.copy()
    expected[index] = v
    out = ag.index_put(ag.tensor(x), index, ag.tensor(v))
    np.testing.assert_array_equal(values(out), expected)
    check_gradients(lambda t, w: ag.index_put(t * 1.0, index, w) * t, x, v)


def test_index_put_accumulate_and_does_not_change_input():
    x = ag.zeros(3)
    out = ag.index_put(x, ag.tensor([0, 0, 2]), ag.tensor([1.0, 2.0, 3.0]), accumulate=True)
    np.testing.assert_array_equal(values(out), [3.0, 0.0, 3.0])
    np.testing.assert_array_equal(values(x), [0.0, 0.0, 0.0])
    check_gradients(lambda t, w: ag.index_put(t, [0, 0, 2], w, accumulate=True) ** 2, random_array(3), random_array(3, 1))


def test_index_put_scalar_value_casts_and_second_derivative():
    out = ag.index_put(ag.zeros(3, dtype=ag.float32), [1], ag.tensor(2.0, dtype=ag.float64))
    assert out.dtype == np.float32
    x = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    v = ag.tensor(2.0, dtype=ag.float64, requires_grad=True)
    y = ag.index_put(x * x, 1, v * v)            # [x0^2, v^2, x2^2]
    gx, gv = ag.grad((y ** 2).sum(), (x, v), create_graph=True)   # 4 x^3 off index 1, 4 v^3
    np.testing.assert_allclose(gx.detach().numpy(), [4.0, 0.0, 108.0])
    assert gv.item() == 32.0
    hx, hv = ag.grad(gx.sum() + gv, (x, v))
    np.testing.assert_allclose(hx.numpy(), [12.0, 0.0, 108.0])
    assert hv.item() == 48.0


def test_index_put_errors():
    with pytest.raises(RuntimeError, match="index_put: .*could not be broadcast"):
        ag.index_put(ag.zeros(3), [0, 1], ag.zeros(3))
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        ag.index_put(ag.zeros(3), 3, 1.0)


# -- second derivatives (create_graph through every VJP of this family) ------------------------
SECOND_ORDER_CASES = [
    ("getitem ints/slices", lambda a: (a * a)[1:, 0], [(3, 2)]),
    ("getitem repeated", lambda a: (a * a)[[0, 2, 0]], [(3, 2)]),
    ("getitem mask", lambda a: (a * a)[np.array([[True, False], [False, True], [True, True]])], [(3, 2)]),
    ("gather", lambda a: (a * a).gather(1, np.array([[1, 1], [0, 1], [0, 0]])), [(3, 2)]),
    ("index_select", lambda a: ag.index_select(a * a, 0, np.array([2, 2, 1])), [(3, 2)]),
    ("masked_fill", lambda a, v: (a * a).masked_fill(np.array([True, False]), v * v), [(3, 2), ()]),
    ("index_put", lambda a, v: ag.index_put(a * a, (slice(None), 1), v * v), [(3, 2), (3,)]),
    ("index_put accumulate", lambda a, v: ag.index_put(a * a, [0, 0], v * a[0], accumulate=True), [(3, 2), (2,)]),
]


@pytest.mark.parametrize("name, fn, shapes", SECOND_ORDER_CASES, ids=[c[0] for c in SECOND_ORDER_CASES])
def test_second_derivatives(name, fn, shapes):
    inputs = [ag.tensor(random_array(s, seed=i), requires_grad=True) for i, s in enumerate(shapes)]
    assert ag.gradgradcheck(fn, inputs)
