"""docs/api.md lists every public name, and nothing that does not exist.

The convention (docs/api.md says it too)
----------------------------------------
A *documented name* is a backticked token in the FIRST cell of a Markdown table row
that starts with one of the roots ``autograd_core.``, ``Tensor.``, ``nn.`` or
``optim.``.  The name is the token up to its first ``(`` (so a cell may show the
signature: ```nn.Linear(in_features, out_features, bias=True)```).  One cell may hold
several names, e.g. ```autograd_core.exp(input)` · `Tensor.exp```.  Prose, code
blocks and the other columns are never parsed.  Every such row also needs a
non-empty second cell (the torch counterpart, or "—" when there is none).

The public names (what must be documented)
------------------------------------------
Computed by introspection of the public namespaces only, never of the private file
layout (code moving between ``autograd_core/*.py`` files changes nothing here):

* the namespaces ``autograd_core``, ``autograd_core.data``, ``nn``, ``nn.functional``,
  ``nn.init``, ``nn.utils``, ``optim``, ``optim.lr_scheduler``, and, once they exist,
  ``autograd_core.nn``, ``autograd_core.optim``, ``autograd_core.autograd``,
  ``autograd_core.utils``, ``autograd_core.utils.data``, ``autograd_core.distributed``,
  ``nn.parallel`` (a namespace that is the very same module object as another one,
  e.g. ``autograd_core.nn is nn``, is introspected once, under its first name).
  Each of these namespaces except the three roots must itself have a row.
* In a namespace with ``__all__``: exactly the names in ``__all__``.
* Otherwise: every attribute whose name does not start with ``_``, except
  - module objects (submodules such as ``autograd_core.graph`` and re-exported
    libraries such as ``np`` or ``math``), and
  - classes and functions defined outside the project (``__module__`` not under
    ``autograd_core``, ``nn`` or ``optim``), e.g. a ``from bisect import bisect_right``.
  Plain objects (the dtypes ``float32``, ``long``, ...) count.
* The members of the classes users call methods on: ``Tensor`` (as ``Tensor.x``),
  ``nn.Module``, ``optim.Optimizer``, ``optim.lr_scheduler.LRScheduler`` and
  ``autograd_core.Function``: every name in ``dir(cls)`` not starting with ``_``, plus
  the public instance attributes of a sample instance (``Module().training``,
  ``optimizer.param_groups``).  Dunder methods (``Tensor.__add__``) may be documented
  and must then exist, but are not required.

A documented name "exists" when ``getattr`` along its dotted path succeeds from its
root (falling back to the sample instance for the member classes above).
"""
import importlib
import inspect
import os
import re
import types

import pytest

import autograd_core
import nn
import optim

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "api.md")
PROJECT_PACKAGES = ("autograd_core", "nn", "optim")
ROOTS = ("autograd_core", "Tensor", "nn", "optim")

# Namespaces whose attributes are public API, in the order they are introspected.
REQUIRED_NAMESPACES = (
    "autograd_core", "autograd_core.data", "nn", "nn.functional", "nn.init", "nn.utils",
    "optim", "optim.lr_scheduler",
)
# Being added by other work: introspected (and must have a row) once they exist.
OPTIONAL_NAMESPACES = (
    "autograd_core.nn", "autograd_core.optim", "autograd_core.autograd", "autograd_core.utils",
    "autograd_core.utils.data", "autograd_core.distributed", "nn.parallel", "autograd_core.func",
    "autograd_core.utils.checkpoint",
)
MEMBER_CLASSES = ("Tensor", "nn.Module", "optim.Optimizer", "optim.lr_scheduler.LRScheduler",
                  "autograd_core.Function")

# Where a missing name goes: the longest matching prefix wins.
SECTIONS = {
    "autograd_core.": "'## autograd_core', in the table of its kind (creation, random numbers, dtypes, grad mode, "
                      "autograd, serialization, or its op family under '### Ops')",
    "autograd_core.data.": "'## autograd_core.data'",
    "autograd_core.distributed.": "'## autograd_core.distributed'",
    "autograd_core.autograd.": "'## Porting a torch script' (the autograd_core.autograd table)",
    "autograd_core.utils.": "'## Porting a torch script'",
    "autograd_core.func.": "'## autograd_core.func'",
    "autograd_core.utils.checkpoint.": "'## autograd_core.utils.checkpoint'",
    "autograd_core.Function.": "'#### Custom functions: autograd_core.Function'",
    "Tensor.": "'## Tensor' (or in its op's row under '### Ops' when it also has a function form)",
    "nn.": "'## nn', in the table of its kind (containers, layers, activations, losses)",
    "nn.Module.": "'### nn.Module'",
    "nn.functional.": "'### nn.functional'",
    "nn.init.": "'### nn.init'",
    "nn.utils.": "'### nn.utils'",
    "nn.parallel.": "'### nn.parallel'",
    "optim.": "'## optim' ('### Optimizers')",
    "optim.Optimizer.": "'### optim.Optimizer'",
    "optim.lr_scheduler.": "'### optim.lr_scheduler'",
}


def _section_for(name):
    best = max((p for p in SECTIONS if name.startswith(p)), key=len, default=None)
    return SECTIONS[best] if best else "the section of its namespace"


# -- the documented names ---------------------------------------------------------------------
_TOKEN = re.compile(r"`([^`]+)`")


def _split_cells(line):
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    cells, current, in_code = [], "", False
    for char in body:  # a | inside backticks does not split cells
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
    cells.append(current.strip())
    return cells


def documented_names():
    """{name: [line numbers]} of every name in the first cell of a table row, and rows lacking a torch cell."""
    names, bad_rows = {}, []
    in_fence = False
    with open(DOC, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
                continue
            if in_fence or not line.lstrip().startswith("|"):
                continue
            cells = _split_cells(line)
            found = False
            for token in _TOKEN.findall(cells[0]):
                name = token.split("(", 1)[0].strip()
                if name.split(".", 1)[0] in ROOTS and "." in name and " " not in name:
                    names.setdefault(name, []).append(number)
                    found = True
            if found and (len(cells) < 2 or not cells[1]):
                bad_rows.append(number)
    return names, bad_rows


# -- the public names -------------------------------------------------------------------------
def _resolve_root(root):
    return autograd_core.Tensor if root == "Tensor" else {"autograd_core": autograd_core, "nn": nn,
                                                          "optim": optim}[root]


def _namespace(path):
    """The module at `path` (getattr first: the aliases are lazy attributes), or None if it does not exist."""
    parts = path.split(".")
    obj = _resolve_root(parts[0])
    for position, part in enumerate(parts[1:], 1):
        try:
            obj = getattr(obj, part)
            continue
        except AttributeError:
            pass
        real = ".".join(parts[:position + 1])  # a real submodule not imported yet
        if parts[0] == "Tensor":
            return None
        try:
            obj = importlib.import_module(real)
        except ModuleNotFoundError as error:
            if error.name == real or real.startswith(f"{error.name}."):
                return None  # the namespace itself is absent (not one of its dependencies)
            raise
    return obj if isinstance(obj, types.ModuleType) else None


def _defined_in_project(value):
    module = getattr(value, "__module__", None) or ""
    return module.split(".", 1)[0] in PROJECT_PACKAGES


def _public_attributes(module):
    if "__all__" in vars(module):
        return list(module.__all__)
    out = []
    for name in dir(module):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        if isinstance(value, types.ModuleType):
            continue
        if (inspect.isclass(value) or inspect.isroutine(value)) and not _defined_in_project(value):
            continue
        out.append(name)
    return out


def _sample_instances():
    """Instances of the member classes themselves (not of subclasses, whose own attributes are theirs)."""

    class Constant(optim.lr_scheduler.LRScheduler):
        def get_lr(self):
            return [group["lr"] for group in self.optimizer.param_groups]

    optimizer = optim.Optimizer([nn.Parameter(autograd_core.zeros(1))], {"lr": 0.1})
    return {
        "Tensor": autograd_core.zeros(1),
        "nn.Module": nn.Module(),
        "optim.Optimizer": optimizer,
        "optim.lr_scheduler.LRScheduler": Constant(optimizer),
    }


def public_names():
    """{qualified name} that docs/api.md must list (see the module docstring for the rule)."""
    names, seen = set(), {}
    for path in REQUIRED_NAMESPACES + OPTIONAL_NAMESPACES:
        module = _namespace(path)
        if module is None:
            assert path not in REQUIRED_NAMESPACES, f"public namespace {path} cannot be imported"
            continue
        if path not in ("autograd_core", "nn", "optim"):
            names.add(path)
        if id(module) in seen:
            continue
        seen[id(module)] = path
        names.update(f"{path}.{attr}" for attr in _public_attributes(module))
    samples = _sample_instances()
    for cls_path in MEMBER_CLASSES:
        cls = _lookup(cls_path)
        members = {m for m in dir(cls) if not m.startswith("_")}
        sample = samples.get(cls_path)
        if sample is not None:
            members |= {m for m in getattr(sample, "__dict__", {}) if not m.startswith("_")}
        names.update(f"{cls_path}.{m}" for m in members)
    return names


def _lookup(name, samples=None):
    parts = name.split(".")
    obj = _resolve_root(parts[0])
    prefix = parts[0]
    for part in parts[1:]:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            instance = (samples or {}).get(prefix)
            if instance is None:
                module = _namespace(f"{prefix}.{part}") if isinstance(obj, types.ModuleType) else None
                if module is None:
                    raise
                obj = module
            else:
                obj = getattr(instance, part)
        prefix = f"{prefix}.{part}"
    return obj


def _exists(name, samples):
    try:
        _lookup(name, samples)
        return True
    except AttributeError:
        return False


# -- the tests --------------------------------------------------------------------------------
def test_doc_exists():
    assert os.path.exists(DOC), "docs/api.md is missing"


def test_every_public_name_is_documented():
    documented, _ = documented_names()
    missing = sorted(public_names() - set(documented))
    assert not missing, (
        f"{len(missing)} public name(s) are not documented in docs/api.md.  For each, add a table "
        "row whose first cell holds the fully qualified name (and signature) in backticks, its torch "
        "counterpart in the second cell and any difference from torch in the third:\n"
        + "\n".join(f"  {name}  -> add it to docs/api.md under {_section_for(name)}" for name in missing)
        + "\n(If the name is not meant to be public, give it a leading underscore or leave it out of "
        "__all__ instead.)"
    )


def test_every_documented_name_exists():
    documented, _ = documented_names()
    samples = _sample_instances()
    ghosts = sorted(name for name in documented if not _exists(name, samples))
    assert not ghosts, (
        f"docs/api.md documents {len(ghosts)} name(s) that do not exist:\n"
        + "\n".join(f"  {name} (docs/api.md line {', '.join(map(str, documented[name]))})" for name in ghosts)
        + "\nRemove each row from docs/api.md, or fix its name if the code renamed it."
    )


def test_every_row_names_its_torch_counterpart():
    _, bad_rows = documented_names()
    assert not bad_rows, (
        "docs/api.md rows without a torch counterpart (second cell; write '—' if torch has none): lines "
        + ", ".join(map(str, bad_rows))
    )


@pytest.mark.parametrize("name", ["autograd_core.zeros", "Tensor.backward", "nn.Linear", "nn.functional.relu",
                                  "optim.lr_scheduler.StepLR", "autograd_core.data.DataLoader"])
def test_convention_examples_are_parsed(name):
    documented, _ = documented_names()
    assert name in documented, f"the parser of docs/api.md did not find {name}; is the table format intact?"
