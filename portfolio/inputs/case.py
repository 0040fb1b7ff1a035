"""The validated input: everything the model needs, with defaults resolved."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from portfolio.constants import DEFAULT_RISK_SAMPLES
from portfolio.inputs.riskrows import RiskRow, RiskTerms
from portfolio.inputs.rows import (
    Demand,
    ImportRow,
    InputRow,
    Offtake,
    Pool,
    Project,
    ScenarioRow,
    Settings,
    SupplyRow,
)
from portfolio.inputs.stockrows import CostShareRow, CountryBudgetRow, StockpileRow, country_key
from portfolio.inputs.vocabulary import RiskObjective

DemandKey = tuple[str, str]


def demand_key(sector: str, material: str) -> DemandKey:
    """Offtake and Demand rows match on sector and material, ignoring case and spacing."""
    return (" ".join(sector.split()).casefold(), " ".join(material.split()).casefold())


def _count(n: int, thing: str) -> str:
    """"1 pool", "2 pools"."""
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Scenario:
    """A named what-if case: the Scenarios rows sharing one name, in sheet order.

    Defined here rather than in `portfolio.inputs.scenarios` so that `Case` can hold scenarios
    without an import cycle; `portfolio.inputs.scenarios` applies them.
    """

    name: str
    changes: tuple[ScenarioRow, ...]


@dataclass(frozen=True)
class Case:
    """A checked workbook: projects (start_year and name resolved), pools, demand, limits."""

    settings: Settings
    projects: tuple[Project, ...]
    offtakes: tuple[Offtake, ...]
    demands: tuple[Demand, ...]
    pools: tuple[Pool, ...]
    schedule: dict[str, dict[int, float]] = field(default_factory=dict)
    budgets: dict[int, float] = field(default_factory=dict)
    sha256: str = ""
    warnings: tuple[str, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    inputs: tuple[InputRow, ...] = ()
    supplies: tuple[SupplyRow, ...] = ()
    imports: tuple[ImportRow, ...] = ()
    stockpiles: tuple[StockpileRow, ...] = ()
    country_budgets: tuple[CountryBudgetRow, ...] = ()
    cost_shares: tuple[CostShareRow, ...] = ()
    risks: tuple[RiskRow, ...] = ()

    @property
    def chains(self) -> bool:
        """Whether the workbook uses v2 flows (any Inputs, Supply, Imports or Stockpiles row).

        Without them the model is v1's: each project's Offtake counts toward Demand directly.
        Stock released joins a commodity's allied tonnes, so stockpiles use the chain balances.
        """
        return bool(self.inputs or self.supplies or self.imports or self.stockpiles)

    @property
    def governments(self) -> bool:
        """Whether the workbook uses v2 governments (CountryBudgets or CostShare rows)."""
        return bool(self.country_budgets or self.cost_shares)

    @property
    def contents(self) -> str:
        """What the workbook holds, in the words of `portfolio validate`'s line."""
        held = [_count(len(self.projects), "project"), _count(len(self.pools), "pool"),
                _count(len(self.demands), "demand row")]
        if self.inputs or self.supplies or self.imports:
            held.append(f"chains of {len(self.inputs)} Inputs, {len(self.supplies)} Supply "
                        f"and {len(self.imports)} Imports rows")
        if self.stockpiles:
            held.append(_count(len(self.stockpiles), "stockpile"))
        governments = [_count(n, thing) for n, thing in (
            (len(self.country_budgets), "country budget"), (len(self.cost_shares), "cost share"))
            if n]
        if governments:
            held.append(" and ".join(governments))
        if self.risk_samples:
            held.append(f"schedule risk over {_count(self.risk_samples, 'sample')} "
                        f"({self.settings.risk_objective})")
        return ", ".join(held)

    @cached_property
    def project_by_id(self) -> dict[str, Project]:
        """Projects by id."""
        return {p.project_id: p for p in self.projects}

    @cached_property
    def pool_by_id(self) -> dict[str, Pool]:
        """Pools by id."""
        return {i.pool_id: i for i in self.pools}

    def start_year(self, project: Project) -> int:
        """Year of financial close."""
        return project.start_year or self.settings.plan_start_year

    def online_year(self, project: Project) -> int:
        """First year of production: start_year + ceil(lead_time_months / 12)."""
        return self.start_year(project) + math.ceil(project.lead_time_months / 12)

    def gap(self, project: Project) -> float:
        """Financing gap public pools must close: capex less sponsor equity."""
        return project.capex_musd - project.sponsor_equity_musd

    def disbursement(self, project: Project) -> dict[int, float]:
        """Share of the project's budget cost disbursed per year."""
        return self.schedule.get(project.project_id) or {self.start_year(project): 1.0}

    def eligible(self, project: Project, pool: Pool) -> bool:
        """Whether the pool may back the project (country and stage rules)."""
        countries = {c.casefold() for c in pool.eligible_countries}
        if countries and project.country.casefold() not in countries:
            return False
        return not pool.eligible_stages or project.stage in pool.eligible_stages

    @cached_property
    def volumes(self) -> dict[str, dict[DemandKey, float]]:
        """Tonnes per year each project delivers, by sector and material."""
        out: dict[str, dict[DemandKey, float]] = {}
        for row in self.offtakes:
            per = out.setdefault(row.project_id, {})
            key = demand_key(row.sector, row.material)
            per[key] = per.get(key, 0.0) + row.volume_tpa
        return out

    def supply_contribution(self, project: Project, demand: Demand) -> float:
        """Tonnes the project adds to a Demand row's supply if selected (0 before online)."""
        if demand.year < self.online_year(project):
            return 0.0
        key = demand_key(demand.sector, demand.material)
        return self.volumes.get(project.project_id, {}).get(key, 0.0)

    def supply(self, selected: Iterable[str], demand: Demand) -> float:
        """Tonnes a selection of projects delivers to one Demand row."""
        return sum(self.supply_contribution(self.project_by_id[pid], demand) for pid in selected)

    # --- v2 chains -------------------------------------------------------------------------

    @cached_property
    def plan_years(self) -> tuple[int, ...]:
        """plan_start_year to the last Demand year (at least the start year)."""
        start = self.settings.plan_start_year
        last = max((d.year for d in self.demands), default=start)
        return tuple(range(start, max(start, last) + 1))

    @cached_property
    def consumption(self) -> dict[str, dict[DemandKey, float]]:
        """Tonnes per year each converter consumes at full output, by commodity."""
        out: dict[str, dict[DemandKey, float]] = {}
        for row in self.inputs:
            per = out.setdefault(row.project_id, {})
            key = demand_key(row.sector, row.material)
            per[key] = per.get(key, 0.0) + row.input_tpa
        return out

    def is_converter(self, project: Project) -> bool:
        """A project with Inputs rows runs at a utilisation the optimiser chooses."""
        return project.project_id in self.consumption

    @cached_property
    def supply_t(self) -> dict[tuple[DemandKey, int], float]:
        """Allied tonnes outside the pipeline per commodity and year (Supply sheet)."""
        out: dict[tuple[DemandKey, int], float] = {}
        for row in self.supplies:
            key = (demand_key(row.sector, row.material), row.year)
            out[key] = out.get(key, 0.0) + row.supply_t
        return out

    @cached_property
    def import_terms(self) -> dict[tuple[DemandKey, int], tuple[float | None, float]]:
        """(max_t or None for unlimited, weight) per commodity and plan year that may import."""
        out: dict[tuple[DemandKey, int], tuple[float | None, float]] = {}
        for row in self.imports:
            key = demand_key(row.sector, row.material)
            years = self.plan_years if row.year is None else (row.year,)
            for year in years:
                out[(key, year)] = (row.max_t, row.weight)
        return out

    @cached_property
    def commodity_names(self) -> dict[DemandKey, tuple[str, str]]:
        """The spelling of each commodity as first written (Demand, Offtake, Inputs, ...)."""
        out: dict[DemandKey, tuple[str, str]] = {}
        rows: list[Demand | Offtake | InputRow | SupplyRow | ImportRow | StockpileRow] = [
            *self.demands, *self.offtakes, *self.inputs, *self.supplies, *self.imports,
            *self.stockpiles]
        for row in rows:
            out.setdefault(demand_key(row.sector, row.material), (row.sector, row.material))
        return out

    def commodity_label(self, key: DemandKey) -> str:
        """`sector/material` as the workbook spells it, for sentences."""
        sector, material = self.commodity_names.get(key, key)
        return f"{sector}/{material}"

    # --- v2 stockpiles and governments ------------------------------------------------------

    @cached_property
    def stockpile_by_id(self) -> dict[str, StockpileRow]:
        """Stockpiles by id."""
        return {k.stockpile_id: k for k in self.stockpiles}

    def buying_years(self, stockpile: StockpileRow) -> tuple[int, ...]:
        """Plan years in which the stockpile may buy: plan start to buy_until_year."""
        last = stockpile.buy_until_year or self.settings.plan_start_year
        return tuple(y for y in self.plan_years if y <= last)

    def stock_key(self, stockpile: StockpileRow) -> DemandKey:
        """The commodity a stockpile holds."""
        return demand_key(stockpile.sector, stockpile.material)

    @cached_property
    def countries(self) -> dict[str, str]:
        """Every country a pool, stockpile, CountryBudgets or CostShare row names, by key.

        Values are the spelling first written; the Countries sheet lists them in this order.
        """
        out: dict[str, str] = {}
        for name in [*(i.country for i in self.pools if i.country),
                     *(k.country for k in self.stockpiles),
                     *(r.country for r in self.country_budgets),
                     *(r.country for r in self.cost_shares)]:
            out.setdefault(country_key(name), name)
        return out

    def pool_country(self, pool: Pool) -> str | None:
        """The key of the country whose budget a pool draws on (None: no country)."""
        return country_key(pool.country) if pool.country else None

    def country_name(self, key: str) -> str:
        """A country as the workbook spells it."""
        return self.countries.get(key, key)

    # --- v2 risk ----------------------------------------------------------------------------

    @property
    def risk_used(self) -> bool:
        """Whether the workbook gives risk data: a Risk row or a filled risk cell on Projects.

        An empty risk column alone does not count, so a v1 workbook made from the template
        solves as v1.
        """
        return bool(self.risks) or any(p.risk_cells for p in self.projects)

    @property
    def risk_samples(self) -> int:
        """Settings risk_samples; blank: 500 where risk data is given, else 0 (no risk)."""
        if self.settings.risk_samples is not None:
            return self.settings.risk_samples
        return DEFAULT_RISK_SAMPLES if self.risk_used else 0

    @property
    def expected(self) -> bool:
        """Whether the sample average is optimised (risk_objective = expected, samples > 0)."""
        return self.settings.risk_objective == RiskObjective.EXPECTED and self.risk_samples > 0

    @cached_property
    def risk_by_stage(self) -> dict[str, RiskRow]:
        """Risk rows by stage."""
        return {str(r.stage): r for r in self.risks}

    def risk_terms(self, project: Project) -> RiskTerms:
        """The project's failure chance and delay law, each value resolved on its own.

        failure_prob and delay_mode_months: the Projects cell if filled, else the stage's
        Risk row, else 0. delay_max_months: the Projects cell if filled, else the stage
        row's delay_max_months if that row gives one, else the resolved mode. So a project
        that fills only its mode keeps its stage row's max where the row gives one (validation
        refuses a mode above it), and takes its own mode as max where the row's is blank.
        """
        row = self.risk_by_stage.get(str(project.stage))
        fail = project.failure_prob if project.failure_prob is not None else \
            (row.failure_prob if row else 0.0)
        mode = project.delay_mode_months if project.delay_mode_months is not None else \
            (row.delay_mode_months if row else 0.0)
        if project.delay_max_months is not None:
            top = project.delay_max_months
        elif row is not None and row.delay_max_months is not None:
            top = row.delay_max_months
        else:
            top = mode
        return RiskTerms(fail, mode, top)
