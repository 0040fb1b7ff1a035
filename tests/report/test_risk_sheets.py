"""The schedule-risk output: Risk and RiskSamples sheets, Selection's risk_contribution, the
Summary rows, the panel, charts, colour scale, Guide and JSON, from a RiskResult made by hand.

The case (`data`) is tiny() with more Demand rows: magnets/NdPr oxide 150 t in each of 2027,
2028 and 2029, batteries/Li carbonate 10 t in 2028 and Defence/steel 5 t in 2027 (nothing
supplies the last two: always short). Budget 100: A (60, 100 t/y, online 2027) and C (30,
60 t/y, online 2028) are the optimum, cost 90 (B+C leaves 70 + 10 + 10 short, A+B costs 110).
On the planned schedule the magnets rows are short 50, 0, 0 (2027: A's 100 of 150), batteries
10, Defence 5: first objective 65 (weights 1).

Ten samples (planned online years A 2027, B 2027, C 2028), shortfalls worked by hand from
A's 100 t and C's 60 t (magnets 2027, 2028, 2029; batteries and Defence always 10 and 5):

    k  sampled                    2027  2028  2029  first
    1  as planned                   50     0     0     65
    2  B 2028 (B not selected)      50     0     0     65
    3  A 2028                      150    90     0    255
    4  C fails                      50    50    50    165
    5  as planned                   50     0     0     65
    6  C 2029                       50    50     0    115
    7  as planned                   50     0     0     65
    8  A fails                     150    90    90    345
    9  A 2028, C fails             150   150    50    365
   10  as planned                   50     0     0     65

Risk contributions (mean over the samples of first less first with the project on plan):
A moves in 3, 8, 9: (255-65) + (345-65) + (365-165) = 190 + 280 + 200 = 670 -> 67.
C moves in 4, 6, 9: (165-65) + (115-65) + (365-255) = 100 + 50 + 110 = 260 -> 26.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import openpyxl
import pytest

from portfolio import constants
from portfolio.analysis.risk import RiskResult, Rival
from portfolio.inputs.validate import load
from portfolio.inputs.vocabulary import RiskObjective
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions
from portfolio.model.samples import FAILED, Samples
from portfolio.report import guide
from portfolio.report.contents import Report
from portfolio.report.export import document
from portfolio.report.risktables import risk_rows
from portfolio.report.sheets import write_report
from tests.helpers import demand, read_output, summary, tiny, variant, write_book

ROOT = Path(__file__).resolve().parents[2]
RISK = ("sector", "material", "year", "demand_t", "plan_shortfall_t", "mean_shortfall_t",
        "p10_shortfall_t", "p50_shortfall_t", "p90_shortfall_t", "prob_covered")
NEW_SHEETS = {"Risk", "RiskSamples"}
NEW_KEYS = {"Risk", "RiskBySector", "RiskHistogram", "RiskContributions", "RiskSamples"}
RISK_ROWS = {"risk_samples", "risk_seed", "risk_objective", "expected_first_objective",
             "p90_first_objective", "risk_seconds"}
SETTINGS = {"risk_samples", "risk_seed", "risk_objective"}
EXPECTED_ROWS = {"plan_optimal_first_objective", "plan_optimal_expected_first_objective",
                 "plan_optimal_p90_first_objective", "plan_optimal_budget_cost_musd",
                 "robustness_cost_musd"}

# Sample k's online years of A, B, C (FAILED = fails), and its shortfalls of the five Demand
# rows, from the module docstring's table.
ONLINE = [[2027, 2027, 2028], [2027, 2028, 2028], [2028, 2027, 2028], [2027, 2027, FAILED],
          [2027, 2027, 2028], [2027, 2027, 2029], [2027, 2027, 2028], [FAILED, 2027, 2028],
          [2028, 2027, FAILED], [2027, 2027, 2028]]
SHORT = [[50, 0, 0], [50, 0, 0], [150, 90, 0], [50, 50, 50], [50, 0, 0], [50, 50, 0],
         [50, 0, 0], [150, 90, 90], [150, 150, 50], [50, 0, 0]]


def data() -> dict[str, Any]:
    """tiny() with the module docstring's Demand rows."""
    return variant(tiny(), Demand=[
        demand(2027, 150), demand(2028, 150), demand(2029, 150),
        {"sector": "batteries", "material": "Li carbonate", "year": 2028, "demand_t": 10},
        {"sector": "Defence", "material": "steel", "year": 2027, "demand_t": 5}])


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The case solved, without risk analysis."""
    folder = tmp_path_factory.mktemp("risk")
    source = write_book(folder / "in.xlsx", data())
    case = load(source)
    options = SolverOptions.from_case(case)
    solution = optimise(case, options)
    assert solution.selected == frozenset({"A", "C"})
    return Report(case=case, solution=solution, options=options, input_path=source,
                  target=folder / "out.xlsx", ranking="none")


def hand_risk(report: Report, objective: RiskObjective = RiskObjective.PLAN,
              rival: Rival | None = None) -> RiskResult:
    """The module docstring's ten samples as a RiskResult (seed 7, 0.25 s)."""
    samples = Samples(("A", "B", "C"), np.array([2027, 2027, 2028]), np.array(ONLINE), 7)
    shortfall = np.array([[*row, 10, 5] for row in SHORT], dtype=float)
    return RiskResult(report.case, samples, objective, shortfall.sum(axis=1), shortfall,
                      (50.0, 0.0, 0.0, 10.0, 5.0), 65.0, {"A": 67.0, "C": 26.0}, rival,
                      "closed form", 0.25)


@pytest.fixture(scope="module")
def risky(plain: Report) -> Report:
    return replace(plain, risk=hand_risk(plain))


@pytest.fixture(scope="module")
def written(risky: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("written") / "out.xlsx"
    write_report(replace(risky, target=target), target)
    return target


def records(ws: Any, first_col: int, width: int) -> list[list[Any]]:
    """The cells of a table of `width` columns from `first_col`, header included."""
    return [[ws.cell(row=r, column=c).value for c in range(first_col, first_col + width)]
            for r in range(1, ws.max_row + 1)
            if ws.cell(row=r, column=first_col).value is not None]


def test_risk_sheet_rows(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["Risk"]
    # 2027: 50 in seven samples, 150 in three: mean 80; sorted 50 x7, 150 x3: P10 = 1st =
    # 50, P50 = 5th = 50, P90 = 9th = 150; never covered. 2028: 0 x5, 50 x2, 90 x2, 150:
    # mean (100 + 180 + 150) / 10 = 43, P10 0, P50 0, P90 9th = 90, covered in 5 of 10.
    # 2029: 0 x7, 50 x2, 90: mean 19, P90 9th = 50, covered in 7. Batteries and Defence are
    # short 10 and 5 in every sample.
    assert records(ws, 1, 10) == [
        list(RISK),
        ["magnets", "NdPr oxide", 2027, 150, 50, 80, 50, 50, 150, 0],
        ["magnets", "NdPr oxide", 2028, 150, 0, 43, 0, 0, 90, 0.5],
        ["magnets", "NdPr oxide", 2029, 150, 0, 19, 0, 0, 50, 0.7],
        ["batteries", "Li carbonate", 2028, 10, 10, 10, 10, 10, 10, 0],
        ["Defence", "steel", 2027, 5, 5, 5, 5, 5, 5, 0]]
    assert ws["J3"].number_format == "0.0%" and ws["F3"].number_format == "#,##0"
    assert ws.freeze_panes == "D2"


def test_percentiles_are_nearest_rank(risky: Report) -> None:
    # One row whose ten samples are short 1..10 t (shuffled): nearest rank P_q is the
    # ceil(q/10)-th smallest: P10 = 1, P50 = 5, P90 = 9; mean 5.5; none covered.
    short = np.zeros((10, 5))
    short[:, 0] = [7, 3, 10, 1, 5, 9, 2, 8, 4, 6]
    risk = replace(hand_risk(risky), shortfall=short)
    assert risk_rows(risk)[0][4:] == [50.0, 5.5, 1, 5, 9, 0.0]


def test_coverage_by_sector_and_year_with_its_colour_scale(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["Risk"]
    # L: RiskBySector beside Risk (A-J, blank K): every row of the sector that year covered.
    # Magnets 2027: never; 2028: 5 of 10; 2029: 7 of 10. Batteries has only 2028, Defence
    # only 2027 (blank elsewhere); both always short.
    assert records(ws, 12, 4) == [
        ["sector", "prob_covered_2027", "prob_covered_2028", "prob_covered_2029"],
        ["magnets", 0, 0.5, 0.7], ["batteries", None, 0, None], ["Defence", 0, None, None]]
    scales = {str(cf.sqref): cf.rules[0] for cf in ws.conditional_formatting
              if cf.rules[0].type == "colorScale"}
    assert set(scales) == {"J2:J6", "M2:M4", "N2:N4", "O2:O4"}
    for rule in scales.values():  # red at 0, amber at 0.5, green at 1
        assert [float(v.val) for v in rule.colorScale.cfvo] == [0, 0.5, 1]
        assert [c.rgb[-6:] for c in rule.colorScale.color] == ["F8696B", "FFEB84", "63BE7B"]


def test_histogram_and_tornado(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["Risk"]
    # Q: RiskHistogram (after RiskBySector L-O, blank P). First objective from 65 to 365 in
    # 20 bins of 15: 65 x5 -> bin 1; 115 -> (115-65)/15 = 3.3 -> bin 4 [110, 125); 165 ->
    # 6.7 -> bin 7 [155, 170); 255 -> 12.7 -> bin 13 [245, 260); 345 -> 18.7 -> bin 19
    # [335, 350); 365, the largest, in the last bin 20.
    table = records(ws, 17, 5)
    assert table[0] == ["bin", "first_objective_from", "first_objective_to", "samples",
                        "share_of_samples"]
    counts = {1: 5, 4: 1, 7: 1, 13: 1, 19: 1, 20: 1}
    assert [row[3] for row in table[1:]] == [counts.get(n, 0) for n in range(1, 21)]
    assert [row[4] for row in table[1:]] == [counts.get(n, 0) / 10 for n in range(1, 21)]
    assert [row[1] for row in table[1:]] == pytest.approx([65 + 15 * n for n in range(20)])
    assert [row[2] for row in table[1:]] == pytest.approx([80 + 15 * n for n in range(20)])
    assert table[4][0] == "110.0 to 125.0"
    # W: RiskContributions, largest first: A 67, C 26.
    assert records(ws, 23, 3) == [["project_id", "name", "risk_contribution"],
                                  ["A", "A", 67], ["C", "C", 26]]
    charts = ws._charts
    assert [(c.type, [s.val.numRef.f for s in c.series], c.series[0].cat.numRef.f)
            for c in charts] == [("col", ["'Risk'!$T$2:$T$21"], "'Risk'!$Q$2:$Q$21"),
                                 ("bar", ["'Risk'!$Y$2:$Y$3"], "'Risk'!$X$2:$X$3")]
    assert charts[1].x_axis.scaling.orientation == "maxMin"  # largest at the top


def test_risk_samples_sheet(written: Path) -> None:
    sheets = read_output(written)
    frame = sheets["RiskSamples"]
    # By sample, then Projects order; blank online_year = failed; B counts though unselected.
    rows = [(int(r.sample), r.project_id, None if np.isnan(r.online_year)
             else int(r.online_year)) for r in frame.itertuples()]
    assert rows == [(2, "B", 2028), (3, "A", 2028), (4, "C", None), (6, "C", 2029),
                    (8, "A", None), (9, "A", 2028), (9, "C", None)]
    assert not written.with_name("out-samples.csv").exists()
    assert openpyxl.load_workbook(written)["RiskSamples"].freeze_panes == "C2"


@pytest.mark.parametrize("limit", [6, 7])
def test_samples_above_the_limit_go_to_a_csv_file(risky: Report, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  limit: int) -> None:
    # 7 rows: above a limit of 6 they go to the CSV, at a limit of 7 they stay on the sheet.
    monkeypatch.setattr(constants, "MAX_SAMPLE_ROWS", limit)
    target = tmp_path / "run.xlsx"
    report = replace(risky, target=target)
    write_report(report, target)
    ws = openpyxl.load_workbook(target)["RiskSamples"]
    csv_path = tmp_path / "run-samples.csv"
    if limit == 7:
        assert ws.max_row == 8 and not csv_path.exists()
        return
    assert [[c.value for c in r] for r in ws.iter_rows()] == [["note"], [
        "7 sampled online years differ from the plan, more than the 6 rows this sheet holds: "
        "they are in run-samples.csv beside this workbook, with the columns sample, "
        "project_id, online_year (a blank online_year: the project fails)."]]
    with csv_path.open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [
            ["sample", "project_id", "online_year"], ["2", "B", "2028"], ["3", "A", "2028"],
            ["4", "C", ""], ["6", "C", "2029"], ["8", "A", ""], ["9", "A", "2028"],
            ["9", "C", ""]]
    assert not list(tmp_path.glob(".*tmp"))  # written through a temporary file, renamed
    keyed = document(report)
    assert keyed["RiskSamples"] == [{"note": ws["A2"].value}]
    _validate(keyed)


def test_selection_column(written: Path) -> None:
    sheets = read_output(written)
    selection = sheets["Selection"]
    columns = list(selection.columns)
    assert columns.index("risk_contribution") == columns.index("regret_cost_musd") + 1
    assert dict(zip(selection["project_id"], selection["risk_contribution"],
                    strict=True)) == {"A": 67, "C": 26}


def test_summary_rows_under_plan(written: Path) -> None:
    sheets = read_output(written)
    top = summary(sheets)
    # mean first objective: (5 x 65 + 115 + 165 + 255 + 345 + 365) / 10 = 1570 / 10 = 157;
    # sorted, the 9th (ceil(0.9 x 10)) is 345.
    assert {k: top[k] for k in RISK_ROWS} == {
        "risk_samples": 10, "risk_seed": 7, "risk_objective": "plan",
        "expected_first_objective": 157, "p90_first_objective": 345, "risk_seconds": 0.25}
    assert not EXPECTED_ROWS & set(top)
    metrics = list(sheets["Summary"]["metric"])
    at = metrics.index("projects_selected")
    assert metrics[at + 1:at + 6] == ["risk_samples", "risk_seed", "risk_objective",
                                      "expected_first_objective", "p90_first_objective"]
    named = [m for m in metrics if m not in ("note", "warning")]
    assert len(named) == len(set(named))  # no setting listed twice
    notes = sheets["Summary"].set_index("metric")["note"]
    assert "SeedSequence([risk_seed, k])" in notes["risk_seed"]
    assert "nearest rank" in notes["p90_first_objective"]


def test_summary_rows_under_expected(plain: Report, tmp_path: Path) -> None:
    # The plan-optimal rival, made up: 60 on plan, 200 on average, P90 300, cost 60. This
    # portfolio costs 90: robustness costs 90 - 60 = 30 USD m.
    rival = Rival(frozenset({"A"}), 60.0, 200.0, 300.0, 60.0)
    report = replace(plain, risk=hand_risk(plain, RiskObjective.EXPECTED, rival))
    write_report(report, tmp_path / "out.xlsx")
    sheets = read_output(tmp_path / "out.xlsx")
    top = summary(sheets)
    assert top["risk_objective"] == "expected"
    assert {k: top[k] for k in EXPECTED_ROWS} == {
        "plan_optimal_first_objective": 60, "plan_optimal_expected_first_objective": 200,
        "plan_optimal_p90_first_objective": 300, "plan_optimal_budget_cost_musd": 60,
        "robustness_cost_musd": 30}
    sentence = ("Robustness: the risk-optimal portfolio averages 157.0 over the samples (P90 "
                "345.0) against the plan-optimal portfolio's 200.0 (P90 300.0), for 30.0 USD "
                "m more budget cost (90.0 against 60.0) and a first objective on the planned "
                "schedule of 65.0 against 60.0.")
    assert sheets["Summary"].set_index("metric")["note"]["robustness_cost_musd"] == sentence
    assert sentence in _panel(tmp_path / "out.xlsx")


def _panel(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path)["Summary"]
    return [str(c.value) for c in ws["E"] if c.value is not None]


def test_panel_lines(written: Path) -> None:
    lines = _panel(written)
    # Magnets: the plan covers it in full first in 2028 (2027 is short 50): 5 of 10 samples;
    # 2029, its last Demand year: 7 of 10. Batteries: never covered by the plan: its last
    # year 2028, 0%. Defence is no priority sector: no line.
    assert "Schedule risk over 10 samples: the weighted shortfall averages 157 (P90 345) " \
           "against 65 on the planned schedule (Risk)." in lines
    # Shares of magnets' 2028 demand (150 t) covered: 1, 1, .4, 2/3, 1, 2/3, 1, .4, 0, 1: mean
    # 71.3%, P10 the smallest (0); planned 100%. Batteries' 10 t are short in every sample.
    assert "P(magnets demand fully covered in 2028) = 50%, the first year the plan covers " \
           "it in full; 70% in 2029, its last Demand year. Share of its 2028 demand covered: " \
           "100% planned, 71% on average, 0% at P10." in lines
    assert "P(batteries demand fully covered in 2028) = 0%: its last Demand year (the plan " \
           "covers it in full in no year). Share of its 2028 demand covered: 0% planned, 0% " \
           "on average, 0% at P10." in lines
    assert not any(line.startswith("P(Defence") for line in lines)


def test_guide_entries_and_header_comments(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    rows = {(r[0].value, r[1].value): (r[2].value, r[3].value)
            for r in wb["Guide"].iter_rows(min_row=2)}
    side = {12: "RiskBySector", 17: "RiskHistogram", 23: "RiskContributions"}
    for sheet in ("Risk", "RiskSamples"):
        label = sheet
        for cell in wb[sheet][1]:
            if cell.value is None:
                continue
            if sheet == "Risk" and cell.column in side:
                label = f"Risk ({side[cell.column]}, right-hand table)"
            unit, meaning = rows[(label, cell.value)]
            assert unit and len(meaning) > 15, (sheet, cell.value)
            assert cell.comment is not None and meaning in cell.comment.text
    unit, meaning = rows[("Selection", "risk_contribution")]
    assert unit == "weighted t" and "planned schedule and not failed" in meaning
    law = rows[("RiskSamples", "online_year")][1]
    assert "ceil((lead_time_months + delta) / 12)" in law and "triangular" in law
    assert "failure_prob" in law
    assert "SeedSequence([risk_seed, k])" in rows[("RiskSamples", "sample")][1]
    assert "ceil(0.9 x N)-th smallest" in rows[("Risk", "p90_shortfall_t")][1]
    assert "1e-6 t" in rows[("Risk", "prob_covered")][1]
    assert "expected" in rows[("Risk", "plan_shortfall_t")][1]
    assert "2028" in rows[("Risk (RiskBySector, right-hand table)", "prob_covered_2028")][1]
    assert "1,000,000" in guide.explain("RiskSamples", "note").meaning  # type: ignore[union-attr]
    links = {c.value: c.offset(column=1).value for c in wb["Summary"]["J"] if c.hyperlink}
    assert {"Risk", "RiskSamples"} <= set(links)
    names = wb.sheetnames
    assert names[names.index("Rejected") + 1:names.index("Rejected") + 3] == ["Risk",
                                                                            "RiskSamples"]


def _validate(keyed: dict[str, Any]) -> None:
    schema = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(keyed)), schema,
                        cls=jsonschema.Draft202012Validator)


def test_json_keys(risky: Report) -> None:
    keyed = document(risky)
    assert set(keyed) >= NEW_KEYS
    _validate(keyed)
    assert keyed["Risk"][1] == dict(zip(RISK, ["magnets", "NdPr oxide", 2028, 150.0, 0.0,
                                               43.0, 0.0, 0.0, 90.0, 0.5], strict=True))
    assert keyed["RiskBySector"][1] == {"sector": "batteries", "prob_covered_2027": None,
                                        "prob_covered_2028": 0.0, "prob_covered_2029": None}
    assert keyed["RiskSamples"][2] == {"sample": 4, "project_id": "C", "online_year": None}
    assert keyed["RiskContributions"][0] == {"project_id": "A", "name": "A",
                                             "risk_contribution": 67.0}
    assert sum(r["samples"] for r in keyed["RiskHistogram"]) == 10
    assert [r["risk_contribution"] for r in keyed["Selection"]] == [67.0, 26.0]


def test_without_risk_nothing_new(plain: Report, tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    write_report(plain, target)
    sheets = read_output(target)
    assert not NEW_SHEETS & set(sheets)
    assert "risk_contribution" not in sheets["Selection"].columns
    metrics = list(sheets["Summary"]["metric"])
    assert not (RISK_ROWS - SETTINGS | EXPECTED_ROWS) & set(metrics)
    # The risk settings, where Settings has them, are listed with every other setting, after
    # portfolio_version, at their defaults.
    notes = sheets["Summary"].set_index("metric")["note"]
    for name in SETTINGS & set(metrics):
        assert metrics.index(name) > metrics.index("portfolio_version")
        assert notes[name].endswith("default (not on the Settings sheet)"), name
    lines = _panel(target)
    assert not any("Schedule risk" in line or line.startswith("P(") for line in lines)
    keyed = document(plain)
    assert not NEW_KEYS & set(keyed)
    assert "risk_contribution" not in keyed["Selection"][0]
    assert not any(r["sheet"].startswith("Risk") or r["column"] == "risk_contribution"
                   for r in keyed["Guide"])
    assert not list(tmp_path.glob("*.csv"))
