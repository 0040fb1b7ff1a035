"""Re-optimise one built model many times, each time with one project locked out.

Ranking needs the optimum without each selected project. Rather than build and hand a new
model to the solver per project, the model is built once, copied into HiGHS once, and each
re-solve only fixes one column's bounds and swaps the objective. Two bounds skip MIP
solves: a re-solve is infeasible if its LP relaxation is, and a stage is decided without a
MIP when the best known portfolio without the project is within the MIP gap of the stage's
lower bound (the larger of its LP relaxation and, for stage 1, the base optimum's bound,
which holds for every restriction of the base model). Every portfolio found is kept and
offered as the start of later re-solves that it is feasible for (those it does not use).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import pulp

from portfolio.build import Model, build
from portfolio.errors import SolverFailure
from portfolio.pipeline import Pipeline
from portfolio.solve import (
    Solution,
    SolverOptions,
    SolveStats,
    Status,
    exact_weighted_shortfall,
    extract,
    highs_bound_and_gap,
    start_values,
)

HOLD = 1e-6
INF = highspy.kHighsInf


@dataclass(frozen=True)
class Known:
    """A feasible portfolio of the base model, as column values with its two objectives."""

    selected: frozenset[str]
    values: np.ndarray
    shortfall: float
    cost: float


@dataclass
class Counts:
    """How each re-solve stage was settled, for the benchmark and the closing figures."""

    mip: int = 0
    decided: int = 0
    infeasible_lp: int = 0


def _status(highs: highspy.Highs) -> Status:
    """Classify a HiGHS run as solve.run does for PuLP: by the solution actually held."""
    model_status = highs.getModelStatus()
    if model_status == highspy.HighsModelStatus.kOptimal:
        return Status.OPTIMAL
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return Status.INFEASIBLE
    has_point = highs.getInfo().primal_solution_status == 2
    if model_status in (highspy.HighsModelStatus.kTimeLimit,
                        highspy.HighsModelStatus.kIterationLimit,
                        highspy.HighsModelStatus.kSolutionLimit,
                        highspy.HighsModelStatus.kInterrupt):
        return Status.FEASIBLE if has_point else Status.NO_SOLUTION
    raise SolverFailure("the highs solver ended with status "
                        f"{highs.modelStatusToString(model_status)}")


class LockOut:
    """The base model in HiGHS, re-solved with one project at a time locked out."""

    def __init__(self, pipeline: Pipeline, options: SolverOptions,
                 base: Solution | None = None, base_bound: float | None = None) -> None:
        self.pipeline, self.options = pipeline, options
        self.model: Model = build(pipeline)
        self.min_cost = pipeline.settings.objective == "min_cost"
        self.model.prob.setObjective(self.model.weighted_shortfall + self.model.budget_cost)
        self.columns = self.model.prob.variables()
        self.index = {v.name: j for j, v in enumerate(self.columns)}
        self.highs = _to_highs(self.model.prob, options)
        self.all = np.arange(len(self.columns), dtype=np.int32)
        self.integer = np.array([j for j, v in enumerate(self.columns) if v.cat == pulp.LpInteger],
                                dtype=np.int32)
        self.lower = np.array([v.lowBound for v in self.columns], dtype=float)[self.integer]
        self.upper = np.array([v.upBound for v in self.columns], dtype=float)[self.integer]
        self.locked = -1
        self.shortfall_cost = self._vector(self.model.weighted_shortfall)
        self.budget_cost = self._vector(self.model.budget_cost)
        self.base = base if base is not None and base.status.has_solution else None
        self.base_bound = base_bound
        self.known: list[Known] = []
        self._reduced_for: tuple[str, Known | None] = ("", None)
        self.counts = Counts()
        if self.base is not None:
            self.remember(self.base)

    def _vector(self, expression: pulp.LpAffineExpression) -> np.ndarray:
        out = np.zeros(len(self.columns))
        for var, coefficient in expression.items():
            out[self.index[var.name]] = coefficient
        return out

    def remember(self, solution: Solution) -> None:
        """Keep a feasible portfolio as a start for the re-solves it is feasible for."""
        if any(k.selected == solution.selected for k in self.known):
            return
        self.known.append(self._known(solution))

    def _known(self, solution: Solution) -> Known:
        values = self._values(solution)
        return Known(solution.selected, values,
                     exact_weighted_shortfall(self.pipeline, solution.selected),
                     float(self.budget_cost @ values))

    def _reduced(self, pid: str) -> Known | None:
        """The base portfolio less `pid` and its dependants, where that is still feasible.

        Dropping projects only loosens budgets, pools and groups, so it stays feasible
        unless a dropped project is locked in or (min_cost) coverage needs it.
        """
        if self.base is None or self.min_cost:
            return None
        if self._reduced_for[0] == pid:
            return self._reduced_for[1]
        known = self._reduce(self.base, pid)
        self._reduced_for = (pid, known)
        return known

    def _reduce(self, base: Solution, pid: str) -> Known | None:
        reduced = without_dependants(self.pipeline, base, pid)
        dropped = base.selected - reduced.selected
        if any(self.pipeline.project_by_id[p].lock == "in" for p in dropped):
            return None
        return self._known(reduced)

    def _best_known(self, pid: str, shortfall_at_most: float | None = None) -> Known | None:
        """The best kept portfolio without `pid` (cheapest if the shortfall is capped)."""
        reduced = self._reduced(pid)
        usable = [k for k in (*self.known, *([reduced] if reduced else []))
                  if pid not in k.selected
                  and (shortfall_at_most is None or k.shortfall <= shortfall_at_most)]
        if not usable:
            return None
        if shortfall_at_most is None and not self.min_cost:
            return min(usable, key=lambda k: (k.shortfall, k.cost))
        return min(usable, key=lambda k: k.cost)

    def without(self, pid: str) -> Solution:
        """The optimum with `pid` locked out (lexicographic for max_coverage)."""
        column = self.index[self.model.y[pid].name]
        lower, upper = self.columns[column].lowBound, self.columns[column].upBound
        self.highs.changeColBounds(column, 0.0, 0.0)
        self.locked = column
        try:
            return self._without(pid)
        finally:
            self.highs.changeColBounds(column, lower, upper)
            self.locked = -1

    def _without(self, pid: str) -> Solution:
        if self.min_cost:
            stage, values = self._stage(pid, self.budget_cost, None, None)
            if values is None:
                return Solution(status=stage.status, stages=(stage,))
            return self._solution((stage,), stage.status, values)
        first, found = self._stage(pid, self.shortfall_cost, None, self.base_bound)
        if found is None:
            return Solution(status=first.status, stages=(first,))
        stage1 = extract(self.model, (first,), first.status, self._named(found))
        values = self._values(stage1)
        held = exact_weighted_shortfall(self.pipeline, stage1.selected)
        limit = held + HOLD * max(1.0, abs(held))
        nonzero = np.flatnonzero(self.shortfall_cost).astype(np.int32)
        self.highs.addRow(-INF, limit, len(nonzero), nonzero, self.shortfall_cost[nonzero])
        try:
            second, cheaper = self._stage(pid, self.budget_cost, values, None, limit)
        finally:
            self.highs.deleteRows(1, np.array([self.highs.getNumRow() - 1], dtype=np.int32))
        if cheaper is None:
            note = ("stage 2 (minimise budget cost) found no portfolio within the time limit; "
                    "the stage 1 portfolio is reported, its cost not minimised")
            return self._solution((first, second), Status.FEASIBLE, values, (note,))
        both = first.status is Status.OPTIMAL and second.status is Status.OPTIMAL
        return self._solution((first, second), Status.OPTIMAL if both else Status.FEASIBLE,
                              cheaper)

    def _stage(self, pid: str, objective: np.ndarray, start: np.ndarray | None,
               floor: float | None, shortfall_at_most: float | None = None,
               ) -> tuple[SolveStats, np.ndarray | None]:
        """One lexicographic stage: LP bound, then the MIP unless a bound decides it."""
        began = time.perf_counter()
        highs = self.highs
        highs.changeColsCost(len(self.all), self.all, objective)
        highs.setOptionValue("solve_relaxation", True)
        try:
            highs.run()
        finally:
            highs.setOptionValue("solve_relaxation", False)
        if highs.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            self.counts.infeasible_lp += 1
            return SolveStats(Status.INFEASIBLE, None, None, None,
                              time.perf_counter() - began), None
        relaxed = highs.getInfo().objective_function_value
        bound = max(relaxed, floor) if floor is not None else relaxed
        known = self._best_known(pid, shortfall_at_most)
        candidates = [] if known is None else [known.values]
        if start is not None:
            candidates.append(start)
        incumbent = min(candidates, key=lambda v: float(objective @ v), default=None)
        if incumbent is not None:
            value = float(objective @ incumbent)
            if value - bound <= self.options.gap * abs(value) + 1e-9 * max(1.0, abs(value)):
                self.counts.decided += 1
                return SolveStats(Status.OPTIMAL, value, bound,
                                  (value - bound) / max(abs(value), 1e-12) if value else 0.0,
                                  time.perf_counter() - began), incumbent
            solution = highspy.HighsSolution()
            solution.col_value = incumbent.tolist()
            solution.value_valid = True
            highs.setSolution(solution)
        self.counts.mip += 1
        highs.run()
        status = _status(highs)
        seconds = time.perf_counter() - began
        if not status.has_solution:
            return SolveStats(status, None, None, None, seconds), None
        info = highs.getInfo()
        objective_value = float(info.objective_function_value)
        dual, gap = highs_bound_and_gap(info, status, objective_value)
        stats = SolveStats(status, objective_value, dual, gap, seconds)
        return stats, self._polish(np.array(highs.getSolution().col_value))

    def _polish(self, values: np.ndarray) -> np.ndarray:
        """Integers rounded and fixed, the LP re-solved: face values that close gaps exactly.

        A MIP answer may hold y = 0.999999 (within the integrality tolerance) with face
        values scaled down to match; the LP with y fixed at 1 gives the exact financing.
        """
        highs, fixed = self.highs, np.round(values[self.integer])
        upper = np.where(self.integer == self.locked, 0.0, self.upper)
        highs.changeColsBounds(len(self.integer), self.integer, fixed, fixed)
        highs.setOptionValue("solve_relaxation", True)
        try:
            highs.run()
            polished = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
            result = np.array(highs.getSolution().col_value) if polished else values
        finally:
            highs.setOptionValue("solve_relaxation", False)
            highs.changeColsBounds(len(self.integer), self.integer, self.lower, upper)
        return result

    def _named(self, values: np.ndarray) -> dict[str, float]:
        return {v.name: float(values[j]) for j, v in enumerate(self.columns)}

    def _values(self, solution: Solution) -> np.ndarray:
        """Column values of a portfolio, shortfalls and ticket flags recomputed exactly."""
        names = start_values(self.model, solution.selected, solution.face)
        return np.array([names.get(v.name, 0.0) for v in self.columns])

    def _solution(self, stages: Sequence[SolveStats], status: Status, values: np.ndarray,
                  notes: tuple[str, ...] = ()) -> Solution:
        solution = extract(self.model, tuple(stages), status, self._named(values), notes)
        self.remember(solution)
        return solution


def without_dependants(pipeline: Pipeline, solution: Solution, pid: str) -> Solution:
    """A portfolio less `pid` and every selected project that needs it, transitively."""
    dropped = {pid}
    while True:
        more = {p for p in solution.selected - dropped
                if dropped & set(pipeline.project_by_id[p].requires)}
        if not more:
            break
        dropped |= more
    selected = solution.selected - dropped
    return Solution(status=solution.status, selected=selected,
                    face={k: v for k, v in solution.face.items() if k[0] in selected})


def _to_highs(prob: pulp.LpProblem, options: SolverOptions) -> highspy.Highs:
    """Copy a PuLP problem's columns, rows and integrality into a fresh HiGHS instance.

    Presolve is off: on these re-solves it costs more than it saves (ranking the
    100-project benchmark took 50 s with it and 24 s without, in one process).
    """
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", options.gap)
    highs.setOptionValue("time_limit", float(options.time_limit))
    highs.setOptionValue("random_seed", 0)
    highs.setOptionValue("presolve", "off")
    if options.threads is not None:
        highs.setOptionValue("threads", options.threads)
    columns = prob.variables()
    index = {v.name: j for j, v in enumerate(columns)}
    lower = np.array([-INF if v.lowBound is None else v.lowBound for v in columns], dtype=float)
    upper = np.array([INF if v.upBound is None else v.upBound for v in columns], dtype=float)
    highs.addVars(len(columns), lower, upper)
    integer = np.array([j for j, v in enumerate(columns) if v.cat == pulp.LpInteger],
                       dtype=np.int32)
    if len(integer):
        highs.changeColsIntegrality(len(integer), integer,
                                    np.full(len(integer), highspy.HighsVarType.kInteger))
    row_lower: list[float] = []
    row_upper: list[float] = []
    starts: list[int] = []
    indices: list[int] = []
    values: list[float] = []
    for constraint in prob.constraints():
        starts.append(len(indices))
        for var, coefficient in constraint.items():
            if coefficient:
                indices.append(index[var.name])
                values.append(coefficient)
        lo, up = constraint.getLb(), constraint.getUb()
        row_lower.append(-INF if lo is None else lo)
        row_upper.append(INF if up is None else up)
    highs.addRows(len(row_lower), np.array(row_lower, dtype=float),
                  np.array(row_upper, dtype=float), len(indices),
                  np.array(starts, dtype=np.int32), np.array(indices, dtype=np.int32),
                  np.array(values, dtype=float))
    return highs
