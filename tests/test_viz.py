"""autograd_core.viz: the tape as a Wengert list, as DOT text, and drawn with Graphviz."""
import inspect
import os
import pathlib
import re
import shutil
import sys
import time

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import viz
from autograd_core.graph import Node

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's use of pyparsing

LINE = re.compile(r"^(v-?\d+) = (\w+)(?:\(([^)]*)\))? (.+)$")


def small_graph():
    ag.manual_seed(0)
    x = ag.randn(3, 4, requires_grad=True)
    w = ag.randn(4, 2, requires_grad=True)
    c = ag.ones(3, 2)  # a constant: does not require grad
    y = ((x @ w) * c).relu().sum()
    return x, w, y


def dot_graph(text):
    pydot = pytest.importorskip("pydot")
    (graph,) = pydot.graph_from_dot_data(text)
    nodes = [n for n in graph.get_nodes() if n.get_name() not in ("node", "edge", "graph")]
    return graph, nodes, graph.get_edges()


def test_print_tape_settled_format(capsys):
    x, w, y = small_graph()
    text = viz.print_tape(y)
    assert capsys.readouterr().out == text
    assert text.splitlines() == [
        "v-1 = input (3, 4) float32",
        "v0 = input (4, 2) float32",
        "v1 = matmul(v-1, v0) (3, 2) float32",
        "v2 = mul(v1, const) (3, 2) float32",
        "v3 = relu(v2) (3, 2) float32",
        "v4 = sum(v3) () float32",
    ]


def test_print_tape_to_a_file_and_quietly(tmp_path):
    _, _, y = small_graph()
    with open(tmp_path / "tape.txt", "w") as handle:
        text = viz.print_tape(y, file=handle)
    assert (tmp_path / "tape.txt").read_text() == text
    assert viz.print_tape(y, file=False) == text


def test_leaves_named_from_params_in_order_of_first_use():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    loss = model(ag.randn(5, 4)).pow(2).mean()
    lines = viz.print_tape(loss, file=False, params=dict(model.named_parameters())).splitlines()
    assert lines[:4] == [
        "v-3 = input (3, 4) float32 [0.weight]",
        "v-2 = input (3,) float32 [0.bias]",
        "v-1 = input (2, 3) float32 [2.weight]",
        "v0 = input (2,) float32 [2.bias]",
    ]
    assert lines[4] == "v1 = linear(const, v-3, v-2) (5, 3) float32"  # the batch is a constant
    assert lines[-1] == "v5 = mean(v4) () float32"  # the output is the last op: no extra node


def test_every_operand_defined_before_use():
    ag.manual_seed(1)
    a = ag.randn(5, requires_grad=True)
    b = ag.randn(5, requires_grad=True)
    u = a * b
    v = u.exp() + a      # a reused, u reused
    w = (v * u).tanh() - b.sin()
    out = (w * v).sum()
    defined = set()
    ops = 0
    for line in viz.print_tape(out, file=False).splitlines():
        ident, name, operands, _ = LINE.match(line).groups()
        if name != "input":
            ops += 1
            for operand in operands.split(", "):
                assert operand == "const" or operand.split("[")[0] in defined, line
        defined.add(ident)
    assert ops == 9  # mul exp add mul tanh sin sub mul sum


def test_structure_survives_backward_without_retain_graph():
    x, w, y = small_graph()
    before = viz.print_tape(y, file=False)
    dot_before = viz.to_dot(y)
    matmul = y.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert isinstance(matmul, Node) and matmul.name == "MatMul" and matmul.saved_arrays is not None
    y.backward()
    assert matmul.released and matmul.saved_arrays is None  # backward freed the saved arrays ...
    assert viz.print_tape(y, file=False) == before  # ... but op names, edges, shapes and dtypes remain
    assert viz.to_dot(y) == dot_before


def test_after_training_steps_the_graph_still_prints():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    optimizer = ag.optim.SGD(model.parameters(), lr=0.1)
    X, y = ag.randn(8, 2), ag.randn(8, 1)
    for _ in range(3):
        optimizer.zero_grad()
        loss = nn.MSELoss()(model(X), y)
        loss.backward()
        optimizer.step()
    text = viz.print_tape(loss, file=False, params=dict(model.named_parameters()))
    assert "tanh(v1)" in text and "[2.weight]" in text
    assert "mse_loss" in text or "mean" in text


def test_multi_output_ops_and_float64():
    a = ag.randn(4, dtype=ag.float64, requires_grad=True)
    first, second = a.split(2)
    text = viz.print_tape((first * second).sum(), file=False)
    assert text.splitlines() == [
        "v0 = input (4,) float64",
        "v1 = split(v0) (2,) float64, (2,) float64",
        "v2 = mul(v1[0], v1[1]) (2,) float64",
        "v3 = sum(v2) () float64",
    ]


def test_custom_function_keeps_its_class_name():
    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad

    x = ag.randn(3, requires_grad=True)
    assert "v1 = Cube(v0) (3,) float32" in viz.print_tape(Cube.apply(x), file=False)


def test_a_leaf_alone_and_a_constant():
    x = ag.randn(2, 3, requires_grad=True)
    assert viz.print_tape(x, file=False) == "v0 = input (2, 3) float32\n"
    with pytest.raises(ValueError, match="does not require grad"):
        viz.print_tape(ag.randn(3))
    with pytest.raises(TypeError):
        viz.to_dot(np.ones(3))


def test_dot_parses_and_counts_match_the_graph():
    x, w, y = small_graph()
    graph, nodes, edges = dot_graph(viz.to_dot(y))
    assert len(nodes) == 2 + 4          # two leaves, four ops; the constant is no node
    assert len(edges) == 2 + 1 + 1 + 1  # matmul has 2 inputs; mul 1 (+ a constant), relu 1, sum 1
    names = {n.get_name().strip('"') for n in nodes}
    assert names == {"v-1", "v0", "v1", "v2", "v3", "v4"}
    pairs = {(e.get_source().strip('"'), e.get_destination().strip('"')) for e in edges}
    assert ("v-1", "v1") in pairs and ("v0", "v1") in pairs and ("v3", "v4") in pairs


def test_dot_one_edge_per_input_even_when_repeated():
    x = ag.randn(3, requires_grad=True)
    y = (x * x).sum()  # x used twice by one op: two edges
    _, nodes, edges = dot_graph(viz.to_dot(y))
    assert len(nodes) == 3 and len(edges) == 3


def test_dot_params_and_grad_norms():
    ag.manual_seed(0)
    model = nn.Linear(3, 2)
    loss = model(ag.randn(4, 3)).sum()
    params = dict(model.named_parameters())
    assert "|grad|" not in viz.to_dot(loss, params=params, show_grads=True)  # no .grad yet
    loss.backward()
    text = viz.to_dot(loss, params=params, show_grads=True)
    _, nodes, _ = dot_graph(text)
    labels = {n.get_name().strip('"'): n.get_attributes()["label"] for n in nodes}
    assert "weight" in labels["v-1"] and "bias" in labels["v0"]
    norm = float(np.linalg.norm(model.weight.grad.numpy()))
    assert f"|grad| = {norm:.3g}" in labels["v-1"]
    assert "|grad|" not in viz.to_dot(loss, params=params)  # only with show_grads


def test_names_with_quotes_are_escaped():
    x = ag.randn(2, requires_grad=True)
    _, nodes, _ = dot_graph(viz.to_dot(x.exp().sum(), params={'odd "name"\\': x}))
    assert len(nodes) == 3


def test_ten_thousand_ops_print_and_convert_fast_without_recursion():
    x = ag.randn(4, requires_grad=True)
    y = x
    for i in range(10_000):
        y = y * 1.0001 if i % 2 else y + x
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)  # any recursion over the graph would fail
    try:
        start = time.perf_counter()
        text = viz.print_tape(y, file=False)
        dot = viz.to_dot(y)
        elapsed = time.perf_counter() - start
    finally:
        sys.setrecursionlimit(limit)
    assert len(text.splitlines()) == 1 + 10_000
    assert dot.count(" -> ") == 10_000 + 5_000  # add has two recorded inputs, mul one
    assert elapsed < 20.0, elapsed  # typically well under a second


# -- draw: needs the graphviz package and the dot program ---------------------------------------
def require_dot():
    """Skip on a developer's machine without Graphviz; in CI (which installs it) its absence fails."""
    if shutil.which("dot") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must have Graphviz's dot program (.ci/run installs Debian's graphviz)")
        pytest.skip("Graphviz's dot program is not installed")


def test_draw_writes_svg_and_png_exactly_there(tmp_path):
    pytest.importorskip("graphviz")
    require_dot()
    _, _, y = small_graph()
    svg = tmp_path / "tape.svg"
    assert viz.draw(y, svg) == str(svg)
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    png = str(tmp_path / "sub dir" / "tape.png")
    os.makedirs(os.path.dirname(png))
    viz.draw(y, png)
    assert pathlib.Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["tape.png", "tape.svg"]
    with pytest.raises(ValueError, match=".svg or .png"):
        viz.draw(y, tmp_path / "tape.pdf")


def test_draw_without_path_returns_a_source_for_notebooks():
    graphviz = pytest.importorskip("graphviz")
    require_dot()
    _, _, y = small_graph()
    source = viz.draw(y)
    assert isinstance(source, graphviz.Source)
    assert source.source == viz.to_dot(y)
    assert "<svg" in source._repr_image_svg_xml()  # what Jupyter displays inline


def test_draw_without_dot_says_how_to_install(monkeypatch, tmp_path):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot anywhere
    assert shutil.which("dot") is None
    _, _, y = small_graph()
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.draw(y, tmp_path / "tape.svg")
    with pytest.raises(RuntimeError, match="dot"):
        viz.draw(y)
    assert not (tmp_path / "tape.svg").exists()


def test_draw_without_the_graphviz_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now fails
    _, _, y = small_graph()
    with pytest.raises(ImportError, match=r"\[viz\]"):
        viz.draw(y, "never.svg")
    assert viz.to_dot(y)  # DOT text needs neither


def test_viz_imports_only_the_engine():
    source = pathlib.Path(viz.__file__).read_text()
    assert "import nn" not in source and "from nn" not in source and "optim" not in source
