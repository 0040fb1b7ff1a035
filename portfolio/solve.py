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
            var.setInitialValue(start.get(var.name, 0.0))
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


def _num(value: Any) -> float | None:
    return float(value) if value is not None else None


def _bound_and_gap(prob: pulp.LpProblem, status: Status, objective: float | None,
                   options: SolverOptions) -> tuple[float | None, float | None]:
    """Best bound and relative gap from HiGHS's info (CBC via PuLP reports neither)."""
    if not status.has_solution or options.solver != "highs":
        return None, None
    info = prob.solverModel.getInfo()
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

    @property
    def seconds(self) -> float:
        """Total solver wall time over the stages."""
        return sum(s.seconds for s in self.stages)

    @property
    def gap(self) -> float | None:
        """Largest relative gap reached over the stages (None where unknown)."""
        gaps = [s.gap for s in self.stages if s.status.has_solution]
        if not gaps or any(g is None for g in gaps):
            return None
        return max(g for g in gaps if g is not None)


def _values(model: Model) -> dict[str, float]:
    return {v.name: (v.varValue or 0.0) for v in model.prob.variables()}


def _extract(model: Model, stats: tuple[SolveStats, ...], status: Status,
             values: dict[str, float], notes: tuple[str, ...] = ()) -> Solution:
    """Read selection and face values, snapping solver noise (1e-9) to exact values."""
    selected = frozenset(pid for pid, y in model.y.items() if values.get(y.name, 0.0) > 0.5)
    face = {}
    for (pid, iid), var in model.x.items():
        value = values.get(var.name, 0.0)
        if pid in selected and value > VALUE_TOLERANCE:
            face[(pid, iid)] = value
    return Solution(status=status, selected=selected, face=face, stages=stats, notes=notes)


def exact_weighted_shortfall(pipeline: Pipeline, selected: frozenset[str]) -> float:
    """sum_d weight_d * max(0, demand_d - supply_d) for a selection, without the solver."""
    total = 0.0
    for demand in pipeline.demands:
        supply = sum(pipeline.supply_contribution(pipeline.project_by_id[pid], demand)
                     for pid in selected)
        total += demand.weight * max(0.0, demand.demand_t - supply)
    return total


def optimise(pipeline: Pipeline, options: SolverOptions,
             locked_out: frozenset[str] = frozenset()) -> Solution:
    """Solve the contract's objective exactly as specified.

    max_coverage is lexicographic: stage 1 minimises weighted shortfall; stage 2 minimises
    budget cost with weighted shortfall held at stage 1's value, started from stage 1's
    portfolio. min_cost covers all demand (hard) at minimum budget cost.
    """
    model = build(pipeline, locked_out=locked_out)
    if pipeline.settings.objective == "min_cost":
        model.prob.setObjective(model.budget_cost)
        only = run(model.prob, options)
        if not only.status.has_solution:
            return Solution(status=only.status, stages=(only,))
        return _extract(model, (only,), only.status, _values(model))

    model.prob.setObjective(model.weighted_shortfall)
    first = run(model.prob, options)
    if not first.status.has_solution:
        return Solution(status=first.status, stages=(first,))
    start = _values(model)
    stage1 = _extract(model, (first,), first.status, start)
    held = exact_weighted_shortfall(pipeline, stage1.selected)
    tolerance = 1e-6 * max(1.0, abs(held))
    model.add(model.weighted_shortfall <= held + tolerance, "lexicographic", "shortfall")
    model.prob.setObjective(model.budget_cost)
    second = run(model.prob, options, start=start)
    if not second.status.has_solution:
        note = ("stage 2 (minimise budget cost) found no portfolio within the time limit; "
                "the stage 1 portfolio is reported, its cost not minimised")
        return _extract(model, (first, second), Status.FEASIBLE, start, (note,))
    both_optimal = first.status is Status.OPTIMAL and second.status is Status.OPTIMAL
    return _extract(model, (first, second),
                    Status.OPTIMAL if both_optimal else Status.FEASIBLE, _values(model))
