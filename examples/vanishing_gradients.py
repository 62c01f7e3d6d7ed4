"""Vanishing gradients: a 10-layer net with sigmoid, tanh and ReLU, its gradient per layer.

Backpropagation multiplies, layer by layer from the loss back to the input, by each
layer's weights and by the derivative of its activation.  The sigmoid's derivative
is at most 1/4, so in a deep sigmoid net the gradient shrinks by a factor of about
four per layer on the way down: the first layers barely learn.  tanh (slope 1 at 0)
loses much less, and ReLU (slope exactly 1 where it is active) keeps the gradient's
size from layer to layer.

Each net is 10 Linear layers of width 64 (sigmoid and tanh with Xavier
initialisation, ReLU with Kaiming: the initialisation each is meant for, so that what
differs is the activation -- `initialization.py` shows what init alone does).  They
are trained on the same synthetic 4-class problem with SGD + momentum while
`nn.utils.GradientMonitor` records the gradient norm of every layer at every step.

    python examples/vanishing_gradients.py            # examples/output/vanishing_gradients.png

Full run (`time python examples/vanishing_gradients.py`): 6.1 s on 2 cores (AMD EPYC, load ~0.1).
"""
import os

# These matrices are small: one BLAS thread is fastest, and several fight over 2 cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from _common import parse_args, progress, pyplot, save_figure  # noqa: E402

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "ReLU": nn.ReLU}
COLOURS = {"sigmoid": "tab:red", "tanh": "tab:blue", "ReLU": "tab:green", "LeakyReLU": "tab:purple",
           "ELU": "tab:orange"}
FEATURES, CLASSES = 20, 4


def make_data(n=1024, seed=0):
    """A synthetic 4-class problem: the class is the largest of four random projections of x."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, FEATURES)).astype(np.float32)
    y = (X @ rng.standard_normal((FEATURES, CLASSES))).argmax(axis=1).astype(np.int64)
    return X, y


def deep_net(activation, depth=10, width=64, init=None):
    """`depth` Linear layers (depth - 1 hidden, each followed by `activation()`); `init(weight)` or
    the activation's usual initialisation (Kaiming for the ReLU family, Xavier otherwise); zero biases."""
    sizes = [FEATURES] + [width] * (depth - 1) + [CLASSES]
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(fan_in, fan_out)
        if init is not None:
            init(linear.weight)
        elif activation in (nn.ReLU, nn.LeakyReLU, nn.ELU):
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        else:
            nn.init.xavier_normal_(linear.weight, gain=nn.init.calculate_gain("tanh") if activation is nn.Tanh else 1.0)
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if index < depth - 1:
            layers.append(activation())
    return nn.Sequential(*layers)


def linear_layers(model):
    """The names of the Linear layers, input side first (as GradientMonitor records them)."""
    return [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]


def train(model, X, y, steps, lr, batch_size=128, optimizer="sgd", label=""):
    """Mini-batch training under a GradientMonitor; returns (losses, monitor)."""
    make = {"sgd": lambda p: optim.SGD(p, lr=lr, momentum=0.9), "adam": lambda p: optim.Adam(p, lr=lr)}[optimizer]
    opt = make(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(1)
    losses = []
    with nn.utils.GradientMonitor(model) as monitor:
        for _ in progress(range(steps), desc=label, leave=False):
            batch = rng.integers(0, len(X), batch_size)
            opt.zero_grad()
            loss = loss_fn(model(ag.tensor(X[batch])), ag.tensor(y[batch]))
            loss.backward()
            monitor.step()
            opt.step()
            losses.append(loss.item())
    return losses, monitor


def grad_norms(monitor, layers):
    """An array (steps, layers) of the weight-gradient norms the monitor recorded."""
    by_layer = monitor.series("grad_norm")
    return np.array([by_layer[name][1] for name in layers]).T


def main(quick=False, plot=True):
    steps = 20 if quick else 400
    X, y = make_data()
    results = {}
    for name, activation in ACTIVATIONS.items():
        ag.manual_seed(0)
        model = deep_net(activation)
        losses, monitor = train(model, X, y, steps, lr=0.05, label=name)
        norms = grad_norms(monitor, linear_layers(model))
        results[name] = {"losses": losses, "grad_norms": norms}

    print("weight-gradient norm per layer at initialisation (layer 1 = input side):")
    print("          " + " ".join(f"{i:>8d}" for i in range(1, 11)))
    for name, result in results.items():
        print(f"  {name:7s} " + " ".join(f"{v:8.1e}" for v in result["grad_norms"][0]))
    for name, result in results.items():
        first, last = result["grad_norms"][0, 0], result["grad_norms"][0, -1]
        print(f"  {name:7s}: layer 1 gets {first / last:.1e} x the gradient of layer 10; "
              f"loss {result['losses'][0]:.3f} -> {np.mean(result['losses'][-20:]):.3f}")

    if plot:
        plt = pyplot()
        figure, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4))
        for name, result in results.items():
            colour = COLOURS[name]
            left.semilogy(range(1, 11), result["grad_norms"][0], "o-", color=colour, label=name)
            middle.semilogy(result["grad_norms"][:, 0], color=colour, label=f"{name}, layer 1")
            middle.semilogy(result["grad_norms"][:, -1], "--", color=colour, alpha=0.6, label=f"{name}, layer 10")
            right.plot(result["losses"], color=colour, alpha=0.8, label=name)
        left.set_xlabel("layer (1 = input side, 10 = output)")
        left.set_ylabel("L2 norm of the weight gradient")
        left.set_title("at initialisation: the gradient per layer")
        left.set_xticks(range(1, 11))
        left.legend()
        middle.set_xlabel("training step")
        middle.set_ylabel("L2 norm of the weight gradient")
        middle.set_title("during training: layer 1 (solid), layer 10 (dashed)")
        middle.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.14))
        right.set_xlabel("training step")
        right.set_ylabel("training cross-entropy")
        right.set_title("training loss (SGD, momentum 0.9, lr 0.05)")
        right.legend()
        figure.suptitle("Vanishing gradients in a 10-layer net: sigmoid loses about 4x per layer", y=1.02)
        print("plot saved to", save_figure(figure, "vanishing_gradients"))
    return results


if __name__ == "__main__":
    args = parse_args(__doc__)
    main(quick=args.quick, plot=not args.no_plot)
