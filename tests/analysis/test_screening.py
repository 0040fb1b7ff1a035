"""Questions settled without a solve give the plain definitions' answers (issue 16).

The frontier settles a level from a higher level's optimum that fits its budget, and the
sensitivity re-solves settle limits from one solve with several limits raised at once
(`portfolio.analysis.sensitivity`). Each test counts what was settled, so that it cannot
pass by solving everything, and compares every answer with a fresh solve of the
definition at gap 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.generate import pipeline as synthetic
from portfolio.analysis.figures import Figures
from portfolio.analysis.frontier import frontier
from portfolio.analysis.sensitivity import limits, resolve_limits
from portfolio.analysis.variants import with_total_budget
from portfolio.inputs.validate import load
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import SolverOptions
from tests.analysis.test_analysis import with_setting
from tests.helpers import write_book

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


@pytest.mark.parametrize("seed", [1, 3])
def test_grouped_sensitivity_resolves_are_the_fresh_optima(tmp_path: Path, seed: int) -> None:
    data = with_setting(synthetic(30, seed), mip_gap=0)
    case = load(write_book(tmp_path / "in.xlsx", data))
    base = Figures(case, optimise(case, EXACT))
    found = limits(base)
    step = case.settings.sensitivity_step_musd
    resolves, solves = resolve_limits(base, found, step, EXACT)
    assert solves < len(found), "most limits do not bind here: groups must settle some"
    for limit, got in zip(found, resolves, strict=True):
        raised = limit.raised(case, step)
        fresh = Figures(raised, optimise(raised, EXACT, tie_break=False))
        assert got.case == raised
        assert got.figures.first_objective == pytest.approx(fresh.first_objective, rel=1e-9,
                                                            abs=1e-6), limit.label
        assert got.figures.total_cost == pytest.approx(fresh.total_cost, rel=1e-7,
                                                       abs=1e-6), limit.label
