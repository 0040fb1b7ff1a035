"""Solve stage: run HiGHS or CBC and read back a typed outcome.

PuLP's problem status says "optimal" for a time-limited HiGHS run that merely found a
feasible point, so the outcome is read from the *solution* status (`prob.sol_status`),
and HiGHS's own info gives the gap and bound actually reached.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import pulp

from portfolio.build import Model, build
from portfolio.errors import SolverFailure
from portfolio.pipeline import Pipeline

SolverName = Literal["highs", "cbc"]
CBC_WARNING = (
    "CBC 2.10.3 (bundled with PuLP) has a known cut bug (coin-or/Cbc#337) and can report "
    "'optimal' for a worse portfolio; its optimality is not trusted. Use the default HiGHS "
    "solver for decisions."
)
VALUE_TOLERANCE = 1e-7


class Status(StrEnum):
    """What a solve established (the Summary sheet's `status`)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "time_limit_no_solution"

    @property
    def has_solution(self) -> bool:
        """Whether a portfolio satisfying every hard constraint was found."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass(frozen=True)
class SolverOptions:
    """How to solve: which solver, its time limit per solve and relative MIP gap."""

    solver: SolverName = "highs"
    time_limit: float = 60.0
    gap: float = 1e-4
    threads: int | None = None

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline, *, solver: SolverName = "highs",
                      time_limit: float | None = None, gap: float | None = None) -> SolverOptions:
        """Options from the Settings sheet, overridden by command-line values."""
        s = pipeline.settings
        return cls(solver=solver,
                   time_limit=s.time_limit_s if time_limit is None else time_limit,
                   gap=s.mip_gap if gap is None else gap)

    @property
    def label(self) -> str:
        """Solver name and version for the Summary sheet."""
        if self.solver == "cbc":
            return "CBC 2.10.3 (bundled with PuLP; optimality not trusted)"
        import highspy

        version = getattr(highspy.Highs(), "version", lambda: "")()  # type: ignore[no-untyped-call]
        return f"HiGHS {version}".strip()


@dataclass(frozen=True)
class SolveStats:
    """One solver run: status, objective, best bound, relative gap and wall time."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float


class _WarmHiGHS(pulp.HiGHS):  # type: ignore[misc]
    """HiGHS through PuLP, handed a feasible start (PuLP 3.3 has no HiGHS warm start)."""

    def __init__(self, start: dict[str, float] | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start = start

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:
        super().buildSolverModel(lp)
        if not self.start:
            return
        import highspy

        solution = highspy.HighsSolution()
        solution.col_value = [self.start.get(v.name, 0.0) for v in lp.variables()]
        solution.value_valid = True
        lp.solverModel.setSolution(solution)


def _solver(options: SolverOptions, start: dict[str, float] | None) -> Any:
    if options.solver == "cbc":
        return pulp.COIN_CMD(path=pulp.PULP_CBC_CMD.pulp_cbc_path, msg=False,
                             timeLimit=options.time_limit, gapRel=options.gap,
                             warmStart=bool(start), threads=options.threads)
    return _WarmHiGHS(start, msg=False, timeLimit=options.time_limit, gapRel=options.gap,
                      threads=options.threads, random_seed=0)


def run(prob: pulp.LpProblem, options: SolverOptions,
        start: dict[str, float] | None = None) -> SolveStats:
    """Solve `prob` once and classify the result by its solution status."""
    if start and options.solver == "cbc":
        for var in prob.variables():
            var.setInitialValue(_within_bounds(var, start.get(var.name, 0.0)))
    began = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prob.solve(_solver(options, start))
    except pulp.PulpSolverError as exc:
        raise SolverFailure(f"the {options.solver} solver failed: {exc}") from None
    seconds = time.perf_counter() - began
    sol_status = prob.sol_status
    if sol_status == pulp.LpSolutionOptimal:
        status = Status.OPTIMAL
    elif sol_status == pulp.LpSolutionIntegerFeasible:
        status = Status.FEASIBLE
    elif prob.status == pulp.LpStatusInfeasible or sol_status == pulp.LpSolutionInfeasible:
        status = Status.INFEASIBLE
    elif prob.status == pulp.LpStatusNotSolved:
        status = Status.NO_SOLUTION
    else:
        raise SolverFailure(f"the {options.solver} solver ended with status "
                            f"{pulp.LpStatus.get(prob.status, prob.status)}")
    objective = pulp.value(prob.objective) if status.has_solution else None
    bound, gap = _bound_and_gap(prob, status, objective, options)
    return SolveStats(status=status, objective=_num(objective), bound=bound, gap=gap,
                      seconds=seconds)


def _within_bounds(var: pulp.LpVariable, value: float) -> float:
    """A start value clipped to its bounds (solvers return -1e-15 for a zero)."""
    if var.lowBound is not None:
        value = max(value, var.lowBound)
    if var.upBound is not None:
        value = min(value, var.upBound)
    return value


def _num(value: Any) -> float | None:
    return float(value) if value is not None else None


def _bound_and_gap(prob: pulp.LpProblem, status: Status, objective: float | None,
                   options: SolverOptions) -> tuple[float | None, float | None]:
    """Best bound and relative gap from HiGHS's info (CBC via PuLP reports neither)."""
    if not status.has_solution or options.solver != "highs":
        return None, None
    return highs_bound_and_gap(prob.solverModel.getInfo(), status, objective)


def highs_bound_and_gap(info: Any, status: Status,
                        objective: float | None) -> tuple[float | None, float | None]:
    """Best bound and gap from a HiGHS info record; an optimal run without them has gap 0."""
    bound, gap = float(info.mip_dual_bound), float(info.mip_gap)
    unknown_gap = 0.0 if status is Status.OPTIMAL else None
    return (bound if math.isfinite(bound) else objective,
            gap if math.isfinite(gap) and gap >= 0 else unknown_gap)


@dataclass(frozen=True)
class Solution:
    """A portfolio: selected projects and face values, with how it was established."""

    status: Status
    selected: frozenset[str] = frozenset()
    face: dict[tuple[str, str], float] = field(default_factory=dict)
    stages: tuple[SolveStats, ...] = ()
    notes: tuple[str, ...] = ()
    tie_break: tuple[SolveStats, ...] = ()

    @property
    def seconds(self) -> float:
        """Total solver wall time over the stages, tie-breaking included."""
        return sum(s.seconds for s in (*self.stages, *self.tie_break))

    @property
    def gap(self) -> float | None:
        """Largest relative gap reached over the stages (None where unknown)."""
        gaps = [s.gap for s in self.stages if s.status.has_solution]
        if not gaps or any(g is None for g in gaps):
            return None
        return max(g for g in gaps if g is not None)


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
    return Solution(status=status, selected=selected, face=face, stages=stats, notes=notes,
                    tie_break=tie_break)


def exact_weighted_shortfall(pipeline: Pipeline, selected: frozenset[str]) -> float:
    """sum_d weight_d * max(0, demand_d - supply_d) for a selection, without the solver."""
    return sum(d.weight * max(0.0, d.demand_t - pipeline.supply(selected, d))
               for d in pipeline.demands)


def _hold(model: Model, expression: pulp.LpAffineExpression, value: float, name: str,
          tolerance: float = 1e-6) -> None:
    """Keep an objective at the value a stage reached (relative tolerance)."""
    model.add(expression <= value + tolerance * max(1.0, abs(value)), "lexicographic", name)


def break_ties(model: Model, options: SolverOptions, start: dict[str, float],
               ) -> tuple[dict[str, float], tuple[SolveStats, ...]]:
    """Among equally good portfolios, choose one by a fixed rule, so every run agrees.

    With weighted shortfall and budget cost held at the values reached (1e-6 relative):
    selection, minimise sum_p row_p * y_p (prefer the projects listed first on the Projects
    sheet); then, selection fixed, minimise sum_pi w_pi * z_pi over the min-ticket choices,
    with w_pi = row_i * (n + 1 - row_p) (prefer the pools listed first on the Financing
    sheet and, where projects compete for a pool, the project listed first). With those
    fixed, solve the cost LP, restrict it to its optimal face (variables with a non-zero
    reduced cost stay put, rows with a non-zero dual stay tight) and on that face minimise
    sum_pi w_pi * x_pi. The face keeps the cost exactly optimal, with no tolerance to
    exploit. A stage that finds nothing within its time limit keeps the portfolio so far.
    """
    pipe = model.pipeline
    _hold(model, model.budget_cost, pulp.value(model.budget_cost) or 0.0, "cost")
    project_row = {p.project_id: n for n, p in enumerate(pipe.projects, start=1)}
    pool_row = {pool.pool_id: n for n, pool in enumerate(pipe.pools, start=1)}
    last = len(pipe.projects) + 1

    def weight(pid: str, iid: str) -> int:
        return pool_row[iid] * (last - project_row[pid])

    stages: list[SolveStats] = []
    chosen = start
    for binaries, objective in (
            (model.y, pulp.lpSum(project_row[pid] * y for pid, y in model.y.items())),
            (model.z, pulp.lpSum(weight(pid, iid) * z for (pid, iid), z in model.z.items()))):
        if binaries:
            model.prob.setObjective(objective)
            stages.append(run(model.prob, options, start=chosen))
            if not stages[-1].status.has_solution:
                return chosen, tuple(stages)
            chosen = _values(model)
        for var in binaries.values():
            var.lowBound = var.upBound = round(chosen.get(var.name, 0.0))
            var.cat = pulp.LpContinuous
    model.prob.setObjective(model.budget_cost)
    stages.append(run(model.prob, options))
    if stages[-1].status is not Status.OPTIMAL:
        return chosen, tuple(stages)
    chosen = _values(model)
    _optimal_face(model)
    model.prob.setObjective(pulp.lpSum(weight(pid, iid) * x for (pid, iid), x in model.x.items()))
    stages.append(run(model.prob, options))
    if stages[-1].status is not Status.OPTIMAL:
        return chosen, tuple(stages)
    return _values(model), tuple(stages)


def _optimal_face(model: Model, tolerance: float = 1e-9) -> None:
    """Restrict a solved LP to its optimal face using its reduced costs and duals."""
    for var in model.x.values():
        if abs(var.dj or 0.0) > tolerance:
            var.lowBound = var.upBound = var.varValue or 0.0
    for constraint in model.rows.values():
        if abs(constraint.pi or 0.0) > tolerance:
            constraint.sense = pulp.LpConstraintEQ


def start_values(model: Model, selected: frozenset[str],
                 face: dict[tuple[str, str], float]) -> dict[str, float]:
    """Variable values of a known portfolio, to hand the solver as its first incumbent."""
    pipe = model.pipeline
    values = {y.name: 1.0 if pid in selected else 0.0 for pid, y in model.y.items()}
    for key, x in model.x.items():
        values[x.name] = face.get(key, 0.0) if key[0] in selected else 0.0
    for key, z in model.z.items():
        values[z.name] = 1.0 if values[model.x[key].name] > VALUE_TOLERANCE else 0.0
    for row, var in model.shortfall.items():
        demand = pipe.demands[row]
        values[var.name] = max(0.0, demand.demand_t - pipe.supply(selected, demand))
    return values


def optimise(pipeline: Pipeline, options: SolverOptions,
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
    model = build(pipeline, locked_out=locked_out)
    first_start = start_values(model, hint.selected, hint.face) if hint else None
    if pipeline.settings.objective == "min_cost":
        model.prob.setObjective(model.budget_cost)
        only = run(model.prob, options, start=first_start)
        if not only.status.has_solution:
            return Solution(status=only.status, stages=(only,))
        return _settle(model, options, (only,), only.status, tie_break)

    model.prob.setObjective(model.weighted_shortfall)
    first = run(model.prob, options, start=first_start)
    if not first.status.has_solution:
        return Solution(status=first.status, stages=(first,))
    start = _values(model)
    stage1 = extract(model, (first,), first.status, start)
    _hold(model, model.weighted_shortfall, exact_weighted_shortfall(pipeline, stage1.selected),
          "shortfall")
    model.prob.setObjective(model.budget_cost)
    second = run(model.prob, options, start=start)
    if not second.status.has_solution:
        note = ("stage 2 (minimise budget cost) found no portfolio within the time limit; "
                "the stage 1 portfolio is reported, its cost not minimised")
        return extract(model, (first, second), Status.FEASIBLE, start, (note,))
    both_optimal = first.status is Status.OPTIMAL and second.status is Status.OPTIMAL
    return _settle(model, options, (first, second),
                   Status.OPTIMAL if both_optimal else Status.FEASIBLE, tie_break)


def _settle(model: Model, options: SolverOptions, stats: tuple[SolveStats, ...],
            status: Status, tie_break: bool) -> Solution:
    """The solved portfolio, its ties broken where the optimum is proven exactly (gap 0)."""
    values = _values(model)
    ties: tuple[SolveStats, ...] = ()
    if tie_break and options.gap == 0 and status is Status.OPTIMAL:
        values, ties = break_ties(model, options, values)
    return extract(model, stats, status, values, tie_break=ties)
