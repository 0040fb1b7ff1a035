"""The one lexicographic driver: every solve of the product optimises through `lexicographic`.

max_coverage is lexicographic: stage 1 minimises weighted shortfall; stage 2 minimises
budget cost with weighted shortfall held at stage 1's value (`held`), started from stage 1's
portfolio. min_cost covers all demand (hard) at minimum budget cost, in one stage.

The driver asks a `Stages` backend to minimise each goal. Two backends exist: `PulpStages`
(a fresh PuLP model solved by HiGHS or CBC: the selection, the frontier, the scenarios, the
sensitivity re-solves and the diagnosis, through `optimise`) and the persistent HiGHS
re-solver of `portfolio.model.resolver` (the ranking's lock-outs). Both hold the stage-1
value with the same tolerance and write the same note when stage 2 finds nothing.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

import pulp

from portfolio.constants import EXACT, FACE_TOLERANCE, HOLD, VALUE_TOLERANCE
from portfolio.inputs.case import Case
from portfolio.inputs.vocabulary import Objective
from portfolio.model import solver
from portfolio.model.build import build
from portfolio.model.container import Family, Goal, Model
from portfolio.model.flows import flows
from portfolio.model.outcomes import Solution, SolverOptions, SolveStats, Status
from portfolio.model.recourse import mean_first

V = TypeVar("V")
STAGE2_NOTE = ("stage 2 (minimise budget cost) found no portfolio within the time limit; "
               "the stage 1 portfolio is reported, its cost not minimised")


def held(value: float) -> float:
    """The bound that keeps an objective at the value a stage reached (HOLD relative)."""
    return value + HOLD * max(1.0, abs(value))


def unheld(limit: float) -> float:
    """The value a `held` bound was made from (its exact inverse for values >= 0)."""
    return limit - HOLD if limit - HOLD <= 1.0 else limit / (1.0 + HOLD)


class Stages(Protocol, Generic[V]):
    """A backend the driver minimises goals on; `V` is its form of a point (column values)."""

    def minimise(self, goal: Goal, start: V | None) -> tuple[SolveStats, V | None]:
        """Minimise `goal` (from `start`, or the backend's own best start); None: no point."""

    def portfolio(self, stats: tuple[SolveStats, ...], status: Status, values: V,
                  notes: tuple[str, ...] = ()) -> Solution:
        """The portfolio a point stands for."""

    def carry(self, stage1: Solution, values: V) -> V:
        """The start stage 2 is given, from stage 1's portfolio and point."""

    def hold(self, goal: Goal, limit: float) -> None:
        """Keep `goal` at most `limit` in the stages that follow."""

    def finish(self, stats: tuple[SolveStats, ...], status: Status, values: V,
               notes: tuple[str, ...] = (), *, settle: bool = True) -> Solution:
        """The final portfolio (ties broken where the backend does and `settle` allows)."""


def stage_goals(objective: str) -> tuple[Goal, ...]:
    """What each stage of `lexicographic` minimises, in order: `Solution.stages` follows it."""
    if objective == Objective.MIN_COST:
        return (Goal.COST,)
    return (Goal.SHORTFALL, Goal.COST)


def lexicographic(stages: Stages[V], case: Case) -> Solution:
    """Optimise the contract's objective on `stages`, exactly as specified (see the module)."""
    if case.settings.objective == Objective.MIN_COST:
        only, values = stages.minimise(Goal.COST, None)
        if values is None:
            return Solution(status=only.status, stages=(only,))
        return stages.finish((only,), only.status, values)
    first, found = stages.minimise(Goal.SHORTFALL, None)
    if found is None:
        return Solution(status=first.status, stages=(first,))
    stage1 = stages.portfolio((first,), first.status, found)
    start = stages.carry(stage1, found)
    stages.hold(Goal.SHORTFALL, held(exact_weighted_shortfall(case, stage1.selected,
                                                              stage1.bought)))
    second, cheaper = stages.minimise(Goal.COST, start)
    if cheaper is None:
        return stages.finish((first, second), Status.FEASIBLE, start, (STAGE2_NOTE,),
                             settle=False)
    both_optimal = first.status is Status.OPTIMAL and second.status is Status.OPTIMAL
    return stages.finish((first, second), Status.OPTIMAL if both_optimal else Status.FEASIBLE,
                         cheaper)


class PulpStages:
    """The driver's backend on a freshly built PuLP model (HiGHS or CBC through PuLP)."""

    def __init__(self, model: Model, options: SolverOptions, *, tie_break: bool = True,
                 hint: Solution | None = None) -> None:
        self.model, self.options, self.tie_break = model, options, tie_break
        self.first_start = start_values(model, hint.selected, hint.face, hint.bought) \
            if hint else None

    def minimise(self, goal: Goal, start: dict[str, float] | None,
                 ) -> tuple[SolveStats, dict[str, float] | None]:
        """Set the goal as the objective and solve, from `start` or the hint."""
        self.model.prob.setObjective(self.model.goal(goal))
        stats = solver.run(self.model.prob, self.options,
                           start=start if start is not None else self.first_start)
        return stats, (_values(self.model) if stats.status.has_solution else None)

    def portfolio(self, stats: tuple[SolveStats, ...], status: Status, values: dict[str, float],
                  notes: tuple[str, ...] = ()) -> Solution:
        """The portfolio of a point."""
        return extract(self.model, stats, status, values, notes)

    def carry(self, stage1: Solution, values: dict[str, float]) -> dict[str, float]:
        """Stage 2 starts from stage 1's point as the solver left it."""
        return values

    def hold(self, goal: Goal, limit: float) -> None:
        """A `lexicographic` row; it stays for the tie-breaking solves."""
        self.model.hold(goal, limit)

    def finish(self, stats: tuple[SolveStats, ...], status: Status, values: dict[str, float],
               notes: tuple[str, ...] = (), *, settle: bool = True) -> Solution:
        """The portfolio, its ties broken where the optimum is proven exactly (gap 0).

        The tie-breaking MIPs start from the optimum, with the re-solves' options
        (`SolveKind.RESOLVE`): on the worked example 0.55 s against 1.5 s with presolve.
        """
        ties: tuple[SolveStats, ...] = ()
        exact = settle and self.options.gap == 0 and status is Status.OPTIMAL
        if exact and self.model.bought:
            values = exact_stock(self.model, self.options, values)
        if exact and self.tie_break:
            values, ties = break_ties(self.model, self.options.resolving(), values)
        return extract(self.model, stats, status, values, notes, tie_break=ties)


def optimise(case: Case, options: SolverOptions,
             locked_out: frozenset[str] = frozenset(), *, tie_break: bool = True,
             hint: Solution | None = None) -> Solution:
    """Solve the contract's objective exactly as specified.

    max_coverage is lexicographic: stage 1 minimises weighted shortfall; stage 2 minimises
    budget cost with weighted shortfall held at stage 1's value, started from stage 1's
    portfolio. min_cost covers all demand (hard) at minimum budget cost. Where the optimum
    is proven exactly (gap 0), ties are then broken by `break_ties`; within a gap there is
    no unique optimum to choose among, and ranking needs only the objective values.
    `hint` is a portfolio handed to the first solve as a start (ignored if infeasible).
    """
    model = build(case, locked_out=locked_out)
    return lexicographic(PulpStages(model, options, tie_break=tie_break, hint=hint), case)


def _values(model: Model) -> dict[str, float]:
    return {v.name: (v.varValue or 0.0) for v in model.prob.variables()}


def extract(model: Model, stats: tuple[SolveStats, ...], status: Status,
            values: dict[str, float], notes: tuple[str, ...] = (),
            tie_break: tuple[SolveStats, ...] = ()) -> Solution:
    """Read selection and face values, snapping solver noise (1e-9) to exact values."""
    selected = frozenset(pid for pid, y in model.y.items() if values.get(y.name, 0.0) > 0.5)
    face = {}
    for (pid, iid), var in model.x.items():
        value = values.get(var.name, 0.0)
        if pid in selected and value > VALUE_TOLERANCE:
            face[(pid, iid)] = value
    bought = {key: _snap_stock(values.get(var.name, 0.0), var.upBound)
              for key, var in model.bought.items()}
    return Solution(status=status, selected=selected, face=face, stages=stats, notes=notes,
                    tie_break=tie_break, bought={k: v for k, v in bought.items() if v > 0})


def _snap_stock(value: float, upper: float | None) -> float:
    """Tonnes bought, solver noise removed (at 0 and at the stock cap)."""
    if value <= VALUE_TOLERANCE:
        return 0.0
    if upper is not None and abs(value - upper) <= VALUE_TOLERANCE * max(1.0, upper):
        return upper
    return value


def exact_weighted_shortfall(case: Case, selected: frozenset[str],
                             bought: dict[tuple[str, int], float] | None = None) -> float:
    """The first objective of a selection: sum_d weight_d * max(0, demand_d - supply_d).

    With chains it is the flow LP's optimum (weighted shortfall + weighted imports, see
    `portfolio.model.flows`), given the stock `bought`; without them the closed form,
    without the solver. Under risk_objective = expected it is the mean over the samples
    (`portfolio.model.recourse.mean_first`), which the sample-average model minimises.
    """
    if case.expected:
        return mean_first(case, selected, bought)
    if case.chains:
        return flows(case, selected, bought).first_objective
    return sum(d.weight * max(0.0, d.demand_t - case.supply(selected, d))
               for d in case.demands)


def exact_stock(model: Model, options: SolverOptions, values: dict[str, float],
                ) -> dict[str, float]:
    """Stock purchases that keep the first objective at stage 1's value, not within HOLD.

    Stock is continuous, so stage 2 spends the hold's tolerance (1e-6 relative) on buying a
    little less stock. With the selection and tickets fixed, the cost LP is re-solved with
    the hold at stage 1's exact value (within EXACT), giving the purchases the lexicographic
    optimum has, and the hold stays that tight for the tie-breaking that follows. Where
    that LP finds nothing, the point and the hold are kept as they were.
    """
    row = model.row(Family.HOLD, "shortfall")
    if row is None:
        return values
    binaries = [*model.y.values(), *model.z.values()]
    saved = [(var.lowBound, var.upBound, var.cat) for var in binaries]
    constant = row.constant
    exact = unheld(-constant)
    row.constant = -(exact + EXACT * max(1.0, abs(exact)))
    try:
        for var in binaries:
            var.lowBound = var.upBound = round(values.get(var.name, 0.0))
            var.cat = pulp.LpContinuous
        model.prob.setObjective(model.budget_cost)
        if solver.run(model.prob, options).status is Status.OPTIMAL:
            values, constant = _values(model), row.constant
    finally:
        row.constant = constant
        for var, (low, up, cat) in zip(binaries, saved, strict=True):
            var.lowBound, var.upBound, var.cat = low, up, cat
    return values


def break_ties(model: Model, options: SolverOptions, start: dict[str, float],
               ) -> tuple[dict[str, float], tuple[SolveStats, ...]]:
    """Among equally good portfolios, choose one by a fixed rule, so every run agrees.

    With weighted shortfall and budget cost held at the values reached (1e-6 relative):
    selection, minimise sum_p row_p * y_p (prefer the projects listed first on the Projects
    sheet); then, selection fixed, minimise sum_pi w_pi * z_pi over the min-ticket choices,
    with w_pi = row_i * (n + 1 - row_p) (prefer the pools listed first on the Financing
    sheet and, where projects compete for a pool, the project listed first). With those
    fixed, solve the cost LP, keep its stock purchases and releases, restrict it to its
    optimal face (variables with a non-zero reduced cost stay put, rows with a non-zero dual
    stay tight) and on that face minimise sum_pi w_pi * x_pi. The face keeps the cost exactly
    optimal, with no tolerance to exploit. A stage that finds nothing within its time limit
    keeps the portfolio so far.
    """
    case = model.case
    model.hold(Goal.COST, held(pulp.value(model.budget_cost) or 0.0))
    project_row = {p.project_id: n for n, p in enumerate(case.projects, start=1)}
    pool_row = {pool.pool_id: n for n, pool in enumerate(case.pools, start=1)}
    last = len(case.projects) + 1

    def weight(pid: str, iid: str) -> int:
        return pool_row[iid] * (last - project_row[pid])

    stages: list[SolveStats] = []
    chosen = start
    for binaries, objective in (
            (model.y, pulp.lpSum(project_row[pid] * y for pid, y in model.y.items())),
            (model.z, pulp.lpSum(weight(pid, iid) * z for (pid, iid), z in model.z.items()))):
        if binaries:
            model.prob.setObjective(objective)
            stages.append(solver.run(model.prob, options, start=chosen))
            if not stages[-1].status.has_solution:
                return chosen, tuple(stages)
            chosen = _values(model)
        for var in binaries.values():
            var.lowBound = var.upBound = round(chosen.get(var.name, 0.0))
            var.cat = pulp.LpContinuous
    model.prob.setObjective(model.budget_cost)
    stages.append(solver.run(model.prob, options))
    if stages[-1].status is not Status.OPTIMAL:
        return chosen, tuple(stages)
    chosen = _values(model)
    for var in (*model.bought.values(), *model.released.values()):
        var.lowBound = var.upBound = chosen.get(var.name, 0.0)  # the cost LP's stock is final
    _optimal_face(model)
    model.prob.setObjective(pulp.lpSum(weight(pid, iid) * x for (pid, iid), x in model.x.items()))
    stages.append(solver.run(model.prob, options))
    if stages[-1].status is not Status.OPTIMAL:
        return chosen, tuple(stages)
    return _values(model), tuple(stages)


def _optimal_face(model: Model, tolerance: float = FACE_TOLERANCE) -> None:
    """Restrict a solved LP to its optimal face using its reduced costs and duals."""
    for var in model.x.values():
        if abs(var.dj or 0.0) > tolerance:
            var.lowBound = var.upBound = var.varValue or 0.0
    for constraint in model.rows.values():
        if abs(constraint.pi or 0.0) > tolerance:
            constraint.sense = pulp.LpConstraintEQ


def start_values(model: Model, selected: frozenset[str],
                 face: dict[tuple[str, str], float],
                 bought: dict[tuple[str, int], float] | None = None) -> dict[str, float]:
    """Variable values of a known portfolio, to hand the solver as its first incumbent."""
    case = model.case
    values = {y.name: 1.0 if pid in selected else 0.0 for pid, y in model.y.items()}
    for key, x in model.x.items():
        values[x.name] = face.get(key, 0.0) if key[0] in selected else 0.0
    for key, z in model.z.items():
        values[z.name] = 1.0 if values[model.x[key].name] > VALUE_TOLERANCE else 0.0
    if case.chains:
        found = flows(case, selected, bought)
        for stock_year, b in model.bought.items():
            values[b.name] = found.bought.get(stock_year, 0.0)
        for stock_year, r in model.released.items():
            values[r.name] = found.releases.get(stock_year, 0.0)
        for level, u in model.u.items():
            values[u.name] = found.utilisation.get(level, 0.0)
        for flow, m in model.imports.items():
            values[m.name] = found.imports.get(flow, 0.0)
        for row, var in model.shortfall.items():
            values[var.name] = case.demands[row].demand_t - found.delivered.get(row, 0.0)
        return values
    for row, var in model.shortfall.items():
        demand = case.demands[row]
        values[var.name] = max(0.0, demand.demand_t - case.supply(selected, demand))
    return values
