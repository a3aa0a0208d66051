"""The events app's modules import each other in one direction only (no cycle, even through
an import inside a function), so no import has to be deferred to dodge one."""

import ast
import graphlib
from pathlib import Path

from django.conf import settings


def _events_modules() -> dict[str, Path]:
    root = Path(settings.BASE_DIR)
    modules = {}
    for path in (root / "events").rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if "migrations" in parts:
            continue
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every events module `name` imports, anywhere but in AppConfig.ready(), which runs once
    every module is loaded. Packages above `name` are already loading when it runs."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    ready = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef) and fn.name == "ready"
        for node in ast.walk(fn)
    }
    targets = set()
    for node in ast.walk(tree):
        if id(node) in ready:
            continue
        if isinstance(node, ast.Import):
            wanted = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            wanted = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names
            ]
        else:
            continue
        for target in wanted:
            parts = target.split(".")
            for depth in range(1, len(parts) + 1):
                prefix = ".".join(parts[:depth])
                already_loading = name.startswith(prefix + ".") and prefix != target
                if prefix in modules and prefix != name and not already_loading:
                    targets.add(prefix)
    return targets


def test_events_modules_import_one_another_without_a_cycle():
    modules = _events_modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}

    assert [
        m for m in graph if m.startswith("events.services") and "events.tasks" in graph[m]
    ] == []
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle
