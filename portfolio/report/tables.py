"""The results as tables: each output sheet's columns and rows, written nowhere yet.

One list of `Table`s feeds the workbook (`portfolio.report.sheets`), the JSON export and
the Guide, so all three always agree on sheet names, headers and values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from portfolio.analysis.figures import clean
from portfolio.analysis.rank import Regret
from portfolio.analysis.variants import Variant
from portfolio.inputs.rows import INSTRUMENTS
from portfolio.inputs.vocabulary import Objective
from portfolio.model.outcomes import Status
from portfolio.report.changes import COLUMNS as CHANGES
from portfolio.report.changes import Previous, changes
from portfolio.report.contents import CRITICAL, Report
from portfolio.report.flowtables import chain_tables
from portfolio.report.risktables import risk_tables
from portfolio.report.stocktables import country_tables, stock_tables
from portfolio.report.summary import SUMMARY, summary_rows
from portfolio.workbook.styles import Column


@dataclass(frozen=True)
class Table:
    """One output table: its sheet, header and records (`table` names a second table)."""

    sheet: str
    columns: Sequence[Column]
    rows: list[list[Any]]
    table: str | None = None

    @property
    def name(self) -> str:
        """The key of this table in the JSON export and the Guide."""
        return self.table or self.sheet


def tables(report: Report) -> list[Table]:
    """Every table of the results workbook, in sheet order."""
    solved = report.solution.status.has_solution
    out = [Table("Summary", SUMMARY, summary_rows(report))]
    if not solved:
        out.append(Table("Diagnosis", DIAGNOSIS,
                         [[n, line] for n, line in enumerate(report.diagnosis, start=1)]))
    out += [
        Table("Selection", selection_columns(report), _selection(report)),
        Table("Financing", FINANCING, _financing(report)),
        Table("Coverage", COVERAGE, _coverage(report)),
        *(Table(sheet, columns, rows) for sheet, columns, rows in chain_tables(report)),
        *(Table(sheet, columns, rows) for sheet, columns, rows in stock_tables(report)),
        Table("Budget", BUDGET, budget_rows(report)),
        *(Table(sheet, columns, rows) for sheet, columns, rows in country_tables(report)),
        Table("Pools", POOLS, _pools(report)),
        Table("Rejected", REJECTED, _rejected(report)),
        *(Table(sheet, columns, rows, table) for sheet, columns, rows, table
          in risk_tables(report)),
    ]
    if report.frontier is not None:
        out += frontier_tables(report)
    if solved and report.scenarios:
        out.append(Table("Scenarios", scenario_columns(sector_names(report), report.case.chains),
                         _scenarios(report)))
    if solved and report.sensitivity is not None:
        out.append(Table("Sensitivity", SENSITIVITY, _sensitivity(report)))
    if solved:
        out.append(Table("Sectors", SECTORS, _sectors(report)))
        out.append(Table("Mix", mix_columns(countries(report)), _mix(report)))
    if report.previous is not None:
        out.insert(1, _changes(report.previous, out, report.reasons))
    return out


def _changes(previous: Previous, found: Sequence[Table], reasons: dict[str, str]) -> Table:
    """The Changes table: this run's Summary, Selection and Financing against `previous`."""
    by_name = {t.name: t for t in found}
    summary, selection = by_name["Summary"], by_name["Selection"]
    names = [c.name for c in selection.columns]
    records = [dict(zip(names, row, strict=True)) for row in selection.rows]
    face: dict[tuple[str, str], float] = {}
    for row in by_name["Financing"].rows:
        face[(row[0], row[1])] = face.get((row[0], row[1]), 0.0) + row[4]
    return Table("Changes", CHANGES, changes(previous, summary.rows, records, face, reasons))


def frontier_tables(report: Report) -> list[Table]:
    """The Frontier sheet: the levels, and each project's entry level beside them."""
    return [Table("Frontier", frontier_columns(sector_names(report), report.case.chains),
                  _frontier(report)),
            Table("Frontier", ENTRY, _entries(report), table="FrontierEntry")]


SELECTION = (
    Column("rank", "int"), Column("project_id", "text"), Column("name", "text"),
    Column("country", "text"), Column("stage", "text"), Column("capex_musd", "usd"),
    Column("public_finance_musd", "usd"), Column("budget_cost_musd", "usd"),
    Column("online_year", "year"), Column("regret_shortfall", "regret"),
    Column("regret_cost_musd", "regret"),
    *(Column(f"{i}_musd", "usd") for i in INSTRUMENTS),
    Column("sponsor_equity_musd", "usd"), Column("lead_time_months", "int"),
    Column("start_year", "year"), Column("lock", "text"),
)


#: Selection's column with schedule risk (after the regrets): the project's risk contribution.
RISK_CONTRIBUTION = Column("risk_contribution", "regret")


def selection_columns(report: Report) -> Sequence[Column]:
    """Selection's columns: with schedule risk, risk_contribution after the regrets."""
    if report.risk is None:
        return SELECTION
    at = [c.name for c in SELECTION].index("regret_cost_musd") + 1
    return (*SELECTION[:at], RISK_CONTRIBUTION, *SELECTION[at:])


def _regret_value(regret: Regret | None, attr: str) -> Any:
    if regret is None:
        return None
    if regret.critical:
        return CRITICAL
    return getattr(regret, attr)


def _selection(report: Report) -> list[list[Any]]:
    if not report.solution.status.has_solution:
        return []
    case, fig = report.case, report.figures
    ordered = [r.project_id for r in report.regrets]
    ordered += [pid for pid in fig.selected if pid not in ordered]
    by_id = {r.project_id: r for r in report.regrets}
    risk = report.risk
    rows = []
    for position, pid in enumerate(ordered, start=1):
        p = case.project_by_id[pid]
        regret = by_id.get(pid)
        mix = fig.by_instrument(pid)
        rows.append([
            position if regret is not None else None, pid, p.label, p.country, p.stage,
            p.capex_musd, fig.public_finance(pid), fig.project_cost(pid), case.online_year(p),
            _regret_value(regret, "shortfall"), _regret_value(regret, "cost"),
            *([] if risk is None else [risk.contribution.get(pid)]),
            *(mix[i] for i in INSTRUMENTS),
            p.sponsor_equity_musd, p.lead_time_months, case.start_year(p), p.lock or "",
        ])
    return rows


FINANCING = (
    Column("project_id", "text"), Column("pool_id", "text"), Column("instrument", "text"),
    Column("funder", "text"), Column("face_value_musd", "usd"), Column("budget_cost_musd", "usd"),
    Column("funder_country", "text"), Column("gap_credit_musd", "usd"),
)


def _financing(report: Report) -> list[list[Any]]:
    case = report.case
    order = {p.project_id: n for n, p in enumerate(case.projects)}
    pool_order = {p.pool_id: n for n, p in enumerate(case.pools)}
    rows = []
    for (pid, iid), face in sorted(report.solution.face.items(),
                                   key=lambda kv: (order[kv[0][0]], pool_order[kv[0][1]])):
        pool = case.pool_by_id[iid]
        rows.append([pid, iid, pool.instrument, pool.funder or "", face,
                     face * pool.budget_cost_rate, pool.country or "", face * pool.gap_credit])
    return rows


COVERAGE = (
    Column("sector", "text"), Column("material", "text"), Column("year", "year"),
    Column("demand_t", "tonnes"), Column("supply_t", "tonnes"), Column("shortfall_t", "tonnes"),
    Column("coverage_pct", "pct"), Column("weight", "number"),
)


def _coverage(report: Report) -> list[list[Any]]:
    if not report.solution.status.has_solution:
        return []
    return [
        [r.demand.sector, r.demand.material, r.demand.year, r.demand.demand_t, r.supply_t,
         r.shortfall_t, r.coverage_pct, r.demand.weight]
        for r in report.figures.coverage
    ]


BUDGET = (Column("year", "year"), Column("budget_cost_musd", "usd"), Column("limit_musd", "usd"),
          Column("headroom_musd", "usd"))


def budget_rows(report: Report) -> list[list[Any]]:
    """Budget: cost, limit and headroom per disbursement year, then the total.

    Headroom within solver tolerance of 0 is 0: the limit binds.
    """
    if not report.solution.status.has_solution:
        return []
    case, fig = report.case, report.figures
    by_year = fig.cost_by_year
    years = sorted({y for y, v in by_year.items() if v > 0} | set(case.budgets))
    rows: list[list[Any]] = []
    for year in years:
        used = by_year.get(year, 0.0)
        limit = case.budgets.get(year)
        rows.append([year, used, limit, None if limit is None else clean(limit - used, limit)])
    total = case.settings.total_budget_musd
    rows.append(["total", fig.total_cost, total, clean(total - fig.total_cost, total)])
    return rows


POOLS = (
    Column("pool_id", "text"), Column("instrument", "text"), Column("capacity_musd", "usd"),
    Column("used_musd", "usd"), Column("funder", "text"), Column("country", "text"),
    Column("budget_cost_musd", "usd"), Column("used_pct", "pct"),
)


def _pools(report: Report) -> list[list[Any]]:
    fig = report.figures
    rows = []
    for pool in report.case.pools:
        used = fig.pool_used(pool.pool_id)
        rows.append([pool.pool_id, pool.instrument, pool.capacity_musd, used, pool.funder or "",
                     pool.country or "", used * pool.budget_cost_rate,
                     100 * used / pool.capacity_musd if pool.capacity_musd > 0 else None])
    return rows


REJECTED = (Column("project_id", "text"), Column("name", "text"), Column("reason", "text"),
            Column("stage", "text"), Column("country", "text"))


def _rejected(report: Report) -> list[list[Any]]:
    case = report.case
    return [
        [pid, case.project_by_id[pid].label, reason, case.project_by_id[pid].stage,
         case.project_by_id[pid].country]
        for pid, reason in report.reasons.items()
    ]


DIAGNOSIS = (Column("finding", "int"), Column("message", "text"))


def sector_names(report: Report) -> list[str]:
    """The sectors of the Demand sheet, as first spelt."""
    return list(report.figures.sectors)


def _coverage_columns(sectors: Sequence[str]) -> list[Column]:
    return [Column(f"coverage_pct_{sector}", "pct") for sector in sectors]


def _variant_figures(variant: Variant, sectors: Sequence[str], chains: bool) -> list[Any]:
    """Budget cost, weighted shortfall (and imports), demand covered %, coverage per sector."""
    imports = 1 if chains else 0
    if not variant.solved:
        return [None] * (3 + imports + len(sectors))
    fig = variant.figures
    by_sector = fig.sector_coverage_pct()
    return [fig.total_cost, fig.weighted_shortfall, *[fig.weighted_imports][:imports],
            fig.covered_pct, *(by_sector.get(s) for s in sectors)]


def _first_objective(chains: bool) -> list[Column]:
    """Weighted shortfall, and beside it weighted imports where the workbook has chains."""
    return [Column("weighted_shortfall", "usd"),
            *([Column("weighted_imports", "usd")] if chains else [])]


def frontier_columns(sectors: Sequence[str], chains: bool = False) -> list[Column]:
    """Frontier: one column per figure, and a coverage % per sector."""
    return [Column("budget_level_pct", "pct"), Column("budget_level_musd", "usd"),
            Column("status", "text"), Column("budget_cost_musd", "usd"),
            *_first_objective(chains), Column("demand_covered_pct", "pct"),
            *_coverage_columns(sectors), Column("projects_selected", "int"),
            Column("projects", "text"), Column("note", "text")]


def _frontier(report: Report) -> list[list[Any]]:
    if report.frontier is None:
        return []
    sectors = sector_names(report)
    rows = []
    for point in report.frontier.points:
        variant = point.variant
        note = "" if point.kept_from_pct is None else (
            f"the portfolio found at {point.kept_from_pct:g}% is kept: it is feasible here and "
            "better than what this level's solve returned within its gap or time limit")
        if point.settled_from_pct is not None:
            note = (f"the optimum at {point.settled_from_pct:g}% costs no more than this "
                    "budget, so it is the optimum here too (not solved again)")
        if not variant.solved and variant.solution.status is Status.INFEASIBLE:
            note = ("no portfolio meets the hard constraints at this budget: the locked-in "
                    "projects (under min_cost, covering all demand) cost more")
        selected = variant.figures.selected if variant.solved else []
        rows.append([point.pct, point.budget_musd, variant.solution.status.value,
                     *_variant_figures(variant, sectors, report.case.chains),
                     len(selected) if variant.solved else None, ", ".join(selected), note])
    return rows


ENTRY = (Column("project_id", "text"), Column("name", "text"), Column("entry_level_pct", "pct"),
         Column("entry_level_musd", "usd"), Column("selected_at_levels_pct", "text"),
         Column("selected_in_base", "text"))


def _entries(report: Report) -> list[list[Any]]:
    """Per project, the lowest budget level at which it is in the optimal portfolio."""
    if report.frontier is None:
        return []
    chosen = report.solution.selected
    rows = []
    for project in report.case.projects:
        pid = project.project_id
        entry = report.frontier.entry(pid)
        rows.append([pid, project.label, entry.pct if entry else None,
                     entry.budget_musd if entry else None,
                     ", ".join(f"{pct:g}" for pct in report.frontier.levels_in(pid)) or
                     "at no level", "yes" if pid in chosen else "no"])
    return rows


def scenario_columns(sectors: Sequence[str], chains: bool = False) -> list[Column]:
    """Scenarios: the figures, coverage per sector and the change against the base."""
    return [Column("scenario", "text"), Column("changes", "text"), Column("status", "text"),
            Column("budget_cost_musd", "usd"), *_first_objective(chains),
            Column("demand_covered_pct", "pct"), *_coverage_columns(sectors),
            Column("shortfall_change", "regret"), Column("cost_change_musd", "regret"),
            Column("projects_selected", "int"), Column("projects_in", "text"),
            Column("projects_out", "text"), Column("note", "text")]


def _scenarios(report: Report) -> list[list[Any]]:
    sectors = sector_names(report)
    base = Variant(report.case, report.solution)
    rows: list[list[Any]] = [[
        "base", "as entered", report.solution.status.value,
        *_variant_figures(base, sectors, report.case.chains),
        0.0, 0.0, len(report.figures.selected), "", "", ""]]
    for outcome in report.scenarios or ():
        variant = outcome.variant
        added, dropped = variant.moved(report.figures) if variant.solved else ([], [])
        note = " ".join(variant.diagnosis) if variant.diagnosis else (
            variant.solution.notes[0] if variant.solution.notes else "")
        rows.append([outcome.scenario.name, outcome.description,
                     variant.solution.status.value,
                     *_variant_figures(variant, sectors, report.case.chains),
                     outcome.shortfall_change(), outcome.cost_change(),
                     len(variant.figures.selected) if variant.solved else None,
                     ", ".join(added), ", ".join(dropped), note])
    return rows


SENSITIVITY = (
    Column("limit", "text"), Column("kind", "text"), Column("limit_musd", "usd"),
    Column("used_musd", "usd"), Column("slack_musd", "usd"), Column("binding", "text"),
    Column("marginal_cost_per_musd", "regret"), Column("allowable_increase_musd", "usd"),
    Column("allowable_decrease_musd", "usd"), Column("step_musd", "usd"),
    Column("lp_step_cost_change_musd", "regret"), Column("resolve_shortfall_change", "regret"),
    Column("resolve_cost_change_musd", "regret"), Column("shortfall_per_musd", "regret"),
    Column("projects_in", "text"), Column("projects_out", "text"), Column("agrees", "text"),
    Column("meaning", "text"),
)


def _sensitivity(report: Report) -> list[list[Any]]:
    objective = report.case.settings.objective
    rows = []
    for m in report.sensitivity or ():
        added, dropped = m.moved
        ds = m.shortfall_change
        agrees = {True: "yes", False: "no", None: "n/a: the selection changes" if m.reselected
                  else ""}[m.agrees]
        rows.append([
            m.limit.label.removeprefix("the "), m.limit.kind, m.limit.limit_musd,
            m.limit.used_musd, m.limit.slack_musd, "yes" if m.limit.binding else "no",
            m.dual, m.allowable_increase_musd, m.allowable_decrease_musd, m.step_musd,
            m.lp_step_change, ds if objective != Objective.MIN_COST else None,
            m.cost_change, -ds / m.step_musd if ds is not None and objective != Objective.MIN_COST
            else None, ", ".join(added), ", ".join(dropped), agrees, m.meaning(objective)])
    return rows


SECTORS = (Column("sector", "text"), Column("year", "year"), Column("demand_t", "tonnes"),
           Column("supply_t", "tonnes"), Column("covered_t", "tonnes"),
           Column("shortfall_t", "tonnes"), Column("coverage_pct", "pct"))


def sector_years(report: Report) -> dict[str, dict[int, list[float]]]:
    """Sector -> year -> [demand, supply, covered] over the sector's materials."""
    names: dict[str, str] = {}
    out: dict[str, dict[int, list[float]]] = {}
    for row in report.figures.coverage:
        sector = names.setdefault(row.demand.sector.casefold(), row.demand.sector)
        cell = out.setdefault(sector, {}).setdefault(row.demand.year, [0.0, 0.0, 0.0])
        cell[0] += row.demand.demand_t
        cell[1] += row.supply_t
        cell[2] += row.demand.demand_t - row.shortfall_t
    return {s: dict(sorted(years.items())) for s, years in out.items()}


def _sectors(report: Report) -> list[list[Any]]:
    rows = []
    for sector, years in sector_years(report).items():
        for year, (demand, supply, covered) in years.items():
            rows.append([sector, year, demand, supply, covered, demand - covered,
                         100.0 * covered / demand if demand > 0 else 100.0])
    return rows


def _country_names(report: Report) -> dict[str, str]:
    """Funder country of each pool, spelt as first entered (case and spaces ignored)."""
    first: dict[str, str] = {}
    out = {}
    for pool in report.case.pools:
        name = " ".join((pool.country or "unspecified").split())
        out[pool.pool_id] = first.setdefault(name.casefold(), name)
    return out


def countries(report: Report) -> list[str]:
    """Funder countries in Financing order."""
    return list(dict.fromkeys(_country_names(report).values()))


def mix_columns(names: Sequence[str]) -> list[Column]:
    """Mix: instrument, face value and budget cost per funder country, and their totals."""
    return [Column("instrument", "text"),
            *(Column(f"face_{c}_musd", "usd") for c in names), Column("face_total_musd", "usd"),
            *(Column(f"cost_{c}_musd", "usd") for c in names), Column("cost_total_musd", "usd")]


def _mix(report: Report) -> list[list[Any]]:
    """Face value and budget cost per instrument, split by funder country."""
    names = countries(report)
    country_of = _country_names(report)
    face = {(i, c): 0.0 for i in INSTRUMENTS for c in names}
    cost = dict(face)
    for (_, iid), value in report.solution.face.items():
        pool = report.case.pool_by_id[iid]
        key = (pool.instrument, country_of[iid])
        face[key] += value
        cost[key] += value * pool.budget_cost_rate
    return [[i, *(face[(i, c)] for c in names), sum(face[(i, c)] for c in names),
             *(cost[(i, c)] for c in names), sum(cost[(i, c)] for c in names)]
            for i in INSTRUMENTS]
