"""The v2 government families: each country's budget authority and the agreed cost share.

Notation as in `portfolio.model.container` and `portfolio.model.stocks`. A country's budget
cost C_c is the budget cost of its pools (Financing rows whose country matches, ignoring
case) plus that of its stockpiles; in year Y, financing counts as disbursed (CapexSchedule
shares, as annual Budget rows) and stock costs in the year they occur. C is the portfolio's
total budget cost, financing and stockpiles.
"""

from __future__ import annotations

import pulp

from portfolio.inputs.rows import TOTAL
from portfolio.inputs.stockrows import country_key
from portfolio.model import stocks
from portfolio.model.container import Family, Model


def country_cost(m: Model, country: str, year: int | None = None) -> pulp.LpAffineExpression:
    """C_c (year None) or C_cY: what one country's budget bears (country as a key)."""
    return (stocks.financing_cost(m, year=year, country=country)
            + stocks.stock_cost(m, year=year, country=country))


def country_budget(m: Model) -> None:
    """Country budgets: C_c <= budget_musd for a blank-year row, C_cY <= budget_musd for Y.

    Rows are named `country-<country>-total` and `country-<country>-<year>`.
    """
    for row in m.case.country_budgets:
        key = country_key(row.country)
        cost = country_cost(m, key, row.year)
        m.add(cost <= row.budget_musd, Family.COUNTRY, key,
              TOTAL if row.year is None else row.year)


def cost_share(m: Model) -> None:
    """Cost share: min_share * C <= C_c <= max_share * C for each CostShare row.

    A bound of 0 (min) or 1 (max) holds for every portfolio and is not written.
    """
    for row in m.case.cost_shares:
        key = country_key(row.country)
        paid = country_cost(m, key)
        if row.min_share > 0:
            m.add(paid >= row.min_share * m.budget_cost, Family.SHARE_MIN, key)
        if row.max_share < 1:
            m.add(paid <= row.max_share * m.budget_cost, Family.SHARE_MAX, key)
