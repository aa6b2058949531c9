"""The shape of the code: no circle between packages, no import inside a function, no long module.

Pure and fast: the source of companion/ and jobs/ is read with `ast`; nothing of it is imported,
no database is touched. `lint-imports` (the contracts in pyproject.toml) checks which floor may
import which; these tests check what it does not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("companion", "jobs")
MAX_LINES = 400

# Imports a function may make: top-level module -> why it is imported where it is used. An optional
# dependency (one not in pyproject's dependencies) is imported where it is needed, so that the
# rest works without it. None today.
OPTIONAL_DEPENDENCIES: dict[str, str] = {}

# Modules longer than MAX_LINES because they are data (tables, wording), not logic: path -> what.
DATA_MODULES: dict[str, str] = {}

@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository, e.g. companion/app.py
    line: int
    source: str  # the statement as written
    modules: tuple[str, ...]  # every module it may name, absolute
    in_function: str | None  # the enclosing function's name, if any


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _imported_modules(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> tuple[str, ...]:
    if isinstance(node, ast.Import):
        return tuple(alias.name for alias in node.names)
    if node.level:
        base = importer.split(".") if is_package else importer.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        module = ".".join([*base, node.module] if node.module else base)
    else:
        module = node.module or ""
    # `from a import b` names a.b when b is a module, else something defined in a.
    return (module, *(f"{module}.{alias.name}" for alias in node.names))


def _walk(node: ast.AST, function: str | None) -> Iterator[tuple[ast.Import | ast.ImportFrom, str | None]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, function
        inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
        yield from _walk(child, inner)


@cache
def all_imports() -> tuple[Import, ...]:
    """Every import statement, at any depth: in functions, under TYPE_CHECKING, in try blocks."""
    found = []
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        name = module_name(path)
        for node, function in _walk(tree, None):
            found.append(Import(
                path=path.relative_to(ROOT).as_posix(), line=node.lineno, source=ast.unparse(node),
                modules=_imported_modules(node, name, path.name == "__init__.py"), in_function=function,
            ))
    return tuple(found)


@cache
def project_modules() -> frozenset[str]:
    return frozenset(module_name(p) for p in source_files())


def graph_node(module: str) -> str | None:
    """The package a module belongs to (companion.safety, jobs); a module at the top of companion/
    (companion.app) is its own node. None outside the project."""
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return None
    if parts[0] == "jobs" or len(parts) == 1:
        return parts[0]
    return ".".join(parts[:2])


def package_graph() -> dict[tuple[str, str], list[Import]]:
    """(importing node, imported node) -> the import statements that make the edge."""
    edges: dict[tuple[str, str], list[Import]] = {}
    modules = project_modules()
    for imp in all_imports():
        source = graph_node(module_name(ROOT / imp.path))
        assert source is not None
        # `from companion import demo` names the module companion.demo, not the package companion.
        named = [m for m in imp.modules[1:] if m in modules] or [imp.modules[0]]
        for target in {graph_node(m) for m in named} - {None, source}:
            assert target is not None
            edges.setdefault((source, target), []).append(imp)
    return edges


def find_circles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """One circle per strongly connected group of nodes (Tarjan), as the nodes in order."""
    successors: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        successors.setdefault(a, []).append(b)
        successors.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in successors[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(successors):
        if node not in index:
            connect(node)
    return [_circle_through(group[0], set(group), successors) for group in sorted(groups)]


def _circle_through(start: str, group: set[str], successors: dict[str, list[str]]) -> list[str]:
    """The shortest way from start back to start within its group (breadth first)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in successors[node]:
                if nxt not in group:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no circle through {start}")


def test_the_package_graph_has_no_circle() -> None:
    edges = package_graph()
    problems = []
    for circle in find_circles(set(edges)):
        lines = [" -> ".join(circle)]
        for a, b in pairwise(circle):
            lines += [f"    {imp.path}:{imp.line}: {imp.source}" for imp in edges[(a, b)]]
        problems.append("\n".join(lines))
    assert not problems, "packages importing each other in a circle:\n" + "\n".join(problems)


def test_no_import_inside_a_function() -> None:
    offending = [imp for imp in all_imports()
                 if imp.in_function is not None and imp.modules[0].split(".")[0] not in OPTIONAL_DEPENDENCIES]
    problems = [f"{imp.path}:{imp.line} in {imp.in_function}(): {imp.source}" for imp in offending]
    assert not problems, "imports belong at the top of the module:\n" + "\n".join(problems)


def test_no_module_is_over_the_line_limit() -> None:
    lengths = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
               for p in source_files()}
    offending = {path for path, count in lengths.items() if count > MAX_LINES and path not in DATA_MODULES}
    problems = [f"{path}: {lengths[path]} lines (at most {MAX_LINES})" for path in sorted(offending)]
    assert not problems, "modules to split:\n" + "\n".join(problems)


def test_the_circle_finder_names_the_circle() -> None:
    edges = {("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e")}
    assert find_circles(edges) == [["a", "b", "c", "a"]]
    assert find_circles({("a", "b"), ("b", "c")}) == []
