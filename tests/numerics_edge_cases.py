"""The table of edge-point cases for every loss and activation (issue 10, item 4).

Each case says how to call ours and torch on the same inputs: logits at +-1e4 and
around the points where float32 loses digits (+-20, +-100), probabilities exactly 0
and 1 (and 1e-7, 1e-3 away from them).  Two modules read it:
`nn/test_numerics_edges.py` (no torch: values and gradients finite, no numpy
RuntimeWarning, closed-form checks) and `nn/test_numerics_edges_torch.py` (the same
calls against torch, values and gradients, in float32 and float64).

A case's inputs are `Input`s: values, whether a gradient is taken, and whether they
are class indices (int64) rather than floats in the dtype under test.
"""
from dataclasses import dataclass, field

import numpy as np

import autograd_core as ag
import nn
import nn.functional as F

LOGITS = [-1e4, -100.0, -20.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 20.0, 100.0, 1e4]
PROBABILITIES = [0.0, 1e-7, 1e-3, 0.3, 0.5, 1 - 1e-3, 1 - 1e-7, 1.0]
# Large enough for the Numba kernels (the numpy twins run below ~2048 elements).
MANY_LOGITS = LOGITS * 400


@dataclass
class Input:
    values: object
    grad: bool = True
    indices: bool = False  # int64 class indices (never differentiated)

    def array(self, dtype):
        if self.indices:
            return np.asarray(self.values, dtype=np.int64)
        return np.asarray(self.values, dtype=dtype)


@dataclass
class Case:
    name: str
    ours: object  # (*tensors) -> Tensor
    theirs: object  # (torch, *tensors) -> torch.Tensor
    inputs: list
    #: In float64, where torch's formula cancels and ours does not (or the reverse), the two
    #: differ by rounding at the scale of the terms, not of the result: an absolute tolerance
    #: of eps * gradient_scale on the gradients.  0: compare relatively.  (float32 results are
    #: compared with torch's float32 and float64 results instead, see the torch module.)
    gradient_scale: float = 0.0
    #: The same for the value.
    value_scale: float = 0.0
    tags: tuple = field(default=())


def _elementwise(name, ours, theirs, values=None, **kwargs):
    return Case(name, ours, theirs, [Input(LOGITS if values is None else values)], **kwargs)


# torch's gelu, 0.5 x (1 + erf(x / sqrt 2)), cancels to 0 below x ~ -8 in float64 (ours, from
# erfc, keeps x Phi(x) ~ -5e-88 at x = -20): terms of the size of x; its gradient loses Phi(x)
# next to x phi(x) there: terms of size <= 1.
_GELU = {"value_scale": 20.0, "gradient_scale": 1.0}
# torch's softsign gradient 1/(1+|x|) - |x|/(1+|x|)^2 cancels, in terms of size <= 1.
_SOFTSIGN = {"gradient_scale": 1.0}


def _activation_cases():
    cases = []
    functional = [
        ("relu", F.relu, lambda T, x: T.nn.functional.relu(x)),
        ("relu6", F.relu6, lambda T, x: T.nn.functional.relu6(x)),
        ("leaky_relu", F.leaky_relu, lambda T, x: T.nn.functional.leaky_relu(x)),
        ("elu", F.elu, lambda T, x: T.nn.functional.elu(x)),
        ("elu(alpha=0.3)", lambda x: F.elu(x, 0.3), lambda T, x: T.nn.functional.elu(x, 0.3)),
        ("selu", F.selu, lambda T, x: T.nn.functional.selu(x)),
        ("sigmoid", F.sigmoid, lambda T, x: T.sigmoid(x)),
        ("tanh", F.tanh, lambda T, x: T.tanh(x)),
        ("gelu", F.gelu, lambda T, x: T.nn.functional.gelu(x)),
        ("gelu(tanh)", lambda x: F.gelu(x, approximate="tanh"),
         lambda T, x: T.nn.functional.gelu(x, approximate="tanh")),
        ("silu", F.silu, lambda T, x: T.nn.functional.silu(x)),
        ("softplus", F.softplus, lambda T, x: T.nn.functional.softplus(x)),
        ("softplus(beta=2, threshold=5)", lambda x: F.softplus(x, 2.0, 5.0),
         lambda T, x: T.nn.functional.softplus(x, 2.0, 5.0)),
        ("mish", F.mish, lambda T, x: T.nn.functional.mish(x)),
        ("softsign", F.softsign, lambda T, x: T.nn.functional.softsign(x)),
        ("hardtanh", F.hardtanh, lambda T, x: T.nn.functional.hardtanh(x)),
        ("logsigmoid", F.logsigmoid, lambda T, x: T.nn.functional.logsigmoid(x)),
        ("softmax", lambda x: F.softmax(x, 0), lambda T, x: T.softmax(x, 0)),
        ("log_softmax", lambda x: F.log_softmax(x, 0), lambda T, x: T.log_softmax(x, 0)),
    ]
    for name, ours, theirs in functional:
        settings = _GELU if "gelu" in name else _SOFTSIGN if name == "softsign" else {}
        cases.append(_elementwise(f"F.{name}", ours, theirs, **settings))
        if "softmax" not in name:
            cases.append(_elementwise(f"F.{name} (Numba size)", ours, theirs, MANY_LOGITS, **settings))
    modules = [
        ("ReLU", (), {}), ("LeakyReLU", (0.2,), {}), ("ELU", (), {}), ("Sigmoid", (), {}), ("Tanh", (), {}),
        ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("Softplus", (), {}),
        ("Softmax", (0,), {}), ("LogSoftmax", (0,), {}),
    ]
    for class_name, args, kwargs in modules:
        cases.append(_elementwise(
            f"nn.{class_name}{args or ''}{kwargs or ''}",
            lambda x, c=class_name, a=args, k=kwargs: getattr(nn, c)(*a, **k)(x),
            lambda T, x, c=class_name, a=args, k=kwargs: getattr(T.nn, c)(*a, **k)(x),
            **(_GELU if class_name == "GELU" else {})))
    # The Tensor methods share the ops, but are what most users call.
    for method in ("sigmoid", "tanh", "relu"):
        cases.append(_elementwise(f"Tensor.{method}", lambda x, m=method: getattr(x, m)(),
                                  lambda T, x, m=method: getattr(x, m)()))
    return cases


# Prediction/target pairs for the regression losses: differences up to 2e4.
_PREDICTIONS = [-1e4, -100.0, -20.0, -1.0, 0.0, 0.0, 1e-3, 20.0, 100.0, 1e4]
_TARGETS = [1e4, -1e4, 0.0, 0.0, 0.0, 1e-3, 0.0, 20.0, -100.0, -1e4]


def _regression_cases():
    cases = []
    losses = [
        ("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {}), ("huber_loss", {"delta": 0.5}),
        ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}),
    ]
    for name, kwargs in losses:
        for reduction in ("none", "mean", "sum"):
            cases.append(Case(
                f"F.{name}({kwargs or ''}, reduction={reduction!r})",
                lambda x, y, n=name, k=kwargs, r=reduction: getattr(F, n)(x, y, reduction=r, **k),
                lambda T, x, y, n=name, k=kwargs, r=reduction: getattr(T.nn.functional, n)(x, y, reduction=r, **k),
                [Input(_PREDICTIONS), Input(_TARGETS)]))
    for class_name in ("MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss"):
        cases.append(Case(f"nn.{class_name}", lambda x, y, c=class_name: getattr(nn, c)()(x, y),
                          lambda T, x, y, c=class_name: getattr(T.nn, c)()(x, y),
                          [Input(_PREDICTIONS), Input(_TARGETS)]))
    return cases


def _binary_cases():
    cases = []
    for target in (0.0, 1.0, 0.3):
        probabilities = [Input(PROBABILITIES), Input([target] * len(PROBABILITIES))]
        for reduction in ("none", "mean"):
            cases.append(Case(
                f"F.binary_cross_entropy(target={target}, reduction={reduction!r})",
                lambda p, y, r=reduction: F.binary_cross_entropy(p, y, reduction=r),
                lambda T, p, y, r=reduction: T.nn.functional.binary_cross_entropy(p, y, reduction=r),
                # torch's d/dy = -logit(p) is +-inf at p = 0 and 1, ours the clamped +-100: the
                # target is not differentiated here (a documented difference, checked below).
                [probabilities[0], Input(probabilities[1].values, grad=False)]))
        cases.append(Case(
            f"nn.BCELoss(weight, target={target})",
            lambda p, y, w: nn.BCELoss(weight=w)(p, y),
            lambda T, p, y, w: T.nn.BCELoss(weight=w)(p, y),
            [probabilities[0], Input(probabilities[1].values, grad=False),
             Input(np.linspace(0.5, 2.0, len(PROBABILITIES)), grad=False)]))
        # Inside (0, 1) both target gradients are log(1 - p) - log(p).
        inner = [p for p in PROBABILITIES if 0 < p < 1]
        cases.append(Case(
            f"F.binary_cross_entropy(target={target}) d/dtarget",
            lambda p, y: F.binary_cross_entropy(p, y, reduction="none"),
            lambda T, p, y: T.nn.functional.binary_cross_entropy(p, y, reduction="none"),
            [Input(inner), Input([target] * len(inner))]))
        logits = [Input(LOGITS), Input([target] * len(LOGITS))]
        for reduction in ("none", "sum"):
            cases.append(Case(
                f"F.binary_cross_entropy_with_logits(target={target}, reduction={reduction!r})",
                lambda x, y, r=reduction: F.binary_cross_entropy_with_logits(x, y, reduction=r),
                lambda T, x, y, r=reduction: T.nn.functional.binary_cross_entropy_with_logits(x, y, reduction=r),
                logits, gradient_scale=1.0))
        cases.append(Case(
            f"nn.BCEWithLogitsLoss(pos_weight=3, target={target})",
            lambda x, y, w: nn.BCEWithLogitsLoss(pos_weight=w, reduction="none")(x, y),
            lambda T, x, y, w: T.nn.BCEWithLogitsLoss(pos_weight=w, reduction="none")(x, y),
            logits + [Input([3.0], grad=False)], gradient_scale=3.0))
    return cases


_CLASS_LOGITS = [[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4], [0.0, 0.0, 1e4],
                 [-1e4, 0.0, 1e4], [20.0, -20.0, 0.0], [-100.0, 100.0, 1.0]]
_CLASSES = [0, 1, 2, 1, 0, 1, 2]
_CLASS_PROBABILITIES = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0],
                        [0.2, 0.3, 0.5], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]


def _classification_cases():
    cases = []
    indices = Input(_CLASSES, grad=False, indices=True)
    for reduction in ("none", "mean", "sum"):
        cases.append(Case(  # the fused kernel
            f"F.cross_entropy(reduction={reduction!r})",
            lambda x, t, r=reduction: F.cross_entropy(x, t, reduction=r),
            lambda T, x, t, r=reduction: T.nn.functional.cross_entropy(x, t, reduction=r),
            [Input(_CLASS_LOGITS), indices]))
        cases.append(Case(
            f"F.cross_entropy(class probabilities, reduction={reduction!r})",
            lambda x, t, r=reduction: F.cross_entropy(x, t, reduction=r),
            lambda T, x, t, r=reduction: T.nn.functional.cross_entropy(x, t, reduction=r),
            [Input(_CLASS_LOGITS), Input(_CLASS_PROBABILITIES)]))
    settings = [
        ("ignore_index=1", {"ignore_index": 1}),
        ("label_smoothing=0.1", {"label_smoothing": 0.1}),
    ]
    for label, kwargs in settings:
        cases.append(Case(f"F.cross_entropy({label})",
                          lambda x, t, k=kwargs: F.cross_entropy(x, t, **k),
                          lambda T, x, t, k=kwargs: T.nn.functional.cross_entropy(x, t, **k),
                          [Input(_CLASS_LOGITS), indices]))
    cases.append(Case("nn.CrossEntropyLoss(weight)",
                      lambda x, t, w: nn.CrossEntropyLoss(weight=w)(x, t),
                      lambda T, x, t, w: T.nn.CrossEntropyLoss(weight=w)(x, t),
                      [Input(_CLASS_LOGITS), indices, Input([1.0, 2.0, 0.5], grad=False)]))
    cases.append(Case("F.cross_entropy(probabilities, label_smoothing=0.2)",
                      lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2),
                      lambda T, x, t: T.nn.functional.cross_entropy(x, t, label_smoothing=0.2),
                      [Input(_CLASS_LOGITS), Input(_CLASS_PROBABILITIES)]))
    # (N, C, d): the unfused path.
    spatial = np.transpose(np.asarray(_CLASS_LOGITS))[None]  # (1, 3, 7)
    cases.append(Case("F.cross_entropy((N, C, d) logits)", F.cross_entropy,
                      lambda T, x, t: T.nn.functional.cross_entropy(x, t),
                      [Input(spatial), Input([_CLASSES], grad=False, indices=True)]))
    cases.append(Case("F.nll_loss(F.log_softmax(x))",
                      lambda x, t: F.nll_loss(F.log_softmax(x, 1), t, reduction="none"),
                      lambda T, x, t: T.nn.functional.nll_loss(T.log_softmax(x, 1), t, reduction="none"),
                      [Input(_CLASS_LOGITS), indices]))
    cases.append(Case("nn.NLLLoss on raw +-1e4", lambda x, t: nn.NLLLoss()(x, t),
                      lambda T, x, t: T.nn.NLLLoss()(x, t), [Input(_CLASS_LOGITS), indices]))
    return cases


CASES = _activation_cases() + _regression_cases() + _binary_cases() + _classification_cases()
DTYPES = ("float32", "float64")


def ours_inputs(case, dtype):
    """The case's inputs as autograd_core tensors of `dtype` (leaves that require grad where asked)."""
    return [ag.tensor(item.array(dtype), requires_grad=item.grad and not item.indices) for item in case.inputs]


def differentiated(case, tensors):
    """The tensors a gradient is taken for."""
    return [t for item, t in zip(case.inputs, tensors) if item.grad and not item.indices]


def output_weights(shape, dtype):
    """Fixed weights w for sum(w * out), so that every output element counts in the gradient."""
    return np.random.default_rng(0).uniform(0.5, 1.5, size=shape).astype(dtype)
