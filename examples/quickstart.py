"""Quickstart: build a tiny graph, run backward(), read the gradients, check them.

    f(x, w) = sum(tanh(w * x + 1) * x)

The forward pass records each operation on the tape; ``backward()`` walks the
tape in reverse and sums the contributions of every path -- here `x` is used
twice, so its gradient is the sum of two terms.
"""
import numpy as np

import autograd_core as ag


def f(x, w):
    return ((w * x + 1).tanh() * x).sum()


def main():
    x = ag.tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = ag.tensor(0.8, requires_grad=True)

    loss = f(x, w)
    loss.backward()
    print(f"f(x, w)  = {loss:.6f}")
    print("df/dx    =", x.grad)
    print("df/dw    =", w.grad)

    # The same by hand: d/dx [tanh(wx+1) x] = tanh(wx+1) + x w (1 - tanh^2(wx+1)).
    xs, ws = x.detach().numpy(), float(w.item())
    t = np.tanh(ws * xs + 1)
    print("by hand  =", t + xs * ws * (1 - t * t))

    # gradcheck compares backward() with central finite differences (use float64).
    x64 = ag.tensor([0.5, -1.0, 2.0], dtype=ag.float64, requires_grad=True)
    w64 = ag.tensor(0.8, dtype=ag.float64, requires_grad=True)
    print("gradcheck:", ag.gradcheck(f, (x64, w64)))

    # Second derivatives: differentiate the gradient itself (create_graph=True).
    (grad_w,) = ag.grad(f(x64, w64), w64, create_graph=True)
    (second,) = ag.grad(grad_w, w64)
    print(f"d2f/dw2  = {second.item():.6f}")


if __name__ == "__main__":
    main()
