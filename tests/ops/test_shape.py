"""Shape ops: values against numpy, gradients against finite differences, errors."""
import numpy as np
import pytest

import autograd_core as ag
from helpers import check_gradients, random_array


def values(t):
    return np.asarray(t.detach().numpy())


# -- reshape family -----------------------------------------------------------------
@pytest.mark.parametrize("shape, target", [
    ((2, 3), (3, 2)), ((2, 3), (-1,)), ((2, 3, 4), (4, -1)), ((), (1, 1)), ((1,), ()), ((6,), (2, 1, 3)),
])
def test_reshape_values_and_gradients(shape, target):
    x = random_array(shape)
    np.testing.assert_array_equal(values(ag.tensor(x).reshape(target)), x.reshape(target))
    np.testing.assert_array_equal(values(ag.tensor(x).view(*target)), x.reshape(target))
    check_gradients(lambda t: t.reshape(target) * 2.0, x)


def test_reshape_bad_shape_raises():
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 2\] is invalid for input of size 6"):
        ag.zeros(2, 3).reshape(4, 2)


def test_reshape_as_view_as_expand_as():
    x, other = ag.tensor(random_array((2, 3))), ag.zeros(3, 2)
    assert x.reshape_as(other).shape == (3, 2)
    assert x.view_as(other).shape == (3, 2)
    assert ag.ones(1, 3).expand_as(ag.zeros(4, 3)).shape == (4, 3)


@pytest.mark.parametrize("shape, start, end, expected", [
    ((2, 3, 4), 0, -1, (24,)), ((2, 3, 4), 1, -1, (2, 12)), ((2, 3, 4), 0, 1, (6, 4)),
    ((2, 3, 4), -2, -2, (2, 3, 4)), ((), 0, -1, (1,)), ((5,), 0, 0, (5,)), ((2, 0, 3), 1, 2, (2, 0)),
])
def test_flatten(shape, start, end, expected):
    x = np.zeros(shape)
    assert ag.tensor(x).flatten(start, end).shape == expected
    assert ag.flatten(ag.tensor(x), start_dim=start, end_dim=end).shape == expected


def test_flatten_gradient_and_errors():
    check_gradients(lambda t: t.flatten(1), random_array((2, 3, 2)))
    with pytest.raises(RuntimeError, match="start_dim"):
        ag.zeros(2, 3, 4).flatten(2, 1)
    with pytest.raises(IndexError, match="flatten: dimension out of range"):
        ag.zeros(2, 3).flatten(0, 5)


@pytest.mark.parametrize("shape, dim, expected", [
    ((1, 3, 1), None, (3,)), ((1, 3, 1), 0, (3, 1)), ((1, 3, 1), -1, (1, 3)), ((1, 3, 1), 1, (1, 3, 1)),
    ((1, 3, 1), (0, 2), (3,)), ((1, 3, 1), (0, 1), (3, 1)), ((), None, ()), ((), 0, ()), ((1,), None, ()),
])
def test_squeeze(shape, dim, expected):
    x = ag.zeros(shape)
    assert (x.squeeze() if dim is None else x.squeeze(dim)).shape == expected


def test_squeeze_unsqueeze_gradients_and_errors():
    check_gradients(lambda t: t.squeeze(0) * 3.0, random_array((1, 3, 1)))
    check_gradients(lambda t: t.unsqueeze(-1) * t.unsqueeze(0), random_array((3,)))
    with pytest.raises(IndexError, match="squeeze: dimension out of range"):
        ag.zeros(1, 3).squeeze(2)
    with pytest.raises(IndexError, match=r"unsqueeze: dimension out of range \(expected to be in range of \[-3, 2\]"):
        ag.zeros(1, 3).unsqueeze(3)


@pytest.mark.parametrize("shape, dim, expected", [
    ((2, 3), 0, (1, 2, 3)), ((2, 3), 2, (2, 3, 1)), ((2, 3), -1, (2, 3, 1)), ((2, 3), -3, (1, 2, 3)), ((), 0, (1,)),
])
def test_unsqueeze(shape, dim, expected):
    assert ag.zeros(shape).unsqueeze(dim).shape == expected


# -- permutations ----------------------------------------------------------------------
def test_transpose_permute_swapaxes_movedim_values():
    x = random_array((2, 3, 4))
    t = ag.tensor(x)
    np.testing.assert_array_equal(values(t.transpose(0, 2)), x.transpose(2, 1, 0))
    np.testing.assert_array_equal(values(t.transpose(-1, -2)), np.swapaxes(x, -1, -2))
    np.testing.assert_array_equal(values(t.permute(1, 2, 0)), x.transpose(1, 2, 0))
    np.testing.assert_array_equal(values(t.permute((2, 0, 1))), x.transpose(2, 0, 1))
    np.testing.assert_array_equal(values(t.swapaxes(0, 1)), np.swapaxes(x, 0, 1))
    np.testing.assert_array_equal(values(ag.movedim(t, 0, -1)), np.moveaxis(x, 0, -1))
    np.testing.assert_array_equal(values(t.movedim((0, 1), (2, 0))), np.moveaxis(x, (0, 1), (2, 0)))
    np.testing.assert_array_equal(values(t.T), x.T)
    assert ag.zeros(3).transpose(0, -1).shape == (3,)


def test_permutation_gradients():
    x = random_array((2, 3, 4))
    check_gradients(lambda t: t.permute(2, 0, 1), x)
    check_gradients(lambda t: t.transpose(0, 1) * t.transpose(0, 1), random_array((2, 3)))
    check_gradients(lambda t: ag.movedim(t, (0, 2), (1, 0)), x)


def test_permute_errors():
    with pytest.raises(RuntimeError, match="permute: dims"):
        ag.zeros(2, 3).permute(0, 0)
    with pytest.raises(IndexError, match="transpose: dimension out of range"):
        ag.zeros(2, 3).transpose(0, 2)
    with pytest.raises(RuntimeError, match="movedim"):
        ag.movedim(ag.zeros(2, 3), (0, 1), 0)


# -- expand / broadcast_to ------------------------------------------------------------
def test_expand_and_broadcast_to():
    x = random_array((3, 1))
    np.testing.assert_array_equal(values(ag.tensor(x).expand(2, 3, 4)), np.broadcast_to(x, (2, 3, 4)))
    assert ag.tensor(x).expand(-1, 5).shape == (3, 5)
    assert ag.broadcast_to(ag.tensor(x), (2, 3, 4)).shape == (2, 3, 4)
    assert ag.tensor(x).broadcast_to((3, 2)).shape == (3, 2)
    check_gradients(lambda t: t.expand(2, 3, 4), x)
    check_gradients(lambda t: ag.broadcast_to(t, (4, 3, 2)), x)
    check_gradients(lambda t: t.expand(2, 3), random_array(()))
    with pytest.raises(RuntimeError, match=r"expand: cannot expand shape \(3, 1\) to \(4, 2\)"):
        ag.tensor(x).expand(4, 2)


# -- cat / stack ------------------------------------------------------------------------
@pytest.mark.parametrize("shapes, dim", [
    ([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 2)], 1), ([(2, 3), (2, 3)], -1), ([(3,)], 0),
    ([(1, 2, 2), (1, 2, 3)], 2), ([(2, 0), (2, 3)], 1),
])
def test_cat(shapes, dim):
    arrays = [random_array(s, seed=i) for i, s in enumerate(shapes)]
    out = ag.cat([ag.tensor(a) for a in arrays], dim=dim)
    np.testing.assert_array_equal(values(out), np.concatenate(arrays, axis=dim))
    check_gradients(lambda *ts: ag.cat(list(ts), dim) * 2.0, *arrays)


def test_cat_same_tensor_twice_accumulates():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (ag.cat([x, x * 3.0, x]) * ag.tensor([1.0, 1.0, 1.0, 1.0, 1.0, 1.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_cat_skips_legacy_empty_and_promotes():
    out = ag.cat([ag.zeros(2, 3), ag.zeros(0), ag.ones(1, 3)])
    assert out.shape == (3, 3)
    assert ag.cat([ag.zeros(2, dtype=ag.float32), ag.zeros(2, dtype=ag.float64)]).dtype == np.float64
    assert ag.cat([ag.zeros(2, dtype=ag.int64), ag.zeros(2, dtype=ag.float32)]).dtype == np.float32
    x = ag.zeros(2, 3, requires_grad=True)
    e = ag.zeros(0, requires_grad=True)
    ag.cat([x, e]).sum().backward()
    assert e.grad.shape == (0,) and np.all(x.grad.numpy() == 1)


def test_cat_errors():
    with pytest.raises(RuntimeError, match=r"cat: sizes of tensors must match except in dimension 0.*\(2, 3\) and \(2, 2\)"):
        ag.cat([ag.zeros(2, 3), ag.zeros(2, 2)])
    with pytest.raises(RuntimeError, match="cat: sizes"):
        ag.cat([ag.zeros(2, 3), ag.zeros(1, 3)], dim=1)
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        ag.cat([ag.zeros(()), ag.zeros(())])
    with pytest.raises(RuntimeError, match="non-empty"):
        ag.cat([])
    with pytest.raises(TypeError, match="list or tuple"):
        ag.cat(ag.zeros(2, 3))
    with pytest.raises(IndexError, match="cat: dimension out of range"):
        ag.cat([ag.zeros(2, 3)], dim=2)


@pytest.mark.parametrize("shape, dim", [((2, 3), 0), ((2, 3), 1), ((2, 3), 2), ((2, 3), -1), ((), 0), ((1,), -2)])
def test_stack(shape, dim):
    arrays = [random_array(shape, seed=i) for i in range(3)]
    out = ag.stack([ag.tensor(a) for a in arrays], dim)
    np.testing.assert_array_equal(values(out), np.stack(arrays, axis=dim))
    check_gradients(lambda *ts: ag.stack(ts, dim), *arrays)


def test_stack_errors():
    with pytest.raises(RuntimeError, match=r"stack: expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1"):
        ag.stack([ag.zeros(2), ag.zeros(3)])
    with pytest.raises(IndexError, match="stack: dimension out of range"):
        ag.stack([ag.zeros(2), ag.zeros(2)], dim=2)


# -- split / chunk / unbind ---------------------------------------------------------------
@pytest.mark.parametrize("size, split, expected", [
    (5, 2, [2, 2, 1]), (6, 3, [3, 3]), (4, 10, [4]), (0, 3, [0]), (5, [1, 4], [1, 4]), (5, [0, 5, 0], [0, 5, 0]),
])
def test_split_sizes(size, split, expected):
    x = random_array((3, size))
    pieces = ag.tensor(x).split(split, dim=1)
    assert isinstance(pieces, tuple)
    assert [p.shape[1] for p in pieces] == expected
    np.testing.assert_array_equal(np.concatenate([values(p) for p in pieces], axis=1), x)


@pytest.mark.parametrize("size, chunks, expected", [
    (5, 3, [2, 2, 1]), (6, 4, [2, 2, 2]), (6, 3, [2, 2, 2]), (2, 5, [1, 1]), (0, 3, [0, 0, 0]),
])
def test_chunk_sizes_match_torch(size, chunks, expected):
    assert [p.shape[0] for p in ag.zeros(size).chunk(chunks)] == expected


def test_split_gradients_including_unused_pieces():
    x = random_array((5, 3))
    # Only some pieces used: the others get zero gradient (not an error).
    check_gradients(lambda t: t.split(2)[1] * 3.0, x)
    check_gradients(lambda t: t.split([1, 2], dim=-1)[1] * t.split([1, 2], dim=-1)[1], x)
    check_gradients(lambda t: ag.stack([c.sum(0) for c in t.chunk(3)]), x)


def test_unbind():
    x = random_array((3, 4))
    rows, cols = ag.tensor(x).unbind(), ag.unbind(ag.tensor(x), dim=-1)
    assert len(rows) == 3 and len(cols) == 4
    np.testing.assert_array_equal(values(cols[2]), x[:, 2])
    check_gradients(lambda t: t.unbind(1)[0] * t.unbind(1)[3], x)
    check_gradients(lambda t: ag.stack(t.unbind(0)[::-1], 1), x)


def test_split_pieces_are_views_and_share_versions():
    x = ag.tensor([1.0, 2.0, 3.0])
    first, _ = x.split([1, 2])
    assert np.shares_memory(first.numpy(), x.numpy())


def test_split_second_derivative():
    x = ag.tensor(random_array((4, 2)), requires_grad=True)
    a, b = x.split(2)
    (g,) = ag.grad((a * a * b).sum(), x, create_graph=True)
    (h,) = ag.grad((g * g).sum(), x)
    xv = x.detach().numpy()
    av, bv = xv[:2], xv[2:]
    # g = [2ab, a^2];  sum(g^2) = 4a^2 b^2 + a^4;  d/da = 8ab^2 + 4a^3, d/db = 8a^2 b
    np.testing.assert_allclose(h.numpy(), np.concatenate([8 * av * bv ** 2 + 4 * av ** 3, 8 * av ** 2 * bv]))


def test_split_errors():
    with pytest.raises(RuntimeError, match=r"split_sizes must be non-negative and sum exactly to 5"):
        ag.zeros(5).split([2, 2])
    with pytest.raises(RuntimeError, match="split_size must be a positive integer"):
        ag.zeros(5).split(0)
    with pytest.raises(RuntimeError, match="chunks must be greater than 0"):
        ag.zeros(5).chunk(0)
    with pytest.raises(RuntimeError, match="unbind: expected a tensor with at least one dimension"):
        ag.zeros(()).unbind()


# -- pad ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, pad", [
    ((3,), (1, 2)), ((2, 3), (1, 1, 2, 0)), ((2, 3), (0, 0, 1, 1)), ((2, 3), (-1, 1)), ((2, 3, 4), (-1, -2, 1, 0)),
    ((2, 3), ()), ((2, 3), (0, 0)), ((1, 1), (2, 2, 2, 2)),
])
def test_pad_constant(shape, pad):
    x = random_array(shape)
    widths = [(0, 0)] * len(shape)
    for i in range(len(pad) // 2):
        widths[len(shape) - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    expected = np.pad(x, [(max(b, 0), max(a, 0)) for b, a in widths], constant_values=1.5)
    expected = expected[tuple(slice(max(-b, 0), expected.shape[d] - max(-a, 0)) for d, (b, a) in enumerate(widths))]
    np.testing.assert_array_equal(values(ag.pad(ag.tensor(x), pad, value=1.5)), expected)
    check_gradients(lambda t: ag.pad(t, pad), x)


def test_pad_keeps_dtype_and_second_derivative():
    assert ag.pad(ag.zeros(2, dtype=ag.float32), (1, 1), value=2.5).dtype == np.float32
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    y = ag.pad(x * x * x, (1, -1))            # [0, x0^3]
    (g,) = ag.grad(y.sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 0.0])
    np.testing.assert_allclose(h.numpy(), [6.0, 0.0])


@pytest.mark.parametrize("mode, numpy_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
@pytest.mark.parametrize("shape, pad", [((2, 4), (2, 3)), ((1, 3, 4), (1, 2, 2, 0)), ((2, 3, 3), (0, 2, 1, 1))])
def test_pad_modes(mode, numpy_mode, shape, pad):
    x = random_array(shape)
    widths = [(0, 0)] * len(shape)
    for i in range(len(pad) // 2):
        widths[len(shape) - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    np.testing.assert_array_equal(values(ag.pad(ag.tensor(x), pad, mode=mode)), np.pad(x, widths, mode=numpy_mode))
    check_gradients(lambda t: ag.pad(t, pad, mode=mode), x)


def test_pad_errors():
    with pytest.raises(RuntimeError, match="divisible by 2"):
        ag.pad(ag.zeros(3), (1,))
    with pytest.raises(RuntimeError, match="padding length 4"):
        ag.pad(ag.zeros(3), (1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="negative size"):
        ag.pad(ag.zeros(3), (-2, -2))
    with pytest.raises(RuntimeError, match="too large"):
        ag.pad(ag.zeros(1, 3), (3, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="mode 'mirror'"):
        ag.pad(ag.zeros(1, 3), (1, 1), mode="mirror")


# -- second derivatives (create_graph through every VJP of this family) ------------------------
SECOND_ORDER_CASES = [
    ("cat", lambda a, b: ag.cat([a * a, b], 1), [(2, 3), (2, 2)]),
    ("stack", lambda a, b: ag.stack([a * b, a], -1), [(2, 3), (2, 3)]),
    ("split", lambda a: a.split([1, 2], 1)[1] * a.split(2)[1][:, :2], [(3, 3)]),
    ("unbind", lambda a: a.unbind(1)[0] * a.unbind(1)[2], [(3, 3)]),
    ("chunk", lambda a: a.chunk(2)[0] * a.chunk(2)[1], [(4, 2)]),
    ("pad constant", lambda a: ag.pad(a * a, (1, -1, 0, 2)), [(2, 3)]),
    ("pad reflect", lambda a: ag.pad(a * a, (2, 1), mode="reflect"), [(2, 4)]),
    ("pad circular", lambda a: ag.pad(a * a, (1, 2), mode="circular"), [(1, 3)]),
    ("reshape/permute/expand", lambda a: (a * a).reshape(3, 2).permute(1, 0).expand(2, 2, 3).flatten(), [(2, 3)]),
]


@pytest.mark.parametrize("name, fn, shapes", SECOND_ORDER_CASES, ids=[c[0] for c in SECOND_ORDER_CASES])
def test_second_derivatives(name, fn, shapes):
    inputs = [ag.tensor(random_array(s, seed=i), requires_grad=True) for i, s in enumerate(shapes)]
    assert ag.gradgradcheck(fn, inputs)


def test_cat_rejects_non_tensor_elements():
    with pytest.raises(TypeError, match="cat: expected Tensors, but element 1 is a list"):
        ag.cat([ag.zeros(2), [1.0, 2.0]])
    assert ag.zeros(1, 3, 1).squeeze(np.int64(0)).shape == (3, 1)
