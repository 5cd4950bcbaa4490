"""No import circle among platform/'s modules, counting imports inside functions: a layer that
needs a lazy import to break a circle is a layer in the wrong place."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_names(source_root: Path) -> dict[str, Path]:
    """Every module under ``source_root``'s packages (migrations excluded), by dotted name."""
    modules = {}
    for path in source_root.rglob("*.py"):
        parts = path.relative_to(source_root).with_suffix("").parts
        if "migrations" in parts or not (source_root / parts[0] / "__init__.py").exists():
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def import_graph(source_root: Path) -> dict[str, set[str]]:
    """Module -> the modules of ``source_root`` it imports, anywhere in its body."""
    modules = module_names(source_root)
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            for target in _targets(node, package):
                while target and target not in modules:  # a name inside a module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _targets(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:  # relative: from . import x, from ..a import b
        base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    return [module] + [f"{module}.{alias.name}" for alias in node.names]


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
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

    for node in sorted(set(graph) | {m for targets in graph.values() for m in targets}):
        if node not in index:
            visit(node)
    return found


def test_platform_has_no_import_circle():
    graph = import_graph(ROOT / "platform")
    assert graph["jobs.tasks"] >= {"jobs.runner", "jobs.services"}  # the graph sees the seam
    assert circles(graph) == []


def test_the_check_sees_relative_and_function_level_imports(tmp_path):
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "services.py").write_text("def enqueue():\n    from .tasks import run\n")
    (package / "tasks.py").write_text("from app.runner import go\n")
    (package / "runner.py").write_text("from . import services\n")
    (package / "models.py").write_text("import app.runner\n")
    graph = import_graph(tmp_path)
    assert graph["app.models"] == {"app.runner"}
    assert circles(graph) == [["app.runner", "app.services", "app.tasks"]]
