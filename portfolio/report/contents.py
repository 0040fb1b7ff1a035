"""The report's contents: everything the results workbook shows, as one typed value.

`portfolio.run` fills it stage by stage; the sheets and the panel only read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from portfolio.analysis.comparison import Outcome
from portfolio.analysis.figures import Figures
from portfolio.analysis.frontier import Frontier
from portfolio.analysis.rank import Regret
from portfolio.analysis.sensitivity import Marginal
from portfolio.inputs.case import Case
from portfolio.model.outcomes import Solution, SolverOptions
from portfolio.report.changes import Previous

CRITICAL = "critical"


@dataclass(frozen=True)
class Report:
    """Everything the results workbook shows."""

    case: Case
    solution: Solution
    options: SolverOptions
    input_path: Path
    regrets: Sequence[Regret] = ()
    reasons: dict[str, str] = field(default_factory=dict)
    diagnosis: Sequence[str] = ()
    ranking: str = "regret"
    frontier: Frontier | None = None
    scenarios: Sequence[Outcome] | None = None
    sensitivity: Sequence[Marginal] | None = None
    target: Path | None = None
    json: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    previous: Previous | None = None

    @property
    def rank_seconds(self) -> float:
        """Time spent re-optimising for the regret ranking (0 when not ranked)."""
        return self.timings.get("rank", 0.0)

    @property
    def analysis_seconds(self) -> float:
        """Time spent on the frontier, scenario and sensitivity sweeps."""
        return self.timings.get("analyse", 0.0)

    @cached_property
    def figures(self) -> Figures:
        """The portfolio's recomputed figures."""
        return Figures(self.case, self.solution)
