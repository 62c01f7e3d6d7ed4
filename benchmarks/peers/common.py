"""What every peer module shares: the `Timed` case object, `Unsupported`, and check helpers.

A peer module (one per library) implements some of these functions, each taking
numpy inputs (identical for every library, loaded from one .npz the parent wrote)
and returning a `Timed`:

    mlp_step(w0, b0, w1, b1, w2, b2, x, y, lr, momentum)   W1, W6, W7
    op_chain(x, iterations, backward)                      W2
    activation(x, g, name)                                 W3
    cross_entropy(logits, target)                          W4
    log_softmax(logits)                                    W4 (forward only)
    deep_backward(x, ops)                                  W5

Weights are in torch's nn.Linear layout (out_features, in_features); the MLP is
784-512-512-10 with ReLU, mean cross-entropy, SGD with torch's momentum rule.
"""
import numpy as np


class Unsupported(Exception):
    """This library cannot run this workload; the message is the one-line reason shown."""


class Timed:
    """One prepared workload case inside a worker.

    ``run()`` is what is timed.  ``before()`` (optional) runs untimed before every
    ``run()`` (e.g. building the graph whose backward is timed).  ``check()`` returns
    ``{name: ndarray}`` which the parent compares across libraries before any timing.
    """

    __slots__ = ("run", "before", "check")

    def __init__(self, run, check, before=None):
        self.run = run
        self.check = check
        self.before = before


def mlp_check(step, params, grads):
    """Two SGD steps from the shared weights: losses, step-2 gradients and the total update.

    Step 2's gradients depend on step 1's update, and the update after two steps
    depends on the momentum buffer, so one comparison covers forward, backward and
    the optimizer.  ``step()`` returns the loss as a float; ``params()``/``grads()``
    return lists of ndarrays in the order w0, b0, w1, b1, w2, b2.
    """
    start = [np.array(p, copy=True) for p in params()]
    losses = [step(), step()]
    result = {"loss": np.array(losses, dtype=np.float64)}
    for index, (grad, after, before) in enumerate(zip(grads(), params(), start)):
        result[f"grad{index}"] = np.array(grad, copy=True)
        result[f"update{index}"] = np.asarray(after) - before
    return result

