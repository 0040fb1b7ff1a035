"""The MILP container: the PuLP problem, handles on its variables and its rows by name.

Notation: project p, pool i, Demand row d. `y_p` in {0,1} selects p, `x_pi` >= 0 is the face
value pool i commits to p (only for eligible pairs: an ineligible pair has no variable, i.e.
x_pi = 0), `z_pi` in {0,1} marks a pool that backs p where the pool has a minimum ticket, and
`s_d` in [0, demand_d] is the shortfall of Demand row d.

v2 chains (`portfolio.model.chains`): `u_pY` in [0, y_p] is converter p's utilisation in plan
year Y, `m_cY` in [0, max_t] the tonnes of commodity c imported in Y, and the first objective
adds the weighted imports to the weighted shortfall.

v2 risk (`portfolio.model.recourse`): a sample's recourse is a block of these columns and
rows under a `tag`, with the sample's online years (`schedule`); `every_year` makes a level
column for each listed project and plan year, so that one LP serves every schedule.

v2 stockpiles (`portfolio.model.stocks`): `b_kY` >= 0 is the tonnes stockpile k buys in year Y
(up to its buy_until_year), `r_kY` >= 0 the tonnes it releases; releases join the chain
balances. v2 governments (`portfolio.model.governments`): country budget and cost-share rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulp

from portfolio.inputs.case import Case, DemandKey, demand_key
from portfolio.inputs.rows import Pool, Project


class Family(StrEnum):
    """The constraint families of the contract; a row's name starts with its family."""

    GAP = "gap"
    SHARE = "share"
    PUBLIC = "public"
    TICKET_LO = "ticket-lo"
    TICKET_HI = "ticket-hi"
    TICKET_SEL = "ticket-sel"
    CAPACITY = "capacity"
    BUDGET = "budget"
    SCHEDULE = "schedule"
    LOCK_OUT = "lock-out"
    LOCK_IN = "lock-in"
    REQUIRES = "requires"
    EXCLUSIVE = "exclusive"
    SHORTFALL = "shortfall"
    COVER = "cover"
    UTILISATION = "utilisation"
    BALANCE = "balance"
    ALLIED = "allied"
    STOCK_CAP = "stock-cap"
    STOCK_LEVEL = "stock-level"
    COUNTRY = "country"
    SHARE_MIN = "share-min"
    SHARE_MAX = "share-max"
    HOLD = "lexicographic"


class Goal(StrEnum):
    """What a lexicographic stage minimises."""

    SHORTFALL = "weighted_shortfall"
    COST = "budget_cost"


#: What each key part of a family's rows is: a project id, a pool id, an exclusive group,
#: a Demand row index (named from 1), or plain text (a Budget year, `total`, a goal).
_PARTS: dict[Family, tuple[str, ...]] = {
    Family.GAP: ("project",), Family.SHARE: ("project", "pool"), Family.PUBLIC: ("project",),
    Family.TICKET_LO: ("project", "pool"), Family.TICKET_HI: ("project", "pool"),
    Family.TICKET_SEL: ("project", "pool"), Family.CAPACITY: ("pool",),
    Family.BUDGET: ("plain",), Family.SCHEDULE: ("project",), Family.LOCK_OUT: ("project",),
    Family.LOCK_IN: ("project",), Family.REQUIRES: ("project", "project"),
    Family.EXCLUSIVE: ("group",), Family.SHORTFALL: ("row",), Family.COVER: ("row",),
    Family.HOLD: ("plain",), Family.UTILISATION: ("project", "plain"),
    Family.BALANCE: ("commodity", "plain"), Family.ALLIED: ("row",),
    Family.STOCK_CAP: ("stockpile",), Family.STOCK_LEVEL: ("stockpile", "plain"),
    Family.COUNTRY: ("country", "plain"), Family.SHARE_MIN: ("country",),
    Family.SHARE_MAX: ("country",),
}
RowKey = tuple[Any, ...]
#: A (commodity, plan year) pair: the index of imports and chain balances.
Flow = tuple[DemandKey, int]


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

    def part(self, kind: str, raw: Any) -> str:
        """The name part of one key part (see `_PARTS`)."""
        if kind == "project":
            return self.token(str(raw))
        if kind in ("pool", "group", "stockpile", "country"):
            return self.token(f"{kind}:{raw}")
        if kind == "row":
            return str(int(raw) + 1)
        if kind == "commodity":
            return self.token("c:" + "/".join(raw))
        return str(raw)


@dataclass
class Model:
    """A built model: the PuLP problem and handles on its variables and key expressions."""

    case: Case
    prob: pulp.LpProblem
    names: Names
    y: dict[str, pulp.LpVariable] = field(default_factory=dict)
    x: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    z: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    shortfall: dict[int, pulp.LpVariable] = field(default_factory=dict)
    weighted_shortfall: pulp.LpAffineExpression = field(default_factory=pulp.LpAffineExpression)
    u: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)
    imports: dict[Flow, pulp.LpVariable] = field(default_factory=dict)
    weighted_imports: pulp.LpAffineExpression = field(default_factory=pulp.LpAffineExpression)
    bought: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)
    released: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)
    budget_cost: pulp.LpAffineExpression = field(default_factory=pulp.LpAffineExpression)
    rows: dict[str, pulp.LpConstraint] = field(default_factory=dict)
    keys: dict[tuple[Family, RowKey], str] = field(default_factory=dict)
    schedule: dict[str, int | None] | None = None
    every_year: frozenset[str] | None = None
    tag: str = ""

    def online(self, pid: str) -> int | None:
        """The first year p produces: as planned, or as in the sample (`schedule`).

        None where p fails in the sample.
        """
        if self.schedule is not None:
            return self.schedule.get(pid)
        return self.case.online_year(self.case.project_by_id[pid])

    def named(self, base: str) -> str:
        """A column or row name, with the block's `tag` (a sample's recourse) appended."""
        return base + self.tag

    def add(self, constraint: pulp.LpConstraint, family: Family, *key: Any) -> None:
        """Add a row of `family` keyed by input ids, e.g. (GAP, 'P07') -> gap-P07.

        The name is made from the family and the ids made safe (`Names`); PuLP writes it
        with `_` for `-`, `rows` keeps it under the stable name and `row` finds it by key.
        """
        kinds = _PARTS[family]
        if len(key) != len(kinds):
            raise ValueError(f"{family} rows are keyed by {kinds}, not {key!r}")
        name = self.named("-".join([family.value, *(self.names.part(k, v) for k, v in zip(
            kinds, key, strict=True))]))
        self.prob += constraint, name
        self.rows[name] = constraint
        self.keys[(family, key)] = name

    def row(self, family: Family, *key: Any) -> pulp.LpConstraint | None:
        """The row of `family` with these input ids (None where the family skipped it)."""
        name = self.keys.get((family, key))
        return None if name is None else self.rows[name]

    def family(self, family: Family) -> dict[RowKey, pulp.LpConstraint]:
        """Every row of one family, by key, in the order they were added."""
        return {key: self.rows[name] for (fam, key), name in self.keys.items() if fam is family}

    def goal(self, goal: Goal) -> pulp.LpAffineExpression:
        """The expression a lexicographic goal minimises (stage 1: shortfall and imports)."""
        if goal is Goal.SHORTFALL:
            return self.weighted_shortfall + self.weighted_imports
        return self.budget_cost

    def hold(self, goal: Goal, limit: float) -> None:
        """Keep a goal at most `limit` (row `lexicographic-shortfall` or `-cost`)."""
        name = "shortfall" if goal is Goal.SHORTFALL else "cost"
        self.add(self.goal(goal) <= limit, Family.HOLD, name)

    def pools_of(self, project: Project) -> Iterable[tuple[Pool, pulp.LpVariable]]:
        """The pools that may back `project`, with their face-value variables."""
        pid = project.project_id
        for pool in self.case.pools:
            var = self.x.get((pid, pool.pool_id))
            if var is not None:
                yield pool, var

    def supply(self, row: int) -> pulp.LpAffineExpression:
        """Tonnes delivered to Demand row `row` by the selected projects online that year.

        Each volume counts at most the row's demand: s_d + sum_p min(v_pd, D_d) * y_p >= D_d
        has the same integer solutions (one such project covers the row alone) and a
        tighter LP relaxation (docs/benchmarks.md).
        """
        demand = self.case.demands[row]
        key = demand_key(demand.sector, demand.material)
        return pulp.lpSum(
            min(volume, demand.demand_t) * self.y[p.project_id]
            for p in self.case.projects
            if (volume := self.case.volumes.get(p.project_id, {}).get(key, 0.0)) > 0
            and (online := self.online(p.project_id)) is not None and demand.year >= online
        )


def pair_upper_bound(case: Case, project: Project, pool: Pool, *,
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
               max(0.0, case.gap(project)) / pool.gap_credit)
