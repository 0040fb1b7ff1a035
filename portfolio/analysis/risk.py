"""Schedule risk of the chosen portfolio: its first objective and shortfalls in every sample.

`RiskResult` holds what the Risk and RiskSamples sheets, the Summary's risk rows and
Selection's `risk_contribution` report; its statistics follow the contract: means over the
samples and nearest-rank percentiles (P_q is the ceil(q/100 * N)-th smallest value).
"""

from __future__ import annotations

import itertools
import math
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from portfolio.analysis import sweep
from portfolio.analysis.figures import Figures, clean
from portfolio.inputs.case import Case, demand_key
from portfolio.inputs.vocabulary import RiskObjective
from portfolio.model.flows import Purchases
from portfolio.model.outcomes import SolverOptions
from portfolio.model.recourse import SampleLP, closed, closed_form, closed_on_plan
from portfolio.model.samples import Samples, draw

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
    selected project's risk contribution. `method` says how the recourse was solved; with
    the LP, `lps` counts the LPs solved and the schedules settled without one (see
    `SampleLP.first_near`).
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
    lps: tuple[int, int] = (0, 0)

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
        """P(every Demand row of a sector in a year is covered), by (sector, year).

        Sectors are spelled as first written; keys follow the Demand sheet's order.
        """
        groups: dict[tuple[str, int], list[int]] = {}
        names: dict[str, str] = {}
        for r, d in enumerate(self.case.demands):
            key = demand_key(d.sector, "")[0]
            names.setdefault(key, d.sector)
            groups.setdefault((names[key], d.year), []).append(r)
        return {group: float(np.mean(np.all(self.shortfall[:, rows] <= COVERED_T, axis=1)))
                for group, rows in groups.items()}

    @cached_property
    def sector_shares(self) -> dict[tuple[str, int], tuple[float, float, float]]:
        """(planned, mean, P10) share of demand covered, 0-1, by (sector, year).

        The share of a sample is its tonnes delivered over the tonnes demanded by every
        Demand row of the sector in that year (1 where nothing is demanded); keys as in
        `sector_years`.
        """
        groups: dict[tuple[str, int], list[int]] = {}
        names: dict[str, str] = {}
        for r, d in enumerate(self.case.demands):
            key = demand_key(d.sector, "")[0]
            names.setdefault(key, d.sector)
            groups.setdefault((names[key], d.year), []).append(r)
        demand = np.array([d.demand_t for d in self.case.demands], dtype=float)
        plan = np.array(self.plan_shortfall, dtype=float)
        out = {}
        for group, rows in groups.items():
            total = float(demand[rows].sum())
            if total <= 0:
                out[group] = (1.0, 1.0, 1.0)
                continue
            shares = 1.0 - self.shortfall[:, rows].sum(axis=1) / total
            out[group] = (1.0 - float(plan[rows].sum()) / total, float(np.mean(shares)),
                          percentile(shares, 10))
        return out

    def changed(self) -> list[tuple[int, str, int | None]]:
        """RiskSamples' rows: (sample, project_id, online year or None = failed)."""
        return self.samples.changed()


@dataclass(frozen=True, eq=False)
class _Part:
    """One chunk's samples: first objectives, shortfalls, and the same on plan per project.

    `planned[k, i]` is sample k's first objective with the i-th selected project on its
    planned schedule (NaN where it already was).
    """

    first: np.ndarray
    shortfall: np.ndarray
    planned: np.ndarray
    lps: tuple[int, int]


@dataclass(frozen=True)
class _Chunk:
    """What a worker needs to evaluate samples [start, stop); its LP is built once."""

    case: Case
    selected: frozenset[str]
    bought: Purchases
    options: SolverOptions
    order: tuple[str, ...]
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __call__(self, span: tuple[int, int]) -> _Part:
        lp = _lp(self)
        before = (lp.counts.solved, lp.counts.settled)
        online = lp.samples.online[span[0]:span[1]]
        count = online.shape[0]
        first, shortfall = np.zeros(count), np.zeros((count, len(self.case.demands)))
        planned = np.full((count, len(self.order)), np.nan)
        columns = [lp.samples.column[pid] for pid in self.order]
        for k in range(count):
            first[k], shortfall[k] = lp.solve(online[k])
            for i, j in enumerate(columns):
                if online[k, j] != lp.samples.planned[j]:
                    row = online[k].copy()
                    row[j] = lp.samples.planned[j]
                    planned[k, i] = lp.first_near(row)
        return _Part(first, shortfall, planned,
                     (lp.counts.solved - before[0], lp.counts.settled - before[1]))


_BUILT: dict[str, SampleLP] = {}


def _lp(chunk: _Chunk) -> SampleLP:
    """The recourse LP of this process for the chunk's portfolio (one kept)."""
    if chunk.key not in _BUILT:
        _BUILT.clear()
        _BUILT[chunk.key] = SampleLP(chunk.case, chunk.selected, chunk.bought,
                                     draw(chunk.case), chunk.options)
    return _BUILT[chunk.key]


def spans(count: int, pieces: int) -> list[tuple[int, int]]:
    """[start, stop) sample ranges: `pieces` of them, as even as they come."""
    pieces = max(1, min(count, pieces))
    edges = np.linspace(0, count, pieces + 1).round().astype(int).tolist()
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


#: Sample ranges per risk sweep with the LP (each ends with a tick of the progress bar).
CHUNKS = 20


def chunks(case: Case) -> int:
    """How many tasks the risk sweep of this case has (1 for the closed form)."""
    return 1 if closed(case) else len(spans(case.risk_samples, CHUNKS))


def assess(case: Case, figures: Figures, options: SolverOptions, *,
           pool: Executor | None = None, progress: Callable[[], object] | None = None,
           rival: Rival | None = None) -> RiskResult:
    """The portfolio of `figures` in every sample of the case, with risk contributions.

    Risk contribution of a selected project p: the mean over samples of the sample's first
    objective minus the same sample's with p on its planned schedule and not failed.
    """
    began = time.perf_counter()
    samples = draw(case)
    order = tuple(figures.selected)
    lps = (0, 0)
    if closed(case):
        out = closed_form(case, figures.solution.selected, samples)
        first, shortfall = out.first, out.shortfall
        planned = closed_on_plan(case, figures.solution.selected, samples, out, order)
        if progress:
            progress()
        method = "closed form"
    else:
        job = _Chunk(case, figures.solution.selected, dict(figures.solution.bought), options,
                     order)
        try:
            parts = sweep.run(pool, job, spans(samples.count, CHUNKS), progress)
        finally:
            _BUILT.pop(job.key, None)
        first = np.concatenate([p.first for p in parts])
        shortfall = np.concatenate([p.shortfall for p in parts])
        planned = np.concatenate([p.planned for p in parts])
        lps = (sum(p.lps[0] for p in parts), sum(p.lps[1] for p in parts))
        method = "one LP per sample"
    gain = np.where(np.isnan(planned), 0.0, first[:, None] - np.nan_to_num(planned))
    scale = float(np.mean(first))
    contribution = {pid: clean(float(np.mean(gain[:, i])), scale)
                    for i, pid in enumerate(order)}
    return RiskResult(case, samples, case.settings.risk_objective, first, shortfall,
                      tuple(row.shortfall_t for row in figures.coverage),
                      figures.planned_first, contribution, rival, method,
                      time.perf_counter() - began, lps)


def rival(case: Case, figures: Figures, options: SolverOptions) -> Rival:
    """The plan-optimal portfolio (`figures`) in the same samples.

    For the Summary's comparison with the sample-average optimum (`figures` was solved with
    risk_objective = plan).
    """
    samples = draw(case)
    if closed(case):
        first = closed_form(case, figures.solution.selected, samples).first
    else:
        first = SampleLP(case, figures.solution.selected, figures.solution.bought, samples,
                         options).outcome(samples.online).first
    return Rival(figures.solution.selected, figures.first_objective, float(np.mean(first)),
                 percentile(first, 90), figures.total_cost)
