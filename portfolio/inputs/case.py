"""The validated input: everything the model needs, with defaults resolved."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from portfolio.inputs.rows import Demand, Offtake, Pool, Project, ScenarioRow, Settings

DemandKey = tuple[str, str]


def demand_key(sector: str, material: str) -> DemandKey:
    """Offtake and Demand rows match on sector and material, ignoring case and spacing."""
    return (" ".join(sector.split()).casefold(), " ".join(material.split()).casefold())


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
