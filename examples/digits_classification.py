"""Softmax regression and an L-layer MLP on scikit-learn's digits (8x8 images, 10 classes).

Both are trained with mini-batch SGD-style loops written exactly as in PyTorch:
zero_grad / forward / loss / backward / step.  The MLP reaches at least 97%
test accuracy; softmax regression (a single Linear layer) is the baseline.
"""
import numpy as np

import autograd_core as ag
import nn
import optim
from _common import parse_args, progress, pyplot, require, save_figure
from autograd_core.data import DataLoader, TensorDataset


def load_data(seed=0):
    """Digits scaled to [0, 1], split 75/25 into train and test (stratified, fixed seed)."""
    require("sklearn")  # a clear message if the examples extra is missing
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)


def accuracy(model, X, y):
    model.eval()
    with ag.no_grad():
        predictions = model(ag.tensor(X)).argmax(dim=1).numpy()
    model.train()
    return float((predictions == y).mean())


def train(model, X_train, y_train, epochs, lr, batch_size=64, label=""):
    """Adam on cross-entropy; returns the mean training loss of each epoch."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(ag.tensor(X_train), ag.tensor(y_train)), batch_size=batch_size, shuffle=True)
    history = []
    for _ in progress(range(epochs), desc=label):
        total, count = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            count += len(yb)
        history.append(total / count)
    return history


def mlp(sizes, dropout=0.1):
    """An L-layer perceptron: Linear-ReLU-Dropout blocks, then a Linear to the logits."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU(), nn.Dropout(dropout)]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


def main(quick=False, plot=True):
    ag.manual_seed(0)
    X_train, X_test, y_train, y_test = load_data()
    epochs = 2 if quick else 40

    softmax_regression = nn.Linear(64, 10)
    softmax_history = train(softmax_regression, X_train, y_train, epochs, lr=1e-2, label="softmax regression")
    softmax_accuracy = accuracy(softmax_regression, X_test, y_test)

    network = mlp([64, 256, 128, 10])
    mlp_history = train(network, X_train, y_train, epochs, lr=2e-3, label="MLP 64-256-128-10")
    mlp_accuracy = accuracy(network, X_test, y_test)

    print(f"softmax regression: test accuracy {softmax_accuracy:.2%}")
    print(f"MLP 64-256-128-10:  test accuracy {mlp_accuracy:.2%}")
    if plot:
        plt = pyplot()
        figure, axis = plt.subplots(figsize=(5, 3.5))
        axis.plot(softmax_history, label=f"softmax regression ({softmax_accuracy:.1%} test)")
        axis.plot(mlp_history, label=f"MLP ({mlp_accuracy:.1%} test)")
        axis.set_xlabel("epoch")
        axis.set_ylabel("training cross-entropy")
        axis.set_yscale("log")
        axis.legend()
        axis.set_title("Digits")
        print("plot saved to", save_figure(figure, "digits"))
    return {"softmax_accuracy": softmax_accuracy, "mlp_accuracy": mlp_accuracy}


if __name__ == "__main__":
    args = parse_args(__doc__, needs=("sklearn",))
    main(quick=args.quick, plot=not args.no_plot)
