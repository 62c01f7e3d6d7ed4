"""nn.functional: the functional form of every layer and loss (torch's names and defaults).

Everything here is built from autograd_core's public tensor ops, so gradients
(and second derivatives) come from the ops' own VJP rules.  The losses live in
`nn._losses_functional` and are re-exported here (``F.cross_entropy``, ...).

``inplace=True`` (relu, relu6, leaky_relu, elu, selu, silu, mish, hardtanh, dropout) writes
the result into the input and returns the input, as torch: with the checks of every in-place
op (`autograd_core.inplace.apply_`): a leaf that requires grad is refused, and a backward
through an op that saved the overwritten values raises instead of using them.
"""
import math
import warnings

import numpy as np

import autograd_core as ag
from autograd_core.inplace import apply_ as _apply_inplace  # the engine's in-place machinery

from ._activation_functions import Softsign
from ._input_checks import tensor_arguments
from ._losses_functional import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss,
    mse_loss, nll_loss, smooth_l1_loss,
)

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "tanh", "gelu", "silu", "mish",
    "softplus", "softsign", "hardtanh", "logsigmoid", "softmax", "log_softmax", "dropout",
    "linear", "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "batch_norm", "layer_norm", "embedding", "one_hot", "pad", "normalize",
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
]


# -- activations -----------------------------------------------------------------
@tensor_arguments("input")
def relu(input, inplace=False):
    """max(x, 0)"""
    if inplace:
        return _apply_inplace(input, "relu_", ag.relu)
    return ag.relu(input)


@tensor_arguments("input")
def relu6(input, inplace=False):
    """min(max(x, 0), 6)"""
    return hardtanh(input, 0.0, 6.0, inplace)


@tensor_arguments("input")
def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x"""
    if inplace:
        return _apply_inplace(input, "leaky_relu_", lambda x: ag.leaky_relu(x, negative_slope))
    return ag.leaky_relu(input, negative_slope)


@tensor_arguments("input")
def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (e^x - 1)"""
    if inplace:
        return _apply_inplace(input, "elu_", lambda x: ag.elu(x, alpha))
    return ag.elu(input, alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@tensor_arguments("input")
def selu(input, inplace=False):
    """scale * elu(x, alpha) with torch's fixed constants (self-normalising networks)."""
    if inplace:
        return _apply_inplace(input, "selu_", _selu)
    return _selu(input)


def _selu(input):
    return ag.elu(input, _SELU_ALPHA) * _SELU_SCALE


@tensor_arguments("input")
def sigmoid(input):
    """1 / (1 + e^-x)"""
    return ag.sigmoid(input)


@tensor_arguments("input")
def tanh(input):
    """tanh(x)"""
    return ag.tanh(input)


@tensor_arguments("input")
def gelu(input, approximate="none"):
    """x * Phi(x) (Phi = standard normal CDF), or its tanh approximation with approximate='tanh'."""
    return ag.gelu(input, approximate=approximate)


@tensor_arguments("input")
def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)"""
    if inplace:
        return _apply_inplace(input, "silu_", _silu)
    return _silu(input)


def _silu(input):
    return input * ag.sigmoid(input)


@tensor_arguments("input")
def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, and x itself where beta * x > threshold (as torch)."""
    return ag.softplus(input, beta, threshold)


@tensor_arguments("input")
def mish(input, inplace=False):
    """x * tanh(softplus(x))"""
    if inplace:
        return _apply_inplace(input, "mish_", _mish)
    return _mish(input)


def _mish(input):
    return input * ag.tanh(ag.softplus(input))


@tensor_arguments("input")
def softsign(input):
    """x / (1 + |x|);  its gradient is computed as 1 / (1 + |x|)^2, which does not cancel for large |x|"""
    return Softsign.apply(input)


@tensor_arguments("input")
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val);  gradient 1 strictly inside the range, 0 outside and at its ends (torch)"""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    if inplace:
        return _apply_inplace(input, "hardtanh_", lambda x: _hardtanh(x, min_val, max_val))
    return _hardtanh(input, min_val, max_val)


def _hardtanh(input, min_val, max_val):
    inside = (input > min_val) & (input < max_val)
    return ag.where(inside, input, ag.clamp(input, min_val, max_val).detach())


@tensor_arguments("input")
def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow for large |x|."""
    return -ag.softplus(-input, 1.0, math.inf)


def _softmax_dim(input, dim, name):
    """torch's legacy choice when `dim` is omitted (with its deprecation warning)."""
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=3)
    return 0 if input.ndim in (0, 1, 3) else 1


@tensor_arguments("input")
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """e^x_i / sum_j e^x_j along `dim` (input first cast to `dtype` if given)."""
    return ag.softmax(input, _softmax_dim(input, dim, "softmax"), dtype=dtype)


@tensor_arguments("input")
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x_i - logsumexp_j x_j along `dim` (input first cast to `dtype` if given)."""
    return ag.log_softmax(input, _softmax_dim(input, dim, "log_softmax"), dtype=dtype)


# -- dropout and linear ------------------------------------------------------------
@tensor_arguments("input")
def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability `p`, scale the rest by 1/(1-p).

    The identity when ``training=False`` or ``p == 0``; all zeros when ``p == 1``.
    The mask is drawn from autograd_core's seeded generator (``ag.manual_seed``).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        scale = 0.0
    else:
        keep = 1.0 - p
        uniform = np.asarray(ag.rand_like(input))
        # Mask and scale in the input's dtype, as torch does (bernoulli(1-p) / (1-p)).
        scale = ag.from_numpy(np.asarray((uniform < keep).astype(input.dtype) / input.dtype.type(keep)))
    if inplace:
        return _apply_inplace(input, "dropout_", lambda x: x * scale)
    return input * scale


@tensor_arguments("input", "weight", optional=("bias",))
def linear(input, weight, bias=None):
    """y = x W^T + b, with weight of shape (out_features, in_features)."""
    return ag.linear(input, weight, bias)


# -- convolution -----------------------------------------------------------------------
@tensor_arguments("input", "weight", optional=("bias",))
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (torch's cross-correlation): input (N, C_in, L) or (C_in, L), weight
    (C_out, C_in/groups, k); padding an int, a 1-tuple, 'valid' or 'same' (``ag.conv1d``)."""
    return ag.conv1d(input, weight, bias, stride, padding, dilation, groups)


@tensor_arguments("input", "weight", optional=("bias",))
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (torch's cross-correlation): input (N, C_in, H, W) or (C_in, H, W), weight
    (C_out, C_in/groups, kH, kW); padding an int, a pair, 'valid' or 'same' (``ag.conv2d``)."""
    return ag.conv2d(input, weight, bias, stride, padding, dilation, groups)


# -- pooling ---------------------------------------------------------------------------
@tensor_arguments("input")
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window along L of (N, C, L) or (C, L) (``ag.max_pool1d``); `stride` defaults to
    `kernel_size`; with ``return_indices=True`` also where each maximum is."""
    return ag.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


@tensor_arguments("input")
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each (kH, kW) window of (N, C, H, W) or (C, H, W) (``ag.max_pool2d``)."""
    return ag.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


@tensor_arguments("input")
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window along L of (N, C, L) or (C, L) (``ag.avg_pool1d``)."""
    return ag.avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def _pair(value, what):
    values = (value, value) if isinstance(value, int) else tuple(value)
    if len(values) == 1:
        values = values * 2
    if len(values) != 2:
        raise RuntimeError(f"avg_pool2d: {what} must be a single int or a pair of ints, got {value!r}")
    return values


def _pool_output_size(size, kernel, stride, padding, ceil_mode):
    """torch's pooling output length (the twin of autograd_core's: a last window starting in the right
    padding is dropped)."""
    span = size + 2 * padding - kernel
    if ceil_mode:
        out = -(-span // stride) + 1
        return out - 1 if (out - 1) * stride >= size + padding else out
    return span // stride + 1


def _pool_divisor(size, kernel, stride, padding, out_size, count_include_pad):
    """torch's divisor of each output along one dim: the window inside input + padding (clipped where a
    ceil_mode window overhangs), or inside the input alone."""
    starts = np.arange(out_size) * stride - padding
    ends = np.minimum(starts + kernel, size + padding)
    if count_include_pad:
        return ends - starts
    return np.minimum(ends, size) - np.maximum(starts, 0)


@tensor_arguments("input")
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each (kH, kW) window of (N, C, H, W) or (C, H, W).

    Built as torch's definition says: each channel convolved with a (kH, kW) kernel of ones
    (``conv2d`` on (N*C, 1, H, W)), divided by torch's divisor (the window size, the part inside the
    input with ``count_include_pad=False``, or `divisor_override`)."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"avg_pool2d: expected a 3-D (unbatched) or 4-D (batched) input, got input of "
                           f"shape {tuple(input.shape)}")
    if not input.is_floating_point():
        raise RuntimeError(f"avg_pool2d: expected a floating point input, got dtype {input.dtype}")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    if any(k <= 0 for k in kernel) or any(s <= 0 for s in stride):
        raise RuntimeError(f"avg_pool2d: kernel_size and stride must be greater than zero, got {kernel} and {stride}")
    if any(p < 0 or p > k // 2 for p, k in zip(padding, kernel)):
        raise RuntimeError(f"avg_pool2d: pad should be at most half of kernel size, but got pad={padding} "
                           f"and kernel_size={kernel}")
    spatial = tuple(input.shape[-2:])
    out_sizes = tuple(_pool_output_size(s, k, st, p, ceil_mode)
                      for s, k, st, p in zip(spatial, kernel, stride, padding))
    if min(out_sizes) < 1:
        raise RuntimeError(f"avg_pool2d: given input size {tuple(input.shape)}, the calculated output size "
                           f"{out_sizes} is too small")
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("avg_pool2d: divisor must be not zero")
        divisor = np.full(out_sizes, float(divisor_override))
    else:
        divisor = np.multiply.outer(*[_pool_divisor(s, k, st, p, o, count_include_pad).astype(np.float64)
                                      for s, k, st, p, o in zip(spatial, kernel, stride, padding, out_sizes)])
    planes = input.reshape((-1, 1) + spatial)
    # Right padding for a ceil_mode window that overhangs (zeros: they add nothing to the sum).
    extra = [max(0, (o - 1) * st + k - s - 2 * p) for s, k, st, p, o in zip(spatial, kernel, stride, padding, out_sizes)]
    if any(extra):
        planes = ag.pad(planes, (0, extra[1], 0, extra[0]))
    constant = np.all(divisor == divisor.flat[0])
    weight = ag.full((1, 1) + kernel, 1 / divisor.flat[0] if constant else 1.0, dtype=input.dtype)
    out = ag.conv2d(planes, weight, None, stride, padding).reshape(tuple(input.shape[:-2]) + out_sizes)
    return out if constant else out * ag.from_numpy((1 / divisor).astype(input.dtype))


def _adaptive_matrix(size, out_size, dtype):
    """The (out_size, size) averaging matrix of adaptive pooling: row i averages
    [floor(i size / out), ceil((i + 1) size / out)) (the twin of autograd_core's)."""
    matrix = np.zeros((out_size, size))
    for i in range(out_size):  # one row per output position
        start, end = (i * size) // out_size, -(-((i + 1) * size) // out_size)
        matrix[i, start:end] = 1.0 / (end - start)
    return ag.from_numpy(matrix.astype(dtype))


@tensor_arguments("input")
def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) to `output_size` positions (``ag.adaptive_avg_pool1d``)."""
    return ag.adaptive_avg_pool1d(input, output_size)


@tensor_arguments("input")
def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) or (C, H, W) to `output_size` (an int or a pair; None keeps that size):
    ``P_H @ x @ P_W^T`` with torch's averaging windows in constant matrices."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d: expected a 3-D or 4-D input, got input of shape {tuple(input.shape)}")
    if not input.is_floating_point():
        raise RuntimeError(f"adaptive_avg_pool2d: expected a floating point input, got dtype {input.dtype}")
    sizes = (output_size, output_size) if isinstance(output_size, int) or output_size is None else tuple(output_size)
    if len(sizes) != 2:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    height, width = input.shape[-2:]
    out_h = height if sizes[0] is None else sizes[0]
    out_w = width if sizes[1] is None else sizes[1]
    if out_h <= 0 or out_w <= 0 or height == 0 or width == 0:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be positive and the input non-empty, got "
                           f"output_size={output_size} for input of shape {tuple(input.shape)}")
    out = input
    if out_w != width:
        out = ag.matmul(out, _adaptive_matrix(width, out_w, input.dtype).T)
    if out_h != height:
        out = ag.matmul(_adaptive_matrix(height, out_h, input.dtype), out)
    return out if out is not input else input.reshape(tuple(input.shape))


# -- normalisation -------------------------------------------------------------------
@tensor_arguments("input", optional=("running_mean", "running_var", "weight", "bias"))
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) over the batch and all other dims:  y = (x - mean) / sqrt(var + eps) * w + b.

    ``training=True`` uses the batch's mean and biased variance, and (if given)
    updates the running statistics in place, with no gradient:
    ``running = (1 - momentum) * running + momentum * batch`` (the unbiased
    variance for `running_var`).  ``training=False`` uses the running statistics.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C) or (N, C, ...), got shape {tuple(input.shape)}")
    channels = input.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != (channels,):
            raise ValueError(f"batch_norm: {name} must have shape ({channels},) for an input with "
                             f"{channels} channels (shape {tuple(input.shape)}), got {tuple(value.shape)}")
    _same_dtype("batch_norm", input, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    stat_shape = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // channels if channels else 0
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {tuple(input.shape)}")
        dims = (0,) + tuple(range(2, input.ndim))
        mean = input.mean(dim=dims, keepdim=True)
        centered = input - mean
        variance = (centered * centered).mean(dim=dims, keepdim=True)
        if running_mean is not None or running_var is not None:
            _update_running_stats(running_mean, running_var, mean, variance, momentum, count)
        # The per-channel scale is computed at size C, so the big tensor sees one multiply.
        scale = 1.0 / (variance + eps).sqrt()
        if weight is not None:
            scale = scale * weight.reshape(stat_shape)
        out = centered * scale
        return out if bias is None else out + bias.reshape(stat_shape)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var must be given when training=False")
    scale = 1.0 / (running_var + eps).sqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(stat_shape) + shift.reshape(stat_shape)


def _same_dtype(op, input, **others):
    """torch refuses mixed dtypes in the normalisations (numpy would silently compute in the wider one)."""
    for name, value in others.items():
        if value is not None and value.dtype != input.dtype:
            raise RuntimeError(f"{op}: mixed dtype: the input is {input.dtype} but {name} is {value.dtype}; all "
                               "inputs must share the same dtype (convert the input with .to(dtype) or the "
                               "module with .double()/.float())")


def _update_running_stats(running_mean, running_var, mean, variance, momentum, count):
    """running = (1 - momentum) * running + momentum * batch, in place and off the tape."""
    with ag.no_grad():
        if running_mean is not None:
            running_mean.mul_(1.0 - momentum).add_(mean.reshape(-1) * momentum)
        if running_var is not None:
            unbiased = variance.reshape(-1) * (count / (count - 1))
            running_var.mul_(1.0 - momentum).add_(unbiased * momentum)


@tensor_arguments("input", optional=("weight", "bias"))
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing `normalized_shape` dims:  y = (x - mean) / sqrt(var + eps) * w + b  (biased var)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    count = len(shape)
    if count == 0 or count > input.ndim or tuple(input.shape[input.ndim - count:]) != shape:
        raise RuntimeError(f"layer_norm: normalized_shape {shape} must match the last dims of the "
                           f"input, got input of shape {tuple(input.shape)} (torch: Given normalized_shape="
                           f"{list(shape)}, expected input with shape [*, {', '.join(map(str, shape))}])")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != shape:
            raise ValueError(f"layer_norm: {name} must have shape {shape}, got {tuple(value.shape)}")
    _same_dtype("layer_norm", input, weight=weight, bias=bias)
    dims = tuple(range(input.ndim - count, input.ndim))
    mean = input.mean(dim=dims, keepdim=True)
    centered = input - mean
    variance = (centered * centered).mean(dim=dims, keepdim=True)
    out = centered / (variance + eps).sqrt()
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


@tensor_arguments("input")
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along `dim` (the gradient through an all-zero slice is 0, as torch)."""
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    if not p > 0 or math.isinf(p):
        raise ValueError(f"normalize: p must be a finite number > 0, got {p}")
    powered = ag.abs(input) ** p if p != 2 else input * input
    total = powered.sum(dim=dim, keepdim=True)
    # d/ds s^(1/p) is infinite at s == 0: take the root only where s > 0 so no inf*0 = nan appears.
    positive = np.asarray(total) > 0
    root = ag.where(positive, ag.where(positive, total, 1.0) ** (1.0 / p), 0.0)
    return input / ag.clamp(root, min=eps)


# -- lookups ---------------------------------------------------------------------------
@tensor_arguments("input", "weight")
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of `weight` picked by the integer `input`: ``out[..., :] = weight[input[...], :]``.

    The row at `padding_idx` gets no gradient (its value is still returned).
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    indices = np.asarray(input)
    if indices.dtype.kind not in "iu":  # torch: RuntimeError 'Expected tensor for argument #1 'indices' ...'
        raise RuntimeError(f"embedding: expected an integer (int64) index tensor, got dtype {indices.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    count = weight.shape[0]
    if indices.size:
        low, high = indices.min(), indices.max()
        if low < 0 or high >= count:
            bad = low if low < 0 else high
            raise IndexError(f"embedding: index {bad} is out of range for {count} embeddings (expected 0..{count - 1})")
    out = weight[indices]
    if padding_idx is None:
        return out
    if not -count <= padding_idx < count:
        raise ValueError(f"embedding: padding_idx {padding_idx} must be within [-{count}, {count - 1}]")
    padding_idx %= count
    if not (indices == padding_idx).any():
        return out
    # Same values, but the padding rows come from a detached copy, so no gradient reaches them.
    not_padding = (indices != padding_idx)[..., None]
    return ag.where(not_padding, out, out.detach())


@tensor_arguments("tensor")
def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape (*tensor.shape, num_classes), 1 at each index and 0 elsewhere."""
    indices = np.asarray(tensor)
    if indices.dtype.kind not in "iu":  # torch: RuntimeError, 'only applicable to index tensor'
        raise RuntimeError(f"one_hot: expected an integer (int64) tensor of class indices, got dtype {indices.dtype}")
    if num_classes == -1:
        if indices.size == 0:
            raise ValueError("one_hot: cannot infer the number of classes from an empty tensor; pass num_classes")
        num_classes = int(indices.max()) + 1
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise ValueError(f"one_hot: class value {bad} is out of range for num_classes={num_classes}")
    out = np.zeros(indices.shape + (num_classes,), np.int64)
    np.put_along_axis(out, indices[..., None].astype(np.intp), 1, axis=-1)
    return ag.from_numpy(out)


@tensor_arguments("input")
def pad(input, pad, mode="constant", value=None):
    """Pad the last dims: `pad` = (left, right) of the last dim, then of the one before, ... (``ag.pad``)."""
    return ag.pad(input, pad, mode=mode, value=value)
