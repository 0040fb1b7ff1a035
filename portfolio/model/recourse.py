"""A fixed portfolio in schedule-risk samples: the recourse re-optimised in each one.

The first-stage decisions (selection, financing, stock purchases) stay as chosen; what a
sample changes is when each project comes online (or that it never does), and the
utilisation, imports, releases and deliveries are re-optimised for the first objective
(weighted shortfall + weighted imports). Two evaluators give the same numbers:

- `closed_form`, for pipelines without Inputs or Stockpiles: no row links Demand rows, so
  each row's shortfall is max(0, D_r - supply_r - sum_p min(v_pr, D_r) [online_kp <= Y_r]),
  computed for every sample at once with numpy;
- `SampleLP`, the flow LP of `portfolio.model.flows` built once with a level column for every
  selected project and plan year (`Model.every_year`) and kept in one HiGHS instance. A
  sample only changes column bounds (u_pY in [0, on] for a converter, fixed at on for any
  other project, on = online in Y) and is solved by dual simplex from the optimal basis of
  the median schedule (`Samples.centre`): the same start for every sample, so a sample's
  answer does not depend on which samples the process solved before it (1 or 2 workers, or
  Dask, agree).
  With stockpiles a second phase holds the first objective (EXACT) and draws stock in the
  earliest year it helps, as the plan's flows do.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import pulp

from portfolio.constants import EXACT, REDUCED_COST_TOLERANCE, VALUE_TOLERANCE
from portfolio.errors import SolverFailure
from portfolio.inputs.case import Case, demand_key
from portfolio.model import chains, stocks
from portfolio.model.container import Model, Names
from portfolio.model.flows import Purchases, purchase_key
from portfolio.model.outcomes import SolverOptions
from portfolio.model.samples import FAILED, Samples, draw
from portfolio.model.solver import INF, run_highs, to_highs


def closed(case: Case) -> bool:
    """Whether the shortfall has a closed form: no Inputs and no Stockpiles rows."""
    return not case.inputs and not case.stockpiles


@dataclass(frozen=True, eq=False)
class Outcome:
    """Samples' recourse: `first[k]` and `shortfall[k, r]` (tonnes) for each row of `online`."""

    first: np.ndarray
    shortfall: np.ndarray


@dataclass(frozen=True, eq=False)
class _Rows:
    """Per Demand row: the selected projects making its commodity, their tonnes, supply.

    Each project's tonnes count at most the row's demand, min(v_pr, D_r).
    """

    columns: list[list[int]]
    tonnes: list[np.ndarray]
    supply: np.ndarray


def _rows(case: Case, selected: frozenset[str], samples: Samples) -> _Rows:
    chosen = [p.project_id for p in case.projects if p.project_id in selected]
    columns, tonnes, supply = [], [], []
    for d in case.demands:
        key = demand_key(d.sector, d.material)
        makers = [(samples.column[pid], min(v, d.demand_t)) for pid in chosen
                  if (v := case.volumes.get(pid, {}).get(key, 0.0)) > 0]
        columns.append([j for j, _ in makers])
        tonnes.append(np.array([t for _, t in makers], dtype=float))
        supply.append(case.supply_t.get((key, d.year), 0.0))
    return _Rows(columns, tonnes, np.array(supply, dtype=float))


def closed_form(case: Case, selected: frozenset[str], samples: Samples,
                online: np.ndarray | None = None) -> Outcome:
    """Every sample's shortfall by Demand row and first objective, without a solver.

    `online` (default: the samples' own) has one row per schedule and one column per
    project (`Samples.column`).
    """
    online = samples.online if online is None else online
    rows = _rows(case, selected, samples)
    short = np.zeros((online.shape[0], len(case.demands)))
    for r, d in enumerate(case.demands):
        if d.demand_t <= 0:
            continue
        available = np.full(online.shape[0], rows.supply[r])
        if rows.columns[r]:
            years = online[:, rows.columns[r]]
            available = available + ((years != FAILED) & (years <= d.year)) @ rows.tonnes[r]
        short[:, r] = np.maximum(0.0, d.demand_t - available)
    weights = np.array([d.weight for d in case.demands], dtype=float)
    return Outcome(short @ weights, short)


def closed_on_plan(case: Case, selected: frozenset[str], samples: Samples, out: Outcome,
                   order: tuple[str, ...]) -> np.ndarray:
    """Each sample's first objective with one project of `order` on its planned schedule.

    [k, i] is sample k's with the i-th project on plan (NaN where it already was), from
    `out`, the `closed_form` of the samples.

    Only the Demand rows of the project's own commodities change, by its tonnes.
    """
    rows = _rows(case, selected, samples)
    weights = np.array([d.weight for d in case.demands], dtype=float)
    result = np.full((samples.count, len(order)), np.nan)
    for i, pid in enumerate(order):
        j = samples.column[pid]
        moved = np.flatnonzero(samples.online[:, j] != samples.planned[j])
        if not len(moved):
            continue
        first = out.first[moved].copy()
        sampled, planned = samples.online[moved, j], samples.planned[j]
        for r, d in enumerate(case.demands):
            if j not in rows.columns[r] or d.demand_t <= 0:
                continue
            tonnes = rows.tonnes[r][rows.columns[r].index(j)]
            was = ((sampled != FAILED) & (sampled <= d.year)).astype(float)
            now = float(planned <= d.year)
            if now == 0.0 and not was.any():
                continue
            short = out.shortfall[moved, r]
            years = samples.online[np.ix_(moved, np.array(rows.columns[r], dtype=np.int64))]
            available = rows.supply[r] + ((years != FAILED) & (years <= d.year)) @ rows.tonnes[r]
            after = np.maximum(0.0, d.demand_t - (available + tonnes * (now - was)))
            first += weights[r] * (after - short)
        result[moved, i] = first
    return result


@dataclass(frozen=True)
class _Solved:
    """What `SampleLP.first_near` needs of the last schedule `SampleLP.solve` solved.

    Its first objective, optimal basis, level bounds and the levels' reduced costs.
    """

    first: float
    basis: highspy.HighsBasis
    lower: np.ndarray
    upper: np.ndarray
    reduced: np.ndarray


@dataclass
class Counts:
    """LPs solved by a `SampleLP`, and neighbouring schedules settled without one."""

    solved: int = 0
    settled: int = 0


class SampleLP:
    """The flow LP of one portfolio in HiGHS, re-solved for one schedule at a time."""

    def __init__(self, case: Case, selected: frozenset[str], bought: Purchases | None,
                 samples: Samples, options: SolverOptions) -> None:
        self.case, self.samples = case, samples
        active = frozenset(pid for pid in selected
                           if case.volumes.get(pid) or case.consumption.get(pid))
        model = Model(case=case, prob=pulp.LpProblem("recourse", pulp.LpMinimize),
                      names=Names(), every_year=active)
        for project in case.projects:
            on = 1.0 if project.project_id in selected else 0.0
            model.y[project.project_id] = model.prob.add_variable(
                f"y_{model.names.token(project.project_id)}", on, on)
        stocks.stock_variables(model)
        for key, var in model.bought.items():
            var.lowBound = var.upBound = min((bought or {}).get(key, 0.0), var.upBound or 0.0)
        chains.chain_variables(model, False)
        stocks.stock_level(model)
        chains.utilisation_cap(model)  # unselected converters: u <= y = 0
        chains.commodity_balance(model)
        chains.allied_delivery(model)
        self.model = model
        columns = model.prob.variables()
        index = {v.name: j for j, v in enumerate(columns)}
        self.highs = to_highs(model.prob, SolverOptions(
            solver=options.solver, time_limit=options.time_limit, gap=0.0, log=options.log))
        self.highs.setOptionValue("simplex_strategy", 1)  # dual simplex: bounds change
        self.first = _vector(model.weighted_shortfall + model.weighted_imports, index,
                             len(columns))
        self.highs.changeColsCost(len(columns), np.arange(len(columns), dtype=np.int32),
                                  self.first)
        keys = [k for k, v in model.u.items() if v.name in index]  # the rest touch no row
        self.levels = np.array([index[model.u[k].name] for k in keys], dtype=np.int32)
        self.level_project = np.array([samples.column[pid] for pid, _ in keys], dtype=np.int64)
        self.level_year = np.array([year for _, year in keys], dtype=np.int64)
        self.converter = np.array([case.is_converter(case.project_by_id[pid])
                                   for pid, _ in keys], dtype=bool)
        self.short = {r: index[v.name] for r, v in model.shortfall.items() if v.name in index}
        self.earliest = None
        if model.released and model.shortfall:
            last = case.plan_years[-1]
            self.earliest = _vector(pulp.lpSum(
                (last + 1 - case.demands[r].year) * case.demands[r].weight * var
                for r, var in model.shortfall.items()), index, len(columns))
        self.seen: dict[bytes, tuple[float, np.ndarray]] = {}
        self.counts = Counts()
        self.basis: highspy.HighsBasis | None = None
        self._first(*self._bounds(samples.planned), None)
        self._first(*self._bounds(samples.centre()), self.highs.getBasis())
        self.basis = self.highs.getBasis()

    def solve(self, online: np.ndarray) -> tuple[float, np.ndarray]:
        """(first objective, shortfall per Demand row) with projects online as in `online`.

        Solved from the median schedule's basis (`Samples.centre`); `last` then holds what
        `first_near` needs of it (taken before the earliest-cover phase).
        """
        lower, upper = self._bounds(online)
        first = self._first(lower, upper, self.basis)
        self.counts.solved += 1
        self.last = _Solved(first, self.highs.getBasis(), lower, upper,
                            np.asarray(self.highs.getSolution().col_dual)[self.levels])
        if self.earliest is not None and first > 0:
            self._earliest(first)
        values = self.highs.getSolution().col_value
        short = np.zeros(len(self.case.demands))
        for r, j in self.short.items():
            value = values[j]
            short[r] = value if value > VALUE_TOLERANCE else 0.0
        return first, short

    def first_near(self, online: np.ndarray) -> float:
        """The first objective alone of a schedule near the last one `solve` solved.

        Solved from that schedule's optimal basis, the same whichever process solves it. Where
        the schedule only opens converter levels (u_pY from [0, 0] to [0, 1]) whose reduced
        costs there are at least -REDUCED_COST_TOLERANCE, the last solution stays optimal
        (primal feasible, the levels staying at 0, and dual feasible): no LP is solved.
        """
        last = self.last
        lower, upper = self._bounds(online)
        moved = (lower != last.lower) | (upper != last.upper)
        if not np.all((lower[moved] == last.lower[moved]) & (last.lower[moved] == last.upper[moved])
                      & (upper[moved] > last.upper[moved])
                      & (last.reduced[moved] >= -REDUCED_COST_TOLERANCE)):
            self.counts.solved += 1
            return self._first(lower, upper, last.basis)
        self.counts.settled += 1
        return last.first

    def _bounds(self, online: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the level columns under a schedule."""
        years = online[self.level_project]
        on = ((years != FAILED) & (years <= self.level_year)).astype(float)
        return np.where(self.converter, 0.0, on), on

    def _first(self, lower: np.ndarray, upper: np.ndarray,
               start: highspy.HighsBasis | None) -> float:
        """The first objective with the level columns in [lower, upper], from `start`."""
        if len(self.levels):
            self.highs.changeColsBounds(len(self.levels), self.levels, lower, upper)
        if start is not None:
            self.highs.setBasis(start)
        return self._run()

    def _run(self) -> float:
        run_highs(self.highs)
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise SolverFailure("the recourse LP of a sample ended "
                                f"{self.highs.modelStatusToString(self.highs.getModelStatus())}")
        return float(self.highs.getInfo().objective_function_value)

    def _earliest(self, first: float) -> None:
        """Phase 2 with stock: the first objective held (EXACT), cover as early as possible."""
        highs, n = self.highs, len(self.first)
        nonzero = np.flatnonzero(self.first).astype(np.int32)
        row = highs.getNumRow()
        highs.addRow(-INF, first + EXACT * max(1.0, abs(first)), len(nonzero), nonzero,
                     self.first[nonzero])
        every = np.arange(n, dtype=np.int32)
        assert self.earliest is not None
        highs.changeColsCost(n, every, self.earliest)
        try:
            self._run()
        finally:
            highs.deleteRows(1, np.array([row], dtype=np.int32))
            highs.changeColsCost(n, every, self.first)

    def key(self, online: np.ndarray) -> bytes:
        """What the LP sees of a schedule: which level columns are online."""
        years = online[self.level_project]
        return bytes(((years != FAILED) & (years <= self.level_year)).tobytes())

    def outcome(self, rows: np.ndarray) -> Outcome:
        """Every schedule of `rows` (one per sample), solved in turn.

        A schedule the LP cannot tell from one already solved is not solved again.
        """
        first = np.zeros(rows.shape[0])
        short = np.zeros((rows.shape[0], len(self.case.demands)))
        for k in range(rows.shape[0]):
            key = self.key(rows[k])
            if key not in self.seen:
                self.seen[key] = self.solve(rows[k])
            first[k], short[k] = self.seen[key]
        return Outcome(first, short)


def evaluate(case: Case, selected: frozenset[str], bought: Purchases | None,
             samples: Samples, options: SolverOptions | None = None) -> Outcome:
    """A portfolio's recourse in every sample: the closed form where it holds, else the LP."""
    if closed(case):
        return closed_form(case, selected, samples)
    lp = SampleLP(case, selected, bought, samples, options or SolverOptions(gap=0.0))
    return lp.outcome(samples.online)


def mean_first(case: Case, selected: frozenset[str], bought: Purchases | None = None) -> float:
    """The sample-average first objective of a portfolio, cached on the case.

    What risk_objective = expected minimises.
    """
    cache: dict[object, float] = case.__dict__.setdefault("_mean_first", {})
    key = (selected, purchase_key(bought))
    if key not in cache:
        cache[key] = float(np.mean(evaluate(case, selected, bought, draw(case)).first))
    return cache[key]


def _vector(expression: pulp.LpAffineExpression, index: dict[str, int], n: int) -> np.ndarray:
    out = np.zeros(n)
    for var, coefficient in expression.items():
        out[index[var.name]] += coefficient
    return out
