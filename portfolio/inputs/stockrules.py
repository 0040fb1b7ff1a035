"""Rules across the stockpile and government sheets (Stockpiles, CountryBudgets, CostShare).

The row models check each value (max_stock_t below initial_t, shares outside [0, 1], a
min_share above its max_share); `validate` checks repeated stockpile ids and CostShare
countries and years before the plan. These check what only the rows together say: a country's
budget given twice for one year (or twice for the whole plan), a buy_until_year after the
plan's end, and, as warnings, countries that nothing draws on, min_shares that only a
portfolio costing nothing can meet, and stock whose releases reach nothing. Countries match
ignoring case and spacing; commodities on sector and material, as everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from portfolio.errors import Issue
from portfolio.inputs.case import demand_key
from portfolio.inputs.rows import Demand, InputRow, Pool, Row
from portfolio.inputs.stockrows import CostShareRow, CountryBudgetRow, StockpileRow, country_key
from portfolio.workbook.read import Table
from portfolio.workbook.values import shown, suggest

R = TypeVar("R", bound=Row)
Located = tuple[Table, int, R]


def stock_issues(
    stockpiles: Sequence[Located[StockpileRow]],
    budgets: Sequence[Located[CountryBudgetRow]],
    demands: Sequence[Located[Demand]],
) -> list[Issue]:
    """Every cross-row problem of the three sheets, in sheet order."""
    return _budget_repeats(budgets)


def _after_plan(stockpiles: Sequence[Located[StockpileRow]],
                demands: Sequence[Located[Demand]]) -> list[str]:
    """buy_until_year after the last Demand year: allowed, and the reviewer is told so.

    The contract asks only buy_until_year >= plan_start_year; stock is then bought in any
    plan year.
    """
    last = max((d.year for _, _, d in demands), default=None)
    if last is None:
        return []
    return [f"{table.ref('buy_until_year', row)}: buy_until_year {stock.buy_until_year} is "
            f"after the last Demand year {last}, where the plan ends; stock "
            f"{stock.stockpile_id} may be bought in every plan year"
            for table, row, stock in stockpiles
            if stock.buy_until_year is not None and stock.buy_until_year > last]


def _budget_repeats(budgets: Sequence[Located[CountryBudgetRow]]) -> list[Issue]:
    """One CountryBudgets row per country and year; the blank year (whole plan) counts once."""
    first: dict[tuple[str, int | None], str] = {}
    out: list[Issue] = []
    for table, row, budget in budgets:
        key = (country_key(budget.country), budget.year)
        ref = table.ref("country", row)
        if key not in first:
            first[key] = ref
        elif budget.year is None:
            out.append(Issue(ref, f"country: a second whole-plan budget (blank year) for "
                                  f"'{budget.country}' (first at {first[key]}); give one "
                                  "row per country and year"))
        else:
            out.append(Issue(ref, f"country: duplicate country/year '{budget.country} / "
                                  f"{budget.year}' (first at {first[key]})"))
    return out


def stock_warnings(
    stockpiles: Sequence[Located[StockpileRow]],
    budgets: Sequence[Located[CountryBudgetRow]],
    shares: Sequence[Located[CostShareRow]],
    pools: Sequence[Located[Pool]],
    demands: Sequence[Located[Demand]],
    inputs: Sequence[Located[InputRow]],
) -> list[str]:
    """Warnings: buying beyond the plan, unpaid countries, floors above 1, unreached stock.

    buy_until_year after the plan's end; countries that no pool or stockpile has; min_shares
    that sum above 1; stock that no Demand row or converter takes.
    """
    paying: dict[str, str] = {}
    for name in [*(i.country for _, _, i in pools if i.country),
                 *(k.country for _, _, k in stockpiles)]:
        paying.setdefault(country_key(name), name)
    return [*_after_plan(stockpiles, demands), *_unpaid(budgets, shares, paying),
            *_floors(shares), *_unreached(stockpiles, demands, inputs)]


def _unpaid(budgets: Sequence[Located[CountryBudgetRow]],
            shares: Sequence[Located[CostShareRow]], paying: dict[str, str]) -> list[str]:
    """Countries that bear no cost: no pool or stockpile has them.

    Their budget limits nothing, and a min_share above 0 holds only for a portfolio that costs
    nothing. Each sheet warns once per country, at its first row.
    """
    names = list(paying.values())
    known = (f"the countries on Financing and Stockpiles are {', '.join(names)}" if names
             else "Financing and Stockpiles name no country")
    warnings: list[str] = []
    for sheet in (budgets, shares):
        seen: set[str] = set()
        for table, row, record in sheet:
            key = country_key(record.country)
            if key in paying or key in seen:
                continue
            seen.add(key)
            if isinstance(record, CountryBudgetRow):
                effect = "its budget limits nothing"
            elif record.min_share > 0:
                effect = (f"it pays nothing and its min_share {shown(record.min_share)} holds "
                          "only for a portfolio with no budget cost")
            else:
                effect = "its cost share limits nothing"
            warnings.append(
                f"{table.ref('country', row)}: no pool or stockpile has country "
                f"'{record.country}', so {effect}; {known}{suggest(record.country, names)}")
    return warnings


def _floors(shares: Sequence[Located[CostShareRow]]) -> list[str]:
    """min_shares above 1 in all: only a total budget cost of 0 meets every floor."""
    floors = sum(s.min_share for _, _, s in shares)
    if floors <= 1:
        return []
    return [f"CostShare: the min_share values sum to {floors:.4g}, more than the whole (1); "
            "only a portfolio with no budget cost (nothing financed, no stock bought) meets "
            "them all"]


def _unreached(stockpiles: Sequence[Located[StockpileRow]], demands: Sequence[Located[Demand]],
               inputs: Sequence[Located[InputRow]]) -> list[str]:
    """Stock of a commodity no Demand row or converter takes is never of use."""
    taken: dict[tuple[str, str], str] = {}
    rows: list[Demand | InputRow] = [*(d for _, _, d in demands), *(r for _, _, r in inputs)]
    for r in rows:
        taken.setdefault(demand_key(r.sector, r.material), f"{r.sector}/{r.material}")
    warnings = []
    for table, row, stock in stockpiles:
        if demand_key(stock.sector, stock.material) in taken:
            continue
        label = f"{stock.sector}/{stock.material}"
        warnings.append(
            f"{table.ref('material', row)}: no Demand row or converter takes {label}, so "
            f"stock released from {stock.stockpile_id} covers nothing"
            f"{suggest(label, list(taken.values()))}")
    return warnings
