"""Where a training step's time goes: single-thread CPU time, this project against torch and numpy.

    python benchmarks/profile_step.py               # W1 phases at batch 1/32/128/512, optimizers, W2
    python benchmarks/profile_step.py --batches 32 --repeats 15

Why CPU time and one thread: on a shared 2-core machine, wall-clock timings of
multi-threaded code swing by 2-10x with the load (see README); the CPU time of
one thread does not, so it shows what a change to the engine saves.  The
side-by-side wall-clock figures come from ``benchmarks/run.py``.

Rows: the W1 step (784-512-512-10 MLP, cross-entropy, SGD momentum 0.9, float32)
split into zero_grad / forward+loss / backward / optimizer step, for this project
and torch; each optimizer's step on W1's parameters against a hand-written numpy
update; and W2's per-op time (y = tanh(y * 1.0001 + 0.001), shape (10,)).
"""
import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import numpy as np  # noqa: E402
import torch  # noqa: E402

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402

torch.set_num_threads(1)
SHAPES = [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)]


def best_cpu_seconds(function, number, repeats):
    """The fastest of `repeats` batches of `number` calls, in CPU seconds per call."""
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        for _ in range(number):
            function()
        best = min(best, (time.thread_time() - start) / number)
    return best


def mlp(library):
    """(model, loss, optimizer) for W1 in `library` (ag or torch), with one set of weights."""
    if library is ag:
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        return model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                                torch.nn.ReLU(), torch.nn.Linear(512, 10))
    return model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def step_phases(library, batch, steps):
    """CPU milliseconds per step of zero_grad, forward+loss, backward and the optimizer step."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    model, loss_fn, optimizer = mlp(library)
    inputs, targets = library.from_numpy(x), library.from_numpy(y)
    totals = np.zeros(4)
    for index in range(steps + 3):
        marks = [time.thread_time()]
        optimizer.zero_grad()
        marks.append(time.thread_time())
        loss = loss_fn(model(inputs), targets)
        marks.append(time.thread_time())
        loss.backward()
        marks.append(time.thread_time())
        optimizer.step()
        marks.append(time.thread_time())
        if index >= 3:  # warm-up steps: kernels load, buffers are made
            totals += np.diff(marks)
    return totals / steps * 1e3


def numpy_sgd():
    params = [np.random.default_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(SHAPES)]
    grads = [p * np.float32(0.01) for p in params]
    buffers = [g.copy() for g in grads]

    def update():
        for p, g, b in zip(params, grads, buffers):
            b *= np.float32(0.9)
            b += g
            p -= np.float32(0.01) * b
    return update


def numpy_adam():
    params = [np.random.default_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(SHAPES)]
    grads = [p * np.float32(0.01) for p in params]
    means, squares = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]

    def update():
        for p, g, m, v in zip(params, grads, means, squares):
            m *= np.float32(0.9)
            m += np.float32(0.1) * g
            v *= np.float32(0.999)
            v += np.float32(0.001) * (g * g)
            denominator = np.sqrt(v)
            denominator += np.float32(1e-8)
            p -= np.float32(1e-3) * (m / denominator)
    return update


def optimizer_step(library, name, options):
    params = [np.random.default_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(SHAPES)]
    tensors = [library.from_numpy(p).requires_grad_() for p in params]
    for tensor in tensors:
        tensor.grad = library.from_numpy(tensor.detach().numpy() * np.float32(0.01))
    module = optim if library is ag else torch.optim
    return getattr(module, name)(tensors, **options).step


def op_chain(library, backward):
    start = library.from_numpy(np.random.default_rng(0).standard_normal(10).astype(np.float32))

    def run():
        y = leaf = start.detach().requires_grad_()
        for _ in range(1000):
            y = (y * 1.0001 + 0.001).tanh()
        if backward:
            y.sum().backward()
        return leaf
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,32,128,512", help="comma-separated W1 batch sizes")
    parser.add_argument("--repeats", type=int, default=9, help="timed batches per figure (the best is shown)")
    args = parser.parse_args()

    print("W1 step, CPU ms per phase (zero_grad / forward+loss / backward / optimizer step = total)")
    for batch in (int(b) for b in args.batches.split(",")):
        steps = max(5, 300 // batch)
        for label, library in (("ours", ag), ("torch", torch)):
            phases = step_phases(library, batch, steps)
            print(f"  batch {batch:4d} {label:6s} " + " / ".join(f"{p:.3f}" for p in phases)
                  + f" = {phases.sum():.3f}")

    print("\nOptimizer step on W1's parameters, CPU us (numpy: the hand-written update)")
    floors = {"SGD": numpy_sgd(), "Adam": numpy_adam()}
    for name, options in (("SGD", dict(lr=0.01, momentum=0.9)), ("Adam", dict(lr=1e-3)),
                          ("AdamW", dict(lr=1e-3)), ("RMSprop", dict(lr=1e-2)), ("Adagrad", dict(lr=1e-2))):
        ours = best_cpu_seconds(optimizer_step(ag, name, options), 20, args.repeats) * 1e6
        theirs = best_cpu_seconds(optimizer_step(torch, name, options), 20, args.repeats) * 1e6
        floor = floors.get(name)
        floor_text = f"  numpy {best_cpu_seconds(floor, 20, args.repeats) * 1e6:7.0f}" if floor else ""
        print(f"  {name:8s} ours {ours:7.0f}  torch {theirs:7.0f}{floor_text}")

    print("\nW2, CPU us per op (3000 ops, forward / forward+backward)")
    for label, library in (("ours", ag), ("torch", torch)):
        forward = best_cpu_seconds(op_chain(library, False), 3, args.repeats) / 3000 * 1e6
        both = best_cpu_seconds(op_chain(library, True), 3, args.repeats) / 3000 * 1e6
        print(f"  {label:6s} {forward:.2f} / {both:.2f}")


if __name__ == "__main__":
    main()
