"""The package's import graph, read from the source: every import, wherever it stands.

Imports inside functions and under `if TYPE_CHECKING:` count too, so "no cycles" means no
module needs, at any time or for any reason, a module that needs it back.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "portfolio"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    """'portfolio.model.build' for portfolio/model/build.py (packages by their __init__)."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by name."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imports(path: Path, known: set[str]) -> set[str]:
    """The package's modules that one file imports (a package import counts as its __init__)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & known
            found |= submodules
            if node.module in known and len(submodules) < len(node.names):
                found.add(node.module)
    return found


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the package's modules it imports (itself and empty __init__ files aside)."""
    mods = modules(root)
    known = set(mods)
    return {name: imports(path, known) - {name} for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def chain(edges: dict[str, set[str]]) -> list[str]:
    """The longest chain of imports, top module first."""

    @cache
    def longest(v: str) -> tuple[str, ...]:
        below = [longest(w) for w in edges.get(v, ())]
        return (v, *max(below, key=len, default=()))

    return list(max((longest(v) for v in edges), key=len, default=()))


def depth(edges: dict[str, set[str]]) -> int:
    """Import levels: the longest chain of imports (1 for a module that imports none)."""

    @cache
    def level(v: str, seen: frozenset[str] = frozenset()) -> int:
        below = [level(w, seen | {v}) for w in edges.get(v, ()) if w not in seen]
        return 1 + max(below, default=0)

    return max((level(v) for v in edges), default=0)


if __name__ == "__main__":
    import sys

    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else PACKAGE
    edges = graph(root)
    mods = modules(root)
    folders: dict[str, int] = {}
    for name in mods:
        folder = str(mods[name].parent.relative_to(root.parent))
        folders[folder] = folders.get(folder, 0) + 1
    largest = max(mods.items(), key=lambda kv: len(kv[1].read_text().splitlines()))
    print(f"modules per folder: {folders}")
    print(f"import levels: {depth(edges)}")
    if not cycles(edges):
        print("longest chain: " + " -> ".join(chain(edges)))
    print(f"cycles: {cycles(edges)}")
    print(f"largest module: {largest[0]} ({len(largest[1].read_text().splitlines())} lines)")
