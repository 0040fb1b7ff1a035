"""The optional Scenarios sheet: parsing, exact messages at the right cell, and applying."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from portfolio.errors import InvalidWorkbook
from portfolio.inputs.case import Case
from portfolio.inputs.example import example_data
from portfolio.inputs.scenarios import Scenario, apply, describe
from portfolio.inputs.template import write_template
from portfolio.inputs.validate import load
from tests.helpers import (
    ROOT,
    Rows,
    demand,
    offtake,
    pool,
    project,
    settings,
    tiny,
    variant,
    write_book,
)

HEADER = ["scenario", "change", "target", "value", "notes"]


def row(scenario: str, change: str, target: Any, value: Any) -> dict[str, Any]:
    """One Scenarios row."""
    return {"scenario": scenario, "change": change, "target": target, "value": value}


def base(**sheets: Rows) -> dict[str, Rows]:
    """Three projects (A mining, C locked in), two pools, magnets and batteries, two budgets."""
    data = variant(
        tiny(),
        Settings=settings(max_lead_time_months=36),
        Projects=[project("A", capex_musd=60, stage="mining"), project("B", capex_musd=50),
                  project("C", capex_musd=30, lead_time_months=24, lock="in")],
        Offtake=[offtake("A", 100), offtake("B", 80), offtake("C", 60),
                 offtake("B", 500, sector="batteries", material="lithium hydroxide")],
        Demand=[demand(2027, 150), demand(2028, 150),
                demand(2027, 1000, sector="batteries", material="lithium hydroxide")],
        Financing=[pool("G"), pool("LPO-loan", instrument="loan", budget_cost_rate=0.1,
                                   capacity_musd=500)],
        Budget=[{"year": 2026, "budget_musd": 80}, {"year": 2027, "budget_musd": 40}],
    )
    data.update(sheets)
    return data


def loaded(tmp_path: Path, *rows: dict[str, Any], **sheets: Rows) -> Case:
    return load(write_book(tmp_path / "in.xlsx", base(Scenarios=list(rows), **sheets)))


def problems(tmp_path: Path, *rows: dict[str, Any], **sheets: Rows) -> list[str]:
    with pytest.raises(InvalidWorkbook) as caught:
        loaded(tmp_path, *rows, **sheets)
    return [str(issue) for issue in caught.value.issues]


def only(pipe: Case) -> Case:
    """The pipeline with its one scenario applied."""
    assert len(pipe.scenarios) == 1
    return apply(pipe, pipe.scenarios[0])


def demand_t(pipe: Case) -> list[float]:
    return [d.demand_t for d in pipe.demands]


# --- no scenarios ----------------------------------------------------------------------


def test_a_workbook_without_a_scenarios_sheet_has_none(tmp_path: Path) -> None:
    assert load(write_book(tmp_path / "in.xlsx", base())).scenarios == ()


def test_a_header_only_scenarios_sheet_has_none(tmp_path: Path) -> None:
    pipe = load(write_book(tmp_path / "in.xlsx", base(Scenarios=[HEADER])))
    assert pipe.scenarios == ()


def test_blank_rows_are_skipped(tmp_path: Path) -> None:
    grid = [HEADER, [None] * 5, ["Cut", "budget_factor", None, 0.5, "half"]]
    pipe = load(write_book(tmp_path / "in.xlsx", base(Scenarios=grid)))
    assert [s.name for s in pipe.scenarios] == ["Cut"]


# --- each change, applied --------------------------------------------------------------


def test_budget_factor_all_scales_total_and_every_annual_budget(tmp_path: Path) -> None:
    out = only(loaded(tmp_path, row("Cut", "budget_factor", "all", 0.8)))
    assert out.settings.total_budget_musd == pytest.approx(80)
    assert out.budgets == pytest.approx({2026: 64, 2027: 32})


def test_budget_factor_blank_target_means_all(tmp_path: Path) -> None:
    out = only(loaded(tmp_path, row("Cut", "budget_factor", None, "0.5")))
    assert out.settings.total_budget_musd == pytest.approx(50)
    assert out.budgets == pytest.approx({2026: 40, 2027: 20})


def test_budget_factor_total_leaves_annual_budgets(tmp_path: Path) -> None:
    out = only(loaded(tmp_path, row("Cut", "budget_factor", " Total ", 0.5)))
    assert out.settings.total_budget_musd == pytest.approx(50)
    assert out.budgets == {2026: 80, 2027: 40}


@pytest.mark.parametrize("year", [2027, 2027.0, "2027"])
def test_budget_factor_of_one_year(tmp_path: Path, year: Any) -> None:
    out = only(loaded(tmp_path, row("Cut", "budget_factor", year, 0.25)))
    assert out.settings.total_budget_musd == 100
    assert out.budgets == pytest.approx({2026: 80, 2027: 10})


def test_demand_factor_of_a_sector_a_material_and_all(tmp_path: Path) -> None:
    pipe = loaded(tmp_path, row("Ban", "demand_factor", "MAGNETS", 1.5),
                  row("Boom", "demand_factor", "lithium  Hydroxide", 2),
                  row("All", "demand_factor", None, 0))
    ban, boom, everything = (apply(pipe, s) for s in pipe.scenarios)
    assert demand_t(ban) == pytest.approx([225, 225, 1000])
    assert demand_t(boom) == pytest.approx([150, 150, 2000])
    assert demand_t(everything) == [0, 0, 0]


def test_capacity_factor_of_one_pool_and_all(tmp_path: Path) -> None:
    pipe = loaded(tmp_path, row("Tight", "capacity_factor", "LPO-loan", 0.2),
                  row("Half", "capacity_factor", "all", 0.5))
    tight, half = (apply(pipe, s) for s in pipe.scenarios)
    assert [i.capacity_musd for i in tight.pools] == pytest.approx([1000, 100])
    assert [i.capacity_musd for i in half.pools] == pytest.approx([500, 250])


def test_lock_in_out_and_free(tmp_path: Path) -> None:
    out = only(loaded(tmp_path, row("Locks", "lock", "A", "OUT"), row("locks", "lock", "B", "in"),
                      row("LOCKS", "lock", "C", " free ")))
    assert [p.lock for p in out.projects] == ["out", "in", None]


def test_delay_months_by_stage_project_and_all_add_up(tmp_path: Path) -> None:
    pipe = loaded(tmp_path, row("Mines", "delay_months", "Mining", 24),
                  row("Mines", "delay_months", "A", "6"),
                  row("Everyone", "delay_months", None, 12),
                  row("One", "delay_months", "C", 0))
    mines, everyone, one = (apply(pipe, s) for s in pipe.scenarios)
    assert [p.lead_time_months for p in mines.projects] == [42, 12, 24]
    assert [p.lead_time_months for p in everyone.projects] == [24, 24, 36]
    assert [p.lead_time_months for p in one.projects] == [12, 12, 24]
    # online year and the schedule limit both see the longer lead time
    a = mines.project_by_id["A"]
    assert pipe.online_year(pipe.project_by_id["A"]) == 2027 and mines.online_year(a) == 2030
    assert a.lead_time_months == 42 and mines.settings.max_lead_time_months == 36


def test_max_lead_time_months_number_and_none(tmp_path: Path) -> None:
    pipe = loaded(tmp_path, row("Strict", "max_lead_time_months", None, 18),
                  row("Open", "max_lead_time_months", None, "None"))
    strict, free = (apply(pipe, s) for s in pipe.scenarios)
    assert strict.settings.max_lead_time_months == 18
    assert free.settings.max_lead_time_months is None
    assert pipe.settings.max_lead_time_months == 36


def test_factors_on_the_same_thing_multiply(tmp_path: Path) -> None:
    out = only(loaded(tmp_path, row("S", "demand_factor", "all", 1.1),
                      row("S", "demand_factor", "magnets", 1.5),
                      row("S", "budget_factor", "all", 0.5),
                      row("S", "budget_factor", 2027, 0.5),
                      row("S", "budget_factor", "total", 0.5),
                      row("S", "capacity_factor", "G", 0.5),
                      row("S", "capacity_factor", None, 0.5)))
    assert demand_t(out) == pytest.approx([247.5, 247.5, 1100])
    assert out.settings.total_budget_musd == pytest.approx(25)
    assert out.budgets == pytest.approx({2026: 40, 2027: 10})
    assert [i.capacity_musd for i in out.pools] == pytest.approx([250, 250])


def test_the_same_lock_or_limit_twice_is_fine(tmp_path: Path) -> None:
    out = only(loaded(tmp_path, row("S", "lock", "A", "in"), row("S", "lock", "A", "IN"),
                      row("S", "max_lead_time_months", None, 60),
                      row("S", "max_lead_time_months", None, 60.0)))
    assert out.project_by_id["A"].lock == "in" and out.settings.max_lead_time_months == 60


def test_scenarios_are_grouped_ignoring_case_in_order_of_first_appearance(
        tmp_path: Path) -> None:
    pipe = loaded(tmp_path, row("Budget cut 20%", "budget_factor", "all", 0.8),
                  row("Magnet export ban", "demand_factor", "magnets", 1.5),
                  row(" budget CUT 20% ", "delay_months", "mining", 24),
                  row("Magnet export ban", "lock", "C", "free"))
    assert [s.name for s in pipe.scenarios] == ["Budget cut 20%", "Magnet export ban"]
    assert [len(s.changes) for s in pipe.scenarios] == [2, 2]
    assert pipe.scenarios[0].changes[1].change == "delay_months"


def test_describe_reads_as_one_line() -> None:
    from portfolio.inputs.rows import ScenarioRow

    changes = [
        ("budget_factor", "all", 0.8), ("budget_factor", "total", 0.9),
        ("budget_factor", "2027", 0.5), ("demand_factor", "magnets", 1.5),
        ("demand_factor", None, 1.1), ("capacity_factor", "US-LPO", 0.5),
        ("capacity_factor", "All", 2), ("delay_months", "Mining", 24),
        ("delay_months", "US-TX", 6), ("delay_months", None, 3), ("lock", "US-TX", "in"),
        ("lock", "US-OK", "free"), ("max_lead_time_months", None, 60),
        ("max_lead_time_months", None, "none"),
    ]
    scenario = Scenario("S", tuple(
        ScenarioRow.model_validate({"scenario": "S", "change": c, "value": v}
                                   | ({} if t is None else {"target": t}))
        for c, t, v in changes))
    assert describe(scenario) == (
        "total budget and annual budgets x 0.8; total budget x 0.9; 2027 budget x 0.5; "
        "magnets demand x 1.5; all demand x 1.1; US-LPO capacity x 0.5; all pool capacities "
        "x 2; mining lead times +24 months; US-TX lead time +6 months; all lead times "
        "+3 months; lock US-TX in; unlock US-OK; schedule limit 60 months; no schedule limit")


def test_apply_leaves_the_original_pipeline_unchanged(tmp_path: Path) -> None:
    pipe = loaded(tmp_path, row("S", "budget_factor", "all", 0.5),
                  row("S", "demand_factor", "magnets", 2), row("S", "capacity_factor", "G", 0),
                  row("S", "lock", "C", "out"), row("S", "delay_months", "mining", 12),
                  row("S", "max_lead_time_months", None, "none"))
    before = copy.deepcopy(pipe)
    by_id = pipe.project_by_id  # a cached property, filled before applying
    out = apply(pipe, pipe.scenarios[0])
    assert pipe == before and pipe.project_by_id is by_id
    assert pipe.project_by_id["C"].lock == "in" and pipe.budgets == {2026: 80, 2027: 40}
    assert out.project_by_id["C"].lock == "out" and out.project_by_id["A"].lead_time_months == 24
    assert out.scenarios == () and len(pipe.scenarios) == 1
    assert (out.sha256, out.warnings, out.schedule) == (pipe.sha256, pipe.warnings,
                                                         pipe.schedule)
    assert out.offtakes == pipe.offtakes


def test_an_empty_scenario_changes_nothing_but_drops_scenarios(tmp_path: Path) -> None:
    pipe = loaded(tmp_path, row("S", "budget_factor", "all", 1))
    out = apply(pipe, Scenario("Nothing", ()))
    assert out.scenarios == () and out.settings == pipe.settings
    assert out.projects == pipe.projects and out.demands == pipe.demands


# --- messages --------------------------------------------------------------------------

CHANGE_LIST = ("budget_factor, demand_factor, capacity_factor, lock, delay_months, "
               "max_lead_time_months, imports_factor, country_budget_factor")


@pytest.mark.parametrize(("rows", "expected"), [
    ([row("S", "capacity_factor", "LPO-lon", 0.5)],
     "Scenarios!C2: target: unknown pool_id 'LPO-lon' (did you mean 'LPO-loan'?)"),
    ([row("S", "budget_factor", 2029, 0.5)],
     "Scenarios!C2: target: the Budget sheet has no row for 2029 (years there: 2026, 2027)"),
    ([row("S", "budget_factor", "capex", 0.5)],
     "Scenarios!C2: target: for budget_factor, expected blank, all, total or a year on the "
     "Budget sheet; found text 'capex'"),
    ([row("S", "demand_factor", "magnet", 1.5)],
     "Scenarios!C2: target: 'magnet' is neither a sector nor a material on the Demand sheet "
     "(did you mean 'magnets'?)"),
    ([row("S", "lock", "Z", "in")], "Scenarios!C2: target: unknown project_id 'Z'"),
    ([row("S", "lock", "b", "in")],
     "Scenarios!C2: target: unknown project_id 'b' (did you mean 'B'?)"),
    ([row("S", "lock", None, "in")],
     "Scenarios!C2: target: lock needs the project_id to lock; the cell is blank"),
    ([row("S", "delay_months", "minning", 12)],
     "Scenarios!C2: target: 'minning' is neither a stage nor a project_id (did you mean "
     "'mining'?)"),
    ([row("S", "max_lead_time_months", "A", 60)],
     "Scenarios!C2: target: max_lead_time_months applies to every project, so target must be "
     "blank; found text 'A'"),
    ([row("S", "budget_factor", "all", "lots")],
     "Scenarios!D2: value: expected a number, found text 'lots'; budget_factor multiplies the "
     "budget limit (0.8 = 20% less)"),
    ([row("S", "demand_factor", "all", -1)],
     "Scenarios!D2: value: must be at least 0, found -1; demand_factor multiplies demand "
     "(1.5 = 50% more)"),
    ([row("S", "capacity_factor", "all", True)],
     "Scenarios!D2: value: expected a number, found the logical value TRUE; capacity_factor "
     "multiplies pool capacity (0.5 = half)"),
    ([row("S", "lock", "A", "yes")],
     "Scenarios!D2: value: expected one of in, out, free; found text 'yes'; lock takes in "
     "(must be selected), out (must not be) or free (the optimiser decides)"),
    ([row("S", "lock", "A", 1)],
     "Scenarios!D2: value: expected one of in, out, free; found 1; lock takes in (must be "
     "selected), out (must not be) or free (the optimiser decides)"),
    ([row("S", "delay_months", "A", 2.5)],
     "Scenarios!D2: value: expected a whole number, found 2.5; delay_months is the number of "
     "months added to lead times"),
    ([row("S", "delay_months", "A", "in")],
     "Scenarios!D2: value: expected a number, found text 'in'; delay_months is the number of "
     "months added to lead times"),
    ([row("S", "max_lead_time_months", None, "never")],
     "Scenarios!D2: value: expected a whole number or none, found text 'never'; "
     "max_lead_time_months is the schedule limit in months, or none for no limit"),
    ([row("S", "max_lead_time_months", None, -6)],
     "Scenarios!D2: value: must be at least 0, found -6; max_lead_time_months is the schedule "
     "limit in months, or none for no limit"),
    ([row("S", "lock", "A", None)], "Scenarios!D2: value: required, but the cell is blank"),
    ([row(" Base ", "budget_factor", "all", 0.5)],
     "Scenarios!A2: scenario: the name 'Base' is reserved for the base case; choose another "
     "name"),
    ([row("S", "budget_factr", "all", 0.5)],
     f"Scenarios!B2: change: expected one of {CHANGE_LIST}; found text 'budget_factr' (did you "
     "mean 'budget_factor'?)"),
    ([row(None, "lock", "A", "in")], "Scenarios!A2: scenario: required, but the cell is blank"),
    ([row("S", "lock", "A", "in"), row("s", "lock", "A", "out")],
     "Scenarios!D3: value: scenario 'S' already sets the lock of A to in (at Scenarios!D2); a "
     "scenario can set a project's lock only one way"),
    ([row("S", "max_lead_time_months", None, 60), row("S", "lock", "A", "in"),
      row("S", "max_lead_time_months", None, "none")],
     "Scenarios!D4: value: scenario 'S' already sets max_lead_time_months to 60 (at "
     "Scenarios!D2); a scenario can set the schedule limit only once"),
])
def test_scenario_problems(tmp_path: Path, rows: list[dict[str, Any]], expected: str) -> None:
    assert problems(tmp_path, *rows) == [expected]


def test_a_year_target_without_a_budget_sheet(tmp_path: Path) -> None:
    data = base(Scenarios=[row("S", "budget_factor", 2027, 0.5)])
    del data["Budget"]
    with pytest.raises(InvalidWorkbook) as caught:
        load(write_book(tmp_path / "in.xlsx", data))
    assert [str(i) for i in caught.value.issues] == [
        "Scenarios!C2: target: the Budget sheet has no row for 2027 (there are no annual "
        "budgets; use all or total)"]


def test_a_name_that_is_both_a_sector_and_a_material(tmp_path: Path) -> None:
    rows = base()["Demand"] + [demand(2027, 10, sector="optical", material="gallium"),
                               demand(2027, 10, sector="Gallium", material="Ga metal")]
    found = problems(tmp_path, row("S", "demand_factor", "gallium", 2), Demand=rows)
    assert found == ["Scenarios!C2: target: 'gallium' is both a sector and a material on the "
                     "Demand sheet; rename one of them so the target is unambiguous"]


def test_a_name_that_is_both_a_stage_and_a_project(tmp_path: Path) -> None:
    projects = base()["Projects"] + [project("Magnet")]
    found = problems(tmp_path, row("S", "delay_months", "magnet", 12), Projects=projects)
    assert found == ["Scenarios!C2: target: 'magnet' is both a stage and a project_id; rename "
                     "the project so the target is unambiguous"]


def test_at_most_fifty_scenarios(tmp_path: Path) -> None:
    rows = [row(f"S{n}", "budget_factor", "all", 1) for n in range(1, 53)]
    assert problems(tmp_path, *rows) == [
        "Scenarios!A52: scenario: 'S51' would be scenario 51; at most 50 scenarios are allowed "
        "in one workbook"]
    assert len(loaded(tmp_path, *rows[:50]).scenarios) == 50


def test_scenario_problems_are_reported_with_every_other_problem(tmp_path: Path) -> None:
    projects = [project("A", capex_musd="x", stage="mining"), project("B", capex_musd=50),
                project("C", capex_musd=30, lead_time_months=24)]
    found = problems(tmp_path, row("S", "lock", "A", "in"), row("S", "lock", "Q", "in"),
                     row("T", "change_it", None, 1), Projects=projects)
    # A has a problem of its own, but it exists: only Q is unknown
    assert found == [
        "Projects!D2: capex_musd: expected a number, found text 'x'",
        "Scenarios!C3: target: unknown project_id 'Q'",
        f"Scenarios!B4: change: expected one of {CHANGE_LIST}; found text 'change_it'",
    ]


def test_columns_in_any_order_and_case(tmp_path: Path) -> None:
    grid = [["Value", " TARGET ", "Change", "Scenario"], [0.5, "G", "Capacity_Factor", "Half G"]]
    out = only(load(write_book(tmp_path / "in.xlsx", base(Scenarios=grid))))
    assert [i.capacity_musd for i in out.pools] == pytest.approx([500, 500])


# --- new settings ----------------------------------------------------------------------


def test_new_settings_defaults_and_values(tmp_path: Path) -> None:
    pipe = load(write_book(tmp_path / "in.xlsx", base()))
    assert (pipe.settings.frontier_steps, pipe.settings.frontier_top_pct,
            pipe.settings.sensitivity_step_musd) == (15, 150, 1.0)
    data = base(Settings=settings(frontier_steps=10.0, frontier_top_pct="200",
                                  sensitivity_step_musd=5))
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    assert (pipe.settings.frontier_steps, pipe.settings.frontier_top_pct,
            pipe.settings.sensitivity_step_musd) == (10, 200, 5)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("frontier_steps", 0, "must be at least 1, found 0"),
    ("frontier_steps", 2.5, "expected a whole number, found 2.5"),
    ("frontier_top_pct", 0, "must be greater than 0, found 0"),
    ("sensitivity_step_musd", -1, "must be greater than 0, found -1"),
])
def test_new_settings_problems(tmp_path: Path, name: str, value: Any, expected: str) -> None:
    data = base(Settings=settings(**{name: value}))
    with pytest.raises(InvalidWorkbook) as caught:
        load(write_book(tmp_path / "in.xlsx", data))
    assert [str(i) for i in caught.value.issues] == [f"Settings!B5: {name}: {expected}"]


# --- template and worked example -------------------------------------------------------


def test_template_has_a_scenarios_sheet_with_a_change_dropdown(tmp_path: Path) -> None:
    target = tmp_path / "template.xlsx"
    write_template(target)
    book = openpyxl.load_workbook(target)
    assert book.sheetnames.index("Scenarios") == book.sheetnames.index("Budget") + 1
    ws = book["Scenarios"]
    assert [c.value for c in ws[1]] == HEADER
    lists = [dv for dv in ws.data_validations.dataValidation if "B2" in str(dv.sqref)]
    assert lists and "max_lead_time_months" in lists[0].formula1
    assert all(ws.cell(r, 4).number_format == "General" for r in (2, 100, 500))
    assert not [dv for dv in ws.data_validations.dataValidation if "D2" in str(dv.sqref)]
    guide = [[c.value for c in r] for r in book["Guide"].iter_rows(min_row=2)]
    value_row = next(g for g in guide if g[:2] == ["Scenarios", "value"])
    assert value_row[2:5] == ["yes", None, "number or text"]
    settings_names = [c.value for c in book["Settings"]["A"]]
    assert settings_names[-6:] == ["frontier_steps", "frontier_top_pct", "sensitivity_step_musd",
                                   "risk_samples", "risk_seed", "risk_objective"]


def test_the_templates_header_only_scenarios_sheet_reads_as_none(tmp_path: Path) -> None:
    target = tmp_path / "template.xlsx"
    write_template(target, base())
    assert load(target).scenarios == ()


def test_the_worked_example_has_five_scenarios() -> None:
    pipe = load(ROOT / "inputs" / "example.xlsx")
    assert [(s.name, describe(s)) for s in pipe.scenarios] == [
        ("Budget cut 20%", "total budget and annual budgets x 0.8"),
        ("Magnet export ban", "magnets demand x 1.5"),
        ("Mine permitting delay", "mining lead times +24 months"),
        ("China export ban", "all imports x 0 (export ban)"),
        ("Japan budget cut 25%", "JP's budgets x 0.75"),
    ]
    assert all(r.get("notes") for r in example_data()["Scenarios"])
    cut, ban, delay, embargo, japan = (apply(pipe, s) for s in pipe.scenarios)
    assert pipe.imports and all(r.max_t == 0 for r in embargo.imports)
    assert [r.budget_musd for r in japan.country_budgets] == [
        r.budget_musd * (0.75 if r.country == "JP" else 1) for r in pipe.country_budgets]
    assert cut.settings.total_budget_musd == pytest.approx(0.8 * pipe.settings.total_budget_musd)
    assert cut.budgets == pytest.approx({y: 0.8 * b for y, b in pipe.budgets.items()})
    magnets = [n for n, d in enumerate(pipe.demands) if d.sector == "magnets"]
    assert magnets and all(ban.demands[n].demand_t == pytest.approx(
        1.5 * pipe.demands[n].demand_t) for n in magnets)
    mines = [p for p in pipe.projects if p.stage == "mining"]
    assert mines and all(delay.project_by_id[p.project_id].lead_time_months
                         == p.lead_time_months + 24 for p in mines)
    assert example_data(chains=False)["Scenarios"] == example_data()["Scenarios"][:3]


METAL = {"sector": "magnets", "material": "NdPr metal"}
CONC = {"sector": "magnets", "material": "mixed REO concentrate"}
IMPORTS = [{**METAL, "year": 2027, "max_t": 200, "weight": 0.5},
           {**METAL, "year": 2028, "max_t": 300, "weight": 0.5},
           {**CONC, "max_t": None, "weight": 0.2}]


def chain_loaded(tmp_path: Path, *rows: dict[str, Any]) -> Case:
    """`base()` with B consuming NdPr metal, capped metal imports and unlimited concentrate."""
    return loaded(tmp_path, *rows, Inputs=[{"project_id": "B", **METAL, "input_tpa": 100}],
                  Imports=IMPORTS)


def caps(case: Case, name: str) -> list[float | None]:
    scenario = next(s for s in case.scenarios if s.name == name)
    return [r.max_t for r in apply(case, scenario).imports]


def test_imports_factor_scales_caps_and_keeps_unlimited_unless_zero(tmp_path: Path) -> None:
    case = chain_loaded(tmp_path, row("Half", "imports_factor", "ndpr  METAL", 0.5),
                        row("Half", "imports_factor", "magnets/NdPr metal", 0.5),
                        row("More", "imports_factor", None, 2),
                        row("Ban", "imports_factor", "all", 0),
                        row("No concentrate", "imports_factor", "Mixed REO concentrate", 0))
    assert caps(case, "Half") == [50, 75, None]  # both rows name the metal: 0.5 x 0.5
    assert caps(case, "More") == [400, 600, None]  # unlimited stays unlimited
    assert caps(case, "Ban") == [0, 0, 0]  # ... unless the factor is 0: an export ban
    assert caps(case, "No concentrate") == [200, 300, 0]
    assert [r.max_t for r in case.imports] == [200, 300, None]  # the input is unchanged
    assert describe(case.scenarios[0]) == \
        "ndpr  METAL imports x 0.5; magnets/NdPr metal imports x 0.5"
    assert describe(case.scenarios[2]) == "all imports x 0 (export ban)"


@pytest.mark.parametrize(("target", "value", "expected"), [
    ("NdPr metl", 0.5, "Scenarios!C2: target: 'NdPr metl' is neither a material nor a "
     "sector/material on the Imports sheet (did you mean 'NdPr metal'?)"),
    ("batteries/NdPr metal", 0.5, "Scenarios!C2: target: 'batteries/NdPr metal' is neither a "
     "material nor a sector/material on the Imports sheet (did you mean 'magnets/NdPr "
     "metal'?)"),
    ("NdPr metal", -1, "Scenarios!D2: value: must be at least 0, found -1; imports_factor "
     "multiplies the Imports caps (0 = an export ban)"),
])
def test_imports_factor_problems(tmp_path: Path, target: str, value: Any,
                                 expected: str) -> None:
    assert problems(tmp_path, row("S", "imports_factor", target, value),
                    Inputs=[{"project_id": "B", **METAL, "input_tpa": 100}],
                    Imports=IMPORTS) == [expected]


def test_imports_factor_without_imports_rows(tmp_path: Path) -> None:
    assert problems(tmp_path, row("S", "imports_factor", "NdPr metal", 0)) == [
        "Scenarios!C2: target: 'NdPr metal' names nothing imported: the workbook has no "
        "Imports rows"]
