"""nn.functional against torch.nn.functional: values and gradients on random float64 inputs."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = torch.nn.functional

import autograd_core as ag  # noqa: E402
import nn.functional as F  # noqa: E402
from helpers import random_array  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12


def compare(ours, theirs, *arrays, constants=(), grads=True):
    """Run both on the same float64 `arrays` (differentiated) and `constants` (not); compare
    outputs and the gradients of sum(w * out) for a fixed random w."""
    ag_inputs = [ag.tensor(a, requires_grad=grads) for a in arrays]
    torch_inputs = [torch.tensor(a, requires_grad=grads) for a in arrays]
    ag_constants = [ag.tensor(c) for c in constants]
    torch_constants = [torch.tensor(c) for c in constants]
    out = ours(*ag_inputs, *ag_constants)
    expected = theirs(*torch_inputs, *torch_constants)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=RTOL, atol=ATOL)
    if not grads:
        return
    weights = np.random.default_rng(0).uniform(0.5, 1.5, size=tuple(expected.shape))
    (out * ag.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for position, (a, t) in enumerate(zip(ag_inputs, torch_inputs)):
        if t.grad is None:
            assert a.grad is None or not a.grad.numpy().any(), f"input {position}"
            continue
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"gradient of input {position}")


ACTIVATIONS = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}), ("elu", {"alpha": 0.3}), ("selu", {}), ("sigmoid", {}), ("tanh", {}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 4.0}), ("softsign", {}),
    ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("logsigmoid", {}),
]


@pytest.mark.parametrize("name,kwargs", ACTIVATIONS, ids=lambda v: str(v))
@pytest.mark.parametrize("shape", [(), (7,), (3, 4)])
def test_activations(name, kwargs, shape):
    x = random_array(shape, seed=1, low=-4, high=4)
    compare(lambda t: getattr(F, name)(t, **kwargs), lambda t: getattr(TF, name)(t, **kwargs), x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((6,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1)])
def test_softmax(name, shape, dim):
    x = random_array(shape, 2, low=-5, high=5)
    compare(lambda t: getattr(F, name)(t, dim=dim), lambda t: getattr(TF, name)(t, dim=dim), x)


@pytest.mark.parametrize("input_shape", [(4,), (3, 4), (2, 3, 4)])
def test_linear(input_shape):
    x, w, b = random_array(input_shape, 3), random_array((5, 4), 4), random_array((5,), 5)
    compare(F.linear, TF.linear, x, w, b)
    compare(lambda a, c: F.linear(a, c), lambda a, c: TF.linear(a, c), x, w)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(shape, training):
    x, w, b = random_array(shape, 6, low=-2, high=5), random_array((3,), 7), random_array((3,), 8)
    stats = random_array((3,), 9), random_array((3,), 10, low=0.5, high=2)
    ours_stats = [ag.tensor(s) for s in stats]
    torch_stats = [torch.tensor(s) for s in stats]
    compare(lambda a, c, d: F.batch_norm(a, *ours_stats, c, d, training=training, momentum=0.3, eps=1e-3),
            lambda a, c, d: TF.batch_norm(a, *torch_stats, c, d, training=training, momentum=0.3, eps=1e-3),
            x, w, b)
    for ours, theirs in zip(ours_stats, torch_stats):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=RTOL)


@pytest.mark.parametrize("shape,normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm(shape, normalized):
    x, w, b = random_array(shape, 11), random_array(normalized, 12), random_array(normalized, 13)
    compare(lambda a, c, d: F.layer_norm(a, normalized, c, d), lambda a, c, d: TF.layer_norm(a, normalized, c, d),
            x, w, b)
    compare(lambda a: F.layer_norm(a, normalized), lambda a: TF.layer_norm(a, normalized), x)


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding(padding_idx):
    indices = np.array([[0, 2, 4], [2, 2, 1]])
    compare(lambda w, i: F.embedding(i, w, padding_idx=padding_idx),
            lambda w, i: TF.embedding(i, w, padding_idx=padding_idx), random_array((5, 3), 14), constants=[indices])


def test_one_hot():
    for values, classes in (([0, 3, 1], -1), ([[1, 0], [2, 2]], 4)):
        np.testing.assert_array_equal(F.one_hot(ag.tensor(values), classes).numpy(),
                                      TF.one_hot(torch.tensor(values), classes).numpy())


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.5, -1)])
def test_normalize(p, dim):
    x = random_array((3, 4), 15)
    x[1] = 0.0  # an all-zero row along dim 1: torch's eps branch
    compare(lambda a: F.normalize(a, p=p, dim=dim), lambda a: TF.normalize(a, p=p, dim=dim), x)


@pytest.mark.parametrize("padding", [(1, 2), (0, 1, 2, 0)])
def test_pad(padding):
    compare(lambda a: F.pad(a, padding, value=0.5), lambda a: TF.pad(a, padding, value=0.5), random_array((2, 3, 4), 16))


def test_dropout_matches_torch_semantics():
    # The random streams differ, so compare the rule: kept values scaled by 1/(1-p), eval identity.
    x = random_array((50, 40), 17)
    ours = F.dropout(ag.tensor(x), p=0.25).numpy()
    kept = ours != 0
    np.testing.assert_allclose(ours[kept], x[kept] / 0.75, rtol=1e-12)
    theirs = TF.dropout(torch.tensor(x), p=0.25).numpy()
    assert abs(kept.mean() - (theirs != 0).mean()) < 0.05
    assert F.dropout(ag.tensor(x), 0.25, training=False).numpy() is not None


# -- losses --------------------------------------------------------------------------------------------
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs", [("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {}),
                                         ("huber_loss", {"delta": 0.4}), ("smooth_l1_loss", {}),
                                         ("smooth_l1_loss", {"beta": 0.3}), ("smooth_l1_loss", {"beta": 0.0})])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_regression_losses(reduction, name, kwargs, shape):
    x, y = random_array(shape, 18), random_array(shape, 19)
    compare(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs),
            lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kwargs), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_losses_with_weight(reduction, name):
    x, y, w = random_array((3, 4), 20), random_array((3, 4), 21), random_array((3, 4), 22, low=0.1, high=2)
    compare(lambda a, b: getattr(F, name)(a, b, reduction=reduction, weight=ag.tensor(w)),
            lambda a, b: getattr(TF, name)(a, b, reduction=reduction, weight=torch.tensor(w)), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted):
    x, y = random_array((4, 3), 23, low=0.02, high=0.98), random_array((4, 3), 24, low=0, high=1)
    w = random_array((3,), 25, low=0.2, high=2) if weighted else None
    compare(lambda a, b: F.binary_cross_entropy(a, b, weight=None if w is None else ag.tensor(w), reduction=reduction),
            lambda a, b: TF.binary_cross_entropy(a, b, weight=None if w is None else torch.tensor(w),
                                                 reduction=reduction), x, y)


def test_binary_cross_entropy_at_zero_and_one():
    x, y = np.array([0.0, 1.0, 0.0, 1.0, 1e-30]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    compare(lambda a: F.binary_cross_entropy(a, ag.tensor(y), reduction="none"),
            lambda a: TF.binary_cross_entropy(a, torch.tensor(y), reduction="none"), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,pos_weighted", [(False, False), (True, False), (False, True), (True, True)])
def test_binary_cross_entropy_with_logits(reduction, weighted, pos_weighted):
    x, y = random_array((4, 3), 26, low=-6, high=6), random_array((4, 3), 27, low=0, high=1)
    w = random_array((4, 3), 28, low=0.2, high=2) if weighted else None
    p = random_array((3,), 29, low=0.2, high=3) if pos_weighted else None
    wrap = lambda v, make: None if v is None else make(v)  # noqa: E731
    compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, wrap(w, ag.tensor), reduction=reduction,
                                                            pos_weight=wrap(p, ag.tensor)),
            lambda a, b: TF.binary_cross_entropy_with_logits(a, b, wrap(w, torch.tensor), reduction=reduction,
                                                             pos_weight=wrap(p, torch.tensor)), x, y)


def test_binary_cross_entropy_with_logits_huge_logits():
    x, y = np.array([1e4, -1e4, 1e4, -1e4, 40.0, -40.0]), np.array([1.0, 0.0, 0.0, 1.0, 0.3, 0.6])
    compare(lambda a: F.binary_cross_entropy_with_logits(a, ag.tensor(y), reduction="none"),
            lambda a: TF.binary_cross_entropy_with_logits(a, torch.tensor(y), reduction="none"), x)


CLASS_SHAPES = [((5,), ()), ((6, 4), (6,)), ((3, 4, 2), (3, 2)), ((2, 3, 2, 2), (2, 2, 2))]


@pytest.mark.parametrize("shapes", CLASS_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1])
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
def test_cross_entropy_and_nll_with_class_indices(shapes, reduction, weighted, ignore_index, smoothing):
    input_shape, target_shape = shapes
    classes = input_shape[0 if len(input_shape) == 1 else 1]
    x = random_array(input_shape, 30, low=-3, high=3)
    target = np.random.default_rng(31).integers(0, classes, size=target_shape)
    w = random_array((classes,), 32, low=0.2, high=2) if weighted else None
    wrap = lambda make: None if w is None else make(w)  # noqa: E731
    kwargs = dict(ignore_index=ignore_index, reduction=reduction)
    compare(lambda a, t: F.cross_entropy(a, t, wrap(ag.tensor), label_smoothing=smoothing, **kwargs),
            lambda a, t: TF.cross_entropy(a, t, wrap(torch.tensor), label_smoothing=smoothing, **kwargs),
            x, constants=[target])
    compare(lambda a, t: F.nll_loss(a, t, wrap(ag.tensor), **kwargs),
            lambda a, t: TF.nll_loss(a, t, wrap(torch.tensor), **kwargs), x, constants=[target])


@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 5, 3)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_with_class_probabilities(shape, reduction, weighted, smoothing):
    x = random_array(shape, 33)
    class_dim = 0 if len(shape) == 1 else 1
    probs = np.exp(random_array(shape, 34))
    probs /= probs.sum(axis=class_dim, keepdims=True)
    w = random_array((5,), 35, low=0.2, high=2) if weighted else None
    wrap = lambda make: None if w is None else make(w)  # noqa: E731
    compare(lambda a, t: F.cross_entropy(a, t, wrap(ag.tensor), reduction=reduction, label_smoothing=smoothing),
            lambda a, t: TF.cross_entropy(a, t, wrap(torch.tensor), reduction=reduction, label_smoothing=smoothing),
            x, probs)


def test_cross_entropy_huge_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [3.0, 1e4, -1e4]])
    compare(lambda a, t: F.cross_entropy(a, t), lambda a, t: TF.cross_entropy(a, t), x, constants=[np.array([1, 1, 0])])


def test_float32_cross_entropy_matches_torch_float32():
    rng = np.random.default_rng(36)
    x = (rng.standard_normal((64, 10)) * 3).astype(np.float32)
    target = rng.integers(0, 10, size=64)
    ours, theirs = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    loss, expected = F.cross_entropy(ours, ag.tensor(target)), TF.cross_entropy(theirs, torch.tensor(target))
    loss.backward()
    expected.backward()
    assert loss.dtype == ag.float32
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-8)
