"""Visual cues: conditional formats, frozen id columns and the Summary's links to each sheet.

Conditional formats (not fixed fills) so that the cues follow the cells if a reviewer edits
them, and so Excel and LibreOffice both draw them: data bars on coverage, pool use and
converter utilisation, a red-amber-green scale on coverage by sector and year and on the
shares of schedule samples covered (Risk), binding limits and `critical` regrets
highlighted. Every rule is found by column header, never by a fixed letter.
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.formatting.rule import ColorScaleRule, DataBarRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from portfolio.report.contents import CRITICAL
from portfolio.report.tables import Table
from portfolio.workbook.styles import FONT

BAR = "5B9BD5"
RED, AMBER, GREEN = "F8696B", "FFEB84", "63BE7B"
BINDING = PatternFill("solid", fgColor="FCE4D6")
ALERT = PatternFill("solid", fgColor="F4B6B6")
ALERT_FONT = Font(name=FONT, bold=True, color="9C0006")
LINK_FONT = Font(name=FONT, color="0563C1", underline="single")
HEADING_FONT = Font(name=FONT, bold=True, size=12, color="1F4E78")

#: Sheets whose first columns identify the row: frozen there as well as the header.
FROZEN = {"Selection": "C2", "Financing": "C2", "Coverage": "D2", "Rejected": "B2",
          "Frontier": "B2", "Scenarios": "B2", "Sensitivity": "B2", "Mix": "B2",
          "Changes": "C2", "Sectors": "C2", "Flows": "D2", "Utilisation": "C2",
          "Chains": "C2", "Stockpiles": "B2", "Countries": "C2", "Risk": "D2",
          "RiskSamples": "C2"}

#: Percentage columns drawn as data bars, by table.
BARS = {"Coverage": ("coverage_pct",), "Pools": ("used_pct",),
        "Utilisation": ("utilisation_pct",)}

#: What each sheet holds, for the Summary's links.
SHEETS = {
    "Summary": "status, figures and every setting of this run",
    "Changes": "what moved against the earlier results workbook",
    "Diagnosis": "why no portfolio could be found",
    "Selection": "the projects backed, in rank order, and their financing",
    "Financing": "every commitment: project, pool, face value, budget cost",
    "Coverage": "each Demand row: supply, shortfall, coverage",
    "Flows": "tonnes made, supplied, imported, consumed and delivered per commodity",
    "Utilisation": "how hard each selected converter runs, and what holds it back",
    "Chains": "each chain's (sector's) tonnes by year, with charts",
    "Stockpiles": "each stockpile's tonnes bought, released and held, and its cost, by year",
    "Budget": "budget cost by year against the limits",
    "Countries": "what each government pays, by year, against its own limits",
    "Pools": "each funding pool's use",
    "Rejected": "every project left out, with the reason",
    "Risk": "each Demand row's shortfall over the schedule samples, P(covered) by sector "
            "and year, with charts",
    "RiskSamples": "every sampled online year that differs from the plan (blank: failed)",
    "Frontier": "what each budget level buys",
    "Scenarios": "the named scenarios against the base",
    "Sensitivity": "what one more USD m of each limit is worth",
    "Sectors": "tonnes by sector and year, with charts",
    "Mix": "financing by instrument and funder country",
    "Guide": "what every column means",
}


def apply(book: Workbook, found: Sequence[Table]) -> None:
    """All cues of the tables written to `book`."""
    for table in found:
        ws = book[table.sheet]
        if table.table is None and table.sheet in FROZEN:
            ws.freeze_panes = FROZEN[table.sheet]
        if table.name == "Changes":
            wrap(ws, {"item": 30, "previous": 18, "current": 18}, ())
        if not table.rows:
            continue
        first = 1 if table.table is None else _first_column(ws, table)
        cols = {c.name: get_column_letter(n) for n, c in enumerate(table.columns, start=first)}
        last = len(table.rows) + 1
        _bars(ws, cols, last, BARS.get(table.name, ()))
        _scales(ws, cols, last, table.name)
        _share_scales(ws, cols, last)
        _binding(ws, cols, last, table.name, first, len(table.columns))
        _critical(ws, cols, last)


def wrap(ws: Worksheet, widths: dict[str, float], wrapped: Sequence[str]) -> None:
    """Fixed widths for columns whose longest value would make the page unreadable."""
    header = {c.value: c.column_letter for c in ws[1]}
    for name, width in widths.items():
        if name in header:
            ws.column_dimensions[header[name]].width = width
    for name in wrapped:
        if name in header:
            for cell in ws[header[name]][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _first_column(ws: Worksheet, table: Table) -> int:
    """Where a second table of a sheet starts: the header cell holding its first column."""
    name = table.columns[0].name
    return int(next(c.column for c in ws[1] if c.value == name and c.column > 1))


def _bars(ws: Worksheet, cols: dict[str, str], last: int, names: Sequence[str]) -> None:
    """Data bars from 0 to 100 on percentage columns."""
    for name in names:
        if name in cols:
            ws.conditional_formatting.add(
                f"{cols[name]}2:{cols[name]}{last}",
                DataBarRule(start_type="num", start_value=0, end_type="num", end_value=100,
                            color=BAR, showValue=True))


def _scales(ws: Worksheet, cols: dict[str, str], last: int, name: str) -> None:
    """Red (0%) through amber (50%) to green (100%) on coverage by sector and year."""
    wanted = [c for c in cols if c.startswith("coverage_pct_") or c == "demand_covered_pct"]
    if name == "Sectors":
        wanted.append("coverage_pct")
    for column in wanted:
        ws.conditional_formatting.add(
            f"{cols[column]}2:{cols[column]}{last}",
            ColorScaleRule(start_type="num", start_value=0, start_color=RED,
                           mid_type="num", mid_value=50, mid_color=AMBER,
                           end_type="num", end_value=100, end_color=GREEN))


def _share_scales(ws: Worksheet, cols: dict[str, str], last: int) -> None:
    """Red (0) through amber (0.5) to green (1) on the shares of samples covered (Risk)."""
    for column in cols:
        if column == "prob_covered" or column.startswith("prob_covered_"):
            ws.conditional_formatting.add(
                f"{cols[column]}2:{cols[column]}{last}",
                ColorScaleRule(start_type="num", start_value=0, start_color=RED,
                               mid_type="num", mid_value=0.5, mid_color=AMBER,
                               end_type="num", end_value=1, end_color=GREEN))


def _binding(ws: Worksheet, cols: dict[str, str], last: int, name: str, first: int,
             width: int) -> None:
    """Whole rows shaded where a limit binds: Sensitivity, Budget, Countries and Pools."""
    span = f"{get_column_letter(first)}2:{get_column_letter(first + width - 1)}{last}"
    headroom = cols.get("headroom_musd", "A")
    formula = {
        "Sensitivity": f'${cols.get("binding", "A")}2="yes"',
        "Budget": f"AND(ISNUMBER(${headroom}2),${headroom}2<=0.000001)",
        "Countries": f"AND(ISNUMBER(${headroom}2),${headroom}2<=0.000001)",
        "Pools": f'AND(ISNUMBER(${cols.get("used_pct", "A")}2),'
                 f'${cols.get("used_pct", "A")}2>=99.9999)',
    }.get(name)
    if formula is not None:
        ws.conditional_formatting.add(span, FormulaRule(formula=[formula], fill=BINDING))


def _critical(ws: Worksheet, cols: dict[str, str], last: int) -> None:
    """`critical` regrets in red: dropping the project leaves no feasible portfolio."""
    for name in ("regret_shortfall", "regret_cost_musd"):
        if name in cols:
            letter = cols[name]
            ws.conditional_formatting.add(
                f"{letter}2:{letter}{last}",
                FormulaRule(formula=[f'{letter}2="{CRITICAL}"'], fill=ALERT, font=ALERT_FONT))


def links(ws: Worksheet, sheets: Sequence[str], column: int) -> None:
    """A list of the workbook's sheets on the Summary, each a link to the sheet's A1."""
    heading = ws.cell(row=2, column=column, value="Sheets in this workbook")
    heading.font = HEADING_FONT
    for row, name in enumerate(sheets, start=3):
        cell = ws.cell(row=row, column=column, value=name)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{name}'!A1", display=name)
        cell.font = LINK_FONT
        about = ws.cell(row=row, column=column + 1, value=SHEETS.get(name, ""))
        about.font = Font(name=FONT)
    ws.column_dimensions[get_column_letter(column)].width = 14
    ws.column_dimensions[get_column_letter(column + 1)].width = 52
