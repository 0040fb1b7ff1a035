"""The report's contents: everything the results workbook shows, as one typed value.

`portfolio.run` fills it stage by stage; the sheets and the panel only read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any

from portfolio.analysis.comparison import Outcome
from portfolio.analysis.figures import Figures
from portfolio.analysis.frontier import Frontier
from portfolio.analysis.rank import Regret
from portfolio.analysis.risk import RiskResult
from portfolio.analysis.sensitivity import Marginal
from portfolio.inputs.case import Case
from portfolio.inputs.rows import Settings
from portfolio.model.outcomes import Solution, SolverOptions
from portfolio.report.changes import Previous

CRITICAL = "critical"
#: Where a setting's value came from: the Settings sheet, the contract's default, or a
#: command-line option (its name).
FROM_SETTINGS, DEFAULT = "Settings", "default"
#: The command-line options that override a Settings value, by setting.
OVERRIDES = {"mip_gap": "--gap", "time_limit_s": "--time-limit",
             "risk_samples": "--risk-samples"}


@dataclass(frozen=True)
class Switches:
    """The command line's choices for a run, as given (None: not given), for the Summary.

    `cores` is the number of cores of the machine that ran it (the default for `workers`).
    """

    gap: float | None = None
    time_limit: float | None = None
    frontier: bool = True
    scenarios: bool = True
    sensitivity: bool = True
    workers: int | None = None
    scheduler: str | None = None
    cores: int | None = None
    risk_samples: int | None = None


#: Each setting in a few words, for the Summary (a field without them: its Guide text).
ABOUT = {
    "plan_start_year": "month 0 of the plan is 1 January of this year",
    "max_lead_time_months": "longest lead time a selected project may have (blank: no limit)",
    "max_public_share": "most public finance per project, as a share of its capex",
    "mip_gap": "relative gap at which the solver may stop (the setting mip_gap)",
    "frontier_steps": "budget levels of the efficient frontier",
    "frontier_top_pct": "highest frontier level, % of total_budget_musd",
    "sensitivity_step_musd": "amount each limit is raised by in the sensitivity re-solves, "
                             "USD m",
}


@dataclass(frozen=True)
class InEffect:
    """One setting as the run used it, and where its value came from (see `FROM_SETTINGS`)."""

    name: str
    value: Any
    source: str

    @property
    def origin(self) -> str:
        """Where the value came from, in words: from Settings, default, or from --gap."""
        if self.source == FROM_SETTINGS:
            return "from Settings"
        if self.source == DEFAULT:
            return "default (not on the Settings sheet)"
        return f"from {self.source}"

    @property
    def about(self) -> str:
        """The setting in a few words."""
        return ABOUT.get(self.name) or str(Settings.model_fields[self.name].description)


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
    switches: Switches = field(default_factory=Switches)
    risk: RiskResult | None = None

    @property
    def headline(self) -> str:
        """The terminal's line for a solved run: status, selection and the two objectives."""
        figures, case = self.figures, self.case
        extra = f", weighted imports {figures.weighted_imports:,.1f}" if case.chains else ""
        extra += f" (stockpiles {figures.stock_cost:,.1f})" if case.stockpiles else ""
        if self.risk is not None:
            extra += (f"; over {self.risk.count:,} schedule samples ({self.risk.objective}) "
                      f"the first objective averages {self.risk.expected_first:,.1f}, "
                      f"P90 {self.risk.p90_first:,.1f}")
        return (f"{self.solution.status.value}: {len(figures.selected)} of "
                f"{len(case.projects)} projects selected, weighted shortfall "
                f"{figures.weighted_shortfall:,.1f}, budget cost {figures.total_cost:,.1f} "
                f"USD m{extra}")

    @property
    def rank_seconds(self) -> float:
        """Time spent re-optimising for the regret ranking (0 when not ranked)."""
        return self.timings.get("rank", 0.0)

    @property
    def analysis_seconds(self) -> float:
        """Time spent on the frontier, scenario and sensitivity sweeps."""
        return self.timings.get("analyse", 0.0)

    @property
    def settings_in_effect(self) -> list[InEffect]:
        """Every field of Settings, in its order, with the value the run used and its source.

        A field the Settings sheet gave is from Settings, one it left out has the default;
        `--gap` and `--time-limit` override mip_gap and time_limit_s (the values in effect
        are the solver options').
        """
        settings, options = self.case.settings, self.options
        given = settings.model_fields_set
        override = {"mip_gap": self.switches.gap, "time_limit_s": self.switches.time_limit,
                    "risk_samples": self.switches.risk_samples}
        in_effect = {"mip_gap": options.gap, "time_limit_s": options.time_limit,
                     "risk_samples": self.case.risk_samples}
        out = []
        for name in Settings.model_fields:
            value = in_effect.get(name, getattr(settings, name))
            if override.get(name) is not None:
                source = OVERRIDES[name]
            else:
                source = FROM_SETTINGS if name in given else DEFAULT
            out.append(InEffect(name, value.value if isinstance(value, Enum) else value, source))
        return out

    @cached_property
    def figures(self) -> Figures:
        """The portfolio's recomputed figures."""
        return Figures(self.case, self.solution)
