"""Build stage: the mixed-integer program of the workbook contract, as a table of contents.

`build` creates the variables and calls one function per constraint family
(`portfolio.model.constraints`); notation as in `portfolio.model.container`.
"""

from __future__ import annotations

import pulp

from portfolio.constants import EPS
from portfolio.inputs.case import Case
from portfolio.inputs.vocabulary import Objective
from portfolio.model import chains, governments, saa, stocks
from portfolio.model import constraints as c
from portfolio.model.container import Model, Names, pair_upper_bound


def build(case: Case, *, locked_out: frozenset[str] = frozenset(),
          full_coverage: bool | None = None, capacity_bounds: bool = True) -> Model:
    """Build the contract's model; `locked_out` adds extra `lock out` rows (for ranking).

    `capacity_bounds=False` keeps pool capacities out of the face values' bounds (see
    `pair_upper_bound`): the same model, with capacity held by its rows alone.

    `full_coverage` makes every Demand row a hard constraint (the `min_cost` objective);
    by default it follows the Settings objective. No objective is set here: the solve stage
    sets one per lexicographic stage. Under risk_objective = expected the recourse families
    are the samples' (`portfolio.model.saa`) and the first objective is their mean.
    """
    if full_coverage is None:
        full_coverage = case.settings.objective == Objective.MIN_COST
    model = Model(case=case, prob=pulp.LpProblem("portfolio", pulp.LpMinimize),
                  names=Names())
    _variables(model, full_coverage, capacity_bounds)
    c.financing_gap(model)
    c.pool_share_cap(model)
    c.public_share(model)
    c.min_ticket(model)
    c.pool_capacity(model)
    c.total_budget(model)
    c.annual_budget(model)
    governments.country_budget(model)
    governments.cost_share(model)
    c.schedule_limit(model)
    c.locks(model, locked_out)
    c.requirements(model)
    c.exclusive_groups(model)
    if case.expected:
        stocks.stock_cap(model)
        saa.sample_average(model)
    elif case.chains:
        stocks.stock_cap(model)
        stocks.stock_level(model)
        chains.utilisation_cap(model)
        chains.commodity_balance(model)
        chains.allied_delivery(model)
    elif full_coverage:
        c.full_coverage(model)
    else:
        c.shortfall_definition(model)
    return model


def _variables(model: Model, full_coverage: bool, capacity_bounds: bool) -> None:
    """Create y, x, z and s (u, m for chains; b, r for stockpiles), skipping idle pairs."""
    case, names = model.case, model.names
    for project in case.projects:
        pid = project.project_id
        ptok = names.token(pid)
        model.y[pid] = model.prob.add_variable(f"y_{ptok}", 0, 1, cat=pulp.LpBinary)
        for pool in case.pools:
            upper = pair_upper_bound(case, project, pool, capacity=capacity_bounds)
            if not case.eligible(project, pool) or upper <= EPS or pool.min_ticket_musd > upper:
                continue
            key = (pid, pool.pool_id)
            itok = names.token(f"pool:{pool.pool_id}")
            model.x[key] = model.prob.add_variable(f"x_{ptok}_{itok}", 0, upper)
            if pool.min_ticket_musd > 0:
                model.z[key] = model.prob.add_variable(f"z_{ptok}_{itok}", 0, 1,
                                                       cat=pulp.LpBinary)
    model.budget_cost = pulp.lpSum(
        case.pool_by_id[iid].budget_cost_rate * var for (_, iid), var in model.x.items()
    )
    if case.expected:  # the recourse is the samples' (`portfolio.model.saa`)
        stocks.stock_variables(model, releases=False)
        return
    if case.chains:
        stocks.stock_variables(model)
        chains.chain_variables(model, full_coverage)
        return
    if full_coverage:
        return
    for row, demand in enumerate(case.demands):
        model.shortfall[row] = model.prob.add_variable(f"s_{row}", 0, demand.demand_t)
    model.weighted_shortfall = pulp.lpSum(
        case.demands[row].weight * var for row, var in model.shortfall.items()
    )
