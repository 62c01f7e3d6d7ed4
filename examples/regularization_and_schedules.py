"""Learning-rate schedules, L2 weight decay (coupled vs decoupled) and early stopping.

Three experiments on scikit-learn's digits with an over-sized MLP (64-256-256-10):
  1. the learning rate under StepLR, ExponentialLR and 1/t decay (LambdaLR);
  2. weight decay on a small training set (300 digits), and why *how* it is applied matters:
       - with SGD, L2 regularisation (add wd * w to the gradient) and weight decay
         (shrink w by lr * wd each step) are the same thing, and it helps here;
       - `Adam(weight_decay=...)` is *coupled* L2: the wd * w term is added to the gradient
         and then divided by Adam's adaptive denominator sqrt(v) + eps like the rest of it.
         A weight with small loss gradients (small v) is pulled to zero by up to lr per step
         whatever wd is; one with large gradients is hardly decayed.  That is not a uniform
         shrink, and at wd = 1e-2 it makes the validation loss worse;
       - `AdamW(weight_decay=...)` *decouples* it (Loshchilov & Hutter): every weight is
         multiplied by (1 - lr * wd) outside the adaptive step -- the shrink decay means --
         and the validation loss ends lower than without it;
  3. early stopping where it matters: 500 training digits with 30% of their labels replaced
     by random ones.  The net first learns the digits, then memorises the wrong labels and
     the validation loss turns clearly up.  Training stops once the validation loss has not
     improved for `patience` = 10 epochs, and the weights of the best epoch are restored
     (checked: the restored model's validation loss is the best one).  Dropout 0.5, trained
     the full 80 epochs, is shown beside it.

    python examples/regularization_and_schedules.py   # examples/output/regularization_and_schedules.png

Full run (`time python examples/regularization_and_schedules.py`): 26 s wall, 11.5 s CPU on 2 cores
(AMD EPYC, load ~6 from other jobs); `--quick` runs 4 epochs.
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


def load_splits(train_size=300, label_noise=0.0, seed=0):
    """A deliberately small training set (so the network can overfit) and a 600-digit validation set.

    `label_noise`: the fraction of training labels replaced by a random class (validation labels stay clean)."""
    require("sklearn")  # a clear message if the examples extra is missing
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(digits.target))
    X = (digits.data[order] / 16.0).astype(np.float32)
    y = digits.target[order].astype(np.int64)
    valid = (X[-600:], y[-600:])
    X_train, y_train = X[:train_size], y[:train_size].copy()
    noisy = rng.random(train_size) < label_noise
    y_train[noisy] = rng.integers(0, 10, int(noisy.sum()))
    return (X_train, y_train), valid


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


OPTIMIZERS = {  # name: (class, keyword arguments)
    "SGD": (optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    "Adam": (optim.Adam, {"lr": 1e-3}),
    "AdamW": (optim.AdamW, {"lr": 1e-3}),
}


def fit(model, train, valid, epochs, optimizer="Adam", weight_decay=0.0, patience=None, label=""):
    """Mini-batch training; returns a dict: train and validation loss per epoch, the best epoch
    (counted from 1), and with `patience` the epoch it stopped at and the restored model's validation loss.

    With `patience`, training stops once the validation loss has not improved for that many epochs,
    and the weights of the best epoch are put back."""
    ag.manual_seed(1)
    cls, kwargs = OPTIMIZERS[optimizer]
    opt = cls(model.parameters(), weight_decay=weight_decay, **kwargs)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(ag.tensor(train[0]), ag.tensor(train[1])), batch_size=32, shuffle=True)
    train_curve, valid_curve = [], []
    best, best_epoch, best_state, stopped = float("inf"), 0, None, None
    for epoch in progress(range(1, epochs + 1), desc=label, leave=False):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        train_curve.append(evaluate(model, *train, loss_fn))
        valid_curve.append(evaluate(model, *valid, loss_fn))
        if valid_curve[-1] < best:
            best, best_epoch = valid_curve[-1], epoch
            if patience is not None:
                best_state = copy.deepcopy(model.state_dict())
        elif patience is not None and epoch - best_epoch >= patience:
            stopped = epoch  # early stopping
            break
    result = {"train": train_curve, "valid": valid_curve, "best_epoch": best_epoch, "stopped": stopped}
    if patience is not None:
        model.load_state_dict(best_state)  # keep the weights of the best epoch
        result["restored_valid"] = evaluate(model, *valid, loss_fn)
    return result


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
    epochs, noisy_epochs, patience = (4, 4, 1) if quick else (60, 80, 10)
    rates = schedule_curves(epochs)

    clean = load_splits(train_size=300)
    decay_runs = {  # name: fit arguments
        "SGD": {"optimizer": "SGD"},
        "SGD(weight_decay=3e-3)": {"optimizer": "SGD", "weight_decay": 3e-3},
        "Adam": {"optimizer": "Adam"},
        "Adam(weight_decay=1e-2): coupled L2": {"optimizer": "Adam", "weight_decay": 1e-2},
        "AdamW(weight_decay=1.0): decoupled": {"optimizer": "AdamW", "weight_decay": 1.0},
    }
    decay = {}
    for name, fit_args in decay_runs.items():
        ag.manual_seed(0)
        decay[name] = fit(make_model(), *clean, epochs, label=name, **fit_args)

    noisy = load_splits(train_size=500, label_noise=0.3)
    stopping_runs = {
        "Adam, 80 epochs": ({}, {}),
        "Adam + early stopping": ({"patience": patience}, {}),
        "dropout 0.5, 80 epochs": ({}, {"dropout": 0.5}),
    }
    stopping = {}
    for name, (fit_args, model_args) in stopping_runs.items():
        ag.manual_seed(0)
        stopping[name] = fit(make_model(**model_args), *noisy, noisy_epochs, label=name, **fit_args)

    print(f"2. weight decay, 300 clean training digits, {epochs} epochs (validation cross-entropy):")
    print(f"  {'':38s} {'final train':>11s} {'final valid':>11s} {'best valid':>10s}")
    for name, r in decay.items():
        print(f"  {name:38s} {r['train'][-1]:11.4f} {r['valid'][-1]:11.4f} {min(r['valid']):10.4f}")
    final = {name: r["valid"][-1] for name, r in decay.items()}
    print(f"  SGD: weight decay (for SGD the same as L2) takes the validation loss {final['SGD']:.4f} -> "
          f"{final['SGD(weight_decay=3e-3)']:.4f}.")
    print(f"  Adam: coupled L2 {final['Adam']:.4f} -> {final['Adam(weight_decay=1e-2): coupled L2']:.4f}, "
          f"decoupled (AdamW) {final['Adam']:.4f} -> {final['AdamW(weight_decay=1.0): decoupled']:.4f}.  Why: "
          "Adam divides the whole gradient,\n  the wd * w term included, by sqrt(v) + eps, so the decay is rescaled "
          "weight by weight -- weights with small gradients are\n  pulled hard towards 0, those with large ones "
          "hardly at all.  AdamW shrinks every weight by the same factor (1 - lr * wd) per step.")

    print(f"\n3. early stopping, 500 training digits with 30% random labels, patience {patience}:")
    full, stopped = stopping["Adam, 80 epochs"], stopping["Adam + early stopping"]
    print(f"  without it the validation loss falls to {min(full['valid']):.4f} at epoch {full['best_epoch']}, then rises "
          f"to {full['valid'][-1]:.4f} at epoch {noisy_epochs}\n  (the net memorises the wrong labels: training loss "
          f"{full['train'][full['best_epoch'] - 1]:.3f} -> {full['train'][-1]:.3f}).")
    if stopped["stopped"] is not None:
        print(f"  early stopping fired at epoch {stopped['stopped']} of {noisy_epochs}: no improvement for {patience} "
              f"epochs since the best, epoch {stopped['best_epoch']};\n  the weights of epoch {stopped['best_epoch']} "
              f"were restored (validation loss {stopped['restored_valid']:.4f}, vs {full['valid'][-1]:.4f} after all "
              f"{noisy_epochs} epochs).")
    else:
        print(f"  early stopping did not fire in {noisy_epochs} epochs (best epoch {stopped['best_epoch']}).")
    drop = stopping["dropout 0.5, 80 epochs"]
    print(f"  dropout 0.5 instead: best {min(drop['valid']):.4f} (epoch {drop['best_epoch']}), "
          f"{drop['valid'][-1]:.4f} after {noisy_epochs} epochs.")

    if plot:
        plot_results(rates, decay, stopping, patience)
    return {"rates": rates, "decay": decay, "stopping": stopping, "patience": patience,
            "epochs": epochs, "noisy_epochs": noisy_epochs}


def plot_results(rates, decay, stopping, patience):
    """Four panels: the schedules; weight decay with SGD; with Adam (coupled) and AdamW; early stopping."""
    plt = pyplot()
    figure, axes = plt.subplots(2, 2, figsize=(13, 9.5))
    (schedules, sgd_axis), (adam_axis, stop_axis) = axes
    for name, curve in rates.items():
        schedules.plot(range(1, len(curve) + 1), curve, label=name)
    schedules.set_title("1. learning-rate schedules")
    schedules.set_xlabel("epoch")
    schedules.set_ylabel("learning rate (initial 0.1)")
    schedules.legend(fontsize=8)

    def curves(axis, result, colour, name):
        epochs = range(1, len(result["valid"]) + 1)
        axis.plot(epochs, result["train"], "--", color=colour, alpha=0.6, linewidth=1)
        axis.plot(epochs, result["valid"], color=colour, label=name)

    for name, colour in (("SGD", "tab:blue"), ("SGD(weight_decay=3e-3)", "tab:green")):
        curves(sgd_axis, decay[name], colour, name)
    sgd_axis.set_title("2a. SGD: L2 = weight decay, and it helps")
    for name, colour in (("Adam", "tab:blue"), ("Adam(weight_decay=1e-2): coupled L2", "tab:red"),
                         ("AdamW(weight_decay=1.0): decoupled", "tab:green")):
        curves(adam_axis, decay[name], colour, name)
    adam_axis.set_title("2b. Adam: coupled L2 hurts, decoupled decay (AdamW) helps")
    adam_axis.text(0.97, 0.62, "Adam(weight_decay) adds wd*w to the gradient,\nthen divides it by sqrt(v)+eps:"
                   " the decay\nis rescaled weight by weight.\nAdamW multiplies every weight by\n(1 - lr*wd) each step.",
                   transform=adam_axis.transAxes, ha="right", va="top", fontsize=8,
                   bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9})
    for axis in (sgd_axis, adam_axis):
        axis.set_ylim(0, 0.6)  # zoomed in where the validation curves differ (they start at 2.3)
        axis.set_xlabel("epoch (300 clean training digits)")
        axis.set_ylabel("cross-entropy (validation solid, train dashed)")
        axis.legend(fontsize=8, loc="upper right")

    for name, colour in (("Adam, 80 epochs", "tab:blue"), ("dropout 0.5, 80 epochs", "tab:orange")):
        curves(stop_axis, stopping[name], colour, name)
    stopped = stopping["Adam + early stopping"]
    if stopped["stopped"] is not None:
        stop_axis.axvline(stopped["stopped"], color="tab:red", linestyle=":",
                          label=f"early stopping fires (epoch {stopped['stopped']}, patience {patience})")
        stop_axis.plot(stopped["best_epoch"], stopped["restored_valid"], "o", color="tab:red", markersize=8,
                       label=f"best epoch {stopped['best_epoch']}: its weights restored")
    stop_axis.set_ylim(0, 2.0)
    stop_axis.set_title("3. early stopping: 500 digits, 30% random labels")
    stop_axis.set_xlabel("epoch")
    stop_axis.set_ylabel("cross-entropy (validation solid, train dashed)")
    stop_axis.legend(fontsize=8, loc="upper right")
    figure.tight_layout()
    print("plot saved to", save_figure(figure, "regularization_and_schedules"))


if __name__ == "__main__":
    args = parse_args(__doc__, needs=("sklearn",))
    main(quick=args.quick, plot=not args.no_plot)
