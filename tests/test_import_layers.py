"""The engine's imports go one way (see the "Layers" paragraph in autograd_core/__init__.py).

Every ``import`` statement of every module is read from the source (function-level
imports too: a lazy import is still a dependency), resolved to the module it
loads, and the graph is checked for cycles.  An edge from a module to a package
that contains it is left out: Python runs a package's ``__init__`` before its
submodules, which is no design decision.

    python tests/test_import_layers.py     # prints every cycle, or "no import cycle"
"""
import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def project_modules(package):
    """{dotted module name: file path} for every .py file of `package`."""
    modules = {}
    for directory, _, files in os.walk(os.path.join(ROOT, package)):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                modules[dotted.removesuffix(".__init__")] = path
    return modules


def imported_modules(name, path, modules):
    """The project modules that module `name` imports (anywhere in its source)."""
    is_package = path.endswith("__init__.py")
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return {target for target in found
            if target in modules and target != name and not name.startswith(target + ".")}


def import_graph(packages):
    modules = {}
    for package in packages:
        modules.update(project_modules(package))
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def cycles(graph):
    """The strongly connected components with more than one module (iterative Tarjan)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def describe(graph, component):
    members = set(component)
    return "\n".join(f"  {name} -> {sorted(graph[name] & members)}" for name in component)


def test_the_engine_has_no_import_cycle():
    graph = import_graph(["autograd_core"])
    found = cycles(graph)
    assert not found, "import cycles among the engine's modules:\n" + "\n\n".join(
        describe(graph, component) for component in found)


def test_nn_and_optim_have_no_import_cycle_and_do_not_import_each_other():
    graph = import_graph(["nn", "optim"])
    assert not cycles(graph)
    for name, targets in graph.items():
        other = "optim" if name.split(".")[0] == "nn" else "nn"
        assert not {t for t in targets if t.split(".")[0] == other}, f"{name} imports {other}"


def test_the_engine_never_imports_nn_or_optim_by_name():
    # (autograd_core/__init__.py reaches them lazily by importlib, on first attribute access.)
    graph = import_graph(["autograd_core", "nn", "optim"])
    for name, targets in graph.items():
        if name.split(".")[0] == "autograd_core":
            assert not {t for t in targets if t.split(".")[0] in ("nn", "optim")}, f"{name} imports nn/optim"


def test_kernels_import_only_numpy_numba_and_each_other():
    for name, path in project_modules(os.path.join("autograd_core", "kernels")).items():
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= {"numpy", "numba", "llvmlite", "re", "math", "os", "sys", "functools", "gc", "glob", "hashlib",
                             "importlib", "inspect", "marshal", "pathlib", "platform", "threading", "time", "warnings"}, f"{name} imports {roots}"


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


if __name__ == "__main__":
    graph = import_graph(["autograd_core"])
    found = cycles(graph)
    for component in found:
        print(describe(graph, component), end="\n\n")
    print("no import cycle" if not found else f"{len(found)} cycle(s)")
    sys.exit(1 if found else 0)
