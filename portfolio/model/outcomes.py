"""Typed solver outcomes: how to solve, what one run established, and the portfolio found.

The one status map of the product lives here: `from_pulp` for a PuLP run (CBC, or HiGHS
through PuLP) and `from_highs` for a native HiGHS run. PuLP's problem status says "optimal"
for a time-limited HiGHS run that merely found a feasible point, so a PuLP outcome is read
from the *solution* status (`prob.sol_status`); a native run from the model status and
whether HiGHS holds a primal point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import highspy
import pulp

from portfolio.constants import DEFAULT_GAP
from portfolio.errors import SolverFailure
from portfolio.inputs.case import Case

CBC_WARNING = (
    "CBC 2.10.3 (bundled with PuLP) has a known cut bug (coin-or/Cbc#337) and can report "
    "'optimal' for a worse portfolio; its optimality is not trusted. Use the default HiGHS "
    "solver for decisions."
)


class Status(StrEnum):
    """What a solve established (the Summary sheet's `status`)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "time_limit_no_solution"

    @property
    def has_solution(self) -> bool:
        """Whether a portfolio satisfying every hard constraint was found."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


class Settled(StrEnum):
    """How one re-solve stage was answered: by a bound, by a cutoff, or by a full MIP."""

    INFEASIBLE_LP = "infeasible LP"  # its LP relaxation has no solution: nor has the MIP
    BOUND = "bound"  # a known portfolio meets the stage's lower bound within the gap
    CUTOFF = "cutoff"  # the MIP stopped at the best known value: nothing better exists
    MIP = "full MIP"


class SolveKind(StrEnum):
    """What a solve is for, which chooses HiGHS's options (`portfolio.constants.KIND_OPTIONS`).

    The selection is solved as HiGHS would be by default; the analyses' re-solves (regret,
    frontier levels, scenarios, sensitivity) start from a known portfolio of a nearby model,
    where presolve and the RINS and RENS sub-MIPs cost more than they save.
    """

    SELECTION = "selection"
    RESOLVE = "re-solve"


class Solver(StrEnum):
    """The MIP solvers `--solver` offers."""

    HIGHS = "highs"
    CBC = "cbc"


#: Native HiGHS model statuses that stop a run early, keeping the best point found if any.
_HIGHS_LIMITS = (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit,
                 highspy.HighsModelStatus.kSolutionLimit, highspy.HighsModelStatus.kInterrupt)
_FEASIBLE_POINT = 2  # HiGHS's kSolutionStatusFeasible
#: The linked HiGHS library's version, read without making an instance (whose first
#: creation in a process prints a banner: see `portfolio.model.solver.new_highs`).
HIGHS_VERSION = (f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}."
                 f"{highspy.HIGHS_VERSION_PATCH}")


def from_pulp(prob: pulp.LpProblem, solver: Solver) -> Status:
    """Classify a PuLP run by the solution it holds, not by its problem status."""
    sol_status = prob.sol_status
    if sol_status == pulp.LpSolutionOptimal:
        return Status.OPTIMAL
    if sol_status == pulp.LpSolutionIntegerFeasible:
        return Status.FEASIBLE
    if prob.status == pulp.LpStatusInfeasible or sol_status == pulp.LpSolutionInfeasible:
        return Status.INFEASIBLE
    if prob.status == pulp.LpStatusNotSolved:
        return Status.NO_SOLUTION
    raise SolverFailure(f"the {solver} solver ended with status "
                        f"{pulp.LpStatus.get(prob.status, prob.status)}")


def from_highs(highs: highspy.Highs) -> Status:
    """Classify a native HiGHS run as `from_pulp` does a PuLP one: by the point it holds."""
    model_status = highs.getModelStatus()
    if model_status == highspy.HighsModelStatus.kOptimal:
        return Status.OPTIMAL
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return Status.INFEASIBLE
    if model_status in _HIGHS_LIMITS:
        has_point = highs.getInfo().primal_solution_status == _FEASIBLE_POINT
        return Status.FEASIBLE if has_point else Status.NO_SOLUTION
    raise SolverFailure("the highs solver ended with status "
                        f"{highs.modelStatusToString(model_status)}")


def highs_bound_and_gap(info: Any, status: Status,
                        objective: float | None) -> tuple[float | None, float | None]:
    """Best bound and gap from a HiGHS info record; an optimal run without them has gap 0."""
    bound, gap = float(info.mip_dual_bound), float(info.mip_gap)
    unknown_gap = 0.0 if status is Status.OPTIMAL else None
    return (bound if math.isfinite(bound) else objective,
            gap if math.isfinite(gap) and gap >= 0 else unknown_gap)


@dataclass(frozen=True)
class SolverOptions:
    """How to solve: which solver, its time limit per solve and relative MIP gap.

    `log` asks for the solver's banner and log (on stderr; `--solver-log` or `--debug`);
    without it every process stays quiet. The options travel with every sweep's tasks, so
    worker processes log, or keep quiet, as the main process does.
    """

    solver: Solver = Solver.HIGHS
    time_limit: float = 60.0
    gap: float = DEFAULT_GAP
    threads: int | None = None
    log: bool = False
    kind: SolveKind = SolveKind.SELECTION

    @classmethod
    def from_case(cls, case: Case, *, solver: Solver = Solver.HIGHS,
                  time_limit: float | None = None, gap: float | None = None,
                  log: bool = False) -> SolverOptions:
        """Options from the Settings sheet, overridden by command-line values."""
        s = case.settings
        return cls(solver=Solver(solver),
                   time_limit=s.time_limit_s if time_limit is None else time_limit,
                   gap=s.mip_gap if gap is None else gap, log=log)

    def resolving(self) -> SolverOptions:
        """The same options for the analyses' re-solves (see `SolveKind`)."""
        return replace(self, kind=SolveKind.RESOLVE)

    @property
    def label(self) -> str:
        """Solver name and version for the Summary sheet (no HiGHS instance is made)."""
        if self.solver is Solver.CBC:
            return "CBC 2.10.3 (bundled with PuLP; optimality not trusted)"
        return f"HiGHS {HIGHS_VERSION}"


@dataclass(frozen=True)
class SolveStats:
    """One solver run: status, objective, best bound, relative gap and wall time.

    `nodes` (branch-and-bound nodes; 0 for an LP) and `iterations` (simplex iterations,
    those of every LP of the search included) are None where the solver does not report
    them (CBC through PuLP).
    """

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    nodes: int | None = None
    iterations: int | None = None


@dataclass(frozen=True)
class Solution:
    """A portfolio: selected projects, face values and stock bought, with how it was found.

    `bought` holds the tonnes each stockpile buys per year (stockpile_id, year): with the
    selection and financing, the first-stage decisions; releases are flows of them.
    """

    status: Status
    selected: frozenset[str] = frozenset()
    face: dict[tuple[str, str], float] = field(default_factory=dict)
    stages: tuple[SolveStats, ...] = ()
    notes: tuple[str, ...] = ()
    tie_break: tuple[SolveStats, ...] = ()
    bought: dict[tuple[str, int], float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """Total solver wall time over the stages, tie-breaking included."""
        return sum(s.seconds for s in self.solves)

    @property
    def gap(self) -> float | None:
        """Largest relative gap reached over the stages (None where unknown)."""
        gaps = [s.gap for s in self.stages if s.status.has_solution]
        if not gaps or any(g is None for g in gaps):
            return None
        return max(g for g in gaps if g is not None)

    @property
    def solves(self) -> tuple[SolveStats, ...]:
        """Every solver run behind the portfolio: the stages, then the tie-breaking runs."""
        return (*self.stages, *self.tie_break)

    @property
    def nodes(self) -> int | None:
        """Branch-and-bound nodes summed over `solves` (None where a run does not say)."""
        return _total([s.nodes for s in self.solves])

    @property
    def iterations(self) -> int | None:
        """Simplex iterations summed over `solves` (None where a run does not say)."""
        return _total([s.iterations for s in self.solves])


def _total(counts: list[int | None]) -> int | None:
    """The sum of counts, or None if there are none or any is unknown."""
    if not counts or any(c is None for c in counts):
        return None
    return sum(c for c in counts if c is not None)
