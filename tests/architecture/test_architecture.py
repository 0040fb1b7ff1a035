"""Hygiene measured, not guessed: the import graph and module sizes of the package."""

from __future__ import annotations

from pathlib import Path

from tests.architecture.imports import PACKAGE, cycles, depth, graph, modules

MAX_LINES = 600
STAGES = ["workbook", "inputs", "model", "analysis", "report"]


def test_no_import_cycles_even_through_type_checking_or_function_imports() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "portfolio"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                  "    from portfolio.b import B\n")
    (package / "b.py").write_text("def f():\n    from portfolio import a\n")
    assert cycles(graph(package)) == [["portfolio.a", "portfolio.b"]]
    assert depth({"x": {"y"}, "y": {"z"}, "z": set()}) == 3


def test_no_module_over_600_lines() -> None:
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_stages_import_only_earlier_stages() -> None:
    """workbook <- inputs <- model <- analysis <- report: a stage never reaches forward."""
    rank = {stage: n for n, stage in enumerate(STAGES)}
    backward = []
    for module, imported in graph().items():
        here = module.split(".")[1] if module.count(".") >= 1 else ""
        for other in imported:
            there = other.split(".")[1] if other.count(".") >= 1 else ""
            if here in rank and there in rank and rank[there] > rank[here]:
                backward.append(f"{module} -> {other}")
    assert backward == []


def test_the_top_level_holds_a_handful_of_modules() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py", "constants.py", "errors.py",
                   "run.py"]
    assert sum(1 for _ in (PACKAGE / "cli.py").read_text().splitlines()) <= 250
