"""Rank stage: each selected project's regret, by re-optimising without it.

regret_shortfall = weighted shortfall without p - with p; regret_cost_musd likewise for
budget cost (signed). A project whose lock-out leaves no feasible portfolio is `critical`.
Rank 1 is the largest regret_shortfall, then the larger regret_cost_musd, then project_id;
critical projects rank before all others (among themselves by project_id).

The re-solves are independent, so they run as one sweep (`portfolio.analysis.sweep`). With HiGHS
each worker builds the model once and re-solves it in place (`portfolio.model.resolver`); with
CBC each re-solve builds and solves the model afresh (`plain_regret`, the definition). Each
re-solve is sent with the near-optimal portfolios the earlier ones found (`sweep.learning`):
a worker settles a project's stage 1 without a MIP where one of them leaves it out.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace

from portfolio.analysis import sweep
from portfolio.analysis.figures import Figures
from portfolio.constants import REGRET_DECIMALS
from portfolio.inputs.case import Case
from portfolio.inputs.vocabulary import Lock, Objective
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import Settled, Solution, SolverOptions, Status
from portfolio.model.resolver import LockOut, without_dependants


@dataclass(frozen=True)
class Regret:
    """What the optimum loses without one project; `critical` if nothing feasible remains."""

    project_id: str
    shortfall: float | None
    cost: float | None
    critical: bool = False
    note: str = ""
    #: How each re-solve stage was answered (for `make bench`; not part of the answer).
    settled: tuple[Settled, ...] = field(default=(), compare=False)
    #: Near-optimal portfolios its re-solve came across, for the other workers' bounds.
    found: tuple[Solution, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def of(cls, pid: str, shortfall: float, cost: float) -> Regret:
        """A regret from its two differences, kept to REGRET_DECIMALS (see constants)."""
        return cls(pid, round(shortfall, REGRET_DECIMALS) + 0.0,
                   round(cost, REGRET_DECIMALS) + 0.0)

    def sort_key(self) -> tuple[int, float, float, str]:
        """Critical first, then larger shortfall regret, larger cost regret, project_id."""
        if self.critical:
            return (0, 0.0, 0.0, self.project_id)
        if self.shortfall is None or self.cost is None:
            return (2, 0.0, 0.0, self.project_id)
        return (1, -self.shortfall, -self.cost, self.project_id)


def compare(case: Case, base: Figures, pid: str, without: Solution) -> Regret:
    """The regret of `pid` from the optimum found with it locked out."""
    if without.status is Status.INFEASIBLE:
        return Regret(pid, None, None, critical=True, note="no feasible portfolio without it")
    if not without.status.has_solution:
        return Regret(pid, None, None, note="re-optimisation hit the time limit")
    shortfall, cost = Figures(case, without).less(base)
    return Regret.of(pid, shortfall, cost)


def plain_regret(case: Case, base: Figures, pid: str, options: SolverOptions) -> Regret:
    """The definition: build the model with `pid` locked out and optimise it afresh."""
    if case.project_by_id[pid].lock == Lock.IN:
        return Regret(pid, None, None, critical=True, note="locked in")
    without = optimise(case, options, locked_out=frozenset({pid}), tie_break=False,
                       hint=without_dependants(case, base.solution, pid))
    return compare(case, base, pid, without)


@dataclass(frozen=True)
class _Job:
    """What a worker needs to compute regrets; sent with every task, built on once."""

    case: Case
    base: Figures
    options: SolverOptions
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __call__(self, pid: str, shared: tuple[Solution, ...] = ()) -> Regret:
        if self.options.solver != "highs":
            return plain_regret(self.case, self.base, pid, self.options)
        lock_out = _lock_out(self)
        lock_out.share(shared)
        regret = compare(self.case, self.base, pid, lock_out.without(pid))
        return replace(regret, settled=tuple(lock_out.settled), found=lock_out.take_found())


_BUILT: dict[str, LockOut] = {}


def _lock_out(job: _Job) -> LockOut:
    """The re-solver of this process for the job, built on its first task (one job kept)."""
    if job.key not in _BUILT:
        _BUILT.clear()
        base = job.base.solution
        first = base.stages[0] if base.stages else None
        min_cost = job.case.settings.objective == Objective.MIN_COST
        bound = first.bound if first and not min_cost else None
        _BUILT[job.key] = LockOut(job.case, job.options, base, bound)
    return _BUILT[job.key]


def rank(case: Case, base: Figures, options: SolverOptions, *,
         pool: Executor | None = None, progress: Callable[[], object] | None = None,
         ) -> list[Regret]:
    """Regret of every selected project, in rank order (rank 1 first).

    Locked-in projects are critical without a solve. The others are re-optimised on
    `pool` (None: in this process), each worker building the model once.
    """
    locked = [Regret(pid, None, None, critical=True, note="locked in") for pid in base.selected
              if case.project_by_id[pid].lock == Lock.IN]
    for _ in locked:
        if progress:
            progress()
    others = [pid for pid in base.selected if case.project_by_id[pid].lock != Lock.IN]
    job = _Job(case, base, options)
    try:
        regrets = sweep.learning(pool, job, others, lambda regret: regret.found, progress)
    finally:
        _BUILT.pop(job.key, None)
    return sorted([*locked, *regrets], key=Regret.sort_key)
