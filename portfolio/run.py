"""The pipeline as one call: read -> validate -> solve -> rank -> analyse -> write.

`solve` and `frontier` are what the `portfolio solve` and `portfolio frontier` commands
run, and what tests and benchmarks call instead of re-orchestrating the stages. Each
returns the typed `Report` it wrote, with the seconds each stage took; the command line
only turns that into lines on the terminal and an exit code.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portfolio.analysis import sweep
from portfolio.analysis.figures import Figures
from portfolio.errors import UsageError
from portfolio.inputs.case import Case
from portfolio.inputs.vocabulary import RiskObjective
from portfolio.model.lexicographic import optimise
from portfolio.model.outcomes import CBC_WARNING, Solution, Solver, SolverOptions, Status
from portfolio.report.changes import Previous

if TYPE_CHECKING:
    from portfolio.analysis.risk import RiskResult
from portfolio.report.contents import Report, Switches

log = logging.getLogger("portfolio")

#: A progress display for one sweep: called with a label and a length, it gives the
#: callback to call as each task ends.
Progress = Callable[[str, int], AbstractContextManager[Callable[[], object]]]


class Ranking(StrEnum):
    """`--rank`: rank the selection by regret, or not at all."""

    REGRET = "regret"
    NONE = "none"


@dataclass(frozen=True)
class Request:
    """One run as the command line asks for it (None: the Settings sheet's value)."""

    path: Path
    output: Path | None = None
    solver: Solver = Solver.HIGHS
    time_limit: float | None = None
    gap: float | None = None
    ranking: Ranking = Ranking.REGRET
    frontier: bool = True
    scenarios: bool = True
    sensitivity: bool = True
    workers: int | None = None
    scheduler: str | None = None
    json: Path | None = None
    compare: Path | None = None
    solver_log: bool = False
    risk_samples: int | None = None

    def target(self, suffix: str) -> Path:
        """The output path, refused if it is not .xlsx or would overwrite the input."""
        target = self.output or Path("outputs") / f"{self.path.stem}-{suffix}.xlsx"
        if target.suffix.lower() != ".xlsx":
            raise UsageError(f"the output {target} must be an .xlsx file name")
        if _same_file(self.path, target):
            raise UsageError(f"the output {target} is the input workbook; choose another -o "
                             "path")
        return target

    def json_target(self, workbook: Path) -> Path | None:
        """The --json path, refused as -o is, and if it would overwrite the workbook."""
        if self.json is None:
            return None
        if self.json.suffix.lower() != ".json":
            raise UsageError(f"the --json output {self.json} must be a .json file name")
        for other, what in ((self.path, "the input workbook"),
                            (self.compare, "the --compare workbook"), (workbook, "-o")):
            if other is not None and (_same_file(other, self.json) or
                                      other.resolve() == self.json.resolve()):
                raise UsageError(f"the --json output {self.json} is {what}; choose another "
                                 "path")
        return self.json


@dataclass
class Hooks:
    """What the caller sees while a run goes: warnings as they arise, and sweep progress."""

    warn: Callable[[str], object] = log.warning
    progress: Progress | None = None

    def sweep(self, label: str, length: int) -> AbstractContextManager[Callable[[], object]]:
        """The progress callback for one sweep (a no-op without a display)."""
        if self.progress is None:
            return nullcontext(_nothing)
        return self.progress(label, length)


def _nothing() -> None:
    return None


class _Clock:
    """Seconds per stage, logged as each ends (`--debug` shows them)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.record(name, self.seconds.get(name, 0.0) + time.perf_counter() - began)

    def record(self, name: str, seconds: float) -> None:
        """A stage's seconds, measured elsewhere (the sweeps run side by side)."""
        self.seconds[name] = seconds
        log.info("stage %s: %.3f s", name, seconds)


def load(path: Path, hooks: Hooks | None = None) -> Case:
    """Read and validate a workbook (the `validate` command), reporting its warnings."""
    case = _read(path)
    _warn_all(case, hooks or Hooks())
    return case


def _read(path: Path) -> Case:
    from portfolio.inputs.validate import load as read_and_validate

    return read_and_validate(path)


def _warn_all(case: Case, hooks: Hooks) -> None:
    for warning in case.warnings:
        hooks.warn(warning)


@dataclass(frozen=True)
class _Start:
    """What every run starts from: where it writes, the validated case, solver options."""

    target: Path
    json: Path | None
    case: Case
    options: SolverOptions
    previous: Previous | None


def _prepare(request: Request, suffix: str, hooks: Hooks, clock: _Clock) -> _Start:
    """Output paths, validated case, solver options and the earlier results to compare."""
    from portfolio.report.changes import read_previous
    from portfolio.report.risktables import samples_path
    from portfolio.workbook.save import check_writable

    target = request.target(suffix)
    json = request.json_target(target)
    with clock.stage("read_validate"):
        case = _with_samples(_read(request.path), request.risk_samples)
        previous = read_previous(request.compare) if request.compare else None
    samples = samples_path(target) if case.risk_samples else None
    for path in (target, json, samples):
        if path is not None:
            check_writable(path)  # before the warnings: a locked output is refused first
    _warn_all(case, hooks)
    options = SolverOptions.from_case(case, solver=request.solver,
                                      time_limit=request.time_limit, gap=request.gap,
                                      log=request.solver_log)
    if options.solver is Solver.CBC:
        hooks.warn(CBC_WARNING)
    return _Start(target, json, case, options, previous)


def _with_samples(case: Case, count: int | None) -> Case:
    """The case with `--risk-samples` in place of its Settings value (None: unchanged)."""
    if count is None:
        return case
    if count == 0 and case.settings.risk_objective == RiskObjective.EXPECTED:
        raise UsageError("--risk-samples 0 leaves risk_objective = expected nothing to "
                         "average over; give at least 1 sample, or set risk_objective to plan")
    return replace(case, settings=case.settings.model_copy(update={"risk_samples": count}))


def solve(request: Request, hooks: Hooks | None = None) -> Report:
    """Run the whole pipeline and write the results workbook; return what was written.

    Without a feasible portfolio the workbook holds the diagnosis (infeasible) or the
    time-limit note, and the report's status says which; nothing is ranked or analysed.
    """
    from portfolio.report.sheets import write_report

    hooks = hooks or Hooks()
    clock = _Clock()
    start = _prepare(request, "portfolio", hooks, clock)
    with clock.stage("solve"):
        solution, planned = _optimise(start.case, start.options)
    report = Report(case=start.case, solution=solution, options=start.options,
                    input_path=request.path, target=start.target, json=start.json,
                    previous=start.previous, ranking=request.ranking.value,
                    switches=_switches(request))
    if solution.status.has_solution:
        report = _rank_and_analyse(request, report, hooks, clock, planned)
    else:
        with clock.stage("diagnose"):
            report = replace(report, diagnosis=_diagnosis(report))
    with clock.stage("write"):
        write_report(replace(report, timings=dict(clock.seconds)), start.target)
        _write_json(replace(report, timings=dict(clock.seconds)))
    return replace(report, timings=dict(clock.seconds))


def _optimise(case: Case, options: SolverOptions) -> tuple[Solution, Solution | None]:
    """The optimum; under risk_objective = expected also the plan optimum.

    The plan optimum then starts the sample-average solve (HiGHS completes its recourse)
    and is its rival on the Summary.
    """
    from portfolio.analysis.variants import on_plan

    if not case.expected:
        return optimise(case, options), None
    planned = optimise(on_plan(case), options)
    if not planned.status.has_solution:
        return planned, None
    return optimise(case, options, hint=planned), planned


def _switches(request: Request) -> Switches:
    """The command line's choices, for the Summary, with this machine's cores."""
    return Switches(gap=request.gap, time_limit=request.time_limit, frontier=request.frontier,
                    scenarios=request.scenarios, sensitivity=request.sensitivity,
                    workers=request.workers, scheduler=request.scheduler, cores=sweep.cores(),
                    risk_samples=request.risk_samples)


def _write_json(report: Report, *, frontier_only: bool = False) -> None:
    """The --json export of what the workbook holds, if asked for."""
    from portfolio.report.export import write_json

    if report.json is not None:
        write_json(report, report.json, frontier_only=frontier_only)


def _diagnosis(report: Report) -> list[str]:
    """Why no portfolio was found, in sentences for the Diagnosis sheet and the terminal."""
    from portfolio.analysis.diagnose import diagnose

    if report.solution.status is Status.INFEASIBLE:
        return diagnose(report.case, report.options)
    return [f"The solver ran for its time limit ({report.options.time_limit:g} s per solve) "
            "without finding any portfolio that meets the hard constraints. Raise "
            "time_limit_s (or --time-limit), or relax locks and limits, and solve again."]


#: Each sweep of `_rank_and_analyse` in the order they run on one core, with its bar's label.
SWEEPS = {"rank": "ranking by regret", "risk": "schedule risk",
          "frontier": "efficient frontier", "scenarios": "scenarios",
          "sensitivity": "sensitivity"}
TOGETHER = "ranking and analyses"
ANALYSES = ("frontier", "scenarios", "sensitivity")


def _rank_and_analyse(request: Request, report: Report, hooks: Hooks, clock: _Clock,
                      planned: Solution | None = None) -> Report:
    """The regret ranking, rejection reasons, schedule risk and the sweeps asked for.

    All run on one executor. Where it has workers (two cores or more, or a Dask cluster)
    the sweeps run side by side, each from a thread of its own (`sweep.together`), under
    one progress bar, so that no core waits while a sweep finishes its slowest solve;
    each sweep's seconds are then wall times that overlap.
    """
    from portfolio.analysis.reasons import rejection_reasons

    figures = Figures(report.case, report.solution)
    sizes = _sizes(request, report.case, figures)
    with sweep.executor(request.scheduler, request.workers,
                        tasks=max(sizes.values(), default=0)) as pool:
        jobs = _jobs(report, figures, pool, planned, list(sizes))
        if pool is None:
            results: dict[str, Any] = {}
            for name, job in jobs.items():
                with clock.stage(name), hooks.sweep(SWEEPS[name], sizes[name]) as tick:
                    results[name] = job(tick)
            analysed = sum(clock.seconds.get(name, 0.0) for name in ANALYSES)
        else:
            with hooks.sweep(TOGETHER, sum(sizes.values())) as tick:
                shared = _locked(tick)
                results, ended = sweep.together(
                    {name: partial(job, shared) for name, job in jobs.items()})
            for name, seconds in ended.items():
                clock.record(name, seconds)
            analysed = max((ended[name] for name in ANALYSES if name in ended), default=0.0)
    clock.record("analyse", analysed)
    return replace(report, regrets=results.get("rank", []), reasons=rejection_reasons(figures),
                   ranking=request.ranking.value, risk=results.get("risk"),
                   **{name: results[name] for name in ANALYSES if name in results})


def _sizes(request: Request, case: Case, figures: Figures) -> dict[str, int]:
    """The tasks of each sweep asked for, in `SWEEPS` order (none: not asked for)."""
    from portfolio.analysis.frontier import levels
    from portfolio.analysis.risk import chunks
    from portfolio.analysis.sensitivity import limits

    wanted = {"rank": request.ranking is Ranking.REGRET and bool(figures.selected),
              "risk": bool(case.risk_samples), "frontier": request.frontier,
              "scenarios": request.scenarios and bool(case.scenarios),
              "sensitivity": request.sensitivity}
    sizes: dict[str, Callable[[], int]] = {
        "rank": lambda: len(figures.selected), "risk": lambda: chunks(case),
        "frontier": lambda: len(levels(case)), "scenarios": lambda: len(case.scenarios),
        "sensitivity": lambda: len(limits(figures))}
    return {name: sizes[name]() for name in SWEEPS if wanted[name]}


Job = Callable[[Callable[[], object]], Any]


def _jobs(report: Report, figures: Figures, pool: Executor | None, planned: Solution | None,
          names: list[str]) -> dict[str, Job]:
    """Each sweep asked for as a function of its progress callback."""
    from portfolio.analysis.comparison import scenarios
    from portfolio.analysis.frontier import frontier
    from portfolio.analysis.rank import rank
    from portfolio.analysis.sensitivity import sensitivity
    from portfolio.analysis.variants import on_plan

    case, options = report.case, report.options.resolving()
    plan = on_plan(case)  # risk applies to the base case only
    every: dict[str, Job] = {
        "rank": lambda tick: rank(case, figures, options, pool=pool, progress=tick),
        "risk": lambda tick: _risk(report, figures, pool, tick, planned),
        "frontier": lambda tick: frontier(
            plan, options, base=None if case.expected else report.solution, pool=pool,
            progress=tick),
        "scenarios": lambda tick: scenarios(plan, Figures(plan, report.solution), options,
                                            pool=pool, progress=tick),
        "sensitivity": lambda tick: sensitivity(figures, options, pool=pool, progress=tick)}
    return {name: every[name] for name in names}


def _locked(tick: Callable[[], object]) -> Callable[[], object]:
    """A progress callback the sweeps' threads can share."""
    lock = threading.Lock()

    def call() -> object:
        with lock:
            return tick()

    return call


def _risk(report: Report, figures: Figures, pool: Executor | None,
          tick: Callable[[], object], planned: Solution | None) -> RiskResult:
    """The portfolio in every schedule sample; under expected, the plan optimum's too."""
    from portfolio.analysis.risk import assess, rival
    from portfolio.analysis.variants import on_plan

    case, options = report.case, report.options
    against = None
    if planned is not None:
        against = rival(case, Figures(on_plan(case), planned), options)
    return assess(case, figures, options, pool=pool, progress=tick, rival=against)


def frontier(request: Request, hooks: Hooks | None = None) -> Report:
    """Solve every budget level and write a workbook holding only the Frontier sheet."""
    from portfolio.analysis.frontier import frontier as solve_levels
    from portfolio.analysis.frontier import levels
    from portfolio.report.sheets import write_frontier

    hooks = hooks or Hooks()
    clock = _Clock()
    start = _prepare(request, "frontier", hooks, clock)
    case, options = start.case, start.options
    count = len(levels(case))
    with (clock.stage("analyse"),
          sweep.executor(request.scheduler, request.workers, tasks=count) as pool,
          hooks.sweep("efficient frontier", count) as tick):
        result = solve_levels(case, options, pool=pool, progress=tick)
    base = next((p.variant.solution for p in result.points if p.pct == 100.0), None)
    report = Report(case=case, solution=base or result.points[-1].variant.solution,
                    options=options, input_path=request.path, frontier=result,
                    target=start.target, json=start.json, switches=_switches(request))
    with clock.stage("write"):
        write_frontier(report, start.target)
        _write_json(report, frontier_only=True)
    return replace(report, timings=dict(clock.seconds))


def _same_file(path: Path, target: Path) -> bool:
    """Whether writing `target` would overwrite `path` (also through links or case)."""
    try:
        return target.exists() and path.exists() and os.path.samefile(path, target)
    except OSError:
        return target.resolve() == path.resolve()
