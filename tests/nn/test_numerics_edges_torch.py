"""Every loss and activation against torch at the edges: logits at +-1e4, probabilities 0 and 1.

The cases are in `numerics_edge_cases.py`.  For each, in float32 and float64, the value
and the first-order gradients of sum(w * out) must match torch's, both from a plain
backward (the fast kernels) and under create_graph=True (the rules written in xp).
A numpy RuntimeWarning anywhere is an error.

"Match" is a few ulps of torch in the same dtype.  In float32 an element may instead be a
few ulps of torch's float64 result: where torch's float32 formula cancels (the gradient of
cross-entropy with respect to a target probability, softsign far out) ours may keep the
digits torch loses, and being right is not a mismatch.  In float64 the case states the
scale of the cancelling terms instead (`Case.value_scale`, `Case.gradient_scale`).
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402
from numerics_edge_cases import CASES, DTYPES, differentiated, ours_inputs, output_weights  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

# A few ulps: torch and we evaluate the same formulas, but not always in the same order.
RTOL = {"float32": 1e-6, "float64": 1e-13}


def _torch_results(case, dtype):
    """torch's (value, grads) in `dtype`; for float32 also the float64 ones (cast), else None."""
    same = _torch_result(case, dtype)
    if dtype != "float32":
        return same, None
    value, grads = _torch_result(case, "float64")
    return same, (value.astype(dtype), [g.astype(dtype) for g in grads])


def _torch_result(case, dtype):
    tensors = []
    for item in case.inputs:
        array = item.array(dtype)
        tensors.append(torch.tensor(array, requires_grad=item.grad and not item.indices))
    out = case.theirs(torch, *tensors)
    weights = torch.tensor(output_weights(tuple(out.shape), dtype))
    (out * weights).sum().backward()
    grads = [t.grad.numpy() for item, t in zip(case.inputs, tensors) if item.grad and not item.indices]
    return out.detach().numpy(), grads


def _ours_result(case, dtype, create_graph):
    tensors = ours_inputs(case, dtype)
    out = case.ours(*tensors)
    objective = (out * ag.tensor(output_weights(tuple(out.shape), dtype))).sum()
    grads = ag.grad(objective, differentiated(case, tensors), create_graph=create_graph)
    return out, [g.detach().numpy() for g in grads]


def _assert_close(actual, expected, exact, dtype, atol, what):
    """`actual` within a few ulps of torch's `expected`, or (float32) of torch's float64 `exact`."""
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, torch {expected.dtype}"
    assert np.isfinite(actual).all(), f"{what}: not finite: {actual}"
    # tiny: torch and numpy round results below the normal range (e.g. sigmoid(-100) in float32)
    # differently; that is not a difference of digits.
    atol = max(atol, np.finfo(dtype).tiny)

    def close(reference):
        return np.abs(actual - reference) <= atol + RTOL[dtype] * np.abs(reference)

    if exact is not None:
        ok = close(expected) | close(exact)
        actual = np.where(ok, expected, actual)  # the report below then shows only the failures
    np.testing.assert_allclose(actual, expected, rtol=RTOL[dtype], atol=atol, err_msg=what)


@pytest.mark.parametrize("create_graph", [False, True], ids=["plain", "create_graph"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_value_and_gradient_match_torch(case, dtype, create_graph):
    (expected_value, expected_grads), exact = _torch_results(case, dtype)
    exact_value, exact_grads = exact if exact is not None else (None, [None] * len(expected_grads))
    out, grads = _ours_result(case, dtype, create_graph)
    # The stated scales are for float64 only: float32 has torch's float64 result to fall back on.
    eps = np.finfo(dtype).eps if dtype == "float64" else 0.0
    value_atol = eps * case.value_scale
    _assert_close(out.detach().numpy(), expected_value, exact_value, dtype, value_atol, f"{case.name}: value")
    gradient_atol = eps * case.gradient_scale
    for position, (grad, expected, exact_grad) in enumerate(zip(grads, expected_grads, exact_grads)):
        _assert_close(grad, expected, exact_grad, dtype, gradient_atol,
                      f"{case.name}: gradient of input {position}")


def test_binary_cross_entropy_at_small_probability_float32_matches_torch():
    """The issue's example: log(1 - p) in float32 was 1.3e-5 relative off torch's log1p(-p) at p = 1e-3."""
    p = np.array([1e-3, 3e-4, 1e-5], np.float32)
    y = np.zeros(3, np.float32)
    import nn.functional as F
    ours = F.binary_cross_entropy(ag.tensor(p), ag.tensor(y), reduction="none").numpy()
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y), reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-7)
