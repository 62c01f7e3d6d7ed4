"""`micrograd` 0.1.0: a scalar engine (one Python object per number), so W2 only.

Its `Value` has + * ** relu but no tanh; tanh is added here the way micrograd
writes every op (a new Value with a `_backward` closure), as its author's own
lecture does.  `Value.backward` sorts the graph with a recursive function, so the
recursion limit is raised for the 3,000-deep W2 chain.
"""
import math
import sys
from importlib.metadata import version

import numpy as np
from micrograd.engine import Value

from .common import Timed, Unsupported

VERSION = version("micrograd")


def _tanh(value):
    out = Value(math.tanh(value.data), (value,), "tanh")

    def _backward():
        value.grad += (1 - out.data * out.data) * out.grad

    out._backward = _backward
    return out


def op_chain(x, iterations, backward):
    """W2: ten scalar chains y = tanh(y * 1.0001 + 0.001), their sum, and its backward."""
    iterations = int(iterations)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * iterations + 1000))

    def run():
        leaves = [Value(float(v)) for v in x]
        outputs = []
        for y in leaves:
            for _ in range(iterations):
                y = _tanh(y * 1.0001 + 0.001)
            outputs.append(y)
        if backward:
            sum(outputs).backward()
        return leaves, outputs

    def check():
        leaves, outputs = run()
        result = {"y": np.array([v.data for v in outputs], dtype=np.float32)}
        if backward:
            result["grad"] = np.array([v.grad for v in leaves], dtype=np.float32)
        return result

    return Timed(run=run, check=check)


def mlp_step(**_):
    """W1 is out of reach for a scalar engine."""
    raise Unsupported("scalar engine: a 784-512-512-10 MLP step is ~10^8 scalar Value ops")


def activation(**_):
    """W3 is out of reach for a scalar engine."""
    raise Unsupported("scalar engine (10^6 Values per call); no sigmoid/tanh/elu/gelu")


def cross_entropy(**_):
    """W4 needs exp and log, which micrograd lacks."""
    raise Unsupported("scalar engine without exp/log")


def deep_backward(**_):
    """W5 is run for torch, ours, autograd, mygrad and numpy only."""
    raise Unsupported("not asked of micrograd (its recursive topological sort needs a raised limit)")
