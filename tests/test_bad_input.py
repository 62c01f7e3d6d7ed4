"""Misuses of the public API raise a clear error naming the op and what was expected (issue 10, item 7).

Each row: the call, the exception type, a regex its message must match.  Every row failed on
the code before its fix (the old message is in the comment).
"""
import re

import numpy as np
import pytest

import autograd_core as ag
import nn

CASES = [
    # was: ValueError "Unknown format code 'f' for object of type 'str'"
    ("format .2f of a (3,) tensor", lambda: f"{ag.ones(3):.2f}", TypeError,
     r"unsupported format string '\.2f' passed to Tensor\.__format__.*shape \(3,\)"),
    ("format .2f of an empty tensor", lambda: f"{ag.ones(0):.2f}", TypeError, r"shape \(0,\)"),
    # was: TypeError "half(): float16 is not supported"
    # was: AttributeError "'list' object has no attribute 'ndim'"
    ("nn.Linear(list)", lambda: nn.Linear(3, 5)([[1.0, 2.0, 3.0]]), TypeError,
     r"linear\(\): argument 'input' \(position 1\) must be Tensor, not list"),
    # was: accepted (torch refuses arrays, as our losses do)
    ("nn.Linear(ndarray)", lambda: nn.Linear(3, 5)(np.ones((2, 3), np.float32)), TypeError, r"must be Tensor, not numpy.ndarray"),
    # was: "... weight of shape (5, 4) do not fit: expected weight (out_features, 3) ..."
    ("nn.Linear(4, 5) on (2, 3)", lambda: nn.Linear(4, 5)(ag.ones(2, 3)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\).*in_features=4"),
    ("Tensor.bfloat16()", lambda: ag.ones(2).bfloat16(), TypeError, r"^bfloat16\(\): bfloat16 is not supported"),
    # torch pickles the whole model; loading never unpickles here, so the message says what to save instead
    ("save(model, path)", lambda: ag.save(nn.Linear(2, 2), "/nonexistent/model.st"), TypeError,
     r"cannot store a Linear.*save the model's state_dict\(\), not the model"),
    ("nn.Linear(3, 2) on a (4,) vector", lambda: nn.Linear(3, 2)(ag.ones(4)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(1x4 and 3x2\).*in_features=3"),
    # was: accepted (a later backward then accumulated into a float64 .grad of a float32 tensor)
    ("x.grad = a float64 gradient for a float32 tensor",
     lambda: setattr(ag.ones(2, requires_grad=True), "grad", ag.ones(2, dtype=ag.float64)), RuntimeError,
     r"attempting to assign a gradient with dtype float64 to a tensor with dtype float32"),
    ("SGD(one tensor)", lambda: ag.optim.SGD(ag.ones(2, requires_grad=True), lr=0.1), TypeError,
     r"iterable of Tensors or dicts"),
    ("SGD([])", lambda: ag.optim.SGD([], lr=0.1), ValueError, r"optimizer got an empty parameter list"),
    # was: computed out of place, the input left unchanged (torch refuses a leaf that requires grad)
    ("F.relu(leaf, inplace=True)", lambda: nn.functional.relu(ag.ones(2, requires_grad=True), inplace=True),
     RuntimeError, r"^a leaf Variable that requires grad is being used in an in-place operation"),
    ("nn.Dropout(inplace=True) on a leaf", lambda: nn.Dropout(0.5, inplace=True)(ag.ones(2, requires_grad=True)),
     RuntimeError, r"^a leaf Variable that requires grad is being used in an in-place operation"),
    ("set_detect_anomaly on a generator function", lambda: ag.set_detect_anomaly(True)(lambda: (yield)), TypeError,
     r"cannot decorate a generator function"),
]


@pytest.mark.parametrize("call, error, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_misuse_raises_a_clear_error(call, error, pattern):
    with pytest.raises(error) as raised:
        call()
    assert re.search(pattern, str(raised.value)), str(raised.value)


def test_formatting_that_works_still_works():
    assert f"{ag.tensor(1.5):.2f}" == "1.50"
    assert f"{ag.ones(1):.1f}" == "1.0"
    assert f"{ag.ones(2)}" == str(ag.ones(2))


def test_a_refused_anomaly_decorator_leaves_the_mode_off():
    with pytest.raises(TypeError):
        ag.set_detect_anomaly(True)(lambda: (yield))
    assert not ag.is_anomaly_enabled()


def test_a_torch_state_dict_loads():
    # was: "expected a Tensor ... but received Tensor"
    torch = pytest.importorskip("torch")
    source = torch.nn.Linear(3, 2)
    model = nn.Linear(3, 2)
    model.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(model.weight.detach().numpy(), source.weight.detach().numpy())


def test_assigning_a_gradient_of_the_right_dtype_still_works():
    x = ag.ones(2, dtype=ag.float64, requires_grad=True)
    x.grad = ag.ones(2, dtype=ag.float64)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
