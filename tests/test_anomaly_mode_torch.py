"""Anomaly mode blames the op torch blames, with torch's message (NaN cases: torch checks only NaN)."""
import warnings

import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")

PROGRAMS = {
    "sqrt at 0 times 0": lambda lib, x: (x.sqrt() * 0).sum(),
    "x / x at 0": lambda lib, x: (x / x).sum(),
    "sqrt of a chain": lambda lib, x: ((x * 3).exp() - 1).sqrt().mul(0).sum(),
    "pow 0.5 at 0 times 0": lambda lib, x: (x ** 0.5 * 0).sum(),
    "log at 0 times 0": lambda lib, x: (x.log() * 0).sum(),
    "masked log of a negative (no error)": lambda lib, x: lib.where(x > 1, (x - 1).log(), x * 0).sum(),
    "finite everywhere (no error)": lambda lib, x: (x * x).exp().sum(),
}

#: Infinite but not NaN gradients: torch checks only NaN; here they raise too (docs/api.md).
INF_ONLY = {
    "log at 0": (lambda lib, x: x.log().sum(), "Function 'LogBackward0' returned inf values in its 0th output."),
    "masked log at 0": (lambda lib, x: lib.where(x > 0, (x - 1).log(), x * 0).sum(),
                        "Function 'LogBackward0' returned inf values in its 0th output."),
}


def blamed(lib, program):
    x = lib.tensor(np.array([0.0, 1.0, 2.0]), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly():
            loss = program(lib, x)
            try:
                loss.backward()
            except RuntimeError as error:
                return str(error).splitlines()[0]
    return None


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_the_same_op_is_blamed_as_in_torch(name):
    ours = blamed(ag, PROGRAMS[name])
    theirs = blamed(torch, PROGRAMS[name])
    assert ours == theirs


@pytest.mark.parametrize("name", list(INF_ONLY))
def test_an_infinite_gradient_raises_here_where_torch_is_silent(name):
    program, message = INF_ONLY[name]
    assert blamed(torch, program) is None
    assert blamed(ag, program) == message
