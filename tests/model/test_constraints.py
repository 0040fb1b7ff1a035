"""Each constraint family on a tiny instance whose answer is worked out by hand.

The base instance (helpers.tiny): grant pool at face value, budget 100.
  A: capex 60, 100 t from 2027;  B: capex 50, 80 t from 2027;  C: capex 30, 60 t from 2028.
  Demand 150 t in 2027 and in 2028.
  A+B costs 110 (over budget); A+C costs 90 and leaves 50 t short (2027); B+C costs 80 and
  leaves 70 + 10 = 80 t short. So the optimum is {A, C}: weighted shortfall 50, cost 90.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from portfolio.analysis.figures import Figures
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, Status
from tests.helpers import demand, offtake, pool, settings, tiny, variant, write_book


def solve(tmp_path: Path, data: dict[str, Any]) -> Figures:
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    return Figures(pipe, optimise(pipe, SolverOptions(gap=0)))


def projects(**changes: dict[str, Any]) -> list[dict[str, Any]]:
    base = {r["project_id"]: r for r in tiny()["Projects"]}
    return [base[p] | changes.get(p, {}) for p in "ABC"]


CASES: list[tuple[str, dict[str, Any], set[str], float, float]] = [
    ("base: A+C within budget 100", {}, {"A", "C"}, 50, 90),
    ("total budget 200: zero shortfall, cheapest is A+B not A+B+C",
     {"Settings": settings(total_budget_musd=200)}, {"A", "B"}, 0, 110),
    ("sponsor equity closes B's whole gap: B costs nothing",
     {"Projects": projects(B={"sponsor_equity_musd": 50})}, {"A", "B"}, 0, 60),
    ("per-pool share caps force half grant, half loan",
     {"Financing": [pool("G", max_share_of_capex=0.5),
                    pool("L", instrument="loan", budget_cost_rate=0.1, max_share_of_capex=0.5)]},
     {"A", "B"}, 0, 60.5),
    ("loan pool capacity 40 admits only B+C",
     {"Financing": [pool("G", max_share_of_capex=0.5),
                    pool("L", instrument="loan", budget_cost_rate=0.1, max_share_of_capex=0.5,
                         capacity_musd=40)]},
     {"B", "C"}, 80, 44),
    ("cheap loan eligible only for JP magnet projects",
     {"Projects": projects(A={"stage": "Magnet", "country": "jp"}),
      "Financing": [pool("G"), pool("L", instrument="loan", budget_cost_rate=0.1,
                                    eligible_countries="JP, AU", eligible_stages="magnet")]},
     {"A", "B"}, 0, 56),
    ("max_public_share 0.5 leaves only B (equity 25) selectable",
     {"Settings": settings(max_public_share=0.5),
      "Projects": projects(B={"sponsor_equity_musd": 25})}, {"B"}, 140, 25),
    ("min ticket 55: only A's gap (60) can take the grant",
     {"Financing": [pool("G", min_ticket_musd=55)]}, {"A"}, 100, 60),
    ("annual budget 40 in 2026 with A spread over 2026-27",
     {"CapexSchedule": [{"project_id": "A", "year": 2026, "share": 0.5},
                        {"project_id": "A", "year": 2027, "share": 0.5}],
      "Budget": [{"year": 2026, "budget_musd": 40}]}, {"A"}, 100, 60),
    ("schedule limit 12 months excludes C",
     {"Settings": settings(max_lead_time_months=12)}, {"A"}, 100, 60),
    ("lock out C", {"Projects": projects(C={"lock": "out"})}, {"A"}, 100, 60),
    ("lock in B", {"Projects": projects(B={"lock": "IN"})}, {"B", "C"}, 80, 80),
    ("A requires B (A+B over budget)", {"Projects": projects(A={"requires": "B"})},
     {"B", "C"}, 80, 80),
    ("A and C exclusive (group names ignore case)",
     {"Projects": projects(A={"exclusive_group": "x"}, C={"exclusive_group": " X "})},
     {"B", "C"}, 80, 80),
    # Offtake face <= capex credits only half the gap; a grant closes the rest:
    # cost 0.2 x capex + 0.5 x capex = 0.7 x capex (A 42, B 35, C 21).
    ("offtake at half gap credit needs a grant beside it",
     {"Financing": [pool("O", instrument="offtake", budget_cost_rate=0.2, gap_credit=0.5),
                    pool("G")]},
     {"A", "B"}, 0, 77),
    # A online only in 2028: A+C leaves 150 t short in 2027, B+C 70 + 10 = 80.
    ("lead time 13 months means online two years later",
     {"Projects": projects(A={"lead_time_months": 13})}, {"B", "C"}, 80, 80),
    # B online only in 2028: A+B leaves 50 t short in 2027 (A alone: 50 + 50).
    ("B closes in 2027, so B is online only in 2028",
     {"Settings": settings(total_budget_musd=200),
      "Projects": projects(B={"start_year": 2027}, C={"lock": "out"})}, {"A", "B"}, 50, 110),
    ("sector and material match ignoring case and spacing",
     {"Offtake": [offtake("A", 100, material="ndpr  OXIDE"), offtake("B", 80),
                  offtake("C", 60, sector="Magnets")]}, {"A", "C"}, 50, 90),
    ("weight 10 on 2027 scales its shortfall",
     {"Demand": [demand(2027, 150, weight=10), demand(2028, 150)]}, {"A", "C"}, 500, 90),
]


@pytest.mark.parametrize(("label", "changes", "chosen", "shortfall", "cost"), CASES,
                         ids=[c[0] for c in CASES])
def test_constraint_family(tmp_path: Path, label: str, changes: dict[str, Any],
                           chosen: set[str], shortfall: float, cost: float) -> None:
    figures = solve(tmp_path, variant(tiny(), **changes))
    assert figures.solution.status is Status.OPTIMAL
    assert set(figures.selected) == chosen
    assert figures.weighted_shortfall == pytest.approx(shortfall, abs=1e-6)
    assert figures.total_cost == pytest.approx(cost, abs=1e-6)


def test_share_caps_split_financing_exactly(tmp_path: Path) -> None:
    figures = solve(tmp_path, variant(tiny(), Financing=[
        pool("G", max_share_of_capex=0.5),
        pool("L", instrument="loan", budget_cost_rate=0.1, max_share_of_capex=0.5)]))
    assert figures.solution.face == pytest.approx(
        {("A", "G"): 30, ("A", "L"): 30, ("B", "G"): 25, ("B", "L"): 25})


def test_eligible_cheap_loan_finances_the_magnet_project(tmp_path: Path) -> None:
    figures = solve(tmp_path, variant(
        tiny(), Projects=projects(A={"stage": "magnet", "country": "JP"}),
        Financing=[pool("G"), pool("L", instrument="loan", budget_cost_rate=0.1,
                                   eligible_countries="JP", eligible_stages="magnet")]))
    assert figures.solution.face == pytest.approx({("A", "L"): 60, ("B", "G"): 50})


def test_min_cost_covers_everything_at_least_cost(tmp_path: Path) -> None:
    figures = solve(tmp_path, variant(
        tiny(), Settings=settings(objective="min_cost", total_budget_musd=200)))
    assert set(figures.selected) == {"A", "B"}
    assert figures.total_cost == pytest.approx(110)
    assert figures.weighted_shortfall == 0


def test_min_cost_over_budget_is_infeasible(tmp_path: Path) -> None:
    figures = solve(tmp_path, variant(tiny(), Settings=settings(objective="min_cost")))
    assert figures.solution.status is Status.INFEASIBLE


def test_requires_cycle_means_both_or_neither(tmp_path: Path) -> None:
    figures = solve(tmp_path, variant(tiny(), Projects=projects(
        A={"requires": "C"}, C={"requires": "A"}), Settings=settings(total_budget_musd=95)))
    assert set(figures.selected) == {"A", "C"}
    figures = solve(tmp_path, variant(tiny(), Projects=projects(
        A={"requires": "C"}, C={"requires": "A"}), Settings=settings(total_budget_musd=85)))
    assert set(figures.selected) == {"B"}
    assert figures.weighted_shortfall == pytest.approx(140)
