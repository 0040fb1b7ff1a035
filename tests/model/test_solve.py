"""The solve stage's typed outcomes: status from the solution status, lexicographic stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulp
import pytest

from portfolio.inputs.validate import load
from portfolio.model import solver as solve_module
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import Solution, SolverOptions, SolveStats, Status
from portfolio.model.solver import run
from tests.helpers import tiny, write_book


def _lp(feasible: bool) -> pulp.LpProblem:
    prob = pulp.LpProblem("t", pulp.LpMinimize)
    x = prob.add_variable("x", 0, 10, cat=pulp.LpInteger)
    prob += x
    prob += x >= (3 if feasible else 11), "lower"
    return prob


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_run_classifies_optimal_and_infeasible(solver: str) -> None:
    options = SolverOptions(solver=solver)  # type: ignore[arg-type]
    good = run(_lp(True), options)
    assert good.status is Status.OPTIMAL and good.objective == pytest.approx(3)
    assert run(_lp(False), options).status is Status.INFEASIBLE


def test_highs_reports_bound_and_gap() -> None:
    stats = run(_lp(True), SolverOptions())
    assert stats.bound == pytest.approx(3) and stats.gap == pytest.approx(0)
    assert stats.seconds >= 0


def test_lexicographic_stages_are_both_solved(tmp_path: Path) -> None:
    pipe = load(write_book(tmp_path / "in.xlsx", tiny()))
    solution = optimise(pipe, SolverOptions(gap=0))
    assert [s.objective for s in solution.stages] == pytest.approx([50, 90])
    assert solution.status is Status.OPTIMAL and solution.gap == 0


def _scripted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              outcomes: list[Status]) -> Solution:
    """Optimise the tiny pipeline with the n-th solve reporting outcomes[n] (real values).

    Solves beyond the scripted ones report their real outcome.
    """
    real = solve_module.run
    calls = iter(outcomes)

    def fake(prob: pulp.LpProblem, options: SolverOptions, start: Any = None) -> SolveStats:
        stats = real(prob, options, start)
        status = next(calls, stats.status)
        return SolveStats(status, stats.objective if status.has_solution else None, None, None,
                          stats.seconds)

    monkeypatch.setattr(solve_module, "run", fake)
    return optimise(load(write_book(tmp_path / "in.xlsx", tiny())), SolverOptions(gap=0))


def test_stage_two_without_solution_falls_back_to_stage_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    solution = _scripted(tmp_path, monkeypatch, [Status.OPTIMAL, Status.NO_SOLUTION])
    assert solution.status is Status.FEASIBLE
    assert solution.selected == {"A", "C"}
    assert "stage 2" in solution.notes[0]


def test_time_limited_stage_means_feasible_not_optimal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    solution = _scripted(tmp_path, monkeypatch, [Status.FEASIBLE, Status.OPTIMAL])
    assert solution.status is Status.FEASIBLE
    assert solution.gap is None


def test_tie_breaking_without_solution_keeps_the_optimal_portfolio(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    solution = _scripted(tmp_path, monkeypatch,
                         [Status.OPTIMAL, Status.OPTIMAL, Status.NO_SOLUTION])
    assert solution.status is Status.OPTIMAL
    assert solution.selected == {"A", "C"}
    assert len(solution.tie_break) == 1


def test_ties_are_broken_only_where_the_optimum_is_exact(tmp_path: Path) -> None:
    pipe = load(write_book(tmp_path / "in.xlsx", tiny()))
    assert optimise(pipe, SolverOptions(gap=0)).tie_break
    assert optimise(pipe, SolverOptions(gap=0.01)).tie_break == ()
