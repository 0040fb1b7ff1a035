"""The v2 chain families: utilisation, commodity balances and deliveries from allied tonnes.

Notation as in `portfolio.model.container`, for commodity c and plan year Y:
level_pY = u_pY for a converter online in Y, y_p for any other project online in Y, 0 before;
production P_cY = sum_p out_pc * level_pY; consumption Q_cY = sum_p in_pc * level_pY;
allied availability A_cY = P_cY + supply_cY + released_cY (stockpiles); imports m_cY in
[0, max_t]; delivered d_r = demand_r - s_r (max_coverage) or demand_r (min_cost, full delivery).

`chain_variables` makes u and m; `build` then calls the families in this module's order in
place of v1's shortfall or coverage rows. The same functions build the flow LP of one fixed
selection (`portfolio.model.flows`), where each y_p is a column fixed at 0 or 1.
"""

from __future__ import annotations

from collections import defaultdict

import pulp

from portfolio.inputs.case import Case, demand_key
from portfolio.model import stocks
from portfolio.model.container import Family, Flow, Model

#: (tonnes per year at full output, level column, whether the project is a converter)
Terms = list[tuple[float, pulp.LpVariable, bool]]


def chain_variables(m: Model, full_coverage: bool) -> None:
    """u_pY in [0, 1] per converter and plan year online, m_cY per importable consumed flow.

    The shortfall columns s_r in [0, demand_r] are made as in v1 unless `full_coverage`.
    """
    case, names = m.case, m.names
    for project in case.projects:
        pid = project.project_id
        every = m.every_year is not None and pid in m.every_year
        if not (every or case.is_converter(project)):
            continue
        ptok = names.token(pid)
        online = m.online(pid)
        for year in case.plan_years:
            if every or (online is not None and year >= online):
                m.u[(pid, year)] = m.prob.add_variable(m.named(f"u_{ptok}_{year}"), 0, 1)
    consumed = set(_terms(m, consumption=True))
    for (key, year), (cap, _) in sorted(case.import_terms.items()):
        if (key, year) in consumed:
            ctok = names.token("c:" + "/".join(key))
            m.imports[(key, year)] = m.prob.add_variable(m.named(f"m_{ctok}_{year}"), 0, cap)
    m.weighted_imports = pulp.lpSum(
        case.import_terms[flow][1] * var for flow, var in m.imports.items())
    if full_coverage:
        return
    for row, demand in enumerate(case.demands):
        m.shortfall[row] = m.prob.add_variable(m.named(f"s_{row}"), 0, demand.demand_t)
    m.weighted_shortfall = pulp.lpSum(
        case.demands[row].weight * var for row, var in m.shortfall.items())


def level(m: Model, pid: str, year: int) -> pulp.LpVariable | None:
    """How much of p runs in Y: u_pY for a converter, y_p for another project online, None.

    With `every_year` (one LP for every sampled schedule) each listed project runs at its
    own u_pY, whose bounds then say whether p is online in Y.
    """
    case = m.case
    project = case.project_by_id[pid]
    if case.is_converter(project) or (m.every_year is not None and pid in m.every_year):
        return m.u.get((pid, year))
    online = m.online(pid)
    return m.y[pid] if online is not None and year >= online else None


def _terms(m: Model, *, consumption: bool) -> dict[Flow, Terms]:
    """(coefficient, level) terms of P_cY (or of Q_cY) per commodity and plan year."""
    case = m.case
    per = case.consumption if consumption else case.volumes
    out: dict[Flow, Terms] = defaultdict(list)
    for project in case.projects:
        converter = case.is_converter(project)
        for key, tpa in per.get(project.project_id, {}).items():
            if tpa <= 0:
                continue
            for year in case.plan_years:
                var = level(m, project.project_id, year)
                if var is not None:
                    out[(key, year)].append((tpa, var, converter))
    return out


def _delivered(m: Model, row: int) -> pulp.LpAffineExpression:
    """d_r = demand_r - s_r, or demand_r where delivery is hard (min_cost)."""
    demand = m.case.demands[row].demand_t
    var = m.shortfall.get(row)
    return demand - var if var is not None else pulp.LpAffineExpression(constant=demand)


def _rows_by_flow(case: Case) -> dict[Flow, list[int]]:
    out: dict[Flow, list[int]] = defaultdict(list)
    for row, demand in enumerate(case.demands):
        out[(demand_key(demand.sector, demand.material), demand.year)].append(row)
    return out


def utilisation_cap(m: Model) -> None:
    """Utilisation: u_pY <= y_p for every converter p and plan year Y it is online.

    Not written for `every_year` columns, whose bounds hold the fixed selection.
    """
    for (pid, year), var in m.u.items():
        if m.every_year is not None and pid in m.every_year:
            continue
        m.add(var <= m.y[pid], Family.UTILISATION, pid, year)


def commodity_balance(m: Model) -> None:
    """Balance where anything is consumed: sum_{r of (c,Y)} d_r + Q_cY <= A_cY + m_cY."""
    production = _terms(m, consumption=False)
    rows = _rows_by_flow(m.case)
    for flow, consumed in sorted(_terms(m, consumption=True).items()):
        (key, year) = flow
        uses = pulp.lpSum([_delivered(m, r) for r in rows.get(flow, [])]
                          + [tpa * var for tpa, var, _ in consumed])
        available = pulp.lpSum([tpa * var for tpa, var, _ in production.get(flow, [])]
                               + stocks.released(m, flow) + [m.case.supply_t.get(flow, 0.0)])
        imported = m.imports.get(flow)
        if imported is not None:
            available += imported
        m.add(uses <= available, Family.BALANCE, key, year)


def allied_delivery(m: Model) -> None:
    """Deliveries from allied tonnes only: d_r <= A_cY for each Demand row r of (c, Y).

    A non-converter's tonnes count at most the row's demand, min(out_pc, demand_r) * y_p:
    the same integer solutions (one such project covers the row alone) and a tighter LP
    relaxation, as v1's shortfall rows. Converter tonnes count in full (u is continuous).
    """
    case = m.case
    production = _terms(m, consumption=False)
    for row, demand in enumerate(case.demands):
        if demand.demand_t <= 0:
            continue
        flow = (demand_key(demand.sector, demand.material), demand.year)
        terms = [(tpa if converter else min(tpa, demand.demand_t)) * var
                 for tpa, var, converter in production.get(flow, [])]
        available = pulp.lpSum([*terms, *stocks.released(m, flow), case.supply_t.get(flow, 0.0)])
        m.add(_delivered(m, row) <= available, Family.ALLIED, row)

