"""The engine's speed shortcuts keep their promises.

* A leaf's ``.grad`` takes the VJP's fresh array as it is (no copy), but never an array
  that anything else can see: another leaf's gradient, the user's seed, a view.
* The outer-product shortcut of the plain-backward matmul (an inner dimension of 1)
  gives the same values and gradients as the general path; so does linear's small-batch
  product layout.
* Kernel dispatch takes the Numba kernels for arrays that Numba itself made.
* ``fused.add_scaled`` (optimizers' ``g + wd * p``) gives the op chain's values bit for bit on
  every layout, and records like the ops when a graph is being built.
"""
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.fused import add_scaled
from autograd_core.kernels import updates
from autograd_core.ops.op import Op
from helpers import check_gradients, random_array

_made = []


class _Fresh(Op):
    """y = 2x, whose VJP returns a fresh array and remembers it (weakly)."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        grad = np.multiply(g, 2)
        _made.append(weakref.ref(grad))
        return grad


def test_a_fresh_vjp_array_becomes_the_grad_without_a_copy():
    _made.clear()
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    _Fresh.apply(x).backward(ag.tensor([1.0, 1.0, 1.0]))
    assert _made[0]() is x.grad.numpy()


def test_linear_gradients_are_not_copied(monkeypatch):
    from autograd_core.ops.linalg import Linear

    original = Linear.backward
    made = []

    def recording_backward(ctx, g):
        grads = original(ctx, g)
        made.extend(None if grad is None else weakref.ref(grad) for grad in grads)
        return grads

    monkeypatch.setattr(Linear, "backward", staticmethod(recording_backward))
    x = ag.randn(4, 3)
    w = ag.randn(2, 3, requires_grad=True)
    b = ag.randn(2, requires_grad=True)
    ag.ops.linear(x, w, b).sum().backward()
    assert made[1]() is w.grad.numpy() and made[2]() is b.grad.numpy()


def test_a_gradient_shared_by_two_leaves_is_copied():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(ag.tensor([1.0, 1.0]))  # Add's VJP hands the same array to both
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.numpy()[0] = 100.0
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_the_seed_gradient_is_not_aliased():
    seed = ag.tensor([1.0, 2.0])
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    (a + 0.0).backward(seed)
    assert not np.shares_memory(a.grad.numpy(), seed.numpy())
    a.grad.zero_()
    np.testing.assert_array_equal(seed.numpy(), [1.0, 2.0])


def test_a_gradient_kept_by_a_hook_is_not_aliased():
    kept = []
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    y = a * 3.0
    y.register_hook(lambda g: kept.append(g))
    (y + 0.0).backward(ag.tensor([1.0, 1.0]))
    a.grad.zero_()
    np.testing.assert_array_equal(kept[0].numpy(), [1.0, 1.0])


def test_gradients_accumulate_across_backward_calls():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [6.0, 12.0])


def test_outer_product_matmul_values_and_gradients():
    a, b = random_array((5, 1)), random_array((1, 4), seed=1)
    np.testing.assert_allclose((ag.tensor(a) @ ag.tensor(b)).numpy(), a @ b)
    check_gradients(lambda x, y: x @ y, a, b)
    # a batch-1 linear layer: its weight gradient is an outer product
    check_gradients(lambda x, w, c: ag.ops.linear(x, w, c), random_array((1, 3)),
                    random_array((4, 3), seed=1), random_array((4,), seed=2))
    check_gradients(lambda x, w: x @ w.T, random_array((1, 3)), random_array((4, 3), seed=1))


def test_outer_product_matmul_keeps_float32():
    x = ag.randn(1, 3)
    w = ag.randn(4, 3, requires_grad=True)
    (x @ w.T).sum().backward()
    assert w.grad.dtype == np.float32


def test_activation_backward_uses_the_kernel_on_arrays_made_by_kernels(monkeypatch):
    # Arrays returned by Numba have a dtype equal to, but not the same object as, np.dtype(float32):
    # the dispatch must compare dtypes by value, or every relu backward falls back to numpy (25x slower).
    from autograd_core import kernels
    from autograd_core.kernels import reference

    x = np.random.default_rng(0).standard_normal((64, 512)).astype(np.float32)
    y = kernels.relu_forward(x)
    g = np.ones_like(x)

    def refuse(*args):
        raise AssertionError("the numpy twin ran")

    monkeypatch.setattr(reference, "relu_backward", refuse)
    monkeypatch.setattr(reference, "tanh_forward", refuse)
    np.testing.assert_array_equal(kernels.relu_backward(g, y), np.where(x > 0, 1.0, 0.0))
    kernels.relu_backward(kernels.relu_forward(x), y)  # both operands made by Numba


def test_row_kernels_use_numba_on_arrays_made_by_kernels(monkeypatch):
    from autograd_core import kernels
    from autograd_core.kernels import jit, reference, reference_loss

    jit.load()  # below LOAD_NUMBA_AT the kernels take Numba only once it is loaded

    x = np.random.default_rng(1).standard_normal((64, 100)).astype(np.float32)
    targets = np.arange(64) % 100
    _, probs = kernels.cross_entropy_forward(x, targets)  # made by Numba

    def refuse(*args):
        raise AssertionError("the numpy twin ran")

    monkeypatch.setattr(reference_loss, "cross_entropy_backward", refuse)
    monkeypatch.setattr(reference, "softmax_forward", refuse)
    grad = kernels.cross_entropy_backward(np.float32(1.0), probs, targets)
    assert grad.dtype == np.float32
    kernels.softmax_forward(probs, 1)


@pytest.mark.parametrize("numpy_is_avx512", [True, False])
def test_tanh_forward_takes_numpy_only_where_its_avx512_tanh_runs(monkeypatch, numpy_is_avx512):
    from autograd_core import kernels
    from autograd_core.kernels import activations, jit, reference

    jit.load()
    x = np.random.default_rng(2).standard_normal((64, 512)).astype(np.float32)
    ran = []
    monkeypatch.setattr(kernels, "NUMPY_TANH_IS_AVX512", {x.dtype: numpy_is_avx512})
    monkeypatch.setattr(reference, "tanh_forward", lambda v: ran.append("numpy") or np.tanh(v))
    monkeypatch.setattr(activations, "tanh_forward", lambda v: ran.append("numba") or np.tanh(v))
    kernels.tanh_forward(x)
    kernels.tanh_forward(x[:2, :8])  # small: numpy's call costs less than the kernel's dispatch
    kernels.tanh_forward(x.astype(np.float16))  # no kernel for float16
    assert ran == ["numpy" if numpy_is_avx512 else "numba", "numpy", "numpy"]


def test_numpy_avx512_check_reads_numpys_dispatch_report():
    from numpy.lib import introspect

    from autograd_core import kernels

    for dtype, code in (("float32", "ff"), ("float64", "dd")):
        target = introspect.opt_func_info(func_name="^tanh$")["tanh"][code]["current"]
        assert kernels._numpy_runs_avx512("tanh", dtype) == ("AVX512" in target or "X86_V4" in target)
    assert kernels._numpy_runs_avx512("no_such_ufunc", "float32") is False


@pytest.mark.parametrize("rows", [1, 2, 8, 32, 128, 129, 512])
def test_linear_forward_on_both_matrix_product_layouts(rows):
    # Few rows (4 * rows <= out_features) take (W @ x^T)^T; the output is rows either way.
    rng = np.random.default_rng(rows)
    x = rng.standard_normal((rows, 20)).astype(np.float32)
    w = rng.standard_normal((512, 20)).astype(np.float32)
    b = rng.standard_normal(512).astype(np.float32)
    out = ag.ops.linear(ag.tensor(x), ag.tensor(w), ag.tensor(b)).numpy()
    assert out.flags.c_contiguous and out.dtype == np.float32
    np.testing.assert_allclose(out, x.astype(np.float64) @ w.T.astype(np.float64) + b, rtol=1e-5, atol=1e-5)
    check_gradients(lambda u, v, c: ag.ops.linear(u, v, c), random_array((3, 4)), random_array((12, 4), seed=1),
                    random_array((12,), seed=2))


class _View(Op):
    """y = 2x, whose VJP returns `view(fresh array)`: a view of an array nothing else holds,
    or of one that is also kept elsewhere (`_kept`)."""
    view = staticmethod(lambda array: array)
    keep = False

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        fresh = np.multiply(g, 2).reshape(-1)
        if _View.keep:
            _kept.append(fresh)
        grad = _View.view(fresh)
        _made.append(weakref.ref(grad))
        return grad


_kept = []


def _leaf_grad_through_view(view, keep=False):
    _made.clear()
    _View.view, _View.keep = staticmethod(view), keep
    x = ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    _View.apply(x).backward(ag.ones(2, 3, dtype=ag.float64))
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))
    return x, _made[0]() is x.grad.numpy()


def test_a_whole_view_of_an_unshared_array_is_not_copied():
    _, taken = _leaf_grad_through_view(lambda flat: flat.reshape(2, 3))
    assert taken


def test_views_that_share_memory_are_copied():
    x, taken = _leaf_grad_through_view(lambda flat: flat.reshape(2, 3), keep=True)
    assert not taken and not np.shares_memory(x.grad.numpy(), _kept[-1])
    _kept.clear()
    # a part of a bigger array: copied, so that .grad does not keep all of it alive
    _, taken = _leaf_grad_through_view(lambda flat: np.concatenate([flat, flat])[:6].reshape(2, 3))
    assert not taken


def test_a_numba_kernel_output_becomes_the_grad_without_a_copy():
    from autograd_core.ops.loss import SoftmaxCrossEntropy

    original = SoftmaxCrossEntropy.plain_backward  # the kernel's call: what a plain backward runs
    made = []

    def recording_backward(ctx, g):
        grad = original(ctx, g)
        made.append(weakref.ref(grad))
        return grad

    SoftmaxCrossEntropy.plain_backward = staticmethod(recording_backward)
    try:
        logits = ag.randn(64, 1000, requires_grad=True)  # large: the multi-threaded kernel's output
        ag.softmax_cross_entropy(logits, ag.tensor(np.arange(64))).backward()
        small = ag.randn(4, 3, requires_grad=True)
        ag.softmax_cross_entropy(small, ag.tensor([0, 1, 2, 0])).backward()
    finally:
        SoftmaxCrossEntropy.plain_backward = staticmethod(original)
    assert made[0]() is logits.grad.numpy() and made[1]() is small.grad.numpy()


def test_the_tape_keeps_arrays_not_tensor_objects():
    # A node remembers what its saved values are (input positions), not the input Tensors: the
    # Tensor objects of intermediate results are freed while their graph lives (fewer objects for
    # Python's cyclic garbage collector to walk, per op).
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    middle = x * 2.0
    alive = weakref.ref(middle)
    y = (middle * middle).sum()  # Mul saves both inputs
    del middle
    assert alive() is None
    (grad,) = ag.grad(y, x, create_graph=True)  # d/dx (2x)^2 = 8x, through the saved inputs
    np.testing.assert_allclose(grad.detach().numpy(), [8.0, 16.0, 24.0])
    (second,) = ag.grad(grad.sum(), x)
    np.testing.assert_allclose(second.numpy(), [8.0, 8.0, 8.0])


def test_saved_inputs_under_create_graph():
    leaf = ag.tensor([1.0, 2.0], requires_grad=True)
    constant = ag.tensor([3.0, 4.0])
    y = (leaf * constant).sum() + (leaf * leaf.exp()).sum()
    (grad,) = ag.grad(y, leaf, create_graph=True)  # 3,4 + e^x (1 + x)
    e = np.exp([1.0, 2.0])
    np.testing.assert_allclose(grad.detach().numpy(), [3.0, 4.0] + e * (1 + np.array([1.0, 2.0])))
    (second,) = ag.grad(grad.sum(), leaf)  # e^x (2 + x)
    np.testing.assert_allclose(second.numpy(), e * (2 + np.array([1.0, 2.0])))


# -- fused.add_scaled: x + alpha * y, one pass when nothing records ------------------------
def _chain(x, y, alpha):
    """The op chain add_scaled must equal: x + (alpha * y), each op rounding in the result dtype."""
    return ag.add(x, ag.mul(y, alpha))


def _layouts(dtype):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((6, 4)).astype(dtype)
    b = (rng.standard_normal((6, 4)) * 100).astype(dtype)
    return {
        "contiguous": (a, b),
        "fortran": (np.asfortranarray(a), np.asfortranarray(b)),
        "transposed": (a.T, b.T),  # both F-ordered views: the kernel's layout
        "mixed order": (a, np.asfortranarray(b)),  # C with F: the ops
        "broadcast": (a, b[:1]),
        "broadcast scalar-like": (a[:, :1], b),
        "strided": (a[::2], b[::2]),
        "mixed dtypes": (a, b.astype(np.float64 if dtype == np.float32 else np.float32)),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", list(_layouts(np.float32)))
@pytest.mark.parametrize("alpha", [0.3, -0.01, 2, 1e-4, np.float64(0.37)])
def test_add_scaled_equals_the_op_chain_bit_for_bit(layout, dtype, alpha):
    x, y = (ag.tensor(array) for array in _layouts(dtype)[layout])
    with ag.no_grad():
        expected = _chain(x, y, alpha)
        result = add_scaled(x, y, alpha)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    # Bytes, not ==: a different zero sign or NaN payload would be a different rounding path.
    assert np.ascontiguousarray(result.numpy()).tobytes() == np.ascontiguousarray(expected.numpy()).tobytes()
    assert result.grad_fn is None and not result.requires_grad
    assert not np.shares_memory(result.numpy(), x.numpy()) and not np.shares_memory(result.numpy(), y.numpy())


def test_add_scaled_equals_add_with_alpha_in_float32():
    rng = np.random.default_rng(8)
    x = ag.tensor(rng.standard_normal(1000).astype(np.float32))
    y = ag.tensor(rng.standard_normal(1000).astype(np.float32))
    with ag.no_grad():
        for alpha in (0.1, 5e-4, 0.9, 1 / 3):
            np.testing.assert_array_equal(add_scaled(x, y, alpha).numpy(), x.add(y, alpha=alpha).numpy())
            np.testing.assert_array_equal(add_scaled(x, y, -alpha).numpy(), x.sub(y, alpha=alpha).numpy())


def test_add_scaled_takes_the_kernel_only_when_nothing_records(monkeypatch):
    calls = []
    original = updates.add_scaled
    monkeypatch.setattr(updates, "add_scaled", lambda *args: calls.append(args) or original(*args))
    x = ag.randn(3, 2)
    w = ag.randn(3, 2, requires_grad=True)
    add_scaled(x, ag.randn(3, 2), 0.5)  # grad mode on, but nothing requires grad
    with ag.no_grad():
        add_scaled(x, w, 0.5)
    assert len(calls) == 2
    add_scaled(x, w, 0.5)
    add_scaled(x, ag.randn(1, 2), 0.5)
    assert len(calls) == 2


def test_add_scaled_records_when_an_input_requires_grad():
    x = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([4.0, 5.0, 6.0], dtype=ag.float64, requires_grad=True)
    out = add_scaled(x, y, 0.25)
    assert out.grad_fn is not None and out.requires_grad
    np.testing.assert_array_equal(out.detach().numpy(), [2.0, 3.25, 4.5])
    (out * ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(y.grad.numpy(), [0.25, 0.5, 0.75])
    check_gradients(lambda a, b: add_scaled(a, b, -1.5), random_array((3, 4), seed=1), random_array((4,), seed=2))


def test_add_scaled_with_a_number_or_tensor_alpha_takes_the_ops():
    x = ag.tensor([1.0, 2.0])
    np.testing.assert_array_equal(add_scaled(x, 3.0, 2).numpy(), [7.0, 8.0])
    np.testing.assert_array_equal(add_scaled(x, ag.tensor([1.0, 1.0]), ag.tensor(2.0)).numpy(), [3.0, 4.0])
