"""The chain tables (Flows, Utilisation, Chains) of a workbook with supply chains.

Written only when the input has Inputs, Supply, Imports or Stockpiles rows (`Case.chains`:
stock released joins the chain balances), so a v1 workbook's results stay as they were.
Every figure is the selection's flows (`Figures.flows`): the same LP that gives the Coverage
sheet its delivered tonnes.
`tables.tables` wraps them as `Table`s after Coverage (kept here to hold tables.py short).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from portfolio.analysis.figures import clean
from portfolio.inputs.case import Case, DemandKey, demand_key
from portfolio.model.flows import Flows
from portfolio.report.contents import Report
from portfolio.workbook.styles import Column

Flow = tuple[DemandKey, int]

FLOWS = (
    Column("sector", "text"), Column("material", "text"), Column("year", "year"),
    Column("production_t", "tonnes"), Column("supply_t", "tonnes"),
    Column("released_t", "tonnes"), Column("imports_t", "tonnes"),
    Column("consumed_t", "tonnes"), Column("delivered_t", "tonnes"),
    Column("demand_t", "tonnes"), Column("surplus_t", "tonnes"),
)
UTILISATION = (Column("project_id", "text"), Column("year", "year"),
               Column("utilisation_pct", "pct"), Column("limited_by", "text"))
#: Per sector (a chain) and year: allied tonnes against their uses, for the charts.
CHAINS = (Column("sector", "text"), Column("year", "year"), Column("allied_t", "tonnes"),
          Column("imports_t", "tonnes"), Column("consumed_t", "tonnes"),
          Column("delivered_t", "tonnes"), Column("demand_t", "tonnes"))


def chain_tables(report: Report) -> list[tuple[str, Sequence[Column], list[list[Any]]]]:
    """(sheet, columns, rows) of each chain table; none for a workbook without chains."""
    if not report.case.chains:
        return []
    return [("Flows", FLOWS, flow_rows(report)),
            ("Utilisation", UTILISATION, utilisation_rows(report)),
            ("Chains", CHAINS, chain_rows(report))]


def _flows(report: Report) -> Flows | None:
    """The selection's flows (None when nothing was solved)."""
    return report.figures.flows if report.solution.status.has_solution else None


def _demand(case: Case) -> dict[Flow, float]:
    out: dict[Flow, float] = defaultdict(float)
    for d in case.demands:
        out[(demand_key(d.sector, d.material), d.year)] += d.demand_t
    return dict(out)


def _order(case: Case, keys: set[DemandKey]) -> list[DemandKey]:
    """Commodities grouped by sector, sectors and materials as first written."""
    first = {key: n for n, key in enumerate(case.commodity_names)}
    sector: dict[str, int] = {}
    for key in sorted(keys, key=lambda k: first.get(k, len(first))):
        sector.setdefault(key[0], len(sector))
    return sorted(keys, key=lambda k: (sector[k[0]], first.get(k, len(first)), k))


def flow_rows(report: Report) -> list[list[Any]]:
    """One row per commodity and plan year with any production, supply, release, use, demand."""
    found = _flows(report)
    if found is None:
        return []
    case = report.case
    years = set(case.plan_years)
    demand = _demand(case)
    parts = (found.production, case.supply_t, found.released, found.imports, found.consumed,
             found.delivered_by_flow(), demand)
    flows = {flow for part in parts for flow, t in part.items() if t > 0 and flow[1] in years}
    flows |= {flow for flow in demand if flow[1] in years}
    rows = []
    for key in _order(case, {k for k, _ in flows}):
        sector, material = case.commodity_names.get(key, key)
        for year in sorted(y for k, y in flows if k == key):
            made, supplied, released, imported, used, delivered, wanted = (
                part.get((key, year), 0.0) for part in parts)
            into = made + supplied + released + imported
            rows.append([sector, material, year, made, supplied, released, imported, used,
                         delivered, wanted, clean(into - used - delivered, into)])
    return rows


def utilisation_rows(report: Report) -> list[list[Any]]:
    """One row per selected converter and plan year from its online year."""
    found = _flows(report)
    if found is None:
        return []
    case = report.case
    rows: list[list[Any]] = []
    for project in case.projects:
        pid = project.project_id
        if pid not in found.selected or not case.is_converter(project):
            continue
        for year in case.plan_years:
            if year >= case.online_year(project):
                rows.append([pid, year, 100.0 * found.utilisation.get((pid, year), 0.0),
                             found.limited_by.get((pid, year), "")])
    return rows


def chain_rows(report: Report) -> list[list[Any]]:
    """The Flows rows summed per sector and year (a sector's materials form its chain)."""
    names: dict[str, str] = {}
    out: dict[str, dict[int, list[float]]] = {}
    for sector, _, year, made, supplied, released, imported, used, delivered, wanted, _ in \
            flow_rows(report):
        name = names.setdefault(demand_key(sector, "")[0], sector)
        cell = out.setdefault(name, {}).setdefault(year, [0.0] * 5)
        for n, tonnes in enumerate((made + supplied + released, imported, used, delivered,
                                    wanted)):
            cell[n] += tonnes
    return [[sector, year, *cell] for sector, years in out.items()
            for year, cell in sorted(years.items())]


def chain_blocks(report: Report) -> list[tuple[str, int, int]]:
    """(sector, first row, last row) of each sector's rows on the Chains sheet."""
    blocks: list[tuple[str, int, int]] = []
    for row, (sector, *_) in enumerate(chain_rows(report), start=2):
        if blocks and blocks[-1][0] == sector:
            blocks[-1] = (sector, blocks[-1][1], row)
        else:
            blocks.append((sector, row, row))
    return blocks


def sector_share(report: Report, sector: str) -> tuple[float, float, float, float] | None:
    """(delivered share of demand %, imported t, weighted imports, converter input t) of a sector.

    None where the sector has no Demand rows. Deliveries are always allied tonnes (imports
    feed converters only), so the imports are the converters' imported feedstock.
    """
    found = _flows(report)
    if found is None:
        return None
    key = demand_key(sector, "")[0]
    rows = [(r, d) for r, d in enumerate(report.case.demands)
            if demand_key(d.sector, "")[0] == key]
    if not rows:
        return None
    wanted = sum(d.demand_t for _, d in rows)
    delivered = sum(found.delivered.get(r, 0.0) for r, _ in rows)
    imported = sum(t for (c, _), t in found.imports.items() if c[0] == key)
    weighted = sum(report.case.import_terms[flow][1] * t for flow, t in found.imports.items()
                   if flow[0][0] == key)
    used = sum(t for (c, _), t in found.consumed.items() if c[0] == key)
    return (100.0 * delivered / wanted if wanted > 0 else 100.0, imported, weighted, used)
