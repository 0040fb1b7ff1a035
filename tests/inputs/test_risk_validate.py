"""Validation of the risk inputs: the Risk sheet, the Projects risk columns, the settings.

Every workbook is the tiny instance (tests.helpers.tiny: three separation projects A, B, C;
Settings rows 2-4 plan_start_year, total_budget_musd, mip_gap, then what a test adds from
row 5). Risk rows carry every column in a fixed order: A stage, B failure_prob,
C delay_mode_months, D delay_max_months. Projects columns: A project_id, B country, C stage,
D capex_musd, E lead_time_months, then the risk columns a test adds, in the order given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portfolio.errors import InvalidWorkbook
from portfolio.inputs.case import Case
from portfolio.inputs.riskrows import RiskTerms
from portfolio.inputs.validate import load
from tests.helpers import project, settings, tiny, variant, write_book

Rows = list[dict[str, Any]]


def risk(stage: Any, fail: Any = None, mode: Any = None, top: Any = None) -> dict[str, Any]:
    """A Risk row with every column (A-D), blank where the default applies."""
    return {"stage": stage, "failure_prob": fail, "delay_mode_months": mode,
            "delay_max_months": top}


def case_of(tmp_path: Path, data: dict[str, Any]) -> Case:
    return load(write_book(tmp_path / "in.xlsx", data))


def problems(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidWorkbook) as caught:
        case_of(tmp_path, data)
    return [str(issue) for issue in caught.value.issues]


def test_a_workbook_without_risk_data_has_no_samples(tmp_path: Path) -> None:
    case = case_of(tmp_path, tiny())
    assert (case.risk_used, case.risk_samples, case.expected) == (False, 0, False)
    assert case.risk_terms(case.projects[0]) == RiskTerms(0.0, 0.0, 0.0)


def test_empty_risk_columns_on_projects_are_no_risk_data(tmp_path: Path) -> None:
    blank = {"failure_prob": None, "delay_mode_months": None, "delay_max_months": None}
    data = variant(tiny(), Projects=[project("A", **blank), project("B"), project("C")])
    case = case_of(tmp_path, data)
    assert (case.risk_used, case.risk_samples) == (False, 0)


def test_a_risk_row_gives_500_samples_and_its_stage_terms(tmp_path: Path) -> None:
    case = case_of(tmp_path, variant(tiny(), Risk=[risk("Separation ", 0.15, 6, 24)]))
    assert (case.risk_used, case.risk_samples, case.expected) == (True, 500, False)
    assert case.risk_terms(case.projects[0]) == RiskTerms(0.15, 6.0, 24.0)
    assert "schedule risk over 500 samples (plan)" in case.contents


def test_a_blank_max_is_the_mode(tmp_path: Path) -> None:
    case = case_of(tmp_path, variant(tiny(), Risk=[risk("separation", None, 9, None)]))
    assert case.risk_terms(case.projects[0]) == RiskTerms(0.0, 9.0, 9.0)


def test_project_cells_override_their_stage_row_one_value_at_a_time(tmp_path: Path) -> None:
    data = variant(tiny(), Risk=[risk("separation", 0.15, 6, 24)], Projects=[
        project("A", failure_prob=0.5),                 # only the chance: delays from the stage
        project("B", delay_mode_months=12),             # mode 12, the stage's max 24
        project("C", delay_max_months=30)])             # the stage's mode 6, max 30
    case = case_of(tmp_path, data)
    terms = {p.project_id: case.risk_terms(p) for p in case.projects}
    assert terms == {"A": RiskTerms(0.5, 6.0, 24.0), "B": RiskTerms(0.15, 12.0, 24.0),
                     "C": RiskTerms(0.15, 6.0, 30.0)}


def test_a_project_mode_without_a_stage_max_takes_its_own_mode_as_max(tmp_path: Path) -> None:
    data = variant(tiny(), Risk=[risk("separation", 0.1, 6, None)],
                   Projects=[project("A", delay_mode_months=18), project("B"), project("C")])
    case = case_of(tmp_path, data)
    assert case.risk_terms(case.projects[0]) == RiskTerms(0.1, 18.0, 18.0)
    assert case.risk_terms(case.projects[1]) == RiskTerms(0.1, 6.0, 6.0)


def test_risk_cells_on_projects_alone_are_risk_data(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[project("A", failure_prob=0.2), project("B"),
                                     project("C")])
    case = case_of(tmp_path, data)
    assert (case.risk_used, case.risk_samples) == (True, 500)
    assert case.risk_terms(case.projects[1]) == RiskTerms(0.0, 0.0, 0.0)


def test_settings_give_the_samples_seed_and_objective(tmp_path: Path) -> None:
    data = variant(tiny(), Settings=settings(risk_samples=40, risk_seed=7,
                                             risk_objective=" Expected"),
                   Risk=[risk("separation", 0.1, 6, 12)])
    case = case_of(tmp_path, data)
    assert (case.risk_samples, case.settings.risk_seed, case.expected) == (40, 7, True)
    zero = variant(tiny(), Settings=settings(risk_samples=0), Risk=[risk("separation", 0.1)])
    assert case_of(tmp_path, zero).risk_samples == 0


@pytest.mark.parametrize(("rows", "expected"), [
    ([risk("separation", 1)],
     "Risk!B2: failure_prob: must be less than 1, found 1"),
    ([risk("separation", -0.1)],
     "Risk!B2: failure_prob: must be at least 0, found -0.1"),
    ([risk("separation", 0.1, 12, 6)],
     "Risk!D2: delay_max_months: 6 is below delay_mode_months 12; the largest delay must be "
     "at least the most likely one"),
    ([risk("separation", 0.1), risk("Separation", 0.2)],
     "Risk!A3: stage 'separation' has a Risk row already (at Risk!A2); give one row per "
     "stage"),
    ([risk("smelting", 0.1)], "Risk!A2: stage: expected one of mining, separation, refining, "
                              "metal_alloy, magnet, recycling; found text 'smelting'"),
    ([risk("separation", "#DIV/0!")], "Risk!B2: failure_prob: the cell holds the formula "
                                      "error #DIV/0!"),
    ([risk("separation", "ten percent")], "Risk!B2: failure_prob: expected a number"),
])
def test_risk_rows_are_refused_at_the_cell(tmp_path: Path, rows: Rows, expected: str) -> None:
    found = problems(tmp_path, variant(tiny(), Risk=rows))
    assert any(p.startswith(expected) for p in found), found


def test_a_project_delay_against_its_stage_row_is_refused_at_the_project_cell(
        tmp_path: Path) -> None:
    # Projects columns: A-E as in tiny, then F delay_mode_months, G delay_max_months.
    data = variant(tiny(), Risk=[risk("separation", 0.1, 6, 24)], Projects=[
        project("A", delay_mode_months=30, delay_max_months=None),
        project("B", delay_mode_months=None, delay_max_months=3),
        project("C", delay_mode_months=20, delay_max_months=10)])
    found = problems(tmp_path, data)
    assert sorted(found) == [
        "Projects!F2: delay_mode_months 30 is above the delay_max_months 24 of the "
        "'separation' Risk row; give delay_max_months on this row too",
        "Projects!G3: delay_max_months 3 is below the delay_mode_months 6 of the "
        "'separation' Risk row; give delay_mode_months on this row too",
        "Projects!G4: delay_max_months: 10 is below delay_mode_months 20; the largest delay "
        "must be at least the most likely one",
    ]


def test_expected_needs_samples_and_max_coverage(tmp_path: Path) -> None:
    # Settings rows 2-4 from tiny, then 5 risk_objective (B5), 6 the next setting.
    no_data = variant(tiny(), Settings=settings(risk_objective="expected"))
    assert problems(tmp_path, no_data) == [
        "Settings!B5: risk_objective = expected, but no Risk row and no risk cell on Projects "
        "is filled, so risk_samples defaults to 0 and there is nothing to average over; add a "
        "Risk sheet or set risk_objective to plan"]
    zero = variant(tiny(), Settings=settings(risk_objective="expected", risk_samples=0),
                   Risk=[risk("separation", 0.1)])
    assert problems(tmp_path, zero) == [
        "Settings!B5: risk_objective: risk_objective = expected with risk_samples = 0 has no "
        "samples to average over; give risk_samples of 1 or more, or set risk_objective to "
        "plan"]
    min_cost = variant(tiny(), Settings=settings(risk_objective="expected",
                                                 objective="min_cost"),
                       Risk=[risk("separation", 0.1)])
    found = problems(tmp_path, min_cost)
    assert len(found) == 1 and found[0].startswith(
        "Settings!B5: risk_objective: risk_objective = expected needs objective = "
        "max_coverage"), found


def test_bad_settings_values_are_refused_at_their_cells(tmp_path: Path) -> None:
    data = variant(tiny(), Settings=settings(risk_samples=-1, risk_seed=1.5,
                                             risk_objective="average"))
    found = problems(tmp_path, data)
    assert found[0] == "Settings!B5: risk_samples: must be at least 0, found -1"
    assert found[1] == "Settings!B6: risk_seed: expected a whole number, found 1.5"
    assert found[2] == ("Settings!B7: risk_objective: expected one of plan, expected; found "
                        "text 'average'")


def test_warnings_for_an_unused_stage_and_very_many_samples(tmp_path: Path) -> None:
    # Settings rows 2-4 from tiny, then 5 risk_samples (B5).
    data = variant(tiny(), Settings=settings(risk_samples=50_000),
                   Risk=[risk("separation", 0.1), risk("mining", 0.3, 12, 48)])
    warnings = case_of(tmp_path, data).warnings
    assert "Risk!A3: no project has stage 'mining'; its Risk row is not used" in warnings
    assert ("Settings!B5: risk_samples is 50,000; evaluating that many samples takes a while "
            "(500 usually settle the figures to a few per cent)") in warnings


@pytest.mark.parametrize(("samples", "warned"), [(20_000, False), (20_001, True)])
def test_the_many_samples_warning_starts_above_20000(tmp_path: Path, samples: int,
                                                     warned: bool) -> None:
    data = variant(tiny(), Settings=settings(risk_samples=samples),
                   Risk=[risk("separation", 0.1)])
    warnings = case_of(tmp_path, data).warnings
    assert any("risk_samples is" in w for w in warnings) is warned, warnings


def test_samples_given_without_risk_data_are_kept(tmp_path: Path) -> None:
    # Every sample is then the plan itself; expected is allowed (nothing to refuse).
    data = variant(tiny(), Settings=settings(risk_samples=40, risk_objective="expected"))
    case = case_of(tmp_path, data)
    assert (case.risk_used, case.risk_samples, case.expected) == (False, 40, True)


def test_a_bad_risk_cell_under_expected_is_its_only_problem(tmp_path: Path) -> None:
    # The refused row is still risk data: no second "no Risk row" problem at Settings!B5.
    # Projects columns: A-E as in tiny, then F failure_prob.
    on_risk = variant(tiny(), Settings=settings(risk_objective="expected"),
                      Risk=[risk("separation", 1)])
    assert problems(tmp_path, on_risk) == ["Risk!B2: failure_prob: must be less than 1, found 1"]
    on_project = variant(tiny(), Settings=settings(risk_objective="expected"),
                         Projects=[project("A", failure_prob=1.2), project("B"), project("C")])
    assert problems(tmp_path, on_project) == [
        "Projects!F2: failure_prob: must be less than 1, found 1.2"]


def test_formulas_and_typos_on_the_risk_sheet_are_reported_at_their_cells(
        tmp_path: Path) -> None:
    import openpyxl

    path = write_book(tmp_path / "in.xlsx", variant(tiny(), Risk=[
        risk("separation", 0.1, 6, 24), risk("mining", "0.l", 12, 48)]))
    book = openpyxl.load_workbook(path)
    book["Risk"]["D2"] = "=C2*4"  # saved by openpyxl: a formula with no cached result
    book.save(path)
    with pytest.raises(InvalidWorkbook) as caught:
        load(path)
    assert [str(i) for i in caught.value.issues] == [
        "Risk!D2: delay_max_months: the cell holds a formula with no saved result (the file "
        "was written by a program that does not calculate); open it in Excel or LibreOffice "
        "and save it, or type the value",
        "Risk!B3: failure_prob: expected a number, found text '0.l'"]


def test_sheet_and_stage_names_in_any_case(tmp_path: Path) -> None:
    # The sheet saved as "RISK", stages typed in capitals with spaces, numbers as text.
    data = tiny() | {"RISK": [risk(" SEPARATION", "0.2", " 6 ", 12),
                              risk("Mining", 0.3, 12, 48)]}
    case = case_of(tmp_path, data)
    assert case.risk_terms(case.projects[2]) == RiskTerms(0.2, 6.0, 12.0)
    assert [str(r.stage) for r in case.risks] == ["separation", "mining"]
    assert case.warnings == ("RISK!A3: no project has stage 'mining'; its Risk row is not used",)


def test_the_template_has_the_risk_inputs_and_stays_v1_when_filled(tmp_path: Path) -> None:
    import openpyxl

    from portfolio.inputs.template import write_template

    target = tmp_path / "template.xlsx"
    write_template(target, tiny())
    book = openpyxl.load_workbook(target)
    assert [c.value for c in book["Risk"][1]] == [
        "stage", "failure_prob", "delay_mode_months", "delay_max_months", "notes"]
    assert book.sheetnames[-2:] == ["Risk", "Guide"]
    (stages,) = book["Risk"].data_validations.dataValidation
    assert str(stages.sqref) == "A2:A500" and "metal_alloy" in stages.formula1
    header = [c.value for c in book["Projects"][1]]
    risk_columns = header[-4:-1]
    assert risk_columns == ["failure_prob", "delay_mode_months", "delay_max_months"]
    assert all(book["Projects"].cell(r, header.index(name) + 1).value is None
               for r in range(2, 5) for name in risk_columns)
    settings_rows = {row[0].value: row[0].row for row in book["Settings"].iter_rows(min_row=2)}
    choice_lists = {str(dv.sqref): dv.formula1
                    for dv in book["Settings"].data_validations.dataValidation}
    assert choice_lists[f"B{settings_rows['risk_objective']}"] == '"plan,expected"'
    # Filled in with a v1 workbook's rows, the template's blank risk columns and its risk
    # settings (seed 1, plan) are no risk data: no samples, solved as v1.
    case = load(target)
    assert (case.risk_used, case.risk_samples, case.expected) == (False, 0, False)
    assert case.settings.risk_seed == 1
