"""The optimizers side by side on the Rosenbrock valley, their paths drawn on the loss contours.

f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 has its minimum at (1, 1) at the bottom
of a long, curved, badly conditioned valley: plain SGD crawls along it,
momentum and Nesterov overshoot and recover, RMSprop/Adagrad/Adam rescale
each coordinate.  Every optimizer starts at (-1.5, 2) and takes the same
number of steps.
"""
import numpy as np

import autograd_core as ag
import optim
from _common import parse_args, progress, pyplot, save_figure

START = (-1.5, 2.0)
OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=5e-4),
    "Momentum": lambda p: optim.SGD(p, lr=5e-4, momentum=0.9),
    "Nesterov": lambda p: optim.SGD(p, lr=5e-4, momentum=0.9, nesterov=True),
    "RMSprop": lambda p: optim.RMSprop(p, lr=1e-2),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.5),
    "Adam": lambda p: optim.Adam(p, lr=5e-2),
}


def rosenbrock(x, y):
    """Works on Tensors and on numpy arrays alike."""
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def run(make_optimizer, steps):
    """Optimise from START; return the path of (x, y) points and the final loss."""
    point = ag.tensor(START, dtype=ag.float64, requires_grad=True)
    optimizer = make_optimizer([point])
    path = [point.detach().numpy().copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss = rosenbrock(point[0], point[1])
        loss.backward()
        optimizer.step()
        path.append(point.detach().numpy().copy())
    return np.array(path), float(rosenbrock(*path[-1]))


def main(quick=False, plot=True):
    steps = 50 if quick else 2000
    results = {}
    for name in progress(OPTIMIZERS, desc="optimizers"):
        path, final = run(OPTIMIZERS[name], steps)
        results[name] = (path, final)
    print(f"after {steps} steps from {START} (minimum 0 at (1, 1)):")
    for name, (path, final) in results.items():
        print(f"  {name:9s} f = {final:10.3e} at ({path[-1][0]: .4f}, {path[-1][1]: .4f})")
    if plot:
        plt = pyplot()
        figure, axes = plt.subplots(2, 3, figsize=(12, 7), sharex=True, sharey=True)
        xs, ys = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
        levels = np.log10(rosenbrock(xs, ys) + 1e-3)
        for axis, (name, (path, final)) in zip(axes.flat, results.items()):
            axis.contour(xs, ys, levels, levels=25, cmap="Greys", linewidths=0.5)
            axis.plot(path[:, 0], path[:, 1], ".-", color="tab:blue", markersize=2, linewidth=0.8)
            axis.plot([1], [1], "r*", markersize=12)
            axis.set_title(f"{name}: f = {final:.1e}")
            axis.set_xlim(-2, 2)
            axis.set_ylim(-1, 3)
        for axis in axes[-1]:
            axis.set_xlabel("x (first coordinate)")
        for axis in axes[:, 0]:
            axis.set_ylabel("y (second coordinate)")
        axes.flat[0].plot([], [], ".-", color="tab:blue", label="path of (x, y), one dot per step")
        axes.flat[0].plot([], [], "r*", label="minimum (1, 1)")
        axes.flat[0].legend(fontsize=7, loc="lower left")
        figure.suptitle(f"Rosenbrock valley, {steps} steps from {START}; minimum at the red star")
        print("plot saved to", save_figure(figure, "optimizer_paths"))
    return {name: final for name, (_, final) in results.items()}


if __name__ == "__main__":
    args = parse_args(__doc__)
    main(quick=args.quick, plot=not args.no_plot)
