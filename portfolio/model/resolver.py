"""Re-optimise one built model many times, each time with one project locked out.

Ranking needs the optimum without each selected project. Rather than build and hand a new
model to the solver per project, the model is built once, copied into HiGHS once, and each
re-solve only fixes one column's bounds and swaps the objective. Two bounds skip MIP
solves: a re-solve is infeasible if its LP relaxation is, and a stage is decided without a
MIP when the best known portfolio without the project is within the MIP gap of the stage's
lower bound (the larger of its LP relaxation and, for stage 1, the base optimum's bound,
which holds for every restriction of the base model). Every portfolio found is kept and
offered as the start of later re-solves that it is feasible for (those it does not use).

The stages themselves are `portfolio.model.lexicographic`'s driver: `LockOut` is its
backend on the persistent HiGHS copy.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pulp

from portfolio.constants import BOUND_TOLERANCE, EXACT, GAP_FLOOR
from portfolio.inputs.case import Case
from portfolio.inputs.vocabulary import Lock, Objective
from portfolio.model.build import build
from portfolio.model.container import Goal, Model
from portfolio.model.lexicographic import (
    exact_weighted_shortfall,
    extract,
    lexicographic,
    start_values,
    unheld,
)
from portfolio.model.outcomes import (
    Settled,
    Solution,
    SolverOptions,
    SolveStats,
    Status,
    from_highs,
    highs_bound_and_gap,
)
from portfolio.model.solver import INF, relaxation, run_highs, set_start, to_highs


@dataclass(frozen=True)
class Known:
    """A feasible portfolio of the base model, as column values with its two objectives."""

    selected: frozenset[str]
    values: np.ndarray
    shortfall: float
    cost: float


class LockOut:
    """The base model in HiGHS, re-solved with one project at a time locked out."""

    def __init__(self, case: Case, options: SolverOptions,
                 base: Solution | None = None, base_bound: float | None = None) -> None:
        self.case, self.options = case, options
        self.model: Model = build(case)
        self.min_cost = case.settings.objective == Objective.MIN_COST
        self.model.prob.setObjective(self.model.goal(Goal.SHORTFALL) + self.model.budget_cost)
        self.columns = self.model.prob.variables()
        self.index = {v.name: j for j, v in enumerate(self.columns)}
        self.highs = to_highs(self.model.prob, options)
        self.all = np.arange(len(self.columns), dtype=np.int32)
        self.integer = np.array([j for j, v in enumerate(self.columns) if v.cat == pulp.LpInteger],
                                dtype=np.int32)
        self.lower = np.array([v.lowBound for v in self.columns], dtype=float)[self.integer]
        self.upper = np.array([v.upBound for v in self.columns], dtype=float)[self.integer]
        self.locked, self.pid = -1, ""
        self.held: float | None = None
        self.held_row = -1
        self.shortfall_cost = self._vector(self.model.goal(Goal.SHORTFALL))
        self.budget_cost = self._vector(self.model.budget_cost)
        self.base = base if base is not None and base.status.has_solution else None
        self.base_bound = base_bound
        self.known: list[Known] = []
        self._selections: set[frozenset[str]] = set()  # those of `known`, to skip repeats
        self._reduced_for: tuple[str, Known | None] = ("", None)
        self.found: list[Solution] = []  # near-optimal portfolios found, for `take_found`
        self._improving: list[np.ndarray] = []
        if not case.expected:  # a mean over samples is too dear to value every one
            self.highs.cbMipImprovingSolution.subscribe(self._on_improving)
        self.settled: list[Settled] = []  # how each stage of the last `without` was answered
        if self.base is not None:
            self.remember(self.base)
            self.found = []  # every worker has it

    def _vector(self, expression: pulp.LpAffineExpression) -> np.ndarray:
        out = np.zeros(len(self.columns))
        for var, coefficient in expression.items():
            out[self.index[var.name]] = coefficient
        return out

    def remember(self, solution: Solution) -> None:
        """Keep a feasible portfolio as a start for the re-solves it is feasible for.

        One within the gap of the base optimum's bound is also kept in `found`: it can
        settle another project's stage 1 (`_stage`), so `rank` passes it to every worker.
        """
        if solution.selected in self._selections:
            return
        known = self._known(solution)
        self.known.append(known)
        self._selections.add(solution.selected)
        if self.base_bound is not None and not self.min_cost and \
                known.shortfall - self.base_bound <= self._slack(known.shortfall):
            self.found.append(Solution(status=Status.FEASIBLE, selected=solution.selected,
                                       face=solution.face, bought=solution.bought))

    def share(self, solutions: Sequence[Solution]) -> None:
        """Portfolios other workers found (see `remember`)."""
        found = len(self.found)
        for solution in solutions:
            self.remember(solution)
        del self.found[found:]  # theirs already, not news to pass on

    def take_found(self) -> tuple[Solution, ...]:
        """The near-optimal portfolios found since the last call."""
        found, self.found = tuple(self.found), []
        return found

    def _on_improving(self, event: Any) -> None:
        """HiGHS's callback: every improving MIP solution is a portfolio of the base model."""
        self._improving.append(np.array(event.data_out.mip_solution, dtype=float))

    def _archive(self) -> None:
        """Keep the portfolios the last MIP passed through on its way (`_on_improving`)."""
        for values in self._improving:
            self.remember(extract(self.model, (), Status.FEASIBLE, self._named(values)))
        self._improving = []

    def _slack(self, value: float) -> float:
        """How far above a bound a value may be and still count as meeting it (the gap)."""
        return self.options.gap * abs(value) + BOUND_TOLERANCE * max(1.0, abs(value))

    def _known(self, solution: Solution) -> Known:
        values = self._values(solution)
        return Known(solution.selected, values,
                     exact_weighted_shortfall(self.case, solution.selected, solution.bought),
                     float(self.budget_cost @ values))

    def _reduced(self, pid: str) -> Known | None:
        """The base portfolio less `pid` and its dependants, where that is still feasible.

        Dropping projects only loosens budgets, pools and groups, so it stays feasible
        unless a dropped project is locked in or (min_cost) coverage needs it.
        """
        if self.base is None or self.min_cost or self.case.cost_shares:
            return None  # a cost share may fail once a project's financing is gone
        if self._reduced_for[0] == pid:
            return self._reduced_for[1]
        known = self._reduce(self.base, pid)
        self._reduced_for = (pid, known)
        return known

    def _reduce(self, base: Solution, pid: str) -> Known | None:
        reduced = without_dependants(self.case, base, pid)
        dropped = base.selected - reduced.selected
        if any(self.case.project_by_id[p].lock == Lock.IN for p in dropped):
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
        self.locked, self.pid = column, pid
        self.settled = []
        rows = self.highs.getNumRow()
        try:
            return lexicographic(self, self.case)
        finally:
            held = self.highs.getNumRow() - rows
            if held:
                self.highs.deleteRows(held, np.arange(rows, rows + held, dtype=np.int32))
            self.held = None
            self.highs.changeColBounds(column, lower, upper)
            self.locked, self.pid = -1, ""

    # The driver's backend (`portfolio.model.lexicographic.Stages`) on the HiGHS copy.

    def minimise(self, goal: Goal, start: np.ndarray | None,
                 ) -> tuple[SolveStats, np.ndarray | None]:
        """One stage: its LP bound, then the MIP unless a bound decides it."""
        floor = self.base_bound if goal is Goal.SHORTFALL else None
        return self._stage(self.pid, self._cost(goal), start, floor, self.held)

    def _cost(self, goal: Goal) -> np.ndarray:
        """The goal's objective vector over the HiGHS columns."""
        return self.shortfall_cost if goal is Goal.SHORTFALL else self.budget_cost

    def portfolio(self, stats: tuple[SolveStats, ...], status: Status, values: np.ndarray,
                  notes: tuple[str, ...] = ()) -> Solution:
        """The portfolio of a column vector (stage 1's, kept as a start as well)."""
        solution = extract(self.model, stats, status, self._named(values), notes)
        self.remember(solution)
        return solution

    def carry(self, stage1: Solution, values: np.ndarray) -> np.ndarray:
        """Stage 2 starts from stage 1's portfolio, its shortfalls and tickets recomputed."""
        return self._values(stage1)

    def hold(self, goal: Goal, limit: float) -> None:
        """An added row, deleted again when `without` returns."""
        cost = self._cost(goal)
        nonzero = np.flatnonzero(cost).astype(np.int32)
        self.highs.addRow(-INF, limit, len(nonzero), nonzero, cost[nonzero])
        if goal is Goal.SHORTFALL:
            self.held, self.held_row = limit, self.highs.getNumRow() - 1

    def finish(self, stats: tuple[SolveStats, ...], status: Status, values: np.ndarray,
               notes: tuple[str, ...] = (), *, settle: bool = True) -> Solution:
        """The portfolio, kept as a start for later re-solves (no tie-breaking in ranking)."""
        return self._solution(stats, status, values, notes)

    def _stage(self, pid: str, objective: np.ndarray, start: np.ndarray | None,
               floor: float | None, shortfall_at_most: float | None = None,
               ) -> tuple[SolveStats, np.ndarray | None]:
        """One lexicographic stage: LP bound, then the MIP unless a bound decides it."""
        began = time.perf_counter()
        highs = self.highs
        highs.changeColsCost(len(self.all), self.all, objective)
        with relaxation(highs):
            run_highs(highs)
        if highs.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            self.settled.append(Settled.INFEASIBLE_LP)
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
            if value - bound <= self._slack(value):
                self.settled.append(Settled.BOUND)
                return SolveStats(Status.OPTIMAL, value, bound,
                                  (value - bound) / max(abs(value), GAP_FLOOR) if value else 0.0,
                                  time.perf_counter() - began), incumbent
            set_start(highs, incumbent.tolist())
        self.settled.append(Settled.MIP)
        run_highs(highs)
        self._archive()
        status = from_highs(highs)
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
        With stock, the stage-1 hold is made exact for this LP (see
        `portfolio.model.lexicographic.exact_stock`), so no purchase trades the tolerance.
        """
        highs, fixed = self.highs, np.round(values[self.integer])
        upper = np.where(self.integer == self.locked, 0.0, self.upper)
        highs.changeColsBounds(len(self.integer), self.integer, fixed, fixed)
        tight = self.held is not None and bool(self.model.bought)
        if tight and self.held is not None:
            exact = unheld(self.held)
            highs.changeRowBounds(self.held_row, -INF, exact + EXACT * max(1.0, abs(exact)))
        try:
            with relaxation(highs):
                run_highs(highs)
            polished = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
            result = np.array(highs.getSolution().col_value) if polished else values
        finally:
            highs.changeColsBounds(len(self.integer), self.integer, self.lower, upper)
            if tight and self.held is not None:
                highs.changeRowBounds(self.held_row, -INF, self.held)
        return result

    def _named(self, values: np.ndarray) -> dict[str, float]:
        return {v.name: float(values[j]) for j, v in enumerate(self.columns)}

    def _values(self, solution: Solution) -> np.ndarray:
        """Column values of a portfolio, shortfalls and ticket flags recomputed exactly."""
        names = start_values(self.model, solution.selected, solution.face, solution.bought)
        return np.array([names.get(v.name, 0.0) for v in self.columns])

    def _solution(self, stages: Sequence[SolveStats], status: Status, values: np.ndarray,
                  notes: tuple[str, ...] = ()) -> Solution:
        solution = extract(self.model, tuple(stages), status, self._named(values), notes)
        self.remember(solution)
        return solution


def without_dependants(case: Case, solution: Solution, pid: str) -> Solution:
    """A portfolio less `pid` and every selected project that needs it, transitively."""
    dropped = {pid}
    while True:
        more = {p for p in solution.selected - dropped
                if dropped & set(case.project_by_id[p].requires)}
        if not more:
            break
        dropped |= more
    selected = solution.selected - dropped
    return Solution(status=solution.status, selected=selected,
                    face={k: v for k, v in solution.face.items() if k[0] in selected},
                    bought=solution.bought)
