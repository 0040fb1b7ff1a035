"""Native Excel charts for the results workbook, drawn from the cells of its own sheets.

Every chart reads ranges the workbook shows as tables, so a reviewer can see (and check)
what is plotted; nothing is plotted from numbers that are not in a cell. Axes are marked
as shown explicitly: recent Excel hides openpyxl's axes otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.worksheet.worksheet import Worksheet

WIDTH_CM, HEIGHT_CM = 18.0, 9.0
ROWS_PER_CHART = 20


def _shown_axes(chart: Any, x_title: str, y_title: str) -> None:
    chart.x_axis.title = x_title
    chart.y_axis.title = y_title
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = WIDTH_CM, HEIGHT_CM
    chart.legend.position = "b"


def sector_supply(ws: Worksheet, blocks: Sequence[tuple[str, int, int]], anchor_col: str) -> None:
    """One line chart per sector: demand and supply (tonnes) by year.

    `blocks` are (sector, first row, last row) of the Sectors sheet, whose columns are
    sector, year, demand_t, supply_t.
    """
    for n, (sector, first, last) in enumerate(blocks):
        chart = LineChart()
        chart.title = f"{sector}: supply against demand"
        for col, title in ((3, "demand (t)"), (4, "supply (t)")):
            series = Series(Reference(ws, min_col=col, min_row=first, max_row=last),
                            title=title)
            series.smooth = False
            chart.series.append(series)
        chart.set_categories(Reference(ws, min_col=2, min_row=first, max_row=last))
        _shown_axes(chart, "year", "tonnes (all materials)")
        ws.add_chart(chart, f"{anchor_col}{1 + n * ROWS_PER_CHART}")


def financing_mix(ws: Worksheet, rows: int, countries: Sequence[str], anchor_col: str) -> None:
    """Stacked columns by instrument: face value, then budget cost, split by funder country.

    The Mix sheet's columns: instrument, one face-value column per country, the face
    total, one budget-cost column per country, the cost total.
    """
    n = len(countries)
    for offset, (first_col, title, y_title) in enumerate((
            (2, "Financing mix: face value by instrument and funder country", "USD m face value"),
            (3 + n, "Budget cost by instrument and funder country", "USD m budget cost"))):
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
        chart.title = title
        for col, country in enumerate(countries, start=first_col):
            chart.series.append(Series(Reference(ws, min_col=col, min_row=2, max_row=rows + 1),
                                       title=f"funded by {country}"))
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows + 1))
        _shown_axes(chart, "instrument", y_title)
        ws.add_chart(chart, f"{anchor_col}{1 + offset * ROWS_PER_CHART}")


def budget_by_year(ws: Worksheet, years: int, anchor: str) -> None:
    """Columns of budget cost per year with the annual limits as a line (Budget sheet)."""
    if years == 0:
        return
    bars = BarChart()
    bars.title = "Budget cost by year against the annual limits"
    bars.series.append(Series(Reference(ws, min_col=2, min_row=2, max_row=years + 1),
                              title="budget cost (USD m)"))
    bars.set_categories(Reference(ws, min_col=1, min_row=2, max_row=years + 1))
    line = LineChart()
    limit = Series(Reference(ws, min_col=3, min_row=2, max_row=years + 1),
                   title="annual limit (USD m)")
    limit.smooth = False
    line.series.append(limit)
    _shown_axes(bars, "year", "USD m")
    bars += line
    ws.add_chart(bars, anchor)


def frontier(ws: Worksheet, points: int, x_col: int, y_cols: Sequence[tuple[int, str]],
             anchor: str, on: Worksheet | None = None) -> None:
    """Coverage (%) per sector and overall against the budget level (USD m).

    `y_cols` are (column, series name in words). The data are the Frontier sheet's (`ws`);
    the chart goes on `on` (default: that sheet).
    """
    chart = ScatterChart()
    chart.title = "Coverage against budget (efficient frontier)"
    xs = Reference(ws, min_col=x_col, min_row=2, max_row=points + 1)
    for col, name in y_cols:
        ys = Reference(ws, min_col=col, min_row=2, max_row=points + 1)
        series = Series(ys, xs, title=name)
        series.marker.symbol = "circle"
        series.smooth = False
        chart.series.append(series)
    _shown_axes(chart, "total budget (USD m)", "demand covered (%)")
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
    chart.y_axis.number_format = "0"
    chart.x_axis.number_format = "#,##0"
    (on or ws).add_chart(chart, anchor)


def scenarios(ws: Worksheet, rows: int, y_cols: Sequence[tuple[int, str]],
              anchor: str) -> None:
    """Clustered columns: coverage (%) per sector, one cluster per scenario."""
    chart = BarChart()
    chart.type = "col"
    chart.title = "Coverage by sector per scenario"
    for col, name in y_cols:
        chart.series.append(Series(Reference(ws, min_col=col, min_row=2, max_row=rows + 1),
                                   title=name))
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows + 1))
    _shown_axes(chart, "scenario", "demand covered (%)")
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
    chart.y_axis.number_format = "0"
    ws.add_chart(chart, anchor)


def chain_flows(ws: Worksheet, blocks: Sequence[tuple[str, int, int]], anchor_col: str) -> None:
    """One line chart per chain (sector): allied tonnes against their uses and imports by year.

    `blocks` are (sector, first row, last row) of the Chains sheet, whose columns are sector,
    year, allied_t, imports_t, consumed_t, delivered_t, demand_t.
    """
    for n, (sector, first, last) in enumerate(blocks):
        chart = LineChart()
        chart.title = f"{sector}: allied tonnes against consumption, deliveries and imports"
        for col, title in ((3, "allied production + supply + released (t)"),
                           (5, "consumed (t)"), (6, "delivered (t)"), (4, "imported (t)")):
            series = Series(Reference(ws, min_col=col, min_row=first, max_row=last),
                            title=title)
            series.smooth = False
            chart.series.append(series)
        chart.set_categories(Reference(ws, min_col=2, min_row=first, max_row=last))
        _shown_axes(chart, "year", "tonnes (all materials of the chain)")
        ws.add_chart(chart, f"{anchor_col}{1 + n * ROWS_PER_CHART}")


def _bars_with_line(ws: Worksheet, first: int, last: int, year_col: int,
                    bar: tuple[int, str], line: tuple[int, str]) -> BarChart:
    """Columns of one cell range by year with another as a line over them."""
    bars = BarChart()
    bars.series.append(Series(Reference(ws, min_col=bar[0], min_row=first, max_row=last),
                              title=bar[1]))
    bars.set_categories(Reference(ws, min_col=year_col, min_row=first, max_row=last))
    over = LineChart()
    series = Series(Reference(ws, min_col=line[0], min_row=first, max_row=last), title=line[1])
    series.smooth = False
    series.marker.symbol = "circle"
    over.series.append(series)
    bars += over
    bars.y_axis.scaling.min = 0
    return bars


def stock_held(ws: Worksheet, blocks: Sequence[tuple[str, int, int]], year_col: int,
               released_col: int, stock_col: int, anchor_col: str) -> None:
    """One chart per stockpile: tonnes released each year (columns) and year-end stock (line).

    `blocks` are (title, first row, last row) of each stockpile's rows on the Stockpiles sheet.
    """
    for n, (title, first, last) in enumerate(blocks):
        chart = _bars_with_line(ws, first, last, year_col, (released_col, "released (t)"),
                                (stock_col, "stock held at year end (t)"))
        chart.title = f"Stockpile {title}: stock held and released"
        _shown_axes(chart, "year", "tonnes")
        ws.add_chart(chart, f"{anchor_col}{1 + n * ROWS_PER_CHART}")


def country_budgets(ws: Worksheet, blocks: Sequence[tuple[str, int, int]], year_col: int,
                    cost_col: int, limit_col: int, anchor_col: str) -> None:
    """One chart per country: budget cost by year (columns) against its limit (line).

    The line is the CountryBudgets limit of each year, without a point where the year has
    none. `blocks` are (title, first row, last row) of each country's year rows on the
    Countries sheet.
    """
    for n, (title, first, last) in enumerate(blocks):
        chart = _bars_with_line(ws, first, last, year_col, (cost_col, "budget cost (USD m)"),
                                (limit_col, "country limit for the year (USD m)"))
        chart.title = title
        _shown_axes(chart, "year", "USD m")
        ws.add_chart(chart, f"{anchor_col}{1 + n * ROWS_PER_CHART}")


def risk_histogram(ws: Worksheet, last: int, label_col: int, count_col: int,
                   anchor: str) -> None:
    """Columns of the samples per bin of the first objective (the RiskHistogram table)."""
    chart = BarChart()
    chart.type, chart.gapWidth = "col", 10
    chart.title = "First objective over the schedule samples"
    chart.series.append(Series(Reference(ws, min_col=count_col, min_row=2, max_row=last),
                               title="samples"))
    chart.set_categories(Reference(ws, min_col=label_col, min_row=2, max_row=last))
    _shown_axes(chart, "first objective (bin)", "samples")
    chart.y_axis.scaling.min = 0
    chart.legend = None
    ws.add_chart(chart, anchor)


def risk_tornado(ws: Worksheet, last: int, label_col: int, value_col: int,
                 anchor: str) -> None:
    """Horizontal bars of the largest risk contributions, largest at the top.

    The data are the RiskContributions table's, in its order (largest first).
    """
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Largest risk contributions (first objective lost to each project's delays)"
    chart.series.append(Series(Reference(ws, min_col=value_col, min_row=2, max_row=last),
                               title="risk contribution"))
    chart.set_categories(Reference(ws, min_col=label_col, min_row=2, max_row=last))
    _shown_axes(chart, "project", "risk contribution (first objective)")
    chart.x_axis.scaling.orientation = "maxMin"  # the first row (largest) at the top
    chart.y_axis.crosses = "max"  # ... and the value axis still below the bars
    chart.legend = None
    ws.add_chart(chart, anchor)
