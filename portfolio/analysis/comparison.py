"""Scenario comparison: the base case and every scenario of the Scenarios sheet, solved alike.

Each scenario is the base pipeline with its changes applied (`portfolio.inputs.scenarios`),
optimised exactly as the base case is (ties broken the same way where the optimum is
exact), so a difference between two rows is the scenario's doing and not the solver's.
A scenario without a feasible portfolio keeps the first lines of its diagnosis.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from portfolio.analysis.figures import Figures
from portfolio.analysis.variants import Task, Variant, solve_all
from portfolio.inputs.case import Case
from portfolio.inputs.scenarios import Scenario, apply, describe
from portfolio.model.outcomes import SolverOptions


@dataclass(frozen=True)
class Outcome:
    """One scenario's optimum next to the base case's."""

    scenario: Scenario
    description: str
    variant: Variant
    base: Figures

    def shortfall_change(self) -> float | None:
        """Weighted shortfall less the base case's (None without a portfolio)."""
        change = self.variant.change(self.base)
        return change[0] if change else None

    def cost_change(self) -> float | None:
        """Budget cost less the base case's (None without a portfolio)."""
        change = self.variant.change(self.base)
        return change[1] if change else None


def scenarios(case: Case, base: Figures, options: SolverOptions, *,
              pool: Executor | None = None, progress: Callable[[], object] | None = None,
              ) -> list[Outcome]:
    """Solve every scenario of the pipeline, in the Scenarios sheet's order."""
    changed = [apply(case, scenario) for scenario in case.scenarios]
    hint = base.solution if base.solution.status.has_solution else None
    variants = solve_all([Task(p, hint=hint) for p in changed], options, pool=pool,
                         progress=progress, explain=True)
    return [Outcome(s, describe(s), v, base)
            for s, v in zip(case.scenarios, variants, strict=True)]
