"""The v2 stockpile families: purchases, releases, stock bounds and what stock costs.

Notation as in `portfolio.model.container`, for stockpile k and plan year Y: purchases
b_kY >= 0 (none after buy_until_year), releases 0 <= r_kY <= max_release_tpa, stock bought to
date H_kY = initial_t + sum_{t<=Y} b_kt, year-end stock S_kY = H_kY - sum_{t<=Y} r_kt.
Releases join the allied tonnes A_cY of the stockpile's commodity (`released`), where the chain
balances of `portfolio.model.chains` take them.

Budget cost of k in Y: price/1000 * b_kY + holding_cost_pct/100 * price/1000 * H_kY. Holding
is charged on the stock as bought (a reserve is paid for while it is held ready), so the
initial stock's holding cost is a constant every portfolio pays.
"""

from __future__ import annotations

import pulp

from portfolio.inputs.stockrows import StockpileRow, country_key
from portfolio.model.container import Family, Flow, Model


def stock_variables(m: Model, *, releases: bool = True) -> None:
    """b_kY in [0, max_stock - initial] for each buying year, r_kY for each plan year.

    Without `releases` only the purchases (the sample-average model has its releases in
    each sample's block).
    """
    case, names = m.case, m.names
    for stock in case.stockpiles:
        kid = stock.stockpile_id
        ktok = names.token(f"stock:{kid}")
        room = max(0.0, stock.max_stock_t - stock.initial_t)
        for year in case.buying_years(stock):
            if room > 0:
                m.bought[(kid, year)] = m.prob.add_variable(f"b_{ktok}_{year}", 0, room)
    if releases:
        release_variables(m)
    m.budget_cost += pulp.lpSum(cost_in(m, stock, year)
                                for stock in case.stockpiles for year in case.plan_years)


def release_variables(m: Model) -> None:
    """r_kY in [0, min(max_release_tpa, max_stock_t)] for each stockpile and plan year.

    Releases are recourse: a sample's block (`Model.tag`) has its own.
    """
    case, names = m.case, m.names
    for stock in case.stockpiles:
        kid = stock.stockpile_id
        ktok = names.token(f"stock:{kid}")
        most = stock.max_stock_t if stock.max_release_tpa is None else \
            min(stock.max_release_tpa, stock.max_stock_t)
        if most <= 0:
            continue
        for year in case.plan_years:
            m.released[(kid, year)] = m.prob.add_variable(m.named(f"r_{ktok}_{year}"), 0, most)


def held_to_date(m: Model, stock: StockpileRow, year: int) -> pulp.LpAffineExpression:
    """H_kY = initial_t + sum_{t<=Y} b_kt: the stock bought to date."""
    kid = stock.stockpile_id
    return pulp.lpSum([var for (k, t), var in m.bought.items() if k == kid and t <= year]
                      + [stock.initial_t])


def released_to_date(m: Model, stock: StockpileRow, year: int) -> pulp.LpAffineExpression:
    """sum_{t<=Y} r_kt: the stock released to date."""
    kid = stock.stockpile_id
    return pulp.lpSum(var for (k, t), var in m.released.items() if k == kid and t <= year)


def cost_in(m: Model, stock: StockpileRow, year: int) -> pulp.LpAffineExpression:
    """Budget cost of k in Y: price/1000 * b_kY + holding/100 * price/1000 * H_kY (USD m)."""
    per_t = stock.price_usd_per_kg / 1000
    bought = m.bought.get((stock.stockpile_id, year))
    out = pulp.LpAffineExpression() if bought is None else per_t * bought
    if stock.holding_cost_pct > 0 and year in m.case.plan_years:
        out += stock.holding_cost_pct / 100 * per_t * held_to_date(m, stock, year)
    return out


def released(m: Model, flow: Flow) -> list[pulp.LpVariable]:
    """The release columns that add to A_cY of one commodity and plan year."""
    key, year = flow
    return [var for (kid, t), var in m.released.items()
            if t == year and m.case.stock_key(m.case.stockpile_by_id[kid]) == key]


def stock_cap(m: Model) -> None:
    """Stock cap: H_kY <= max_stock_t for each stockpile k, written for its last buying year.

    H only grows, so the row of the last year k may buy in implies the earlier ones; one row
    per stockpile (`stock-cap-<k>`) carries the whole value of its max_stock_t.
    """
    for stock in m.case.stockpiles:
        years = [y for y in m.case.buying_years(stock) if (stock.stockpile_id, y) in m.bought]
        if years:
            m.add(held_to_date(m, stock, years[-1]) <= stock.max_stock_t, Family.STOCK_CAP,
                  stock.stockpile_id)


def stock_level(m: Model) -> None:
    """Year-end stock: S_kY = H_kY - sum_{t<=Y} r_kt >= 0 for each stockpile and plan year."""
    for stock in m.case.stockpiles:
        for year in m.case.plan_years:
            out = released_to_date(m, stock, year)
            if not out:
                continue
            m.add(out <= held_to_date(m, stock, year), Family.STOCK_LEVEL,
                  stock.stockpile_id, year)


def financing_cost(m: Model, *, year: int | None = None, country: str | None = None,
                   ) -> pulp.LpAffineExpression:
    """Budget cost of the financing, in total or disbursed in `year`, of one country's pools.

    `country` is a country key (`Case.pool_country`); None takes every pool.
    """
    case = m.case
    terms: list[pulp.LpAffineExpression] = []
    for project in case.projects:
        share = 1.0 if year is None else case.disbursement(project).get(year, 0.0)
        if share <= 0:
            continue
        for pool, var in m.pools_of(project):
            if country is None or case.pool_country(pool) == country:
                terms.append(share * pool.budget_cost_rate * var)
    return pulp.lpSum(terms)


def stock_cost(m: Model, *, year: int | None = None, country: str | None = None,
               ) -> pulp.LpAffineExpression:
    """Budget cost of the stockpiles, in total or in `year`, of one country (None: all)."""
    case = m.case
    years = case.plan_years if year is None else (year,)
    return pulp.lpSum(cost_in(m, stock, y) for stock in case.stockpiles for y in years
                      if country is None or country_key(stock.country) == country)
