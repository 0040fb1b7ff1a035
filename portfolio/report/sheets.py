"""Write stage: the results workbook of the contract (Summary first).

Sheets: Summary, Selection, Financing, Coverage, Budget, Pools, Rejected, and Diagnosis
where no portfolio was found; then the decision analysis (Frontier, Scenarios,
Sensitivity) and the chart data (Sectors, Mix). Every number is written unrounded with a
display format; the charts are native Excel charts of those cells (`portfolio.report.charts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from portfolio import __version__
from portfolio.analysis.rank import Regret
from portfolio.analysis.variants import Variant
from portfolio.inputs.rows import INSTRUMENTS
from portfolio.inputs.vocabulary import Objective
from portfolio.model.outcomes import CBC_WARNING, Solver, Status
from portfolio.report import charts, panel
from portfolio.report.contents import CRITICAL, Report
from portfolio.workbook.save import save_atomic
from portfolio.workbook.styles import FORMATS, Column, new_workbook, write_table


def write_report(report: Report, target: Path) -> None:
    """Write the results workbook atomically to `target`."""
    book = new_workbook()
    sheets: list[tuple[str, Sequence[Column], list[list[Any]]]] = [
        ("Summary", SUMMARY, _summary(report)),
        ("Selection", SELECTION, _selection(report)),
        ("Financing", FINANCING, _financing(report)),
        ("Coverage", COVERAGE, _coverage(report)),
        ("Budget", BUDGET, _budget(report)),
        ("Pools", POOLS, _pools(report)),
        ("Rejected", REJECTED, _rejected(report)),
    ]
    if not report.solution.status.has_solution:
        sheets.insert(1, ("Diagnosis", DIAGNOSIS,
                          [[n, line] for n, line in enumerate(report.diagnosis, start=1)]))
    solved = report.solution.status.has_solution
    if report.frontier is not None:
        sheets.append(("Frontier", _frontier_columns(report), _frontier(report)))
    if solved and report.scenarios:
        sheets.append(("Scenarios", _scenario_columns(report), _scenarios(report)))
    if solved and report.sensitivity is not None:
        sheets.append(("Sensitivity", SENSITIVITY, _sensitivity(report)))
    if solved:
        sheets.append(("Sectors", SECTORS, _sectors(report)))
        sheets.append(("Mix", _mix_columns(report), _mix(report)))
    for title, columns, rows in sheets:
        write_table(book.create_sheet(title), columns, rows)
    _format_summary(book["Summary"])
    if solved:
        _charts(book, report)
        panel.write(book["Summary"], report)
    save_atomic(book, target)


def write_frontier(report: Report, target: Path) -> None:
    """Write a workbook holding only the Frontier sheet and its chart."""
    book = new_workbook()
    write_table(book.create_sheet("Frontier"), _frontier_columns(report), _frontier(report))
    _frontier_extras(book["Frontier"], report)
    save_atomic(book, target)


def _charts(book: Workbook, report: Report) -> None:
    """Charts beside the tables they plot."""
    sectors = book["Sectors"]
    blocks, row = [], 2
    for sector, by_year in _sector_years(report).items():
        blocks.append((sector, row, row + len(by_year) - 1))
        row += len(by_year)
    charts.sector_supply(sectors, blocks, _after(SECTORS))
    mix_columns = _mix_columns(report)
    charts.financing_mix(book["Mix"], len(INSTRUMENTS), _countries(report), _after(mix_columns))
    years = sum(1 for r in _budget(report) if r[0] != "total")
    charts.budget_by_year(book["Budget"], years, f"{_after(BUDGET)}2")
    if report.frontier is not None:
        _frontier_extras(book["Frontier"], report)
        columns = _frontier_columns(report)
        charts.frontier(book["Frontier"], len(report.frontier.points), 2,
                        _positions(columns, "demand_covered_pct") +
                        _positions(columns, "coverage_pct_"),
                        f"E{panel.rows(report) + 3}", on=book["Summary"])
    if "Scenarios" in book.sheetnames:
        columns = _scenario_columns(report)
        charts.scenarios(book["Scenarios"], len(report.scenarios or ()) + 1,
                         _positions(columns, "coverage_pct_"),
                         f"A{len(report.scenarios or ()) + 4}")


def _frontier_extras(ws: Worksheet, report: Report) -> None:
    """The entry-level table beside the frontier, and the coverage chart below both."""
    columns = _frontier_columns(report)
    write_table(ws, ENTRY, _entries(report), table_name="FrontierEntry",
                first_col=len(columns) + 2)
    points = len(report.frontier.points) if report.frontier else 0
    charts.frontier(ws, points, 2, _positions(columns, "demand_covered_pct") +
                    _positions(columns, "coverage_pct_"), f"A{points + 4}")


def _positions(columns: Sequence[Column], prefix: str) -> list[int]:
    return [n for n, c in enumerate(columns, start=1) if c.name.startswith(prefix)]


def _after(columns: Sequence[Column]) -> str:
    return str(get_column_letter(len(columns) + 2))


SUMMARY_FORMATS = {
    "weighted_shortfall": "usd", "total_budget_cost_musd": "usd", "total_budget_musd": "usd",
    "public_finance_musd": "usd", "projects_selected": "int", "budget_used_pct": "pct",
    "demand_covered_pct": "pct", "mip_gap": "share", "solve_seconds": "seconds",
    "rank_seconds": "seconds", "time_limit_s": "number", "analysis_seconds": "seconds",
}


def _format_summary(ws: Worksheet) -> None:
    """Each Summary value gets its own display format; the value column stays readable."""
    for metric, value in ws.iter_rows(min_row=2, max_col=2):
        kind = SUMMARY_FORMATS.get(str(metric.value))
        if kind and isinstance(value.value, int | float):
            value.number_format = FORMATS[kind]
    ws.column_dimensions["B"].width = 24


SUMMARY = (Column("metric", "text"), Column("value"), Column("note", "text"))


def _summary(report: Report) -> list[list[Any]]:
    case, sol, opts = report.case, report.solution, report.options
    fig = report.figures
    solved = sol.status.has_solution
    total_demand = sum(d.demand_t for d in case.demands)
    covered = sum(r.demand.demand_t - r.shortfall_t for r in fig.coverage) if solved else None
    budget = case.settings.total_budget_musd
    rows: list[list[Any]] = [
        ["status", sol.status.value, _status_note(sol.status)],
        ["objective", case.settings.objective, _objective_note(case.settings.objective)],
        ["weighted_shortfall", fig.weighted_shortfall if solved else None,
         "sum of weight x uncovered tonnes over all Demand rows"],
        ["total_budget_cost_musd", fig.total_cost if solved else None,
         "budget cost scored for all financing, USD m"],
        ["projects_selected", len(fig.selected) if solved else 0,
         f"of {len(case.projects)} candidate projects"],
        ["solver", opts.label, CBC_WARNING if opts.solver is Solver.CBC else ""],
        ["mip_gap", sol.gap, "relative optimality gap reached (largest over the solves); "
         f"the Settings allowed {opts.gap:g}" + ("" if sol.gap is not None
                                                 else "; not reported by this solver")],
        ["solve_seconds", sol.seconds, "solver time for the selection (ranking excluded)"],
        ["input_sha256", case.sha256, "fingerprint of the input workbook file"],
        ["input_file", report.input_path.name, ""],
        ["total_budget_musd", budget, "budget limit from Settings"],
        ["budget_used_pct", 100 * fig.total_cost / budget if solved and budget > 0 else None,
         "share of total_budget_musd used"],
        ["demand_covered_pct", 100 * covered / total_demand if covered is not None and
         total_demand > 0 else None, "tonnes covered / tonnes demanded, all rows"],
        ["public_finance_musd", sum(sol.face.values()) if solved else None,
         "face value of all grants, loans, guarantees and offtakes committed"],
        ["ranking", report.ranking, "regret: every selected project re-optimised without it; "
         "none: not ranked (--rank none), Selection in input order"],
        ["rank_seconds", report.rank_seconds, "time spent re-optimising for the regret ranking"],
        ["analysis_seconds", report.analysis_seconds,
         "time spent on the frontier, scenarios and sensitivity re-solves"],
        ["time_limit_s", opts.time_limit, "solver time limit per solve"],
        ["portfolio_version", __version__, ""],
    ]
    rows += [["note", note, ""] for note in sol.notes]
    rows += [["warning", warning, ""] for warning in case.warnings]
    return rows


def _status_note(status: Status) -> str:
    return {
        Status.OPTIMAL: "proven optimal within mip_gap",
        Status.FEASIBLE: "a valid portfolio, not proven optimal (time limit reached)",
        Status.INFEASIBLE: "no portfolio satisfies the hard constraints: see Diagnosis",
        Status.NO_SOLUTION: "the time limit ran out before any portfolio was found: see "
                            "Diagnosis",
    }[status]


def _objective_note(objective: str) -> str:
    if objective == Objective.MIN_COST:
        return "cover all demand at the least budget cost"
    return "least weighted shortfall first, then least budget cost"


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
    rows = []
    for position, pid in enumerate(ordered, start=1):
        p = case.project_by_id[pid]
        regret = by_id.get(pid)
        mix = fig.by_instrument(pid)
        rows.append([
            position if regret is not None else None, pid, p.label, p.country, p.stage,
            p.capex_musd, fig.public_finance(pid), fig.project_cost(pid), case.online_year(p),
            _regret_value(regret, "shortfall"), _regret_value(regret, "cost"),
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


def _budget(report: Report) -> list[list[Any]]:
    if not report.solution.status.has_solution:
        return []
    case, fig = report.case, report.figures
    by_year = fig.cost_by_year
    years = sorted({y for y, v in by_year.items() if v > 0} | set(case.budgets))
    rows: list[list[Any]] = []
    for year in years:
        used = by_year.get(year, 0.0)
        limit = case.budgets.get(year)
        rows.append([year, used, limit, None if limit is None else limit - used])
    total = case.settings.total_budget_musd
    rows.append(["total", fig.total_cost, total, total - fig.total_cost])
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


def _sector_names(report: Report) -> list[str]:
    return list(report.figures.sectors)


def _coverage_columns(report: Report) -> list[Column]:
    return [Column(f"coverage_pct_{sector}", "pct") for sector in _sector_names(report)]


def _variant_figures(variant: Variant, sectors: Sequence[str]) -> list[Any]:
    """Budget cost, weighted shortfall, demand covered % and coverage % per sector."""
    if not variant.solved:
        return [None] * (3 + len(sectors))
    fig = variant.figures
    by_sector = fig.sector_coverage_pct()
    return [fig.total_cost, fig.weighted_shortfall, fig.covered_pct,
            *(by_sector.get(s) for s in sectors)]


def _frontier_columns(report: Report) -> list[Column]:
    return [Column("budget_level_pct", "pct"), Column("budget_level_musd", "usd"),
            Column("status", "text"), Column("budget_cost_musd", "usd"),
            Column("weighted_shortfall", "usd"), Column("demand_covered_pct", "pct"),
            *_coverage_columns(report), Column("projects_selected", "int"),
            Column("projects", "text"), Column("note", "text")]


def _frontier(report: Report) -> list[list[Any]]:
    if report.frontier is None:
        return []
    sectors = _sector_names(report)
    rows = []
    for point in report.frontier.points:
        variant = point.variant
        note = "" if point.kept_from_pct is None else (
            f"the portfolio found at {point.kept_from_pct:g}% is kept: it is feasible here and "
            "better than what this level's solve returned within its gap or time limit")
        if not variant.solved and variant.solution.status is Status.INFEASIBLE:
            note = ("no portfolio meets the hard constraints at this budget: the locked-in "
                    "projects (under min_cost, covering all demand) cost more")
        selected = variant.figures.selected if variant.solved else []
        rows.append([point.pct, point.budget_musd, variant.solution.status.value,
                     *_variant_figures(variant, sectors),
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


def _scenario_columns(report: Report) -> list[Column]:
    return [Column("scenario", "text"), Column("changes", "text"), Column("status", "text"),
            Column("budget_cost_musd", "usd"), Column("weighted_shortfall", "usd"),
            Column("demand_covered_pct", "pct"), *_coverage_columns(report),
            Column("shortfall_change", "regret"), Column("cost_change_musd", "regret"),
            Column("projects_selected", "int"), Column("projects_in", "text"),
            Column("projects_out", "text"), Column("note", "text")]


def _scenarios(report: Report) -> list[list[Any]]:
    sectors = _sector_names(report)
    base = Variant(report.case, report.solution)
    rows: list[list[Any]] = [[
        "base", "as entered", report.solution.status.value, *_variant_figures(base, sectors),
        0.0, 0.0, len(report.figures.selected), "", "", ""]]
    for outcome in report.scenarios or ():
        variant = outcome.variant
        added, dropped = variant.moved(report.figures) if variant.solved else ([], [])
        note = " ".join(variant.diagnosis) if variant.diagnosis else (
            variant.solution.notes[0] if variant.solution.notes else "")
        rows.append([outcome.scenario.name, outcome.description,
                     variant.solution.status.value, *_variant_figures(variant, sectors),
                     outcome.shortfall_change(), outcome.cost_change(),
                     len(variant.figures.selected) if variant.solved else None,
                     ", ".join(added), ", ".join(dropped), note])
    return rows


SENSITIVITY = (
    Column("limit", "text"), Column("kind", "text"), Column("limit_musd", "usd"),
    Column("used_musd", "usd"), Column("slack_musd", "usd"), Column("binding", "text"),
    Column("marginal_cost_per_musd", "regret"), Column("step_musd", "usd"),
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
            m.dual, m.step_musd, m.lp_step_change, ds if objective != Objective.MIN_COST else None,
            m.cost_change, -ds / m.step_musd if ds is not None and objective != Objective.MIN_COST
            else None, ", ".join(added), ", ".join(dropped), agrees, m.meaning(objective)])
    return rows


SECTORS = (Column("sector", "text"), Column("year", "year"), Column("demand_t", "tonnes"),
           Column("supply_t", "tonnes"), Column("covered_t", "tonnes"),
           Column("shortfall_t", "tonnes"), Column("coverage_pct", "pct"))


def _sector_years(report: Report) -> dict[str, dict[int, list[float]]]:
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
    for sector, years in _sector_years(report).items():
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


def _countries(report: Report) -> list[str]:
    """Funder countries in Financing order."""
    return list(dict.fromkeys(_country_names(report).values()))


def _mix_columns(report: Report) -> list[Column]:
    countries = _countries(report)
    return [Column("instrument", "text"),
            *(Column(f"face_{c}_musd", "usd") for c in countries), Column("face_total_musd", "usd"),
            *(Column(f"cost_{c}_musd", "usd") for c in countries), Column("cost_total_musd", "usd")]


def _mix(report: Report) -> list[list[Any]]:
    """Face value and budget cost per instrument, split by funder country."""
    countries = _countries(report)
    country_of = _country_names(report)
    face = {(i, c): 0.0 for i in INSTRUMENTS for c in countries}
    cost = dict(face)
    for (_, iid), value in report.solution.face.items():
        pool = report.case.pool_by_id[iid]
        key = (pool.instrument, country_of[iid])
        face[key] += value
        cost[key] += value * pool.budget_cost_rate
    return [[i, *(face[(i, c)] for c in countries), sum(face[(i, c)] for c in countries),
             *(cost[(i, c)] for c in countries), sum(cost[(i, c)] for c in countries)]
            for i in INSTRUMENTS]
