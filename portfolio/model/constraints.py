"""One function per constraint family of the workbook contract.

Each function states its maths in its docstring, adds its rows to the model under names
built from stable parts (`gap-P07`, `budget-2027`), and returns early when its index is
empty. Notation as in `portfolio.model.container`;
`build` calls them in the order of this module.
"""

from __future__ import annotations

import pulp

from portfolio.constants import EPS
from portfolio.inputs.vocabulary import Lock, Target
from portfolio.model import stocks
from portfolio.model.container import Family, Model


def financing_gap(m: Model) -> None:
    """Gap closed exactly: sum_i gap_credit_i * x_pi = (capex_p - sponsor_equity_p) * y_p."""
    for project in m.case.projects:
        pid = project.project_id
        terms = [pool.gap_credit * var for pool, var in m.pools_of(project)]
        gap = m.case.gap(project)
        if not terms and gap <= EPS:
            continue
        m.add(pulp.lpSum(terms) == gap * m.y[pid], Family.GAP, pid)


def pool_share_cap(m: Model) -> None:
    """Per-pool cap: x_pi <= max_share_of_capex_i * capex_p * y_p (and x_pi <= capacity_i)."""
    if not m.x:
        return
    for (pid, iid), var in m.x.items():
        upper = var.upBound
        m.add(var <= upper * m.y[pid], Family.SHARE, pid, iid)


def public_share(m: Model) -> None:
    """Public share: sum_i gap_credit_i * x_pi <= max_public_share * capex_p * y_p.

    With the gap closed exactly, the row can only bind where gap_p > max_public_share *
    capex_p (it then forces y_p = 0), so it is written for those projects only.
    """
    share = m.case.settings.max_public_share
    for project in m.case.projects:
        if m.case.gap(project) <= share * project.capex_musd + EPS:
            continue
        pid = project.project_id
        credited = pulp.lpSum(pool.gap_credit * var for pool, var in m.pools_of(project))
        m.add(credited <= share * project.capex_musd * m.y[pid], Family.PUBLIC, pid)


def min_ticket(m: Model) -> None:
    """Min ticket: x_pi = 0 or x_pi >= min_ticket_i, via z_pi in {0,1}.

    x_pi >= min_ticket_i * z_pi;  x_pi <= ub_pi * z_pi;  z_pi <= y_p.
    """
    if not m.z:
        return
    for (pid, iid), z in m.z.items():
        x = m.x[(pid, iid)]
        ticket = m.case.pool_by_id[iid].min_ticket_musd
        m.add(x >= ticket * z, Family.TICKET_LO, pid, iid)
        m.add(x <= x.upBound * z, Family.TICKET_HI, pid, iid)
        m.add(z <= m.y[pid], Family.TICKET_SEL, pid, iid)


def pool_capacity(m: Model) -> None:
    """Pool capacity: sum_p x_pi <= capacity_i."""
    for pool in m.case.pools:
        used = [var for (_, iid), var in m.x.items() if iid == pool.pool_id]
        if not used:
            continue
        m.add(pulp.lpSum(used) <= pool.capacity_musd, Family.CAPACITY, pool.pool_id)


def total_budget(m: Model) -> None:
    """Total budget: sum_pi budget_cost_rate_i * x_pi + stockpile cost <= total_budget_musd."""
    if not m.x and not m.bought and not m.case.stockpiles:
        return
    m.add(m.budget_cost <= m.case.settings.total_budget_musd, Family.BUDGET, Target.TOTAL)


def annual_budget(m: Model) -> None:
    """Annual budgets: for each Budget year Y, sum_pi rate_i x_pi share_pY + stock_Y <= budget_Y.

    stock_Y is the stockpiles' budget cost in Y (`portfolio.model.stocks.cost_in`).
    """
    for year, limit in sorted(m.case.budgets.items()):
        spent = stocks.financing_cost(m, year=year) + stocks.stock_cost(m, year=year)
        if spent.items() or spent.constant:
            m.add(spent <= limit, Family.BUDGET, year)


def schedule_limit(m: Model) -> None:
    """Schedule: y_p = 0 where lead_time_months_p > max_lead_time_months."""
    limit = m.case.settings.max_lead_time_months
    if limit is None:
        return
    for project in m.case.projects:
        if project.lead_time_months > limit:
            m.add(m.y[project.project_id] <= 0, Family.SCHEDULE, project.project_id)


def locks(m: Model, locked_out: frozenset[str]) -> None:
    """Locks: y_p = 1 for lock `in`, y_p = 0 for lock `out` (and for any extra lock-out)."""
    for project in m.case.projects:
        pid = project.project_id
        y = m.y[pid]
        if project.lock == Lock.OUT or pid in locked_out:
            m.add(y <= 0, Family.LOCK_OUT, pid)
        elif project.lock == Lock.IN:
            m.add(y >= 1, Family.LOCK_IN, pid)


def requirements(m: Model) -> None:
    """Requires: y_p <= y_q for every q that p requires."""
    for project in m.case.projects:
        pid = project.project_id
        for needed in project.requires:
            m.add(m.y[pid] <= m.y[needed], Family.REQUIRES, pid, needed)


def exclusive_groups(m: Model) -> None:
    """Exclusive groups: sum_{p in g} y_p <= 1 for each group g (names match ignoring case)."""
    groups: dict[str, list[str]] = {}
    for project in m.case.projects:
        if project.exclusive_group:
            groups.setdefault(project.exclusive_group.casefold(), []).append(project.project_id)
    for group, members in groups.items():
        if len(members) > 1:
            m.add(pulp.lpSum(m.y[pid] for pid in members) <= 1, Family.EXCLUSIVE, group)


def shortfall_definition(m: Model) -> None:
    """Shortfall: s_d >= demand_d - supply_d, with 0 <= s_d <= demand_d.

    supply_d = sum over projects online in year_d of volume_tpa(p, sector_d, material_d) * y_p.
    Minimising weighted shortfall makes s_d = max(0, demand_d - supply_d).
    """
    for row, var in m.shortfall.items():
        demand = m.case.demands[row].demand_t
        if demand <= 0:
            continue
        m.add(var + m.supply(row) >= demand, Family.SHORTFALL, row)


def full_coverage(m: Model) -> None:
    """Objective min_cost: every Demand row covered, supply_d >= demand_d."""
    for row, demand in enumerate(m.case.demands):
        if demand.demand_t <= 0:
            continue
        m.add(m.supply(row) >= demand.demand_t, Family.COVER, row)
