"""A gradient-check walkthrough: a custom Function with a wrong backward, caught by gradcheck.

We write softplus(x) = log(1 + exp(x)) as a user-defined
`autograd_core.autograd.Function`.  Its derivative is the sigmoid,
1 / (1 + exp(-x)); the buggy version returns exp(-x) / (1 + exp(-x)) = 1 - sigmoid(x)
instead -- a sign slip anyone can make, right at x = 0 (where both are 1/2) and
wrong everywhere else.  Training with it would silently go the wrong way.

`gradcheck(f, inputs)` builds the Jacobian of f twice: once with our backward
(the "analytical" one, one backward pass per output element) and once by central
finite differences, (f(x + eps) - f(x - eps)) / (2 eps) per input element (the
"numerical" one), in float64 so that eps = 1e-6 is both small enough and far from
rounding noise.  It fails when any entry differs by more than atol + rtol * |numerical|
and names the worst one.  The script prints that report, reads it back
(which input element, which output element, both values), checks the explanation
against the formulas, then shows the fixed Function passing.  A figure shows the
two derivatives against the finite-difference slope.

    python examples/gradcheck_walkthrough.py     # examples/output/gradcheck_walkthrough.png

Full run (`time python examples/gradcheck_walkthrough.py`): 1.0 s on 2 cores (AMD EPYC, load ~0.1).
"""
import numpy as np

import autograd_core as ag
from autograd_core.autograd import Function, GradcheckError, gradcheck
from _common import parse_args, progress, pyplot, save_figure


class SoftplusWrong(Function):
    """softplus with a deliberately wrong backward: it uses 1 - sigmoid(x) as the slope."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.exp()).log()

    @staticmethod
    def backward(ctx, grad_y):
        (x,) = ctx.saved_tensors
        return grad_y * (-x).exp() / (1 + (-x).exp())  # BUG: this is sigmoid(-x), not sigmoid(x)


class Softplus(Function):
    """softplus with the right backward: d/dx log(1 + e^x) = e^x / (1 + e^x) = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (1 + x.exp()).log()

    @staticmethod
    def backward(ctx, grad_y):
        (x,) = ctx.saved_tensors
        return grad_y / (1 + (-x).exp())


def check(function, x):
    """Run gradcheck on function.apply at x; return (passed, report text)."""
    try:
        return gradcheck(function.apply, (x,)), "all Jacobian entries agree"
    except GradcheckError as error:
        return False, str(error)


def explain(x, report):
    """Read the worst entry back from gradcheck's report and say what it means."""
    values = x.detach().numpy()
    # The report names "input element (i,)": softplus is elementwise, so the output element is the same.
    index = int(report.split("at input element (")[1].split(",")[0].rstrip(")"))
    at = values[index]
    sigmoid = 1 / (1 + np.exp(-at))
    print(f"  Reading the report: the worst entry is d out[{index}] / d x[{index}] at x = {at:+.2f}.")
    print(f"    'analytical' is what our backward returned: 1 - sigmoid(x) = {1 - sigmoid:.10g}")
    print(f"    'numerical' is the finite-difference slope, which is sigmoid(x) = {sigmoid:.10g}")
    print("    They differ by |2 sigmoid(x) - 1| = |tanh(x/2)|: largest at the ends of the range, zero only")
    print("    at x = 0 -- so a check at x = 0 alone would pass; check at several points, away from special values.")
    count = report.split("; ")[-1].rstrip(")")
    print(f"    '{count}': the Jacobian is {values.size} x {values.size} (output elements x input elements).")
    print("    softplus is elementwise, so the off-diagonal entries are 0 in both; of the diagonal, all but")
    print("    the one at x = 0 are wrong.")
    return index


def main(quick=False, plot=True):
    x = ag.tensor(np.linspace(-3.0, 3.0, 5 if quick else 7), dtype=ag.float64, requires_grad=True)
    print("x =", x.detach().numpy())
    results = {}
    for name, function in progress([("wrong backward", SoftplusWrong), ("fixed backward", Softplus)], desc="gradcheck"):
        results[name] = check(function, x)
    passed_wrong, report = results["wrong backward"]
    print("\n1. gradcheck on the buggy Function fails, and says where:\n  ", report)
    worst = explain(x, report) if not passed_wrong else None
    passed_fixed, fixed_report = results["fixed backward"]
    print("\n2. gradcheck on the fixed Function:", passed_fixed, f"({fixed_report})")

    y = Softplus.apply(x)
    y.sum().backward()
    expected = 1 / (1 + np.exp(-x.detach().numpy()))
    print("   its gradient equals sigmoid(x) (max difference "
          f"{np.abs(x.grad.numpy() - expected).max():.1e}); the buggy one was caught before any training.")

    if plot:
        plt = pyplot()
        grid = np.linspace(-4, 4, 200)
        figure, axis = plt.subplots(figsize=(6.5, 4.5))
        axis.plot(grid, 1 / (1 + np.exp(-grid)), color="tab:green", label="right backward: sigmoid(x)")
        axis.plot(grid, 1 / (1 + np.exp(grid)), "--", color="tab:red", label="buggy backward: 1 - sigmoid(x)")
        points = x.detach().numpy()
        eps = 1e-6
        slope = (np.log1p(np.exp(points + eps)) - np.log1p(np.exp(points - eps))) / (2 * eps)
        axis.plot(points, slope, "ko", label="finite differences (what gradcheck measures)")
        if worst is not None:  # the entry the report names: our value vs the finite-difference one
            at = points[worst]
            axis.vlines(at, slope[worst], 1 / (1 + np.exp(at)), color="black", linewidth=0.8, linestyle=":")
            axis.annotate("the report's worst entry:\nanalytical vs numerical", (at, 0.5), xytext=(at + 0.25, 0.45),
                          fontsize=8)
        axis.set_xlabel("x")
        axis.set_ylabel("d softplus(x) / dx")
        axis.set_title("gradcheck compares backward() with finite differences")
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize=8)
        print("plot saved to", save_figure(figure, "gradcheck_walkthrough"))
    return {"wrong_passed": passed_wrong, "report": report, "fixed_passed": passed_fixed, "worst_index": worst,
            "x": x.detach().numpy(), "fixed_grad": x.grad.numpy().copy()}


if __name__ == "__main__":
    args = parse_args(__doc__)
    main(quick=args.quick, plot=not args.no_plot)
