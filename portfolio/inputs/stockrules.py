"""Rules across the stockpile and government sheets (Stockpiles, CountryBudgets, CostShare).

The row models check each value (max_stock_t below initial_t, shares outside [0, 1], a
min_share above its max_share); these check what only the rows together say: a country's
budget or cost share given twice, a buy_until_year after the plan's end, and, as warnings,
countries that nothing draws on and stock whose releases reach nothing. Countries match
ignoring case and spacing; commodities on sector and material, as everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from portfolio.errors import Issue
from portfolio.inputs.case import demand_key
from portfolio.inputs.rows import Demand, InputRow, Pool, Row
from portfolio.inputs.stockrows import CostShareRow, CountryBudgetRow, StockpileRow, country_key
from portfolio.workbook.read import Table

R = TypeVar("R", bound=Row)
Located = tuple[Table, int, R]


def stock_issues(
    stockpiles: Sequence[Located[StockpileRow]],
    budgets: Sequence[Located[CountryBudgetRow]],
    demands: Sequence[Located[Demand]],
) -> list[Issue]:
    """Every cross-row problem of the three sheets, in sheet order."""
    last = max((d.year for _, _, d in demands), default=None)
    return [*_after_plan(stockpiles, last), *_budget_repeats(budgets)]


def _after_plan(stockpiles: Sequence[Located[StockpileRow]], last: int | None) -> list[Issue]:
    """buy_until_year after the last Demand year buys in no plan year: say so at the cell."""
    if last is None:
        return []
    return [Issue(table.ref("buy_until_year", row),
                  f"buy_until_year: {stock.buy_until_year} is after the plan's last year "
                  f"{last} (the last Demand year); stock is bought within the plan")
            for table, row, stock in stockpiles
            if stock.buy_until_year is not None and stock.buy_until_year > last]


def _budget_repeats(budgets: Sequence[Located[CountryBudgetRow]]) -> list[Issue]:
    """One CountryBudgets row per country and year; the blank year counts as a year."""
    first: dict[tuple[str, int | None], str] = {}
    out: list[Issue] = []
    for table, row, budget in budgets:
        key = (country_key(budget.country), budget.year)
        ref = table.ref("country", row)
        if key in first:
            when = "the whole plan" if budget.year is None else str(budget.year)
            out.append(Issue(ref, f"country: duplicate country/year '{budget.country} / "
                                  f"{when}' (first at {first[key]})"))
        else:
            first[key] = ref
    return out


def stock_warnings(
    stockpiles: Sequence[Located[StockpileRow]],
    budgets: Sequence[Located[CountryBudgetRow]],
    shares: Sequence[Located[CostShareRow]],
    pools: Sequence[Located[Pool]],
    demands: Sequence[Located[Demand]],
    inputs: Sequence[Located[InputRow]],
) -> list[str]:
    """Countries that no pool or stockpile has; stock that can reach no Demand or converter."""
    paying = {country_key(i.country) for _, _, i in pools if i.country}
    paying |= {country_key(k.country) for _, _, k in stockpiles}
    warnings: list[str] = []
    named: list[Located[Any]] = [*budgets, *shares]
    seen: set[str] = set()
    for table, row, record in named:
        key = country_key(record.country)
        if key in paying or key in seen:
            continue
        seen.add(key)
        warnings.append(
            f"{table.ref('country', row)}: no pool or stockpile has country "
            f"'{record.country}' (Financing and Stockpiles countries: "
            f"{', '.join(sorted(paying)) or 'none'}); this row limits nothing")
    floors = sum(s.min_share for _, _, s in shares)
    if floors > 1:
        warnings.append(f"CostShare: the min_share values sum to {floors:.4g} > 1; only a "
                        "portfolio that costs nothing can meet them")
    used = {demand_key(d.sector, d.material) for _, _, d in demands}
    used |= {demand_key(r.sector, r.material) for _, _, r in inputs}
    for table, row, stock in stockpiles:
        if demand_key(stock.sector, stock.material) not in used:
            warnings.append(
                f"{table.ref('material', row)}: no Demand row or converter takes "
                f"{stock.sector}/{stock.material}; stock {stock.stockpile_id} releases reach "
                "nothing")
    return warnings
