"""Solving changed copies of a pipeline: the engine of the frontier, scenarios and sensitivity.

Each analysis asks the same question many times over ("the optimum if the budget were X",
"if magnet demand rose 50%"): a changed `Case` optimised exactly as the base case is,
by `solve.optimise`. The solves are independent, so they run as one sweep on the ranking's
executor (`portfolio.analysis.sweep`), and each comes back as a `Variant` whose figures are
recomputed from the inputs it was solved for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from functools import cached_property

from portfolio.analysis import sweep
from portfolio.analysis.diagnose import diagnose
from portfolio.analysis.figures import Figures
from portfolio.constants import NOISE
from portfolio.inputs.case import Case
from portfolio.inputs.vocabulary import Objective, RiskObjective
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import Solution, SolverOptions, Status

DIAGNOSIS_LINES = 2


@dataclass(frozen=True)
class Variant:
    """A changed pipeline and the portfolio found for it."""

    case: Case
    solution: Solution
    diagnosis: tuple[str, ...] = ()

    @cached_property
    def figures(self) -> Figures:
        """The portfolio's figures, recomputed against the changed inputs."""
        return Figures(self.case, self.solution)

    @property
    def solved(self) -> bool:
        """Whether a portfolio meeting every hard constraint was found."""
        return self.solution.status.has_solution

    def objective(self) -> tuple[float, float]:
        """(first objective, budget cost): compared lexicographically, smaller is better.

        The first objective is the weighted shortfall (plus weighted imports with chains);
        under `min_cost` every feasible portfolio delivers everything, so it is 0.
        """
        if self.figures.case.settings.objective == Objective.MIN_COST:
            return (0.0, self.figures.total_cost)  # import weights are unused under min_cost
        return (self.figures.first_objective, self.figures.total_cost)

    def better_than(self, other: Variant) -> bool:
        """Strictly better lexicographically, beyond solver noise (1e-6 relative)."""
        mine, theirs = self.objective(), other.objective()
        for a, b in zip(mine, theirs, strict=True):
            if a < b - NOISE * max(1.0, abs(b)):
                return True
            if a > b + NOISE * max(1.0, abs(b)):
                return False
        return False

    def same_as(self, other: Variant) -> bool:
        """Equal shortfall and cost within solver noise."""
        return not self.better_than(other) and not other.better_than(self)

    def change(self, base: Figures) -> tuple[float, float] | None:
        """(weighted shortfall, budget cost) less the base's; None without a portfolio."""
        return self.figures.less(base) if self.solved else None

    def moved(self, base: Figures) -> tuple[list[str], list[str]]:
        """Projects in this portfolio but not the base one, and the reverse (input order)."""
        mine, theirs = set(self.solution.selected), set(base.solution.selected)
        order = [p.project_id for p in self.case.projects]
        return ([pid for pid in order if pid in mine - theirs],
                [pid for pid in order if pid in theirs - mine])


@dataclass(frozen=True)
class Task:
    """One changed pipeline to optimise, with a portfolio to try first (kept if feasible)."""

    case: Case
    hint: Solution | None = None


@dataclass(frozen=True)
class _Optimise:
    """The worker's function: optimise a task as the base case is optimised."""

    options: SolverOptions
    tie_break: bool
    explain: bool

    def __call__(self, task: Task) -> Variant:
        solution = optimise(task.case, self.options, tie_break=self.tie_break,
                            hint=task.hint)
        lines: tuple[str, ...] = ()
        if self.explain and solution.status is Status.INFEASIBLE:
            lines = tuple(diagnose(task.case, self.options)[:DIAGNOSIS_LINES])
        return Variant(task.case, solution, lines)


def solve_all(tasks: Sequence[Task], options: SolverOptions, *, pool: Executor | None = None,
              progress: Callable[[], object] | None = None, tie_break: bool = True,
              explain: bool = False) -> list[Variant]:
    """Optimise every task (in task order) on `pool`; None runs them in this process.

    `tie_break` breaks ties as the base case does where the optimum is exact (gap 0), so
    the reported portfolios are the ones a rerun gives; `explain` adds the first lines of
    the infeasibility diagnosis to a variant without a feasible portfolio.
    """
    return sweep.run(pool, _Optimise(options, tie_break, explain), list(tasks), progress)


def with_total_budget(case: Case, total: float) -> Case:
    """The pipeline with another total_budget_musd (nothing else changed)."""
    settings = case.settings.model_copy(update={"total_budget_musd": total})
    return replace(case, settings=settings, warnings=())


def on_plan(case: Case) -> Case:
    """The pipeline optimised on its planned schedule (risk_objective = plan).

    The frontier and the scenarios are solved so: the contract applies risk analysis to
    the base case only.
    """
    if case.settings.risk_objective == RiskObjective.PLAN:
        return case
    settings = case.settings.model_copy(update={"risk_objective": RiskObjective.PLAN})
    return replace(case, settings=settings, warnings=())
