"""Creation functions: shapes as ints or a tuple, dtype=, requires_grad=, and seeded randomness."""
import numpy as np
import pytest

import autograd_core as ag

FILLED = [
    (ag.zeros, 0.0),
    (ag.ones, 1.0),
]


@pytest.mark.parametrize("make,value", FILLED)
@pytest.mark.parametrize("size,shape", [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), (((2, 3),), (2, 3)),
                                        (([4, 1],), (4, 1)), ((0,), (0,))])
def test_zeros_ones_shapes(make, value, size, shape):
    t = make(*size)
    assert t.shape == shape and t.dtype == np.float32
    assert t.is_leaf and not t.requires_grad
    np.testing.assert_array_equal(t.numpy(), np.full(shape, value))


@pytest.mark.parametrize("make", [ag.zeros, ag.ones, ag.empty, ag.randn, ag.rand])
def test_dtype_and_requires_grad(make):
    t = make(2, 3, dtype=ag.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf and t.shape == (2, 3)
    (t * 2).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.full((2, 3), 2.0))


def test_integer_dtypes_for_zeros_and_ones():
    assert ag.zeros(2, dtype=ag.int64).dtype == np.int64
    assert ag.ones(2, dtype=ag.bool).numpy().tolist() == [True, True]


def test_full_infers_dtype_like_torch():
    assert ag.full((2, 2), 1.5).dtype == np.float32
    assert ag.full((2,), 3).dtype == np.int64
    assert ag.full((2,), True).dtype == np.bool_
    assert ag.full([2, 3], 7.0, dtype=ag.float64).dtype == np.float64
    np.testing.assert_array_equal(ag.full((2, 3), 7.0).numpy(), np.full((2, 3), 7.0))
    assert ag.full((3,), 2.0, requires_grad=True).requires_grad


def test_like_functions_keep_shape_and_dtype_but_not_history():
    x = ag.ones(2, 3, dtype=ag.float64, requires_grad=True) * 2
    for make, value in ((ag.zeros_like, 0.0), (ag.ones_like, 1.0), (lambda t: ag.full_like(t, 4.0), 4.0)):
        y = make(x)
        assert y.shape == (2, 3) and y.dtype == np.float64 and not y.requires_grad and y.is_leaf
        np.testing.assert_array_equal(y.numpy(), np.full((2, 3), value))
    assert ag.empty_like(x).shape == (2, 3)
    assert ag.zeros_like(x, dtype=ag.int64).dtype == np.int64
    assert ag.ones_like(x, requires_grad=True).requires_grad
    assert ag.rand_like(x).dtype == np.float64 and ag.randn_like(x).shape == (2, 3)


@pytest.mark.parametrize("args,kwargs,expected", [
    ((5,), {}, np.arange(5)),
    ((2, 7), {}, np.arange(2, 7)),
    ((10, 0, -3), {}, np.array([10, 7, 4, 1])),
    ((0, 1, 0.25), {}, np.array([0, 0.25, 0.5, 0.75])),
    ((-1.0, 1.0, 0.1), {}, np.arange(20) * 0.1 - 1.0),  # 20 elements, as torch
    ((0, 1, 0.1), {}, np.arange(10) * 0.1),              # 10 elements, as torch
    ((3,), {"dtype": ag.float64}, np.arange(3.0)),
    ((5, 2), {}, np.arange(0)),
])
def test_arange(args, kwargs, expected):
    t = ag.arange(*args, **kwargs)
    all_ints = all(isinstance(a, int) for a in args) and "dtype" not in kwargs
    assert t.dtype == (np.int64 if all_ints else kwargs.get("dtype", np.float32))
    assert t.shape == expected.shape
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6, atol=1e-7)


def test_linspace_and_eye():
    t = ag.linspace(0, 1, 5)
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.numpy(), [0, 0.25, 0.5, 0.75, 1.0])
    assert ag.linspace(-1, 1, 3, dtype=ag.float64).dtype == np.float64
    e = ag.eye(3)
    assert e.dtype == np.float32
    np.testing.assert_array_equal(e.numpy(), np.eye(3))
    np.testing.assert_array_equal(ag.eye(2, 3).numpy(), np.eye(2, 3))


def test_tensor_and_as_tensor():
    nested = ag.tensor([[1, 2], [3, 4]])
    assert nested.shape == (2, 2) and nested.dtype == np.int64
    mixed = ag.tensor([ag.tensor(1.0), 2.0])
    np.testing.assert_array_equal(mixed.numpy(), [1.0, 2.0])
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    copy = ag.tensor(x)
    assert copy.is_leaf and not copy.requires_grad
    assert not np.shares_memory(copy.numpy(), x.detach().numpy())
    array = np.ones(3, np.float32)
    assert np.shares_memory(ag.as_tensor(array).numpy(), array)


# ---------------------------------------------------------------------------
# random
# ---------------------------------------------------------------------------
def test_random_shapes_ranges_and_dtypes():
    ag.manual_seed(0)
    r = ag.rand(1000)
    assert r.dtype == np.float32 and 0 <= r.numpy().min() and r.numpy().max() < 1
    n = ag.randn((200, 5))
    assert n.shape == (200, 5) and abs(float(n.numpy().mean())) < 0.1
    i = ag.randint(3, 7, (1000,))
    assert i.dtype == np.int64 and set(np.unique(i.numpy())) == {3, 4, 5, 6}
    j = ag.randint(4, (2, 3))
    assert j.shape == (2, 3) and j.numpy().min() >= 0 and j.numpy().max() < 4
    p = ag.randperm(6)
    assert sorted(p.tolist()) == list(range(6)) and p.dtype == np.int64
    assert ag.normal(2.0, 0.5, (3,)).shape == (3,)


@pytest.mark.parametrize("draw", [
    lambda: ag.randn(4, 3), lambda: ag.rand(5), lambda: ag.randint(0, 100, (6,)), lambda: ag.randperm(8),
    lambda: ag.normal(0.0, 1.0, (3,)), lambda: ag.empty(4).uniform_(), lambda: ag.randn_like(ag.zeros(2)),
])
def test_manual_seed_reproduces_every_draw(draw):
    ag.manual_seed(1234)
    first = [draw().numpy().copy() for _ in range(2)]
    ag.manual_seed(1234)
    second = [draw().numpy().copy() for _ in range(2)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # the stream moves on between draws


def test_different_seeds_differ():
    ag.manual_seed(1)
    a = ag.randn(10).numpy()
    ag.manual_seed(2)
    assert not np.array_equal(a, ag.randn(10).numpy())


def test_rng_state_round_trip():
    ag.manual_seed(5)
    from autograd_core import random

    state = random.get_rng_state()
    a = ag.rand(3).numpy()
    random.set_rng_state(state)
    np.testing.assert_array_equal(ag.rand(3).numpy(), a)


def test_random_needs_a_float_dtype():
    with pytest.raises(TypeError, match="random floats need a float dtype, got int64"):
        ag.randn(2, dtype=ag.int64)
    with pytest.raises(TypeError, match="randint: size is required"):
        ag.randint(5)
    with pytest.raises(ValueError, match="randint: expected low < high, got low=3 and high=3"):
        ag.randint(3, 3, (2,))


def test_randint_size_may_be_an_int():
    assert ag.randint(0, 10, 5).shape == (5,)
