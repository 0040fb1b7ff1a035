"""Reasons for left-out projects, and the diagnosis of infeasible pipelines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portfolio.analysis.diagnose import diagnose
from portfolio.analysis.figures import Figures
from portfolio.analysis.reasons import cheapest_financing, rejection_reasons
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, Status
from tests.helpers import demand, offtake, pool, project, settings, tiny, variant, write_book

OPTIONS = SolverOptions(gap=0)


def reasons(tmp_path: Path, data: dict[str, Any]) -> dict[str, str]:
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    return rejection_reasons(Figures(pipe, optimise(pipe, OPTIONS)))


def with_d(**extra: Any) -> dict[str, Any]:
    """tiny() plus project D (capex 40, 50 t from 2027), changed by `extra`."""
    data = tiny()
    data["Projects"].append(project("D", capex_musd=40) | extra)
    data["Offtake"].append(offtake("D", 50))
    return data


@pytest.mark.parametrize(("extra", "data_changes", "expected"), [
    ({"lock": "out"}, {}, "Locked out on the Projects sheet (lock = out)."),
    ({"lead_time_months": 40}, {"Settings": settings(max_lead_time_months=36)},
     "Lead time of 40 months exceeds the schedule limit max_lead_time_months = 36."),
    ({}, {"Settings": settings(max_public_share=0.5)},
     "Needs public finance for 100.0% of its capex (40.0 USD m of 40.0 USD m), above "
     "max_public_share of 50.0%."),
    ({"country": "BR"}, {"Financing": [pool("G", eligible_countries="US")]},
     "No funding pool may back a separation project in BR"),
    ({}, {"Financing": [pool("G", max_share_of_capex=0.5)]},
     "No eligible pool mix can close its financing gap: the eligible pools (G) can credit at "
     "most 20.0 USD m of the 40.0 USD m gap."),
    ({"capex_musd": 140}, {}, "Even its cheapest financing costs 140.0 USD m of budget, above "
                             "total_budget_musd = 100.0 USD m."),
    ({"requires": "E"}, {"Projects": None},
     "Requires E, which cannot be selected: Locked out on the Projects sheet (lock = out)."),
    ({"requires": "E"}, {"Projects": "E costs 60 and delivers nothing"},
     "Requires E, which is not in the portfolio"),
    ({"start_year": 2029}, {}, "Delivers nothing the Demand sheet asks for within the plan: "
                               "online in 2030, its offtake is magnets/ndpr oxide."),
])
def test_reason_for_project_d(tmp_path: Path, extra: dict[str, Any], data_changes: dict[str, Any],
                              expected: str) -> None:
    data = with_d(**extra)
    for sheet, change in data_changes.items():
        if sheet == "Projects" and change is None:
            data["Projects"].append(project("E", lock="out"))
        elif sheet == "Projects":
            data["Projects"].append(project("E", capex_musd=60))
        else:
            data[sheet] = change
    assert expected in reasons(tmp_path, data)["D"]


def test_exclusive_rival_reason(tmp_path: Path) -> None:
    # A+D would cover everything but share group g; B+D (shortfall 40) beats A+C (50).
    data = with_d(exclusive_group="g")
    data["Projects"][0]["exclusive_group"] = "G "
    assert reasons(tmp_path, data)["A"] == (
        "Exclusive group 'G': D was selected instead, and at most one project of a group may be.")


def test_already_covered_demand(tmp_path: Path) -> None:
    data = variant(tiny(), Settings=settings(total_budget_musd=500))
    found = reasons(tmp_path, data)
    assert found["C"] == ("The demand it serves (magnets/NdPr oxide from 2028) is already fully "
                          "covered by the selected projects; adding it would only add budget "
                          "cost.")


def test_budget_limited_reason_names_binding_limits(tmp_path: Path) -> None:
    found = reasons(tmp_path, tiny())
    assert found["B"].startswith("Not chosen: it would cut the weighted shortfall by at most 50 "
                                 "(magnets/NdPr oxide) for at least 50.0 USD m of budget cost")
    assert "total budget 100.0 USD m fully used" not in found["B"]  # 90 of 100 used
    found = reasons(tmp_path, variant(tiny(), Settings=settings(total_budget_musd=90)))
    assert "Binding limits: total budget 90.0 USD m fully used" in found["B"]


def test_cheapest_financing_is_a_fractional_knapsack(tmp_path: Path) -> None:
    data = variant(tiny(), Financing=[pool("G"), pool("L", instrument="loan",
                                                      budget_cost_rate=0.1,
                                                      max_share_of_capex=0.5),
                                      pool("O", instrument="offtake", budget_cost_rate=0.1,
                                           gap_credit=0.5, max_share_of_capex=0.5)])
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    # A: gap 60. Loan 30 face (cost 3, 0.1/credit), offtake 30 face credits 15 (cost 3,
    # 0.2/credit), grant the last 15 (cost 15).
    assert cheapest_financing(pipe, pipe.project_by_id["A"]) == pytest.approx(21)


def diagnosis(tmp_path: Path, data: dict[str, Any]) -> list[str]:
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    assert optimise(pipe, OPTIONS).status is Status.INFEASIBLE
    return diagnose(pipe, OPTIONS)


def test_diagnosis_names_the_locked_project_over_budget(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[project("A", capex_musd=60, lock="in"),
                                     project("B", capex_musd=300, lock="in"),
                                     project("C", capex_musd=30, lock="in")])
    assert diagnosis(tmp_path, data) == [
        "B is locked in, but it cannot be selected: Even its cheapest financing costs 300.0 "
        "USD m of budget, above total_budget_musd = 100.0 USD m.",
        "The smallest change to the limits that lets them hold: raise total_budget_musd from "
        "100.0 USD m to 300.0 USD m."]


def test_diagnosis_of_locks_that_only_conflict_together(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[project("A", capex_musd=60, lock="in"),
                                     project("B", capex_musd=50, lock="in"),
                                     project("C", capex_musd=30)])
    lines = diagnosis(tmp_path, data)
    assert lines[-2].startswith("Together the locked-in projects A, B need at least 110.0 USD m "
                                "of budget cost; total_budget_musd is 100.0 USD m")
    assert lines[-1] == ("The smallest change to the limits that lets them hold: raise "
                         "total_budget_musd from 100.0 USD m to 110.0 USD m.")


@pytest.mark.parametrize(("sheets", "change"), [
    ({"Budget": [{"year": 2026, "budget_musd": 70}, {"year": 2027, "budget_musd": 70}]},
     "raise the 2026 budget from 70.0 USD m to 110.0 USD m"),
    ({"Financing": [pool("G", capacity_musd=80)]},
     "raise the capacity of pool G from 80.0 USD m to 110.0 USD m"),
])
def test_diagnosis_names_the_annual_budget_or_pool_in_conflict(
        tmp_path: Path, sheets: dict[str, Any], change: str) -> None:
    data = variant(tiny(), Projects=[project("A", capex_musd=60, lock="in"),
                                     project("B", capex_musd=50, lock="in"),
                                     project("C", capex_musd=30)],
                   Settings=settings(total_budget_musd=500), **sheets)
    lines = diagnosis(tmp_path, data)
    assert lines[-1] == f"The smallest change to the limits that lets them hold: {change}."


def test_diagnosis_of_two_locked_projects_in_one_exclusive_group(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[project("A", lock="in", exclusive_group="site"),
                                     project("B", capex_musd=10, lock="in",
                                             exclusive_group="site"),
                                     project("C", capex_musd=30)],
                   Settings=settings(total_budget_musd=500))
    lines = diagnosis(tmp_path, data)
    assert "A and B are both locked in, but they share exclusive group 'site', where at most " \
           "one may be selected." in lines


def test_diagnosis_of_uncoverable_min_cost_demand(tmp_path: Path) -> None:
    data = variant(tiny(), Settings=settings(objective="min_cost", total_budget_musd=500),
                   Demand=[demand(2027, 150), demand(2028, 150), demand(2029, 300)])
    assert diagnosis(tmp_path, data) == [
        "min_cost cannot cover magnets/NdPr oxide in 2029: the most any feasible portfolio "
        "delivers is 240 t of 300 t."]


def test_diagnosis_follows_requires_into_an_exclusive_group(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[project("A", capex_musd=60, lock="in", requires="B"),
                                     project("B", capex_musd=50, requires="C"),
                                     project("C", capex_musd=30, exclusive_group="site"),
                                     project("D", capex_musd=30, exclusive_group="Site",
                                             lock="in")],
                   Offtake=[offtake("A", 10)], Settings=settings(total_budget_musd=1000))
    assert diagnosis(tmp_path, data) == [
        "C and D share exclusive group 'site', where at most one may be selected, but C is "
        "required by locked-in A (A -> B -> C) and D is locked in."]


def test_diagnosis_of_min_cost_demand_over_budget_names_the_budget(tmp_path: Path) -> None:
    data = variant(tiny(), Settings=settings(objective="min_cost", total_budget_musd=100),
                   Demand=[demand(2027, 150)])
    lines = diagnosis(tmp_path, data)
    assert lines[-1] == ("The smallest change to the limits that lets them hold: raise "
                         "total_budget_musd from 100.0 USD m to 110.0 USD m.")


def test_diagnosis_lists_independent_conflicts_at_once(tmp_path: Path) -> None:
    data = variant(tiny(), Projects=[project("A", capex_musd=60, lock="in", lead_time_months=99),
                                     project("B", capex_musd=50, lock="in", exclusive_group="g"),
                                     project("C", capex_musd=30, lock="in", exclusive_group="g"),
                                     project("D", capex_musd=300, lock="in")],
                   Settings=settings(max_lead_time_months=60))
    assert diagnosis(tmp_path, data) == [
        "A is locked in, but it cannot be selected: Lead time of 99 months exceeds the schedule "
        "limit max_lead_time_months = 60.",
        "B and C are both locked in, but they share exclusive group 'g', where at most one may "
        "be selected.",
        "D is locked in, but it cannot be selected: Even its cheapest financing costs 300.0 USD m "
        "of budget, above total_budget_musd = 100.0 USD m.",
        "The smallest change to the limits that lets them hold: raise total_budget_musd from "
        "100.0 USD m to 300.0 USD m."]
