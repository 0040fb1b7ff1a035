"""Rank stage: each selected project's regret, by re-optimising without it.

regret_shortfall = weighted shortfall without p - with p; regret_cost_musd likewise for
budget cost (signed). A project whose lock-out leaves no feasible portfolio is `critical`.
Rank 1 is the largest regret_shortfall, then the larger regret_cost_musd, then project_id;
critical projects rank before all others (among themselves by project_id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portfolio.pipeline import Pipeline
from portfolio.results import Figures
from portfolio.solve import Solution, SolverOptions, Status, optimise

NOISE = 1e-6


@dataclass(frozen=True)
class Regret:
    """What the optimum loses without one project; `critical` if nothing feasible remains."""

    project_id: str
    shortfall: float | None
    cost: float | None
    critical: bool = False
    note: str = ""

    def sort_key(self) -> tuple[int, float, float, str]:
        """Critical first, then larger shortfall regret, larger cost regret, project_id."""
        if self.critical:
            return (0, 0.0, 0.0, self.project_id)
        if self.shortfall is None or self.cost is None:
            return (2, 0.0, 0.0, self.project_id)
        return (1, -self.shortfall, -self.cost, self.project_id)


def _clean(value: float, scale: float) -> float:
    """Treat differences below solver tolerance as exactly zero."""
    return 0.0 if abs(value) <= NOISE * max(1.0, abs(scale)) else value


def _without(pipeline: Pipeline, solution: Solution, pid: str) -> Solution:
    """The base portfolio less `pid` and every project that needs it: a start for its regret."""
    dropped = {pid}
    while True:
        more = {p for p in solution.selected - dropped
                if dropped & set(pipeline.project_by_id[p].requires)}
        if not more:
            break
        dropped |= more
    selected = solution.selected - dropped
    return Solution(status=solution.status, selected=selected,
                    face={k: v for k, v in solution.face.items() if k[0] in selected})


def regret(pipeline: Pipeline, base: Figures, pid: str, options: SolverOptions) -> Regret:
    """Re-optimise with `pid` locked out and compare with the base portfolio."""
    if pipeline.project_by_id[pid].lock == "in":
        return Regret(pid, None, None, critical=True, note="locked in")
    without = optimise(pipeline, options, locked_out=frozenset({pid}), tie_break=False,
                       hint=_without(pipeline, base.solution, pid))
    if without.status is Status.INFEASIBLE:
        return Regret(pid, None, None, critical=True, note="no feasible portfolio without it")
    if not without.status.has_solution:
        return Regret(pid, None, None, note="re-optimisation hit the time limit")
    other = Figures(pipeline, without)
    return Regret(
        pid,
        _clean(other.weighted_shortfall - base.weighted_shortfall, base.weighted_shortfall),
        _clean(other.total_cost - base.total_cost, base.total_cost),
    )


def rank(pipeline: Pipeline, base: Figures, options: SolverOptions,
         progress: Callable[[str], None] | None = None) -> list[Regret]:
    """Regret of every selected project, in rank order (rank 1 first)."""
    regrets = []
    for pid in base.selected:
        regrets.append(regret(pipeline, base, pid, options))
        if progress:
            progress(pid)
    return sorted(regrets, key=Regret.sort_key)
