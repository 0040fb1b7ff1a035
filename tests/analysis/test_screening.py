"""Questions settled without a solve give the plain definitions' answers (issue 16).

The frontier settles a level from a higher level's optimum that fits its budget, and the
sensitivity re-solves settle limits from one solve with several limits raised at once
(`portfolio.analysis.sensitivity`). Each test counts what was settled, so that it cannot
pass by solving everything, and compares every answer with a fresh solve of the
definition at gap 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate import hard_pipeline
from benchmarks.generate import pipeline as synthetic
from benchmarks.risk import with_risk
from portfolio.analysis.figures import Figures
from portfolio.analysis.frontier import frontier
from portfolio.analysis.rank import plain_regret, rank
from portfolio.analysis.sensitivity import limits, resolve_limits
from portfolio.analysis.variants import on_plan, with_total_budget
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions
from tests.analysis.test_analysis import with_setting
from tests.analysis.test_sweep import same
from tests.helpers import write_book
from tests.independent.test_bruteforce import generate as v1_generate
from tests.independent.test_bruteforce_chains import generate as chain_generate
from tests.independent.test_bruteforce_stocks import generate as stock_generate

EXACT = SolverOptions(gap=0)


@pytest.mark.parametrize("seed", [1, 2])
def test_settled_frontier_levels_are_the_fresh_optima(tmp_path: Path, seed: int) -> None:
    data = with_setting(synthetic(30, seed), mip_gap=0, frontier_steps=5, frontier_top_pct=150)
    case = load(write_book(tmp_path / "in.xlsx", data))
    base = optimise(case, EXACT)
    result = frontier(case, EXACT, base=base)
    settled = [p for p in result.points if p.settled_from_pct is not None]
    assert settled, "the base's budget does not bind here, so a level must be settled"
    total = case.settings.total_budget_musd
    for point in result.points:
        level = with_total_budget(case, total * point.pct / 100)
        fresh = Figures(level, optimise(level, EXACT))
        got = point.variant.figures
        assert got.first_objective == pytest.approx(fresh.first_objective, rel=1e-9, abs=1e-6)
        assert got.total_cost == pytest.approx(fresh.total_cost, rel=1e-7, abs=1e-6)
        assert got.selected == fresh.selected, point.pct


@pytest.mark.parametrize(("hard", "seed"), [(False, 1), (False, 3), (True, 3)])
def test_grouped_sensitivity_resolves_are_the_fresh_optima(tmp_path: Path, hard: bool,
                                                           seed: int) -> None:
    data = with_setting(hard_pipeline(20, seed) if hard else synthetic(30, seed), mip_gap=0)
    case = load(write_book(tmp_path / "in.xlsx", data))
    base = Figures(case, optimise(case, EXACT))
    found = limits(base)
    step = case.settings.sensitivity_step_musd
    resolves, solves = resolve_limits(base, found, step, EXACT)
    assert solves < len(found), "most limits do not bind here: groups must settle some"
    if hard:  # no limit binds at the base, yet raising them together goes beyond some
        assert not any(limit.binding for limit in found) and solves > 1
    for limit, got in zip(found, resolves, strict=True):
        raised = limit.raised(case, step)
        fresh = Figures(raised, optimise(raised, EXACT, tie_break=False))
        assert got.case == raised
        assert got.figures.first_objective == pytest.approx(fresh.first_objective, rel=1e-9,
                                                            abs=1e-6), limit.label
        assert got.figures.total_cost == pytest.approx(fresh.total_cost, rel=1e-7,
                                                       abs=1e-6), limit.label


def _generated(kind: str, seed: int) -> dict[str, Any]:
    """A small random pipeline of one kind: v1, chains, stockpiles and governments, risk."""
    if kind == "chains":
        return chain_generate(seed)
    if kind == "stocks":
        return stock_generate(seed)
    if kind == "risk":
        return with_setting(with_risk(v1_generate(seed), 8, "expected"),
                            objective="max_coverage")
    return v1_generate(seed)


@pytest.mark.parametrize(("kind", "seed"), [("v1", 3), ("v1", 5), ("chains", 1), ("chains", 4),
                                            ("stocks", 2), ("stocks", 7), ("risk", 4)])
def test_every_analysis_equals_its_plain_definition(tmp_path: Path, kind: str,
                                                    seed: int) -> None:
    """Regret, frontier and sensitivity, as the run computes them, against fresh solves."""
    data = with_setting(_generated(kind, seed), mip_gap=0, frontier_steps=3,
                        frontier_top_pct=150)
    case = load(write_book(tmp_path / "in.xlsx", data))
    solution = optimise(case, EXACT)
    if not solution.status.has_solution:
        pytest.skip("no feasible portfolio")
    base, resolving = Figures(case, solution), EXACT.resolving()
    fast = {r.project_id: r for r in rank(case, base, resolving)}
    for pid in base.selected:
        plain = plain_regret(case, base, pid, EXACT)
        assert same(fast[pid], plain), (pid, fast[pid], plain)
    step = case.settings.sensitivity_step_musd
    found = limits(base)
    resolves, _ = resolve_limits(base, found, step, resolving)
    for limit, got in zip(found, resolves, strict=True):
        raised = limit.raised(case, step)
        _same_optimum(got.figures, Figures(raised, optimise(raised, EXACT, tie_break=False)))
    planned = on_plan(case)
    total = planned.settings.total_budget_musd
    hint = None if case.expected else solution
    for point in frontier(planned, resolving, base=hint).points:
        level = with_total_budget(planned, total * point.pct / 100)
        _same_optimum(point.variant.figures, Figures(level, optimise(level, EXACT)))


def _same_optimum(got: Figures, fresh: Figures) -> None:
    assert got.solution.status.has_solution == fresh.solution.status.has_solution
    if fresh.solution.status.has_solution:
        assert got.first_objective == pytest.approx(fresh.first_objective, rel=1e-9, abs=1e-6)
        assert got.total_cost == pytest.approx(fresh.total_cost, rel=1e-7, abs=1e-6)
