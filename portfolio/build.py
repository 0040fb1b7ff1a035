"""Build stage: the mixed-integer program of the workbook contract, in PuLP.

Notation: project p, pool i, Demand row d. `y_p` in {0,1} selects p, `x_pi` >= 0 is the face
value pool i commits to p (only for eligible pairs: an ineligible pair has no variable, i.e.
x_pi = 0), `z_pi` in {0,1} marks a pool that backs p where the pool has a minimum ticket, and
`s_d` in [0, demand_d] is the shortfall of Demand row d.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pulp

from portfolio import constraints as c
from portfolio.models import Pool, Project
from portfolio.pipeline import Pipeline

EPS = 1e-9


class Names:
    """Stable, unique LP names: PuLP rewrites `-+[] ->/` to `_`, so ids are made safe first."""

    def __init__(self) -> None:
        self._token: dict[str, str] = {}
        self._taken: set[str] = set()

    def token(self, raw: str) -> str:
        """A safe token for an id; two ids that sanitise alike get distinct suffixes."""
        if raw in self._token:
            return self._token[raw]
        base = re.sub(r"[^A-Za-z0-9_.]", "_", raw)[:60] or "_"
        token, n = base, 1
        while token.lower() in self._taken:
            n += 1
            token = f"{base}~{n}"
        self._taken.add(token.lower())
        self._token[raw] = token
        return token


@dataclass
class Model:
    """A built model: the PuLP problem and handles on its variables and key expressions."""

    pipeline: Pipeline
    prob: pulp.LpProblem
    names: Names
    y: dict[str, pulp.LpVariable] = field(default_factory=dict)
    x: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    z: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    shortfall: dict[int, pulp.LpVariable] = field(default_factory=dict)
    weighted_shortfall: pulp.LpAffineExpression = field(default_factory=pulp.LpAffineExpression)
    budget_cost: pulp.LpAffineExpression = field(default_factory=pulp.LpAffineExpression)
    rows: dict[str, pulp.LpConstraint] = field(default_factory=dict)

    def add(self, constraint: pulp.LpConstraint, *parts: str) -> None:
        """Add a constraint named from stable parts, e.g. ('gap', 'P07') -> gap-P07.

        PuLP writes the name with `_` for `-`; `rows` keeps it under the stable name.
        """
        name = "-".join(parts)
        self.prob += constraint, name
        self.rows[name] = constraint

    def pools_of(self, project: Project) -> Iterable[tuple[Pool, pulp.LpVariable]]:
        """The pools that may back `project`, with their face-value variables."""
        pid = project.project_id
        for pool in self.pipeline.pools:
            var = self.x.get((pid, pool.pool_id))
            if var is not None:
                yield pool, var

    def supply(self, row: int) -> pulp.LpAffineExpression:
        """Tonnes delivered to Demand row `row` by the selected projects online that year.

        Each volume counts at most the row's demand: s_d + sum_p min(v_pd, D_d) * y_p >= D_d
        has the same integer solutions (one such project covers the row alone) and a
        tighter LP relaxation (docs/benchmarks.md).
        """
        demand = self.pipeline.demands[row]
        return pulp.lpSum(
            min(volume, demand.demand_t) * self.y[p.project_id]
            for p in self.pipeline.projects
            if (volume := self.pipeline.supply_contribution(p, demand)) > 0
        )


def pair_upper_bound(pipeline: Pipeline, project: Project, pool: Pool, *,
                     capacity: bool = True) -> float:
    """Largest face value pool i can put into project p.

    min(share cap, pool capacity, gap_p / gap_credit_i): the last term holds in every
    feasible portfolio (the credited face values sum to the gap and none is negative), and
    it tightens the LP relaxation wherever a project's gap is smaller than a pool's share
    cap, through x_pi <= ub_pi * y_p and x_pi <= ub_pi * z_pi (docs/benchmarks.md).
    `capacity=False` leaves the capacity to its own row alone, so that row's dual is the
    whole value of the capacity (the sensitivity analysis needs it).
    """
    return min(pool.max_share_of_capex * project.capex_musd,
               pool.capacity_musd if capacity else math.inf,
               max(0.0, pipeline.gap(project)) / pool.gap_credit)


def build(pipeline: Pipeline, *, locked_out: frozenset[str] = frozenset(),
          full_coverage: bool | None = None, capacity_bounds: bool = True) -> Model:
    """Build the contract's model; `locked_out` adds extra `lock out` rows (for ranking).

    `capacity_bounds=False` keeps pool capacities out of the face values' bounds (see
    `pair_upper_bound`): the same model, with capacity held by its rows alone.

    `full_coverage` makes every Demand row a hard constraint (the `min_cost` objective);
    by default it follows the Settings objective. No objective is set here: the solve stage
    sets one per lexicographic stage.
    """
    if full_coverage is None:
        full_coverage = pipeline.settings.objective == "min_cost"
    model = Model(pipeline=pipeline, prob=pulp.LpProblem("portfolio", pulp.LpMinimize),
                  names=Names())
    _variables(model, full_coverage, capacity_bounds)
    c.financing_gap(model)
    c.pool_share_cap(model)
    c.public_share(model)
    c.min_ticket(model)
    c.pool_capacity(model)
    c.total_budget(model)
    c.annual_budget(model)
    c.schedule_limit(model)
    c.locks(model, locked_out)
    c.requirements(model)
    c.exclusive_groups(model)
    if full_coverage:
        c.full_coverage(model)
    else:
        c.shortfall_definition(model)
    return model


def _variables(model: Model, full_coverage: bool, capacity_bounds: bool) -> None:
    """Create y, x, z and s, skipping pairs that can never carry money."""
    pipe, names = model.pipeline, model.names
    for project in pipe.projects:
        pid = project.project_id
        ptok = names.token(pid)
        model.y[pid] = model.prob.add_variable(f"y_{ptok}", 0, 1, cat=pulp.LpBinary)
        for pool in pipe.pools:
            upper = pair_upper_bound(pipe, project, pool, capacity=capacity_bounds)
            if not pipe.eligible(project, pool) or upper <= EPS or pool.min_ticket_musd > upper:
                continue
            key = (pid, pool.pool_id)
            itok = names.token(f"pool:{pool.pool_id}")
            model.x[key] = model.prob.add_variable(f"x_{ptok}_{itok}", 0, upper)
            if pool.min_ticket_musd > 0:
                model.z[key] = model.prob.add_variable(f"z_{ptok}_{itok}", 0, 1,
                                                       cat=pulp.LpBinary)
    model.budget_cost = pulp.lpSum(
        pipe.pool_by_id[iid].budget_cost_rate * var for (_, iid), var in model.x.items()
    )
    if full_coverage:
        return
    for row, demand in enumerate(pipe.demands):
        model.shortfall[row] = model.prob.add_variable(f"s_{row}", 0, demand.demand_t)
    model.weighted_shortfall = pulp.lpSum(
        pipe.demands[row].weight * var for row, var in model.shortfall.items()
    )
