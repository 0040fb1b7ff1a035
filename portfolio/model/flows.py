"""The flows of one fixed selection: utilisation, imports, releases and deliveries by an LP.

With chains, what a selection delivers is no longer a sum of volumes: converters run at the
utilisation their feed allows. For a fixed selection (and fixed stock purchases b_kY: the
releases are flows) the best flows are an LP, the chain families of `portfolio.model.chains`
with every y_p fixed, solved in phases: first the contract's first objective (weighted
shortfall + weighted imports; for `min_cost`, full delivery with the fewest weighted
imports); with stockpiles, then the same first objective with stock drawn on in the earliest
year it helps (`_earliest`); then, with no Demand row delivered less and weighted imports
held, the least total utilisation, imports and releases. Equally good flows are so reported
the same way every run, and no plant runs for output nobody takes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pulp

from portfolio.constants import EXACT, NOISE, VALUE_TOLERANCE
from portfolio.errors import SolverFailure
from portfolio.inputs.case import Case, DemandKey, demand_key
from portfolio.inputs.vocabulary import Objective
from portfolio.model import chains, solver, stocks
from portfolio.model.container import Flow, Model, Names
from portfolio.model.outcomes import SolverOptions, Status

#: `limited_by` of a converter below 100% that has feed to spare: nobody takes more output.
NO_USE = "its output is not needed"
#: Tonnes bought per (stockpile_id, year): the first-stage stock decisions of a portfolio.
Purchases = dict[tuple[str, int], float]


def purchase_key(bought: Purchases | None) -> tuple[tuple[tuple[str, int], float], ...]:
    """Purchases as a hashable key (only the non-zero ones, in order)."""
    return tuple(sorted((k, v) for k, v in (bought or {}).items() if v > 0))


@dataclass(frozen=True)
class Flows:
    """The flows of one selection, each figure by commodity and plan year."""

    case: Case
    selected: frozenset[str]
    utilisation: dict[tuple[str, int], float]
    imports: dict[Flow, float]
    delivered: dict[int, float]
    limited_by: dict[tuple[str, int], str] = field(default_factory=dict)
    bought: Purchases = field(default_factory=dict)
    releases: dict[tuple[str, int], float] = field(default_factory=dict)

    @property
    def weighted_shortfall(self) -> float:
        """sum_r weight_r * (demand_r - d_r)."""
        return sum(d.weight * max(0.0, d.demand_t - self.delivered.get(r, 0.0))
                   for r, d in enumerate(self.case.demands))

    @property
    def weighted_imports(self) -> float:
        """sum_cY weight_c * m_cY."""
        return sum(self.case.import_terms[flow][1] * t for flow, t in self.imports.items())

    @property
    def first_objective(self) -> float:
        """Weighted shortfall + weighted imports: what stage 1 minimises."""
        return self.weighted_shortfall + self.weighted_imports

    def level(self, pid: str, year: int) -> float:
        """How much of p runs in Y (0 when unselected or not yet online)."""
        project = self.case.project_by_id[pid]
        if pid not in self.selected or year < self.case.online_year(project):
            return 0.0
        if self.case.is_converter(project):
            return self.utilisation.get((pid, year), 0.0)
        return 1.0

    def _sum(self, per: dict[str, dict[DemandKey, float]]) -> dict[Flow, float]:
        out: dict[Flow, float] = defaultdict(float)
        for pid in self.selected:
            for key, tpa in per.get(pid, {}).items():
                for year in self.case.plan_years:
                    if (share := self.level(pid, year)) > 0:
                        out[(key, year)] += tpa * share
        return dict(out)

    @property
    def production(self) -> dict[Flow, float]:
        """P_cY: tonnes the selected projects make."""
        return self._sum(self.case.volumes)

    @property
    def released(self) -> dict[Flow, float]:
        """released_cY: tonnes the stockpiles release, by commodity and year."""
        out: dict[Flow, float] = defaultdict(float)
        for (kid, year), tonnes in self.releases.items():
            out[(self.case.stock_key(self.case.stockpile_by_id[kid]), year)] += tonnes
        return dict(out)

    def stock(self, kid: str, year: int) -> float:
        """S_kY: the stockpile's year-end stock."""
        stock = self.case.stockpile_by_id[kid]
        bought = sum(v for (k, t), v in self.bought.items() if k == kid and t <= year)
        out = sum(v for (k, t), v in self.releases.items() if k == kid and t <= year)
        return stock.initial_t + bought - out

    @property
    def consumed(self) -> dict[Flow, float]:
        """Q_cY: tonnes the selected converters consume."""
        return self._sum(self.case.consumption)

    def delivered_by_flow(self) -> dict[Flow, float]:
        """Tonnes delivered to Demand per commodity and year."""
        out: dict[Flow, float] = defaultdict(float)
        for row, tonnes in self.delivered.items():
            d = self.case.demands[row]
            out[(demand_key(d.sector, d.material), d.year)] += tonnes
        return dict(out)

    def surplus(self) -> dict[Flow, float]:
        """Tonnes left: production + supply + imports - consumed - delivered, per flow."""
        out: dict[Flow, float] = defaultdict(float)
        for part, sign in ((self.production, 1.0), (self.case.supply_t, 1.0),
                           (self.released, 1.0), (self.imports, 1.0), (self.consumed, -1.0),
                           (self.delivered_by_flow(), -1.0)):
            for flow, tonnes in part.items():
                if flow[1] in self.case.plan_years:
                    out[flow] += sign * tonnes
        return dict(out)


def flows(case: Case, selected: frozenset[str], bought: Purchases | None = None,
          options: SolverOptions | None = None) -> Flows:
    """The flows of `selected` with stock `bought`.

    Cached on the case: every analysis asks for the same ones.
    """
    cache: dict[object, Flows] = case.__dict__.setdefault("_flows", {})
    key = (selected, purchase_key(bought))
    found = cache.get(key)
    if found is None:
        found = cache[key] = _solve(case, selected, dict(key[1]),
                                    options or SolverOptions(gap=0.0))
    return found


def _model(case: Case, selected: frozenset[str], bought: Purchases, full: bool) -> Model:
    model = Model(case=case, prob=pulp.LpProblem("flows", pulp.LpMinimize), names=Names())
    for project in case.projects:
        pid = project.project_id
        on = 1.0 if pid in selected else 0.0
        model.y[pid] = model.prob.add_variable(f"y_{model.names.token(pid)}", on, on)
    stocks.stock_variables(model)
    for key, var in model.bought.items():
        var.lowBound = var.upBound = min(bought.get(key, 0.0), var.upBound or 0.0)
    chains.chain_variables(model, full)
    stocks.stock_level(model)
    chains.utilisation_cap(model)
    chains.commodity_balance(model)
    chains.allied_delivery(model)
    return model


def _solve(case: Case, selected: frozenset[str], bought: Purchases,
           options: SolverOptions) -> Flows:
    options = SolverOptions(solver=options.solver, time_limit=options.time_limit, gap=0.0,
                            threads=options.threads, log=options.log)
    full = case.settings.objective == Objective.MIN_COST
    model = _model(case, selected, bought, full)
    first = model.weighted_shortfall + model.weighted_imports
    model.prob.setObjective(first)
    stats = solver.run(model.prob, options)
    if stats.status is Status.INFEASIBLE and full:
        model = _model(case, selected, bought, False)  # min_cost cannot deliver: what can be
        first = model.weighted_shortfall + model.weighted_imports
        model.prob.setObjective(first)
        stats = solver.run(model.prob, options)
    if stats.status is not Status.OPTIMAL:
        raise SolverFailure(f"the flow LP of a selection ended {stats.status}")
    if model.released and model.shortfall:
        _earliest(model, first, options)
    for row, var in model.shortfall.items():  # phase 2 may not deliver less anywhere
        var.upBound = _snap(var.varValue, model.case.demands[row].demand_t)
    if model.imports:
        imported = pulp.value(model.weighted_imports) or 0.0
        model.prob += model.weighted_imports <= imported + NOISE * max(1.0, imported)
    model.prob.setObjective(pulp.lpSum([*model.u.values(), *model.imports.values(),
                                        *model.released.values()]))
    stats = solver.run(model.prob, options)
    if stats.status is not Status.OPTIMAL:
        raise SolverFailure(f"the flow LP of a selection ended {stats.status}")
    return _read(model, selected, bought)


def _earliest(model: Model, first: pulp.LpAffineExpression, options: SolverOptions) -> None:
    """Between phases, with stock: the same first objective, covered as early as possible.

    Releases are the only link between years, so with stockpiles the first objective can
    be reached by releasing in one year or in another. Holding it at its optimum, this
    minimises sum_r (last_year + 1 - year_r) * weight_r * s_r: a reserve is drawn on in the
    earliest year it helps, not held to the end of the plan. The hold is EXACT (1e-9
    relative): any looser and the phase would trade first objective for earlier cover.
    """
    reached = pulp.value(first) or 0.0
    model.prob += first <= reached + EXACT * max(1.0, abs(reached))
    last = model.case.plan_years[-1]
    model.prob.setObjective(pulp.lpSum(
        (last + 1 - model.case.demands[row].year) * model.case.demands[row].weight * var
        for row, var in model.shortfall.items()))
    if solver.run(model.prob, options).status is not Status.OPTIMAL:
        raise SolverFailure("the flow LP of a selection ended without an optimum")


def _snap(value: float | None, upper: float) -> float:
    value = value or 0.0
    if value <= VALUE_TOLERANCE:
        return 0.0
    return upper if abs(value - upper) <= NOISE * max(1.0, upper) else value


def _read(model: Model, selected: frozenset[str], bought: Purchases) -> Flows:
    case = model.case
    utilisation = {k: _snap(v.varValue, 1.0) for k, v in model.u.items()
                   if k[0] in selected}
    imports = {k: t for k, v in model.imports.items()
               if (t := _snap(v.varValue, v.upBound if v.upBound is not None else -1.0)) > 0}
    delivered = {}
    for row, d in enumerate(case.demands):
        var = model.shortfall.get(row)
        short = 0.0 if var is None else _snap(var.varValue, d.demand_t)
        delivered[row] = max(0.0, d.demand_t - short)
    releases = {k: t for k, v in model.released.items()  # not snapped up to a cap: the
                if (t := _snap(v.varValue, -1.0)) > 0}      # stock may be a hair short of it
    found = Flows(case, selected, utilisation, imports, delivered, bought=bought,
                  releases=releases)
    return Flows(case, selected, utilisation, imports, delivered, _limits(found), bought,
                 releases)


def _limits(found: Flows) -> dict[tuple[str, int], str]:
    """Why each converter runs below 100%: the first input with nothing to spare, else NO_USE.

    An input has nothing to spare in Y when its balance is tight and it cannot be imported
    (no Imports row, or imports at their cap).
    """
    case = found.case
    surplus = found.surplus()
    out: dict[tuple[str, int], str] = {}
    for (pid, year), share in found.utilisation.items():
        if share >= 1.0:
            continue
        reason = NO_USE
        for key in sorted(case.consumption.get(pid, {})):
            flow = (key, year)
            tight = surplus.get(flow, 0.0) <= NOISE * max(1.0, found.consumed.get(flow, 0.0))
            cap, _ = case.import_terms.get(flow, (0.0, 0.0))
            capped = cap is not None and found.imports.get(flow, 0.0) >= cap - NOISE * max(1.0, cap)
            if tight and capped:
                reason = case.commodity_label(key)
                break
        out[(pid, year)] = reason
    return out
