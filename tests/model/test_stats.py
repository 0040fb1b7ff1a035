"""What each solve reports beyond its status: nodes, simplex iterations, best bound; the
options that fix HiGHS's search (threads, seed) and keep it quiet."""

from __future__ import annotations

from pathlib import Path

import pulp
import pytest

from benchmarks.generate import pipeline as synthetic
from portfolio.inputs.case import Case
from portfolio.inputs.validate import load
from portfolio.model.container import Goal
from portfolio.model.lexicographic import optimise, stage_goals
from portfolio.model.outcomes import Solver, SolverOptions, Status
from portfolio.model.solver import highs_options, new_highs, run, solver_version
from tests.helpers import settings, tiny, variant, write_book

TOLERANCE = 1e-6


def _mip(integer: bool = True) -> pulp.LpProblem:
    prob = pulp.LpProblem("t", pulp.LpMinimize)
    x = prob.add_variable("x", 0, 10, cat=pulp.LpInteger if integer else pulp.LpContinuous)
    y = prob.add_variable("y", 0, 10, cat=pulp.LpInteger if integer else pulp.LpContinuous)
    prob += 3 * x + 2 * y
    prob += 2 * x + 3 * y >= 7.5, "cover"
    return prob


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    """Twenty synthetic projects: the solves branch and iterate."""
    return load(write_book(tmp_path_factory.mktemp("stats") / "in.xlsx", synthetic(20, 4)))


def test_a_highs_mip_reports_whole_counts_and_its_bound() -> None:
    stats = run(_mip(), SolverOptions(gap=0))
    assert stats.status is Status.OPTIMAL
    assert isinstance(stats.nodes, int) and stats.nodes >= 0
    assert isinstance(stats.iterations, int) and stats.iterations >= 0
    assert stats.bound is not None and stats.objective is not None
    assert stats.bound <= stats.objective + TOLERANCE


def test_a_highs_lp_has_no_nodes_and_its_optimum_is_its_bound() -> None:
    stats = run(_mip(integer=False), SolverOptions())
    assert stats.status is Status.OPTIMAL and stats.nodes == 0
    assert stats.iterations is not None and stats.iterations >= 0
    assert stats.objective == pytest.approx(5.0)
    assert stats.bound == stats.objective and stats.gap == 0.0  # not HiGHS's mip_dual_bound 0


def test_cbc_reports_no_counts_and_no_bound() -> None:
    stats = run(_mip(), SolverOptions(solver=Solver.CBC))
    assert stats.status is Status.OPTIMAL
    assert (stats.nodes, stats.iterations, stats.bound, stats.gap) == (None, None, None, None)


@pytest.mark.parametrize("gap", [0.0, 0.05])
def test_the_selection_sums_its_solves_and_each_stage_bound_is_within_the_gap(
        case: Case, gap: float) -> None:
    solution = optimise(case, SolverOptions(gap=gap))
    assert solution.status is Status.OPTIMAL
    assert solution.solves == (*solution.stages, *solution.tie_break)
    assert bool(solution.tie_break) == (gap == 0)
    assert solution.nodes == sum(s.nodes or 0 for s in solution.solves)
    assert solution.iterations == sum(s.iterations or 0 for s in solution.solves)
    assert solution.iterations is not None and solution.iterations > 0
    assert all(isinstance(s.nodes, int) and s.nodes >= 0 for s in solution.solves)
    for goal, stage in zip(stage_goals(case.settings.objective), solution.stages, strict=True):
        assert stage.bound is not None and stage.objective is not None, goal
        slack = TOLERANCE * max(1.0, abs(stage.objective))
        assert stage.bound <= stage.objective + slack
        assert stage.objective - stage.bound <= gap * abs(stage.objective) + slack


def test_a_cbc_selection_has_no_counts(tmp_path: Path) -> None:
    solution = optimise(load(write_book(tmp_path / "in.xlsx", tiny())),
                        SolverOptions(solver=Solver.CBC))
    assert solution.status.has_solution
    assert solution.nodes is None and solution.iterations is None
    assert all(s.bound is None for s in solution.stages)


@pytest.mark.parametrize(("objective", "goals"), [
    ("max_coverage", (Goal.SHORTFALL, Goal.COST)), ("min_cost", (Goal.COST,))])
def test_stage_goals_name_the_stages_the_driver_solves(
        tmp_path: Path, objective: str, goals: tuple[Goal, ...]) -> None:
    data = variant(tiny(), Settings=settings(objective=objective, total_budget_musd=1000))
    case = load(write_book(tmp_path / "in.xlsx", data))
    assert stage_goals(case.settings.objective) == goals
    assert len(optimise(case, SolverOptions()).stages) == len(goals)


def test_highs_runs_one_thread_with_seed_0_and_quietly_unless_asked() -> None:
    quiet = highs_options(SolverOptions())
    assert quiet["threads"] == 1 and quiet["random_seed"] == 0
    assert quiet["output_flag"] is False and quiet["log_to_console"] is False
    assert highs_options(SolverOptions(threads=3))["threads"] == 3
    loud = highs_options(SolverOptions(log=True))
    assert loud["output_flag"] is True and loud["log_to_console"] is False  # stderr, by callback
    highs = new_highs(SolverOptions(gap=0.02))
    assert highs.getOptionValue("threads")[1] == 1
    assert highs.getOptionValue("mip_rel_gap")[1] == pytest.approx(0.02)
    assert highs.getOptionValue("output_flag")[1] is False


def test_solver_version_names_the_build() -> None:
    assert solver_version(SolverOptions()).startswith("HiGHS 1.")
    assert "git hash" in solver_version(SolverOptions())
    assert "highspy" in solver_version(SolverOptions())
    cbc = solver_version(SolverOptions(solver=Solver.CBC))
    assert cbc.startswith("CBC ") and "bundled with PuLP" in cbc
