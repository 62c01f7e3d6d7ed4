"""nn.Conv1d/2d and the pooling layers against torch.nn: the same weights in both, then outputs,
gradients, state_dict keys, init distribution and reprs (skipped without torch)."""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402
from test_nn_torch import assert_same, ours_from_torch  # noqa: E402

CONV_LAYERS = [
    ("Conv1d", (1, 25, 5), {"stride": 2, "padding": 1}, (4, 1, 40)),
    ("Conv1d", (25, 25, 3), {"stride": 2, "padding": 1}, (4, 25, 19)),
    ("Conv1d", (4, 6, 3), {"groups": 2, "dilation": 2, "padding": "same", "bias": False}, (2, 4, 12)),
    ("Conv1d", (2, 3, 4), {"padding": "same", "padding_mode": "reflect"}, (2, 2, 9)),
    ("Conv1d", (2, 3, 3), {"padding": 2, "padding_mode": "circular"}, (2, 2, 9)),
    ("Conv1d", (2, 3, 3), {"padding": 1, "padding_mode": "replicate"}, (2, 9)),
    ("Conv1d", (2, 3, 3), {"padding": "valid"}, (2, 2, 9)),
    ("Conv2d", (1, 8, 3), {"padding": 1}, (4, 1, 8, 8)),
    ("Conv2d", (3, 4, (3, 2)), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}, (2, 3, 7, 8)),
    ("Conv2d", (4, 4, 3), {"groups": 4, "padding": "same", "padding_mode": "reflect"}, (4, 6, 6)),
]


def _pair(name, args, kwargs, double=False):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    ours = getattr(nn, name)(*args, **kwargs)
    if double:
        theirs = theirs.double()
        ours = ours.double()
    return ours, theirs


@pytest.mark.parametrize("name, args, kwargs, shape", CONV_LAYERS)
def test_conv_layers_match_torch(name, args, kwargs, shape):
    ours, theirs = _pair(name, args, kwargs, double=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert repr(ours) == repr(theirs)
    for attribute in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                      "padding_mode", "transposed", "output_padding", "_reversed_padding_repeated_twice"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    ours_from_torch(ours, theirs)
    x = np.random.default_rng(1).standard_normal(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(ours, theirs, x)


@pytest.mark.parametrize("name, args, kwargs", [("Conv1d", (3, 50, 5), {}), ("Conv2d", (4, 40, (3, 2)), {"groups": 2})])
def test_conv_init_has_torchs_bounds(name, args, kwargs):
    ours, theirs = _pair(name, args, kwargs)
    fan_in = theirs.weight[0].numel()
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)): gain sqrt(2/6), bound gain*sqrt(3/fan_in)
    weight = ours.weight.detach().numpy()
    bias = ours.bias.detach().numpy()
    assert weight.dtype == np.float32 and weight.shape == tuple(theirs.weight.shape)
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert np.abs(bias).max() <= bound
    assert abs(weight.std() - theirs.weight.detach().numpy().std()) < 0.15 * bound


def test_conv_layer_errors_name_the_layer_and_shapes():
    layer = nn.Conv1d(1, 25, 5, stride=2, padding=1)
    with pytest.raises(RuntimeError, match=r"Conv1d\(1, 25, kernel_size=\(5,\).*input\[8, 3, 40\].*1 channels"):
        layer(ag.randn(8, 3, 40))
    with pytest.raises(RuntimeError, match=r"Conv1d\(1, 25.*Kernel size can't be greater"):
        layer(ag.randn(8, 1, 2))
    for bad in ({"groups": 2}, {"padding": "full"}, {"padding": "same", "stride": 2}, {"padding_mode": "mirror"}):
        with pytest.raises(ValueError):
            nn.Conv1d(3, 4, 3, **bad)


POOL_LAYERS = [
    ("MaxPool1d", (2,), {}, (2, 3, 10)),
    ("MaxPool1d", (3, 2, 1), {"dilation": 1, "ceil_mode": True}, (3, 10)),
    ("MaxPool2d", ((2, 3), 1, 1), {}, (2, 3, 7, 8)),
    ("AvgPool1d", (3,), {}, (2, 3, 10)),
    ("AvgPool1d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}, (2, 3, 10)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False, "divisor_override": 4}, (3, 7, 7)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((None, 2),), {}, (2, 3, 7, 8)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 7, 8)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", POOL_LAYERS)
def test_pool_layers_match_torch(name, args, kwargs, shape):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    public = {k: v for k, v in vars(theirs).items() if not k.startswith("_") and k != "training"}
    assert {k: getattr(ours, k) for k in public} == public
    assert list(ours.state_dict()) == []
    assert_same(ours, theirs, np.random.default_rng(2).standard_normal(shape))


def test_max_pool_layer_returns_indices():
    x = np.random.default_rng(0).standard_normal((2, 3, 8))
    values, indices = nn.MaxPool1d(2, return_indices=True)(ag.tensor(x))
    expected = torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(indices.numpy(), expected[1].numpy())


def test_small_cnn_trains_like_torch():
    """A Conv2d / MaxPool2d / AvgPool / Linear model with torch's weights: same loss and gradients."""
    def build(lib):
        return lib.Sequential(lib.Conv2d(1, 4, 3, padding=1), lib.ReLU(), lib.MaxPool2d(2),
                              lib.Conv2d(4, 6, 3, padding="same"), lib.ReLU(), lib.AvgPool2d(2),
                              lib.Flatten(), lib.Linear(6 * 2 * 2, 3))
    torch.manual_seed(0)
    theirs = build(torch.nn).double()
    ours = build(nn).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours_from_torch(ours, theirs)
    assert_same(ours, theirs, np.random.default_rng(3).standard_normal((5, 1, 8, 8)))
