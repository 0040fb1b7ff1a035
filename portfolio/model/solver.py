"""The one place that talks to the solvers: options, warm starts, one PuLP run, a native copy.

Every solve of the product (the selection, the ranking's re-solves, the frontier, the
scenarios, the sensitivity LPs and re-solves, the diagnosis) gets its HiGHS options from
`highs_options` and its first incumbent from `set_start`, whether it runs through PuLP
(`run`) or on a persistent native copy of the model (`to_highs`). `upper_ranges` reads
HiGHS's right-hand-side ranging off an LP that `run` has just solved.

Every HiGHS instance of the product is made by `new_highs`, which keeps the terminal
quiet: the banner HiGHS prints on C-level stdout when a process makes its first instance
goes to the null device, and the log stays off, unless `SolverOptions.log` asks for both
(then both go to stderr, so stdout keeps only the command's answer). CBC's output goes to
the null device likewise (PuLP's `msg=False`), or to stderr when asked for.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import version as package_version
from typing import IO, Any

import highspy
import numpy as np
import pulp

from portfolio.constants import NOISE, RESOLVE_OPTIONS
from portfolio.errors import SolverFailure
from portfolio.model.outcomes import (
    SolveKind,
    Solver,
    SolverOptions,
    SolveStats,
    Status,
    from_pulp,
    highs_bound_and_gap,
)

INF = highspy.kHighsInf
#: HiGHS threads per solve unless `SolverOptions.threads` says otherwise. HiGHS's own
#: default (0) is half the machine's cores, so the same case could run a different search
#: on another machine; one thread runs the same search everywhere, and the sweeps already
#: use one process per core (more threads per solve would only compete for them).
THREADS = 1

_first = threading.Lock()
_made = threading.Event()  # set once this process has made its first HiGHS instance


@contextmanager
def _stdout_to(fd: int | None) -> Iterator[None]:
    """C-level stdout (descriptor 1) sent to descriptor `fd`, or to the null device if None.

    Python's own `sys.stdout` is flushed first so nothing it holds lands in the wrong place;
    descriptor 1 is restored however the block ends.
    """
    if sys.stdout is not None:
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no descriptor 1 (a detached process): nothing reaches a terminal
        yield
        return
    target = os.open(os.devnull, os.O_WRONLY) if fd is None else fd
    try:
        os.dup2(target, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        if fd is None:
            os.close(target)


def new_highs(options: SolverOptions, *, presolve: bool = True) -> highspy.Highs:
    """A HiGHS instance configured by `highs_options`; the only way the product makes one.

    The first instance of a process prints HiGHS's banner on C-level stdout, which
    `contextlib.redirect_stdout` cannot catch; it is made with descriptor 1 on the null
    device (or on stderr when `options.log` asks for the log). Later instances print
    nothing. With `options.log` the log is written to `sys.stderr` line by line (HiGHS's
    console log would go to stdout).
    """
    with _first:  # a Dask worker may run tasks on several threads
        if _made.is_set():
            highs = highspy.Highs()  # type: ignore[no-untyped-call]
        else:
            with _stdout_to(2 if options.log else None):
                highs = highspy.Highs()  # type: ignore[no-untyped-call]
            _made.set()
    configure(highs, options, presolve=presolve)
    if options.log:
        highs.cbLogging.subscribe(_to_stderr)
    return highs


def _to_stderr(event: Any) -> None:
    """HiGHS's log callback: each message to stderr as it comes."""
    sys.stderr.write(event.message)
    sys.stderr.flush()


def solver_version(options: SolverOptions) -> str:
    """The solver's exact build, for the Summary.

    HiGHS: the library's version and git hash, and the highspy package's version; CBC: the
    version the binary PuLP bundles prints, and PuLP's version.
    """
    if options.solver is Solver.CBC:
        version = _cbc_version()
        bundled = f"bundled with PuLP {package_version('pulp')}"
        return f"CBC {version} ({bundled})" if version else f"CBC {bundled}"
    highs = new_highs(options)
    return (f"HiGHS {highs.version()} (git hash {highs.githash()}), "
            f"highspy {package_version('highspy')}")


@functools.cache
def _cbc_version() -> str | None:
    """The version the bundled CBC binary prints on starting (None if it cannot be run)."""
    try:
        done = subprocess.run([pulp.PULP_CBC_CMD.pulp_cbc_path, "-quit"], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"Version:\s*(\S+)", done.stdout)
    return found.group(1) if found else None


def highs_options(options: SolverOptions, *, presolve: bool = True) -> dict[str, Any]:
    """HiGHS's option values for a solve: the gap and time limit asked for, seed 0, 1 thread.

    The log is off unless `options.log` asks for it; then it goes to the log callback
    `new_highs` sets (stderr), never to HiGHS's console (stdout). Presolve is turned off
    for the persistent re-solver: on its re-solves it costs more than it saves (ranking
    the 100-project benchmark took 50 s with it and 24 s without). The analyses' re-solves
    (`SolveKind.RESOLVE`) add `RESOLVE_OPTIONS`.
    """
    out: dict[str, Any] = {"output_flag": options.log, "log_to_console": False,
                           "mip_rel_gap": options.gap,
                           "time_limit": float(options.time_limit), "random_seed": 0,
                           "threads": THREADS if options.threads is None else options.threads}
    if not presolve:
        out["presolve"] = "off"
    if options.kind is SolveKind.RESOLVE:
        out.update(RESOLVE_OPTIONS)
    return out


def configure(highs: highspy.Highs, options: SolverOptions, *, presolve: bool = True) -> None:
    """Set `highs_options` on a HiGHS instance."""
    for name, value in highs_options(options, presolve=presolve).items():
        highs.setOptionValue(name, value)


@contextmanager
def relaxation(highs: highspy.Highs) -> Iterator[None]:
    """Solve the LP relaxation in this block (integrality kept for the runs after it)."""
    highs.setOptionValue("solve_relaxation", True)
    try:
        yield
    finally:
        highs.setOptionValue("solve_relaxation", False)


def run_highs(highs: highspy.Highs) -> None:
    """Run HiGHS, resetting its process-wide thread scheduler where another count holds it.

    HiGHS keeps one scheduler per process, sized by the first run. A later instance asking
    for another thread count (ours ask for one; PuLP's own HiGHS or a notebook's may not)
    returns an error without solving, which would read as "no solution".
    """
    if highs.run() == highspy.HighsStatus.kError and \
            highs.getModelStatus() == highspy.HighsModelStatus.kNotset:
        highspy.Highs.resetGlobalScheduler(True)
        highs.run()


def set_start(highs: highspy.Highs, values: Sequence[float]) -> None:
    """Hand HiGHS a feasible point (one value per column) as its first incumbent."""
    solution = highspy.HighsSolution()
    solution.col_value = list(values)
    solution.value_valid = True
    highs.setSolution(solution)


class _HiGHS(pulp.HiGHS):  # type: ignore[misc]
    """HiGHS through PuLP, configured by `highs_options` and handed a start (PuLP has none)."""

    def __init__(self, options: SolverOptions, start: dict[str, float] | None) -> None:
        super().__init__(msg=False)
        self.options, self.start = options, start

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:
        lp.solverModel = new_highs(self.options)

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:
        super().buildSolverModel(lp)
        if not self.start:
            return
        columns = lp.variables()
        if all(v.name in self.start for v in columns):
            set_start(lp.solverModel, [self.start[v.name] for v in columns])
            return
        # a partial start (the sample-average model's first stage): HiGHS completes it
        given = [(j, self.start[v.name]) for j, v in enumerate(columns) if v.name in self.start]
        lp.solverModel.setSolution(len(given), np.array([j for j, _ in given], np.int32),
                                   np.array([x for _, x in given], float))

    def callSolver(self, lp: pulp.LpProblem) -> None:
        run_highs(lp.solverModel)


class _CBC(pulp.COIN_CMD):  # type: ignore[misc]
    """PuLP's bundled CBC, its output to the null device (`msg=False`) or, to log, stderr."""

    def __init__(self, options: SolverOptions, start: dict[str, float] | None) -> None:
        super().__init__(path=pulp.PULP_CBC_CMD.pulp_cbc_path, msg=False,
                         timeLimit=options.time_limit, gapRel=options.gap,
                         warmStart=bool(start), threads=options.threads)
        self.log = options.log

    def get_pipe(self) -> IO[str] | None:
        """Where CBC's stdout and stderr go: a copy of descriptor 2 to log (PuLP closes it)."""
        if self.log:
            return os.fdopen(os.dup(2), "w")
        return super().get_pipe()  # type: ignore[no-any-return]


def _solver(options: SolverOptions, start: dict[str, float] | None) -> Any:
    if options.solver is Solver.CBC:
        return _CBC(options, start)
    return _HiGHS(options, start)


def run(prob: pulp.LpProblem, options: SolverOptions,
        start: dict[str, float] | None = None) -> SolveStats:
    """Solve `prob` once through PuLP and classify the result by its solution status."""
    if start and options.solver is Solver.CBC:
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
    status = from_pulp(prob, options.solver)
    if start and status.has_solution and _stale(prob, options):
        # HiGHS 1.16, given a start, can solve a MIP in presolve yet hand back the start's
        # columns with the optimum's objective value; solving without the start is exact.
        return run(prob, options)
    value = pulp.value(prob.objective) if status.has_solution else None
    objective = None if value is None else float(value)
    if options.solver is not Solver.HIGHS:
        return SolveStats(status, objective, None, None, seconds)
    info = prob.solverModel.getInfo()
    mip = prob.isMIP()
    bound, gap = None, None
    if status.has_solution and mip:
        bound, gap = highs_bound_and_gap(info, status, objective)
        if bound is not None and bound != objective:  # HiGHS knows no objective constant
            bound += float(prob.objective.constant)
    elif status is Status.OPTIMAL:  # an LP's optimum is its own bound (mip_dual_bound is 0)
        bound, gap = objective, 0.0
    return SolveStats(status, objective, bound, gap, seconds,
                      nodes=max(0, int(info.mip_node_count)) if mip else 0,
                      iterations=max(0, int(info.simplex_iteration_count)))


def _stale(prob: pulp.LpProblem, options: SolverOptions) -> bool:
    """Whether HiGHS's objective value is not that of the columns it returned."""
    if options.solver is not Solver.HIGHS or not prob.isMIP():
        return False
    reported = float(prob.solverModel.getInfo().objective_function_value)
    held = float(pulp.value(prob.objective) or 0.0) - float(prob.objective.constant)
    return abs(reported - held) > NOISE * max(1.0, abs(reported))


def _within_bounds(var: pulp.LpVariable, value: float) -> float:
    """A start value clipped to its bounds (solvers return -1e-15 for a zero)."""
    if var.lowBound is not None:
        value = max(value, var.lowBound)
    if var.upBound is not None:
        value = min(value, var.upBound)
    return value


def to_highs(prob: pulp.LpProblem, options: SolverOptions) -> highspy.Highs:
    """Copy a PuLP problem's columns, rows and integrality into a fresh HiGHS instance.

    Columns and rows keep PuLP's order, so column j is `prob.variables()[j]`. Presolve is
    off (see `highs_options`).
    """
    highs = new_highs(options, presolve=False)
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


def upper_ranges(prob: pulp.LpProblem, rows: Sequence[pulp.LpConstraint],
                 ) -> list[tuple[float, float] | None] | None:
    """How far each `<=` row's right-hand side can move with its dual unchanged (HiGHS).

    For an LP `run` has just solved with HiGHS. Each entry is the (lowest, highest) value of
    the row's right-hand side over which the optimal basis, so the row's dual, stays the
    same; -inf / inf where HiGHS finds no end. A row at its bound (nonbasic) gets HiGHS's
    row ranging; a row with room left (basic, dual 0) can fall to its activity and rise
    without end. The ranging is read off the instance PuLP solved (`prob.solverModel`), so
    it belongs to the basis the rows' `pi` came from. An entry is None for a row at its
    lower bound or free; the answer is None where there is no optimal simplex basis.
    """
    highs = getattr(prob, "solverModel", None)
    if not isinstance(highs, highspy.Highs) or \
            highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    status, ranging = highs.getRanging()
    if status != highspy.HighsStatus.kOk or not ranging.valid:
        return None
    position = {id(row): i for i, row in enumerate(prob.constraints())}
    basis, activity = highs.getBasis(), highs.getSolution().row_value
    out: list[tuple[float, float] | None] = []
    for row in rows:
        i = position[id(row)]
        if basis.row_status[i] == highspy.HighsBasisStatus.kUpper:
            out.append((float(ranging.row_bound_dn.value_[i]),
                        float(ranging.row_bound_up.value_[i])))
        elif basis.row_status[i] == highspy.HighsBasisStatus.kBasic:
            out.append((float(activity[i]), INF))
        else:
            out.append(None)
    return out
