"""Every op's JVP rule, in one table: forward mode against central finite differences (float64)
and against the op's own VJP (<u, J v> by forward mode equals <J^T u, v> by reverse mode).

Each case lists several input shapes (broadcasting, 0-d, size-1 where the op takes them).
`test_every_op_has_a_case` runs the whole table with the forward-mode dispatch watched and
fails for any registered op that no case reached with a tangent: a new op needs a JVP rule
and an entry here.  The conv, max-pool, getitem and gather cases also run their gradient
under create_graph inside the dual level, which reaches the ops their VJPs are made of
(forward-over-reverse).
"""
import numpy as np
import pytest

import autograd_core as ag
import autograd_core.autograd.forward_ad as fwAD
import nn.functional as F
from autograd_core import forward_ad_state
from autograd_core.autograd import functional
from autograd_core.ops.op import Op
from autograd_core.ops import recurrent, recurrent_sequence

rng = np.random.default_rng(11)


def make(kind, shape):
    """A float64 input: 's' signed away from 0 (kinks), 'p' positive, 'u' in (0.1, 0.9)."""
    if kind == "p":
        values = rng.uniform(0.5, 2.0, size=shape)
    elif kind == "u":
        values = rng.uniform(0.1, 0.9, size=shape)
    else:
        magnitudes = rng.uniform(0.2, 2.0, size=shape)  # away from the kinks at 0, and no ties
        values = np.where(rng.uniform(size=shape) < 0.5, -magnitudes, magnitudes)
    return ag.tensor(np.asarray(values, dtype=np.float64))


def s(*shape):
    return ("s", shape)


def p(*shape):
    return ("p", shape)


def u(*shape):
    return ("u", shape)


UNARY_SHAPES = [(2, 3), (), (1,), (3, 1, 2)]
BINARY_SHAPES = [((2, 3), (3,)), ((), (4,)), ((1,), (1,)), ((3, 1), (1, 2))]


def unary(kind="s"):
    return [[(kind, shape)] for shape in UNARY_SHAPES]


def binary(kind_a="s", kind_b="s"):
    return [[(kind_a, a), (kind_b, b)] for a, b in BINARY_SHAPES]


def gradient_of(function):
    """x -> the gradients of sum(function(x)^2) with create_graph (a program whose JVP is an HVP)."""
    def program(*inputs):
        inputs = [x.requires_grad_() if not x.requires_grad else x for x in inputs]
        return ag.grad((function(*inputs) ** 2).sum(), inputs, create_graph=True)
    return program


TARGET = np.array([2, 0, 1])
INDEX = np.array([0, 2, 2, 1])
GATHER_INDEX = np.array([[0, 0], [1, 0], [2, 1]])
MASK = np.array([[True, False], [False, True], [True, True]])

CASES = {
    # -- elementwise arithmetic and math
    "add": (lambda a, b: a + b, binary()),
    "add_number": (lambda a: 2.5 + a, unary()),
    "sub": (lambda a, b: a - b, binary()),
    "mul": (lambda a, b: a * b, binary()),
    "div": (lambda a, b: a / b, binary("s", "p")),
    "neg": (lambda a: -a, unary()),
    "pow": (lambda a, b: a ** b, binary("p", "s")),
    "pow_number": (lambda a: a ** 3, unary()),
    "pow_number_base": (lambda b: 2.0 ** b, unary()),
    "pow_zero_exponent": (lambda a: a ** 0.0, unary()),
    "exp": (ag.exp, unary()),
    "log": (ag.log, unary("p")),
    "sqrt": (ag.sqrt, unary("p")),
    "rsqrt": (ag.rsqrt, unary("p")),
    "tan": (ag.tan, [[u(2, 3)], [u()], [u(1)]]),
    "sin": (ag.sin, unary()),
    "cos": (ag.cos, unary()),
    "abs": (ag.abs, unary()),
    "sign": (ag.sign, unary()),
    "erf": (ag.erf, unary()),
    "log1p": (ag.log1p, unary("p")),
    "expm1": (ag.expm1, unary()),
    "rounding": (lambda x: ag.round(x) + ag.floor(x) + ag.ceil(x) + ag.trunc(x), [[u(2, 3)], [u()]]),
    "square": (ag.square, unary()),
    "clamp_numbers": (lambda x: ag.clamp(x, -1.0, 1.0), [[s(3, 4)], [s()], [s(1)]]),
    "clamp_tensors": (lambda x, lo, hi: ag.clamp(x, lo, hi + 2.5), [[s(2, 3), s(3), p(2, 1)], [s(), s(), p()]]),
    "maximum": (ag.maximum, binary()),
    "minimum": (ag.minimum, binary()),
    "where": (lambda a, b: ag.where(a > 0, a, b), binary()),
    # -- activations
    "tanh": (ag.tanh, unary()),
    "sigmoid": (ag.sigmoid, unary()),
    "relu": (ag.relu, unary()),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.2), unary()),
    "elu": (lambda x: ag.elu(x, 0.7), unary()),
    "gelu": (ag.gelu, unary()),
    "gelu_tanh": (lambda x: ag.gelu(x, approximate="tanh"), unary()),
    "softplus": (lambda x: ag.softplus(x, beta=2.0, threshold=3.0), unary()),
    "softsign": (F.softsign, unary()),
    # -- reductions
    "sum": (lambda x: x.sum(), unary()),
    "sum_dim": (lambda x: x.sum(dim=1, keepdim=True), [[s(2, 3)], [s(1, 1)], [s(3, 4, 2)]]),
    "mean": (lambda x: x.mean(dim=(0, -1)), [[s(2, 3)], [s(1, 1)], [s(3, 4, 2)]]),
    "mean_all": (lambda x: x.mean(), unary()),
    "prod": (lambda x: x.prod(dim=1), [[s(2, 3)], [s(1, 1)], [s(2, 4, 2)]]),
    "prod_with_zeros": (lambda x: (x * ag.tensor([[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])).prod(dim=1), [[s(2, 3)]]),
    "cumsum": (lambda x: ag.cumsum(x, -1), [[s(2, 3)], [s()], [s(1)]]),
    "amax": (lambda x: x.amax(dim=0), [[s(3, 2)], [s(1)], [s(4, 1, 2)]]),
    "amin": (lambda x: x.amin(), unary()),
    "max_all": (lambda x: x.max(), unary()),
    "max_dim": (lambda x: x.max(dim=1).values, [[s(2, 3)], [s(1, 1)], [s(3, 4, 2)]]),
    "min_dim": (lambda x: x.min(dim=0, keepdim=True).values, [[s(2, 3)], [s(1, 1)]]),
    "var": (lambda x: x.var(dim=0), [[s(4, 2)], [s(3)], [s(2, 1)]]),
    "std": (lambda x: x.std(), [[s(5)], [s(2, 3)]]),
    "std_dim": (lambda x: x.std(dim=1, keepdim=True, correction=0), [[s(2, 3)], [s(3, 1)]]),
    "norm": (lambda x: x.norm(), [[s(5)], [s(2, 3)], [s()]]),
    "norm_p3_dim": (lambda x: x.norm(p=3, dim=1), [[s(2, 3)], [s(1, 1)]]),
    "logsumexp": (lambda x: x.logsumexp(dim=1), [[s(2, 4)], [s(1, 1)], [s(2, 3, 2)]]),
    "softmax": (lambda x: x.softmax(dim=-1), [[s(2, 4)], [s(1)], [s(3, 1, 2)]]),
    "log_softmax": (lambda x: x.log_softmax(dim=0), [[s(3, 2)], [s(1)], [s(2, 2, 2)]]),
    # -- products
    "matmul": (lambda a, b: a @ b, [[s(2, 3), s(3, 4)], [s(1, 1), s(1, 1)], [s(2, 2, 3), s(3, 2)]]),
    "matmul_vector": (lambda a, b: a @ b, [[s(3), s(3, 2)], [s(2, 3), s(3)], [s(3), s(3)]]),
    "linear": (ag.linear, [[s(2, 3), s(4, 3), s(4)], [s(3), s(2, 3), s(2)], [s(1, 1), s(1, 1), s(1)]]),
    "linear_no_bias": (lambda x, w: ag.linear(x, w), [[s(2, 3), s(4, 3)]]),
    # -- shape
    "reshape": (lambda x: x.reshape(3, -1), [[s(2, 3)], [s(3, 1)]]),
    "view_flatten_squeeze": (lambda x: x.flatten().unsqueeze(0).squeeze(), [[s(2, 3)], [s()], [s(1)]]),
    "permute_transpose": (lambda x: x.permute(2, 0, 1).transpose(0, 1), [[s(2, 3, 4)], [s(1, 1, 2)]]),
    "expand": (lambda x: x.expand(2, 3, 4) * 1.5, [[s(3, 1)], [s(1)], [s()]]),
    "getitem_basic": (lambda x: x[1:, ::2], [[s(3, 4)], [s(2, 1)]]),
    "getitem_index": (lambda x: x[INDEX] * x[[0, 1, 0, 1]], [[s(3, 2)]]),
    "getitem_mask": (lambda x: x[MASK], [[s(3, 2)]]),
    "index_select": (lambda x: ag.index_select(x, 0, ag.tensor([2, 0])), [[s(3, 2)]]),
    "gather": (lambda x: ag.gather(x, 1, ag.tensor(GATHER_INDEX)), [[s(3, 3)]]),
    "masked_fill": (lambda x, v: ag.masked_fill(x, ag.tensor(MASK), v), [[s(3, 2), s()]]),
    "masked_fill_number": (lambda x: ag.masked_fill(x, ag.tensor(MASK), 0.5), [[s(3, 2)]]),
    "index_put": (lambda x, v: ag.index_put(x, (ag.tensor([0, 2]),), v), [[s(3, 2), s(2)], [s(3, 2), s()]]),
    "index_put_accumulate": (lambda x, v: ag.index_put(x, (ag.tensor([1, 1]),), v, accumulate=True),
                             [[s(3, 2), s(2, 2)]]),
    "cat": (lambda a, b: ag.cat([a, b, a], dim=0), [[s(2, 3), s(1, 3)], [s(1), s(2)]]),
    "stack": (lambda a, b: ag.stack([a, b], dim=-1), [[s(2, 3), s(2, 3)], [s(), s()]]),
    "split": (lambda x: ag.split(x, [1, 2], dim=1), [[s(2, 3)], [s(1, 3)]]),
    "chunk_unbind": (lambda x: ag.chunk(x, 2, dim=0) + ag.unbind(x, dim=1), [[s(3, 2)], [s(1, 1)]]),
    "pad": (lambda x: ag.pad(x, (1, 2), value=3.0), [[s(2, 3)], [s(1)]]),
    "pad_crop": (lambda x: ag.pad(x, (-1, 1, 0, 1)), [[s(2, 3)]]),
    "clone_contiguous": (lambda x: x.clone() + x.t().contiguous().t(), [[s(2, 3)], [s(1, 1)]]),
    # -- losses
    "cross_entropy_fused": (lambda x: F.cross_entropy(x, ag.tensor(TARGET)), [[s(3, 4)]]),
    "cross_entropy_fused_sum_ignore": (lambda x: F.cross_entropy(x, ag.tensor([2, -100, 1]), reduction="sum"),
                                       [[s(3, 4)]]),
    "cross_entropy_none": (lambda x: F.cross_entropy(x, ag.tensor(TARGET), reduction="none"), [[s(3, 4)]]),
    "cross_entropy_smoothing": (lambda x: F.cross_entropy(x, ag.tensor(TARGET), label_smoothing=0.1), [[s(3, 4)]]),
    "nll": (lambda x: F.nll_loss(x.log_softmax(dim=1), ag.tensor(TARGET)), [[s(3, 4)]]),
    "mse": (F.mse_loss, [[s(2, 3), s(2, 3)], [s(), s()]]),
    "l1_huber": (lambda a, b: F.l1_loss(a, b) + F.huber_loss(a, b, delta=0.5), [[s(2, 3), s(2, 3)]]),
    "bce": (F.binary_cross_entropy, [[u(2, 3), u(2, 3)], [u(), u()]]),
    "bce_with_logits": (F.binary_cross_entropy_with_logits, [[s(2, 3), u(2, 3)], [s(1), u(1)]]),
    "bce_with_logits_pos_weight": (lambda x, y, w: F.binary_cross_entropy_with_logits(x, y, pos_weight=w),
                                   [[s(2, 3), u(2, 3), p(3)]]),
    # -- convolution and pooling (and, through their gradients, the ops their VJPs are made of)
    "conv1d": (lambda x, w, b: ag.conv1d(x, w, b, stride=2, padding=1), [[s(2, 2, 7), s(3, 2, 3), s(3)]]),
    "conv2d": (lambda x, w: ag.conv2d(x, w, padding=(1, 0), dilation=(1, 2), groups=2),
               [[s(1, 4, 4, 5), s(2, 2, 2, 2)]]),
    "conv1d_gradients": (gradient_of(lambda x, w: ag.conv1d(x, w, padding=1)), [[s(1, 2, 5), s(2, 2, 3)]]),
    # the fused GRU/LSTM gate ops of nn's recurrent layers (autograd_core/ops/recurrent.py)
    "gru_cell_update": (lambda prz, pn, hh, h: recurrent.gru_cell_update(prz, pn, hh, h),
                        [[s(2, 6), s(2, 3), s(2, 9), s(2, 3)]]),
    "lstm_cell_state": (lambda gates, c: recurrent.lstm_cell_state(gates, c), [[s(2, 8), s(2, 2)]]),
    "lstm_cell_output": (lambda gates, c: recurrent.lstm_cell_output(gates, c), [[s(2, 8), s(2, 2)]]),
    "lstm_cell_gradients": (gradient_of(lambda gates, c: recurrent.lstm_cell_output(gates, recurrent.lstm_cell_state(
        gates, c))), [[s(2, 8), s(2, 2)]]),
    # the whole-sequence ops of nn's recurrent layers (autograd_core/ops/recurrent_sequence.py)
    "lstm_sequence": (lambda x, h, c, w: recurrent_sequence.lstm_sequence(x, h, c, w),
                      [[s(3, 2, 8), s(2, 2), s(2, 2), s(8, 2)], [s(1, 1, 4), s(1, 1), s(1, 1), s(4, 1)]]),
    "lstm_sequence_reverse": (lambda x, h, c, w: recurrent_sequence.lstm_sequence(x, h, c, w, reverse=True),
                              [[s(3, 2, 8), s(2, 2), s(2, 2), s(8, 2)]]),
    "gru_sequence": (lambda x, h, w, b: recurrent_sequence.gru_sequence(x, h, w, b),
                     [[s(3, 2, 6), s(2, 2), s(6, 2), s(2)], [s(1, 1, 3), s(1, 1), s(3, 1), s(1)]]),
    "gru_sequence_no_bias_reverse": (lambda x, h, w: recurrent_sequence.gru_sequence(x, h, w, None, reverse=True),
                                     [[s(3, 2, 6), s(2, 2), s(6, 2)]]),
    "rnn_sequence_tanh": (lambda x, h, w: recurrent_sequence.rnn_sequence(x, h, w, "tanh"),
                          [[s(3, 2, 2), s(2, 2), s(2, 2)], [s(1, 1, 1), s(1, 1), s(1, 1)]]),
    "rnn_sequence_relu_reverse": (lambda x, h, w: recurrent_sequence.rnn_sequence(x, h, w, "relu", reverse=True),
                                  [[p(3, 2, 2), p(2, 2), p(2, 2)]]),
    "lstm_sequence_gradients": (gradient_of(lambda x, h, c, w: recurrent_sequence.lstm_sequence(x, h, c, w)),
                                [[s(2, 2, 4), s(2, 1), s(2, 1), s(4, 1)]]),
    "gru_sequence_gradients": (gradient_of(lambda x, h, w, b: recurrent_sequence.gru_sequence(x, h, w, b, reverse=True)),
                               [[s(2, 2, 3), s(2, 1), s(3, 1), s(1)]]),
    "max_pool1d": (lambda x: ag.max_pool1d(x, 3, 2, 1), [[s(2, 2, 7)]]),
    "max_pool2d": (lambda x: ag.max_pool2d(x, 2), [[s(1, 2, 4, 4)]]),
    "max_pool_gradient": (gradient_of(lambda x: ag.max_pool1d(x, 3, 1)), [[s(1, 1, 6)]]),
    "max_pool_second_gradient": (gradient_of(lambda x: gradient_of(lambda y: ag.max_pool1d(y, 3, 1))(x)[0]),
                                 [[s(1, 1, 6)]]),
    "avg_pool": (lambda x: F.avg_pool2d(x, 2, ceil_mode=True) + 0 * F.adaptive_avg_pool2d(x, 1).sum(),
                 [[s(1, 2, 5, 5)]]),
    "getitem_gather_gradients": (gradient_of(lambda x: x[INDEX].exp().sum() + ag.gather(x, 1, ag.tensor([[0], [1], [1]])).sum()),
                                 [[s(3, 2)]]),
    # -- a small program
    "mlp": (lambda x, w1, w2: (ag.tanh(x @ w1).relu() @ w2).softmax(dim=1), [[s(4, 3), s(3, 5), s(5, 2)]]),
}


def _outputs(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def forward_mode(function, inputs, tangents):
    """(outputs, output tangents) of `function` by dual tensors; a missing tangent is zeros."""
    with fwAD.dual_level():
        duals = [fwAD.make_dual(x, t) for x, t in zip(inputs, tangents)]
        unpacked = [fwAD.unpack_dual(out) for out in _outputs(function(*duals))]
    return ([primal.detach().numpy() for primal, _ in unpacked],
            [np.zeros(primal.shape) if tangent is None else tangent.detach().numpy() for primal, tangent in unpacked])


def finite_differences(function, inputs, tangents, eps=1e-6):
    """(f(x + eps v) - f(x - eps v)) / (2 eps), per output."""
    def at(sign):
        shifted = [ag.tensor(x.detach().numpy() + sign * eps * t.numpy()) for x, t in zip(inputs, tangents)]
        return [out.detach().numpy() for out in _outputs(function(*shifted))]
    return [(plus - minus) / (2 * eps) for plus, minus in zip(at(1), at(-1))]


def materialize(specs):
    inputs = [make(kind, shape) for kind, shape in specs]
    tangents = [ag.tensor(rng.standard_normal(x.shape)) for x in inputs]
    return inputs, tangents


def each_shape(name):
    return [pytest.param(name, k, id=f"{name}-{k}") for k in range(len(CASES[name][1]))]


ALL = [param for name in sorted(CASES) for param in each_shape(name)]


@pytest.mark.parametrize("name, k", ALL)
def test_jvp_matches_finite_differences(name, k):
    function, shapes = CASES[name]
    inputs, tangents = materialize(shapes[k])
    _, jvps = forward_mode(function, inputs, tangents)
    for jvp, numeric in zip(jvps, finite_differences(function, inputs, tangents)):
        np.testing.assert_allclose(jvp, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, k", ALL)
def test_jvp_agrees_with_the_vjp(name, k):
    """<u, J v> (forward mode) == <J^T u, v> (reverse mode), for random u and v."""
    function, shapes = CASES[name]
    inputs, tangents = materialize(shapes[k])
    _, jvps = forward_mode(function, inputs, tangents)
    leaves = [ag.tensor(x.detach().numpy(), requires_grad=True) for x in inputs]
    outputs = _outputs(function(*leaves))
    cotangents = [ag.tensor(rng.standard_normal(out.shape)) for out in outputs]
    vjps = ag.grad(outputs, leaves, grad_outputs=cotangents, allow_unused=True)
    forward = sum(float(np.sum(c.numpy() * j)) for c, j in zip(cotangents, jvps))
    reverse = sum(0.0 if g is None else float(np.sum(g.numpy() * t.numpy())) for g, t in zip(vjps, tangents))
    assert forward == pytest.approx(reverse, rel=1e-10, abs=1e-12)


FIRST_SHAPES = [pytest.param(name, id=name) for name in sorted(CASES)]


@pytest.mark.parametrize("name", FIRST_SHAPES)
def test_forward_over_reverse_equals_functional_hvp(name):
    """The tangent of grad(<w, f(x)>) (forward mode through every VJP, run in engine ops under
    create_graph) equals functional.hvp's H v (reverse over reverse)."""
    function, shapes = CASES[name]
    inputs, tangents = materialize(shapes[0])
    weights = [ag.tensor(rng.standard_normal(out.shape)) for out in _outputs(function(*inputs))]

    def scalar(*xs):
        return sum((w * out).sum() for w, out in zip(weights, _outputs(function(*xs))))

    leaves = [ag.tensor(x.detach().numpy(), requires_grad=True) for x in inputs]
    with fwAD.dual_level():
        duals = [fwAD.make_dual(x, t) for x, t in zip(leaves, tangents)]
        grads = ag.grad(scalar(*duals), duals, create_graph=True, allow_unused=True)
        hvp = [np.zeros(x.shape) if g is None or fwAD.unpack_dual(g).tangent is None
               else fwAD.unpack_dual(g).tangent.detach().numpy() for g, x in zip(grads, inputs)]
    _, expected = functional.hvp(scalar, tuple(inputs), tuple(tangents))
    for mine, theirs in zip(hvp, expected):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-9, atol=1e-10)


def test_primal_values_are_the_plain_values():
    for name in ("mlp", "conv1d", "split", "cross_entropy_none"):
        function, shapes = CASES[name]
        inputs, tangents = materialize(shapes[0])
        primals, _ = forward_mode(function, inputs, tangents)
        for primal, plain in zip(primals, _outputs(function(*inputs))):
            np.testing.assert_array_equal(primal, plain.numpy())


def _registered_ops():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    abstract = {"Activation", "Rounding", "TakeAlongDim"}  # bases: their subclasses are the ops
    return {cls.__name__ for cls in subclasses(Op)
            if cls.__name__ not in abstract and cls.__module__.startswith("autograd_core.")}  # not test ops


def test_every_op_has_a_case(monkeypatch):
    """Every differentiable op the engine registers must be reached, with a tangent, by some case."""
    reached = set()
    propagate, pieces = forward_ad_state.propagate, forward_ad_state.propagate_pieces

    def watched(op, *args):
        reached.add(op.__name__)
        return propagate(op, *args)

    def watched_pieces(input, outputs, rule):
        reached.add("Split")
        return pieces(input, outputs, rule)

    monkeypatch.setattr(forward_ad_state, "propagate", watched)
    monkeypatch.setattr(forward_ad_state, "propagate_pieces", watched_pieces)
    for function, shapes in CASES.values():
        forward_mode(function, *materialize(shapes[0]))
    forward_mode(lambda x: x.float().double(), *materialize([s(2)]))  # Cast (float32: see test_forward_ad)
    missing = _registered_ops() - reached
    assert not missing, f"ops without a case in the JVP table: {sorted(missing)}"


#: Project Functions without a jvp, each refusing forward mode with the clear error (tested below).
FUNCTIONS_WITHOUT_JVP = {"_Checkpoint"}  # autograd_core.utils.checkpoint: recomputation, not yet forward mode


def test_every_project_function_has_a_jvp():
    """The custom Functions of the engine and nn (softsign, the BCE losses) take part in forward mode."""
    import autograd_core.utils.checkpoint  # noqa: F401  (so that its Function is registered)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    project = [cls for cls in subclasses(ag.Function) if cls.__module__.split(".")[0] in ("autograd_core", "nn")]
    assert {"Softsign", "_BinaryCrossEntropy", "_BinaryCrossEntropyWithLogits"} <= {cls.__name__ for cls in project}
    missing = {cls.__name__ for cls in project if cls.jvp is ag.Function.jvp}
    assert missing == FUNCTIONS_WITHOUT_JVP


def test_checkpoint_refuses_forward_mode_clearly():
    from autograd_core.utils.checkpoint import checkpoint

    x = ag.tensor(rng.standard_normal(3), requires_grad=True)
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, ag.tensor(rng.standard_normal(3)))
        with pytest.raises(NotImplementedError, match="forward-mode AD is not implemented for '_Checkpoint'"):
            checkpoint(lambda t: t.exp(), dual)
