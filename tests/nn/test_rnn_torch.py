"""nn.RNN / GRU / LSTM and the cells against torch.nn: torch's weights copied into ours (float64),
then outputs, final states and every gradient compared; state_dict keys, reprs and messages."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12


def random(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def pair(cls, *args, **kwargs):
    """The same layer in both libraries, torch's float64 weights copied into ours."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls)(*args, **kwargs).double()
    ours = getattr(nn, cls)(*args, dtype=ag.float64, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({key: ag.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()})
    return ours, theirs


def flatten_result(result):
    """(output, h_n) or (output, (h_n, c_n)), or a cell's h or (h, c) -> list of tensors."""
    if isinstance(result, tuple):
        items = []
        for item in result:
            items.extend(flatten_result(item))
        return items
    return [result]


def compare(ours, theirs, inputs, rtol=RTOL, atol=ATOL):
    """Run both on the same inputs (arrays, or tuples of arrays for LSTM states); compare values and grads.

    The loss weights every output element by a fixed random number, so all of them matter.
    """
    def leaves(make):
        made = []
        for value in inputs:
            if value is None:
                made.append(None)
            elif isinstance(value, tuple):
                made.append(tuple(make(v) for v in value))
            else:
                made.append(make(value))
        return made

    ours_inputs = leaves(lambda a: ag.tensor(a, requires_grad=True))
    theirs_inputs = leaves(lambda a: torch.tensor(a, requires_grad=True))
    ours_out = flatten_result(ours(*ours_inputs))
    theirs_out = flatten_result(theirs(*theirs_inputs))
    assert len(ours_out) == len(theirs_out)
    rng = np.random.default_rng(1)
    weights = [rng.uniform(0.5, 1.5, size=tuple(t.shape)) for t in theirs_out]
    for position, (a, b) in enumerate(zip(ours_out, theirs_out)):
        assert tuple(a.shape) == tuple(b.shape), f"output {position}: {a.shape} vs {tuple(b.shape)}"
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"output {position}")
    sum(((a * ag.tensor(w)).sum() for a, w in zip(ours_out, weights)), ag.tensor(0.0, dtype=ag.float64)).backward()
    sum((b * torch.from_numpy(w)).sum() for b, w in zip(theirs_out, weights)).backward()

    def flat(made):
        for value in made:
            if isinstance(value, tuple):
                yield from value
            elif value is not None:
                yield value

    for position, (a, b) in enumerate(zip(flat(ours_inputs), flat(theirs_inputs))):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {position}")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {name}")


LAYER_CONFIGS = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("RNN", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {}), ("GRU", {"bias": False}), ("GRU", {"num_layers": 3}), ("GRU", {"bidirectional": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {}), ("LSTM", {"bias": False}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"batch_first": True, "bidirectional": True}),
]
LAYER_IDS = [f"{cls}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for cls, kw in LAYER_CONFIGS]


@pytest.mark.parametrize("cls, kwargs", LAYER_CONFIGS, ids=LAYER_IDS)
@pytest.mark.parametrize("with_state", [False, True], ids=["hx=None", "hx"])
def test_layer_matches_torch(cls, kwargs, with_state):
    ours, theirs = pair(cls, 3, 5, **kwargs)
    directions = 2 if kwargs.get("bidirectional") else 1
    state_shape = (kwargs.get("num_layers", 1) * directions, 4, 5)
    x = random((4, 7, 3) if kwargs.get("batch_first") else (7, 4, 3), 2)
    if not with_state:
        compare(ours, theirs, [x])
    elif cls == "LSTM":
        compare(ours, theirs, [x, (random(state_shape, 3), random(state_shape, 4))])
    else:
        compare(ours, theirs, [x, random(state_shape, 3)])


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
def test_unbatched_input_matches_torch(cls):
    ours, theirs = pair(cls, 3, 5, num_layers=2, bidirectional=True)
    state = random((4, 5), 5)
    compare(ours, theirs, [random((6, 3), 6), (state, random((4, 5), 7)) if cls == "LSTM" else state])
    compare(ours, theirs, [random((6, 3), 6)])


def test_mnist1d_gru_matches_torch():
    """The MNIST-1D paper's GRU: bidirectional, hidden 6, batch-first over 40 steps of one feature."""
    ours, theirs = pair("GRU", 1, 6, batch_first=True, bidirectional=True)
    compare(ours, theirs, [random((10, 40, 1), 8), np.zeros((2, 10, 6))])


def test_long_sequence_matches_torch():
    ours, theirs = pair("LSTM", 2, 4)
    compare(ours, theirs, [random((200, 3, 2), 9)], rtol=1e-9, atol=1e-11)


def test_dropout_one_and_eval_match_torch():
    """Masks are random in both, but p = 1 (all dropped) and eval mode (none dropped) are not."""
    ours, theirs = pair("GRU", 3, 4, num_layers=3, dropout=1.0)
    compare(ours, theirs, [random((5, 2, 3), 10)])
    ours, theirs = pair("LSTM", 3, 4, num_layers=2, dropout=0.7)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, [random((5, 2, 3), 11)])


CELL_CONFIGS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("RNNCell", {"bias": False}),
                ("GRUCell", {}), ("GRUCell", {"bias": False}), ("LSTMCell", {}), ("LSTMCell", {"bias": False})]


@pytest.mark.parametrize("cls, kwargs", CELL_CONFIGS,
                         ids=[f"{c}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for c, kw in CELL_CONFIGS])
def test_cell_matches_torch(cls, kwargs):
    ours, theirs = pair(cls, 3, 5, **kwargs)
    lstm = cls == "LSTMCell"
    compare(ours, theirs, [random((4, 3), 12)])
    compare(ours, theirs, [random((4, 3), 12), (random((4, 5), 13), random((4, 5), 14)) if lstm
                           else random((4, 5), 13)])
    compare(ours, theirs, [random((3,), 15), (random((5,), 16), random((5,), 17)) if lstm else random((5,), 16)])


@pytest.mark.parametrize("build", [
    lambda m: m.RNN(3, 4), lambda m: m.RNN(3, 4, num_layers=2, nonlinearity="relu", bias=False),
    lambda m: m.GRU(1, 6, batch_first=True, bidirectional=True),
    lambda m: m.LSTM(3, 4, num_layers=2, dropout=0.25, bidirectional=True),
    lambda m: m.RNNCell(3, 4, bias=False, nonlinearity="relu"), lambda m: m.GRUCell(2, 3), lambda m: m.LSTMCell(2, 3),
])
def test_keys_shapes_and_repr_match_torch(build):
    ours, theirs = build(nn), build(torch.nn)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert repr(ours) == repr(theirs)
    # our checkpoint loads into torch, too
    theirs.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in ours.state_dict().items()})


def test_init_bounds_match_torch():
    ours, theirs = nn.LSTM(10, 16, num_layers=2), torch.nn.LSTM(10, 16, num_layers=2)
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        a, b = a.detach().numpy(), b.detach().numpy()
        assert a.dtype == b.dtype == np.float32
        assert np.abs(a).max() <= 0.25 and np.abs(b).max() <= 0.25, name
        assert abs(a.std() - b.std()) < 0.03, name


def test_error_messages_carry_torchs_text():
    """Ours prefix the layer's name and add shapes; torch's own sentence is inside."""
    for cls, call in [
        ("GRU", lambda m, lib: m(lib.zeros(5, 2, 4))),
        ("GRU", lambda m, lib: m(lib.zeros(5, 2, 3), lib.zeros(1, 3, 4))),
        ("GRU", lambda m, lib: m(lib.zeros(5, 2, 3), lib.zeros(2, 4))),
        ("LSTM", lambda m, lib: m(lib.zeros(5, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(1, 2, 5)))),
        ("RNN", lambda m, lib: m(lib.zeros(5, 3), lib.zeros(1, 2, 4))),
    ]:
        messages = []
        for module, lib in ((getattr(torch.nn, cls)(3, 4), torch), (getattr(nn, cls)(3, 4), ag)):
            with pytest.raises(RuntimeError) as caught:
                call(module, lib)
            messages.append(str(caught.value))
        theirs, ours = messages
        assert ours.startswith(f"{cls}: ")
        core = theirs.replace("hx should", "hidden should").replace("hx and cx should", "hidden[0] should")
        assert core.split(" but ")[0] in ours, (theirs, ours)
