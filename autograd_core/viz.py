"""The tape, shown: a recorded graph as a Wengert list, as Graphviz DOT text, or drawn.

    import autograd_core as ag
    from autograd_core import viz

    x = ag.randn(3, 4, requires_grad=True)
    w = ag.randn(4, 2, requires_grad=True)
    y = (x @ w).relu().sum()
    viz.print_tape(y)
    # v-1 = input (3, 4) float32
    # v0 = input (4, 2) float32
    # v1 = matmul(v-1, v0) (3, 2) float32
    # v2 = relu(v1) (3, 2) float32
    # v3 = sum(v2) () float32
    viz.draw(y, "graph.svg")          # needs the `viz` extra and Graphviz's `dot` program

A *Wengert list* is the tape written out: first the leaves that require grad (the
inputs, numbered v-(L-1) .. v0 in the order the tape first uses them), then one line
per recorded op (v1 .. vN, every operand before its use).  A tensor that does not
require grad is a constant inside the line (``const``), not a line of its own.  The
last line is the output's op: there is no separate output node.

Everything is read from the tape's nodes -- each node's op and its *edges*, one per
input, which carry that input's shape and dtype -- so the structure can still be
printed and drawn after ``backward()`` has freed the saved arrays (as torch keeps
``grad_fn``).  The walk is iterative: a 100,000-op chain is fine.
"""
import os
import re
import shutil

import numpy as np

from .graph import Node
from .tensor import Tensor

__all__ = ["print_tape", "to_dot", "draw"]

_INSTALL_DOT = (
    "Graphviz's `dot` program was not found on PATH; draw() needs it to lay out the graph. "
    "Install it with your system's package manager: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install graphviz`, or see https://graphviz.org/download/. "
    "to_dot() and print_tape() work without it."
)
_INSTALL_PACKAGE = (
    "draw() needs the Python package `graphviz`, from the `viz` extra: pip install -e \".[viz]\" "
    "(or pip install graphviz). to_dot() and print_tape() work without it."
)


# ---------------------------------------------------------------------------
# Reading the tape
# ---------------------------------------------------------------------------
class _Tape:
    """The graph `output` depends on: leaves in order of first use, nodes in recording order, ids."""

    def __init__(self, output, params=None):
        if not isinstance(output, Tensor):
            raise TypeError(f"expected a Tensor, got {type(output).__name__}")
        root = output._node
        if root is None and not output._requires_grad:
            raise ValueError(
                "this tensor does not require grad, so nothing was recorded for it: make an input "
                "with requires_grad=True (and do not compute it under no_grad())"
            )
        # Output shapes: a node's output k has the shape and dtype that every edge to it records
        # (edges survive backward); the root's come from the output tensor itself.
        self.shapes = {}
        self.nodes = []
        if root is not None:
            self.shapes[(root, output._output_index)] = (output._data.shape, output._data.dtype)
            seen = {root}
            stack = [root]
            while stack:  # iterative: no recursion, whatever the depth
                node = stack.pop()
                self.nodes.append(node)
                for edge in node.edges:
                    if edge is None:
                        continue
                    target = edge[0]
                    if target.__class__ is Node:
                        self.shapes.setdefault((target, edge[1]), (edge[2], edge[3]))
                        if target not in seen:
                            seen.add(target)
                            stack.append(target)
            self.nodes.sort(key=_sequence_of)  # recording order: every operand before its use
        leaves = [] if root is not None else [output]
        leaf_index = {} if root is not None else {id(output): 0}
        for node in self.nodes:
            for edge in node.edges:
                if edge is not None and edge[0].__class__ is not Node and id(edge[0]) not in leaf_index:
                    leaf_index[id(edge[0])] = len(leaves)
                    leaves.append(edge[0])
        self.leaves = leaves
        offset = len(leaves) - 1
        self.leaf_ids = {key: f"v{index - offset}" for key, index in leaf_index.items()}
        self.node_ids = {node: f"v{position + 1}" for position, node in enumerate(self.nodes)}
        self.names = {}
        if params is not None:
            items = params.items() if hasattr(params, "items") else params
            for name, tensor in items:
                self.names.setdefault(id(tensor), name)

    def operand(self, edge):
        """How an op's line names one of its inputs."""
        if edge is None:
            return "const"
        target, index = edge[0], edge[1]
        if target.__class__ is Node:
            name = self.node_ids[target]
            return name if target.output_count == 1 else f"{name}[{index}]"
        return self.leaf_ids[id(target)]

    def outputs(self, node):
        """[(shape, dtype)] of the node's outputs (None for an output nothing recorded)."""
        if node.output_count == 1:
            return [self.shapes.get((node, 0))]
        known = node.output_shapes or [None] * node.output_count
        return [self.shapes.get((node, index)) or known[index] for index in range(node.output_count)]


def _sequence_of(node):
    return node.seq


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPECIAL_NAMES = {"MatMul": "matmul"}


def op_name(node):
    """The op's name as torch spells the function: ``mul``, ``matmul``, ``relu``, ``log_softmax``.

    A custom ``Function`` keeps its class name."""
    op = node.op
    name = getattr(op, "name", None)
    if name:
        return name
    name = op.__name__
    return _SPECIAL_NAMES.get(name) or _CAMEL.sub("_", name).lower()


def _shape_text(meta):
    if meta is None:
        return "?"
    shape, dtype = meta
    return f"{tuple(int(size) for size in shape)} {np.dtype(dtype).name}"


def _outputs_text(tape, node):
    return ", ".join(_shape_text(meta) for meta in tape.outputs(node))


def _leaf_text(tape, leaf):
    text = f"input {_shape_text((leaf._data.shape, leaf._data.dtype))}"
    name = tape.names.get(id(leaf))
    return text if name is None else f"{text} [{name}]"


# ---------------------------------------------------------------------------
# The Wengert list
# ---------------------------------------------------------------------------
def print_tape(output, file=None, params=None):
    """Print the tape `output` depends on as a Wengert list and return the same text.

    One line per leaf that requires grad (``v-1 = input (3, 4) float32 [0.weight]``; the
    name in brackets when the leaf is in `params`, e.g. ``dict(model.named_parameters())``),
    then one per recorded op (``v1 = mul(v-1, v0) (3, 4) float32``).  `file`: where to
    print (default ``sys.stdout``; pass ``False`` to only return the text).
    """
    tape = _Tape(output, params)
    lines = [f"{tape.leaf_ids[id(leaf)]} = {_leaf_text(tape, leaf)}" for leaf in tape.leaves]
    node_ids = tape.node_ids
    operand = tape.operand
    for node in tape.nodes:
        operands = ", ".join([operand(edge) for edge in node.edges])
        lines.append(f"{node_ids[node]} = {op_name(node)}({operands}) {_outputs_text(tape, node)}")
    text = "\n".join(lines) + "\n"
    if file is not False:
        print(text, end="", file=file)
    return text


# ---------------------------------------------------------------------------
# Graphviz
# ---------------------------------------------------------------------------
def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(output, params=None, show_grads=False):
    """Graphviz DOT text of the tape `output` depends on.

    One node per leaf (a box; labelled with its name when it is in `params`, e.g.
    ``dict(model.named_parameters())``) and per op (an ellipse), one edge per input
    of each op, from the input to the op.  With ``show_grads=True`` a leaf whose
    ``.grad`` is set shows the gradient's L2 norm.
    """
    tape = _Tape(output, params)
    lines = [
        "digraph tape {",
        '  graph [rankdir=TB, fontname="Helvetica"];',
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [arrowsize=0.6];',
    ]
    for leaf in tape.leaves:
        ident = tape.leaf_ids[id(leaf)]
        label = [ident, _shape_text((leaf._data.shape, leaf._data.dtype))]
        name = tape.names.get(id(leaf))
        if name is not None:
            label.insert(1, name)
        if show_grads and leaf._grad is not None:
            grad = np.asarray(leaf._grad._data, dtype=np.float64).reshape(-1)
            label.append(f"|grad| = {float(np.sqrt(np.dot(grad, grad))):.3g}")
        colour = "palegreen" if name is not None else "lightblue"
        lines.append(f"  {_quote(ident)} [label={_quote(chr(10).join(label))}, shape=box, "
                     f"style=filled, fillcolor={colour}];")
    for node in tape.nodes:
        ident = tape.node_ids[node]
        label = f"{ident} = {op_name(node)}\n{_outputs_text(tape, node)}"
        lines.append(f"  {_quote(ident)} [label={_quote(label)}, shape=ellipse];")
        for edge in node.edges:
            if edge is None:
                continue  # a constant: part of the op, not a node
            source = edge[0]
            source_id = tape.node_ids[source] if source.__class__ is Node else tape.leaf_ids[id(source)]
            lines.append(f"  {_quote(source_id)} -> {_quote(ident)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(output, path=None, params=None, show_grads=False):
    """Draw the tape with Graphviz.

    With a `path` (str or PathLike) ending in ``.svg`` or ``.png`` the drawing is written
    exactly there and the path is returned.  Without one a ``graphviz.Source`` is
    returned, which a Jupyter notebook displays inline.  Needs the Python package
    ``graphviz`` (the `viz` extra) and Graphviz's ``dot`` program; a missing ``dot``
    is a RuntimeError that says how to install it.
    """
    try:
        import graphviz
    except ImportError as error:
        raise ModuleNotFoundError(_INSTALL_PACKAGE, name="graphviz") from error
    if shutil.which("dot") is None:
        raise RuntimeError(_INSTALL_DOT)
    source = graphviz.Source(to_dot(output, params=params, show_grads=show_grads))
    if path is None:
        return source
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".svg", ".png"):
        raise ValueError(f"draw() writes .svg or .png files, got {path!r}")
    try:
        data = source.pipe(format=suffix[1:])
    except graphviz.ExecutableNotFound as error:  # dot vanished between the check and the call
        raise RuntimeError(_INSTALL_DOT) from error
    with open(path, "wb") as handle:
        handle.write(data)
    return path
