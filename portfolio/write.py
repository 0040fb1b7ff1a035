"""Write stage: the results workbook of the contract (Summary first).

Sheets: Summary, Selection, Financing, Coverage, Budget, Pools, Rejected, and Diagnosis
where no portfolio was found. Every number is written unrounded with a display format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

from portfolio import __version__
from portfolio.models import INSTRUMENTS
from portfolio.pipeline import Pipeline
from portfolio.rank import Regret
from portfolio.results import Figures
from portfolio.solve import CBC_WARNING, Solution, SolverOptions, Status
from portfolio.xlsx import FORMATS, Column, new_workbook, save_atomic, write_table

CRITICAL = "critical"


@dataclass(frozen=True)
class Report:
    """Everything the results workbook shows."""

    pipeline: Pipeline
    solution: Solution
    options: SolverOptions
    input_path: Path
    regrets: Sequence[Regret] = ()
    reasons: dict[str, str] = field(default_factory=dict)
    diagnosis: Sequence[str] = ()
    rank_seconds: float = 0.0
    ranking: str = "regret"

    @cached_property
    def figures(self) -> Figures:
        """The portfolio's recomputed figures."""
        return Figures(self.pipeline, self.solution)


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
    for title, columns, rows in sheets:
        write_table(book.create_sheet(title), columns, rows)
    _format_summary(book["Summary"])
    save_atomic(book, target)


SUMMARY_FORMATS = {
    "weighted_shortfall": "usd", "total_budget_cost_musd": "usd", "total_budget_musd": "usd",
    "public_finance_musd": "usd", "projects_selected": "int", "budget_used_pct": "pct",
    "demand_covered_pct": "pct", "mip_gap": "share", "solve_seconds": "seconds",
    "rank_seconds": "seconds", "time_limit_s": "number",
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
    pipe, sol, opts = report.pipeline, report.solution, report.options
    fig = report.figures
    solved = sol.status.has_solution
    total_demand = sum(d.demand_t for d in pipe.demands)
    covered = sum(r.demand.demand_t - r.shortfall_t for r in fig.coverage) if solved else None
    budget = pipe.settings.total_budget_musd
    rows: list[list[Any]] = [
        ["status", sol.status.value, _status_note(sol.status)],
        ["objective", pipe.settings.objective, _objective_note(pipe.settings.objective)],
        ["weighted_shortfall", fig.weighted_shortfall if solved else None,
         "sum of weight x uncovered tonnes over all Demand rows"],
        ["total_budget_cost_musd", fig.total_cost if solved else None,
         "budget cost scored for all financing, USD m"],
        ["projects_selected", len(fig.selected) if solved else 0,
         f"of {len(pipe.projects)} candidate projects"],
        ["solver", opts.label, CBC_WARNING if opts.solver == "cbc" else ""],
        ["mip_gap", sol.gap, "relative optimality gap reached (largest over the solves); "
         f"the Settings allowed {opts.gap:g}" + ("" if sol.gap is not None
                                                 else "; not reported by this solver")],
        ["solve_seconds", sol.seconds, "solver time for the selection (ranking excluded)"],
        ["input_sha256", pipe.sha256, "fingerprint of the input workbook file"],
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
        ["time_limit_s", opts.time_limit, "solver time limit per solve"],
        ["portfolio_version", __version__, ""],
    ]
    rows += [["note", note, ""] for note in sol.notes]
    rows += [["warning", warning, ""] for warning in pipe.warnings]
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
    if objective == "min_cost":
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
    pipe, fig = report.pipeline, report.figures
    ordered = [r.project_id for r in report.regrets]
    ordered += [pid for pid in fig.selected if pid not in ordered]
    by_id = {r.project_id: r for r in report.regrets}
    rows = []
    for position, pid in enumerate(ordered, start=1):
        p = pipe.project_by_id[pid]
        regret = by_id.get(pid)
        mix = fig.by_instrument(pid)
        rows.append([
            position if regret is not None else None, pid, p.label, p.country, p.stage,
            p.capex_musd, fig.public_finance(pid), fig.project_cost(pid), pipe.online_year(p),
            _regret_value(regret, "shortfall"), _regret_value(regret, "cost"),
            *(mix[i] for i in INSTRUMENTS),
            p.sponsor_equity_musd, p.lead_time_months, pipe.start_year(p), p.lock or "",
        ])
    return rows


FINANCING = (
    Column("project_id", "text"), Column("pool_id", "text"), Column("instrument", "text"),
    Column("funder", "text"), Column("face_value_musd", "usd"), Column("budget_cost_musd", "usd"),
    Column("funder_country", "text"), Column("gap_credit_musd", "usd"),
)


def _financing(report: Report) -> list[list[Any]]:
    pipe = report.pipeline
    order = {p.project_id: n for n, p in enumerate(pipe.projects)}
    pool_order = {p.pool_id: n for n, p in enumerate(pipe.pools)}
    rows = []
    for (pid, iid), face in sorted(report.solution.face.items(),
                                   key=lambda kv: (order[kv[0][0]], pool_order[kv[0][1]])):
        pool = pipe.pool_by_id[iid]
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
    pipe, fig = report.pipeline, report.figures
    by_year = fig.cost_by_year
    years = sorted({y for y, v in by_year.items() if v > 0} | set(pipe.budgets))
    rows: list[list[Any]] = []
    for year in years:
        used = by_year.get(year, 0.0)
        limit = pipe.budgets.get(year)
        rows.append([year, used, limit, None if limit is None else limit - used])
    total = pipe.settings.total_budget_musd
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
    for pool in report.pipeline.pools:
        used = fig.pool_used(pool.pool_id)
        rows.append([pool.pool_id, pool.instrument, pool.capacity_musd, used, pool.funder or "",
                     pool.country or "", used * pool.budget_cost_rate,
                     100 * used / pool.capacity_musd if pool.capacity_musd > 0 else None])
    return rows


REJECTED = (Column("project_id", "text"), Column("name", "text"), Column("reason", "text"),
            Column("stage", "text"), Column("country", "text"))


def _rejected(report: Report) -> list[list[Any]]:
    pipe = report.pipeline
    return [
        [pid, pipe.project_by_id[pid].label, reason, pipe.project_by_id[pid].stage,
         pipe.project_by_id[pid].country]
        for pid, reason in report.reasons.items()
    ]


DIAGNOSIS = (Column("finding", "int"), Column("message", "text"))
