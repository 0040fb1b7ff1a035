"""The efficient frontier: the optimum re-solved at budget levels from 0 to the top level.

Level k of n is `frontier_top_pct * k / n` % of total_budget_musd; only the total budget
changes (annual Budget limits, CountryBudgets rows, cost shares and pool capacities stay as
entered). A portfolio found at a lower level is feasible at every higher one, so where a
solve stopped within its gap at a worse portfolio than a lower level's, the lower level's
portfolio is kept and the row says so: the frontier never gets worse as the budget grows.
The 100% level is the base case.

Levels differ only in the total budget, so a level's optimum is also the optimum of every
lower level whose budget its cost (held, see `held`) still fits: the lower level's
portfolios are a subset holding it. Such a level is settled without a solve. The base case
settles the levels below 100% down to its cost; the top level is solved first of those
above 100% and settles the ones down to its cost; only the rest are solved.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace

from portfolio.analysis.variants import Task, Variant, solve_all, with_total_budget
from portfolio.inputs.case import Case
from portfolio.model.lexicographic import held
from portfolio.model.outcomes import Solution, SolverOptions, Status

BASE_PCT = 100.0


@dataclass(frozen=True)
class Point:
    """One budget level of the frontier and the optimum found there."""

    pct: float
    budget_musd: float
    variant: Variant
    kept_from_pct: float | None = None
    settled_from_pct: float | None = None  # the level whose optimum this one is, unsolved


@dataclass(frozen=True)
class Frontier:
    """The frontier's points, lowest budget level first."""

    points: tuple[Point, ...]

    def entry(self, pid: str) -> Point | None:
        """The lowest level at which `pid` is in the optimal portfolio (None: at no level)."""
        return next((p for p in self.points if p.variant.solved and
                     pid in p.variant.solution.selected), None)

    def levels_in(self, pid: str) -> list[float]:
        """Every level (in %) at which `pid` is selected."""
        return [p.pct for p in self.points if p.variant.solved and
                pid in p.variant.solution.selected]


def levels(case: Case) -> list[float]:
    """Budget levels in % of total_budget_musd: 0, top/n, ..., top."""
    steps = case.settings.frontier_steps
    top = case.settings.frontier_top_pct
    return [round(top * k / steps, 9) for k in range(steps + 1)]


def frontier(case: Case, options: SolverOptions, *, base: Solution | None = None,
             pool: Executor | None = None, progress: Callable[[], object] | None = None,
             ) -> Frontier:
    """Solve every budget level; `base` (the base case's portfolio) is reused at 100%."""
    total = case.settings.total_budget_musd
    pcts = levels(case)
    solved: dict[float, Variant] = {}
    if base is not None and BASE_PCT in pcts:
        solved[BASE_PCT] = Variant(with_total_budget(case, total), base)
        if progress:
            progress()
    settled: dict[float, float] = {}  # level -> the level whose optimum it is
    above = [pct for pct in pcts if pct > BASE_PCT]
    first = [pct for pct in pcts if pct < BASE_PCT or (pct == BASE_PCT and base is None)]
    first += above[-1:]
    for batch in (first, above[:-1]):
        _settle(case, [pct for pct in batch if pct not in solved], solved, settled, progress)
        todo = [pct for pct in batch if pct not in solved]
        if not todo:
            continue
        tasks = [Task(with_total_budget(case, total * pct / 100), hint=base) for pct in todo]
        solved.update(zip(todo, solve_all(tasks, options, pool=pool, progress=progress),
                          strict=True))
    return Frontier(_monotone(case, pcts, solved, settled))


def _settle(case: Case, pcts: list[float], solved: dict[float, Variant],
            settled: dict[float, float], progress: Callable[[], object] | None) -> None:
    """Answer each level that a solved higher level's optimum fits (see the module)."""
    total = case.settings.total_budget_musd
    for pct in pcts:
        budget = total * pct / 100
        source = next((other for other, variant in sorted(solved.items())
                       if other > pct and other not in settled and _fits(variant, budget)),
                      None)
        if source is None:
            continue
        solved[pct] = Variant(with_total_budget(case, budget), solved[source].solution)
        settled[pct] = source
        if progress:
            progress()


def _fits(variant: Variant, budget: float) -> bool:
    """Whether a proven optimum costs no more than `budget`, with every tie it was held to."""
    return variant.solution.status is Status.OPTIMAL and \
        held(variant.figures.total_cost) <= budget


def _monotone(case: Case, pcts: list[float], solved: dict[float, Variant],
              settled: dict[float, float]) -> tuple[Point, ...]:
    """The points, a lower level's portfolio kept where a level's solve found worse."""
    total = case.settings.total_budget_musd
    points: list[Point] = []
    best: Point | None = None
    for pct in pcts:
        point = Point(pct, total * pct / 100, solved[pct], settled_from_pct=settled.get(pct))
        if best is not None and (not point.variant.solved
                                 or best.variant.better_than(point.variant)):
            status = (Status.OPTIMAL if point.variant.solution.status is Status.OPTIMAL
                      else Status.FEASIBLE)
            kept = Variant(point.variant.case, replace(best.variant.solution, status=status))
            origin = best.pct if best.kept_from_pct is None else best.kept_from_pct
            point = replace(point, variant=kept, kept_from_pct=origin, settled_from_pct=None)
        if point.variant.solved:
            best = point
        points.append(point)
    return tuple(points)
