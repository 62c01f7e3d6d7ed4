"""Hypothesis: random small graphs (3-8 ops, with fan-out) against finite differences.

A graph is a list of steps; each step applies a random op to one or two values
drawn from everything computed so far, so values are reused (fan-out) and
gradients must be summed over every path.
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from helpers import check_gradients

UNARY_STEPS = {
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "sin": lambda x: x.sin(),
    "exp_scaled": lambda x: (x * 0.3).exp(),
    "square": lambda x: x * x,
    "softplus": lambda x: ag.softplus(x),
    "sum_keepdim": lambda x: x.sum(dim=-1, keepdim=True) if x.ndim else x,
    "mean": lambda x: x.mean(),
    "affine": lambda x: x * 1.7 - 0.4,
}
BINARY_STEPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div_safe": lambda a, b: a / (1.5 + b * b),
}


@st.composite
def graphs(draw):
    n_inputs = draw(st.integers(1, 3))
    shape = draw(st.sampled_from([(), (3,), (2, 3), (1, 3)]))
    steps = []
    for _ in range(draw(st.integers(3, 8))):
        available = n_inputs + len(steps)
        if draw(st.booleans()):
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY_STEPS))), draw(st.integers(0, available - 1))))
        else:
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY_STEPS))),
                          draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1))))
    seed = draw(st.integers(0, 2 ** 16))
    inputs = [np.random.default_rng(seed + i).uniform(-1.5, 1.5, size=shape) for i in range(n_inputs)]
    return inputs, steps


def run_graph(steps, *inputs):
    values = list(inputs)
    for step in steps:
        if step[0] == "unary":
            values.append(UNARY_STEPS[step[1]](values[step[2]]))
        else:
            values.append(BINARY_STEPS[step[1]](values[step[2]], values[step[3]]))
    # Every value contributes to the output, so unused branches are covered too.
    return sum((v.sum() * (0.5 + 0.1 * i) for i, v in enumerate(values[len(inputs):])), ag.tensor(0.0, dtype=ag.float64))


@given(graphs())
def test_random_graph_gradients_match_finite_differences(graph):
    inputs, steps = graph
    check_gradients(lambda *xs: run_graph(steps, *xs), *inputs, atol=1e-5, rtol=1e-4)


@given(graphs())
def test_random_graph_second_backward_with_retain_graph_doubles_grads(graph):
    inputs, steps = graph
    tensors = [ag.tensor(x, requires_grad=True) for x in inputs]
    out = run_graph(steps, *tensors)
    out.backward(retain_graph=True)
    first = [t.grad.numpy().copy() if t.grad is not None else None for t in tensors]
    out.backward()
    for t, g in zip(tensors, first):
        if g is not None:
            np.testing.assert_allclose(t.grad.numpy(), 2 * g, rtol=1e-12)
