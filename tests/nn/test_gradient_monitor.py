"""nn.utils.GradientMonitor: per-layer gradient norms, activation statistics and dead units."""
import numpy as np
import pytest

import autograd_core as ag
import nn

KEYS = {"step", "layer", "type", "grad_norm", "act_mean", "act_std", "dead_fraction"}


def model_and_batch():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Sequential(nn.Linear(6, 5), nn.Tanh()), nn.Linear(5, 1))
    return model, ag.randn(8, 4), ag.randn(8, 1)


def train_step(model, X, y, monitor):
    model.zero_grad()
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    return monitor.step()


def test_one_row_per_leaf_module_with_names_and_types():
    model, X, y = model_and_batch()
    monitor = nn.utils.GradientMonitor(model)
    rows = train_step(model, X, y, monitor)
    assert [(r["layer"], r["type"]) for r in rows] == [
        ("0", "Linear"), ("1", "ReLU"), ("2.0", "Linear"), ("2.1", "Tanh"), ("3", "Linear")]
    assert all(set(r) == KEYS and r["step"] == 1 for r in rows)
    assert monitor.records == rows
    train_step(model, X, y, monitor)
    assert [r["step"] for r in monitor.records] == [1] * 5 + [2] * 5


def test_values_are_plain_floats_and_correct():
    model, X, y = model_and_batch()
    monitor = nn.utils.GradientMonitor(model)
    rows = {r["layer"]: r for r in train_step(model, X, y, monitor)}
    np.testing.assert_allclose(rows["0"]["grad_norm"], np.linalg.norm(model[0].weight.grad.numpy()), rtol=1e-6)
    np.testing.assert_allclose(rows["2.0"]["grad_norm"], np.linalg.norm(model[2][0].weight.grad.numpy()), rtol=1e-6)
    assert rows["1"]["grad_norm"] is None and rows["2.1"]["grad_norm"] is None  # no weight
    with ag.no_grad():
        hidden = model[2][1](model[2][0](model[1](model[0](X)))).numpy()
    np.testing.assert_allclose(rows["2.1"]["act_mean"], hidden.mean(), rtol=1e-5)
    np.testing.assert_allclose(rows["2.1"]["act_std"], hidden.std(), rtol=1e-5)
    for row in rows.values():
        for key in ("grad_norm", "act_mean", "act_std", "dead_fraction"):
            assert row[key] is None or type(row[key]) is float
    assert rows["0"]["dead_fraction"] is None and rows["2.1"]["dead_fraction"] is None
    assert type(rows["1"]["dead_fraction"]) is float


def test_dead_fraction_counts_units_dead_for_every_sample():
    relu = nn.ReLU()
    monitor = nn.utils.GradientMonitor(relu)
    x = ag.tensor([[1.0, -1.0, -2.0, 0.5],
                   [-1.0, -3.0, 2.0, 0.5]], requires_grad=True)
    relu(x).sum().backward()
    (row,) = monitor.step()
    assert row["layer"] == "" and row["type"] == "ReLU"
    assert row["dead_fraction"] == 0.25  # only unit 1 is zero for both samples


def test_dead_fraction_over_extra_dims_is_per_channel():
    relu = nn.ReLU()
    monitor = nn.utils.GradientMonitor(relu)
    x = -ag.ones(2, 3, 5, requires_grad=True)
    with ag.no_grad():
        x.data[:, 0, 2] = 1.0  # channel 0 is alive at one position
    relu(x).sum().backward()
    assert monitor.step()[0]["dead_fraction"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("layer", [nn.LeakyReLU(0.01), nn.ELU()])
def test_leaky_relu_and_elu_count_units_with_negative_input(layer):
    monitor = nn.utils.GradientMonitor(layer)
    x = ag.tensor([[1.0, -1.0, -2.0, 0.5],
                   [-1.0, -3.0, -2.0, 0.5]], requires_grad=True)
    layer(x).sum().backward()
    assert monitor.step()[0]["dead_fraction"] == 0.5  # units 1 and 2 are negative for every sample


def test_forwards_under_no_grad_do_not_feed_the_monitor():
    model, X, y = model_and_batch()
    monitor = nn.utils.GradientMonitor(model)
    model.zero_grad()
    ((model(X) - y) ** 2).mean().backward()
    with ag.no_grad():
        model(X * 100)  # an evaluation pass with very different activations
    rows = {r["layer"]: r for r in monitor.step()}
    with ag.no_grad():
        first = model[0](X).numpy()
    np.testing.assert_allclose(rows["0"]["act_mean"], first.mean(), rtol=1e-5)


def test_before_any_forward_and_without_gradients():
    model, _, _ = model_and_batch()
    monitor = nn.utils.GradientMonitor(model)
    rows = monitor.step()
    assert all(r["grad_norm"] is None and r["act_mean"] is None and r["dead_fraction"] is None for r in rows)


def test_remove_and_context_manager():
    model, X, y = model_and_batch()
    monitor = nn.utils.GradientMonitor(model)
    train_step(model, X, y, monitor)
    monitor.remove()
    assert train_step(model, X, y, monitor) == [] and len(monitor.records) == 5
    assert all(not m._forward_hooks for m in model.modules())
    with nn.utils.GradientMonitor(model) as watched:
        assert isinstance(watched, nn.utils.GradientMonitor)
        train_step(model, X, y, watched)
        assert any(m._forward_hooks for m in model.modules())
    assert all(not m._forward_hooks for m in model.modules())
    assert len(watched.records) == 5


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    model, X, y = model_and_batch()
    with nn.utils.GradientMonitor(model) as monitor:
        for _ in range(3):
            train_step(model, X, y, monitor)
        path = monitor.plot(str(tmp_path / "flow.png"))
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
