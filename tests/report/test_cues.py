"""Visual cues: conditional formats, frozen ids, links, series named in words, properties."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from portfolio import __version__


@pytest.fixture
def result(solved: tuple[Path, Path]) -> Path:
    return solved[1]


def rules(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, list[str]]:
    """Range -> rule types (and formulas) of a sheet's conditional formats."""
    out: dict[str, list[str]] = {}
    for cf in ws.conditional_formatting:
        out[str(cf.sqref)] = [f"{r.type}:{','.join(r.formula or [])}" for r in cf.rules]
    return out


def letter(ws: openpyxl.worksheet.worksheet.Worksheet, header: str) -> str:
    return next(c.column_letter for c in ws[1] if c.value == header)


def test_data_bars_on_coverage_and_pool_use(result: Path) -> None:
    book = openpyxl.load_workbook(result)
    for sheet, header in (("Coverage", "coverage_pct"), ("Pools", "used_pct")):
        ws = book[sheet]
        col = letter(ws, header)
        span = f"{col}2:{col}{ws.max_row}" if ws.max_row > 2 else f"{col}2"
        assert rules(ws)[span] == ["dataBar:"], sheet


def test_colour_scale_on_coverage_by_sector_and_year(result: Path) -> None:
    book = openpyxl.load_workbook(result)
    ws = book["Sectors"]
    col = letter(ws, "coverage_pct")
    assert rules(ws)[f"{col}2:{col}{ws.max_row}"] == ["colorScale:"]
    frontier = book["Frontier"]
    scaled = [r for r, kinds in rules(frontier).items() if kinds == ["colorScale:"]]
    sectors = [c for c in frontier[1] if str(c.value).startswith("coverage_pct_")]
    assert len(scaled) == len(sectors) + 1  # each sector and demand_covered_pct


def test_binding_limits_and_critical_regrets_are_highlighted(result: Path) -> None:
    book = openpyxl.load_workbook(result)
    ws = book["Sensitivity"]
    binding = letter(ws, "binding")
    (formulas,) = [k for r, k in rules(ws).items() if r.startswith("A2:")]
    assert formulas == [f'expression:${binding}2="yes"']
    selection = book["Selection"]
    for header in ("regret_shortfall", "regret_cost_musd"):
        col = letter(selection, header)
        assert rules(selection)[f"{col}2:{col}{selection.max_row}"] == [
            f'expression:{col}2="critical"']
    budget = book["Budget"]
    assert any("headroom" not in k[0] and "<=0.000001" in k[0]
               for k in rules(budget).values())


def test_ids_frozen_and_summary_links_to_every_sheet(result: Path) -> None:
    book = openpyxl.load_workbook(result)
    assert book["Selection"].freeze_panes == "C2"
    assert book["Financing"].freeze_panes == "C2"
    assert book["Rejected"].freeze_panes == "B2"
    assert book["Summary"].freeze_panes == "A2"
    links = {c.value: c.hyperlink.location for row in book["Summary"].iter_rows()
             for c in row if c.hyperlink is not None}
    assert set(links) == set(book.sheetnames)
    assert all(links[name] == f"'{name}'!A1" for name in links)


def test_chart_series_are_named_in_words(result: Path) -> None:
    with zipfile.ZipFile(result) as package:
        charts = [package.read(n).decode() for n in package.namelist()
                  if n.startswith("xl/charts/chart")]
    names = [n for chart in charts for n in re.findall(r"<ser>.*?<tx><v>(.*?)</v></tx>", chart)]
    assert names and not [n for n in names if re.fullmatch(r"[a-z]+(_[a-z]+)+", n)]
    assert "all demand covered (%)" in names
    assert "budget cost (USD m)" in names and "annual limit (USD m)" in names
    assert any(n.startswith("funded by ") for n in names)
    assert not [chart for chart in charts if "<tx><strRef>" in chart]  # no header as a name


def test_document_properties_name_portfolio_and_the_input(solved: tuple[Path, Path]) -> None:
    source, target = solved
    props = openpyxl.load_workbook(target).properties
    assert props.creator == f"portfolio {__version__}"
    assert props.subject == source.name == "in.xlsx"
