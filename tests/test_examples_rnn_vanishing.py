"""Smoke tests of examples/rnn_vanishing_gradients.py (--quick: T = 20) and a check of what it measures.

The figure's numbers are ||dL/dh_t||, read from ``h_t.grad`` after ``retain_grad()`` on a
cell unrolled by hand; the last test checks those against torch's for the same weights.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

from examples_helpers import EXAMPLES_DIR, example  # noqa: F401  (example is a fixture)

pytest.importorskip("matplotlib")


def test_quick_run_shows_the_elman_gradient_vanishing_and_the_open_gates_keeping_it(example):
    module = example("rnn_vanishing_gradients")
    results = module.main(quick=True)
    assert set(results) == {"Elman RNN (tanh)", "GRU", "LSTM", "GRU, z bias +3", "LSTM, f bias +3"}
    for name, entry in results.items():
        assert entry["init"].shape == entry["trained"].shape == (20,), name
        assert np.all(np.isfinite(entry["init"])) and np.all(entry["init"] > 0), name
        assert np.isfinite(entry["loss_init"]) and np.isfinite(entry["loss_trained"]), name
    ratio = {name: entry["init"][0] / entry["init"][-1] for name, entry in results.items()}
    elman = results["Elman RNN (tanh)"]["init"]
    # the Elman RNN's gradient decays over the 20 steps, step after step (no step lets it grow back)
    assert elman[0] < 1e-3 * elman[-1] and np.all(np.diff(elman) > 0)
    # a keeping gate biased open (+3) carries far more of the gradient back to t = 1 than torch's init does
    assert ratio["LSTM, f bias +3"] > 100 * ratio["Elman RNN (tanh)"]
    assert ratio["GRU, z bias +3"] > 100 * ratio["GRU"] and ratio["LSTM, f bias +3"] > 100 * ratio["LSTM"]
    assert (example.output / "rnn_vanishing_gradients.png").stat().st_size > 0


def test_command_line_quick_prints_the_table():
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES_DIR, "rnn_vanishing_gradients.py"), "--quick",
                             "--no-plot"], capture_output=True, text=True, timeout=300, cwd=EXAMPLES_DIR)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "t = 1" in result.stdout and "Elman RNN (tanh)   at init loses" in result.stdout


@pytest.mark.parametrize("name", ["Elman RNN (tanh)", "GRU", "LSTM, f bias +3"])
def test_gradient_norms_through_time_equal_torchs(example, name):
    torch = pytest.importorskip("torch")
    import autograd_core as ag

    module = example("rnn_vanishing_gradients")
    cell, gate_bias = module.CELLS[name]
    ag.manual_seed(3)
    model = module.Recurrent(cell, gate_bias).double()
    x, y = module.make_batch(np.random.default_rng(5), 12)
    ours, _ = module.gradient_norms(model, x, y)

    torch_cell = {"RNNCell": torch.nn.RNNCell, "GRUCell": torch.nn.GRUCell,
                  "LSTMCell": torch.nn.LSTMCell}[cell.__name__](1, module.HIDDEN).double()
    readout = torch.nn.Linear(module.HIDDEN, 2).double()
    with torch.no_grad():
        for name_, parameter in torch_cell.named_parameters():
            parameter.copy_(torch.from_numpy(getattr(model.cell, name_).detach().numpy()))
        readout.weight.copy_(torch.from_numpy(model.readout.weight.detach().numpy()))
        readout.bias.copy_(torch.from_numpy(model.readout.bias.detach().numpy()))
    state, hidden = None, []
    for t in range(12):
        state = torch_cell(torch.from_numpy(x.numpy()[t]), state)
        h = state[0] if isinstance(state, tuple) else state
        h.retain_grad()
        hidden.append(h)
    torch.nn.functional.cross_entropy(readout(hidden[-1]), torch.from_numpy(y.numpy())).backward()
    theirs = np.array([float(np.mean(np.linalg.norm(h.grad.numpy(), axis=-1))) for h in hidden])
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
