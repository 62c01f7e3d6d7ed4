"""Tensor attributes, conversions, printing, dtype rules and devices."""
import numpy as np
import pytest

import autograd_core as ag


@pytest.fixture
def default_dtype_restored():
    yield
    ag.set_default_dtype(ag.float32)


# ---------------------------------------------------------------------------
# data, grad, leaves
# ---------------------------------------------------------------------------
def test_data_shares_memory_and_is_off_the_tape():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert isinstance(d, ag.Tensor) and not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), w.detach().numpy())
    d.mul_(3)  # old-style update, no no_grad needed
    np.testing.assert_array_equal(w.detach().numpy(), [3.0, 6.0])
    assert w._version[0] == 1  # the change is visible to the version counter


def test_data_setter_replaces_values():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    w.data = ag.tensor([5.0, 6.0])
    np.testing.assert_array_equal(w.detach().numpy(), [5.0, 6.0])
    assert w.requires_grad and w.is_leaf


def test_numpy_and_array_protocol_share_memory():
    t = ag.tensor([1.0, 2.0])
    assert t.numpy() is t.numpy()
    assert np.shares_memory(np.asarray(t), t.numpy())
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    w = ag.tensor([1.0], requires_grad=True)
    assert np.shares_memory(w.detach().numpy(), np.asarray(w))


def test_np_array_copies_as_numpy_asks():
    t = ag.tensor([1.0, 2.0])
    copied = np.array(t)  # numpy's default copy=True must not hand out the tensor's own memory
    copied[0] = 5.0
    assert t.numpy()[0] == 1.0
    assert not np.shares_memory(np.array(t, dtype=np.float32), t.numpy())
    assert np.array(t, dtype=np.float64).dtype == np.float64
    assert np.shares_memory(np.asarray(t), t.numpy())
    with pytest.raises(ValueError, match="needs a copy"):
        np.asarray(t, dtype=np.float64, copy=False)


def test_grad_setter():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    w.grad = ag.tensor([0.5, 0.5])
    np.testing.assert_array_equal(w.grad.numpy(), [0.5, 0.5])
    (w * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.5, 2.5])  # accumulates onto the assigned grad
    w.grad = None
    assert w.grad is None
    w.grad = ag.ones(2)
    del w.grad
    assert w.grad is None
    with pytest.raises(RuntimeError, match=r"assigned grad has shape \(1,\)"):
        w.grad = ag.ones(1)
    with pytest.raises(TypeError, match="assigned grad must be a Tensor or None"):
        w.grad = [1.0, 2.0]


def test_is_leaf_grad_fn_and_requires_grad():
    a = ag.tensor([1.0])
    w = ag.tensor([1.0], requires_grad=True)
    y = w * a
    assert a.is_leaf and w.is_leaf and not y.is_leaf
    assert a.grad_fn is None and w.grad_fn is None and y.grad_fn is not None
    assert not a.requires_grad and w.requires_grad and y.requires_grad
    z = a * 2
    assert z.is_leaf and not z.requires_grad  # nothing to record
    a.requires_grad = True
    assert a.requires_grad
    assert w.requires_grad_(False) is w and not w.requires_grad
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)


def test_detach_and_detach_():
    w = ag.tensor([1.0], requires_grad=True)
    y = w * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and y.requires_grad
    y.detach_()
    assert y.is_leaf and not y.requires_grad


# ---------------------------------------------------------------------------
# shape and friends
# ---------------------------------------------------------------------------
def test_shape_attributes():
    t = ag.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24 and len(t) == 2
    assert t.dtype == ag.float32 and t.element_size() == 4
    assert t.T.shape == (4, 3, 2) and t.mT.shape == (2, 4, 3)
    assert ag.zeros(5).T.shape == (5,)
    assert t.is_floating_point() and not ag.zeros(1, dtype=ag.int64).is_floating_point()


def test_iteration_over_dim_0_is_differentiable():
    w = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(w)
    assert len(rows) == 2 and rows[1].shape == (2,)
    (rows[0] * 2 + rows[1]).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[2.0, 2.0], [1.0, 1.0]])
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(ag.tensor(1.0))


def test_item_tolist_and_python_numbers():
    assert ag.tensor(2.5).item() == 2.5 and isinstance(ag.tensor(2.5).item(), float)
    assert ag.tensor([[7]]).item() == 7 and isinstance(ag.tensor([[7]]).item(), int)
    assert ag.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ag.tensor(3.0).tolist() == 3.0
    assert float(ag.tensor([1.5])) == 1.5 and int(ag.tensor(4.7)) == 4
    assert [10, 20, 30][ag.tensor(1)] == 20  # __index__
    assert bool(ag.tensor([1.0])) and not bool(ag.tensor(0.0))


def test_format_like_a_number():
    loss = ag.tensor(0.123456, requires_grad=True) * 1
    assert f"{loss:.4f}" == "0.1235"
    assert f"{ag.tensor([2.5]):.2f}" == "2.50"
    assert f"{ag.tensor(3)}" == "3"  # a 0-d tensor formats as its number, as torch
    assert f"{ag.tensor(3):>4}" == "   3"
    assert f"{ag.tensor([1.0, 2.0])}" == "tensor([1., 2.])"


@pytest.mark.parametrize("make,expected", [
    (lambda: ag.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: ag.tensor(3.5), "tensor(3.5000)"),
    (lambda: ag.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: ag.tensor([1.5, -2.25]), "tensor([ 1.5000, -2.2500])"),
    (lambda: ag.tensor([True, False]), "tensor([ True, False])"),
    (lambda: ag.tensor([True]), "tensor([True])"),
    (lambda: ag.tensor([1.0], requires_grad=True), "tensor([1.], requires_grad=True)"),
    (lambda: ag.tensor([1.0], dtype=ag.float64), "tensor([1.], dtype=float64)"),
    (lambda: ag.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
])
def test_repr(make, expected):
    assert repr(make()) == expected
    assert str(make()) == expected


def test_repr_of_a_recorded_tensor_names_its_grad_fn():
    y = ag.tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<MulBackward>)"


# ---------------------------------------------------------------------------
# dtype rules (torch's)
# ---------------------------------------------------------------------------
def test_creation_dtypes():
    assert ag.tensor([1.0, 2.0]).dtype == np.float32
    assert ag.tensor(1.0).dtype == np.float32
    assert ag.tensor([1, 2]).dtype == np.int64
    assert ag.tensor([True]).dtype == np.bool_
    assert ag.tensor([1, 2.5]).dtype == np.float32
    assert ag.tensor([]).dtype == np.float32
    for dtype in (np.float64, np.float32, np.int64, np.int32, np.bool_):
        assert ag.tensor(np.zeros(2, dtype)).dtype == dtype  # numpy arrays keep their dtype
        assert ag.from_numpy(np.zeros(2, dtype)).dtype == dtype
    assert ag.tensor([1, 2], dtype=ag.float64).dtype == np.float64


def test_tensor_copies_and_from_numpy_shares():
    array = np.zeros(2)
    copied, shared = ag.tensor(array), ag.from_numpy(array)
    array[0] = 5
    assert copied.numpy()[0] == 0 and shared.numpy()[0] == 5


@pytest.mark.parametrize("make,expected", [
    (lambda: ag.ones(3) + 1.5, np.float32),                                   # float32 op python float
    (lambda: ag.ones(3) * np.float64(2.0), np.float32),                       # numpy scalar: a weak scalar too
    (lambda: ag.tensor([1, 2]) * 0.5, np.float32),                            # int64 * python float -> default
    (lambda: ag.tensor([1, 2]) / 2, np.float32),                              # true division of ints
    (lambda: ag.tensor([1, 2]) * 2, np.int64),
    (lambda: ag.ones(3) + ag.tensor(1.0, dtype=ag.float64), np.float32),      # 0-d float64 does not upcast
    (lambda: ag.ones(3) + ag.ones(3, dtype=ag.float64), np.float64),          # two dimensioned tensors promote
    (lambda: ag.ones(3, dtype=ag.int64) + ag.ones(3), np.float32),            # int + float32 -> float32
    (lambda: ag.tensor(2) + ag.ones(3), np.float32),
    (lambda: ag.ones(3).exp(), np.float32),
    (lambda: ag.tensor([1, 2]).exp(), np.float32),                            # int -> default float
    (lambda: ag.ones(3).sum(), np.float32),
    (lambda: ag.ones(3) ** 2, np.float32),
    (lambda: 2.0 ** ag.ones(3), np.float32),
    (lambda: 1.0 - ag.ones(3), np.float32),
])
def test_result_dtypes(make, expected):
    assert make().dtype == expected


def test_float32_gradients_stay_float32():
    w = ag.ones(3, requires_grad=True)
    ((w * 0.1 + 1e-3) ** 2 / 3.0).sum().backward()
    assert w.grad.dtype == np.float32


def test_set_default_dtype(default_dtype_restored):
    assert ag.get_default_dtype() == ag.float32
    ag.set_default_dtype(ag.float64)
    assert ag.get_default_dtype() == ag.float64
    assert ag.tensor([1.5]).dtype == np.float64
    assert ag.zeros(2).dtype == np.float64 and ag.randn(2).dtype == np.float64
    assert (ag.tensor([1, 2]) * 0.5).dtype == np.float64
    assert ag.tensor(np.zeros(2, np.float32)).dtype == np.float32  # arrays still keep theirs
    ag.set_default_dtype(ag.float32)
    assert ag.tensor([1.5]).dtype == np.float32


def test_default_dtype_is_process_wide_as_torch(default_dtype_restored):
    import threading

    seen = []
    ag.set_default_dtype(ag.float64)
    thread = threading.Thread(target=lambda: seen.append(ag.tensor([1.5]).dtype))
    thread.start()
    thread.join()
    assert seen == [np.float64]


def test_dtype_aliases():
    assert ag.float == ag.float32 and ag.double == ag.float64 and ag.long == ag.int64
    assert ag.bool == np.bool_


# ---------------------------------------------------------------------------
# devices
# ---------------------------------------------------------------------------
def test_cpu_device_is_accepted_everywhere():
    t = ag.zeros(2, device="cpu")
    assert t.device == "cpu" and t.device == ag.device("cpu") and str(t.device) == "cpu"
    assert not t.is_cuda
    assert ag.tensor([1.0], device=ag.device("cpu")).shape == (1,)
    ag.set_default_device("cpu")


def test_cuda_is_a_clear_error():
    assert ag.cuda.is_available() is False
    device = "cuda" if ag.cuda.is_available() else "cpu"
    assert ag.ones(1, device=device).device == "cpu"
    for make in (lambda: ag.zeros(1, device="cuda"), lambda: ag.device("cuda:0"),
                 lambda: ag.tensor([1.0], device="cuda"), lambda: ag.randn(2, device="mps"),
                 lambda: ag.set_default_device("cuda")):
        with pytest.raises(RuntimeError, match="runs on the CPU only"):
            make()
