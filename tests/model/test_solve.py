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


def _presolved_at_start() -> dict[str, Any]:
    """Five mines; P4 requires P2, P1 requires P3, P0 (AU) requires P1. The grant F2 costs 0.1.

    Stage 1: oxide 60 t of 250 (P1, P2, P3) and graphite 100 of 100 (P1 90 + P0 or P4 20)
    leave 2.5 x 190 = 475 whichever of P0 and P4 is chosen. Stage 2: P1-P4 through F2 cost
    0.1 x 145 = 14.5, against 0.1 x 160 = 16.0 with P0 instead of P4.
    """
    from tests.helpers import demand, offtake, pool, project, settings

    graphite = {"sector": "batteries", "material": "graphite"}
    mine = {"stage": "mining", "capex_musd": 40, "sponsor_equity_musd": 0}
    return {
        "Settings": settings(plan_start_year=2025, total_budget_musd=46.25),
        "Projects": [project("P0", country="AU", requires="P1", **mine),
                     project("P1", requires="P3", **mine), project("P2", **mine),
                     project("P3", **mine),
                     project("P4", requires="P2", **mine | {"capex_musd": 25})],
        "Offtake": [offtake("P0", 20, **graphite), offtake("P1", 20),
                    offtake("P1", 90, **graphite), offtake("P2", 20), offtake("P3", 20),
                    offtake("P4", 20, **graphite)],
        "Demand": [demand(2028, 250, weight=2.5),
                   {**graphite, "year": 2027, "demand_t": 100, "weight": 0.5}],
        "Financing": [pool("F0", instrument="loan", capacity_musd=370, budget_cost_rate=0.5),
                      pool("F1", instrument="loan", capacity_musd=46.25, budget_cost_rate=0.5,
                           eligible_countries="AU"),
                      pool("F2", capacity_musd=185, budget_cost_rate=0.1)],
    }


def test_a_start_that_presolve_settles_does_not_come_back_as_the_answer(tmp_path: Path) -> None:
    # HiGHS 1.16, started from stage 1's point, solves stage 2 in presolve and reports 14.5
    # but returns stage 1's columns (cost 30.5: P2 on the 0.5 loan); the run detects that the
    # columns do not hold the objective reported and solves again without the start.
    case = load(write_book(tmp_path / "in.xlsx", _presolved_at_start()))
    solution = optimise(case, SolverOptions(gap=0))
    assert sorted(solution.selected) == ["P1", "P2", "P3", "P4"]
    assert solution.stages[1].objective == pytest.approx(14.5)
    assert solution.stages[1].bound == pytest.approx(14.5)


def test_a_solve_after_another_highs_thread_count_in_the_process(tmp_path: Path) -> None:
    # HiGHS keeps one thread scheduler per process; ours asks for one thread. After a PuLP
    # HiGHS solve with the default count, a product solve used to fail without solving
    # (reported as "time limit reached"). In a fresh process, since the scheduler is global.
    import subprocess
    import sys

    source = write_book(tmp_path / "in.xlsx", tiny())
    script = (
        "import pulp, sys\n"
        "from pathlib import Path\n"
        "from portfolio.inputs.validate import load\n"
        "from portfolio.model.lexicographic import optimise\n"
        "from portfolio.model.outcomes import SolverOptions\n"
        "p = pulp.LpProblem('x', pulp.LpMinimize)\n"
        "x = pulp.LpVariable('x', 0, 1, cat='Integer')\n"
        "p += x\n"
        "p.solve(pulp.HiGHS(msg=False))\n"
        "print(optimise(load(Path(sys.argv[1])), SolverOptions(gap=0)).status)\n")
    done = subprocess.run([sys.executable, "-c", script, str(source)], capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.splitlines()[-1] == "optimal"
