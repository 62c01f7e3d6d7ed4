"""conv1d / conv2d against torch.nn.functional: values and gradients (skipped without torch)."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402

CASES = [
    (1, (4, 1, 40), (25, 1, 5), {"stride": 2, "padding": 1}),
    (1, (4, 25, 19), (25, 25, 3), {"stride": 2, "padding": 1}),
    (1, (3, 4, 11), (6, 2, 3), {"stride": 2, "padding": 2, "dilation": 2, "groups": 2}),
    (1, (3, 2, 10), (4, 2, 4), {"padding": "same"}),
    (1, (3, 2, 10), (4, 2, 3), {"padding": "same", "dilation": 3}),
    (1, (3, 2, 10), (4, 2, 4), {"padding": "valid"}),
    (1, (2, 10), (4, 2, 4), {"padding": 1}),
    (2, (2, 3, 7, 8), (4, 3, 3, 2), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2)}),
    (2, (2, 4, 7, 8), (4, 2, 3, 3), {"groups": 2, "padding": "same"}),
    (2, (2, 4, 8, 8), (8, 1, 3, 3), {"groups": 4, "padding": 1, "stride": 2}),
    (2, (3, 7, 8), (4, 3, 3, 3), {}),
    (2, (5, 1, 8, 8), (8, 1, 3, 3), {"padding": 1}),
]


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-5)])
@pytest.mark.parametrize("dims, x_shape, w_shape, kwargs", CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_matches_torch(dims, x_shape, w_shape, kwargs, bias, dtype, rtol):
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape, (w_shape[0],)))
    ours_fn, torch_fn = getattr(ag, f"conv{dims}d"), getattr(torch.nn.functional, f"conv{dims}d")
    xs = [ag.tensor(a, requires_grad=True) for a in (x, w, b)]
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = ours_fn(xs[0], xs[1], xs[2] if bias else None, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on 'same' with an even kernel
        expected = torch_fn(ts[0], ts[1], ts[2] if bias else None, **kwargs)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=rtol)
    g = rng.standard_normal(out.shape).astype(dtype)
    (out * ag.tensor(g)).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    for ours, theirs in zip(xs[:3 if bias else 2], ts):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=10 * rtol)


def test_double_backward_matches_torch():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 3))
    xa, wa = ag.tensor(x, requires_grad=True), ag.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ga = ag.grad((ag.conv1d(xa, wa, stride=2, padding=1) ** 2).sum(), [xa, wa], create_graph=True)
    gt = torch.autograd.grad((torch.nn.functional.conv1d(xt, wt, stride=2, padding=1) ** 2).sum(), [xt, wt],
                             create_graph=True)
    (ga[0].sum() + (ga[1] ** 2).sum()).backward()
    (gt[0].sum() + (gt[1] ** 2).sum()).backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(wa.grad.numpy(), wt.grad.numpy(), rtol=1e-10)
