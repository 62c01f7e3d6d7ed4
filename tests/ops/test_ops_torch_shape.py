"""Shape, indexing and linalg ops against torch: values, gradients and dtypes on random inputs."""
import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402

import autograd_core as ag  # noqa: E402


def run_both(fn_ag, fn_torch, *arrays, dtype=np.float64, seed=0):
    """Apply both functions, backprop sum(w * out) (tuple outputs: each its own w), return everything."""
    arrays = [np.asarray(a, dtype=dtype) for a in arrays]
    ours = [ag.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_ours, out_theirs = fn_ag(*ours), fn_torch(*theirs)
    if not isinstance(out_ours, tuple):
        out_ours, out_theirs = (out_ours,), (out_theirs,)
    rng = np.random.default_rng(seed)
    loss_ours = loss_theirs = 0
    for a, b in zip(out_ours, out_theirs):
        assert a.shape == tuple(b.shape)
        assert str(a.dtype) == str(b.dtype).replace("torch.", "")
        w = rng.uniform(0.5, 1.5, size=a.shape).astype(dtype)
        loss_ours = loss_ours + (a * ag.tensor(w)).sum()
        loss_theirs = loss_theirs + (b * torch.tensor(w)).sum()
    loss_ours.backward()
    loss_theirs.backward()
    return out_ours, out_theirs, ours, theirs


def assert_match(fn_ag, fn_torch, *arrays, dtype=np.float64, rtol=1e-10, atol=1e-12):
    out_ours, out_theirs, ours, theirs = run_both(fn_ag, fn_torch, *arrays, dtype=dtype)
    for a, b in zip(out_ours, out_theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)
    for position, (a, b) in enumerate(zip(ours, theirs)):
        expected = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        actual = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
        if a.grad is not None:
            assert a.grad.dtype == b.grad.dtype.__str__().replace("torch.", "")
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=f"gradient of input {position}")


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- shape ---------------------------------------------------------------------------------
SHAPE_CASES = [
    ("flatten", lambda x: x.flatten(1), (2, 3, 4)),
    ("flatten 0-d", lambda x: x.flatten(), ()),
    ("squeeze all", lambda x: x.squeeze(), (1, 3, 1)),
    ("squeeze tuple", lambda x: x.squeeze((0, 1)), (1, 3, 1)),
    ("unsqueeze", lambda x: x.unsqueeze(-2), (2, 3)),
    ("reshape -1", lambda x: x.reshape(-1, 2), (2, 3, 2)),
    ("view", lambda x: x.view(3, 4), (2, 6)),
    ("transpose", lambda x: x.transpose(0, -1), (2, 3, 4)),
    ("permute", lambda x: x.permute(1, 2, 0), (2, 3, 4)),
    ("movedim", lambda x: x.movedim((0, 1), (2, 0)), (2, 3, 4)),
    ("expand", lambda x: x.expand(2, -1, 4), (3, 1)),
    ("T", lambda x: x.T, (2, 3)),
]


@pytest.mark.parametrize("name, fn, shape", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_shape_ops_match_torch(name, fn, shape):
    assert_match(fn, fn, rand(*shape))


def test_cat_stack_split_chunk_unbind_match_torch():
    a, b, c = rand(2, 3), rand(2, 1, seed=1), rand(2, 2, seed=2)
    assert_match(lambda *t: ag.cat(t, 1), lambda *t: torch.cat(t, 1), a, b, c)
    assert_match(lambda *t: ag.stack(t, -1), lambda *t: torch.stack(t, -1), a, rand(2, 3, seed=3))
    x = rand(7, 3)
    assert_match(lambda t: t.split(3), lambda t: t.split(3), x)
    assert_match(lambda t: t.split([1, 2], 1), lambda t: t.split([1, 2], 1), x)
    assert_match(lambda t: t.chunk(3), lambda t: t.chunk(3), x)
    assert_match(lambda t: t.unbind(1), lambda t: t.unbind(1), x)
    assert_match(lambda t: t.split(3)[1] * 2, lambda t: t.split(3)[1] * 2, x)   # unused pieces
    for size in range(0, 9):
        for chunks in range(1, 6):
            ours = [p.shape for p in ag.zeros(size).chunk(chunks)]
            theirs = [tuple(p.shape) for p in torch.zeros(size).chunk(chunks)]
            assert ours == theirs, (size, chunks)


@pytest.mark.parametrize("shape, pad, mode", [
    ((2, 3), (1, 2), "constant"), ((2, 3), (1, 1, -1, 0), "constant"), ((2, 3, 4), (0, -2, 2, 1), "constant"),
    ((2, 5), (2, 3), "reflect"), ((1, 3, 4), (1, 2, 2, 0), "reflect"), ((2, 5), (2, 3), "replicate"),
    ((1, 3, 4), (3, 1, 0, 2), "replicate"), ((2, 5), (2, 3), "circular"), ((1, 2, 3, 4), (1, 2, 2, 0), "circular"),
])
def test_pad_matches_torch(shape, pad, mode):
    value = 0.5 if mode == "constant" else None
    assert_match(lambda t: ag.pad(t, pad, mode=mode, value=value),
                 lambda t: torch.nn.functional.pad(t, pad, mode=mode, value=value), rand(*shape))


# -- indexing ----------------------------------------------------------------------------------
X = rand(4, 3, 5)
INDEXES = [
    1, -2, (2, 0), (1, 2, 3), slice(1, 3), (slice(None), slice(None, None, 2)), (None, 0, None),
    (Ellipsis, 2), (0, Ellipsis, 1), [0, 2], [1, 1, 3, 1], (np.array([0, 3, 0]), slice(None), np.array([4, 4, 1])),
    (slice(None), 1, [4, 4]), np.array([[0, 1], [1, 1]]), np.array([True, False, True, True]), X > 0.5,
    (slice(None), np.array([True, True, False]), slice(0, 2)), (slice(None), [2, 0]),
]


def _for_torch(index):
    items = index if isinstance(index, tuple) else (index,)
    converted = tuple(torch.tensor(i) if isinstance(i, (np.ndarray, list)) else i for i in items)
    return converted if isinstance(index, tuple) else converted[0]


@pytest.mark.parametrize("index", INDEXES, ids=[str(i)[:40] for i in range(len(INDEXES))])
def test_getitem_matches_torch(index):
    assert_match(lambda t: t[index], lambda t: t[_for_torch(index)], X)


def test_getitem_with_tensor_indices_matches_torch():
    idx = np.array([3, 0, 3, 3])
    assert_match(lambda t: t[ag.tensor(idx)], lambda t: t[torch.tensor(idx)], X)
    assert_match(lambda t: t[t > 0], lambda t: t[t > 0], X)
    assert_match(lambda t: t[:, ag.tensor([True, False, True])], lambda t: t[:, torch.tensor([True, False, True])], X)


def test_index_ops_match_torch():
    x = rand(4, 5)
    index = np.array([[0, 4, 4], [1, 1, 0], [3, 2, 2]])
    assert_match(lambda t: t.gather(1, ag.tensor(index)), lambda t: t.gather(1, torch.tensor(index)), x)
    assert_match(lambda t: t.gather(0, ag.tensor(index % 4)), lambda t: t.gather(0, torch.tensor(index % 4)), x)
    sel = np.array([3, 0, 3])
    assert_match(lambda t: t.index_select(0, ag.tensor(sel)), lambda t: t.index_select(0, torch.tensor(sel)), x)
    assert_match(lambda t: t.index_select(-1, ag.tensor(sel)), lambda t: t.index_select(-1, torch.tensor(sel)), x)
    mask = x > 0.3
    assert_match(lambda t: t.masked_fill(ag.tensor(mask), -2.0) * t,
                 lambda t: t.masked_fill(torch.tensor(mask), -2.0) * t, x)
    assert_match(lambda t, v: t.masked_fill(ag.tensor(mask[0]), v),
                 lambda t, v: t.masked_fill(torch.tensor(mask[0]), v), x, np.array(1.5))


def _torch_index_put(t, index, v, accumulate=False):
    return t.index_put(index, v, accumulate=accumulate)


def test_index_put_matches_torch():
    x, v = rand(4, 5), rand(2, 5, seed=1)
    rows = np.array([3, 0])
    assert_match(lambda t, w: ag.index_put(t * t, ag.tensor(rows), w) * t,
                 lambda t, w: _torch_index_put(t * t, (torch.tensor(rows),), w) * t, x, v)
    cols = np.array([1, 1, 4])
    assert_match(lambda t, w: ag.index_put(t, (slice(None), ag.tensor(cols)), w, accumulate=True),
                 lambda t, w: _torch_index_put(t, (torch.arange(4)[:, None], torch.tensor(cols)), w, True),
                 x, rand(4, 3, seed=2))
    mask = x > 0
    assert_match(lambda t, w: ag.index_put(t, ag.tensor(mask), w),
                 lambda t, w: _torch_index_put(t, (torch.tensor(mask),), w), x, np.array(2.5))


# -- linalg ------------------------------------------------------------------------------------
MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
    ((5, 1, 2, 3), (4, 3, 2)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)),
]


@pytest.mark.parametrize("a_shape, b_shape", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matmul_matches_torch(a_shape, b_shape, dtype):
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else {}
    assert_match(lambda a, b: a @ b, lambda a, b: a @ b, rand(*a_shape), rand(*b_shape, seed=1), dtype=dtype, **tol)


def test_mm_bmm_dot_outer_match_torch():
    assert_match(ag.mm, torch.mm, rand(2, 3), rand(3, 4, seed=1))
    assert_match(ag.bmm, torch.bmm, rand(3, 2, 3), rand(3, 3, 4, seed=1))
    assert_match(ag.dot, torch.dot, rand(5), rand(5, seed=1))
    assert_match(ag.outer, torch.outer, rand(3), rand(4, seed=1))


@pytest.mark.parametrize("x_shape", [(8, 3), (3,), (2, 5, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_matches_torch(x_shape, dtype):
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else {}
    assert_match(ag.linear, torch.nn.functional.linear, rand(*x_shape), rand(4, 3, seed=1), rand(4, seed=2),
                 dtype=dtype, **tol)
    assert_match(lambda x, w: ag.linear(x, w), torch.nn.functional.linear, rand(*x_shape), rand(4, 3, seed=1),
                 dtype=dtype, **tol)


def test_second_derivatives_match_torch():
    a, b = rand(2, 3), rand(3, 4, seed=1)
    ours = [ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)]
    theirs = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    results = []
    for (x, y), grad in ((ours, ag.grad), (theirs, torch.autograd.grad)):
        z = (x @ y)[[0, 1, 1]].tanh()
        gx, gy = grad(z.sum(), (x, y), create_graph=True)
        hx, hy = grad((gx * gx).sum() + gy.sum(), (x, y))
        results.append([np.asarray(h.detach().numpy()) for h in (gx, gy, hx, hy)])
    for ours_, theirs_ in zip(*results):
        np.testing.assert_allclose(ours_, theirs_, rtol=1e-10, atol=1e-12)
