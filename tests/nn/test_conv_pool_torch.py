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
