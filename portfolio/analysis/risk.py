"""Schedule risk of the chosen portfolio: its first objective and shortfalls in every sample.

`RiskResult` holds what the Risk and RiskSamples sheets, the Summary's risk rows and
Selection's `risk_contribution` report; its statistics follow the contract: means over the
samples and nearest-rank percentiles (P_q is the ceil(q/100 * N)-th smallest value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from portfolio.inputs.case import Case, demand_key
from portfolio.inputs.vocabulary import RiskObjective
from portfolio.model.samples import Samples

#: A Demand row is covered in a sample when its shortfall is at most this many tonnes.
COVERED_T = 1e-6


def percentile(values: np.ndarray, q: float) -> float:
    """The nearest-rank percentile: the ceil(q/100 * N)-th smallest value (N >= 1)."""
    ordered = np.sort(np.asarray(values, dtype=float))
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


@dataclass(frozen=True)
class RowRisk:
    """One Demand row's shortfall over the samples (the Risk sheet's row)."""

    row: int
    plan_shortfall_t: float
    mean_shortfall_t: float
    p10_shortfall_t: float
    p50_shortfall_t: float
    p90_shortfall_t: float
    prob_covered: float


@dataclass(frozen=True)
class Rival:
    """Under risk_objective = expected: the plan-optimal portfolio, for comparison."""

    selected: frozenset[str]
    first_objective: float
    expected_first_objective: float
    p90_first_objective: float
    budget_cost_musd: float


@dataclass(frozen=True, eq=False)
class RiskResult:
    """The chosen portfolio in every sample, with the recourse re-optimised in each.

    `first[k]` is sample k+1's first objective (weighted shortfall + weighted imports),
    `shortfall[k, r]` its shortfall of Demand row r in tonnes; `plan_shortfall[r]` and
    `plan_first` are the portfolio on its planned schedule. `contribution` holds each
    selected project's risk contribution. `method` says how the recourse was solved.
    """

    case: Case
    samples: Samples
    objective: RiskObjective
    first: np.ndarray
    shortfall: np.ndarray
    plan_shortfall: tuple[float, ...]
    plan_first: float
    contribution: dict[str, float] = field(default_factory=dict)
    rival: Rival | None = None
    method: str = "closed form"
    seconds: float = 0.0

    @property
    def count(self) -> int:
        """N, the number of samples."""
        return self.samples.count

    @property
    def seed(self) -> int:
        """risk_seed."""
        return self.samples.seed

    @property
    def expected_first(self) -> float:
        """Mean first objective over the samples."""
        return float(np.mean(self.first))

    @property
    def p90_first(self) -> float:
        """P90 of the first objective (nearest rank)."""
        return percentile(self.first, 90)

    def row(self, r: int) -> RowRisk:
        """Demand row r's shortfall distribution."""
        column = self.shortfall[:, r]
        return RowRisk(r, self.plan_shortfall[r], float(np.mean(column)),
                       percentile(column, 10), percentile(column, 50), percentile(column, 90),
                       float(np.mean(column <= COVERED_T)))

    @cached_property
    def rows(self) -> list[RowRisk]:
        """Every Demand row's distribution, in Demand sheet order."""
        return [self.row(r) for r in range(len(self.case.demands))]

    @cached_property
    def sector_years(self) -> dict[tuple[str, int], float]:
        """P(every Demand row of a sector in a year is covered), by (sector as first
        written, year), in Demand sheet order."""
        groups: dict[tuple[str, int], list[int]] = {}
        names: dict[str, str] = {}
        for r, d in enumerate(self.case.demands):
            key = demand_key(d.sector, "")[0]
            names.setdefault(key, d.sector)
            groups.setdefault((names[key], d.year), []).append(r)
        return {group: float(np.mean(np.all(self.shortfall[:, rows] <= COVERED_T, axis=1)))
                for group, rows in groups.items()}

    def changed(self) -> list[tuple[int, str, int | None]]:
        """RiskSamples' rows: (sample, project_id, online year or None = failed)."""
        return self.samples.changed()
