"""README.md stays a working first lesson.

- Every ```python block runs as a program of its own (a fresh interpreter, a temporary working
  directory, a timeout).  A block may be skipped only when it needs MPI: put the line
  ``<!-- readme-test: skip, needs MPI -->`` right above it.
- The "What is supported" table lists every op, nn.Module subclass, loss, optimizer and
  scheduler the packages export, and nothing that does not exist.
- The README's test command is the last line of .ci/run.
- The figures it embeds are committed, small, and made by docs/make_figures.py.
"""
import importlib.util
import inspect
import os
import re
import subprocess
import sys

import pytest

import autograd_core
import nn
import optim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
SKIP_MARK = "<!-- readme-test: skip, needs MPI -->"


def readme():
    with open(README, encoding="utf-8") as file:
        return file.read()


def python_blocks():
    """(line number, preceding text, code) of every ```python block."""
    text = readme()
    found = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        before = text[:match.start()].rstrip().splitlines()
        found.append((text.count("\n", 0, match.start()) + 1, before[-1] if before else "", match.group(1)))
    return found


BLOCKS = python_blocks()


def test_the_readme_has_the_tour_blocks():
    assert len(BLOCKS) >= 5  # Tensor/backward, gradcheck, training loop, tape, monitor
    code = "\n".join(block for _, _, block in BLOCKS)
    for needed in ("backward()", "gradcheck(", "for epoch in", "viz.draw(", "GradientMonitor("):
        assert needed in code, needed


@pytest.mark.parametrize("line, before, code", BLOCKS, ids=[f"line{line}" for line, _, _ in BLOCKS])
def test_python_block_runs(line, before, code, tmp_path):
    if before.strip() == SKIP_MARK:
        pytest.skip("the README marks this block as needing MPI")
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"README.md block at line {line} failed:\n{result.stderr}"
    for name in re.findall(r"[\"'](\w+\.png)[\"']", code):  # a block that saves a figure made it
        assert (tmp_path / name).stat().st_size > 1000, name
    if "for epoch in" in code:  # the training loop learns
        accuracy = float(re.search(r"test accuracy after 10 epochs: ([\d.]+)%", result.stdout).group(1))
        assert accuracy > 85
    if "gradcheck(" in code:  # the wrong backward is caught
        assert "Jacobian mismatch" in result.stdout


# --- the "What is supported" table ------------------------------------------------------------

def supported_rows():
    """{first cell: [names]} of the table under '## What is supported'."""
    text = readme()
    section = text.split("## What is supported", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and not set(cells[1]) <= set("-") and cells[0] != "what":
            rows[cells[0]] = re.findall(r"`([^`]+)`", cells[1])
    return rows


def listed(prefix):
    return [name for kind, names in supported_rows().items() if kind.startswith(prefix) for name in names]


def resolve(dotted, root):
    obj = root
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def exported_ops():
    """The public functions of autograd_core defined by an op family (autograd_core/ops/<family>.py)."""
    return {name for name, value in vars(autograd_core).items()
            if not name.startswith("_") and inspect.isfunction(value)
            and value.__module__.startswith("autograd_core.ops.")}


def nn_classes(predicate):
    return {f"nn.{name}" for name, value in vars(nn).items()
            if not name.startswith("_") and inspect.isclass(value) and issubclass(value, nn.Module) and predicate(name)}


def test_the_table_has_every_kind():
    kinds = set(supported_rows())
    for prefix in ("ops", "layers", "losses", "optimizers", "schedulers"):
        assert any(kind.startswith(prefix) for kind in kinds), prefix


def test_every_op_is_in_the_table_and_every_listed_op_exists():
    names = listed("ops")
    assert len(names) == len(set(names)), "an op is listed twice"
    assert set(names) == exported_ops(), (
        f"missing from the README table: {sorted(exported_ops() - set(names))}; "
        f"listed but no op: {sorted(set(names) - exported_ops())}")
    for name in names:
        assert callable(getattr(autograd_core, name)), name


def test_every_layer_and_loss_is_in_the_table():
    layers, losses = listed("layers"), listed("losses")
    assert set(layers) == nn_classes(lambda name: not name.endswith("Loss")), (
        sorted(nn_classes(lambda name: not name.endswith("Loss")) ^ set(layers)))
    assert set(losses) == nn_classes(lambda name: name.endswith("Loss")), (
        sorted(nn_classes(lambda name: name.endswith("Loss")) ^ set(losses)))
    for name in layers + losses:
        assert issubclass(resolve(name[len("nn."):], nn), nn.Module), name


def test_every_optimizer_and_scheduler_is_in_the_table():
    optimizers = {f"optim.{name}" for name, value in vars(optim).items()
                  if inspect.isclass(value) and issubclass(value, optim.Optimizer) and value is not optim.Optimizer}
    base = optim.lr_scheduler.LRScheduler
    schedulers = {f"optim.lr_scheduler.{name}" for name, value in vars(optim.lr_scheduler).items()
                  if not name.startswith("_") and inspect.isclass(value) and issubclass(value, base)
                  and value is not base}
    assert set(listed("optimizers")) == optimizers, sorted(optimizers ^ set(listed("optimizers")))
    assert set(listed("schedulers")) == schedulers, sorted(schedulers ^ set(listed("schedulers")))
    for name in listed("optimizers") + listed("schedulers"):
        assert inspect.isclass(resolve(name[len("optim."):], optim)), name


# --- the test command and the figures ----------------------------------------------------------

def test_the_readme_test_command_is_what_ci_runs():
    match = re.search(r"\*\*Run the tests\*\*.*?```bash\n(.*?)\n```", readme(), re.S)
    assert match, "the README's 'Run the tests' block"
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as file:
        last_line = file.read().rstrip("\n").splitlines()[-1]
    assert match.group(1).strip() == last_line.strip()


def test_the_embedded_figures_are_committed_small_and_made_by_make_figures():
    text = readme()
    images = set(re.findall(r"\(docs/(\w+\.png)\)", text)) | set(re.findall(r'src="docs/(\w+\.png)"', text))
    assert {"tape.png", "gradient_flow.png", "vanishing_gradients.png"} <= images
    for name in images:
        path = os.path.join(ROOT, "docs", name)
        assert os.path.exists(path), name
        assert os.path.getsize(path) < 150 * 1024, name
        with open(path, "rb") as file:
            assert file.read(8) == b"\x89PNG\r\n\x1a\n", name
    spec = importlib.util.spec_from_file_location("make_figures", os.path.join(ROOT, "docs", "make_figures.py"))
    make_figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_figures)
    from_snippets = {name for block in make_figures.readme_blocks() for name in make_figures.FIGURE_SNIPPET.findall(block)}
    assert images == from_snippets | {"vanishing_gradients.png"}
    assert "python docs/make_figures.py" in text
