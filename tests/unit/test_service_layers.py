"""The services form layers: none reaches another through an import hidden in a function.

An import inside a function is how a loop between modules is usually dodged; once it is
gone, the module-level imports between services must form no loop either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "svc_archive_plugin"
SERVICES = PACKAGE / "services"
PREFIX = "svc_archive_plugin.services"


def _service_names() -> list[str]:
    return sorted(p.stem for p in SERVICES.glob("*.py") if p.stem != "__init__")


def _imported_services(node: ast.AST) -> set[str]:
    """The service modules one import statement names."""
    found: set[str] = set()
    if isinstance(node, ast.ImportFrom) and node.module:
        if node.module == PREFIX:
            found.update(alias.name for alias in node.names)
        elif node.module.startswith(PREFIX + "."):
            found.add(node.module.split(".")[2])
    elif isinstance(node, ast.Import):
        found.update(
            alias.name.split(".")[2]
            for alias in node.names
            if alias.name.startswith(PREFIX + ".")
        )
    return found


def _imports(name: str) -> tuple[set[str], list[tuple[int, str]]]:
    """(services imported at module level, (line, service) imported inside functions)."""
    tree = ast.parse((SERVICES / f"{name}.py").read_text(encoding="utf-8"))
    top: set[str] = set()
    hidden: list[tuple[int, str]] = []

    def visit(node: ast.AST, *, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # annotations only, never run
            for service in _imported_services(child) - {name}:
                if in_function:
                    hidden.append((child.lineno, service))
                else:
                    top.add(service)
            visit(
                child,
                in_function=in_function
                or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef),
            )

    visit(tree, in_function=False)
    return top, hidden


@pytest.mark.parametrize("name", _service_names())
def test_no_service_imports_another_inside_a_function(name):
    _, hidden = _imports(name)
    assert hidden == [], (
        f"services/{name}.py imports other services inside functions: {hidden}"
    )


def test_the_services_import_each_other_without_a_loop():
    graph = {name: _imports(name)[0] for name in _service_names()}
    done: set[str] = set()

    def walk(name: str, path: list[str]) -> None:
        if name in path:
            loop = [*path[path.index(name) :], name]
            pytest.fail("import loop between services: " + " -> ".join(loop))
        if name in done:
            return
        for other in sorted(graph.get(name, ())):
            walk(other, [*path, name])
        done.add(name)

    for name in graph:
        walk(name, [])
