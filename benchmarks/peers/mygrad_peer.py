"""`mygrad`: numpy-backed tensors with a tape, used as its docs show (default memory guarding on).

mygrad has no optimizers; the SGD-momentum update is plain numpy on ``p.data``.
It has no erf, so no exact GELU.
"""
import mygrad as mg
import numpy as np
from mygrad.nnet.activations import elu, leaky_relu, relu, sigmoid, tanh
from mygrad.nnet.losses import softmax_crossentropy

from .common import Timed, Unsupported, mlp_check

VERSION = mg.__version__


def mlp_step(w0, b0, w1, b1, w2, b2, x, y, lr, momentum):
    """W1: mygrad forward, loss.backward(), numpy momentum update of p.data."""
    params = [mg.tensor(a.copy()) for a in (w0, b0, w1, b1, w2, b2)]
    buffers = [None] * len(params)
    lr, momentum = float(lr), float(momentum)

    def step():
        p0, q0, p1, q1, p2, q2 = params
        h = relu(mg.matmul(x, p0.T) + q0)
        h = relu(mg.matmul(h, p1.T) + q1)
        loss = softmax_crossentropy(mg.matmul(h, p2.T) + q2, y)
        loss.backward()
        for index, param in enumerate(params):
            buffer = buffers[index]
            if buffer is None:
                buffer = buffers[index] = np.array(param.grad, copy=True)
            else:
                buffer *= momentum
                buffer += param.grad
            param.data -= lr * buffer
        return loss

    return Timed(
        run=step,
        check=lambda: mlp_check(
            lambda: float(step().item()), lambda: [p.data for p in params], lambda: [p.grad for p in params]
        ),
    )


def op_chain(x, iterations, backward):
    """W2: y = tanh(y * 1.0001 + 0.001) repeated, then y.sum().backward() (or forward only)."""
    iterations = int(iterations)
    # mygrad promotes float32 * Python float to float64; numpy scalars keep float32
    scale, shift = np.float32(1.0001), np.float32(0.001)

    def run():
        leaf = mg.tensor(x)
        y = leaf
        for _ in range(iterations):
            y = mg.tanh(y * scale + shift)
        if backward:
            y.sum().backward()
        return leaf, y

    def check():
        leaf, y = run()
        result = {"y": np.array(y.data, copy=True)}
        if backward:
            result["grad"] = np.array(leaf.grad, copy=True)
        return result

    return Timed(run=run, check=check)


_ACTIVATIONS = {
    "relu": relu, "sigmoid": sigmoid, "tanh": tanh,
    "leaky_relu": lambda t: leaky_relu(t, 0.01), "elu": lambda t: elu(t, 1.0),
}


def activation(x, g, name, form="explicit"):
    """W3: forward and backward of one activation on a large float32 vector (form "sum":
    ``act(x).sum().backward()``)."""
    if str(name) not in _ACTIVATIONS:
        raise Unsupported(f"mygrad {VERSION} has no {name} (and no erf to build it from)")
    function = _ACTIVATIONS[str(name)]
    leaf = mg.tensor(x)

    summed = str(form) == "sum"

    def run():
        out = function(leaf)
        if summed:
            out.sum().backward()
        else:
            out.backward(g)
        return out

    def check():
        out = run()
        return {"y": np.array(out.data, copy=True), "grad": np.array(leaf.grad, copy=True)}

    return Timed(run=run, check=check)


def cross_entropy(logits, target):
    """W4: mygrad.nnet.losses.softmax_crossentropy (mean over the batch) and its backward."""
    leaf = mg.tensor(logits)

    def run():
        loss = softmax_crossentropy(leaf, target)
        loss.backward()
        return loss

    def check():
        loss = run()
        return {"loss": np.array(loss.data).reshape(1), "grad": np.array(leaf.grad, copy=True)}

    return Timed(run=run, check=check)


def deep_backward(x, ops):
    """W5: backward (timed) through a chain of `ops` tanh ops (built untimed)."""
    ops = int(ops)
    state = {}

    def before():
        leaf = mg.tensor(x)
        y = leaf
        for _ in range(ops):
            y = mg.tanh(y)
        state["leaf"], state["total"] = leaf, y.sum()

    def run():
        state.pop("total").backward()

    def check():
        before()
        leaf = state["leaf"]
        run()
        return {"grad": np.array(leaf.grad, copy=True)}

    return Timed(run=run, check=check, before=before)
