"""Decision analysis: frontier, scenarios and sensitivity against hand answers and brute force.

Every expected figure is computed independently of the product's model: by hand on tiny
instances, or by `tests.independent.test_bruteforce.brute_force`, which enumerates every
selection of a workbook's raw rows with its own financing MILP.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate import pipeline as synthetic
from portfolio.analysis.comparison import scenarios
from portfolio.analysis.figures import Figures
from portfolio.analysis.frontier import frontier, levels
from portfolio.analysis.sensitivity import POOL, sensitivity
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions, Status
from tests.helpers import demand, offtake, pool, project, settings, tiny, variant, write_book
from tests.independent.test_bruteforce import brute_force, generate

OPTIONS = SolverOptions(gap=0)
SEEDS = [0, 1, 2, 3, 5, 7, 9, 12]
FEASIBLE = [0, 3, 4, 5, 6, 7, 8, 10, 11, 12]  # seeds of `generate` with a feasible optimum


def with_setting(data: dict[str, Any], **values: Any) -> dict[str, Any]:
    """Raw rows with Settings values replaced or added."""
    out = copy.deepcopy(data)
    given = {r["setting"]: r for r in out["Settings"]}
    for name, value in values.items():
        if name in given:
            given[name]["value"] = value
        else:
            out["Settings"].append({"setting": name, "value": value})
    return out


def solved(tmp_path: Path, data: dict[str, Any], name: str = "in.xlsx") -> Figures:
    pipe = load(write_book(tmp_path / name, data))
    return Figures(pipe, optimise(pipe, OPTIONS))


# --- frontier ---------------------------------------------------------------------------

def test_frontier_levels_default_to_every_10_percent_up_to_150(tmp_path: Path) -> None:
    pipe = load(write_book(tmp_path / "in.xlsx", tiny()))
    assert levels(pipe) == [10.0 * k for k in range(16)]
    steps = load(write_book(tmp_path / "s.xlsx", with_setting(
        tiny(), frontier_steps=4, frontier_top_pct=200)))
    assert levels(steps) == [0, 50, 100, 150, 200]


def test_frontier_of_the_tiny_instance_by_hand(tmp_path: Path) -> None:
    # Grant pool, rate 1: cost = gap. Budget 100 -> levels 0, 50, 100, 150 USD m.
    # 0: nothing (shortfall 300); 50: B alone (140 uncovered of 300 -> 70+70=140... see below)
    data = with_setting(tiny(), frontier_steps=3, frontier_top_pct=150)
    base = solved(tmp_path, data)
    result = frontier(base.case, OPTIONS, base=base.solution)
    got = [(p.pct, p.variant.figures.weighted_shortfall, p.variant.figures.total_cost)
           for p in result.points]
    # Demand 150 t in 2027 and 2028. A: 100 t from 2027 (cost 60); B: 80 t from 2027 (50);
    # C: 60 t from 2028 (30). 0 USD m: nothing, 300 short. 50: B (70 + 70 = 140) beats
    # C (150 + 90 = 240). 100: A + C (50 + 0 = 50 at 90). 150: A + B (0 + 0 at 110).
    assert got == [(0, 300, 0), (50, 140, 50), (100, 50, 90), (150, 0, 110)]
    assert result.entry("A").pct == 100 and result.entry("B").pct == 50
    assert result.entry("C").pct == 100
    assert result.levels_in("B") == [50, 150]


@pytest.mark.parametrize("seed", SEEDS)
def test_frontier_matches_brute_force_and_is_monotone(tmp_path: Path, seed: int) -> None:
    data = with_setting(generate(seed), frontier_steps=4, frontier_top_pct=150)
    pipe = load(write_book(tmp_path / "in.xlsx", data))
    result = frontier(pipe, OPTIONS)
    budget = pipe.settings.total_budget_musd
    previous: tuple[float, float] | None = None
    for point in result.points:
        expected = brute_force(with_setting(data, total_budget_musd=budget * point.pct / 100))
        if expected is None:
            assert point.variant.solution.status is Status.INFEASIBLE
            assert previous is None  # once feasible, every higher budget is feasible
            continue
        fig = point.variant.figures
        assert fig.weighted_shortfall == pytest.approx(expected[0], abs=1e-6)
        assert fig.total_cost == pytest.approx(expected[1], rel=1e-7, abs=1e-6)
        if previous is not None:
            assert fig.weighted_shortfall <= previous[0] + 1e-6
        previous = (fig.weighted_shortfall, fig.total_cost)


def test_frontier_keeps_a_lower_levels_better_portfolio(tmp_path: Path) -> None:
    # A level whose solve returned something worse (as a gap or time limit can) gets the
    # lower level's portfolio, which is feasible at every higher budget.
    from dataclasses import replace

    from portfolio.analysis import frontier as module
    from portfolio.analysis.variants import Variant

    data = with_setting(tiny(), frontier_steps=3, frontier_top_pct=150)
    base = solved(tmp_path, data)
    real = module.solve_all

    def worse_at_150(tasks: Any, options: Any, **kw: Any) -> list[Variant]:
        out = real(tasks, options, **kw)
        empty = replace(out[-1].solution, selected=frozenset(), face={})
        return [*out[:-1], Variant(out[-1].case, empty)]

    module.solve_all = worse_at_150  # type: ignore[assignment]
    try:
        result = frontier(base.case, OPTIONS, base=base.solution)
    finally:
        module.solve_all = real
    top = result.points[-1]
    assert top.kept_from_pct == 100
    assert top.variant.figures.weighted_shortfall == 50


# --- scenarios --------------------------------------------------------------------------

SCENARIO_ROWS = [
    {"scenario": "Half budget", "change": "budget_factor", "target": "all", "value": 0.5},
    {"scenario": "Demand up", "change": "demand_factor", "target": "magnets", "value": 2},
    {"scenario": "Small pool", "change": "capacity_factor", "target": "G", "value": 0.5},
    {"scenario": "Force B", "change": "lock", "target": "B", "value": "in"},
    {"scenario": "Delay", "change": "delay_months", "target": "all", "value": 12},
    {"scenario": "Schedule", "change": "max_lead_time_months", "value": 12},
]


def by_hand(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The tiny instance edited by hand as each scenario says."""
    out = copy.deepcopy(data)
    if name == "Half budget":
        return with_setting(out, total_budget_musd=50)
    if name == "Demand up":
        out["Demand"] = [demand(2027, 300), demand(2028, 300)]
    elif name == "Small pool":
        out["Financing"] = [pool("G", capacity_musd=500)]
    elif name == "Force B":
        out["Projects"][1]["lock"] = "in"
    elif name == "Delay":
        for row in out["Projects"]:
            row["lead_time_months"] += 12
    elif name == "Schedule":
        return with_setting(out, max_lead_time_months=12)
    return out


def test_scenario_deltas_match_solving_the_edited_workbooks(tmp_path: Path) -> None:
    data = variant(tiny(), Scenarios=SCENARIO_ROWS)
    base = solved(tmp_path, data)
    outcomes = scenarios(base.case, base, OPTIONS)
    assert [o.scenario.name for o in outcomes] == [r["scenario"] for r in SCENARIO_ROWS]
    for n, outcome in enumerate(outcomes):
        edited = by_hand(tiny(), outcome.scenario.name)
        expected = solved(tmp_path, edited, f"hand{n}.xlsx")
        fig = outcome.variant.figures
        assert fig.weighted_shortfall == pytest.approx(expected.weighted_shortfall, abs=1e-6)
        assert fig.total_cost == pytest.approx(expected.total_cost, abs=1e-6)
        assert outcome.variant.solution.selected == expected.solution.selected
        assert outcome.shortfall_change() == pytest.approx(
            expected.weighted_shortfall - base.weighted_shortfall, abs=1e-6)
        assert outcome.cost_change() == pytest.approx(expected.total_cost - base.total_cost,
                                                      abs=1e-6)
    # By hand: half the budget (50) buys B alone; forcing B in gives A+B (0 short, 110 > 100?
    # no: budget 100, so B + C at 80, 70 + 10 = 80 short).
    half = outcomes[0].variant
    assert half.solution.selected == {"B"} and half.figures.weighted_shortfall == 140
    forced = outcomes[3].variant
    assert forced.solution.selected == {"B", "C"} and forced.figures.weighted_shortfall == 80


def test_an_infeasible_scenario_is_reported_with_its_reason(tmp_path: Path) -> None:
    rows = [{"scenario": "No money", "change": "budget_factor", "target": "total", "value": 0},
            {"scenario": "No money", "change": "lock", "target": "A", "value": "in"}]
    data = variant(tiny(), Scenarios=rows)
    base = solved(tmp_path, data)
    [outcome] = scenarios(base.case, base, OPTIONS)
    assert outcome.variant.solution.status is Status.INFEASIBLE
    assert outcome.shortfall_change() is None
    assert any("budget" in line for line in outcome.variant.diagnosis)


# --- sensitivity ------------------------------------------------------------------------

def two_pools() -> dict[str, Any]:
    """A alone covers the demand; a cheap loan pool (rate 0.1) too small for its gap of 60."""
    return {
        "Settings": settings(),
        "Projects": [project("A", capex_musd=60)],
        "Offtake": [offtake("A", 100)],
        "Demand": [demand(2027, 100)],
        "Financing": [pool("L", instrument="loan", capacity_musd=40, budget_cost_rate=0.1),
                      pool("G")],
    }


def test_marginal_value_of_a_full_cheap_pool_by_hand(tmp_path: Path) -> None:
    # Gap 60 = 40 from L (cost 4) + 20 from G (cost 20) = 24. One more USD m of L moves
    # one USD m from the grant to the loan: -0.9 USD m, with the same selection.
    base = solved(tmp_path, two_pools())
    assert base.total_cost == pytest.approx(24)
    rows = {m.limit.key: m for m in sensitivity(base, OPTIONS)}
    loan, grant, total = rows["L"], rows["G"], rows["total"]
    assert loan.limit.kind == POOL and loan.limit.binding
    assert loan.dual == pytest.approx(-0.9) and loan.lp_step_change == pytest.approx(-0.9)
    assert loan.cost_change == pytest.approx(-0.9) and loan.shortfall_change == 0
    assert loan.agrees is True and not loan.reselected
    assert "lowers the budget cost by 0.9 USD m" in loan.meaning("max_coverage")
    assert grant.dual == 0 and grant.limit.slack_musd == pytest.approx(980)
    assert total.dual == 0 and total.limit.slack_musd == pytest.approx(76)
    assert total.cost_change == 0 and total.agrees is True


def test_one_more_usd_m_that_lets_a_project_in(tmp_path: Path) -> None:
    # Budget 89.5: A + C costs 90, so the optimum is B + C (70 + 10 = 80 short at 80);
    # one more USD m lets A in instead of B: A + C, 50 + 0 = 50 short at 90.
    data = with_setting(tiny(), total_budget_musd=89.5)
    base = solved(tmp_path, data)
    assert base.weighted_shortfall == 80
    total = next(m for m in sensitivity(base, OPTIONS) if m.limit.key == "total")
    assert total.shortfall_change == -30 and total.cost_change == 10
    assert total.reselected and total.agrees is None
    assert total.moved == (["A"], ["B"])
    assert "lowers the weighted shortfall" in total.meaning("max_coverage")


def raised(data: dict[str, Any], kind: str, key: str, step: float) -> dict[str, Any]:
    """Raw rows with one limit raised, edited independently of the product."""
    out = copy.deepcopy(data)
    if kind == "total_budget":
        total = next(r["value"] for r in out["Settings"] if r["setting"] == "total_budget_musd")
        return with_setting(out, total_budget_musd=total + step)
    if kind == "annual_budget":
        for row in out["Budget"]:
            if int(row["year"]) == int(key):
                row["budget_musd"] += step
        return out
    for row in out["Financing"]:
        if row["pool_id"] == key:
            row["capacity_musd"] += step
    return out


@pytest.mark.parametrize("seed", FEASIBLE)
def test_marginal_values_agree_with_the_mip_re_solve(tmp_path: Path, seed: int) -> None:
    data = with_setting(generate(seed), sensitivity_step_musd=5)
    base = solved(tmp_path, data)
    assert base.solution.status is Status.OPTIMAL
    for m in sensitivity(base, OPTIONS):
        expected = brute_force(raised(data, m.limit.kind, m.limit.key, 5))
        assert expected is not None  # raising a limit keeps the base portfolio feasible
        assert base.weighted_shortfall + m.shortfall_change == pytest.approx(expected[0],
                                                                              abs=1e-6)
        assert base.total_cost + m.cost_change == pytest.approx(expected[1], abs=1e-6)
        assert m.dual is not None and m.dual <= 1e-9  # more of a limit never costs more
        if m.reselected:
            assert m.shortfall_change < 0 or m.cost_change < m.lp_step_change
        else:
            assert m.agrees is True
            assert m.cost_change == pytest.approx(m.lp_step_change, abs=1e-6)


def test_marginal_values_on_30_synthetic_projects_with_eight_pools(tmp_path: Path) -> None:
    # Richer than the brute-force pipelines: annual budgets, and pools cut to a tenth so
    # that the cheap ones fill up and limits with a non-zero dual occur. Each re-solve is
    # checked against the workbook edited by hand (raw rows) and solved afresh.
    data = with_setting(synthetic(30, 2), mip_gap=0, sensitivity_step_musd=1)
    for row in data["Financing"]:
        row["capacity_musd"] *= 0.1
    base = solved(tmp_path, data)
    marginals = sensitivity(base, OPTIONS)
    priced = [m for m in marginals if m.dual is not None and m.dual < -1e-9]
    assert priced, "no limit with a marginal value: the test would check nothing"
    for n, m in enumerate(marginals):
        expected = solved(tmp_path, raised(data, m.limit.kind, m.limit.key, 1), f"r{n}.xlsx")
        assert base.weighted_shortfall + m.shortfall_change == pytest.approx(
            expected.weighted_shortfall, rel=1e-7, abs=1e-6)
        assert base.total_cost + m.cost_change == pytest.approx(expected.total_cost,
                                                                rel=1e-7, abs=1e-6)
        if not m.reselected:
            assert m.agrees is True, m.meaning("max_coverage")
    assert any(m.reselected for m in marginals)
