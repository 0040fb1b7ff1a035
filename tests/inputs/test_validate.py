"""Reading and validation, sheet by sheet: exact cells and plain-words messages."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from portfolio.errors import InvalidWorkbook
from portfolio.inputs.validate import load
from tests.helpers import demand, offtake, pool, project, settings, tiny, variant, write_book


def problems(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidWorkbook) as caught:
        load(write_book(tmp_path / "in.xlsx", data))
    return [str(issue) for issue in caught.value.issues]


def test_tiny_workbook_is_valid_with_defaults_resolved(tmp_path: Path) -> None:
    pipe = load(write_book(tmp_path / "in.xlsx", tiny()))
    a = pipe.project_by_id["A"]
    assert a.name == "A" and a.start_year == 2026 and a.sponsor_equity_musd == 0
    assert pipe.settings.objective == "max_coverage" and pipe.settings.max_public_share == 1
    assert pipe.settings.time_limit_s == 60
    assert pipe.pools[0].gap_credit == 1 and pipe.pools[0].eligible_countries == ()
    assert pipe.demands[0].weight == 1
    assert len(pipe.sha256) == 64


def test_headers_ignore_case_spaces_and_order_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    grid = [[" Lead_Time_Months ", "CAPEX_MUSD", "stage", "Country", "project_id", "notes"],
            [12, 60, "Separation", " us ", " A ", "anything"],
            [None, None, None, None, None, None],
            [24.0, "50", "MAGNET", "JP", "B", None]]
    data = variant(tiny(), Projects=grid, Offtake=[offtake("A", 100), offtake("B", 80)])
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    assert [p.project_id for p in pipe.projects] == ["A", "B"]
    assert pipe.project_by_id["A"].country == "us"
    assert pipe.project_by_id["B"].stage == "magnet"
    assert pipe.project_by_id["B"].capex_musd == 50
    assert pipe.project_by_id["B"].lead_time_months == 24


@pytest.mark.parametrize(("changes", "expected"), [
    ({"capex_musd": "abc"}, "Projects!D2: capex_musd: expected a number, found text 'abc'"),
    ({"capex_musd": -5}, "Projects!D2: capex_musd: must be greater than 0, found -5"),
    ({"capex_musd": "#N/A"}, "Projects!D2: capex_musd: the cell holds the formula error #N/A; "
                             "expected a number"),
    ({"country": " #REF! "}, "Projects!B2: country: the cell holds the formula error #REF!; "
                             "expected text"),
    ({"capex_musd": True}, "Projects!D2: capex_musd: expected a number, found the logical value "
                           "TRUE"),
    ({"lead_time_months": 12.5}, "Projects!E2: lead_time_months: expected a whole number, "
                                 "found 12.5"),
    ({"country": None}, "Projects!B2: country: required, but the cell is blank"),
    ({"stage": "minning"}, "Projects!C2: stage: expected one of mining, separation, refining, "
                           "metal_alloy, magnet, recycling; found text 'minning' (did you mean "
                           "'mining'?)"),
    ({"lock": "yes"}, "Projects!F2: lock: expected one of in, out; found text 'yes'"),
    ({"sponsor_equity_musd": 70}, "Projects!F2: sponsor_equity_musd: sponsor equity 70 exceeds "
                                  "capex 60; it must be between 0 and capex"),
    ({"start_year": 2025}, "Projects!F2: start_year: 2025 is before plan_start_year 2026"),
    ({"start_year": 2026.5}, "Projects!F2: start_year: expected a whole number, found 2026.5"),
    ({"requires": "B, Z"}, "Projects!F2: requires: unknown project_id 'Z'"),
    ({"requires": "A"}, "Projects!F2: requires: a project cannot require itself"),
    ({"requires": "b"}, "Projects!F2: requires: unknown project_id 'b' (did you mean 'B'?)"),
])
def test_project_cell_problems(tmp_path: Path, changes: dict[str, Any], expected: str) -> None:
    rows = tiny()["Projects"]
    rows[0] = rows[0] | changes
    assert expected in problems(tmp_path, variant(tiny(), Projects=rows))


def test_every_problem_is_reported_at_once_in_reading_order(tmp_path: Path) -> None:
    data = variant(
        tiny(),
        Projects=[project("A", capex_musd="x"), project("B", stage="mine"), project("A"),
                  project("C")],
        Offtake=[offtake("A", -1), offtake("Q", 5)],
        Financing=[pool("G", budget_cost_rate=1.5), pool("G")],
        Demand=[demand(2027, 10), demand(2027, 20), demand(2020, 5)],
    )
    found = problems(tmp_path, data)
    assert found == [
        "Projects!D2: capex_musd: expected a number, found text 'x'",
        "Projects!C3: stage: expected one of mining, separation, refining, metal_alloy, magnet, "
        "recycling; found text 'mine' (did you mean 'mining'?)",
        "Projects!A4: project_id: duplicate project_id 'A' (first at Projects!A2)",
        "Offtake!D2: volume_tpa: must be at least 0, found -1",
        "Offtake!A3: project_id: unknown project_id 'Q'",
        "Demand!A3: sector: duplicate sector/material/year 'magnets / NdPr oxide / 2027' "
        "(first at Demand!A2)",
        "Demand!C4: year: 2020 is before plan_start_year 2026",
        "Financing!D2: budget_cost_rate: must be at most 1, found 1.5",
        "Financing!A3: pool_id: duplicate pool_id 'G' (first at Financing!A2)",
    ]


def test_missing_sheets_and_columns(tmp_path: Path) -> None:
    data = tiny()
    del data["Offtake"]
    data["Financing"] = [{"pool_id": "G", "instrument": "grant", "capacity": 5}]
    found = problems(tmp_path, data)
    assert any(f.startswith("Offtake!A1: required sheet 'Offtake' is missing") for f in found)
    assert "Financing!A1: required column 'capacity_musd' not found in the header row " \
           "(did you mean 'capacity'?)" in found
    assert "Financing!A1: required column 'budget_cost_rate' not found in the header row" in found


def test_duplicate_header_is_reported(tmp_path: Path) -> None:
    grid = [["project_id", "country", "stage", "capex_musd", "lead_time_months", "Country"],
            ["A", "US", "mining", 10, 0, "JP"]]
    found = problems(tmp_path, variant(tiny(), Projects=grid, Offtake=[offtake("A", 1)]))
    assert found == ["Projects!F1: column 'country' appears twice (first in Projects!B1); "
                     "delete one of them"]


@pytest.mark.parametrize(("rows", "expected"), [
    (settings(plan_start_year=None), "Settings!A1: required setting 'plan_start_year' is "
                                     "missing; add a row with setting 'plan_start_year' and its "
                                     "value"),
    (settings(total_budget_musd="lots"), "Settings!B3: total_budget_musd: expected a number, "
                                         "found text 'lots'"),
    (settings(objective="max coverage"), "Settings!B5: objective: expected one of max_coverage, "
                                         "min_cost; found text 'max coverage' (did you mean "
                                         "'max_coverage'?)"),
    (settings(mip_gap=1), "Settings!B4: mip_gap: must be at least 0 and less than 1, found 1"),
    (settings(max_public_share=1.2), "Settings!B5: max_public_share: must be at most 1, found 1.2"),
    (settings(time_limit_s=0), "Settings!B5: time_limit_s: must be greater than 0, found 0"),
    ([*settings(), {"setting": "total_budget", "value": 3}],
     "Settings!A5: unknown setting 'total_budget' (did you mean 'total_budget_musd'?); "
     "known settings: plan_start_year, total_budget_musd, objective, max_lead_time_months, "
     "max_public_share, mip_gap, time_limit_s, frontier_steps, frontier_top_pct, "
     "sensitivity_step_musd, risk_samples, risk_seed, risk_objective"),
    ([*settings(), {"setting": "mip_gap", "value": 0.1}],
     "Settings!A5: setting 'mip_gap' is given twice (first at Settings!B4)"),
])
def test_settings_problems(tmp_path: Path, rows: list[dict[str, Any]], expected: str) -> None:
    assert expected in problems(tmp_path, variant(tiny(), Settings=rows))


def test_settings_are_matched_ignoring_case(tmp_path: Path) -> None:
    rows = [{"setting": " Plan_Start_Year ", "value": 2026.0},
            {"setting": "TOTAL_BUDGET_MUSD", "value": "250"},
            {"setting": "objective", "value": "Min_Cost"}]
    pipe = load(write_book(tmp_path / "in.xlsx", variant(tiny(), Settings=rows)))
    assert pipe.settings.total_budget_musd == 250 and pipe.settings.objective == "min_cost"


def test_pool_problems(tmp_path: Path) -> None:
    data = variant(tiny(), Financing=[
        pool("G", instrument="equity"), pool("H", gap_credit=0),
        pool("I", eligible_stages="mining, magnets"), pool("J", max_share_of_capex=-0.1)])
    found = problems(tmp_path, data)
    assert "Financing!B2: instrument: expected one of grant, loan, guarantee, offtake; found " \
           "text 'equity'" in found
    assert "Financing!E3: gap_credit: must be greater than 0 and at most 1, found 0" in found
    assert "Financing!F4: eligible_stages: expected one of mining, separation, refining, " \
           "metal_alloy, magnet, recycling; found text 'magnets' (did you mean 'magnet'?)" in found
    assert "Financing!G5: max_share_of_capex: must be at least 0, found -0.1" in found


def test_schedule_problems(tmp_path: Path) -> None:
    data = variant(tiny(), CapexSchedule=[
        {"project_id": "A", "year": 2026, "share": 0.5},
        {"project_id": "A", "year": 2027, "share": 0.4},
        {"project_id": "B", "year": 2025, "share": 1},
        {"project_id": "Z", "year": 2026, "share": 1},
        {"project_id": "C", "year": 2026, "share": 1},
        {"project_id": "C", "year": 2026.0, "share": 0},
    ])
    found = problems(tmp_path, data)
    assert ("CapexSchedule!C3: share: the shares of A sum to 0.9 (rows 2, 3); they must sum to "
            "1") in found
    assert "CapexSchedule!B4: year: 2025 is before B's start_year 2026; disbursement cannot " \
           "precede financial close" in found
    assert "CapexSchedule!A5: project_id: unknown project_id 'Z'" in found
    assert "CapexSchedule!A7: project_id: duplicate project_id/year 'C / 2026' (first at " \
           "CapexSchedule!A6)" in found


def test_budget_problems(tmp_path: Path) -> None:
    data = variant(tiny(), Budget=[{"year": 2026, "budget_musd": 5},
                                   {"year": 2026, "budget_musd": 6},
                                   {"year": 2024, "budget_musd": -1}])
    found = problems(tmp_path, data)
    assert "Budget!A3: year: duplicate year '2026' (first at Budget!A2)" in found
    assert "Budget!B4: budget_musd: must be at least 0, found -1" in found


def test_schedule_and_budget_sheets_are_read(tmp_path: Path) -> None:
    data = variant(tiny(), CapexSchedule=[{"project_id": "A", "year": 2026, "share": 0.25},
                                          {"project_id": "A", "year": 2027, "share": 0.75}],
                   Budget=[{"year": 2027, "budget_musd": 12.5}])
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    assert pipe.disbursement(pipe.project_by_id["A"]) == {2026: 0.25, 2027: 0.75}
    assert pipe.disbursement(pipe.project_by_id["B"]) == {2026: 1.0}
    assert pipe.budgets == {2027: 12.5}


def test_empty_optional_sheets_are_treated_as_absent(tmp_path: Path) -> None:
    pipe = load(write_book(tmp_path / "in.xlsx", variant(tiny(), Budget=[], CapexSchedule=[])))
    assert pipe.budgets == {} and pipe.schedule == {}


def test_numeric_ids_are_text(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[project(101), project(102, requires=101)],
                   Offtake=[offtake(101, 5)])
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    assert pipe.project_by_id["102"].requires == ("101",)


def _with_formula(path: Path, cell: str, formula: str) -> None:
    """Turn a cached number into a formula with that cached value, as Excel saves it."""
    with zipfile.ZipFile(path) as src:
        items = {n: src.read(n) for n in src.namelist()}
    name = "xl/worksheets/sheet2.xml"  # Projects (Settings is sheet1)
    xml = items[name].decode()
    xml, count = re.subn(rf'(<c r="{cell}"[^>]*>)(<v>)', rf"\1<f>{formula}</f>\2", xml)
    assert count == 1
    items[name] = xml.encode()
    with zipfile.ZipFile(path, "w") as dst:
        for n, data in items.items():
            dst.writestr(n, data)


def test_formula_cells_count_with_their_cached_value(tmp_path: Path) -> None:
    path = write_book(tmp_path / "in.xlsx", tiny())
    _with_formula(path, "D2", "SUM(20,40)")
    assert load(path).project_by_id["A"].capex_musd == 60


def test_offtake_without_demand_warns_with_suggestion(tmp_path: Path) -> None:
    data = variant(tiny(), Offtake=[offtake("A", 100, material="NdPr oxde"), offtake("B", 80),
                                    offtake("C", 60)])
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    assert pipe.warnings == ("Offtake!C2: no Demand row for magnets/NdPr oxde; this offtake "
                             "covers nothing (did you mean 'magnets/NdPr oxide'?)",)


def test_a_bad_project_row_does_not_make_its_offtake_unknown(tmp_path: Path) -> None:
    rows = tiny()["Projects"]
    rows[0] = rows[0] | {"capex_musd": "n/a"}
    assert problems(tmp_path, variant(tiny(), Projects=rows)) == [
        "Projects!D2: capex_musd: expected a number, found text 'n/a'"]


def _edit_cell(path: Path, cell: str, xml: str, sheet: str = "sheet2") -> None:
    """Replace one cell's XML, as Excel or another program would have saved it."""
    with zipfile.ZipFile(path) as src:
        items = {n: src.read(n) for n in src.namelist()}
    name = f"xl/worksheets/{sheet}.xml"
    text, count = re.subn(rf'<c r="{cell}"[^>]*>.*?</c>', xml, items[name].decode())
    assert count == 1
    items[name] = text.encode()
    with zipfile.ZipFile(path, "w") as dst:
        for n, data in items.items():
            dst.writestr(n, data)


@pytest.mark.parametrize(("xml", "expected"), [
    ('<c r="D2" t="e"><f>Sheet9!A1</f><v>#REF!</v></c>',
     "Projects!D2: capex_musd: the cell holds the formula error #REF!; correct the formula or "
     "type the value"),
    ('<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
     "Projects!D2: capex_musd: the cell holds the formula error #DIV/0!; correct the formula or "
     "type the value"),
    ('<c r="D2"><f>20+40</f><v/></c>',
     "Projects!D2: capex_musd: the cell holds a formula with no saved result (the file was "
     "written by a program that does not calculate); open it in Excel or LibreOffice and save "
     "it, or type the value"),
    ('<c r="D2"><f>20+40</f></c>', "Projects!D2: capex_musd: the cell holds a formula with no "
                                   "saved result"),
])
def test_formula_errors_and_uncached_formulas_are_named(tmp_path: Path, xml: str,
                                                        expected: str) -> None:
    path = write_book(tmp_path / "in.xlsx", tiny())
    _edit_cell(path, "D2", xml)
    found = problems_at(path)
    assert any(f.startswith(expected) for f in found), found


def test_an_optional_cell_with_an_error_is_not_silently_defaulted(tmp_path: Path) -> None:
    rows = tiny()["Projects"]
    rows[0] = rows[0] | {"start_year": 2026}
    path = write_book(tmp_path / "in.xlsx", variant(tiny(), Projects=rows))
    _edit_cell(path, "F2", '<c r="F2" t="e"><f>NOW(</f><v>#NAME?</v></c>')
    assert problems_at(path) == ["Projects!F2: start_year: the cell holds the formula error "
                                 "#NAME?; correct the formula or type the value"]


def test_a_formula_that_returns_empty_text_is_blank(tmp_path: Path) -> None:
    rows = tiny()["Projects"]
    rows[0] = rows[0] | {"name": "x"}
    path = write_book(tmp_path / "in.xlsx", variant(tiny(), Projects=rows))
    _edit_cell(path, "F2", '<c r="F2" t="str"><f>IF(1,"","x")</f><v></v></c>')
    assert load(path).project_by_id["A"].name == "A"


def problems_at(path: Path) -> list[str]:
    with pytest.raises(InvalidWorkbook) as caught:
        load(path)
    return [str(issue) for issue in caught.value.issues]
