"""The assembly step: Tensor methods bound from the ops, torch's sub-namespaces reached lazily."""
import subprocess
import sys

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import ops, tensor_methods


def test_every_public_op_is_a_method_unless_function_only():
    for name in ops.__all__:
        if name in tensor_methods.FUNCTION_ONLY:
            continue
        assert getattr(ag.Tensor, name) is getattr(ops, name), name


def test_where_as_a_method_uses_torchs_argument_order():
    x = ag.tensor([1.0, 2.0])
    y = ag.tensor([5.0, 6.0])
    condition = ag.tensor([True, False])
    assert x.where(condition, y).tolist() == [1.0, 6.0]  # torch: x where condition, else y
    assert ag.where(condition, x, y).tolist() == [1.0, 6.0]


def test_size_checks_the_dim():
    x = ag.zeros(2, 3)
    assert x.size() == (2, 3) and x.size(-1) == 3
    with pytest.raises(IndexError, match=r"size: dimension out of range \(expected to be in range of \[-2, 1\]"):
        x.size(2)


def test_torch_sub_namespaces_are_the_top_level_packages():
    import nn
    import nn.functional
    import optim

    import autograd_core.data

    assert ag.nn is nn and ag.optim is optim and ag.nn.functional is nn.functional
    assert ag.utils.data is autograd_core.data and ag.autograd.grad is ag.grad
    import autograd_core.distributed

    assert ag.distributed is autograd_core.distributed
    from autograd_core.utils.data import DataLoader

    assert DataLoader is autograd_core.data.DataLoader
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        ag.nope  # noqa: B018


def test_import_autograd_core_as_torch_runs_a_training_step():
    import autograd_core as torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    data = torch.utils.data.TensorDataset(torch.randn(8, 3), torch.tensor(np.arange(8) % 2))
    for xb, yb in torch.utils.data.DataLoader(data, batch_size=4):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    assert np.isfinite(loss.item())


def test_importing_the_engine_does_not_import_nn_or_optim():
    code = "import sys, autograd_core; print('nn' in sys.modules, 'optim' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_autograd_backward_takes_several_tensors():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    a, b = (x * x).sum(), (3 * x).sum()
    ag.autograd.backward([a, b])
    assert x.grad.tolist() == [5.0, 7.0]  # 2x + 3, summed over both outputs
    x.grad = None
    ag.autograd.backward(x * 2, grad_tensors=ag.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]
    with pytest.raises(RuntimeError, match="backward: got 2 tensors and 1 gradients"):
        ag.autograd.backward([x.sum(), x.sum()], grad_tensors=[None])
