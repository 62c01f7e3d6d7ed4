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
