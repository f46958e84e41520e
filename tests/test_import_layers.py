"""irbench's modules import without circles: the import graph read from the sources has no cycle (at module
level none at all; counting imports deferred into functions, none but the known ones), the data and evaluation
layers import nothing above them, and every module imports in a fresh interpreter."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGES = ("irbench", "irbench.baselines", "irbench.tasks")
KNOWN_DEFERRED_CYCLES: set[frozenset[str]] = set()
"""Cycles closed only by imports inside functions that are accepted for now; a new one fails the test."""


def _modules() -> dict[str, Path]:
    """Every irbench module's name -> its source file, over the three package folders."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        folder = Path(importlib.util.find_spec(package).submodule_search_locations[0])
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            name = ".".join((package, *parts))
            modules.setdefault(name, path)
    return modules


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _import_nodes(tree: ast.Module, deferred: bool):
    """Import statements run at import time (``deferred=False``: module level, inside top-level ``if``/``try``
    blocks) or anywhere (``deferred=True``); ``if TYPE_CHECKING:`` blocks never count."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if _type_checking(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif deferred or isinstance(node, (ast.If, ast.Try, ast.With, ast.excepthandler)):
            stack.extend(child for child in ast.iter_child_nodes(node)
                         if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)))


def _graph(deferred: bool) -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in _import_nodes(ast.parse(path.read_text()), deferred):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name in modules)
            elif node.module in modules:  # ``from package import submodule`` imports the submodule
                for alias in node.names:
                    targets.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules
                                else node.module)
        graph[name] = targets - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_level_import_cycle():
    cycles = _cycles(_graph(deferred=False))
    assert not cycles, "module-level import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles)


def test_no_new_cycle_through_deferred_imports():
    cycles = set(_cycles(_graph(deferred=True))) - KNOWN_DEFERRED_CYCLES
    assert not cycles, "import cycles (deferred imports included): " + "; ".join(
        " <-> ".join(sorted(c)) for c in cycles)


def _fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("module, never", [
    ("irbench.data.datasets", ("irbench.task", "irbench.tasks", "irbench.contracts")),
    ("irbench.task", ("irbench.tasks", "irbench.contracts", "irbench.report")),
    ("irbench.evaluation.metric_registry", ("irbench.report", "irbench.tasks")),
    ("irbench.evaluation.resampling", ("irbench.report", "irbench.store.predictions_file", "irbench.tasks")),
    ("irbench.store.records", ("irbench.run.runner", "irbench.run.configuration", "irbench.report",
                               "irbench.sweep")),
    ("irbench.data.splits", ("irbench.run.runner", "irbench.store.records", "irbench.report")),
])
def test_lower_layers_import_alone(module, never):
    done = _fresh(f"import sys, {module}; print([m for m in {never!r} if m in sys.modules])")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"importing {module} imported {done.stdout.strip()}"


def test_every_module_imports_in_a_fresh_interpreter():
    names = sorted(name for name in _modules() if name != "irbench.__main__")
    done = _fresh("import importlib, traceback\n"
                  f"for name in {names!r}:\n"
                  "    try:\n        importlib.import_module(name)\n"
                  "    except Exception:\n        print(name, traceback.format_exc(limit=-2))\n")
    assert done.returncode == 0 and not done.stdout, done.stdout + done.stderr
