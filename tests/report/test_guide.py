"""The Guide sheet and the header comments explain every column written."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from portfolio.report import guide
from portfolio.report.tables import Table
from portfolio.workbook.styles import Column
from tests.helpers import call, project, tiny, variant, write_book


@pytest.fixture
def result(solved: tuple[Path, Path]) -> Path:
    return solved[1]


def headers(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, column, header comment) of every table of every sheet."""
    book = openpyxl.load_workbook(path)
    found = []
    for ws in book.worksheets:
        refs = [t.ref for t in ws.tables.values()] or [ws.auto_filter.ref]
        for ref in refs:
            first, row, last, _ = range_boundaries(ref)
            for col in range(first, last + 1):
                cell = ws.cell(row=row, column=col)
                found.append((ws.title, str(cell.value),
                              cell.comment.text if cell.comment else ""))
    return found


def test_every_column_of_every_sheet_has_a_guide_row_and_comment(result: Path) -> None:
    book = openpyxl.load_workbook(result)
    assert book.sheetnames[-1] == "Guide"
    rows = [[c.value for c in r] for r in book["Guide"].iter_rows(min_row=2)]
    explained = {(sheet.split(" (")[0], column): (unit, meaning)
                 for sheet, column, unit, meaning in rows}
    seen = headers(result)
    assert {s for s, _, _ in seen} >= {"Summary", "Selection", "Financing", "Coverage",
                                       "Budget", "Pools", "Rejected", "Frontier", "Scenarios",
                                       "Sensitivity", "Sectors", "Mix", "Guide"}
    for sheet, column, comment in seen:
        unit, meaning = explained[(sheet, column)]
        assert unit and len(meaning) > 15, (sheet, column)
        assert comment == f"{column} ({unit}): {meaning}", (sheet, column)
    assert len(rows) == len(seen)


def test_sector_and_country_columns_are_explained_by_name(result: Path) -> None:
    rows = {(r[0].value, r[1].value): r[3].value
            for r in openpyxl.load_workbook(result)["Guide"].iter_rows(min_row=2)}
    frontier = [m for (s, c), m in rows.items() if s == "Frontier" and
                c.startswith("coverage_pct_")]
    assert frontier and all("{" not in m for m in frontier)
    sector = next(c for (s, c) in rows if s == "Frontier" and c.startswith("coverage_pct_"))
    assert sector.removeprefix("coverage_pct_") in rows[("Frontier", sector)]


def test_a_column_without_an_entry_is_reported() -> None:
    table = Table("Selection", (Column("rank", "int"), Column("no_such_column_musd")), [])
    assert guide.missing([table]) == ["Selection.no_such_column_musd"]
    assert guide.missing([Table("NewSheet", (Column("project_id"),), [])]) == []
    assert guide.explain("NewSheet", "mystery") is None


def test_an_infeasible_result_explains_its_diagnosis(tmp_path: Path) -> None:
    spec = variant(tiny(), Projects=[project("A", capex_musd=300, lock="in"), project("B"),
                                     project("C")])
    target = tmp_path / "out.xlsx"
    assert call("solve", write_book(tmp_path / "in.xlsx", spec), "-o", target).code == 4
    seen = headers(target)
    assert ("Diagnosis", "message") in {(s, c) for s, c, _ in seen}
    assert all(comment for _, _, comment in seen)
