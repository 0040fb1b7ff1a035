"""What-if scenarios: the base pipeline with a few of its inputs changed.

Reviewers ask "what if the budget is cut 20%?" or "what if every mine takes two more years
to permit?". Instead of copying the workbook and editing it by hand, the optional Scenarios
sheet names such cases, one change per row, and this module turns one of them into a changed
copy of the validated pipeline that is solved like any other. `portfolio.inputs.validate`
has already checked every target (years, sectors, materials, pools, stages, projects) and
every value, so applying a scenario cannot fail. Changes of one scenario compose: factors on
the same limit multiply, delays add up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from portfolio.inputs.case import Case, Scenario, demand_key
from portfolio.inputs.rows import (
    ALL,
    NO_LIMIT,
    STAGES,
    TOTAL,
    Demand,
    ImportRow,
    Project,
    ScenarioRow,
)
from portfolio.inputs.stockrows import country_key
from portfolio.inputs.vocabulary import Change, Lock, ScenarioLock
from portfolio.workbook.values import shown

__all__ = ["Scenario", "apply", "describe", "matches_demand", "matches_import",
           "matches_project"]


def matches_demand(target: str, demand: Demand) -> bool:
    """Whether a demand_factor target names this Demand row's sector or material.

    Names match as Offtake and Demand rows do: ignoring case and repeated spaces.
    """
    name = demand_key(target, "")[0]
    return name in demand_key(demand.sector, demand.material)


def matches_import(target: str, sector: str, material: str) -> bool:
    """Whether an imports_factor target names this commodity's material or sector/material.

    Ignoring case and spacing; a material may itself hold a '/'.
    """
    name = demand_key(target, "")[0]
    sector_key, material_key = demand_key(sector, material)
    return name in (material_key, f"{sector_key}/{material_key}")


def _import(row: ImportRow, factor: float) -> ImportRow:
    """An Imports row with its cap scaled: unlimited stays unlimited unless the factor is 0."""
    if factor == 1.0 or (row.max_t is None and factor != 0.0):
        return row
    return row.model_copy(update={"max_t": 0.0 if row.max_t is None else row.max_t * factor})


def matches_project(target: str, project: Project) -> bool:
    """Whether a delay_months target (a stage or a project_id) names this project."""
    if target.casefold() in STAGES:
        return project.stage == target.casefold()
    return project.project_id == target


def apply(case: Case, scenario: Scenario) -> Case:
    """The pipeline with the scenario's changes applied; the input is left unchanged.

    - budget_factor multiplies total_budget_musd and/or annual Budget limits;
    - demand_factor multiplies demand_t of the Demand rows of a sector or material;
    - capacity_factor multiplies capacity_musd of Financing pools;
    - lock sets a project's lock (`free` removes it);
    - delay_months lengthens lead_time_months, so a delayed project comes online later
      (start_year + ceil(lead time / 12)) and is also measured against the schedule limit
      (max_lead_time_months) with its longer lead time;
    - max_lead_time_months replaces the schedule limit (`none`: no limit);
    - imports_factor multiplies the max_t of Imports rows of a material or sector/material
      (0 = an export ban; a blank, unlimited max_t stays unlimited unless the factor is 0);
    - country_budget_factor multiplies budget_musd of a country's CountryBudgets rows (every
      country's for all).

    The result has no scenarios of its own; input hash, warnings and disbursement schedule
    are kept.
    """
    settings = case.settings
    total = settings.total_budget_musd
    budgets = dict(case.budgets)
    demand_factors = [1.0] * len(case.demands)
    capacity_factors = {pool.pool_id: 1.0 for pool in case.pools}
    locks: dict[str, Lock | None] = {}
    delays = {project.project_id: 0 for project in case.projects}
    limit = settings.max_lead_time_months
    import_factors = [1.0] * len(case.imports)
    country_factors = [1.0] * len(case.country_budgets)

    for row in scenario.changes:
        if row.change == Change.BUDGET_FACTOR:
            factor = float(row.value)
            if row.everything or str(row.target).casefold() == TOTAL:
                total *= factor
            for year in budgets:
                if row.everything or _year(row) == year:
                    budgets[year] *= factor
        elif row.change == Change.DEMAND_FACTOR:
            for n, demand in enumerate(case.demands):
                if row.everything or matches_demand(str(row.target), demand):
                    demand_factors[n] *= float(row.value)
        elif row.change == Change.CAPACITY_FACTOR:
            for pool_id in capacity_factors:
                if row.everything or pool_id == row.target:
                    capacity_factors[pool_id] *= float(row.value)
        elif row.change == Change.LOCK:
            free = row.value == ScenarioLock.FREE
            locks[str(row.target)] = None if free else Lock(str(row.value))
        elif row.change == Change.DELAY_MONTHS:
            for project in case.projects:
                if row.everything or matches_project(str(row.target), project):
                    delays[project.project_id] += int(row.value)
        elif row.change == Change.MAX_LEAD_TIME_MONTHS:
            limit = None if row.value == NO_LIMIT else int(row.value)
        elif row.change == Change.IMPORTS_FACTOR:
            for n, terms in enumerate(case.imports):
                if row.everything or matches_import(str(row.target), terms.sector,
                                                    terms.material):
                    import_factors[n] *= float(row.value)
        elif row.change == Change.COUNTRY_BUDGET_FACTOR:
            for n, budget in enumerate(case.country_budgets):
                if row.everything or country_key(str(row.target)) == country_key(budget.country):
                    country_factors[n] *= float(row.value)

    projects = tuple(_project(p, delays[p.project_id], locks) for p in case.projects)
    demands = tuple(
        d if f == 1.0 else d.model_copy(update={"demand_t": d.demand_t * f})
        for d, f in zip(case.demands, demand_factors, strict=True)
    )
    pools = tuple(
        i if capacity_factors[i.pool_id] == 1.0
        else i.model_copy(update={"capacity_musd": i.capacity_musd * capacity_factors[i.pool_id]})
        for i in case.pools
    )
    return replace(
        case,
        settings=settings.model_copy(update={"total_budget_musd": total,
                                             "max_lead_time_months": limit}),
        projects=projects,
        demands=demands,
        pools=pools,
        budgets=budgets,
        scenarios=(),
        imports=tuple(_import(r, f) for r, f in zip(case.imports, import_factors, strict=True)),
        country_budgets=tuple(
            r if f == 1.0 else r.model_copy(update={"budget_musd": r.budget_musd * f})
            for r, f in zip(case.country_budgets, country_factors, strict=True)),
    )


def _year(row: ScenarioRow) -> int | None:
    """The Budget year a budget_factor row targets, if it targets one."""
    return int(row.target) if row.target is not None and row.target.isdigit() else None


def _project(project: Project, delay: int, locks: dict[str, Lock | None]) -> Project:
    update: dict[str, object] = {}
    if delay:
        update["lead_time_months"] = project.lead_time_months + delay
    if project.project_id in locks:
        update["lock"] = locks[project.project_id]
    return project.model_copy(update=update) if update else project


def describe(scenario: Scenario) -> str:
    """The scenario's changes in one line a reviewer reads, in the order of the sheet.

    e.g. "total budget and annual budgets x 0.8; magnets demand x 1.5; mining lead times
    +24 months; lock US-TX in; schedule limit 60 months".
    """
    return "; ".join(_PHRASES[row.change](row) for row in scenario.changes)


def _budget(row: ScenarioRow) -> str:
    if row.everything:
        return f"total budget and annual budgets x {shown(row.value)}"
    if str(row.target).casefold() == TOTAL:
        return f"total budget x {shown(row.value)}"
    return f"{row.target} budget x {shown(row.value)}"


def _demand(row: ScenarioRow) -> str:
    return f"{'all' if row.everything else row.target} demand x {shown(row.value)}"


def _capacity(row: ScenarioRow) -> str:
    if row.everything:
        return f"all pool capacities x {shown(row.value)}"
    return f"{row.target} capacity x {shown(row.value)}"


def _lock(row: ScenarioRow) -> str:
    if row.value == ScenarioLock.FREE:
        return f"unlock {row.target}"
    return f"lock {row.target} {row.value}"


def _delay(row: ScenarioRow) -> str:
    months = f"+{shown(row.value)} months"
    if row.everything:
        return f"{ALL} lead times {months}"
    if str(row.target).casefold() in STAGES:
        return f"{str(row.target).casefold()} lead times {months}"
    return f"{row.target} lead time {months}"


def _imports(row: ScenarioRow) -> str:
    what = "all imports" if row.everything else f"{row.target} imports"
    ban = " (export ban)" if float(row.value) == 0 else ""
    return f"{what} x {shown(row.value)}{ban}"


def _country(row: ScenarioRow) -> str:
    what = "all country budgets" if row.everything else f"{row.target}'s budgets"
    return f"{what} x {shown(row.value)}"


def _limit(row: ScenarioRow) -> str:
    return "no schedule limit" if row.value == NO_LIMIT else \
        f"schedule limit {shown(row.value)} months"


_PHRASES: dict[str, Callable[[ScenarioRow], str]] = {
    "budget_factor": _budget,
    "demand_factor": _demand,
    "capacity_factor": _capacity,
    "lock": _lock,
    "delay_months": _delay,
    "max_lead_time_months": _limit,
    "imports_factor": _imports,
    "country_budget_factor": _country,
}
