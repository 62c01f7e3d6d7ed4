"""Binary classification with a sigmoid output and binary cross-entropy.

scikit-learn's breast-cancer data (569 tumours, 30 features): a small network
ends in a single logit; the sigmoid turns it into P(benign).  We train with
BCEWithLogitsLoss (the numerically stable form) and check that BCELoss on the
sigmoid gives the same value.
"""
import numpy as np

import autograd_core as ag
import nn
import optim
from _common import parse_args, progress, pyplot, require, save_figure


def load_data(seed=0):
    """Standardised features (train statistics), 75/25 stratified split."""
    require("sklearn")  # a clear message if the examples extra is missing
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    data = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=seed, stratify=data.target)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    scale = lambda X: ((X - mean) / std).astype(np.float32)  # noqa: E731
    return scale(X_train), scale(X_test), y_train.astype(np.float32), y_test.astype(np.float32)


def main(quick=False, plot=True):
    ag.manual_seed(0)
    X_train, X_test, y_train, y_test = load_data()
    model = nn.Sequential(nn.Linear(30, 16), nn.Tanh(), nn.Linear(16, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    loss_fn = nn.BCEWithLogitsLoss()
    Xt, yt = ag.tensor(X_train), ag.tensor(y_train)
    history = []
    for _ in progress(range(20 if quick else 300), desc="full-batch SGD"):
        optimizer.zero_grad()
        loss = loss_fn(model(Xt).squeeze(1), yt)
        loss.backward()
        optimizer.step()
        history.append(loss.item())

    model.eval()
    with ag.no_grad():
        probabilities = model(ag.tensor(X_test)).squeeze(1).sigmoid()
        bce_on_probabilities = nn.BCELoss()(probabilities, ag.tensor(y_test)).item()
        bce_on_logits = loss_fn(model(ag.tensor(X_test)).squeeze(1), ag.tensor(y_test)).item()
    test_accuracy = float(((probabilities.numpy() > 0.5) == (y_test > 0.5)).mean())
    print(f"test accuracy {test_accuracy:.2%}")
    print(f"test BCE: with logits {bce_on_logits:.5f}, on sigmoid outputs {bce_on_probabilities:.5f}")
    if plot:
        plt = pyplot()
        figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
        left.semilogy(history)
        left.set_xlabel("step")
        left.set_ylabel("training BCE")
        for label, colour in ((0, "tab:red"), (1, "tab:green")):
            right.hist(probabilities.numpy()[y_test == label], bins=20, range=(0, 1), alpha=0.6,
                       color=colour, label=["malignant", "benign"][label])
        right.set_xlabel("predicted P(benign)")
        right.set_ylabel("number of test tumours")
        right.set_title("test set: predicted probability by true class")
        left.set_title("training loss")
        right.legend()
        figure.suptitle(f"Breast cancer: {test_accuracy:.1%} test accuracy", y=1.04)
        print("plot saved to", save_figure(figure, "breast_cancer"))
    return {"test_accuracy": test_accuracy, "bce_logits": bce_on_logits, "bce_probabilities": bce_on_probabilities}


if __name__ == "__main__":
    args = parse_args(__doc__, needs=("sklearn",))
    main(quick=args.quick, plot=not args.no_plot)
