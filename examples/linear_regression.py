"""Linear regression trained by gradient descent, checked against least squares.

Model: y = X w + b.  Loss: mean squared error.  Gradient descent on (w, b)
should converge to the closed-form least-squares solution (numpy.linalg.lstsq).
This example writes the update by hand, the way courses first teach it:

    with no_grad():
        w -= lr * w.grad
"""
import numpy as np

import autograd_core as ag
from _common import parse_args, progress, pyplot, save_figure


def make_data(n=200, features=3, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features))
    true_w = np.array([2.0, -3.0, 0.5])[:features]
    y = X @ true_w + 1.5 + noise * rng.standard_normal(n)
    return X.astype(np.float32), y.astype(np.float32)


def train(X, y, steps=300, lr=0.1):
    """Full-batch gradient descent; returns the learned (w, b) and the loss curve."""
    ag.manual_seed(0)
    Xt, yt = ag.tensor(X), ag.tensor(y)
    w = ag.zeros(X.shape[1], requires_grad=True)
    b = ag.zeros((), requires_grad=True)
    losses = []
    for _ in progress(range(steps), desc="gradient descent"):
        loss = ((Xt @ w + b - yt) ** 2).mean()
        loss.backward()
        with ag.no_grad():           # the update itself must not be recorded
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None                # gradients accumulate unless cleared
        b.grad = None
        losses.append(loss.item())
    return w.detach().numpy(), float(b.item()), losses


def least_squares(X, y):
    """The closed-form answer: minimise ||[X 1] theta - y||^2."""
    design = np.hstack([X, np.ones((len(X), 1), X.dtype)]).astype(np.float64)
    theta, *_ = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)
    return theta[:-1], theta[-1]


def main(quick=False, plot=True):
    X, y = make_data()
    w, b, losses = train(X, y, steps=30 if quick else 300)
    w_exact, b_exact = least_squares(X, y)
    print(f"gradient descent: w = {np.round(w, 4)}, b = {b:.4f}, final MSE = {losses[-1]:.5f}")
    print(f"least squares:    w = {np.round(w_exact, 4)}, b = {b_exact:.4f}")
    gap = max(np.abs(w - w_exact).max(), abs(b - b_exact))
    print(f"largest difference: {gap:.2e}")
    if plot:
        plt = pyplot()
        figure, axis = plt.subplots(figsize=(5, 3.5))
        axis.semilogy(losses)
        axis.set_xlabel("step")
        axis.set_ylabel("training MSE")
        axis.set_title("Linear regression by gradient descent")
        print("plot saved to", save_figure(figure, "linear_regression"))
    return {"w": w, "b": b, "w_exact": w_exact, "b_exact": b_exact, "losses": losses, "gap": gap}


if __name__ == "__main__":
    args = parse_args(__doc__)
    main(quick=args.quick, plot=not args.no_plot)
