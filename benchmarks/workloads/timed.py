"""W1..W5: the timed workloads, their inputs (the same arrays for every library) and sizes.

Every input is drawn here, in the parent, from a seeded numpy generator and
written once to an .npz that every worker loads, so all libraries start from the
very same weights and batch.
"""
import numpy as np

from peers import MACHINE

MLP_SIZES = (784, 512, 512, 10)
ACTIVATIONS = ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu")
W3_FORMS = ("explicit", "sum")


class Case:
    """One measured configuration of a workload.

    ``fn`` is the peer function called with ``arrays`` (saved to .npz) and ``params``
    (sent as JSON); ``work`` holds the sizes derived figures need (FLOPs, ops,
    bytes); ``libs`` restricts who runs it (a machine-only case); ``tolerance`` is
    the largest accepted max|a - b| / max|reference| for every checked array.
    ``floor`` = (fn, arrays, work) is a machine measurement timed in the *same*
    round-robin as the libraries (so it sees the same machine): the GEMMs of a W1
    step, the copy that bounds an activation.
    """

    def __init__(self, label, fn, arrays, params=None, libs=None, repeats=None, work=None, tolerance=1e-3,
                 floor=None):
        self.label = label
        self.fn = fn
        self.arrays = arrays
        self.params = params or {}
        self.libs = libs
        self.repeats = repeats
        self.work = work or {}
        self.tolerance = tolerance
        self.floor = floor


class Workload:
    """A named list of cases and how to print them (``unit`` is per call, or per op when ``per_op``)."""

    def __init__(self, key, title, make_cases, libs=None, per_op=False):
        self.key = key
        self.title = title
        self.make_cases = make_cases
        self.libs = libs
        self.per_op = per_op


def mlp_inputs(batch, seed=0):
    """W1's weights (torch's default Linear init ranges) and a random batch, float32."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for layer, (fan_in, fan_out) in enumerate(zip(MLP_SIZES[:-1], MLP_SIZES[1:])):
        bound = 1 / np.sqrt(fan_in)
        arrays[f"w{layer}"] = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        arrays[f"b{layer}"] = rng.uniform(-bound, bound, fan_out).astype(np.float32)
    arrays["x"] = rng.standard_normal((batch, MLP_SIZES[0])).astype(np.float32)
    arrays["y"] = rng.integers(0, MLP_SIZES[-1], batch).astype(np.int64)
    return arrays


MLP_PARAMS = {"lr": 0.01, "momentum": 0.9}


def mlp_step_flops(batch):
    """GEMM FLOPs of one training step: forward, weight gradients, and input gradients of
    layers 2 and 3 (nobody needs d loss / d x), 2 FLOPs per multiply-add."""
    layers = list(zip(MLP_SIZES[:-1], MLP_SIZES[1:]))
    macs = sum(i * o for i, o in layers)
    input_grad_macs = sum(i * o for i, o in layers[1:])
    return 2 * batch * (2 * macs + input_grad_macs)


def _w1_cases(quick):
    k, n = MLP_SIZES[0], MLP_SIZES[1]
    rng = np.random.default_rng(1)

    def matrix(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    peak = {"a": matrix(512, k), "b": matrix(k, n)}
    cases = [Case(f"GEMM 512x{k} @ {k}x{n}", "gemm", peak, libs=(MACHINE,), work={"flops": 2 * 512 * k * n})]
    for batch in ((8,) if quick else (1, 32, 128, 512)):
        step_gemms = {"x": matrix(batch, k), "w0": matrix(n, k), "w1": matrix(n, n), "w2": matrix(10, n),
                      "h": matrix(batch, n), "dh": matrix(batch, n), "dz": matrix(batch, 10)}
        work = {"flops": mlp_step_flops(batch), "batch": batch}
        cases.append(Case(f"batch {batch}", "mlp_step", mlp_inputs(batch), MLP_PARAMS, work=work,
                          floor=("mlp_gemms", step_gemms, work)))
    return cases


def _w2_cases(quick):
    x = np.linspace(-1, 1, 10, dtype=np.float32)
    iterations = 1000
    return [Case(f"fwd+bwd, {3 * iterations} ops", "op_chain", {"x": x},
                 {"iterations": iterations, "backward": True}, work={"ops": 3 * iterations}),
            Case(f"fwd only, {3 * iterations} ops", "op_chain", {"x": x},
                 {"iterations": iterations, "backward": False}, work={"ops": 3 * iterations})]


def _w3_cases(quick):
    size = 100_000 if quick else 1_000_000
    rng = np.random.default_rng(3)
    arrays = {"x": rng.standard_normal(size).astype(np.float32),
              "g": rng.standard_normal(size).astype(np.float32)}
    # forward reads x, writes y; backward reads g and x (or y), writes dx: 5 passes of x's size,
    # against a copy of x (read + write: 2 passes) timed alongside
    floor = ("copy", {"x": arrays["x"]}, {"bytes": 2 * arrays["x"].nbytes})
    # Two forms: act(x).backward(g) with a contiguous g, and act(x).sum().backward(), whose
    # gradient reaches the activation as a broadcast of one number (stride 0).  The sum form's
    # floor is taken as the same 5 passes (read x, write y, read y for the sum, read x, write dx).
    return [Case(name if form == "explicit" else f"{name}, sum()", "activation", arrays, {"name": name, "form": form},
                 floor=floor, work={"bytes": 5 * arrays["x"].nbytes, "elements": size, "form": form})
            for form in W3_FORMS for name in ACTIVATIONS]


def _w4_cases(quick):
    batch, classes = (64, 100) if quick else (512, 1000)
    rng = np.random.default_rng(4)
    arrays = {"logits": rng.standard_normal((batch, classes)).astype(np.float32),
              "target": rng.integers(0, classes, batch).astype(np.int64)}
    return [Case(f"({batch}, {classes})", "cross_entropy", arrays),
            Case(f"log_softmax forward ({batch}, {classes})", "log_softmax", {"logits": arrays["logits"]})]


def _w5_cases(quick):
    x = np.linspace(-1, 1, 10, dtype=np.float32)
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    # Libraries' float32 tanh differ in the last bit, and the gradient is a product of
    # `ops` factors; measured differences stay near 1e-5..1e-4 of the largest entry, far
    # inside the 1e-3 tolerance, while a wrong rule is off by O(1).
    return [Case(f"{ops:,} ops", "deep_backward", {"x": x}, {"ops": ops},
                 repeats=3 if ops >= 100_000 else None, work={"ops": ops}) for ops in sizes]


TIMED_WORKLOADS = {
    "W1": Workload("W1", "MLP 784-512-512-10 training step (float32, CE, SGD momentum 0.9)", _w1_cases),
    "W2": Workload("W2", "per-op overhead: y = tanh(y * 1.0001 + 0.001) x1000 on shape (10,)",
                   _w2_cases, per_op=True),
    "W3": Workload("W3", "activation forward+backward, float32", _w3_cases),
    "W4": Workload("W4", "cross-entropy forward+backward and log_softmax forward, float32 logits", _w4_cases),
    "W5": Workload("W5", "backward through a chain of tanh ops, shape (10,)", _w5_cases,
                   libs=("ours", "torch", "autograd", "mygrad", "numpy")),
}
