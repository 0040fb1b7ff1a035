"""The stockpile and government tables (Stockpiles, Countries) of a v2 workbook.

`Stockpiles` is written only when the input has Stockpiles rows. `Countries` is written when
it has CountryBudgets or CostShare rows (`Case.governments`) and also when it has
Stockpiles rows: every stockpile is held and paid for by one government, so a workbook with
stock already splits its budget cost between countries, and the reviewer should see who pays
what even before a CountryBudgets row caps it. A v1 or chains-only workbook gets neither.
`tables.tables` places Stockpiles after the chain sheets and Countries right after Budget
(kept here to hold tables.py short).

Every figure is the portfolio's (`Figures`): tonnes bought from the solution, releases and
year-end stock from the selection's flows (`Figures.flows`), budget costs recomputed from the
contract's formula (purchases plus holding on the stock bought to date).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from portfolio.analysis.figures import Figures, clean
from portfolio.inputs.case import Case
from portfolio.inputs.stockrows import StockpileRow, country_key
from portfolio.report.contents import Report
from portfolio.workbook.styles import Column

#: The Countries sheet's name for budget cost that no country bears (pools with a blank
#: Financing country): shown so that the countries' shares add up to 100%.
NO_COUNTRY = "(no country)"

STOCKPILES = (
    Column("stockpile_id", "text"), Column("country", "text"), Column("sector", "text"),
    Column("material", "text"), Column("year", "year"), Column("bought_t", "tonnes"),
    Column("released_t", "tonnes"), Column("stock_t", "tonnes"),
    Column("budget_cost_musd", "usd"), Column("held_t", "tonnes"),
    Column("purchase_cost_musd", "usd"), Column("holding_cost_musd", "usd"),
)
COUNTRIES = (
    Column("country", "text"), Column("year", "year"), Column("budget_cost_musd", "usd"),
    Column("limit_musd", "usd"), Column("share_pct", "pct"), Column("headroom_musd", "usd"),
    Column("min_share_pct", "pct"), Column("max_share_pct", "pct"),
)


def stock_tables(report: Report) -> list[tuple[str, Sequence[Column], list[list[Any]]]]:
    """(sheet, columns, rows) of the Stockpiles table; none for a workbook without stock."""
    if not report.case.stockpiles:
        return []
    return [("Stockpiles", STOCKPILES, stockpile_rows(report))]


def country_tables(report: Report) -> list[tuple[str, Sequence[Column], list[list[Any]]]]:
    """(sheet, columns, rows) of the Countries table; none unless governments or stock."""
    if not (report.case.governments or report.case.stockpiles):
        return []
    return [("Countries", COUNTRIES, country_rows(report))]


def stockpile_rows(report: Report) -> list[list[Any]]:
    """One row per stockpile and plan year: tonnes bought, released and held, and the cost."""
    found = report.figures.flows if report.solution.status.has_solution else None
    if found is None:
        return []
    case, fig = report.case, report.figures
    rows: list[list[Any]] = []
    for stock in case.stockpiles:
        kid = stock.stockpile_id
        per_t = stock.price_usd_per_kg / 1000
        for year in case.plan_years:
            bought = fig.bought(kid, year)
            held = fig.held_to_date(stock, year)
            purchase = per_t * bought
            holding = stock.holding_cost_pct / 100 * per_t * held
            rows.append([kid, case.country_name(country_key(stock.country)), stock.sector,
                         stock.material, year, bought, found.releases.get((kid, year), 0.0),
                         clean(found.stock(kid, year), held), fig.stock_cost_in(stock, year),
                         held, purchase, holding])
    return rows


def stockpile_blocks(report: Report) -> list[tuple[str, int, int]]:
    """(stockpile_id, first row, last row) of each stockpile's rows on the Stockpiles sheet."""
    return _blocks(r[0] for r in stockpile_rows(report))


def _no_country_cost(case: Case, fig: Figures) -> dict[int | None, float]:
    """Budget cost of pools without a country, per disbursement year and in total (None)."""
    out: dict[int | None, float] = defaultdict(float)
    for (pid, iid), value in fig.solution.face.items():
        pool = case.pool_by_id[iid]
        if case.pool_country(pool) is not None:
            continue
        cost = value * pool.budget_cost_rate
        out[None] += cost
        for year, share in case.disbursement(case.project_by_id[pid]).items():
            out[year] += share * cost
    return out


def _headroom(limit: float | None, spent: float) -> float | None:
    """Limit less cost, 0 within solver tolerance; None without a limit."""
    return None if limit is None else clean(limit - spent, limit)


def _pct(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole > 0 else None


def country_rows(report: Report) -> list[list[Any]]:
    """Per country: one row per year with budget cost or a limit, then its `total` row.

    Countries in `Case.countries` order, each with a total row even where it pays nothing;
    the budget cost of pools without a country last, as `NO_COUNTRY`, where there is any.
    """
    if not report.solution.status.has_solution:
        return []
    case, fig = report.case, report.figures
    limits = {(country_key(r.country), r.year): r.budget_musd for r in case.country_budgets}
    shares = {country_key(r.country): r for r in case.cost_shares}
    by_year = fig.cost_by_year
    years = sorted(set(by_year) | {y for _, y in limits if y is not None})
    groups: list[tuple[str, str | None, dict[int | None, float]]] = [
        (name, key, {y: fig.country_cost(key, y) for y in [*years, None]})
        for key, name in case.countries.items()]
    spare = _no_country_cost(case, fig)
    if clean(spare[None], fig.total_cost) > 0:
        groups.append((NO_COUNTRY, None, dict(spare)))
    rows: list[list[Any]] = []
    for name, key, cost in groups:
        for year in years:
            spent = clean(cost.get(year, 0.0), by_year.get(year, 0.0))
            limit = limits.get((key, year)) if key is not None else None
            if spent == 0 and limit is None:
                continue
            rows.append([name, year, spent, limit, _pct(spent, by_year.get(year, 0.0)),
                         _headroom(limit, spent), None, None])
        total = clean(cost.get(None, 0.0), fig.total_cost)
        limit = limits.get((key, None)) if key is not None else None
        share = shares.get(key) if key is not None else None
        rows.append([name, "total", total, limit, _pct(total, fig.total_cost),
                     _headroom(limit, total),
                     None if share is None else 100.0 * share.min_share,
                     None if share is None else 100.0 * share.max_share])
    return rows


def country_blocks(report: Report) -> list[tuple[str, int, int]]:
    """(country, first row, last row) of each country's year rows on the Countries sheet.

    Its total row is left out; a country with no year rows has no block.
    """
    return _blocks(r[0] if r[1] != "total" else None for r in country_rows(report))


def country_titles(report: Report) -> list[tuple[str, int, int]]:
    """`country_blocks` with a chart title for each in place of the country.

    The title names the country, and its whole-plan cost against its whole-plan limit where
    it has one (from its total row).
    """
    totals = {r[0]: (r[2], r[3]) for r in country_rows(report) if r[1] == "total"}
    out = []
    for country, first, last in country_blocks(report):
        cost, limit = totals[country]
        plan = "" if limit is None else \
            f" (whole plan: {cost:,.1f} of {limit:,.1f} USD m)"
        out.append((f"{country}: budget cost by year against its limits{plan}", first, last))
    return out


def _blocks(names: Iterable[str | None]) -> list[tuple[str, int, int]]:
    """Runs of equal names from sheet row 2 on (None: a row that belongs to no run)."""
    blocks: list[tuple[str, int, int]] = []
    previous: str | None = None
    for row, name in enumerate(names, start=2):
        if name is not None and name == previous:
            blocks[-1] = (name, blocks[-1][1], row)
        elif name is not None:
            blocks.append((name, row, row))
        previous = name
    return blocks


def stock_label(stock: StockpileRow) -> str:
    """A stockpile in words for chart titles: 'K (US, magnets/NdPr oxide)'."""
    return f"{stock.stockpile_id} ({stock.country}, {stock.sector}/{stock.material})"
