"""Write stage: the results workbook of the contract (Summary first).

The tables come from `portfolio.report.tables`; this module lays them out as sheets,
gives the Summary its formats and panel, and adds the native Excel charts of those cells
(`portfolio.report.charts`). Every number is written unrounded with a display format.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from portfolio import __version__
from portfolio.inputs.rows import INSTRUMENTS
from portfolio.report import charts, cues, guide, panel
from portfolio.report.contents import Report
from portfolio.report.flowtables import CHAINS, chain_blocks
from portfolio.report.risktables import CONTRIBUTIONS, HISTOGRAM, write_samples
from portfolio.report.stocktables import (
    COUNTRIES,
    STOCKPILES,
    country_titles,
    stock_label,
    stockpile_blocks,
)
from portfolio.report.tables import (
    BUDGET,
    SECTORS,
    Table,
    budget_rows,
    countries,
    frontier_columns,
    frontier_tables,
    mix_columns,
    scenario_columns,
    sector_names,
    sector_years,
    tables,
)
from portfolio.workbook.save import save_atomic
from portfolio.workbook.styles import FORMATS, Column, new_workbook, write_table

LINKS_COLUMN = 10  # the Summary's list of sheets, right of the panel (columns E to H)


def write_report(report: Report, target: Path) -> None:
    """Write the results workbook atomically to `target`.

    With more RiskSamples rows than a sheet holds, they go first to the CSV file beside it,
    so that the workbook's note never names a file that is not there.
    """
    write_samples(report, target)
    book = _book(tables(report), report)
    _format_summary(book["Summary"])
    if report.solution.status.has_solution:
        _charts(book, report)
        panel.write(book["Summary"], report)
    cues.links(book["Summary"], book.sheetnames,
               LINKS_COLUMN if report.solution.status.has_solution else panel.COLUMN)
    save_atomic(book, target)


def write_frontier(report: Report, target: Path) -> None:
    """Write a workbook holding only the Frontier sheet and its chart."""
    book = _book(frontier_tables(report), report)
    _frontier_chart(book["Frontier"], report)
    save_atomic(book, target)


def _book(found: Sequence[Table], report: Report) -> Workbook:
    """One sheet per table, a second table of a sheet beside the first after a blank column.

    The Guide sheet comes last, each header cell carries its Guide text as a comment, the
    visual cues are applied, and the document properties name portfolio and the input.
    """
    book = new_workbook()
    written = guide.with_guide(found)
    for table in written:
        if table.sheet in book.sheetnames:
            ws = book[table.sheet]
            first = ws.max_column + 2
        else:
            ws, first = book.create_sheet(table.sheet), 1
        write_table(ws, table.columns, table.rows, table_name=table.name, first_col=first)
        _header_comments(ws, table, first, guide.chained(written))
    cues.apply(book, written)
    book.properties.creator = book.properties.lastModifiedBy = f"portfolio {__version__}"
    book.properties.subject = report.input_path.name
    book.properties.title = f"portfolio results for {report.input_path.name}"
    return book


def _header_comments(ws: Worksheet, table: Table, first: int, chains: bool) -> None:
    """The Guide's unit and meaning of each column, as a comment on its header cell."""
    for col, column in enumerate(table.columns, start=first):
        entry = guide.explain(table.name, column.name, chains)
        if entry is not None:
            comment = Comment(f"{column.name} ({entry.unit}): {entry.meaning}", "portfolio")
            comment.width, comment.height = 320, 110
            ws.cell(row=1, column=col).comment = comment


def _charts(book: Workbook, report: Report) -> None:
    """Charts beside the tables they plot."""
    sectors = book["Sectors"]
    blocks, row = [], 2
    for sector, by_year in sector_years(report).items():
        blocks.append((sector, row, row + len(by_year) - 1))
        row += len(by_year)
    charts.sector_supply(sectors, blocks, _after(SECTORS))
    if "Chains" in book.sheetnames:
        charts.chain_flows(book["Chains"], chain_blocks(report), _after(CHAINS))
    if "Stockpiles" in book.sheetnames:
        labels = {k.stockpile_id: stock_label(k) for k in report.case.stockpiles}
        year, released, stock = _columns(STOCKPILES, "year", "released_t", "stock_t")
        charts.stock_held(book["Stockpiles"],
                          [(labels[kid], first, last)
                           for kid, first, last in stockpile_blocks(report)],
                          year, released, stock, _after(STOCKPILES))
    if "Countries" in book.sheetnames:
        year, cost, limit = _columns(COUNTRIES, "year", "budget_cost_musd", "limit_musd")
        charts.country_budgets(book["Countries"], country_titles(report), year, cost, limit,
                               _after(COUNTRIES))
    charts.financing_mix(book["Mix"], len(INSTRUMENTS), countries(report),
                         _after(mix_columns(countries(report))))
    years = sum(1 for r in budget_rows(report) if r[0] != "total")
    charts.budget_by_year(book["Budget"], years, f"{_after(BUDGET)}2")
    if "Risk" in book.sheetnames:
        _risk_charts(book["Risk"])
    if report.frontier is not None:
        _frontier_chart(book["Frontier"], report)
        columns = frontier_columns(sector_names(report), report.case.chains)
        charts.frontier(book["Frontier"], len(report.frontier.points), 2,
                        _positions(columns, "demand_covered_pct") +
                        _positions(columns, "coverage_pct_"),
                        f"E{panel.rows(report) + 3}", on=book["Summary"])
    if "Scenarios" in book.sheetnames:
        columns = scenario_columns(sector_names(report), report.case.chains)
        charts.scenarios(book["Scenarios"], len(report.scenarios or ()) + 1,
                         _positions(columns, "coverage_pct_"),
                         f"A{len(report.scenarios or ()) + 4}")


def _risk_charts(ws: Worksheet) -> None:
    """The first objective's histogram and the risk contributions' tornado on Risk.

    Right of the sheet's tables; their data are the RiskHistogram and RiskContributions
    tables.
    """
    anchor = get_column_letter(ws.max_column + 2)
    spans = {t.displayName: range_boundaries(t.ref) for t in ws.tables.values()}
    if "t_RiskHistogram" in spans:
        first, _, _, last = spans["t_RiskHistogram"]
        label, count = (first - 1 + n for n in _columns(HISTOGRAM, "bin", "samples"))
        charts.risk_histogram(ws, last, label, count, f"{anchor}1")
    if "t_RiskContributions" in spans:
        first, _, _, last = spans["t_RiskContributions"]
        label, value = (first - 1 + n for n in _columns(CONTRIBUTIONS, "name",
                                                        "risk_contribution"))
        charts.risk_tornado(ws, last, label, value, f"{anchor}{1 + charts.ROWS_PER_CHART}")


def _frontier_chart(ws: Worksheet, report: Report) -> None:
    """The coverage chart below the frontier and its entry-level table."""
    columns = frontier_columns(sector_names(report), report.case.chains)
    points = len(report.frontier.points) if report.frontier else 0
    charts.frontier(ws, points, 2, _positions(columns, "demand_covered_pct") +
                    _positions(columns, "coverage_pct_"), f"A{points + 4}")


def _positions(columns: Sequence[Column], prefix: str) -> list[tuple[int, str]]:
    """(column, series name in words) of the columns whose header starts with `prefix`."""
    return [(n, _words(c.name)) for n, c in enumerate(columns, start=1)
            if c.name.startswith(prefix)]


def _columns(columns: Sequence[Column], *names: str) -> list[int]:
    """The sheet column number (1 = A) of each named column."""
    where = {c.name: n for n, c in enumerate(columns, start=1)}
    return [where[name] for name in names]


def _words(name: str) -> str:
    """A chart series' name for a column: 'magnets covered (%)', not coverage_pct_magnets."""
    if name == "demand_covered_pct":
        return "all demand covered (%)"
    if name.startswith("coverage_pct_"):
        return f"{name.removeprefix('coverage_pct_')} demand covered (%)"
    return name.replace("_", " ")


def _after(columns: Sequence[Column]) -> str:
    return str(get_column_letter(len(columns) + 2))


SUMMARY_FORMATS = {
    "weighted_shortfall": "usd", "weighted_imports": "usd", "total_budget_cost_musd": "usd",
    "stockpile_cost_musd": "usd",
    "total_budget_musd": "usd",
    "public_finance_musd": "usd", "projects_selected": "int", "budget_used_pct": "pct",
    "demand_covered_pct": "pct", "mip_gap": "number", "solve_seconds": "seconds",
    "rank_seconds": "seconds", "time_limit_s": "number", "analysis_seconds": "seconds",
    "plan_start_year": "year", "max_lead_time_months": "int", "max_public_share": "share",
    "mip_gap_allowed": "number", "frontier_steps": "int", "frontier_top_pct": "pct",
    "sensitivity_step_musd": "usd", "threads": "int", "random_seed": "int",
    "best_bound_weighted_shortfall": "usd", "best_bound_budget_cost_musd": "usd",
    "mip_nodes": "int", "lp_iterations": "int", "workers": "int",
    "risk_samples": "int", "risk_seed": "int", "expected_first_objective": "usd",
    "p90_first_objective": "usd", "plan_optimal_first_objective": "usd",
    "plan_optimal_expected_first_objective": "usd", "plan_optimal_p90_first_objective": "usd",
    "plan_optimal_budget_cost_musd": "usd", "robustness_cost_musd": "usd",
    "risk_seconds": "seconds",
}


def _format_summary(ws: Worksheet) -> None:
    """Each Summary value gets its own display format; the value column stays readable."""
    for metric, value in ws.iter_rows(min_row=2, max_col=2):
        kind = SUMMARY_FORMATS.get(str(metric.value))
        if kind and isinstance(value.value, int | float):
            value.number_format = FORMATS[kind]
    ws.column_dimensions["B"].width = 24
