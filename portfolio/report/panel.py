"""The Summary sheet's panel for a director: the headline figures and the top of the ranking.

It sits beside the contract's metric/value table (from column E, starting in row 2, so the
table's header row stays metric, value, note) and repeats nothing a reader must trust
without a source: every figure in it is also a cell of the table or of another sheet.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from portfolio.analysis.stocktrade import sentence, stock_trades
from portfolio.report.contents import Report
from portfolio.report.flowtables import sector_share
from portfolio.report.risktables import first_words, robustness, sector_lines
from portfolio.workbook.styles import FONT, HEADER_FILL, HEADER_FONT, put

COLUMN = 5
MAGNETS = "magnets"  # the chain the framework aims at: mine to magnet outside China
TOP = 5
TITLE_FONT = Font(name=FONT, bold=True, size=14, color="1F4E78")
LINE_FONT = Font(name=FONT, size=11)


def headlines(report: Report) -> list[str]:
    """The sentences a director reads first."""
    case, fig = report.case, report.figures
    budget = case.settings.total_budget_musd
    used = f" ({100 * fig.total_cost / budget:.1f}%)" if budget > 0 else ""
    lines = [
        f"{report.solution.status.value.capitalize()}: back {len(fig.selected)} of "
        f"{len(case.projects)} candidate projects.",
        f"Demand covered: {fig.covered_pct:.1f}% of the tonnes needed "
        f"(weighted shortfall {fig.weighted_shortfall:,.0f}).",
        f"Budget cost: {fig.total_cost:,.1f} of {budget:,.1f} USD m{used}; public finance "
        f"committed: {sum(report.solution.face.values()):,.0f} USD m face value.",
        "By sector: " + ", ".join(f"{s} {pct:.0f}%" for s, pct in
                                  fig.sector_coverage_pct().items()) + " covered.",
    ]
    lines += _risk_lines(report)
    lines += _chain_line(report) + _stock_lines(report) + _frontier_line(report)
    lines += _sensitivity_line(report)
    lines += _scenario_lines(report)
    return lines


def _risk_lines(report: Report) -> list[str]:
    """Schedule risk: the first objective over the samples, and P(covered) per sector.

    The first objective's mean and P90 against the planned schedule's, P(fully covered) of
    each priority sector (`sector_lines`), and under expected what robustness costs.
    """
    risk = report.risk
    if risk is None:
        return []
    first = first_words(report.case.chains)
    lines = [f"Schedule risk over {risk.count:,} samples: the {first} averages "
             f"{risk.expected_first:,.0f} (P90 {risk.p90_first:,.0f}) against "
             f"{risk.plan_first:,.0f} on the planned schedule (Risk)."]
    lines += sector_lines(risk)
    robust = robustness(report)
    return lines + ([robust] if robust else [])


def _chain_line(report: Report) -> list[str]:
    """How much magnet demand the allied chains deliver, and how far converters lean on imports.

    Deliveries are always allied tonnes (imports feed converters only), so what leans on
    imports is the converters' feedstock: the imported share of their input tonnes.
    """
    if not report.case.chains:
        return []
    name = next((s for s in report.figures.sectors if s.casefold() == MAGNETS), MAGNETS)
    share = sector_share(report, name)
    if share is None:
        return []
    delivered, imported, weighted, used = share
    line = (f"{name[:1].upper()}{name[1:]}: {delivered:.0f}% of demand is delivered from "
            "allied chains")
    if used <= 0:
        return [f"{line}; no converter in the chain takes feedstock."]
    return [f"{line}; converters imported {imported:,.0f} t of their {used:,.0f} t of "
            f"feedstock ({100 * imported / used:.0f}%, weighted {weighted:,.0f})."]


def _stock_lines(report: Report) -> list[str]:
    """The stockpile-versus-build answer, one sentence per stockpile that releases stock."""
    return [sentence(t) for t in stock_trades(report.figures, report.sensitivity)]


def _frontier_line(report: Report) -> list[str]:
    frontier = report.frontier
    if frontier is None or not frontier.points:
        return []
    top = frontier.points[-1]
    if not top.variant.solved:
        return []
    return [f"At {top.pct:g}% of the budget ({top.budget_musd:,.0f} USD m) the optimum "
            f"covers {top.variant.figures.covered_pct:.1f}% (Frontier)."]


def _sensitivity_line(report: Report) -> list[str]:
    total = next((m for m in report.sensitivity or () if m.limit.kind == "total_budget"), None)
    if total is None or total.shortfall_change is None:
        return []
    if total.shortfall_change < 0:
        return [f"{total.step_musd:g} USD m more total budget lowers the weighted shortfall by "
                f"{-total.shortfall_change:,.0f} (Sensitivity)."]
    return [f"{total.step_musd:g} USD m more total budget changes no selection (Sensitivity)."]


def _scenario_lines(report: Report) -> list[str]:
    lines = []
    for outcome in report.scenarios or ():
        variant = outcome.variant
        if not variant.solved:
            lines.append(f"Scenario '{outcome.scenario.name}': no feasible portfolio.")
            continue
        lines.append(f"Scenario '{outcome.scenario.name}': {variant.figures.covered_pct:.1f}% "
                     f"covered, budget cost {variant.figures.total_cost:,.1f} USD m.")
    return lines


def rows(report: Report) -> int:
    """The last row the panel uses."""
    return 2 + len(headlines(report)) + 3 + max(1, min(TOP, len(report.regrets)))


def write(ws: Worksheet, report: Report) -> None:
    """Write the panel beside the Summary table."""
    title = ws.cell(row=2, column=COLUMN, value="At a glance")
    title.font = TITLE_FONT
    row = 3
    for line in headlines(report):
        put(ws, row, COLUMN, line, "text")
        ws.cell(row=row, column=COLUMN).font = LINE_FONT
        row += 1
    row += 1
    heading = ws.cell(row=row, column=COLUMN, value="Top of the ranking (Selection sheet)")
    heading.font = Font(name=FONT, bold=True, size=12, color="1F4E78")
    row += 1
    for col, name in enumerate(("rank", "project", "regret: weighted shortfall",
                                "regret: budget cost USD m"), start=COLUMN):
        cell = ws.cell(row=row, column=col, value=name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[row].height = 30
    for position, regret in enumerate(report.regrets[:TOP], start=1):
        row += 1
        label = f"{regret.project_id} {report.case.project_by_id[regret.project_id].label}"
        shortfall = "critical" if regret.critical else regret.shortfall
        cost = "critical" if regret.critical else regret.cost
        for col, (value, kind) in enumerate(((position, "int"), (label, "text"),
                                             (shortfall, "regret"), (cost, "regret")),
                                            start=COLUMN):
            put(ws, row, col, value, kind)
    if not report.regrets:
        put(ws, row + 1, COLUMN + 1, "not ranked (--rank none)", "text")
    ws.column_dimensions["D"].width = 3
    ws.column_dimensions["E"].width = 8
    ws.column_dimensions["F"].width = 44
    ws.column_dimensions["G"].width = 16
    ws.column_dimensions["H"].width = 16
