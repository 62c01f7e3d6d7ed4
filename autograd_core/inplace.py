"""In-place methods: ``add_ sub_ mul_ div_ pow_ ... zero_ fill_ copy_``, ``+= -= *= /=`` and ``x[i] = v``.

Every in-place change bumps the tensor's version counter (views share it).  Three cases, as torch:

* Nothing to record (grad mode off, as in ``with no_grad(): w -= lr * w.grad``, or no
  operand requires grad, as in ``w.grad.zero_()``): numpy writes straight into the
  tensor's memory, keeping its dtype.  Impossible casts and shape growth are errors.
* A leaf that requires grad, in grad mode: an error (its value is what the gradient
  is taken at).
* Otherwise the change is recorded: the out-of-place op runs on a *snapshot* (a copy of
  the values, with the tensor's own place on the tape, so values the op saves stay
  right), the result is written into the tensor's memory, and the tensor becomes that
  op's output.  So ``y = x * 2; y += z; y.sum().backward()`` gives the right gradients.

An in-place change through a view (``y[0].mul_(2)``, ``h.view(-1).add_(b)``) also gives
the base a new history, as torch does (see `inplace_views`); a view of a leaf that
requires grad is refused.
"""
import numpy as np

from . import forward_ad_state, grad_mode, ops, random
from .kernels import updates as _updates
from .inplace_views import at_place_of as _at_place_of, rebase as _rebase, view_chain as _view_chain
from .views import current as _current, mark_current as _mark_current
from .ops.convert import to as _cast_to
from .arrays import as_array
from .tensor import Tensor, make_tensor

LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
_forward = forward_ad_state.state


# ---------------------------------------------------------------------------
# The two paths
# ---------------------------------------------------------------------------
def _recording(tensor, name, operands=()):
    """Does this in-place op need a tape record?  (Raises for a leaf that requires grad.)"""
    if not grad_mode._state.enabled:
        # Forward mode: a change involving a dual tensor runs out of place too, so its JVP rule runs.
        return _forward.active and forward_ad_state.has_tangent((tensor,) + tuple(operands))
    if _forward.active and forward_ad_state.has_tangent((tensor,) + tuple(operands)) and not tensor._requires_grad:
        return True
    if tensor._requires_grad:
        if tensor._node is None:
            raise RuntimeError(f"{LEAF_ERROR} ({name}: update parameters under `with no_grad():`, "
                               "or work on a clone())")
        return True
    for value in operands:
        if isinstance(value, Tensor) and value._requires_grad:
            return True
    return False


def _record(tensor, name, compute, casting="same_kind"):
    """Run ``compute(snapshot)`` out of place, write the result into `tensor` and make it the op's output."""
    _current(tensor)  # a view made before an in-place change of its base: bring its history up to date
    chain = _view_chain(tensor, name)  # before anything changes: it may refuse
    snapshot = _at_place_of(tensor, tensor._data.copy())
    forward_mode = _forward.active
    if forward_mode:
        _check_forward_view(tensor, name)
        tangent = forward_ad_state.tangent_of(tensor)
        if tangent is not None:  # the snapshot stands for the old values: it carries their tangent
            forward_ad_state.set_tangent(snapshot, tangent)
    result = compute(snapshot)
    if result.shape != tensor.shape:
        raise RuntimeError(
            f"{name}: output with shape {tuple(tensor.shape)} doesn't match the broadcast shape {tuple(result.shape)}"
        )
    if result.dtype != tensor.dtype:
        if not np.can_cast(result.dtype, tensor.dtype, casting):
            raise RuntimeError(
                f"{name}: result type {result.dtype} can't be cast to the desired output type {tensor.dtype}"
            )
        result = _cast_to(result, tensor.dtype)
    try:
        tensor._data[...] = result._data
    except ValueError as error:
        raise _write_error(tensor, name, (), error) from None
    if forward_mode:
        forward_ad_state.replace_tangent(tensor, forward_ad_state.tangent_of(result))
    # The version bump below is all that records the change: nodes that saved this tensor's
    # old values are not yet checked against it at backward time (torch raises there).
    if grad_mode._state.enabled:  # (only forward mode comes here with grad mode off: no history then)
        tensor._node = result._node
        tensor._output_index = result._output_index
        tensor._requires_grad = result._requires_grad
    tensor._version[0] += 1
    if chain and tensor._node is not None:
        _rebase(chain)
    _mark_current(tensor)
    return tensor


def _check_forward_view(tensor, name):
    """Forward mode cannot yet follow an in-place change through a view into its base's tangent:
    refuse it rather than leave the base's tangent stale."""
    info = tensor._view_info
    if info is not None and forward_ad_state.has_tangent((info.base,)):
        raise NotImplementedError(
            f"forward-mode AD is not implemented for '{name}' on a view of a dual tensor (an in-place change "
            "through a view); change the base, or work on a clone()")


def _ufunc(tensor, name, ufunc, *operands):
    """``ufunc(tensor, *operands)`` written into the tensor's own memory, keeping its dtype."""
    data = tensor._data
    try:
        ufunc(data, *operands, out=data, casting="same_kind")
    except (TypeError, ValueError) as error:
        raise _write_error(tensor, name, operands, error, ufunc) from None
    tensor._version[0] += 1
    return tensor


def _fused(tensor, kernel, *arguments):
    """``kernel(tensor's array, *arguments)``: a one-pass update from `kernels.updates` (the caller
    checked `updates.fusable`)."""
    kernel(tensor._data, *arguments)
    tensor._version[0] += 1
    return tensor


def _is_number(value):
    return isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)


def _assign(tensor, name, value):
    """Broadcast `value` into all of the tensor (any dtype cast allowed, as torch's copy_/fill_)."""
    try:
        np.copyto(tensor._data, value, casting="unsafe")
    except (TypeError, ValueError) as error:
        if "read-only" in str(error):
            raise _write_error(tensor, name, (), error) from None
        _check_broadcast_into(tensor, name, np.shape(value))
        raise _write_error(tensor, name, (value,), error) from None
    tensor._version[0] += 1
    return tensor


def _write_error(tensor, name, operands, error, ufunc=None):
    """A clear message for a failed in-place write (the op, the shapes and dtypes)."""
    message = str(error)
    if "read-only" in message:
        return RuntimeError(
            f"{name}: this tensor's memory is read-only (an expanded or broadcast view, where several "
            "elements share one memory location); clone() it before writing in place"
        )
    shapes = [np.shape(value) for value in operands]
    if isinstance(error, TypeError):
        try:  # what the op would produce out of place (true division of ints is float64)
            result = ufunc(tensor._data, *operands).dtype
        except (TypeError, ValueError):
            result = np.result_type(tensor._data, *operands)
        return RuntimeError(f"{name}: result type {result} can't be cast to the desired output type {tensor.dtype}")
    try:
        broadcast = np.broadcast_shapes(tensor.shape, *shapes)
    except ValueError:
        described = " ".join(str(tuple(s)) for s in [tensor.shape] + shapes)
        return RuntimeError(f"{name}: operands could not be broadcast together with shapes {described}")
    if broadcast != tensor.shape:
        return RuntimeError(
            f"{name}: output with shape {tuple(tensor.shape)} doesn't match the broadcast shape {tuple(broadcast)}"
        )
    return RuntimeError(f"{name}: {message} (tensor shape {tuple(tensor.shape)}, dtype {tensor.dtype})")


def _array(value):
    """The ndarray of a Tensor; other values as they are (Python scalars stay weak)."""
    return value._data if isinstance(value, Tensor) else value


def _constant_like(snapshot, value):
    """An op whose value is `value` (broadcast to the snapshot's shape) and whose gradient to the
    snapshot is zero: how fill_/zero_/copy_/random fills are recorded on a tensor with history."""
    return ops.where(np.zeros(snapshot.shape, bool), snapshot, value)


# ---------------------------------------------------------------------------
# Arithmetic
# ---------------------------------------------------------------------------
def add_(self, other, alpha=1):
    """self += alpha * other"""
    if _recording(self, "add_", (other,)):
        return _record(self, "add_", lambda s: ops.add(s, other, alpha=alpha))
    value = _array(other)
    if alpha != 1 and _is_number(alpha) and _updates.fusable(self._data, value):
        return _fused(self, _updates.axpy_, value, alpha)  # one pass, no alpha * other temporary
    return _ufunc(self, "add_", np.add, value if alpha == 1 else value * alpha)


def sub_(self, other, alpha=1):
    """self -= alpha * other"""
    if _recording(self, "sub_", (other,)):
        return _record(self, "sub_", lambda s: ops.sub(s, other, alpha=alpha))
    value = _array(other)
    if alpha != 1 and _is_number(alpha) and _updates.fusable(self._data, value):
        return _fused(self, _updates.axpy_, value, -alpha)
    return _ufunc(self, "sub_", np.subtract, value if alpha == 1 else value * alpha)


def mul_(self, other):
    """self *= other"""
    if _recording(self, "mul_", (other,)):
        return _record(self, "mul_", lambda s: ops.mul(s, other))
    return _ufunc(self, "mul_", np.multiply, _array(other))


def div_(self, other, rounding_mode=None):
    """self /= other (true division unless `rounding_mode` is 'floor' or 'trunc')"""
    if rounding_mode is not None:
        result = ops.div(self.detach(), other, rounding_mode=rounding_mode)
        if _recording(self, "div_", (other,)):
            return _record(self, "div_", lambda s: _constant_like(s, result))
        return _copy_result(self, "div_", result)
    if _recording(self, "div_", (other,)):
        return _record(self, "div_", lambda s: ops.div(s, other))
    return _ufunc(self, "div_", np.true_divide, _array(other))


def _copy_result(tensor, name, result):
    if not np.can_cast(result.dtype, tensor.dtype, "same_kind"):
        raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the desired output type {tensor.dtype}")
    return _assign(tensor, name, result._data)


def pow_(self, exponent):
    """self = self ** exponent"""
    if _recording(self, "pow_", (exponent,)):
        return _record(self, "pow_", lambda s: ops.pow(s, exponent))
    return _ufunc(self, "pow_", np.power, _array(exponent))


def neg_(self):
    """self = -self"""
    if _recording(self, "neg_"):
        return _record(self, "neg_", ops.neg)
    return _ufunc(self, "neg_", np.negative)


def sqrt_(self):
    """self = sqrt(self)"""
    if _recording(self, "sqrt_"):
        return _record(self, "sqrt_", ops.sqrt)
    return _ufunc(self, "sqrt_", np.sqrt)


def exp_(self):
    """self = e^self"""
    if _recording(self, "exp_"):
        return _record(self, "exp_", ops.exp)
    return _ufunc(self, "exp_", np.exp)


def clamp_(self, min=None, max=None):
    """self = min(max(self, min), max)"""
    if min is None and max is None:
        raise ValueError("clamp_: at least one of min and max must be given")
    if _recording(self, "clamp_"):
        return _record(self, "clamp_", lambda s: ops.clamp(s, min, max))
    low = -np.inf if min is None else _array(min)
    high = np.inf if max is None else _array(max)
    if self._data.dtype.kind != "f":
        low = np.iinfo(self.dtype).min if min is None else low
        high = np.iinfo(self.dtype).max if max is None else high
    return _ufunc(self, "clamp_", np.clip, low, high)


def addcmul_(self, tensor1, tensor2, value=1):
    """self += value * tensor1 * tensor2"""
    if _recording(self, "addcmul_", (tensor1, tensor2)):
        return _record(self, "addcmul_", lambda s: ops.add(s, _scaled(ops.mul(tensor1, tensor2), value)))
    first, second = _array(tensor1), _array(tensor2)
    if _is_number(value) and _updates.fusable(self._data, first, second):
        return _fused(self, _updates.addcmul_, first, second, value)  # one pass, no temporaries
    product = np.multiply(first, second)
    return _ufunc(self, "addcmul_", np.add, product if value == 1 else product * value)


def addcdiv_(self, tensor1, tensor2, value=1):
    """self += value * tensor1 / tensor2"""
    if _recording(self, "addcdiv_", (tensor1, tensor2)):
        return _record(self, "addcdiv_", lambda s: ops.add(s, _scaled(ops.div(tensor1, tensor2), value)))
    first, second = _array(tensor1), _array(tensor2)
    if _is_number(value) and _updates.fusable(self._data, first, second):
        return _fused(self, _updates.addcdiv_, first, second, value)  # one pass, no temporaries
    quotient = np.true_divide(first, second)
    return _ufunc(self, "addcdiv_", np.add, quotient if value == 1 else quotient * value)


def _scaled(tensor, value):
    return tensor if value == 1 else ops.mul(tensor, value)


def lerp_(self, end, weight):
    """self += weight * (end - self)"""
    if _recording(self, "lerp_", (end, weight)):
        return _record(self, "lerp_", lambda s: ops.add(s, ops.mul(weight, ops.sub(end, s))))
    target = _array(end)
    if _is_number(weight) and _updates.fusable(self._data, target):
        return _fused(self, _updates.lerp_, target, weight)  # one pass, torch's two formulas
    step = np.multiply(_array(weight), np.subtract(target, self._data))
    return _ufunc(self, "lerp_", np.add, step)


# ---------------------------------------------------------------------------
# Filling
# ---------------------------------------------------------------------------
def zero_(self):
    """Set every element to 0."""
    if _recording(self, "zero_"):
        return fill_(self, 0)
    try:
        self._data.fill(0)  # the common case (``p.grad.zero_()`` every step): as cheap as possible
    except ValueError as error:
        raise _write_error(self, "zero_", (), error) from None
    self._version[0] += 1
    return self


def fill_(self, value):
    """Set every element to `value` (a number or a one-element tensor)."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions"
        )
    if _recording(self, "fill_", (value,)):
        return _record(self, "fill_", lambda s: _constant_like(s, value), casting="unsafe")
    return _assign(self, "fill_", _array(value))


def copy_(self, src, non_blocking=False):
    """Copy `src` (broadcast to this shape, cast to this dtype) into this tensor."""
    if _recording(self, "copy_", (src,)):
        if not isinstance(src, Tensor):
            # Straight to this tensor's dtype (what copy_ casts to anyway): Tensor(src) would first round
            # float64 data to the default float32 (the legacy constructor's rule).
            src = make_tensor(as_array(src, dtype=self.dtype))
        _check_broadcast_into(self, "copy_", src.shape)
        return _record(self, "copy_", lambda s: _constant_like(s, src), casting="unsafe")
    return _assign(self, "copy_", _array(src))


def _check_broadcast_into(tensor, name, shape):
    try:
        np.broadcast_shapes(tensor.shape, shape)
    except ValueError:
        raise RuntimeError(
            f"{name}: the source of shape {tuple(shape)} cannot be broadcast to the tensor's shape {tuple(tensor.shape)}"
        ) from None


def _random_fill(self, name, draw):
    if self._data.dtype.kind != "f":
        raise TypeError(f"{name}: random floats need a float tensor, got dtype {self.dtype}")
    values = draw(random.generator(), self.shape, self._data.dtype)
    if _recording(self, name):
        return _record(self, name, lambda s: _constant_like(s, values))
    return _assign(self, name, values)


def uniform_(self, a=0.0, b=1.0):
    """Fill with samples from the uniform distribution on [a, b) (drawn from `manual_seed`'s generator)."""
    return _random_fill(self, "uniform_", lambda rng, shape, dtype: a + (b - a) * rng.random(shape, dtype))


def normal_(self, mean=0.0, std=1.0):
    """Fill with samples from the normal distribution N(mean, std^2) (drawn from `manual_seed`'s generator)."""
    return _random_fill(self, "normal_",
                        lambda rng, shape, dtype: mean + std * rng.standard_normal(shape, dtype))


# ---------------------------------------------------------------------------
# Any out-of-place function, in place (nn.functional's inplace=True)
# ---------------------------------------------------------------------------
def apply_(self, name, function):
    """``self = function(self)`` in place, with the checks of every in-place op; returns `self`.

    How ``F.relu(x, inplace=True)``, ``nn.Dropout(inplace=True)`` ... work: recorded as above
    (`function` runs on a snapshot at this tensor's place on the tape, and the tensor becomes its
    output, so an op that saved the old values refuses to backward, as in torch); a leaf that
    requires grad is refused.  Off the tape the result is simply written into the tensor's memory.
    `function` maps a Tensor to a Tensor of the same shape.
    """
    if _recording(self, name):
        return _record(self, name, function)
    with grad_mode.no_grad():
        result = function(self)
    if result.shape != self.shape:
        raise RuntimeError(f"{name}: output with shape {tuple(self.shape)} doesn't match the result shape "
                           f"{tuple(result.shape)}")
    return _copy_result(self, name, result)


# ---------------------------------------------------------------------------
# Operators and item assignment
# ---------------------------------------------------------------------------
def __iadd__(self, other):
    """``self += other``, in place (returns self, so the name stays bound to this tensor)."""
    return add_(self, other)


def __isub__(self, other):
    """``self -= other``, in place (returns self, so the name stays bound to this tensor)."""
    return sub_(self, other)


def __imul__(self, other):
    """``self *= other``, in place (returns self, so the name stays bound to this tensor)."""
    return mul_(self, other)


def __itruediv__(self, other):
    """``self /= other``, in place (returns self, so the name stays bound to this tensor)."""
    return div_(self, other)


def __ipow__(self, other):
    """``self **= other``, in place (returns self, so the name stays bound to this tensor)."""
    return pow_(self, other)


def __setitem__(self, index, value):
    """``self[index] = value`` in place (every index form of ``__getitem__``, incl. boolean masks)."""
    from .ops.index import index_put, normalize_index, split_integers

    if _recording(self, "setitem", (value,)):
        return _record_setitem(self, index, value, index_put)
    index, advanced, _ = normalize_index(index)
    split = split_integers(index) if advanced else None
    data = _array(value)
    try:
        if split is None:
            self._data[index] = data
        else:  # torch's order for integers mixed with arrays (see split_integers)
            self._data[split[0]][split[1]] = data
    except IndexError as error:
        raise IndexError(f"setitem: {str(error).replace('axis', 'dimension')} (tensor shape "
                         f"{tuple(self.shape)})") from None
    except ValueError as error:
        raise _setitem_error(self, index, data, error) from None
    self._version[0] += 1


def _record_setitem(self, index, value, index_put):
    _record(self, "setitem", lambda s: index_put(s, index, value), casting="unsafe")


def _setitem_error(tensor, index, value, error):
    if "read-only" in str(error):
        return _write_error(tensor, "setitem", (), error)
    try:
        target = tensor._data[index].shape
    except (IndexError, ValueError):
        target = "?"
    return RuntimeError(
        f"setitem: shape mismatch: value tensor of shape {tuple(np.shape(value))} cannot be broadcast "
        f"to indexing result of shape {tuple(target) if target != '?' else target}"
    )


#: The in-place methods, bound to Tensor by the assembly step (tensor_methods.bind).
METHODS = {function.__name__: function for function in (
    add_, sub_, mul_, div_, pow_, neg_, sqrt_, exp_, clamp_, addcmul_, addcdiv_, lerp_, zero_, fill_, copy_,
    uniform_, normal_, __iadd__, __isub__, __imul__, __itruediv__, __ipow__, __setitem__)}
METHODS["clip_"] = clamp_
