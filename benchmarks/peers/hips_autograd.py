"""HIPS `autograd`: functions of plain numpy arrays, differentiated by tracing (make_vjp / grad).

Idiom: write the loss as a function of a list of arrays, take `value_and_grad`;
the optimizer is plain numpy (autograd has none).  "Backward only" is the call of
the vjp closure that `make_vjp` returns after tracing the forward.
"""
from importlib.metadata import version

import autograd.numpy as anp
import numpy as np
from autograd import make_vjp, value_and_grad
from autograd.scipy.special import erf, logsumexp

from .common import Timed, mlp_check

VERSION = version("autograd")


# Written with masks multiplied in (not anp.where / anp.maximum, whose VJPs build float64
# zeros or tie-weights and so return float64 gradients for float32 inputs).
def _relu(v):
    return v * (v > 0)


def _mlp_loss(params, x, y):
    w0, b0, w1, b1, w2, b2 = params
    h = _relu(anp.dot(x, w0.T) + b0)
    h = _relu(anp.dot(h, w1.T) + b1)
    z = anp.dot(h, w2.T) + b2
    return anp.mean(logsumexp(z, axis=1) - z[anp.arange(z.shape[0]), y])


def mlp_step(w0, b0, w1, b1, w2, b2, x, y, lr, momentum):
    """W1: value_and_grad of the MLP loss, then SGD with momentum in numpy (torch's rule)."""
    params = [a.copy() for a in (w0, b0, w1, b1, w2, b2)]
    buffers = [None] * len(params)
    loss_and_grads = value_and_grad(_mlp_loss)
    lr, momentum = float(lr), float(momentum)
    last = {}

    def step():
        loss, grads = loss_and_grads(params, x, y)
        for index, (param, grad) in enumerate(zip(params, grads)):
            buffer = buffers[index]
            if buffer is None:
                buffer = buffers[index] = np.array(grad, copy=True)
            else:
                buffer *= momentum
                buffer += grad
            param -= lr * buffer
        last["grads"] = grads
        return loss

    return Timed(run=step, check=lambda: mlp_check(lambda: float(step()), lambda: params, lambda: last["grads"]))


def op_chain(x, iterations, backward):
    """W2: the chain traced by make_vjp (forward only) or differentiated by its vjp of ones."""
    iterations = int(iterations)

    def chain(v):
        for _ in range(iterations):
            v = anp.tanh(v * 1.0001 + 0.001)
        return v

    ones = np.ones_like(x)

    def run():
        vjp, y = make_vjp(chain)(x)
        return y, (vjp(ones) if backward else None)

    def check():
        y, grad = run()
        return {"y": y, "grad": grad} if backward else {"y": y}

    return Timed(run=run, check=check)


def _gelu(v):
    return v * 0.5 * (1.0 + erf(v * float(1 / np.sqrt(2))))


def _leaky_relu(v):
    return v * anp.where(v > 0, np.float32(1), np.float32(0.01))


def _elu(v):
    positive = v > 0
    return v * positive + anp.expm1(v * ~positive)


_ACTIVATIONS = {
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "sigmoid": lambda v: 0.5 * (anp.tanh(v * 0.5) + 1.0),
    "tanh": anp.tanh,
    "gelu": _gelu,
}


def activation(x, g, name, form="explicit"):
    """W3: make_vjp of the activation (its forward) then the vjp of the upstream gradient
    (form "sum": of ``sum(act(x))``, whose upstream gradient is 1.0)."""
    function = _ACTIVATIONS[str(name)]
    summed = str(form) == "sum"

    def run():
        if summed:
            vjp, total = make_vjp(lambda v: anp.sum(function(v)))(x)
            return total, vjp(1.0)
        vjp, y = make_vjp(function)(x)
        return y, vjp(g)

    def check():
        y, grad = run()
        if summed:
            y = function(x)  # run() returned the sum
        return {"y": y, "grad": grad}

    return Timed(run=run, check=check)


def cross_entropy(logits, target):
    """W4: mean(logsumexp(z) - z[i, y_i]) and its gradient."""
    rows = np.arange(logits.shape[0])

    def loss(z):
        return anp.mean(logsumexp(z, axis=1) - z[rows, target])

    loss_and_grad = value_and_grad(loss)

    def check():
        value, grad = loss_and_grad(logits)
        return {"loss": np.asarray(value).reshape(1), "grad": grad}

    return Timed(run=lambda: loss_and_grad(logits), check=check)


def deep_backward(x, ops):
    """W5: the vjp closure of a chain of `ops` tanh ops (make_vjp traces it, untimed)."""
    ops = int(ops)
    state = {}

    def chain(v):
        for _ in range(ops):
            v = anp.tanh(v)
        return anp.sum(v)

    def before():
        state["vjp"], _ = make_vjp(chain)(x)

    def run():
        return state.pop("vjp")(np.float32(1.0))

    def check():
        before()
        return {"grad": run()}

    return Timed(run=run, check=check, before=before)

