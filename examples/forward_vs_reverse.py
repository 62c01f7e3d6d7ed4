"""Forward vs reverse mode: what a full Jacobian costs, a Hessian checked, per-sample gradients.

Reverse mode (backprop) gives one row of the Jacobian per backward pass: a vector-Jacobian
product u^T J.  Forward mode gives one column per forward pass: a Jacobian-vector product
J v.  So for f: R^n -> R^m the full m x n Jacobian costs about m reverse passes or n forward
passes -- the rule of thumb: forward mode when inputs are few (n << m), reverse mode when
outputs are few (m << n; a loss has m = 1, which is why training uses backprop).

1. `autograd.functional.jacobian(f, x, strategy=...)` is timed for f(x) = W2 tanh(W1 x), as
   the number of inputs n grows with m fixed, and as m grows with n fixed (log-log panels).
2. The Hessian of a small logistic-regression loss (`func.hessian`) is checked against
   central finite differences of its gradient.
3. `func.vmap(func.grad(loss), in_dims=(None, 0, 0))` gives every held-out sample's gradient
   of a digits MLP after a short training, checked against one backward pass per sample; the
   histogram shows how the gradient norm separates samples the net gets right from the rest.

    python examples/forward_vs_reverse.py            # examples/output/forward_vs_reverse.png

Full run (`time python examples/forward_vs_reverse.py`): 3.2 s on 2 cores (AMD EPYC, load ~2);
forward mode's time grew as n^0.89 and reverse mode's as m^0.85, each flat in the other.
"""
import os

# Small matrices: one BLAS thread is fastest, and several fight over 2 cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from _common import parse_args, progress, pyplot, save_figure  # noqa: E402
from autograd_core.autograd.functional import jacobian  # noqa: E402
from autograd_core.func import functional_call, grad, hessian, vmap  # noqa: E402

HIDDEN = 32
FIXED = 8  # the other dimension while one grows


def mlp_function(n, m, seed=0):
    """f: R^n -> R^m, f(x) = W2 tanh(W1 x), with fixed random weights (float64)."""
    rng = np.random.default_rng(seed)
    w1 = ag.tensor(rng.standard_normal((HIDDEN, n)) / np.sqrt(n))
    w2 = ag.tensor(rng.standard_normal((m, HIDDEN)) / np.sqrt(HIDDEN))
    return lambda x: w2 @ (w1 @ x).tanh()


def time_jacobian(n, m, strategy, repeats):
    """Best-of-`repeats` seconds for the full Jacobian of mlp_function(n, m), and the Jacobian."""
    f = mlp_function(n, m)
    x = ag.tensor(np.random.default_rng(1).standard_normal(n))
    jac = jacobian(f, x, vectorize=True, strategy=strategy)  # untimed: first calls load and compile kernels
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        jac = jacobian(f, x, vectorize=True, strategy=strategy)
        best = min(best, time.perf_counter() - start)
    return best, jac.numpy()


def jacobian_costs(sizes, repeats):
    """{"n": ..., "m": ...}: per growing dimension, the times of both modes at each size."""
    results = {}
    for grows in ("n", "m"):
        rows = []
        for size in progress(sizes, desc=f"Jacobians, {grows} grows", leave=False):
            n, m = (size, FIXED) if grows == "n" else (FIXED, size)
            forward, j_forward = time_jacobian(n, m, "forward-mode", repeats)
            reverse, j_reverse = time_jacobian(n, m, "reverse-mode", repeats)
            rows.append({"size": size, "forward_s": forward, "reverse_s": reverse,
                         "max_difference": float(np.abs(j_forward - j_reverse).max())})
        results[grows] = rows
    return results


def loglog_slope(sizes, times):
    """The exponent p of time ~ size^p (least squares on the logs)."""
    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def logistic_loss(w, x, y):
    """Mean binary cross-entropy of a logistic regression with weights w."""
    logits = x @ w
    return (logits.exp().log1p() - y * logits).mean()


def hessian_check(eps=1e-5):
    """Max |H - finite differences of the gradient| for a 5-weight logistic regression (float64)."""
    rng = np.random.default_rng(2)
    x = ag.tensor(rng.standard_normal((40, 5)))
    y = ag.tensor((rng.random(40) < 0.5).astype(np.float64))
    w = rng.standard_normal(5) * 0.5
    exact = hessian(logistic_loss)(ag.tensor(w), x, y).numpy()
    gradient = grad(logistic_loss)
    numeric = np.zeros((5, 5))
    for j in range(5):
        step = np.zeros(5)
        step[j] = eps
        numeric[:, j] = (gradient(ag.tensor(w + step), x, y).numpy()
                         - gradient(ag.tensor(w - step), x, y).numpy()) / (2 * eps)
    return float(np.abs(exact - numeric).max()), exact


def digits_data(start, count):
    """`count` of scikit-learn's 8x8 digits from position `start`, pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float64)[start:start + count]
    return ag.tensor(x), ag.tensor(digits.target[start:start + count].astype(np.int64))


def per_sample_gradient_norms(train_steps, samples, checked):
    """Train a digits MLP briefly; each held-out sample's gradient norm by vmap(grad), checked against a loop."""
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10)).double()
    train_x, train_y = digits_data(0, samples)
    x, y = digits_data(samples, samples)  # held out: the net gets some of these wrong
    opt = optim.Adam(model.parameters(), lr=1e-2)
    for _ in progress(range(train_steps), desc="training the MLP", leave=False):
        opt.zero_grad()
        nn.functional.cross_entropy(model(train_x), train_y).backward()
        opt.step()
    params = {name: p.detach() for name, p in model.named_parameters()}

    def sample_loss(p, xi, yi):
        return nn.functional.cross_entropy(functional_call(model, p, (xi.unsqueeze(0),)), yi.unsqueeze(0))

    start = time.perf_counter()
    grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, x, y)
    vmap_seconds = time.perf_counter() - start
    norms = np.sqrt(sum((g.numpy().reshape(samples, -1) ** 2).sum(1) for g in grads.values()))
    worst = 0.0
    for i in range(checked):  # the loop vmap must equal: one ordinary backward per sample
        model.zero_grad()
        nn.functional.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        for name, p in model.named_parameters():
            worst = max(worst, float(np.abs(grads[name].numpy()[i] - p.grad.numpy()).max()))
    with ag.no_grad():
        correct = (model(x).argmax(1) == y).numpy()
    return {"norms": norms, "correct": correct, "loop_max_difference": worst, "vmap_seconds": vmap_seconds}


def plot(costs, per_sample, quick):
    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    for axis, grows, fixed_name in ((axes[0], "n", "m"), (axes[1], "m", "n")):
        rows = costs[grows]
        sizes = [row["size"] for row in rows]
        axis.loglog(sizes, [row["forward_s"] for row in rows], "o-", label="forward mode (one JVP per input)")
        axis.loglog(sizes, [row["reverse_s"] for row in rows], "s-", label="reverse mode (one VJP per output)")
        axis.set_xlabel(f"number of {'inputs n' if grows == 'n' else 'outputs m'} ({fixed_name} = {FIXED})")
        axis.set_ylabel("seconds for the full Jacobian")
        axis.set_title(f"Jacobian of f: R^n -> R^m, {grows} grows")
        axis.set_xticks(sizes, [str(size) for size in sizes], minor=False)
        axis.xaxis.set_minor_formatter(plt.NullFormatter())
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=9)
    norms, correct = per_sample["norms"], per_sample["correct"]
    bins = np.logspace(np.log10(max(norms.min(), 1e-6)), np.log10(norms.max()), 30)
    axes[2].hist(norms[correct], bins=bins, alpha=0.7, label=f"classified right ({correct.sum()})")
    axes[2].hist(norms[~correct], bins=bins, alpha=0.7, label=f"classified wrong ({(~correct).sum()})")
    axes[2].set_xscale("log")
    axes[2].xaxis.set_minor_formatter(plt.NullFormatter())
    axes[2].set_xlabel("per-sample gradient norm ||d loss_i / d params||")
    axes[2].set_ylabel("samples")
    axes[2].set_title("vmap(grad(loss)): held-out digits, trained MLP" + (" (quick)" if quick else ""))
    axes[2].legend(fontsize=9, loc="upper center")
    figure.tight_layout()
    return save_figure(figure, "forward_vs_reverse")


def main(quick=False, plot_figure=True):
    sizes = [2, 8, 32] if quick else [2, 4, 8, 16, 32, 64, 128]
    costs = jacobian_costs(sizes, repeats=1 if quick else 3)
    slopes = {}
    print(f"Full Jacobian of f(x) = W2 tanh(W1 x) (hidden {HIDDEN}), best of {1 if quick else 3}:")
    for grows in ("n", "m"):
        rows = costs[grows]
        print(f"  {grows} grows ({'m' if grows == 'n' else 'n'} = {FIXED}):  " + "  ".join(
            f"{row['size']}: fwd {row['forward_s'] * 1e3:.1f} ms / rev {row['reverse_s'] * 1e3:.1f} ms"
            for row in rows))
        for mode in ("forward", "reverse"):
            slopes[f"{mode}_vs_{grows}"] = loglog_slope([r["size"] for r in rows], [r[f"{mode}_s"] for r in rows])
    agreement = max(row["max_difference"] for rows in costs.values() for row in rows)
    print(f"  log-log slopes: forward ~ n^{slopes['forward_vs_n']:.2f}, m^{slopes['forward_vs_m']:.2f};  "
          f"reverse ~ n^{slopes['reverse_vs_n']:.2f}, m^{slopes['reverse_vs_m']:.2f};  "
          f"both modes agree to {agreement:.1e}")
    print("Rule of thumb: forward mode costs about n passes (one per input), reverse mode about m (one per "
          "output): use forward mode when n << m, reverse mode when m << n (a scalar loss: m = 1).")

    hessian_error, _ = hessian_check()
    print(f"Hessian of a logistic-regression loss (5 weights) vs finite differences of its gradient: "
          f"max error {hessian_error:.1e}")

    samples = 128 if quick else 512
    per_sample = per_sample_gradient_norms(train_steps=10 if quick else 150, samples=samples,
                                           checked=8 if quick else 32)
    norms, correct = per_sample["norms"], per_sample["correct"]
    print(f"Per-sample gradients of a digits MLP, {samples} held-out samples by vmap(grad(...)) in "
          f"{per_sample['vmap_seconds']:.2f} s; equal to one backward per sample to "
          f"{per_sample['loop_max_difference']:.1e}. Median gradient norm: {np.median(norms[correct]):.3g} for "
          f"the {correct.sum()} samples classified right, "
          f"{np.median(norms[~correct]) if (~correct).any() else float('nan'):.3g} for the {(~correct).sum()} wrong.")
    if plot_figure:
        print("plot saved to", plot(costs, per_sample, quick))
    return {"costs": costs, "slopes": slopes, "jacobian_agreement": agreement, "hessian_error": hessian_error,
            "per_sample": per_sample}


if __name__ == "__main__":
    args = parse_args(__doc__, needs=("sklearn",))
    main(quick=args.quick, plot_figure=not args.no_plot)
