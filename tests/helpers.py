"""Test helpers: write input workbooks with plain openpyxl, run the real CLI, read outputs.

Workbooks are written here without the product's own template writer, so reading is
tested against files the product did not make.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

Rows = list[dict[str, Any]]


def write_book(path: Path, sheets: dict[str, Rows | list[list[Any]]]) -> Path:
    """Write sheets given as lists of dicts (header = union of keys) or raw grids."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        if rows and isinstance(rows[0], dict):
            header: list[str] = []
            for row in rows:
                header += [k for k in row if k not in header]
            grid = [header] + [[row.get(h) for h in header] for row in rows]
        else:
            grid = [list(raw) for raw in rows]
        for r, values in enumerate(grid, start=1):
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text typed as '=...' stays text, as in Excel
    book.save(path)
    return path


def settings(**values: Any) -> Rows:
    """A Settings sheet; plan_start_year 2026 and a budget of 100 unless given."""
    merged = {"plan_start_year": 2026, "total_budget_musd": 100, "mip_gap": 0} | values
    return [{"setting": k, "value": v} for k, v in merged.items() if v is not None]


def project(pid: str, **values: Any) -> dict[str, Any]:
    """A project row with sensible defaults."""
    return {"project_id": pid, "country": "US", "stage": "separation", "capex_musd": 100,
            "lead_time_months": 12} | values


def pool(pid: str, **values: Any) -> dict[str, Any]:
    """A pool row: by default a grant pool of 1,000 USD m open to everyone."""
    return {"pool_id": pid, "instrument": "grant", "capacity_musd": 1000,
            "budget_cost_rate": 1} | values


def demand(year: int, tonnes: float, **values: Any) -> dict[str, Any]:
    """A magnets/NdPr oxide demand row."""
    return {"sector": "magnets", "material": "NdPr oxide", "year": year,
            "demand_t": tonnes} | values


def offtake(pid: str, tonnes: float, **values: Any) -> dict[str, Any]:
    """A magnets/NdPr oxide offtake row."""
    return {"project_id": pid, "sector": "magnets", "material": "NdPr oxide",
            "volume_tpa": tonnes} | values


def tiny() -> dict[str, Rows]:
    """Three projects, one pool, demand in 2027-2028: small enough to solve by hand."""
    return {
        "Settings": settings(),
        "Projects": [project("A", capex_musd=60), project("B", capex_musd=50),
                     project("C", capex_musd=30, lead_time_months=24)],
        "Offtake": [offtake("A", 100), offtake("B", 80), offtake("C", 60)],
        "Demand": [demand(2027, 150), demand(2028, 150)],
        "Financing": [pool("G")],
    }


def variant(data: dict[str, Rows], **sheets: Rows) -> dict[str, Rows]:
    """A deep copy of `data` with some sheets replaced."""
    out = copy.deepcopy(data)
    out.update(sheets)
    return out


@dataclass
class Run:
    """Outcome of one CLI run."""

    code: int
    stdout: str
    stderr: str


def cli(*args: str | Path, cwd: Path | None = None, timeout: float = 300) -> Run:
    """Run the real command line (`python -m portfolio`) in a subprocess."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "portfolio", *map(str, args)], capture_output=True, text=True,
        cwd=cwd or ROOT, env=env, timeout=timeout, check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def call(*args: str | Path) -> Run:
    """Run the command line in this process (`portfolio.cli.main`): the same code path as
    `cli`, without starting an interpreter per run. Real-subprocess runs stay in
    tests/cli/, the corpus and the output-safety tests."""
    from portfolio.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code
    return Run(int(code or 0), out.getvalue(), err.getvalue())


def read_output(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of a results workbook, read by pandas (not by the product)."""
    return pd.read_excel(path, sheet_name=None, engine="openpyxl")


def summary(sheets: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The Summary sheet as metric -> value."""
    frame = sheets["Summary"]
    return dict(zip(frame["metric"], frame["value"], strict=True))


def tampered_copy(out: Path, target: Path, sheet: str, where: dict[str, Any], column: str,
                  value: Any) -> Path:
    """A copy of the results with one cell changed (or, with column "", the row deleted)."""
    book = openpyxl.load_workbook(out)
    ws = book[sheet]
    header = [c.value for c in ws[1]]
    rows = [r for r in ws.iter_rows(min_row=2)
            if all(r[header.index(k)].value == v for k, v in where.items())]
    assert len(rows) == 1, (sheet, where)
    if column == "":
        ws.delete_rows(rows[0][0].row)
    else:
        rows[0][header.index(column)].value = value
    book.save(target)
    return target
