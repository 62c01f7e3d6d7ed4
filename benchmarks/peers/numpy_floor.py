"""Hand-written numpy forward and backward: the floor for any engine that runs on numpy.

No tape, no Tensor objects, no checks: each workload's derivative written out by
hand, with the in-place updates a careful numpy programmer would use.
"""
import numpy as np

from .common import Timed, mlp_check

VERSION = np.__version__


def mlp_step(w0, b0, w1, b1, w2, b2, x, y, lr, momentum):
    """W1: forward, cross-entropy, backward and SGD momentum, all by hand."""
    params = [a.copy() for a in (w0, b0, w1, b1, w2, b2)]
    buffers = [None] * len(params)
    rows = np.arange(x.shape[0])
    lr, momentum = np.float32(lr), np.float32(momentum)
    last = {}

    def step():
        p0, q0, p1, q1, p2, q2 = params
        h0 = x @ p0.T
        h0 += q0
        np.maximum(h0, 0, out=h0)
        h1 = h0 @ p1.T
        h1 += q1
        np.maximum(h1, 0, out=h1)
        z = h1 @ p2.T
        z += q2
        # cross-entropy: log-softmax with the max subtracted, then softmax - onehot
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - z[rows, y])
        dz = e
        dz /= total
        dz[rows, y] -= 1
        dz /= np.float32(x.shape[0])
        dh1 = dz @ p2
        dh1 *= h1 > 0
        dh0 = dh1 @ p1
        dh0 *= h0 > 0
        grads = [dh0.T @ x, dh0.sum(axis=0), dh1.T @ h0, dh1.sum(axis=0), dz.T @ h1, dz.sum(axis=0)]
        for index, (param, grad) in enumerate(zip(params, grads)):
            buffer = buffers[index]
            if buffer is None:
                buffer = buffers[index] = grad.copy()
            else:
                buffer *= momentum
                buffer += grad
            param -= lr * buffer
        last["grads"] = grads
        return loss

    return Timed(run=step, check=lambda: mlp_check(lambda: float(step()), lambda: params, lambda: last["grads"]))


def op_chain(x, iterations, backward):
    """W2: the chain's forward, keeping each tanh output, then the reverse loop."""
    iterations = int(iterations)
    scale, shift = np.float32(1.0001), np.float32(0.001)

    def run():
        outputs = []
        y = x
        for _ in range(iterations):
            y = np.tanh(y * scale + shift)
            outputs.append(y)
        grad = None
        if backward:
            grad = np.ones_like(x)
            for out in reversed(outputs):
                grad = grad * (1 - out * out) * scale
        return y, grad

    def check():
        y, grad = run()
        return {"y": y, "grad": grad} if backward else {"y": y}

    return Timed(run=run, check=check)


def _erf(v):
    from scipy.special import erf

    return erf(v)


def _forward_backward(name, x, g):
    """y = f(x) and dx = g * f'(x) for each activation."""
    # Masks are multiplied in, never np.where: with a random sign pattern np.where
    # mispredicts its branches and runs ~10x slower than a multiply.
    if name == "relu":
        return np.maximum(x, 0), g * (x > 0)
    if name == "leaky_relu":
        slope = (x > 0) * np.float32(0.99)
        slope += np.float32(0.01)
        return x * slope, g * slope
    if name == "elu":
        negative_part = np.expm1(np.minimum(x, 0))  # 0 where x > 0
        y = np.maximum(x, 0)
        y += negative_part
        negative_part += 1  # the derivative: 1 where x > 0, e^x elsewhere
        return y, g * negative_part
    if name == "sigmoid":
        y = np.tanh(x * np.float32(0.5))
        y += 1
        y *= np.float32(0.5)
        return y, g * y * (1 - y)
    if name == "tanh":
        y = np.tanh(x)
        return y, g * (1 - y * y)
    if name == "gelu":
        cdf = _erf(x * np.float32(1 / np.sqrt(2)))
        cdf += 1
        cdf *= np.float32(0.5)
        pdf = np.exp(x * x * np.float32(-0.5))
        pdf *= np.float32(1 / np.sqrt(2 * np.pi))
        return x * cdf, g * (cdf + x * pdf)
    raise KeyError(name)


def activation(x, g, name, form="explicit"):
    """W3: forward and backward of one activation, written out (form "sum": y.sum() too, and an
    upstream gradient of 1)."""
    name = str(name)
    summed = str(form) == "sum"

    def run():
        if summed:
            y, grad = _forward_backward(name, x, np.float32(1))
            y.sum()
            return y, grad
        return _forward_backward(name, x, g)

    def check():
        y, grad = run()
        return {"y": y, "grad": np.broadcast_to(grad, y.shape).astype(y.dtype)}

    return Timed(run=run, check=check)


def _cross_entropy(logits, target, rows):
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(total[:, 0]) - shifted[rows, target])
    e /= total
    e[rows, target] -= 1
    e /= np.float32(logits.shape[0])
    return loss, e


def cross_entropy(logits, target):
    """W4: log-sum-exp cross-entropy and softmax - onehot, divided by the batch."""
    rows = np.arange(logits.shape[0])

    def check():
        loss, grad = _cross_entropy(logits, target, rows)
        return {"loss": np.asarray(loss).reshape(1), "grad": grad}

    return Timed(run=lambda: _cross_entropy(logits, target, rows), check=check)


def log_softmax(logits):
    """W4: x - max - log(sum(exp(x - max))) per row, in numpy's passes."""
    def run():
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    return Timed(run=run, check=lambda: {"y": run()})


def deep_backward(x, ops):
    """W5: the reverse loop over `ops` saved tanh outputs (forward untimed)."""
    ops = int(ops)
    state = {}

    def before():
        outputs = []
        y = x
        for _ in range(ops):
            y = np.tanh(y)
            outputs.append(y)
        state["outputs"] = outputs

    def run():
        grad = np.ones_like(x)
        for out in reversed(state.pop("outputs")):
            grad = grad * (1 - out * out)
        return grad

    def check():
        before()
        return {"grad": run()}

    return Timed(run=run, check=check, before=before)
