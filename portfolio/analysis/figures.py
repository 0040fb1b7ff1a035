"""Figures of a portfolio, recomputed from the selection and face values alone.

Nothing here reads the solver's expressions: coverage, budget use and pool use are
computed again from the inputs, so the output workbook states what the portfolio does,
not what the model believed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from portfolio.constants import NOISE
from portfolio.inputs.case import Case, demand_key
from portfolio.inputs.rows import INSTRUMENTS, Demand
from portfolio.inputs.stockrows import StockpileRow, country_key
from portfolio.model.flows import Flows, flows
from portfolio.model.outcomes import Solution
from portfolio.model.recourse import mean_first


def clean(value: float, scale: float) -> float:
    """A difference within solver tolerance (1e-6 relative to `scale`) is exactly zero."""
    return 0.0 if abs(value) <= NOISE * max(1.0, abs(scale)) else value


@dataclass(frozen=True)
class CoverageRow:
    """Supply against one Demand row."""

    demand: Demand
    supply_t: float

    @property
    def shortfall_t(self) -> float:
        """max(0, demand - supply)."""
        return max(0.0, self.demand.demand_t - self.supply_t)

    @property
    def coverage_pct(self) -> float:
        """Share of demand covered, 0-100 (100 where nothing is demanded)."""
        if self.demand.demand_t <= 0:
            return 100.0
        return 100.0 * (self.demand.demand_t - self.shortfall_t) / self.demand.demand_t


@dataclass(frozen=True)
class Figures:
    """Everything the output sheets report about one portfolio."""

    case: Case
    solution: Solution

    @property
    def selected(self) -> list[str]:
        """Selected project ids in input order."""
        return [p.project_id for p in self.case.projects if p.project_id in
                self.solution.selected]

    def rate(self, pool_id: str) -> float:
        """Budget cost rate of a pool."""
        return self.case.pool_by_id[pool_id].budget_cost_rate

    def project_cost(self, pid: str) -> float:
        """Budget cost scored for a project's financing."""
        return sum(v * self.rate(i) for (p, i), v in self.solution.face.items() if p == pid)

    def public_finance(self, pid: str) -> float:
        """Face value of all public financing of a project."""
        return sum(v for (p, _), v in self.solution.face.items() if p == pid)

    def by_instrument(self, pid: str) -> dict[str, float]:
        """Face value per instrument for a project (every instrument present, 0 if unused)."""
        out = dict.fromkeys(INSTRUMENTS, 0.0)
        for (p, i), v in self.solution.face.items():
            if p == pid:
                out[self.case.pool_by_id[i].instrument] += v
        return out

    @property
    def financing_cost(self) -> float:
        """Budget cost of the financing alone."""
        return sum(v * self.rate(i) for (_, i), v in self.solution.face.items())

    @property
    def total_cost(self) -> float:
        """Total budget cost of the portfolio: financing and stockpiles."""
        return self.financing_cost + self.stock_cost

    # --- stockpiles (v2) ------------------------------------------------------------------

    def bought(self, kid: str, year: int) -> float:
        """b_kY: tonnes the stockpile buys in a year."""
        return self.solution.bought.get((kid, year), 0.0)

    def held_to_date(self, stock: StockpileRow, year: int) -> float:
        """H_kY: initial stock plus everything bought up to and including the year."""
        return stock.initial_t + sum(v for (k, t), v in self.solution.bought.items()
                                     if k == stock.stockpile_id and t <= year)

    def most_held(self, stock: StockpileRow) -> float:
        """The most stock it holds ready: initial stock plus everything it buys."""
        return self.held_to_date(stock, self.case.plan_years[-1])

    def stock_cost_in(self, stock: StockpileRow, year: int) -> float:
        """Budget cost of a stockpile in a plan year: purchases plus holding on H_kY."""
        per_t = stock.price_usd_per_kg / 1000
        return per_t * (self.bought(stock.stockpile_id, year)
                        + stock.holding_cost_pct / 100 * self.held_to_date(stock, year))

    @property
    def stock_cost(self) -> float:
        """Budget cost of every stockpile over the plan."""
        return sum(self.stock_cost_in(k, y) for k in self.case.stockpiles
                   for y in self.case.plan_years)

    def country_cost(self, key: str, year: int | None = None) -> float:
        """Budget cost a country bears (its pools and stockpiles), in total or in a year."""
        case = self.case
        total = 0.0
        for (pid, iid), value in self.solution.face.items():
            if case.pool_country(case.pool_by_id[iid]) != key:
                continue
            share = 1.0 if year is None else \
                case.disbursement(case.project_by_id[pid]).get(year, 0.0)
            total += share * value * self.rate(iid)
        years = case.plan_years if year is None else (year,)
        total += sum(self.stock_cost_in(k, y) for k in case.stockpiles
                     if country_key(k.country) == key for y in years if y in case.plan_years)
        return total

    @cached_property
    def flows(self) -> Flows | None:
        """The selection's chain flows (None for a workbook without chains)."""
        if not self.case.chains:
            return None
        return flows(self.case, self.solution.selected, self.solution.bought)

    @cached_property
    def coverage(self) -> list[CoverageRow]:
        """One row per Demand row, in input order (with chains: the tonnes delivered)."""
        if self.flows is not None:
            return [CoverageRow(d, self.flows.delivered.get(row, 0.0))
                    for row, d in enumerate(self.case.demands)]
        return [CoverageRow(d, self.case.supply(self.selected, d))
                for d in self.case.demands]

    @property
    def weighted_shortfall(self) -> float:
        """Sum weight * shortfall over Demand rows."""
        return sum(r.demand.weight * r.shortfall_t for r in self.coverage)

    @property
    def weighted_imports(self) -> float:
        """Sum weight * tonnes imported (0 without chains)."""
        return 0.0 if self.flows is None else self.flows.weighted_imports

    @property
    def planned_first(self) -> float:
        """Weighted shortfall + weighted imports on the planned schedule."""
        return self.weighted_shortfall + self.weighted_imports

    @property
    def first_objective(self) -> float:
        """What stage 1 minimises: weighted shortfall + weighted imports.

        That is `planned_first`, or under risk_objective = expected its mean over the samples.
        """
        if self.case.expected:
            return mean_first(self.case, self.solution.selected, self.solution.bought)
        return self.planned_first

    @cached_property
    def cost_by_year(self) -> dict[int, float]:
        """Budget cost disbursed per year, stockpile costs in the year they occur.

        Financing follows CapexSchedule shares, else falls all in start_year.
        """
        out: dict[int, float] = defaultdict(float)
        for pid in self.selected:
            cost = self.project_cost(pid)
            for year, share in self.case.disbursement(self.case.project_by_id[pid]).items():
                out[year] += cost * share
        for stock in self.case.stockpiles:
            for year in self.case.plan_years:
                if (cost := self.stock_cost_in(stock, year)) > 0:
                    out[year] += cost
        return dict(sorted(out.items()))

    @cached_property
    def sectors(self) -> dict[str, tuple[float, float]]:
        """(tonnes demanded, tonnes covered) per sector over all materials and years.

        Sectors are keyed by the spelling of their first Demand row and kept in Demand order.
        """
        out: dict[str, tuple[float, float]] = {}
        names: dict[str, str] = {}
        for row in self.coverage:
            sector = names.setdefault(demand_key(row.demand.sector, "")[0], row.demand.sector)
            demand, covered = out.get(sector, (0.0, 0.0))
            out[sector] = (demand + row.demand.demand_t,
                           covered + row.demand.demand_t - row.shortfall_t)
        return out

    def sector_coverage_pct(self) -> dict[str, float]:
        """Tonnes covered / tonnes demanded per sector, 0-100 (100 where nothing is demanded)."""
        return {s: 100.0 * covered / demand if demand > 0 else 100.0
                for s, (demand, covered) in self.sectors.items()}

    @property
    def covered_pct(self) -> float:
        """Tonnes covered / tonnes demanded over every Demand row, 0-100."""
        demand = sum(d for d, _ in self.sectors.values())
        covered = sum(c for _, c in self.sectors.values())
        return 100.0 * covered / demand if demand > 0 else 100.0

    def less(self, base: Figures) -> tuple[float, float]:
        """(first objective, budget cost) of this portfolio less the base's, noise removed."""
        return (clean(self.first_objective - base.first_objective, base.first_objective),
                clean(self.total_cost - base.total_cost, base.total_cost))

    def pool_used(self, pool_id: str) -> float:
        """Face value committed from a pool."""
        return sum(v for (_, i), v in self.solution.face.items() if i == pool_id)
