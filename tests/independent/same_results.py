"""Compare two results workbooks cell by cell, timings and version cells aside.

Used to show that a change of structure changed nothing a user sees:
`python -m tests.independent.same_results BEFORE.xlsx AFTER.xlsx` prints every cell that
differs (sheet, cell, before, after) and exits 1 if any does.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

#: Summary metrics that differ between any two runs: wall times and the product's version.
VOLATILE = frozenset({"solve_seconds", "rank_seconds", "analysis_seconds", "portfolio_version",
                      "solver_version", "pulp_version", "python_version"})


def _cells(path: Path) -> dict[str, dict[str, Any]]:
    book = load_workbook(path)
    out: dict[str, dict[str, Any]] = {}
    for ws in book.worksheets:
        cells: dict[str, Any] = {}
        for row in ws.iter_rows():
            metric = row[0].value if ws.title == "Summary" else None
            for cell in row:
                if cell.value is None:
                    continue
                if metric in VOLATILE and cell.column == 2:
                    continue
                cells[cell.coordinate] = cell.value
        out[ws.title] = cells
    return out


def differences(before: Path, after: Path) -> list[tuple[str, str, Any, Any]]:
    """Every (sheet, cell, before, after) that differs, sheets in the order of `before`."""
    old, new = _cells(before), _cells(after)
    found: list[tuple[str, str, Any, Any]] = []
    if list(old) != list(new):
        found.append(("(sheets)", "", list(old), list(new)))
    for sheet in old:
        a, b = old[sheet], new.get(sheet, {})
        for ref in sorted(set(a) | set(b)):
            if a.get(ref) != b.get(ref):
                found.append((sheet, ref, a.get(ref), b.get(ref)))
    return found


def main(argv: list[str]) -> int:
    """Print the differences; 0 when there are none."""
    found = differences(Path(argv[0]), Path(argv[1]))
    cells = sum(len(c) for c in _cells(Path(argv[0])).values())
    for sheet, ref, a, b in found:
        print(f"{sheet}!{ref}: {a!r} -> {b!r}")
    print(f"{len(found)} differing cells of {cells} compared")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
