"""risk_objective = expected: the sample-average model, one recourse per sample.

The first-stage columns (y, x, z, b: selection, financing, stock purchases) are the plan
model's; each sample k gets its own recourse block, the chain families of
`portfolio.model.chains` (or v1's shortfall rows) with the projects online in their sampled
years, and the first objective becomes

    (1/N) sum_k [ sum_r weight_r * s_rk + sum_cY weight_c * m_cYk ].

Samples the model cannot tell apart share a block, weighted by how many they are: with
chains, two samples whose selected-or-not projects come online in the same plan years
(after the plan and failed are the same); without Inputs or Stockpiles each Demand row is
its own block, s_rg >= D_r - supply_r - sum_{p online by Y_r in g} min(v_pr, D_r) * y_p for
each group g of samples with the same projects online by Y_r for that row.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pulp

from portfolio.inputs.case import demand_key
from portfolio.model import chains, stocks
from portfolio.model.container import Family, Model
from portfolio.model.recourse import closed
from portfolio.model.samples import FAILED, draw


def sample_average(m: Model) -> None:
    """The recourse of every sample and the sample-average first objective (see module)."""
    if closed(m.case):
        _closed_rows(m)
    else:
        _chain_blocks(m)


def _clipped(m: Model) -> np.ndarray:
    """Online years with failed and after-the-plan alike (the plan's last year + 1)."""
    samples = draw(m.case)
    after = m.case.plan_years[-1] + 1
    online = np.where(samples.online == FAILED, after, samples.online)
    return np.clip(online, m.case.plan_years[0], after)


def _chain_blocks(m: Model) -> None:
    """One chain recourse block per distinct sampled schedule, weighted by its count."""
    case = m.case
    samples = draw(case)
    after = case.plan_years[-1] + 1
    counts = Counter(tuple(row) for row in _clipped(m).tolist())
    shortfall: list[pulp.LpAffineExpression] = []
    imports: list[pulp.LpAffineExpression] = []
    for g, (schedule, count) in enumerate(sorted(counts.items())):
        block = Model(case=case, prob=m.prob, names=m.names, y=m.y, bought=m.bought,
                      schedule={pid: (None if year == after else year)
                                for pid, year in zip(samples.project_ids, schedule,
                                                     strict=True)},
                      tag=f"~k{g + 1}")
        stocks.release_variables(block)
        chains.chain_variables(block, False)
        stocks.stock_level(block)
        chains.utilisation_cap(block)
        chains.commodity_balance(block)
        chains.allied_delivery(block)
        share = count / samples.count
        shortfall.append(share * block.weighted_shortfall)
        imports.append(share * block.weighted_imports)
        m.rows.update(block.rows)
    m.weighted_shortfall = pulp.lpSum(shortfall)
    m.weighted_imports = pulp.lpSum(imports)


def _closed_rows(m: Model) -> None:
    """Per Demand row, one shortfall column per group of samples alike for that row.

    A group's samples have the same projects online by the row's year:
    s_rg + sum_{p in g} min(v_pr, D_r) y_p >= D_r - supply_r.
    """
    case = m.case
    samples = draw(case)
    online = _clipped(m)
    terms: list[pulp.LpAffineExpression] = []
    for r, demand in enumerate(case.demands):
        if demand.demand_t <= 0:
            continue
        key = demand_key(demand.sector, demand.material)
        makers = [(samples.column[p.project_id], min(v, demand.demand_t), p.project_id)
                  for p in case.projects
                  if (v := case.volumes.get(p.project_id, {}).get(key, 0.0)) > 0]
        columns = [j for j, _, _ in makers]
        on = online[:, columns] <= demand.year if columns else np.zeros((samples.count, 0))
        groups = Counter(tuple(row) for row in on.tolist())
        need = demand.demand_t - case.supply_t.get((key, demand.year), 0.0)
        for g, (pattern, count) in enumerate(sorted(groups.items())):
            var = m.prob.add_variable(f"s_{r}~g{g + 1}", 0, demand.demand_t)
            supply = pulp.lpSum(tonnes * m.y[pid] for (_, tonnes, pid), live
                                in zip(makers, pattern, strict=True) if live)
            group = Model(case=case, prob=m.prob, names=m.names, tag=f"~g{g + 1}")
            group.add(var + supply >= need, Family.SHORTFALL, r)
            m.rows.update(group.rows)
            terms.append(demand.weight * count / samples.count * var)
    m.weighted_shortfall = pulp.lpSum(terms)
