"""Dying ReLU: a too-large learning rate switches ReLU units off for good; LeakyReLU and ELU keep a gradient.

A ReLU unit whose input is negative for every sample outputs 0 and -- its slope
being 0 there -- passes back no gradient at all: nothing can move its weights
again, so it stays "dead".  One large update that pushes a unit's pre-activation
below zero for all inputs is enough, and a large learning rate makes such updates.
LeakyReLU (slope 0.01 or 0.1 below zero) and ELU (slope exp(x)) never have a zero
slope: a unit pushed below zero still receives a gradient and can come back.

The net is the 10-layer one of `vanishing_gradients.py` (Kaiming initialisation).
Adam with learning rate 0.03 trains it for 150 steps, then at 0.001 (a usual rate);
a ReLU net trained at 0.001 throughout is the baseline.  `nn.utils.GradientMonitor`
records each activation layer's dead fraction: for ReLU the units that output zero
for every sample of the batch, for LeakyReLU/ELU the units whose input was negative
for every sample (the ones a ReLU would have lost).  We also count the units whose
incoming weights got exactly zero gradient -- those can never recover.

    python examples/dying_relu.py            # examples/output/dying_relu.png

Full run (`time python examples/dying_relu.py`): 13.3 s on 2 cores (AMD EPYC, load ~0.0).
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
from vanishing_gradients import deep_net, make_data  # noqa: E402

LARGE_LR, USUAL_LR = 0.03, 1e-3
RUNS = {  # label: (activation, learning rate of the first phase)
    "ReLU, lr 0.001 throughout": (nn.ReLU, USUAL_LR),
    "ReLU": (nn.ReLU, LARGE_LR),
    "LeakyReLU(0.01)": (nn.LeakyReLU, LARGE_LR),
    "LeakyReLU(0.1)": (lambda: nn.LeakyReLU(0.1), LARGE_LR),
    "ELU": (nn.ELU, LARGE_LR),
}
COLOURS = ["tab:gray", "tab:green", "tab:purple", "tab:pink", "tab:orange"]


def zero_gradient_fraction(model):
    """Among the hidden units, the fraction whose incoming weights got exactly zero gradient."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)][:-1]  # the output layer has no activation
    rows = np.concatenate([np.all(layer.weight.grad.numpy() == 0, axis=1) for layer in linears])
    return float(rows.mean())


def train(activation, first_lr, steps, switch, X, y, batch_size=128, label=""):
    ag.manual_seed(0)
    model = deep_net(activation)
    optimizer = optim.Adam(model.parameters(), lr=first_lr)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(1)
    losses, no_gradient = [], []
    with nn.utils.GradientMonitor(model) as monitor:
        for step in progress(range(steps), desc=label, leave=False):
            if step == switch:
                for group in optimizer.param_groups:
                    group["lr"] = USUAL_LR
            batch = rng.integers(0, len(X), batch_size)
            optimizer.zero_grad()
            loss = loss_fn(model(ag.tensor(X[batch])), ag.tensor(y[batch]))
            loss.backward()
            monitor.step()
            no_gradient.append(zero_gradient_fraction(model))
            optimizer.step()
            losses.append(loss.item())
    per_layer = np.array([values for _, values in monitor.series("dead_fraction").values()])
    return {"dead": per_layer.mean(axis=0), "no_gradient": np.array(no_gradient), "losses": losses}


def main(quick=False, plot=True):
    steps, switch = (30, 10) if quick else (600, 150)
    X, y = make_data()
    results = {label: train(activation, lr, steps, switch, X, y, label=label)
               for label, (activation, lr) in RUNS.items()}
    print(f"Adam at lr {LARGE_LR} for {switch} steps, then {USUAL_LR} (baseline: {USUAL_LR} throughout); "
          "mean over the 9 activation layers:")
    print(f"  {'':28s} {'dead at step ' + str(switch):>18s} {'dead at the end':>16s} {'no gradient':>12s} {'loss':>7s}")
    for label, result in results.items():
        print(f"  {label:28s} {result['dead'][switch - 1]:18.2f} {result['dead'][-1]:16.2f} "
              f"{result['no_gradient'][-1]:12.2f} {np.mean(result['losses'][-20:]):7.3f}")
    relu, base = results["ReLU"], results["ReLU, lr 0.001 throughout"]
    print(f"  With lr {LARGE_LR} the ReLU net's dead fraction rises from {base['dead'][0]:.2f} (at initialisation) to "
          f"{relu['dead'][switch - 1]:.2f}, against {base['dead'][switch - 1]:.2f} at lr {USUAL_LR};\n  after the rate "
          f"drops to {USUAL_LR} it stays at {relu['dead'][-1]:.2f}: those units get exactly zero gradient "
          f"({relu['no_gradient'][-1]:.2f} of all units), so nothing can revive them.")
    others = [label for label in results if not label.startswith("ReLU")]
    print("  " + ", ".join(others) + ": units pushed below zero still get a gradient (slope 0.01, 0.1 or exp(x)); "
          f"units with no gradient at the end: {max(results[label]['no_gradient'][-1] for label in others):.2f}.")
    if plot:
        plt = pyplot()
        figure, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4))
        for (label, result), colour in zip(results.items(), COLOURS):
            style = "--" if "throughout" in label else "-"
            left.plot(result["dead"], style, color=colour, label=label)
            middle.plot(result["no_gradient"], style, color=colour, label=label)
            right.plot(np.convolve(result["losses"], np.ones(10) / 10, mode="valid"), style, color=colour, label=label)
        for axis in (left, middle):
            axis.axvline(switch, color="black", linewidth=0.8, linestyle=":")
            axis.set_ylim(-0.02, 1.0)
            axis.set_xlabel("training step")
        left.set_ylabel("fraction of dead units (mean over layers)")
        left.set_title("units off for every sample (LeakyReLU/ELU: input < 0)")
        left.text(switch + 5, 0.93, f"lr {LARGE_LR} -> {USUAL_LR}", fontsize=8)
        middle.set_ylabel("fraction of units with zero gradient")
        middle.set_title("units that can never recover (no gradient)")
        handles, labels = left.get_legend_handles_labels()
        figure.legend(handles, labels, loc="lower center", ncol=len(labels), bbox_to_anchor=(0.5, -0.08), fontsize=9)
        right.set_yscale("log")
        right.set_xlabel("training step")
        right.set_ylabel("training cross-entropy (10-step mean)")
        right.set_title("training loss")
        figure.suptitle(f"Dying ReLU: a large learning rate switches units off; only ReLU units lose their gradient "
                        f"for good\n(solid: Adam at lr {LARGE_LR} for {switch} steps, then {USUAL_LR}; "
                        f"dashed: {USUAL_LR} throughout)", y=1.06)
        print("plot saved to", save_figure(figure, "dying_relu"))
    return results


if __name__ == "__main__":
    args = parse_args(__doc__)
    main(quick=args.quick, plot=not args.no_plot)
