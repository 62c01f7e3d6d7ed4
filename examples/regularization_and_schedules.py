"""Learning-rate schedules, L2 weight decay and dropout with early stopping.

Three experiments on scikit-learn's digits, each a curve of training and
validation loss:
  1. the learning rate under StepLR, ExponentialLR and 1/t decay (LambdaLR);
  2. an over-sized MLP (64-256-256-10) on a small training set (300 digits), which
     overfits: its validation loss rises again after epoch ~25.  Weight decay is meant
     to help, and how it is applied matters:
       - `Adam(weight_decay=...)` is *coupled* L2: it adds wd * w to the gradient, and
         Adam then divides that gradient by its adaptive denominator sqrt(v) + eps.  The
         pull towards zero is rescaled per weight by that denominator, so it is not a
         uniform shrink: weights with large gradients are barely decayed and the
         rest are pulled hard.  It does not act as weight decay, and here it makes the
         validation loss worse;
       - `AdamW(weight_decay=...)` *decouples* it: every step multiplies each weight by
         (1 - lr * wd) outside the adaptive update, the shrink L2 decay means, and the
         validation loss ends lower than without it.  (For plain SGD the two are the same
         thing.)
  3. early stopping: training stops when the validation loss has not improved for
     `patience` = 10 epochs and the weights of the best epoch are restored; on the
     unregularised net it fires about 10 epochs after its best epoch, well before the
     end; dropout 0.5 (stopped the same way) delays the overfitting instead.

    python examples/regularization_and_schedules.py   # examples/output/regularization_and_schedules.png

Full run (`time python examples/regularization_and_schedules.py`): 18 s wall, 8.5 s CPU
on 2 cores (AMD EPYC, load ~4.5 from other jobs).
"""
import copy
import os

# These matrices are small: one BLAS thread is fastest, and several fight over 2 cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from _common import parse_args, progress, pyplot, require, save_figure  # noqa: E402
from autograd_core.data import DataLoader, TensorDataset  # noqa: E402


def load_splits(train_size=300, seed=0):
    """A deliberately small training set (so the network can overfit) and a validation set."""
    require("sklearn")  # a clear message if the examples extra is missing
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


def fit(model, train, valid, epochs, lr=1e-3, weight_decay=0.0, decoupled=False, patience=None, label=""):
    """Adam (or AdamW, `decoupled=True`) training; returns (train losses, validation losses,
    epoch of the best validation loss).  With `patience`, stops once the validation loss has not
    improved for that many epochs and restores the best epoch's weights."""
    ag.manual_seed(1)
    optimizer = (optim.AdamW if decoupled else optim.Adam)(model.parameters(), lr=lr, weight_decay=weight_decay)
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


def report_early_stop(name, curves, patience, epochs):
    """Say when and why early stopping fired (or that it did not)."""
    _, valid_curve, best_epoch = curves
    ran = len(valid_curve)
    if ran < epochs:
        print(f"  {name}: early stopping fired after epoch {ran} of {epochs}: the validation loss had not improved "
              f"for {patience} epochs since its best, {valid_curve[best_epoch]:.4f} at epoch {best_epoch + 1}; "
              "the weights of that epoch were restored.")
    else:
        print(f"  {name}: early stopping did not fire in {epochs} epochs (best epoch {best_epoch + 1}).")


def main(quick=False, plot=True):
    epochs, patience = (4, 1) if quick else (60, 10)
    train, valid = load_splits()
    rates = schedule_curves(epochs)

    runs = {  # name: (fit arguments, model arguments)
        "Adam, no regularisation": ({}, {}),
        "Adam(weight_decay=1e-2): coupled L2": ({"weight_decay": 1e-2}, {}),
        "AdamW(weight_decay=1.0): decoupled": ({"weight_decay": 1.0, "decoupled": True}, {}),
        "Adam + early stopping": ({"patience": patience}, {}),
        "dropout 0.5 + early stopping": ({"patience": patience}, {"dropout": 0.5}),
    }
    results = {}
    for name, (fit_args, model_args) in runs.items():
        ag.manual_seed(0)
        results[name] = fit(make_model(**model_args), train, valid, epochs, label=name, **fit_args)

    print(f"{'':38s} {'final train':>11s} {'final valid':>11s} {'best valid':>10s} {'(epoch)':>8s} {'epochs run':>10s}")
    for name, (train_curve, valid_curve, best_epoch) in results.items():
        print(f"{name:38s} {train_curve[-1]:11.4f} {valid_curve[-1]:11.4f} {min(valid_curve):10.4f} "
              f"{best_epoch + 1:8d} {len(valid_curve):10d}")
    plain, coupled, decoupled = (results[name][1][-1] for name in list(runs)[:3])
    print(f"L2 weight decay: AdamW's decoupled decay takes the final validation loss from {plain:.4f} to "
          f"{decoupled:.4f};\n  Adam's coupled L2 gives {coupled:.4f}: its decay term is divided by Adam's adaptive "
          "denominator sqrt(v) + eps like the\n  rest of the gradient, so it is rescaled weight by weight and does "
          "not act as weight decay.")
    for name in ("Adam + early stopping", "dropout 0.5 + early stopping"):
        report_early_stop(name, results[name], patience, epochs)

    if plot:
        plot_results(rates, results, epochs)
    return {"results": results, "rates": rates, "patience": patience, "epochs": epochs}


def plot_results(rates, results, epochs):
    """Three panels: the schedules, the weight-decay curves, early stopping and dropout."""
    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(17, 5))
    for name, curve in rates.items():
        axes[0].plot(range(1, len(curve) + 1), curve, label=name)
    axes[0].set_title("learning-rate schedules")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("learning rate (initial 0.1)")
    axes[0].legend(fontsize=8)
    colours = ["tab:blue", "tab:red", "tab:green", "tab:blue", "tab:orange"]
    panels = ((axes[1], "L2 weight decay: coupled (Adam) vs decoupled (AdamW)", [0, 1, 2]),
              (axes[2], "early stopping (patience 10) and dropout", [0, 4]))
    names = list(results)
    for axis, title, picks in panels:
        for pick in picks:
            train_curve, valid_curve, _ = results[names[pick]]
            epoch_axis = range(1, len(valid_curve) + 1)
            axis.plot(epoch_axis, train_curve, "--", color=colours[pick], alpha=0.7, label=f"{names[pick]} (train)")
            axis.plot(epoch_axis, valid_curve, color=colours[pick], label=f"{names[pick]} (valid)")
        axis.set_ylim(0, 0.6)  # zoomed in where the validation curves differ (they start at 2.3)
        axis.set_xlabel("epoch")
        axis.set_ylabel("cross-entropy (train dashed, validation solid)")
        axis.set_title(title)
    for name, colour in (("Adam + early stopping", "tab:blue"), ("dropout 0.5 + early stopping", "tab:orange")):
        _, valid_curve, best_epoch = results[name]
        if len(valid_curve) < epochs:  # it stopped: mark where and the epoch it went back to
            axes[2].axvline(len(valid_curve), color=colour, linestyle=":", label=f"{name}: stopped")
            axes[2].plot(best_epoch + 1, valid_curve[best_epoch], "o", color=colour,
                         label=f"{name}: best epoch, weights restored")
    for axis in axes[1:]:
        axis.legend(fontsize=7, loc="upper right")
    print("plot saved to", save_figure(figure, "regularization_and_schedules"))


if __name__ == "__main__":
    args = parse_args(__doc__, needs=("sklearn",))
    main(quick=args.quick, plot=not args.no_plot)
