"""The import graph of the installed package, read with ``ast``: it has no cycle, and no
function imports a Parity module (an import inside a function hides a dependency, often a
cycle; only optional third-party packages are imported there).

Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first, so an import also
depends on every package above its target that is not already a package above the importer
(a package's own modules run while it is being imported; naming it, ``from a import x``,
still depends on it).
Imports under ``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

ROOTS = ("parity", "parity.evals", "parity.fixtures", "parity.prompts", "parity.configs")


def package_modules(roots: tuple[str, ...] = ROOTS) -> dict[str, Path]:
    """Every module under ``roots`` and its file, found where the installed package lives
    (``find_spec`` and the packages' ``__path__``, which follow the package-dir layout)."""
    modules: dict[str, Path] = {}
    for root in roots:
        spec = importlib.util.find_spec(root)
        assert spec is not None and spec.submodule_search_locations, root
        for location in spec.submodule_search_locations:
            _walk(root, Path(location), modules)
    return modules


def _walk(package: str, directory: Path, modules: dict[str, Path]) -> None:
    modules.setdefault(package, directory / "__init__.py")
    for path in sorted(directory.iterdir()):
        if path.suffix == ".py" and path.stem != "__init__":
            modules.setdefault(f"{package}.{path.stem}", path)
        elif path.is_dir() and (path / "__init__.py").is_file():
            _walk(f"{package}.{path.name}", path, modules)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.stmt, bool]]:
    """Each import statement that runs, and whether it sits inside a function."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_function
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), in_function)
        else:
            inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            yield from _imports(node, inner)


def _targets(node: ast.stmt, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The Parity modules one import statement names (``from a import b``: ``a.b`` if it is
    a module, else ``a``)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        assert isinstance(node, ast.ImportFrom)
        base = node.module or ""
        if node.level:
            parts = module.split(".")
            anchor = parts if is_package else parts[:-1]
            anchor = anchor[: len(anchor) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    found = set()
    for name in names:
        while name and name not in known:  # ``import parity.x.y`` where y is a name, say
            name = name.rpartition(".")[0]
        if name:
            found.add(name)
    return found


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph(
    modules: dict[str, Path],
) -> tuple[dict[str, set[str]], list[str]]:
    """Each module's module-level Parity imports (with the packages they run), and every
    import of a Parity module inside a function, as ``file:line module``."""
    known = set(modules)
    graph: dict[str, set[str]] = {}
    inside: list[str] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        edges = graph.setdefault(module, set())
        running = {*_ancestors(module), module}  # already being imported when this runs
        for node, in_function in _imports(tree):
            for target in _targets(node, module, is_package, known):
                if in_function:
                    inside.append(f"{path}:{node.lineno} imports {target}")
                    continue
                edges.update(n for n in _ancestors(target) if n not in running)
                if target != module:  # ``from parity import x`` in parity.y runs parity first
                    edges.add(target)
    for module, path in modules.items():  # a registry imports every module it holds
        if path.name == "__init__.py" and "iter_modules(__path__)" in path.read_text("utf-8"):
            graph[module].update(m for m in modules if m.rpartition(".")[0] == module)
    return graph, inside


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path back to its start) for each strongly connected group."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(group, graph) for group in groups]


def _path_through(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A path from the group's first module (by name) back to itself, inside the group."""
    members = set(group)
    start = min(group)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & members):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start] * 2
                if target not in parents:
                    parents[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def test_the_graph_covers_the_three_packages_and_their_subpackages():
    modules = package_modules()
    assert {
        "parity.config.config",
        "parity.evals.metrics",
        "parity.fixtures.providers.base",
    } <= set(modules)
    assert all(path.is_file() for path in modules.values())


def test_no_import_cycle():
    graph, _ = import_graph(package_modules())
    found = [" -> ".join(cycle) for cycle in cycles(graph)]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_no_function_imports_a_parity_module():
    _, inside = import_graph(package_modules())
    assert not inside, "imports of Parity modules inside functions:\n" + "\n".join(inside)


def test_the_reader_finds_a_cycle_and_an_import_inside_a_function(tmp_path: Path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "a.py").write_text("from pkg import b\n")
    (tmp_path / "b.py").write_text("import pkg.c\n")
    (tmp_path / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
        "def f():\n    from . import a\n"
    )
    (tmp_path / "d.py").write_text("from .a import x\n")
    modules: dict[str, Path] = {}
    _walk("pkg", tmp_path, modules)
    graph, inside = import_graph(modules)
    assert cycles(graph) == []
    assert inside == [f"{tmp_path / 'c.py'}:5 imports pkg.a"]
    (tmp_path / "c.py").write_text("from pkg.d import y\n")
    graph, _ = import_graph(modules)
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.d", "pkg.a"]]


def test_the_graph_covers_the_package_data_packages():
    assert {"parity.prompts", "parity.configs"} <= set(package_modules())


def test_a_registry_that_imports_every_module_it_holds_counts_as_importing_them(tmp_path: Path):
    """``importlib.import_module`` over ``pkgutil.iter_modules(__path__)`` (how the metric,
    task, dataset and provider registries load their files) is an import like any other: a
    metric file that imports what imports the registry closes a cycle."""
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "scoring.py").write_text("import pkg.metrics\n")
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "__init__.py").write_text(
        "import importlib, pkgutil\nfor m in pkgutil.iter_modules(__path__):\n"
        "    importlib.import_module(f'{__name__}.{m.name}')\n"
    )
    (metrics / "squad.py").write_text("x = 1\n")
    modules: dict[str, Path] = {}
    _walk("pkg", tmp_path, modules)
    assert cycles(import_graph(modules)[0]) == []
    (metrics / "squad.py").write_text("import pkg.scoring\n")
    assert cycles(import_graph(modules)[0]) == [
        ["pkg.metrics", "pkg.metrics.squad", "pkg.scoring", "pkg.metrics"]
    ]
