"""PyTorch on the CPU, two intra-op threads (the machine has two cores): the reference row."""
import torch
import torch.nn.functional as F

from .common import Timed, mlp_check

torch.set_num_threads(2)
VERSION = torch.__version__


def mlp_step(w0, b0, w1, b1, w2, b2, x, y, lr, momentum):
    """W1: one training step of torch.nn.Sequential + CrossEntropyLoss + SGD(momentum)."""
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 10),
    )
    arrays = {"0.weight": w0, "0.bias": b0, "2.weight": w1, "2.bias": b1, "4.weight": w2, "4.bias": b2}
    model.load_state_dict({name: torch.from_numpy(array.copy()) for name, array in arrays.items()})
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=float(lr), momentum=float(momentum))
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss

    return Timed(
        run=step,
        check=lambda: mlp_check(
            lambda: step().item(),
            lambda: [p.detach().numpy() for p in model.parameters()],
            lambda: [p.grad.numpy() for p in model.parameters()],
        ),
    )


def op_chain(x, iterations, backward):
    """W2: y = tanh(y * 1.0001 + 0.001) repeated, then y.sum().backward() (or forward only)."""
    start = torch.from_numpy(x)
    iterations = int(iterations)

    def run():
        leaf = start.detach().requires_grad_()
        y = leaf
        for _ in range(iterations):
            y = (y * 1.0001 + 0.001).tanh()
        if backward:
            y.sum().backward()
        return leaf, y

    def check():
        leaf, y = run()
        result = {"y": y.detach().numpy().copy()}
        if backward:
            result["grad"] = leaf.grad.numpy().copy()
        return result

    return Timed(run=run, check=check)


_ACTIVATIONS = {
    "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "gelu": F.gelu,
    "leaky_relu": lambda t: F.leaky_relu(t, 0.01), "elu": lambda t: F.elu(t, 1.0),
}


def activation(x, g, name, form="explicit"):
    """W3: forward and backward of one activation on a large float32 vector: ``act(x).backward(g)``
    (form "explicit") or ``act(x).sum().backward()`` (form "sum")."""
    function = _ACTIVATIONS[str(name)]
    leaf = torch.from_numpy(x).requires_grad_()
    upstream = torch.from_numpy(g)
    summed = str(form) == "sum"

    def run():
        leaf.grad = None
        out = function(leaf)
        if summed:
            out.sum().backward()
        else:
            out.backward(upstream)
        return out

    def check():
        out = run()
        return {"y": out.detach().numpy().copy(), "grad": leaf.grad.numpy().copy()}

    return Timed(run=run, check=check)


def cross_entropy(logits, target):
    """W4: F.cross_entropy forward and backward."""
    leaf = torch.from_numpy(logits).requires_grad_()
    labels = torch.from_numpy(target)

    def run():
        leaf.grad = None
        loss = F.cross_entropy(leaf, labels)
        loss.backward()
        return loss

    def check():
        loss = run()
        return {"loss": loss.detach().numpy().reshape(1).copy(), "grad": leaf.grad.numpy().copy()}

    return Timed(run=run, check=check)


def log_softmax(logits):
    """W4: F.log_softmax over the classes, forward only (no graph: the input needs no gradient)."""
    z = torch.from_numpy(logits)
    run = lambda: F.log_softmax(z, dim=1)  # noqa: E731
    return Timed(run=run, check=lambda: {"y": run().numpy().copy()})


def deep_backward(x, ops):
    """W5: backward (timed) through a chain of `ops` tanh ops (built untimed)."""
    start = torch.from_numpy(x)
    ops = int(ops)
    state = {}

    def before():
        leaf = start.detach().requires_grad_()
        y = leaf
        for _ in range(ops):
            y = y.tanh()
        state["leaf"], state["total"] = leaf, y.sum()

    def run():
        state.pop("total").backward()

    def check():
        before()
        leaf = state["leaf"]
        run()
        return {"grad": leaf.grad.numpy().copy()}

    return Timed(run=run, check=check, before=before)
