"""Command line: `portfolio template | validate | solve | frontier`.

The commands only call the pipeline's stages (read/validate -> build/solve -> rank ->
write); `main` is the one place that turns exceptions into a message and an exit code.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from portfolio.errors import ExitCode, InvalidWorkbook, PortfolioError, UsageError
from portfolio.solve import CBC_WARNING, SolverOptions, Status, optimise

if TYPE_CHECKING:
    from portfolio.pipeline import Pipeline
    from portfolio.results import Figures
    from portfolio.write import Report


def _input_path(func: Callable[..., Any]) -> Callable[..., Any]:
    """The workbook argument shared by validate and solve.

    Existence is checked by the read stage, so a missing file is an invalid workbook (exit 3).
    """
    return click.argument("path", type=click.Path(path_type=Path, dir_okay=True))(func)


def _solver_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--time-limit, --gap and --solver, overriding the Settings sheet."""
    func = click.option("--solver", type=click.Choice(["highs", "cbc"], case_sensitive=False),
                        default="highs", show_default=True,
                        help="MIP solver. CBC's optimality is not trusted (coin-or/Cbc#337).")(func)
    func = click.option("--gap", type=click.FloatRange(0, 1, max_open=True), default=None,
                        help="Relative MIP gap (default: mip_gap from Settings).")(func)
    return click.option("--time-limit", type=click.FloatRange(0, min_open=True), default=None,
                        help="Seconds per solve (default: time_limit_s from Settings).")(func)


def _where_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--workers and --scheduler: where the re-solves of a sweep run."""
    func = click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
                        help="Run re-solves on this Dask scheduler instead of local cores "
                             "(needs portfolio[dask]).")(func)
    return click.option("--workers", type=click.IntRange(1), default=None,
                        help="Local worker processes for re-solves (default: one per core).")(func)


def _sweep_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--rank, --frontier, --scenarios, --sensitivity: which sweeps `solve` runs."""
    func = _where_options(func)
    for name, what in (("sensitivity", "the Sensitivity sheet (one MIP re-solve per limit)"),
                       ("scenarios", "the Scenarios sheet (one solve per scenario)"),
                       ("frontier", "the Frontier sheet (one solve per budget level)")):
        func = click.option(f"--{name}/--no-{name}", default=True, show_default=True,
                            help=f"Write {what}.")(func)
    return click.option("--rank", "ranking", type=click.Choice(["regret", "none"],
                                                                case_sensitive=False),
                        default="regret", show_default=True,
                        help="Rank selected projects by regret (one re-solve each), or not.")(func)


def _output_option(suffix: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        return click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
                            default=None,
                            help=f"Results workbook (default: outputs/<input stem>-{suffix}.xlsx)."
                            )(func)
    return decorate


def _target(path: Path, output: Path | None, suffix: str) -> Path:
    """The output path, refused if it is not .xlsx or would overwrite the input."""
    target = output or Path("outputs") / f"{path.stem}-{suffix}.xlsx"
    if target.suffix.lower() != ".xlsx":
        raise UsageError(f"the output {target} must be an .xlsx file name")
    if _same_file(path, target):
        raise UsageError(f"the output {target} is the input workbook; choose another -o path")
    return target


def _options(pipeline: Pipeline, solver: str, time_limit: float | None,
             gap: float | None) -> SolverOptions:
    options = SolverOptions.from_pipeline(pipeline, solver="cbc" if solver == "cbc" else "highs",
                                          time_limit=time_limit, gap=gap)
    if options.solver == "cbc":
        click.echo(f"warning: {CBC_WARNING}", err=True)
    return options


def _load(path: Path, target: Path) -> Pipeline:
    from portfolio.validate import load
    from portfolio.xlsx import check_writable

    pipeline = load(path)
    check_writable(target)
    for warning in pipeline.warnings:
        click.echo(f"warning: {warning}", err=True)
    return pipeline


@contextmanager
def _progress(label: str, length: int) -> Iterator[Callable[[], object]]:
    """A progress bar on stderr for one sweep; yields the per-task callback."""
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield lambda: bar.update(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="portfolio")
def cli() -> None:
    """Choose and finance critical-mineral projects to cover priority-sector demand early."""


@cli.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--example", is_flag=True,
              help="Write the worked example instead of a blank template.")
@click.option("--force", is_flag=True, help="Replace PATH if it already exists.")
def template(path: Path, example: bool, force: bool) -> None:
    """Write the blank input template (or the worked example) to PATH."""
    from portfolio.example import example_data
    from portfolio.template import write_template

    if path.exists() and not force:
        raise UsageError(f"{path} already exists; choose another name or add --force to "
                         "replace it")
    write_template(path, example_data() if example else None)
    click.echo(f"wrote {path}")


@cli.command()
@_input_path
def validate(path: Path) -> None:
    """Check a filled-in workbook and print every problem at once."""
    from portfolio.validate import load

    pipeline = load(path)
    for warning in pipeline.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{path}: valid: {len(pipeline.projects)} projects, {len(pipeline.pools)} pools, "
               f"{len(pipeline.demands)} demand rows")


@cli.command()
@_input_path
@_output_option("portfolio")
@_solver_options
@_sweep_options
def solve(path: Path, output: Path | None, time_limit: float | None, gap: float | None,
          solver: str, ranking: str, frontier: bool, scenarios: bool, sensitivity: bool,
          workers: int | None, scheduler: str | None) -> None:
    """Choose projects and their financing; write the ranked results workbook."""
    from portfolio import sweep
    from portfolio.diagnose import diagnose
    from portfolio.explain import rejection_reasons
    from portfolio.frontier import levels
    from portfolio.rank import rank
    from portfolio.results import Figures
    from portfolio.sensitivity import limits
    from portfolio.write import Report, write_report

    target = _target(path, output, "portfolio")
    pipeline = _load(path, target)
    options = _options(pipeline, solver, time_limit, gap)
    solution = optimise(pipeline, options)
    report = Report(pipeline=pipeline, solution=solution, options=options, input_path=path)

    if solution.status is Status.INFEASIBLE:
        lines = diagnose(pipeline, options)
        write_report(replace(report, diagnosis=lines), target)
        _fail(ExitCode.INFEASIBLE, "no feasible portfolio exists under the hard constraints:",
              lines, target)
    if solution.status is Status.NO_SOLUTION:
        lines = [f"The solver ran for its time limit ({options.time_limit:g} s per solve) without "
                 "finding any portfolio that meets the hard constraints. Raise time_limit_s "
                 "(or --time-limit), or relax locks and limits, and solve again."]
        write_report(replace(report, diagnosis=lines), target)
        _fail(ExitCode.NO_SOLUTION, "time limit reached before any feasible portfolio was found:",
              lines, target)

    figures = Figures(pipeline, solution)
    ranked = ranking.lower() == "regret" and bool(figures.selected)
    sizes = [len(figures.selected) if ranked else 0,
             len(levels(pipeline)) if frontier else 0,
             len(pipeline.scenarios) if scenarios else 0,
             len(limits(figures)) if sensitivity else 0]
    with sweep.executor(scheduler, workers, tasks=max(sizes)) as pool:
        regrets, rank_seconds = [], 0.0
        if ranked:
            began = time.perf_counter()
            with _progress("ranking by regret", sizes[0]) as tick:
                regrets = rank(pipeline, figures, options, pool=pool, progress=tick)
            rank_seconds = time.perf_counter() - began
        report = replace(report, regrets=regrets, reasons=rejection_reasons(figures),
                         rank_seconds=rank_seconds, ranking=ranking.lower())
        report = _analyse(report, figures, pool, frontier, scenarios, sensitivity, sizes)
    write_report(report, target)
    click.echo(f"{solution.status.value}: {len(figures.selected)} of {len(pipeline.projects)} "
               f"projects selected, weighted shortfall {figures.weighted_shortfall:,.1f}, "
               f"budget cost {figures.total_cost:,.1f} USD m")
    click.echo(f"wrote {target}")


def _analyse(report: Report, figures: Figures, pool: Executor | None, frontier: bool,
             scenarios: bool, sensitivity: bool, sizes: list[int]) -> Report:
    """The frontier, scenario and sensitivity sweeps that were asked for."""
    from portfolio.compare import scenarios as run_scenarios
    from portfolio.frontier import frontier as run_frontier
    from portfolio.sensitivity import sensitivity as run_sensitivity

    pipeline, options = report.pipeline, report.options
    began = time.perf_counter()
    if frontier:
        with _progress("efficient frontier", sizes[1]) as tick:
            report = replace(report, frontier=run_frontier(
                pipeline, options, base=report.solution, pool=pool, progress=tick))
    if scenarios and pipeline.scenarios:
        with _progress("scenarios", sizes[2]) as tick:
            report = replace(report, scenarios=run_scenarios(
                pipeline, figures, options, pool=pool, progress=tick))
    if sensitivity:
        with _progress("sensitivity", sizes[3]) as tick:
            report = replace(report, sensitivity=run_sensitivity(
                figures, options, pool=pool, progress=tick))
    return replace(report, analysis_seconds=time.perf_counter() - began)


@cli.command("frontier")
@_input_path
@_output_option("frontier")
@_solver_options
@_where_options
def frontier_command(path: Path, output: Path | None, time_limit: float | None,
                     gap: float | None, solver: str, workers: int | None,
                     scheduler: str | None) -> None:
    """Write only the efficient frontier: the optimum at budget levels 0 to 150%."""
    from portfolio import sweep
    from portfolio.frontier import frontier as run_frontier
    from portfolio.frontier import levels
    from portfolio.write import Report, write_frontier

    target = _target(path, output, "frontier")
    pipeline = _load(path, target)
    options = _options(pipeline, solver, time_limit, gap)
    count = len(levels(pipeline))
    with (sweep.executor(scheduler, workers, tasks=count) as pool,
          _progress("efficient frontier", count) as tick):
        result = run_frontier(pipeline, options, pool=pool, progress=tick)
    solved = [p for p in result.points if p.variant.solved]
    base = next((p.variant.solution for p in result.points if p.pct == 100.0), None)
    report = Report(pipeline=pipeline, solution=base or result.points[-1].variant.solution,
                    options=options, input_path=path, frontier=result)
    write_frontier(report, target)
    click.echo(f"frontier: {len(solved)} of {count} budget levels have a feasible portfolio")
    click.echo(f"wrote {target}")


def _same_file(path: Path, target: Path) -> bool:
    """Whether writing `target` would overwrite `path` (also through links or case)."""
    try:
        return target.exists() and path.exists() and os.path.samefile(path, target)
    except OSError:
        return target.resolve() == path.resolve()


def _fail(code: ExitCode, headline: str, lines: list[str], target: Path) -> NoReturn:
    click.echo(f"portfolio: {headline}", err=True)
    for line in lines:
        click.echo(f"  - {line}", err=True)
    click.echo(f"wrote {target} (see its Diagnosis sheet)", err=True)
    sys.exit(int(code))


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the CLI and map every outcome to the contract's exit codes."""
    try:
        cli.main(args=argv, prog_name="portfolio", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("portfolio: aborted", err=True)
        sys.exit(int(ExitCode.FAILURE))
    except click.ClickException as exc:
        exc.show()
        sys.exit(int(ExitCode.USAGE) if isinstance(exc, click.UsageError) else exc.exit_code)
    except InvalidWorkbook as exc:
        for issue in exc.issues:
            click.echo(str(issue), err=True)
        click.echo(f"portfolio: the workbook is invalid ({len(exc.issues)} problem"
                   f"{'s' if len(exc.issues) != 1 else ''}); nothing was written", err=True)
        sys.exit(int(exc.exit_code))
    except PortfolioError as exc:
        click.echo(f"portfolio: {exc}", err=True)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        click.echo("portfolio: interrupted", err=True)
        sys.exit(int(ExitCode.FAILURE))
    except Exception as exc:  # the last resort: one line, never a traceback
        reason = str(exc).splitlines()[0] if str(exc) else ""
        click.echo(f"portfolio: failed: {type(exc).__name__}: {reason}", err=True)
        sys.exit(int(ExitCode.FAILURE))
    sys.exit(int(ExitCode.SOLVED))
