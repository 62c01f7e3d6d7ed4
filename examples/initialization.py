"""Initialisation: zeros (symmetry), N(0, 0.01), Xavier and Kaiming in a deep ReLU and a deep tanh net.

Each layer computes a = act(W h + b).  With n inputs of variance v and weights of
variance s^2, W h has variance n s^2 v: the signal's size is multiplied by n s^2
at every layer (and halved by a ReLU, which zeroes half of it).  Over 20 layers
any factor other than 1 vanishes or explodes.

- zeros: every unit of a layer computes the same thing and gets the same gradient,
  so the units stay equal for ever -- a layer of 64 units is worth one.  (With
  all-zero weights a tanh net gets no gradient in its hidden layers at all; a
  non-zero constant shows the symmetry while the weights do move.)
- N(0, 0.01): s^2 n = 1e-4 * 256 = 0.0256 per layer: the activations vanish.
- Xavier (Glorot): s^2 = 2 / (fan_in + fan_out) = 1 / n, right for tanh (slope 1
  at 0); in a ReLU net the signal still halves per layer.
- Kaiming (He): s^2 = 2 / fan_in, the factor 2 undoing the ReLU's halving: the
  ReLU net keeps its activation variance; tanh saturates a little instead.

The script measures the activation variance after each layer of 20-layer nets
(width 256, a batch of 512 standard-normal inputs), trains the 10-layer ReLU net of
`vanishing_gradients.py` from each initialisation, and counts how many distinct
hidden units a symmetric start keeps while training.

    python examples/initialization.py            # examples/output/initialization.png

Full run (`time python examples/initialization.py`): 17 s wall, 12 s CPU on 2 cores (AMD EPYC, load ~0.3).
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
from vanishing_gradients import FEATURES, deep_net, make_data  # noqa: E402

INITS = {  # name: fills a Linear weight in place
    "zeros": nn.init.zeros_,
    "N(0, 0.01)": lambda w: nn.init.normal_(w, 0.0, 0.01),
    "Xavier": nn.init.xavier_normal_,
    "Kaiming": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}
COLOURS = {"zeros": "tab:gray", "N(0, 0.01)": "tab:red", "Xavier": "tab:blue", "Kaiming": "tab:green",
           "constant 0.1": "tab:orange"}


def activation_variances(activation, init, depth=20, width=256, batch=512):
    """The variance of the activations after each of `depth` hidden layers at initialisation."""
    ag.manual_seed(0)
    model = deep_net(activation, depth=depth + 1, width=width, init=init)
    h = ag.tensor(np.random.default_rng(0).standard_normal((batch, FEATURES)).astype(np.float32))
    variances = []
    with ag.no_grad():
        for module in model:
            h = module(h)
            if isinstance(module, activation):
                variances.append(float(h.numpy().astype(np.float64).var()))
    return np.array(variances)


def distinct_units(layer, tolerance=1e-6):
    """How many different rows (units' incoming weights and bias) a Linear layer has."""
    rows = np.concatenate([layer.weight.detach().numpy(), layer.bias.detach().numpy()[:, None]], axis=1)
    kept = []
    for row in rows:
        if not any(np.abs(row - other).max() <= tolerance for other in kept):
            kept.append(row)
    return len(kept)


def train(activation, init, steps, X, y, label, depth=10, lr=0.05):
    """SGD + momentum on the synthetic 4-class problem; returns the losses and, per step, the
    number of distinct units of the first hidden layer and the first input weight of its first 8 units."""
    ag.manual_seed(0)
    model = deep_net(activation, depth=depth, init=init)
    first = model[0]
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(1)
    losses, distinct, tracked = [], [], []
    for _ in progress(range(steps), desc=label, leave=False):
        batch = rng.integers(0, len(X), 128)
        opt.zero_grad()
        loss = loss_fn(model(ag.tensor(X[batch])), ag.tensor(y[batch]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
        distinct.append(distinct_units(first))
        tracked.append(first.weight.detach().numpy()[:8, 0].copy())
    return np.array(losses), np.array(distinct), np.array(tracked)


def main(quick=False, plot=True):
    depth, steps = (8, 15) if quick else (20, 300)
    variances = {net: {name: activation_variances(act, init, depth=depth) for name, init in INITS.items()}
                 for net, act in (("ReLU", nn.ReLU), ("tanh", nn.Tanh))}
    print(f"activation variance after hidden layers 1, {depth // 2} and {depth} (width 256, at initialisation):")
    for net, by_init in variances.items():
        for name, v in by_init.items():
            print(f"  {net:4s} {name:11s} {v[0]:9.2e} {v[depth // 2 - 1]:9.2e} {v[-1]:9.2e}")

    X, y = make_data()
    training = {name: train(nn.ReLU, init, steps, X, y, name) for name, init in INITS.items()}
    print(f"\ntraining the 10-layer ReLU net for {steps} steps (SGD, momentum 0.9, lr 0.05):")
    print(f"  {'init':11s} {'loss start':>10s} {'loss end':>9s} {'distinct units in layer 1 (of 64)':>35s}")
    for name, (losses, distinct, _) in training.items():
        print(f"  {name:11s} {losses[0]:10.3f} {losses[-10:].mean():9.3f} {distinct[-1]:35d}")
    print("  Kaiming keeps the ReLU net's activation variance from layer to layer and trains; N(0, 0.01) "
          "shrinks it to nothing\n  and the net does not learn; zeros: the hidden weights get no gradient at all.")

    # Symmetry where the weights do move: a 3-layer tanh net from a constant start (a deeper one
    # saturates: 64 inputs x 0.1 = 6.4 times the signal per layer, so its first layer gets no gradient).
    symmetry = {name: train(nn.Tanh, init, steps, X, y, name, depth=3)
                for name, init in (("constant 0.1", lambda w: nn.init.constant_(w, 0.1)),
                                   ("Xavier", nn.init.xavier_normal_))}
    print(f"\nsymmetry: a 3-layer tanh net (width 64) trained {steps} steps from a constant start vs Xavier:")
    for name, (losses, distinct, tracked) in symmetry.items():
        print(f"  {name:12s} loss {losses[0]:.3f} -> {losses[-10:].mean():.3f}; distinct units in layer 1: "
              f"{distinct[-1]} of 64; weight from input 1 of unit 1 moved {tracked[0, 0]:+.3f} -> {tracked[-1, 0]:+.3f}")
    print("  From the constant start every unit got the same update at every step: the weights moved, but all"
          " 64 units are\n  still one -- the net is as good as one unit wide.")

    if plot:
        plt = pyplot()
        figure, axes = plt.subplots(2, 2, figsize=(12, 8.5))
        for axis, (net, by_init) in zip(axes[0], variances.items()):
            for name, v in by_init.items():
                if name != "zeros":  # zeros: variance exactly 0, off a log scale (see the print-out)
                    axis.semilogy(range(1, depth + 1), v, "o-", markersize=3, color=COLOURS[name], label=name)
            axis.set_xlabel("hidden layer")
            axis.set_ylabel("activation variance (log scale)")
            axis.set_title(f"{depth}-layer {net} net at initialisation (zeros: variance 0)")
            axis.legend(fontsize=8)
        losses_axis, units_axis = axes[1]
        for name, (losses, _, _) in training.items():
            smooth = np.convolve(losses, np.ones(10) / 10, mode="valid") if len(losses) >= 10 else losses
            losses_axis.plot(smooth, ":" if name == "zeros" else "-", color=COLOURS[name], label=name,
                             linewidth=2.5 if name == "zeros" else 1.5, zorder=3 if name == "zeros" else 2)
        for name, (_, _, tracked) in symmetry.items():  # 8 units each: one line per unit
            units_axis.plot(range(1, len(tracked) + 1), tracked, color=COLOURS[name], linewidth=1,
                            label=[f"{name} (8 units{', on one line' if name != 'Xavier' else ''})"] + [None] * 7)
        losses_axis.set_xlabel("training step")
        losses_axis.set_ylabel("training cross-entropy (10-step mean)")
        losses_axis.set_title("training the 10-layer ReLU net from each initialisation")
        losses_axis.legend(fontsize=8)
        units_axis.set_xlabel("training step")
        units_axis.set_ylabel("weight from input 1, units 1-8 of hidden layer 1")
        units_axis.set_title("symmetry (3-layer tanh net): from a constant start the units move as one")
        units_axis.legend(fontsize=8)
        figure.tight_layout()
        print("plot saved to", save_figure(figure, "initialization"))
    return {"variances": variances, "training": training, "symmetry": symmetry}


if __name__ == "__main__":
    args = parse_args(__doc__)
    main(quick=args.quick, plot=not args.no_plot)
