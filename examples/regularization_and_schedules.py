"""Learning-rate schedules, L2 weight decay and dropout with early stopping.

Three experiments on scikit-learn's digits, each a curve of training and
validation loss:
  1. the learning rate under StepLR, ExponentialLR and 1/t decay (LambdaLR);
  2. an over-sized MLP on a small training set with and without L2 weight decay;
  3. the same with and without dropout, stopping early when the validation loss
     has not improved for `patience` epochs and restoring the best weights.
"""
import copy

import numpy as np

import autograd_core as ag
import nn
import optim
from _common import parse_args, progress, pyplot, save_figure
from autograd_core.data import DataLoader, TensorDataset


def load_splits(train_size=300, seed=0):
    """A deliberately small training set (so the network can overfit) and a validation set."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(digits.target))
    X = (digits.data[order] / 16.0).astype(np.float32)
    y = digits.target[order].astype(np.int64)
    return (X[:train_size], y[:train_size]), (X[train_size:train_size + 600], y[train_size:train_size + 600])


def make_model(dropout=0.0):
    layers = [nn.Linear(64, 256), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers += [nn.Linear(256, 256), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(256, 10))
    return nn.Sequential(*layers)


def evaluate(model, X, y, loss_fn):
    model.eval()
    with ag.no_grad():
        loss = loss_fn(model(ag.tensor(X)), ag.tensor(y)).item()
    model.train()
    return loss


def fit(model, train, valid, epochs, lr=1e-3, weight_decay=0.0, patience=None, label=""):
    """Adam training; returns (train losses, validation losses, epoch of the best validation loss)."""
    ag.manual_seed(1)
    optimizer = optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(ag.tensor(train[0]), ag.tensor(train[1])), batch_size=32, shuffle=True)
    train_curve, valid_curve = [], []
    best, best_epoch, best_state = float("inf"), 0, None
    for epoch in progress(range(epochs), desc=label):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        train_curve.append(evaluate(model, *train, loss_fn))
        valid_curve.append(evaluate(model, *valid, loss_fn))
        if valid_curve[-1] < best:
            best, best_epoch, best_state = valid_curve[-1], epoch, copy.deepcopy(model.state_dict())
        elif patience is not None and epoch - best_epoch >= patience:
            break  # early stopping
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)  # keep the weights of the best epoch
    return train_curve, valid_curve, best_epoch


def schedule_curves(epochs):
    """The learning rate each scheduler gives, epoch by epoch."""
    schedules = {
        "StepLR(step_size=10, gamma=0.5)": lambda o: optim.lr_scheduler.StepLR(o, step_size=10, gamma=0.5),
        "ExponentialLR(gamma=0.95)": lambda o: optim.lr_scheduler.ExponentialLR(o, gamma=0.95),
        "1/t: LambdaLR(1 / (1 + 0.1 t))": lambda o: optim.lr_scheduler.LambdaLR(o, lambda t: 1 / (1 + 0.1 * t)),
    }
    curves = {}
    for name, make in schedules.items():
        optimizer = optim.SGD([ag.zeros(1, requires_grad=True)], lr=0.1)
        scheduler = make(optimizer)
        rates = []
        for _ in range(epochs):
            rates.append(scheduler.get_last_lr()[0])
            optimizer.step()
            scheduler.step()
        curves[name] = rates
    return curves


def main(quick=False, plot=True):
    epochs = 3 if quick else 60
    train, valid = load_splits()
    rates = schedule_curves(epochs)

    ag.manual_seed(0)
    plain = fit(make_model(), train, valid, epochs, label="no regularisation")
    ag.manual_seed(0)
    decayed = fit(make_model(), train, valid, epochs, weight_decay=1e-2, label="L2 weight decay")
    ag.manual_seed(0)
    dropped = fit(make_model(dropout=0.5), train, valid, epochs, patience=10, label="dropout + early stop")

    for name, (train_curve, valid_curve, best_epoch) in (
            ("no regularisation", plain), ("L2 weight decay 1e-2", decayed), ("dropout 0.5 + early stop", dropped)):
        print(f"{name:26s} final train {train_curve[-1]:.4f}  final valid {valid_curve[-1]:.4f}  "
              f"best valid {min(valid_curve):.4f} (epoch {best_epoch + 1}, {len(valid_curve)} epochs run)")
    if plot:
        plt = pyplot()
        figure, axes = plt.subplots(1, 3, figsize=(14, 3.8))
        for name, curve in rates.items():
            axes[0].plot(curve, label=name)
        axes[0].set_title("learning-rate schedules")
        axes[0].set_xlabel("epoch")
        axes[0].legend(fontsize=7)
        for axis, (title, runs) in zip(axes[1:], (
                ("L2 weight decay", {"none": plain, "weight_decay=1e-2": decayed}),
                ("dropout + early stopping", {"none": plain, "dropout 0.5": dropped}))):
            for (label, (train_curve, valid_curve, _)), colour in zip(runs.items(), ("tab:blue", "tab:orange")):
                axis.plot(train_curve, "--", color=colour, label=f"{label} (train)")
                axis.plot(valid_curve, color=colour, label=f"{label} (valid)")
            axis.set_yscale("log")
            axis.set_xlabel("epoch")
            axis.set_title(title)
            axis.legend(fontsize=7)
        print("plot saved to", save_figure(figure, "regularization_and_schedules"))
    return {"plain": plain, "weight_decay": decayed, "dropout": dropped, "rates": rates}


if __name__ == "__main__":
    args = parse_args(__doc__)
    main(quick=args.quick, plot=not args.no_plot)
